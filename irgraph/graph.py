"""The bipartite institution–company attendance graph.

``build_graph`` turns parsed records plus a name resolution into an undirected
:class:`networkx.Graph` following the conventions of ``docs/architecture.md``:

* institution nodes ``i:<institution_id>`` (``g:<group>`` at ``level="group"``) with
  ``bipartite=0``, ``label``, ``type``, ``group``, ``institution_id``;
* company nodes ``c:<stock_code>`` (``c:<company name>`` when no code is known) with
  ``bipartite=1``, ``label`` (short name), ``code``, ``company``;
* one edge per institution × company with ``visits`` (distinct records), ``first_date``,
  ``last_date`` and ``;``-joined ``dates``, ``activity_types``, ``persons``, ``sources``.

All attribute values are str/int/float, so the graph can be written to GraphML/GEXF as is.
Nodes and edges are inserted in sorted order, so equal inputs give equal graphs in equal order.
"""

from __future__ import annotations

import datetime as _dt
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator

import networkx as nx
import numpy as np
import scipy.sparse as sp

from irgraph._io import collector_paused
from irgraph.errors import OptionError
from irgraph.models import Match, Record, Resolution

__all__ = [
    "LEVELS",
    "build_graph",
    "company_nodes",
    "institution_nodes",
    "project_companies",
    "project_institutions",
]

LEVELS = ("entity", "group")
_GENERIC_METHODS = frozenset({"generic"})


def _check_date(value: str | None, name: str) -> str | None:
    if value is None:
        return None
    try:
        return _dt.date.fromisoformat(str(value)).isoformat()
    except ValueError:
        raise OptionError(f"{name}: {value!r} is not an ISO date (YYYY-MM-DD)") from None


def _record_date(rec: Record) -> str | None:
    """The record's date: its first (ISO) date, or None when it has none."""
    return rec.dates[0] if rec.dates else None


def _type_matches(rec: Record, types: frozenset[str] | None) -> bool:
    if types is None:
        return True
    if rec.activity_types is None:
        return False
    return any(t in types for t in rec.activity_types)


class _Inst:
    """What build_graph collects about one institution node."""

    __slots__ = ("group", "institution_id", "label", "member_labels", "member_types", "member_visits")

    def __init__(self, label: str, group: str, institution_id: str) -> None:
        self.label = label
        self.group = group
        self.institution_id = institution_id
        # member institution_id -> type / label / records attended (one member at entity level)
        self.member_types: dict[str, str] = {}
        self.member_labels: dict[str, str] = {}
        self.member_visits: Counter[str] = Counter()

    def majority_type(self) -> str:
        """The most common member type; ties: more visits by those members, then a member named
        like the group (东兴证券股份有限公司 in group 东兴证券), then alphabetical."""
        stats: dict[str, list[int]] = {}
        for iid, t in self.member_types.items():
            st = stats.setdefault(t, [0, 0, 0])
            st[0] += 1
            st[1] += self.member_visits[iid]
            if self.group and self.member_labels.get(iid, "").startswith(self.group):
                st[2] = 1
        if not stats:
            return ""
        return min(stats, key=lambda t: (-stats[t][0], -stats[t][1], -stats[t][2], t))


def _inst_key(m: Match, level: str) -> tuple[str, str, str]:
    """(node id, label, institution_id attribute) of a resolved name at ``level``."""
    if level == "entity":
        return "i:" + m.institution_id, m.institution or m.institution_id, m.institution_id
    group = m.group or m.institution or m.institution_id
    return "g:" + group, group, m.group_id or group


def build_graph(
    records: Iterable[Record],
    resolution: Resolution,
    *,
    level: str = "entity",
    since: str | None = None,
    until: str | None = None,
    types: Iterable[str] | None = None,
) -> nx.Graph:
    """Build the bipartite attendance graph from ``records`` resolved by ``resolution``.

    Skipped: records with ``kind != "ir_record"`` or an ``error``, records with neither a stock
    code nor a company name, attendee rows marked ``generic`` (or resolved by the ``generic``
    method), and raw names the resolution does not know (counted in
    ``G.graph["unresolved_rows"]``).  A record's date is its first date; ``since``/``until``
    (ISO dates, inclusive) drop records outside the range, and records without a date whenever
    either bound is given.  ``types`` keeps records with at least one of the given activity
    types; records whose types are unknown (``None``) are kept only when ``types`` is None.

    ``level="group"`` merges institutions of one group into a node ``g:<group>`` whose ``type``
    is the type most common among its member institutions in the graph (ties: the type whose
    members made more visits, then the type of the member named like the group, then
    alphabetical) and whose ``members`` counts those institutions.
    An institution listed twice in one record counts as one visit.
    """
    if level not in LEVELS:
        raise OptionError(f"level must be one of {', '.join(LEVELS)}, not {level!r}")
    since = _check_date(since, "since")
    until = _check_date(until, "until")
    if since and until and since > until:
        raise OptionError(f"since ({since}) is after until ({until})")
    type_set = None if types is None else frozenset([types] if isinstance(types, str) else types)
    with collector_paused():  # ~1M small containers and no cycles
        return _build(records, resolution, level, since, until, type_set)


