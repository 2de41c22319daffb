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
from typing import NamedTuple

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


# what a raw name stands for: an institution node's number, or one of these
_UNRESOLVED = -1  # the resolution does not know the name
_SKIPPED = -2  # generic, or resolved to no institution_id


class _Names:
    """Raw attendee names resolved once each into institution node numbers (first seen, first)."""

    def __init__(self, resolution: Resolution, level: str) -> None:
        self.resolution = resolution
        self.level = level
        self.code: dict[str, int] = {}  # raw name -> node number, _UNRESOLVED or _SKIPPED
        self.node_ids: list[str] = []
        self.infos: list[_Inst] = []
        self._number: dict[str, int] = {}  # node id -> node number
        # group level: a member is an institution_id, counted once per record; its visits are
        # tallied per slot, a (node, member) pair, with the match of the slot's last counted row
        self.member: dict[str, tuple[int, int, Match]] = {}  # raw name -> (member, slot, match)
        self.last_record: list[int] = []  # member -> last record it was counted in
        self.slots: list[tuple[int, str]] = []  # slot -> (node number, institution_id)
        self.slot_visits: list[int] = []
        self.slot_match: list[Match] = []
        self._member_number: dict[str, int] = {}
        self._slot_number: dict[tuple[int, str], int] = {}

    def add(self, raw: str) -> int:
        """Resolve ``raw`` (not seen before) and remember its code; a new node gets an _Inst."""
        m = self.resolution.get(raw)
        if m is None:
            code = _UNRESOLVED
        elif m.method in _GENERIC_METHODS or not m.institution_id:
            code = _SKIPPED
        else:
            inode, label, iid = _inst_key(m, self.level)
            code = self._number.get(inode, len(self.node_ids))
            if code == len(self.node_ids):
                self._number[inode] = code
                self.node_ids.append(inode)
                info = _Inst(label=label, group=m.group or "", institution_id=iid)
                info.member_types[m.institution_id] = m.type or ""
                self.infos.append(info)
            if self.level == "group":
                self._add_member(raw, code, m)
        self.code[raw] = code
        return code

    def _add_member(self, raw: str, node: int, m: Match) -> None:
        number = self._member_number.setdefault(m.institution_id, len(self._member_number))
        if number == len(self.last_record):
            self.last_record.append(-1)
        slot = self._slot_number.setdefault((node, m.institution_id), len(self.slots))
        if slot == len(self.slots):
            self.slots.append((node, m.institution_id))
            self.slot_visits.append(0)
            self.slot_match.append(m)
        self.member[raw] = (number, slot, m)

    def fill_members(self) -> None:
        """Give each group node's _Inst the type, label and visits of its members counted."""
        for (node, iid), visits, m in zip(self.slots, self.slot_visits, self.slot_match, strict=True):
            if visits:
                info = self.infos[node]
                info.member_types[iid] = m.type or ""
                info.member_labels[iid] = m.institution or ""
                info.member_visits[iid] = visits


_Attrs = dict[str, str | int]


class _Rec(NamedTuple):
    """What the edges take from a record that gives one."""

    date: str  # "" when the record has none
    types: tuple[str, ...]
    source: str


