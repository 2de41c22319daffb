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
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from itertools import islice, pairwise
from operator import itemgetter
from typing import Any, TypeVar

import networkx as nx
import numpy as np
import scipy.sparse as sp

from irgraph._io import collector_paused
from irgraph.errors import OptionError
from irgraph.models import Match, Record, Resolution

__all__ = [
    "EDGE_ATTRIBUTES",
    "LEVELS",
    "GraphColumns",
    "GraphRows",
    "build_graph",
    "check_date_range",
    "company_nodes",
    "graph_columns",
    "graph_rows",
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


def check_date_range(since: str | None, until: str | None) -> tuple[str | None, str | None]:
    """``since`` and ``until`` as ISO dates; :class:`OptionError` when one is no date or ``since``
    is after ``until`` (callers check before long work)."""
    since = _check_date(since, "since")
    until = _check_date(until, "until")
    if since and until and since > until:
        raise OptionError(f"since ({since}) is after until ({until})")
    return since, until


def _record_date(rec: Record) -> str | None:
    """The record's date: its first (ISO) date, or None when it has none."""
    return rec.dates[0] if rec.dates else None


@dataclass(frozen=True, eq=False)
class GraphRows:
    """What :func:`build_graph` takes from the records (:func:`graph_rows`), as plain columns.

    One entry per record that can give edges (an ``ir_record`` without an error, with a stock code
    or a company name and at least one institution row), in input order, and one per institution
    row (``Record.institution_rows``) of those records, in record and document order: record ``k``'s
    rows are ``row_start[k]:row_start[k + 1]``. ``names`` are the distinct raw names, first seen
    first; ``row_name`` indexes them.
    """

    company_node: list[str]  # "c:" + stock code, or company name when there is no code
    code: list[str]  # "" when none
    company: list[str | None]
    short_name: list[str | None]
    date: list[str | None]
    types: list[tuple[str, ...] | None]
    source: list[str]
    row_start: np.ndarray
    names: list[str]
    row_name: np.ndarray
    row_person: list[str | None]


def graph_rows(records: Iterable[Record]) -> GraphRows:
    """The :class:`GraphRows` of ``records``: all :func:`build_graph` needs of them (a build makes
    them while the resolution runs, and lets the records go)."""
    company_node: list[str] = []
    code: list[str] = []
    company: list[str | None] = []
    short_name: list[str | None] = []
    date: list[str | None] = []
    types: list[tuple[str, ...] | None] = []
    source: list[str] = []
    row_start = [0]
    name_code: dict[str, int] = {}
    number = name_code.setdefault
    row_name: list[int] = []
    row_person: list[str | None] = []
    for rec in records:
        if rec.kind != "ir_record" or rec.error or not (rec.stock_code or rec.company):
            continue
        rows = rec.institution_rows
        if not rows:
            continue
        company_node.append("c:" + (rec.stock_code or rec.company or ""))
        code.append(rec.stock_code or "")
        company.append(rec.company)
        short_name.append(rec.short_name)
        date.append(_record_date(rec))
        types.append(rec.activity_types)
        source.append(rec.source)
        row_name += [number(a.institution, len(name_code)) for a in rows]
        row_person += [a.person for a in rows]
        row_start.append(len(row_name))
    return GraphRows(company_node, code, company, short_name, date, types, source,
                     np.array(row_start, dtype=np.int64), list(name_code), np.array(row_name, dtype=np.int64),
                     row_person)


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
    records: Iterable[Record] | GraphRows,
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
    return graph_columns(records, resolution, level=level, since=since, until=until, types=types).to_graph()


# what a raw name stands for: an institution node's number, or one of these
_UNRESOLVED = -1  # the resolution does not know the name
_SKIPPED = -2  # generic, or resolved to no institution_id


class _Names:
    """Raw attendee names resolved once each into institution node numbers (in the order :meth:`add`
    is called: first seen, first)."""

    def __init__(self, resolution: Resolution, level: str) -> None:
        self.resolution = resolution
        self.level = level
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
        """Resolve ``raw`` (not seen before): its node number, _UNRESOLVED or _SKIPPED; a new node gets
        an _Inst."""
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
_T = TypeVar("_T")


def _kept(date: str | None, types: tuple[str, ...] | None, since: str | None, until: str | None,
          type_set: frozenset[str] | None) -> bool:
    """Does a record of this date and these activity types pass the date and type filters?"""
    if (since or until) and date is None:
        return False
    if since and date < since:  # type: ignore[operator]
        return False
    if until and date > until:  # type: ignore[operator]
        return False
    if type_set is None:
        return True
    return types is not None and any(t in type_set for t in types)


#: The attributes of every edge, in their order in its attribute dict.
EDGE_ATTRIBUTES = ("visits", "first_date", "last_date", "dates", "activity_types", "persons", "sources")


@dataclass(frozen=True, eq=False)
class GraphColumns:
    """The graph :func:`build_graph` makes, as columns (:func:`graph_columns`): what the reports, the
    explorer and the graph files read, without a networkx graph's million Python objects.

    ``nodes`` are the node ids in the graph's order (institutions sorted, then companies sorted), the
    first ``n_institutions`` of them institutions; ``node_attrs`` their attribute dicts. Edge ``k``
    joins ``nodes[source[k]]`` (an institution) and ``nodes[target[k]]`` (a company); edges come
    sorted by (source, target), the order of ``G.edges``. Its ``visits`` are ``visits[k]``, and each
    other attribute ``a`` of :data:`EDGE_ATTRIBUTES` is ``values[codes[k]]`` of ``text[a] = (codes,
    values)``. ``graph`` is ``G.graph``. Read-only: consumers never change them.
    """

    graph: dict[str, Any]
    nodes: list[str]
    n_institutions: int
    node_attrs: list[dict[str, str | int]]
    source: np.ndarray
    target: np.ndarray
    visits: np.ndarray
    text: dict[str, tuple[np.ndarray, list[str]]]

    @property
    def n_nodes(self) -> int:
        return len(self.nodes)

    @property
    def n_edges(self) -> int:
        return len(self.source)

    def edge_texts(self, name: str, edges: Sequence[int] | None = None) -> list[str]:
        """The attribute ``name`` (not ``visits``) of each edge, or of the edges numbered ``edges``."""
        codes, values = self.text[name]
        return _take(values, (codes if edges is None else codes[np.asarray(edges, dtype=np.int64)]).tolist())

    def edge_attrs(self, k: int) -> dict[str, str | int]:
        """The attribute dict of edge ``k``, as the graph holds it."""
        out: dict[str, str | int] = {"visits": int(self.visits[k])}
        for name in EDGE_ATTRIBUTES[1:]:
            codes, values = self.text[name]
            out[name] = values[codes[k]]
        return out

    def to_graph(self) -> nx.Graph:
        """The networkx graph: what :func:`build_graph` gives (same nodes, edges, attributes and order)."""
        with collector_paused():
            G = nx.Graph(**self.graph)
            G.add_nodes_from(zip(self.nodes, self.node_attrs, strict=True))
            if not self.n_edges:
                return G
            columns = [self.visits.tolist(), *(self.edge_texts(name) for name in EDGE_ATTRIBUTES[1:])]
            attrs = [{"visits": v, "first_date": f, "last_date": la, "dates": d, "activity_types": t, "persons": p,
                      "sources": s} for v, f, la, d, t, p, s in zip(*columns, strict=True)]  # (EDGE_ATTRIBUTES)
            # every edge is new: the attribute dicts go straight into the adjacency (what add_edges_from
            # does, less its per-edge checks and dict copy: ~1 s on a year); an institution's
            # neighbours (consecutive edges) in one update
            adj = G._adj
            inst, comp = self.source, self.target
            comp_list, nodes = comp.tolist(), self.nodes
            run = np.flatnonzero(np.concatenate(([True], inst[1:] != inst[:-1])))
            pairs = zip(_take(nodes, comp_list), attrs, strict=True)
            for u, n in zip(_take(nodes, inst[run].tolist()), np.diff(np.append(run, len(inst))).tolist(),
                            strict=True):
                adj[u].update(islice(pairs, n))
            node_adj = [adj[u] for u in nodes]
            for i, c, a in zip(_take(nodes, inst.tolist()), comp_list, attrs, strict=True):
                node_adj[c][i] = a
            return G


def graph_columns(
    records: Iterable[Record] | GraphRows,
    resolution: Resolution,
    *,
    level: str = "entity",
    since: str | None = None,
    until: str | None = None,
    types: Iterable[str] | None = None,
) -> GraphColumns:
    """The :class:`GraphColumns` of the graph :func:`build_graph` makes of the same arguments
    (``graph_columns(...).to_graph()`` is that graph)."""
    if level not in LEVELS:
        raise OptionError(f"level must be one of {', '.join(LEVELS)}, not {level!r}")
    since, until = check_date_range(since, until)
    type_set = None if types is None else frozenset([types] if isinstance(types, str) else types)
    with collector_paused():  # ~1M small containers and no cycles
        rows = records if isinstance(records, GraphRows) else graph_rows(records)
        return _build(rows, resolution, level, since, until, type_set)


def _build(
    rows: GraphRows,
    resolution: Resolution,
    level: str,
    since: str | None,
    until: str | None,
    type_set: frozenset[str] | None,
) -> GraphColumns:
    n_rec = len(rows.source)
    row_rec = np.repeat(np.arange(n_rec, dtype=np.int64), np.diff(rows.row_start))
    kept = np.fromiter((_kept(d, t, since, until, type_set) for d, t in zip(rows.date, rows.types, strict=True)),
                       dtype=bool, count=n_rec)
    kept_rows = np.arange(len(row_rec)) if kept.all() else np.flatnonzero(kept[row_rec])
    row_name = rows.row_name[kept_rows]
    # raw names resolved into node numbers in the order they are first seen (nodes and their
    # first match made as a record-by-record pass would make them)
    names = _Names(resolution, level)
    name_node = np.full(len(rows.names), _UNRESOLVED, dtype=np.int64)
    seen, first = np.unique(row_name, return_index=True)
    for k in seen[np.argsort(first, kind="stable")].tolist():
        name_node[k] = names.add(rows.names[k])
    row_node = name_node[row_name]
    unresolved = int(np.count_nonzero(row_node == _UNRESOLVED))
    valid = row_node >= 0
    vrows, vnode = kept_rows[valid], row_node[valid]
    vrec = row_rec[vrows]
    if level == "group":
        _count_members(names, rows, vrows, vrec)
    names.fill_members()

    # companies, in the order their records come
    used = np.unique(vrec).tolist()  # the records that give an edge
    company_number: dict[str, int] = {}
    comp_of_rec = np.full(n_rec, -1, dtype=np.int64)
    comp_code: dict[str, str] = {}
    comp_names: dict[str, Counter[str]] = defaultdict(Counter)
    comp_short: dict[str, set[tuple[str, str]]] = defaultdict(set)
    comp_records: dict[str, int] = defaultdict(int)
    dates = ["" if d is None else d for d in rows.date]
    for r in used:
        cnode = rows.company_node[r]
        comp_of_rec[r] = company_number.setdefault(cnode, len(company_number))
        comp_code.setdefault(cnode, rows.code[r])
        if rows.company[r]:
            comp_names[cnode][rows.company[r]] += 1  # type: ignore[index]
        if rows.short_name[r]:
            comp_short[cnode].add((dates[r], rows.short_name[r]))  # type: ignore[arg-type]
        comp_records[cnode] += 1

    infos = names.infos
    inst_order = sorted(range(len(infos)), key=names.node_ids.__getitem__)
    node_ids = [names.node_ids[node] for node in inst_order]
    node_attrs: list[dict[str, str | int]] = []
    for node in inst_order:
        info = infos[node]
        attrs: dict[str, str | int] = {"bipartite": 0, "label": info.label, "type": info.majority_type(),
                                       "group": info.group, "institution_id": info.institution_id}
        if level == "group":
            attrs["members"] = len(info.member_types)
        node_attrs.append(attrs)
    for cnode in sorted(comp_records):
        names_seen = comp_names[cnode]
        full = min(names_seen, key=lambda n: (-names_seen[n], n)) if names_seen else ""
        # latest record's short name (companies get renamed); ties alphabetical
        shorts = comp_short[cnode]
        short = max(shorts, key=lambda ds: (ds[0], ds[1]))[1] if shorts else ""
        node_ids.append(cnode)
        node_attrs.append({"bipartite": 1, "label": short or full or comp_code[cnode] or cnode[2:],
                           "code": comp_code[cnode], "company": full, "records": comp_records[cnode]})
    graph = {"level": level, "records": len(used), "unresolved_rows": unresolved}
    source, target, visits, text = _edge_columns(rows, names.node_ids, list(company_number), vrows, vnode,
                                                 comp_of_rec[vrec], vrec, dates)
    return GraphColumns(graph, node_ids, len(infos), node_attrs, source, target, visits, text)


def _count_members(names: _Names, rows: GraphRows, vrows: np.ndarray, vrec: np.ndarray) -> None:
    """Group level: count each member institution once per record, in the slot of its first row there."""
    member_of, last_record = names.member, names.last_record
    slot_visits, slot_match = names.slot_visits, names.slot_match
    raw = rows.names
    for name, rec in zip(rows.row_name[vrows].tolist(), vrec.tolist(), strict=True):
        number, slot, m = member_of[raw[name]]
        if last_record[number] != rec:  # the member's first row in this record
            last_record[number] = rec
            slot_visits[slot] += 1
            slot_match[slot] = m


def _rank(ids: list[str]) -> np.ndarray:
    """Each id's place among the ids sorted."""
    out = np.empty(len(ids), dtype=np.int64)
    out[sorted(range(len(ids)), key=ids.__getitem__)] = np.arange(len(ids))
    return out


def _edge_columns(
    rows: GraphRows, node_ids: list[str], cnode_ids: list[str], vrows: np.ndarray, vnode: np.ndarray,
    vcomp: np.ndarray, vrec: np.ndarray, dates: list[str],
) -> tuple[np.ndarray, np.ndarray, np.ndarray, dict[str, tuple[np.ndarray, list[str]]]]:
    """(source, target, visits, text) of :class:`GraphColumns`: an edge per (institution node, company)
    of the rows given (row numbers ``vrows``, their node, company and record numbers), in sorted order."""
    n_inst = len(node_ids)
    inst_rank, comp_rank = _rank(node_ids), _rank(cnode_ids)
    key = inst_rank[vnode] * len(cnode_ids) + comp_rank[vcomp]
    order = np.argsort(key, kind="stable")  # edges in sorted order; an edge's rows stay in input order
    key = key[order]
    starts = np.flatnonzero(np.concatenate(([True], key[1:] != key[:-1]))) if len(key) else np.zeros(0, np.int64)
    ends = np.append(starts[1:], len(key)) if len(key) else starts
    srec, srow = vrec[order], vrows[order]
    first = order[starts]
    source = inst_rank[vnode[first]]
    target = comp_rank[vcomp[first]] + n_inst
    first_rec = srec[starts]
    # the persons of each edge: most edges have one row (the rows of the others are read for them only)
    persons = [p or "" for p in _take(rows.row_person, srow[starts].tolist())]
    several = np.flatnonzero(ends - starts > 1)
    named = _take(rows.row_person, srow[_spans(starts, ends, several)].tolist())
    for k, (lo, hi) in zip(several.tolist(), pairwise(_bounds(ends - starts, several)), strict=True):
        persons[k] = _joined(named[lo:hi])
    # an edge visited once takes its record's texts (record r's are at r), one visited more its own
    n_rec = len(rows.source)
    types, sources = rows.types, rows.source
    acts = [""] * n_rec
    for r in np.unique(first_rec).tolist():
        t = types[r]
        acts[r] = ";".join(sorted(set(t))) if t else ""
    columns = {"first_date": list(dates), "last_date": list(dates), "dates": list(dates), "activity_types": acts,
               "sources": list(sources)}
    codes = {name: first_rec.copy() for name in columns}
    visits = np.ones(len(starts), dtype=np.int64)
    again = np.flatnonzero(first_rec != srec[ends - 1])  # edges visited more than once
    recs_of = srec[_spans(starts, ends, again)].tolist()
    counts: list[int] = []
    own: dict[str, list[str]] = {name: [] for name in columns}
    for lo, hi in pairwise(_bounds(ends - starts, again)):
        recs = set(recs_of[lo:hi])
        edge_dates = sorted({dates[x] for x in recs} - {""})
        counts.append(len(recs))
        own["first_date"].append(edge_dates[0] if edge_dates else "")
        own["last_date"].append(edge_dates[-1] if edge_dates else "")
        own["dates"].append(";".join(edge_dates))
        own["activity_types"].append(";".join(sorted({t for x in recs for t in types[x] or ()})))
        own["sources"].append(";".join(sorted({sources[x] for x in recs})))
    visits[again] = counts
    for name, values in own.items():
        codes[name][again] = np.arange(len(columns[name]), len(columns[name]) + len(values))
        columns[name] += values
    text = {name: (codes[name], columns[name]) for name in columns}
    text["persons"] = (np.arange(len(persons), dtype=np.int64), persons)
    return source, target, visits, {name: text[name] for name in EDGE_ATTRIBUTES[1:]}


def _spans(starts: np.ndarray, ends: np.ndarray, which: np.ndarray) -> np.ndarray:
    """The positions ``starts[k]:ends[k]`` of each ``k`` in ``which``, one after the other."""
    sizes = ends[which] - starts[which]
    offsets = np.cumsum(sizes) - sizes
    return np.repeat(starts[which] - offsets, sizes) + np.arange(int(sizes.sum()))


def _bounds(sizes: np.ndarray, which: np.ndarray) -> list[int]:
    """Where each ``k`` in ``which`` starts in :func:`_spans`' positions, and their end."""
    return [0, *np.cumsum(sizes[which]).tolist()]


def _take(seq: Sequence[_T] | Mapping[int, _T], idx: list[int]) -> list[_T]:
    """``[seq[i] for i in idx]``, in one call."""
    return list(itemgetter(*idx)(seq)) if len(idx) > 1 else [seq[i] for i in idx]


def _joined(persons: list[str | None]) -> str:
    """The distinct persons named (not None or ""), sorted and ;-joined."""
    named = set(persons)
    named.discard(None)
    named.discard("")
    return ";".join(sorted(named))  # type: ignore[arg-type]


def institution_nodes(G: nx.Graph) -> list[str]:
    """Institution node ids (``bipartite == 0``), sorted."""
    return sorted(n for n, b in G.nodes(data="bipartite") if b == 0)


def company_nodes(G: nx.Graph) -> list[str]:
    """Company node ids (``bipartite == 1``), sorted."""
    return sorted(n for n, b in G.nodes(data="bipartite") if b == 1)


def biadjacency(G: nx.Graph | GraphColumns) -> tuple[list[str], list[str], sp.csr_matrix]:
    """(institutions, companies, B): B[i, c] = 1 when institution i visited company c.

    Rows and columns follow the sorted node ids; ``B`` is a CSR matrix of int32. ``G`` may be
    the graph's :class:`GraphColumns`.
    """
    if isinstance(G, GraphColumns):
        n = G.n_institutions
        rows, cols = G.source, G.target - n
        insts, comps = G.nodes[:n], G.nodes[n:]
        B = sp.csr_matrix((np.ones(len(rows), dtype=np.int32), (rows, cols)), shape=(len(insts), len(comps)),
                          dtype=np.int32)
        B.sum_duplicates()
        B.data[:] = 1
        return insts, comps, B
    insts = institution_nodes(G)
    comps = company_nodes(G)
    ci = {n: k for k, n in enumerate(comps)}
    adj = G._adj  # each institution's neighbours (G.edges() per edge was ~0.6 s on a year)
    rows = np.repeat(np.arange(len(insts), dtype=np.int64), [len(adj[u]) for u in insts])
    cols = np.fromiter((ci.get(v, -1) for u in insts for v in adj[u]), dtype=np.int64, count=len(rows))
    keep = cols >= 0  # (an institution-institution edge is no visit)
    rows, cols = rows[keep], cols[keep]
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