def _build(
    records: Iterable[Record],
    resolution: Resolution,
    level: str,
    since: str | None,
    until: str | None,
    type_set: frozenset[str] | None,
) -> nx.Graph:

    # (institution node, company node) -> [record indices, persons]
    edges: dict[tuple[str, str], tuple[list[int], set[str]]] = {}
    insts: dict[str, _Inst] = {}
    rec_date: dict[int, str | None] = {}
    rec_types: dict[int, tuple[str, ...]] = {}
    rec_types_joined: dict[int, str] = {}
    rec_source: dict[int, str] = {}
    # company node -> code, full names seen, (date, short name) seen, records
    comp_code: dict[str, str] = {}
    comp_names: dict[str, Counter[str]] = defaultdict(Counter)
    comp_short: dict[str, set[tuple[str, str]]] = defaultdict(set)
    comp_records: dict[str, int] = defaultdict(int)
    cache: dict[str, tuple[str, str, str, Match] | str] = {}
    group_level = level == "group"
    unresolved = 0

    for idx, rec in enumerate(records):
        if rec.kind != "ir_record" or rec.error:
            continue
        if not rec.stock_code and not rec.company:
            continue
        date = _record_date(rec)
        if (since or until) and date is None:
            continue
        if since and date < since:  # type: ignore[operator]
            continue
        if until and date > until:  # type: ignore[operator]
            continue
        if not _type_matches(rec, type_set):
            continue
        cnode = "c:" + (rec.stock_code or rec.company or "")
        here: dict[str, list[str]] = {}  # institution node -> persons in this record
        members: set[str] = set()
        for att in rec.attendees:
            if att.generic:
                continue
            key = cache.get(att.institution)
            if key is None:
                m = resolution.get(att.institution)
                if m is None:
                    key = "unresolved"
                elif m.method in _GENERIC_METHODS or not m.institution_id:
                    key = "skip"
                else:
                    key = (*_inst_key(m, level), m)
                cache[att.institution] = key
            if isinstance(key, str):
                unresolved += key == "unresolved"
                continue
            inode, label, iid, m = key
            persons = here.get(inode)
            if persons is None:
                persons = here[inode] = []
                if inode not in insts:
                    insts[inode] = info = _Inst(label=label, group=m.group or "", institution_id=iid)
                    info.member_types[m.institution_id] = m.type or ""
            if group_level and m.institution_id not in members:
                members.add(m.institution_id)
                info = insts[inode]
                info.member_types[m.institution_id] = m.type or ""
                info.member_labels[m.institution_id] = m.institution or ""
                info.member_visits[m.institution_id] += 1
            if att.person:
                persons.append(att.person)
        if not here:
            continue
        rec_date[idx] = date
        rec_types[idx] = rec.activity_types or ()
        rec_types_joined[idx] = ";".join(sorted(set(rec.activity_types or ())))
        rec_source[idx] = rec.source
        for inode, persons in here.items():
            e = edges.get((inode, cnode))
            if e is None:
                e = edges[(inode, cnode)] = ([], set())
            e[0].append(idx)
            e[1].update(persons)
        comp_code.setdefault(cnode, rec.stock_code or "")
        if rec.company:
            comp_names[cnode][rec.company] += 1
        if rec.short_name:
            comp_short[cnode].add((date or "", rec.short_name))
        comp_records[cnode] += 1
    n_used = len(rec_source)

    G = nx.Graph(level=level, records=n_used, unresolved_rows=unresolved)
    for inode in sorted(insts):
        info = insts[inode]
        G.add_node(
            inode,
            bipartite=0,
            label=info.label,
            type=info.majority_type(),
            group=info.group,
            institution_id=info.institution_id,
            **({"members": len(info.member_types)} if level == "group" else {}),
        )
    for cnode in sorted(comp_records):
        names = comp_names[cnode]
        full = min(names, key=lambda n: (-names[n], n)) if names else ""
        # latest record's short name (companies get renamed); ties alphabetical
        shorts = comp_short[cnode]
        short = max(shorts, key=lambda ds: (ds[0], ds[1]))[1] if shorts else ""
        G.add_node(
            cnode,
            bipartite=1,
            label=short or full or comp_code[cnode] or cnode[2:],
            code=comp_code[cnode],
            company=full,
            records=comp_records[cnode],
        )
    # every node exists and every edge is new: the attribute dicts go straight into the adjacency
    # (what add_edges_from does, less its per-edge checks and dict copy: ~1 s on a year)
    adj = G._adj
    for inode, cnode, attrs in _edge_rows(edges, rec_date, rec_types, rec_types_joined, rec_source):
        adj[inode][cnode] = adj[cnode][inode] = attrs
    return G