def _build(
    records: Iterable[Record],
    resolution: Resolution,
    level: str,
    since: str | None,
    until: str | None,
    type_set: frozenset[str] | None,
) -> nx.Graph:
    names = _Names(resolution, level)
    code_of = names.code.get
    infos = names.infos
    # node number -> company number -> the edge's attributes / its first visit (record, persons)
    links: list[dict[int, _Attrs]] = []
    first_visit: list[dict[int, tuple[int, list[str]]]] = []
    # node -> company -> (records, persons of every row) of the edges visited more than once
    revisits: dict[int, dict[int, tuple[list[int], list[str]]]] = {}
    company_number: dict[str, int] = {}
    used: list[_Rec] = []  # the records that give an edge, numbered in input order
    # company node -> code, full names seen, (date, short name) seen, records
    comp_code: dict[str, str] = {}
    comp_names: dict[str, Counter[str]] = defaultdict(Counter)
    comp_short: dict[str, set[tuple[str, str]]] = defaultdict(set)
    comp_records: dict[str, int] = defaultdict(int)
    group_level = level == "group"
    member_of, last_record = names.member, names.last_record
    slot_visits, slot_match = names.slot_visits, names.slot_match
    unresolved = 0

    for rec in records:
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
        rid = len(used)  # this record's number if any row counts
        here: dict[int, list[str]] = {}  # node -> persons of its rows in this record
        for att in rec.attendees:
            if att.generic:
                continue
            raw = att.institution
            node = code_of(raw)
            if node is None:
                node = names.add(raw)
                if node == len(links):
                    links.append({})
                    first_visit.append({})
            if node < 0:
                unresolved += node == _UNRESOLVED
                continue
            persons = here.get(node)
            if persons is None:
                persons = here[node] = []
            if att.person:
                persons.append(att.person)
            if group_level:
                number, slot, m = member_of[raw]
                if last_record[number] != rid:  # the member's first row in this record
                    last_record[number] = rid
                    slot_visits[slot] += 1
                    slot_match[slot] = m
        if not here:
            continue
        cnode = "c:" + (rec.stock_code or rec.company or "")
        comp = company_number.setdefault(cnode, len(company_number))
        types = rec.activity_types or ()
        d = date or ""
        joined = ";".join(sorted(set(types)))
        used.append(_Rec(d, types, rec.source))
        for node, persons in here.items():
            nbrs = links[node]
            if comp not in nbrs:  # most edges: this visit is the only one, made here once
                nbrs[comp] = {
                    "visits": 1,
                    "first_date": d,
                    "last_date": d,
                    "dates": d,
                    "activity_types": joined,
                    "persons": _joined(persons),
                    "sources": rec.source,
                }
                first_visit[node][comp] = (rid, persons)
                continue
            seen = revisits.setdefault(node, {}).get(comp)
            if seen is None:
                first, first_persons = first_visit[node][comp]
                seen = revisits[node][comp] = ([first], first_persons)
            seen[0].append(rid)
            seen[1].extend(persons)
        comp_code.setdefault(cnode, rec.stock_code or "")
        if rec.company:
            comp_names[cnode][rec.company] += 1
        if rec.short_name:
            comp_short[cnode].add((d, rec.short_name))
        comp_records[cnode] += 1

    for node, seen_by_comp in revisits.items():
        for comp, (rids, persons) in seen_by_comp.items():
            links[node][comp] = _revisited_attrs([used[i] for i in rids], persons)
    names.fill_members()
    G = nx.Graph(level=level, records=len(used), unresolved_rows=unresolved)
    for node in sorted(range(len(infos)), key=names.node_ids.__getitem__):
        info = infos[node]
        G.add_node(
            names.node_ids[node],
            bipartite=0,
            label=info.label,
            type=info.majority_type(),
            group=info.group,
            institution_id=info.institution_id,
            **({"members": len(info.member_types)} if level == "group" else {}),
        )
    for cnode in sorted(comp_records):
        names_seen = comp_names[cnode]
        full = min(names_seen, key=lambda n: (-names_seen[n], n)) if names_seen else ""
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
    _add_edges(G, names.node_ids, list(company_number), links)
    return G


def _joined(persons: list[str]) -> str:
    """The distinct persons, sorted and ;-joined."""
    if len(persons) < 2:
        return persons[0] if persons else ""
    return ";".join(sorted(set(persons)))


def _revisited_attrs(recs: list[_Rec], persons: list[str]) -> _Attrs:
    """The attributes of an edge visited in each of ``recs``, its rows naming ``persons``."""
    dates = sorted({r.date for r in recs} - {""})
    return {
        "visits": len(recs),
        "first_date": dates[0] if dates else "",
        "last_date": dates[-1] if dates else "",
        "dates": ";".join(dates),
        "activity_types": ";".join(sorted({t for r in recs for t in r.types})),
        "persons": _joined(persons),
        "sources": ";".join(sorted({r.source for r in recs})),
    }


def _add_edges(G: nx.Graph, node_ids: list[str], cnode_ids: list[str], links: list[dict[int, _Attrs]]) -> None:
    """Add the edges ``links`` (node number -> company number -> attributes) to ``G``, which has
    all their nodes, in sorted order."""
    # every edge is new: the attribute dicts go straight into the adjacency (what add_edges_from
    # does, less its per-edge checks and dict copy: ~1 s on a year)
    adj = G._adj
    company_adj = [adj.get(cnode, {}) for cnode in cnode_ids]
    for node, comps in _edge_runs(node_ids, cnode_ids, links):
        inode = node_ids[node]
        inst_adj = adj[inode]
        nbrs = links[node]
        for comp in comps:
            inst_adj[cnode_ids[comp]] = company_adj[comp][inode] = nbrs[comp]


def _edge_runs(
    node_ids: list[str], cnode_ids: list[str], links: list[dict[int, _Attrs]]
) -> Iterator[tuple[int, list[int]]]:
    """(node, its companies) in (institution id, company id) order."""
    for node in sorted(range(len(node_ids)), key=node_ids.__getitem__):
        yield node, sorted(links[node], key=cnode_ids.__getitem__)


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