def _edge_rows(
    edges: dict[tuple[str, str], tuple[list[int], set[str]]],
    rec_date: dict[int, str | None],
    rec_types: dict[int, tuple[str, ...]],
    rec_types_joined: dict[int, str],
    rec_source: dict[int, str],
) -> Iterator[tuple[str, str, dict[str, str | int]]]:
    """(institution node, company node, attributes) per edge, in sorted order."""
    # sorted as (inode, cnode) tuples are; one string compare instead of a tuple's (ids hold no NUL)
    for inode, cnode in sorted(edges, key=lambda e: e[0] + "\0" + e[1]):
        idxs, persons = edges[(inode, cnode)]
        if len(idxs) == 1:  # most edges: one visit
            i = idxs[0]
            d = rec_date[i] or ""
            yield inode, cnode, {
                "visits": 1,
                "first_date": d,
                "last_date": d,
                "dates": d,
                "activity_types": rec_types_joined[i],
                "persons": ";".join(sorted(persons)),
                "sources": rec_source[i],
            }
            continue
        dates = sorted({d for d in (rec_date[i] for i in idxs) if d})
        yield inode, cnode, {
            "visits": len(idxs),
            "first_date": dates[0] if dates else "",
            "last_date": dates[-1] if dates else "",
            "dates": ";".join(dates),
            "activity_types": ";".join(sorted({t for i in idxs for t in rec_types[i]})),
            "persons": ";".join(sorted(persons)),
            "sources": ";".join(sorted({rec_source[i] for i in idxs})),
        }


def institution_nodes(G: nx.Graph) -> list[str]:
    """Institution node ids (``bipartite == 0``), sorted."""
    return sorted(n for n, b in G.nodes(data="bipartite") if b == 0)


def company_nodes(G: nx.Graph) -> list[str]:
    """Company node ids (``bipartite == 1``), sorted."""
    return sorted(n for n, b in G.nodes(data="bipartite") if b == 1)


def biadjacency(G: nx.Graph) -> tuple[list[str], list[str], sp.csr_matrix]:
    """(institutions, companies, B): B[i, c] = 1 when institution i visited company c.

    Rows and columns follow the sorted node ids; ``B`` is a CSR matrix of int32.
    """
    insts = institution_nodes(G)
    comps = company_nodes(G)
    ii = {n: k for k, n in enumerate(insts)}
    ci = {n: k for k, n in enumerate(comps)}
    rows: list[int] = []
    cols: list[int] = []
    for u, v in G.edges():
        if u in ii and v in ci:
            rows.append(ii[u])
            cols.append(ci[v])
        elif v in ii and u in ci:
            rows.append(ii[v])
            cols.append(ci[u])
    data = np.ones(len(rows), dtype=np.int32)
    B = sp.csr_matrix((data, (rows, cols)), shape=(len(insts), len(comps)), dtype=np.int32)
    B.sum_duplicates()
    B.data[:] = 1
    return insts, comps, B


def _project(G: nx.Graph, nodes: list[str], M: sp.csr_matrix, min_shared: int) -> nx.Graph:
    C = (M @ M.T).tocoo()
    deg = np.asarray(M.sum(axis=1)).ravel()
    keep = (C.row < C.col) & (C.data >= min_shared)
    r, c, s = C.row[keep], C.col[keep], C.data[keep]
    order = np.lexsort((c, r))
    P = nx.Graph()
    for n in nodes:
        P.add_node(n, **G.nodes[n])
    for k in order:
        a, b, w = int(r[k]), int(c[k]), int(s[k])
        P.add_edge(nodes[a], nodes[b], weight=w, jaccard=float(w / (deg[a] + deg[b] - w)))
    return P


def project_institutions(G: nx.Graph, *, min_shared: int = 1) -> nx.Graph:
    """Institution–institution graph: an edge when two institutions visited a common company.

    Edge ``weight`` = number of companies both visited, ``jaccard`` = weight / companies either
    visited; pairs sharing fewer than ``min_shared`` companies are left out.  A new graph with
    copies of the node attributes; ``G`` is not changed.
    """
    insts, _, B = biadjacency(G)
    return _project(G, insts, B, min_shared)


def project_companies(G: nx.Graph, *, min_shared: int = 1) -> nx.Graph:
    """Company–company graph: an edge when two companies share a visiting institution.

    Edge ``weight`` = number of institutions that visited both, ``jaccard`` = weight /
    institutions that visited either; pairs sharing fewer than ``min_shared`` are left out.
    A new graph; ``G`` is not changed.
    """
    _, comps, B = biadjacency(G)
    return _project(G, comps, B.T.tocsr(), min_shared)
