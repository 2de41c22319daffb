"""The offline HTML network explorer (`explorer.html`).

`render_explorer` turns the bipartite attendance graph into one self-contained HTML page:
the vis-network library shipped inside the installed pyvis package is inlined, the graph data
travels as an escaped JSON block, and the UI (search, filters, legend, details panel) is the
plain JS/CSS in ``irgraph/templates``. The page never touches the network, keeps the
vis-network objects as globals ``network``, ``nodes`` and ``edges`` (like pyvis pages) and
renders every name as text, never as HTML.
"""

from __future__ import annotations

import base64
import hashlib
import html
import importlib.util
import json
import math
import re
from collections.abc import Callable, Iterable, Mapping
from datetime import date
from functools import lru_cache
from itertools import compress
from operator import methodcaller
from pathlib import Path
from typing import Any, TypeVar

import networkx as nx
import numpy as np

from ._io import collector_paused
from .errors import IrgraphError
from .graph import GraphColumns

__all__ = ["COMPANY_COLOR", "TYPE_COLORS", "render_explorer", "select_top_nodes", "vis_network_js"]

_TEMPLATES = Path(__file__).resolve().parent / "templates"

#: Fixed colours for the registry's institution types (docs/registry.md), so a type keeps its
#: colour from one build to the next.
TYPE_COLORS: dict[str, str] = {
    "证券公司": "#4e79a7",
    "基金管理公司": "#f28e2b",
    "私募基金": "#e15759",
    "保险公司": "#59a14f",
    "保险资产管理公司": "#8cd17d",
    "养老金管理公司": "#b6992d",
    "资产管理公司": "#edc948",
    "理财公司": "#86bcb6",
    "投资公司": "#b07aa1",
    "信托公司": "#9d7660",
    "银行": "#499894",
    "期货公司": "#d37295",
    "海外机构": "#76b7e0",
    "上市公司": "#ff9d9a",
    "其它": "#a5a5a5",
}
#: Colour of the company side (visited listed companies).
COMPANY_COLOR = "#1f3a5f"
_COMPANY_TYPE = "被调研公司"
_UNKNOWN_TYPE = "其它"
_EXTRA_COLORS = ("#9c755f", "#bcbd22", "#17becf", "#c49c94", "#7f7f7f", "#dbdb8d", "#9edae5", "#c5b0d5")

_NODE_FIELDS = ("id", "label", "side", "type", "sub", "name", "deg", "wdeg", "rs", "rt", "btw", "pr", "shown")
_EDGE_FIELDS = ("a", "b", "visits", "first", "last", "view", "dates", "acts", "persons")

_T = TypeVar("_T")
#: Types whose equal values are the same value (unlike 1 == 1.0 == True): safe to memoise on.
_EXACT_TYPES = frozenset({str, int, type(None)})

_PLACEHOLDER = re.compile(r"/\*@@([A-Z_]+)@@\*/|@@([A-Z_]+)@@")


class ExplorerError(IrgraphError):
    """The explorer page cannot be rendered (e.g. pyvis' vis-network script is missing)."""


@lru_cache(maxsize=1)
def vis_network_js() -> str:
    """The vis-network standalone script bundled with the installed pyvis package."""
    spec = importlib.util.find_spec("pyvis")  # (found, not imported: importing it took ~0.2 s)
    if spec is None or spec.origin is None:  # pragma: no cover - pyvis is a hard dependency
        raise ExplorerError("pyvis is not installed; it provides the vis-network script")
    lib = Path(spec.origin).resolve().parent / "lib"

    def version(p: Path) -> tuple[int, ...]:
        return tuple(int(x) for x in re.findall(r"\d+", p.parent.name))

    candidates = sorted(lib.glob("vis-*/vis-network.min.js"), key=version)
    if not candidates:
        raise ExplorerError(f"no vis-network.min.js under {lib}; reinstall pyvis")
    return _script_safe(candidates[-1].read_text(encoding="utf-8"), candidates[-1].name)


def _script_safe(code: str, name: str) -> str:
    if re.search(r"</script", code, re.IGNORECASE):
        raise ExplorerError(f"{name} contains '</script' and cannot be inlined")
    return code


@lru_cache(maxsize=4)
def _template(name: str) -> str:
    return (_TEMPLATES / name).read_text(encoding="utf-8")


def _json(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def _script_json(text: str) -> str:
    """JSON text that cannot end or confuse the ``<script>`` element it is embedded in."""
    return (
        text.replace("&", "\\u0026")
        .replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
    )


def _split(value: Any) -> list[str]:
    """A ``;``-joined attribute (or a list) as a list of non-empty stripped strings."""
    if value is None:
        return []
    if isinstance(value, str):  # the usual case
        return [s for s in (p.strip() for p in value.split(";")) if s]
    parts = value if isinstance(value, Iterable) else [value]
    out = []
    for p in parts:
        if p is None or (isinstance(p, float) and math.isnan(p)):
            continue
        s = str(p).strip()
        if s:
            out.append(s)
    return out


def _text(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return str(value).strip()


def _int(value: Any, default: int = 0) -> int:
    try:
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return default
        return int(float(value))
    except (TypeError, ValueError):
        return default


def _float(value: Any) -> float | None:
    try:
        f = float(value)
    except (TypeError, ValueError):
        return None
    if math.isnan(f) or math.isinf(f):
        return None
    return float(f"{f:.6g}")


def _iso(value: Any) -> date | None:
    return _iso_str(_text(value)[:10])


@lru_cache(maxsize=8192)
def _iso_str(s: str) -> date | None:
    try:
        return date.fromisoformat(s)
    except ValueError:
        return None


def _company_side(b: Any) -> bool | None:
    """Whether a node's ``bipartite`` value says company (None: it says nothing; the id tells)."""
    if b is not None and str(b) in ("0", "1"):
        return str(b) == "1"
    return None


def _type_name(value: Any) -> str:
    """An institution's type as the explorer shows it."""
    return _text(value) or _UNKNOWN_TYPE


def _side_stats(
    nodes: list[Any], attrs: list[Mapping[str, Any]], centrality: Any, degrees: list[int],
    weighted_degrees: Callable[[], list[int]],
) -> tuple[dict[str, dict[str, Any]], dict[str, str]]:
    """Per stat (deg, wdeg, rs, rt, btw, pr) its value for each node id; and each node's type.

    Degree, weighted degree, rank in side and in type, betweenness, pagerank: from the table
    when it has them. ``nodes`` are the graph's nodes (``G.nodes``), ``attrs`` their attribute dicts,
    ``degrees`` their degrees (``G.degree``), in that order; ``weighted_degrees()`` gives each node's
    weighted degree in that order; it is called only when the table leaves some of them out.
    """
    ids = list(map(str, nodes))
    sides = _memo_map(list(map(methodcaller("get", "bipartite"), attrs)), _company_side)
    comp = [str(n).startswith("c:") if side is None else side for n, side in zip(nodes, sides, strict=True)]
    inst = list(compress(attrs, [not c for c in comp]))
    kinds = iter(_memo_map(list(map(methodcaller("get", "type"), inst)), _type_name))
    types = dict(zip(ids, [_COMPANY_TYPE if c else next(kinds) for c in comp], strict=True))
    deg = dict(zip(ids, degrees, strict=True))
    stats: dict[str, dict[str, Any]] = {"deg": deg} | {k: dict.fromkeys(deg) for k in ("wdeg", "btw", "pr", "rs", "rt")}
    if centrality is not None and len(centrality) and "node_id" in set(centrality.columns):
        _table_stats(stats, centrality)
    wdeg = stats["wdeg"]
    if any(w is None for w in wdeg.values()):  # weighted degrees the table did not give
        for n, w in zip(nodes, weighted_degrees(), strict=True):
            nid = str(n)
            if wdeg[nid] is None:
                wdeg[nid] = w
    # Ranks not given by the table: by degree, then weighted degree, then id (1 = highest).
    by_side: dict[bool, list[str]] = {True: [], False: []}
    by_type: dict[tuple[bool, str], list[str]] = {}
    for nid in ids:
        comp = types[nid] == _COMPANY_TYPE
        by_side[comp].append(nid)
        by_type.setdefault((comp, types[nid]), []).append(nid)

    def fill(ranks: dict[str, Any], groups: Iterable[list[str]]) -> None:
        for ids in groups:
            if all(ranks[i] is not None for i in ids):
                continue
            for rank, nid in enumerate(sorted(ids, key=lambda i: (-deg[i], -wdeg[i], i)), 1):
                if ranks[nid] is None:
                    ranks[nid] = rank

    fill(stats["rs"], by_side.values())
    fill(stats["rt"], by_type.values())
    return stats, types


#: The table's columns read into the node stats: (stat, column, kept when not a number).
_TABLE_FIELDS = (
    ("deg", "degree", False),
    ("wdeg", "weighted_degree", False),
    ("btw", "betweenness", True),
    ("pr", "pagerank", True),
    ("rs", "rank_in_side", False),
    ("rt", "rank_in_type", False),
)


def _table_stats(stats: dict[str, dict[str, Any]], centrality: Any) -> None:
    """Take the stats the centrality table gives (a later row for a node wins, stat by stat).

    The values are those of ``centrality.to_dict("records")`` (a repeated column name means
    its last column), which is slow to make: a column's plain values give the same numbers,
    and the same ids when they are all strings.
    """
    column_at = {name: k for k, name in enumerate(centrality.columns)}
    raw_ids = centrality.iloc[:, column_at["node_id"]].tolist()
    if set(map(type, raw_ids)) != {str}:  # missing or odd ids: as the records give them
        raw_ids = [row["node_id"] for row in centrality.loc[:, centrality.columns == "node_id"].to_dict("records")]
    ids = _memo_map(raw_ids, _text)
    known = [nid in stats["deg"] for nid in ids]
    for key, col, keep_none in _TABLE_FIELDS:
        if col not in column_at:
            continue
        raw = centrality.iloc[:, column_at[col]].tolist()
        values = _floats(raw) if keep_none else _counts(raw)
        take = known if keep_none else [k and v is not None for k, v in zip(known, values, strict=True)]
        stats[key].update(compress(zip(ids, values, strict=True), take))


def _floats(values: list[Any]) -> list[float | None]:
    """``_float`` of each value."""
    if set(map(type, values)) == {float}:
        return [float(f"{v:.6g}") if v - v == 0 else None for v in values]  # v - v: nan for nan, inf
    return list(map(_float, values))


def _counts(values: list[Any]) -> list[int | None]:
    """``_int`` of each value that is a finite number (``_float`` not None), else None."""
    if set(map(type, values)) == {int} and min(values) >= -(2**53) and max(values) <= 2**53:
        return values  # exact as floats: _int gives the value itself
    return [None if _float(v) is None else _int(v) for v in values]


def select_top_nodes(
    degrees: Mapping[str, tuple[int, int]], companies: set[str], top_n: int
) -> list[str]:
    """The ``top_n`` node ids by degree (then weighted degree, then id), sorted by id.

    Each side keeps at least a quarter of the places (when it has that many nodes), so the
    default view of a bipartite graph always shows edges even when one side's degrees dominate.
    """
    if top_n <= 0:
        return []
    ids = sorted(degrees, key=lambda i: (-degrees[i][0], -degrees[i][1], i))
    if len(ids) <= top_n:
        return sorted(ids)
    chosen = ids[:top_n]
    reserve = top_n // 4
    for want_company in (True, False):
        have = [i for i in chosen if (i in companies) == want_company]
        if len(have) >= reserve:
            continue
        extra = [i for i in ids[top_n:] if (i in companies) == want_company][: reserve - len(have)]
        if not extra:
            continue
        # Drop the weakest nodes of the other side to make room.
        others = [i for i in reversed(chosen) if (i in companies) != want_company][: len(extra)]
        drop = set(others)
        chosen = [i for i in chosen if i not in drop] + extra
    return sorted(chosen)


def render_explorer(
    G: nx.Graph | GraphColumns,
    centrality: Any = None,
    *,
    top_n: int = 300,
    title: str = "irgraph explorer",
    max_edges: int | None = 3000,
    detail_limit: int = 50,
    hidden_limit: int = 5,
) -> str:
    """Render the explorer page for the bipartite attendance graph ``G``.

    ``centrality`` is the optional `report.centrality` DataFrame (degree, ranks, betweenness,
    pagerank per ``node_id``); without it degrees and ranks are computed here. The default
    view shows the ``top_n`` nodes by degree and the edges among them; every node stays
    searchable. Of the edges among the shown nodes the view draws the ``max_edges`` strongest
    (by visits, then latest date; None = all), and every shown node keeps its strongest edge.
    Details travel for the strongest ``detail_limit`` edges of each shown node (with dates and
    persons) and the strongest ``hidden_limit`` edges of each hidden node (visits, first/last date).
    The result is deterministic: the same graph gives the same string. ``G`` may be the graph's
    :class:`irgraph.graph.GraphColumns` (the same page).
    """
    with collector_paused():  # ~10^5 lists and tuples, no cycles: no collector passes over the heap
        return _render(G, centrality, top_n=top_n, title=title, max_edges=max_edges,
                       detail_limit=detail_limit, hidden_limit=hidden_limit)


def _render(
    G: nx.Graph | GraphColumns,
    centrality: Any,
    *,
    top_n: int,
    title: str,
    max_edges: int | None,
    detail_limit: int,
    hidden_limit: int,
) -> str:
    """`render_explorer`'s work."""
    # the edges: their ends (positions in nodes), an attribute of some of them (edge_field: the
    # values G.edges' dicts hold, None when missing), every edge's visits, and the sort codes of
    # their visits and last dates (_sort_codes)
    edge_field: Callable[[str, list[int]], list[Any]]
    all_visits: Callable[[], list[Any]]
    if isinstance(G, GraphColumns):
        C = G
        nodes, node_attr_list = C.nodes, C.node_attrs
        eu, ev = C.source, C.target

        def edge_field(name: str, eids: list[int]) -> list[Any]:
            return C.visits[np.asarray(eids, dtype=np.int64)].tolist() if name == "visits" else C.edge_texts(name, eids)

        all_visits = C.visits.tolist
        last_codes, last_values = C.text["last_date"]

        def sort_codes() -> tuple[tuple[np.ndarray, int], tuple[np.ndarray, int]]:
            return (_code_sort_codes(C.visits, _neg_visits),
                    _code_sort_codes(last_codes, lambda c: _neg_last(last_values[c])))

        n_nodes, n_edges = C.n_nodes, C.n_edges
    else:
        nodes, node_attr_list = list(G.nodes), list(G.nodes.values())
        pos = {n: k for k, n in enumerate(nodes)}
        eu, ev, edges, raw_visits, raw_last = _edge_table(G, pos)

        def edge_field(name: str, eids: list[int]) -> list[Any]:
            column = raw_visits if name == "visits" else raw_last if name == "last_date" else None
            return [edges[e].get(name) for e in eids] if column is None else [column[e] for e in eids]

        def all_visits() -> list[Any]:
            return raw_visits

        def sort_codes() -> tuple[tuple[np.ndarray, int], tuple[np.ndarray, int]]:
            return _sort_codes(raw_visits, _neg_visits), _sort_codes(raw_last, _neg_last)

        n_nodes, n_edges = G.number_of_nodes(), G.number_of_edges()
    degrees = (np.bincount(eu, minlength=len(nodes)) + np.bincount(ev, minlength=len(nodes))).tolist()
    stats, types = _side_stats(
        nodes, node_attr_list, centrality, degrees,
        lambda: _weighted_degrees(eu, ev, _memo_map(all_visits(), _visits), len(nodes)),
    )
    node_ids = sorted(types, key=lambda i: (types[i] == _COMPANY_TYPE, i))
    companies = {i for i in node_ids if types[i] == _COMPANY_TYPE}
    degrees = {i: (stats["deg"][i], stats["wdeg"][i]) for i in node_ids}
    shown = set(select_top_nodes(degrees, companies, top_n))
    index = {nid: k for k, nid in enumerate(node_ids)}
    by_id = {str(n): n for n in nodes}
    # the node an id stands for when ids repeat (str(1) == str("1")): the last one
    canonical = np.fromiter((by_id[str(n)] is n for n in nodes), dtype=bool, count=len(nodes))

    # Institution types: the registry's order first, then any other type by name.
    present = {types[i] for i in node_ids if i not in companies}
    type_names = [t for t in TYPE_COLORS if t in present] + sorted(present - set(TYPE_COLORS))
    type_list = []
    extra = 0
    for t in type_names:
        color = TYPE_COLORS.get(t)
        if color is None:
            color = _EXTRA_COLORS[extra % len(_EXTRA_COLORS)]
            extra += 1
        type_list.append({"name": t, "color": color, "company": False})
    type_list.append({"name": _COMPANY_TYPE, "color": COMPANY_COLOR, "company": True})
    type_index = {t["name"]: k for k, t in enumerate(type_list)}
    type_counts = [0] * len(type_list)
    for i in node_ids:
        type_counts[type_index[types[i]]] += 1
    for t, c in zip(type_list, type_counts, strict=True):
        t["count"] = c

    # Which edges travel, and with how much detail: the view's edges (strongest first, but every
    # shown node keeps its strongest edge), the top edges of each shown node with dates and
    # persons, and a compact top list for each hidden node. A node is its index in node_ids; an
    # edge is the code k0 * n_ids + k1 of its key (k0, k1): (institution, company), or the two
    # ids in order for an edge within one side. Codes sort like (index[k0], index[k1]).
    n_ids = len(node_ids)
    srank = np.empty(n_ids, dtype=np.int64)  # rank of each id in plain string order
    srank[sorted(range(n_ids), key=node_ids.__getitem__)] = np.arange(n_ids)
    is_comp = np.fromiter((i in companies for i in node_ids), dtype=bool, count=n_ids)
    is_shown = np.fromiter((i in shown for i in node_ids), dtype=bool, count=n_ids)
    to_id = np.fromiter((index[str(n)] for n in nodes), dtype=np.int64, count=len(nodes))
    a, b = to_id[eu], to_id[ev]
    a_first = np.where(is_comp[a] != is_comp[b], ~is_comp[a], srank[a] <= srank[b])
    key = edge_key = np.where(a_first, a * n_ids + b, b * n_ids + a)  # edge_key: per edge of eu, ev
    (vcode, n_vcodes), (dcode, n_dcodes) = sort_codes()
    # each edge listed at both ends (once when its ends are one id), as (node, other end)
    two = a != b
    a, b = np.concatenate([a, b[two]]), np.concatenate([b, a[two]])
    key, vcode, dcode = (np.concatenate([x, x[two]]) for x in (key, vcode, dcode))
    # each node's edges: most visits, then latest date, then the other end's id
    order = _argsort_by([(a, n_ids), (vcode, n_vcodes), (dcode, n_dcodes), (srank[b], n_ids)])
    a, b, key, vcode, dcode = a[order], b[order], key[order], vcode[order], dcode[order]
    sizes = np.bincount(a, minlength=n_ids)
    place = np.arange(len(a)) - (np.cumsum(sizes) - sizes)[a]  # 0 = the node's strongest edge
    head = np.where(is_shown, _head_sizes(detail_limit, sizes), _head_sizes(hidden_limit, sizes))
    top = place < head[a]
    from_shown = is_shown[a]
    among = from_shown & is_shown[b]
    seeds = set(key[among][np.unique(a[among], return_index=True)[1]].tolist())
    mine = among & (key // n_ids == a)  # each edge among shown nodes once, from its key's first end
    k0, k1 = np.divmod(key[mine], n_ids)
    inner = sorted(  # by visits, then latest date, then "k0\x00k1", then (k0, k1) as text
        zip(
            vcode[mine].tolist(),
            dcode[mine].tolist(),
            ["\x00".join((node_ids[x], node_ids[y])) for x, y in zip(k0.tolist(), k1.tolist(), strict=True)],
            srank[k0].tolist(),
            srank[k1].tolist(),
            key[mine].tolist(),
            strict=True,
        )
    )
    view = set(seeds)
    limit = len(inner) if max_edges is None else max(max_edges, len(seeds))
    for *_, code in inner:
        if len(view) >= limit:
            break
        view.add(code)
    view_codes = np.fromiter(view, dtype=np.int64, count=len(view))
    # the travelling edges: each node's top list and the view; detailed if a shown node's or the view's
    edge_codes, which = np.unique(np.concatenate([key[top], view_codes]), return_inverse=True)
    detail_votes = np.concatenate([from_shown[top], np.ones(len(view_codes), dtype=bool)])
    is_detailed = (np.bincount(which, weights=detail_votes, minlength=len(edge_codes)) > 0).tolist()
    in_view = np.isin(edge_codes, view_codes).tolist()
    k0s, k1s = (x.tolist() for x in np.divmod(edge_codes, n_ids))

    eids = _edge_ids(edge_codes, edge_key, canonical[eu] & canonical[ev])
    firsts = _memo_map(edge_field("first_date", eids), _iso)
    lasts = _memo_map(edge_field("last_date", eids), _iso)
    # an edge's sorted dates: for the detailed rows, and for a missing first or last date
    need = [k for k, det in enumerate(is_detailed) if det or firsts[k] is None or lasts[k] is None]
    edge_dates = dict(zip(need, _memo_map(edge_field("dates", [eids[k] for k in need]), _date_list), strict=True))
    for k, dates in edge_dates.items():
        if firsts[k] is None and dates:
            firsts[k] = dates[0]
        if lasts[k] is None and dates:
            lasts[k] = dates[-1]
    all_dates = {x for x in firsts if x is not None} | {x for x in lasts if x is not None}
    day0 = min(all_dates) if all_dates else None
    for dates in edge_dates.values():
        all_dates.update(dates)
    day = {x: str((x - day0).days) for x in all_dates} if day0 is not None else {}  # offsets as JSON

    # The rows as JSON text right away (numbers, null and strings as json.dumps writes them).
    visits = _memo_map(edge_field("visits", eids), _visits)
    detail = [k for k, det in enumerate(is_detailed) if det]
    detail_eids = [eids[k] for k in detail]
    acts = dict(zip(detail, _memo_map(edge_field("activity_types", detail_eids), _joined_json), strict=True))
    persons = dict(zip(detail, _memo_map(edge_field("persons", detail_eids), _joined_json), strict=True))
    edge_rows: list[str] = []
    for k, (x, y, nv, first, last, shown_edge) in enumerate(zip(k0s, k1s, visits, firsts, lasts, in_view, strict=True)):
        row = f"[{x},{y},{nv},{day.get(first, 'null')},{day.get(last, 'null')},{1 if shown_edge else 0}"
        if is_detailed[k]:  # compact rows end here (the page reads missing fields as null)
            row += f",[{','.join(map(day.__getitem__, edge_dates[k]))}],{acts[k]},{persons[k]}"
        edge_rows.append(row + "]")

    node_rows = []
    deg, wdeg, rs, rt, btw, pr = (stats[k] for k in ("deg", "wdeg", "rs", "rt", "btw", "pr"))
    node_attrs = dict(zip(nodes, node_attr_list, strict=True))
    for nid in node_ids:
        attrs = node_attrs[by_id[nid]]
        comp = nid in companies
        label = _text(attrs.get("label")) or (_text(attrs.get("company")) if comp else "") or nid
        if comp:
            sub = _text(attrs.get("code"))
            name = _text(attrs.get("company"))
        else:
            sub = _text(attrs.get("group"))
            name = _text(attrs.get("name") or attrs.get("institution"))
        node_rows.append(
            [
                nid,
                label,
                1 if comp else 0,
                type_index[types[nid]],
                sub,
                "" if name == label else name,
                deg[nid],
                wdeg[nid],
                rs[nid],
                rt[nid],
                btw[nid],
                pr[nid],
                1 if nid in shown else 0,
            ]
        )

    n_inst = n_nodes - len(companies)
    shown_edges = len(view)
    data = {
        "meta": {
            "title": title,
            "n_nodes": n_nodes,
            "n_edges": n_edges,
            "n_institutions": n_inst,
            "n_companies": len(companies),
            "shown_nodes": len(shown),
            "shown_edges": shown_edges,
            "inner_edges": len(inner),
            "max_edges": max_edges,
            "top_n": top_n,
            "day0": day0.isoformat() if day0 else None,
            "detail_limit": detail_limit,
            "hidden_limit": hidden_limit,
            "has_betweenness": any(v is not None for v in stats["btw"].values()),
            "has_pagerank": any(v is not None for v in stats["pr"].values()),
        },
        "types": type_list,
        "node_fields": list(_NODE_FIELDS),
        "edge_fields": list(_EDGE_FIELDS),
        "nodes": node_rows,
        "edges": [],  # the rows, already JSON, go in below
    }
    # '"edges":[]' occurs once: a '"' inside a JSON string is escaped
    head, tail = _json(data).rsplit('"edges":[]', 1)
    data_json = f'{head}"edges":[{",".join(edge_rows)}]{tail}'
    note_zh, note_en = view_note(len(shown), n_nodes, shown_edges, n_edges, top_n, len(inner))
    vis_js = vis_network_js()
    app_js = _script_safe(_template("explorer.js"), "explorer.js")
    values = {
        "CSP": _csp(vis_js, app_js),
        "TITLE": html.escape(title),
        "NOTE_ZH": html.escape(note_zh),
        "NOTE_EN": html.escape(note_en),
        "CSS": _template("explorer.css"),
        "VIS_JS": vis_js,
        "APP_JS": app_js,
        "DATA": _script_json(data_json),
    }

    def fill(m: re.Match[str]) -> str:
        return values[m.group(1) or m.group(2)]

    # One pass: text inserted for one placeholder is never scanned for another.
    return _PLACEHOLDER.sub(fill, _template("explorer.html"))


def _csp(*scripts: str) -> str:
    """Content-Security-Policy allowing exactly the page's own scripts and no network at all.

    Scripts run only when their hash matches, so inline event handlers (an ``onerror=`` in a
    name that somehow reached the DOM as HTML) stay dead, and nothing may be fetched.
    """
    hashes = " ".join(
        "'sha256-" + base64.b64encode(hashlib.sha256(s.encode("utf-8")).digest()).decode("ascii") + "'"
        for s in scripts
    )
    return (
        f"default-src 'none'; script-src {hashes}; style-src 'unsafe-inline'; img-src data: blob:; "
        "font-src data:; connect-src 'none'; base-uri 'none'; form-action 'none'"
    )


def _edge_table(
    G: nx.Graph, pos: Mapping[Any, int]
) -> tuple[np.ndarray, np.ndarray, list[Mapping[str, Any]], list[Any], list[Any]]:
    """Every edge of ``G`` once: its ends' positions in ``pos``, its data, raw ``visits`` and ``last_date``."""
    owners: list[int] = []
    sizes: list[int] = []
    nbr: list[int] = []
    datas: list[Mapping[str, Any]] = []
    for u, nbrs in G.adjacency():
        owners.append(pos[u])
        sizes.append(len(nbrs))
        nbr.extend(map(pos.__getitem__, nbrs))
        datas.extend(nbrs.values())
    owner = np.repeat(np.array(owners, dtype=np.int64), np.array(sizes, dtype=np.int64))
    other = np.array(nbr, dtype=np.int64)
    once = other >= owner  # an edge is in the adjacency of both its ends, a self-loop once
    edges = list(compress(datas, once.tolist()))
    visits: list[Any] = []
    last: list[Any] = []
    add_visits, add_last = visits.append, last.append
    for d in edges:  # one loop: the second look-up finds the dict in the CPU cache
        add_visits(d.get("visits"))
        add_last(d.get("last_date"))
    return owner[once], other[once], edges, visits, last


def _edge_ids(codes: np.ndarray, edge_key: np.ndarray, canonical: np.ndarray) -> list[int]:
    """The edge of each key code as ``G.edges[by_id[k0], by_id[k1]]`` finds it: between canonical nodes."""
    candidates = np.flatnonzero(canonical)
    order = np.argsort(edge_key[candidates])
    keys, candidates = edge_key[candidates][order], candidates[order]
    at = np.searchsorted(keys, codes)
    if (at >= len(keys)).any() or (keys[at] != codes).any():
        raise KeyError("an edge between nodes whose ids repeat is not in the graph")
    return candidates[at].tolist()


def _weighted_degrees(eu: np.ndarray, ev: np.ndarray, visits: list[int], n: int) -> list[int]:
    """Per node position: the sum of its edges' visits (a negative count adds 0), a self-loop once."""
    loop = eu == ev
    ends = np.concatenate([eu, ev[~loop]])
    try:
        counts = np.maximum(np.asarray(visits, dtype=np.int64), 0)
    except OverflowError:
        counts = None
    if counts is not None and counts.sum(dtype=float) < 2**52:  # float sums are exact here
        weights = np.concatenate([counts, counts[~loop]])
        return [int(w) for w in np.bincount(ends, weights=weights, minlength=n)]
    sums = [0] * n
    for u, v, c in zip(eu.tolist(), ev.tolist(), visits, strict=True):
        sums[u] += max(c, 0)
        if v != u:
            sums[v] += max(c, 0)
    return sums


def _memo_map(values: list[Any], fn: Callable[[Any], _T]) -> list[_T]:
    """``[fn(v) for v in values]``, calling ``fn`` once per distinct value when that is safe.

    It is for str, int and None values, where equal values are the same value (unlike
    ``1 == 1.0 == True``); attribute values repeat a lot.
    """
    if not set(map(type, values)) <= _EXACT_TYPES:
        return [fn(v) for v in values]
    memo = {v: fn(v) for v in set(values)}
    return list(map(memo.__getitem__, values))


def _sort_codes(values: list[Any], key: Callable[[Any], Any]) -> tuple[np.ndarray, int]:
    """For each value, a code that sorts like ``key(value)`` (equal keys, equal codes); and the number of codes."""
    if set(map(type, values)) <= _EXACT_TYPES:  # one key per distinct value
        keys = {v: key(v) for v in set(values)}
        rank = {k: r for r, k in enumerate(sorted(set(keys.values())))}
        code = {v: rank[k] for v, k in keys.items()}
        codes = map(code.__getitem__, values)
    else:
        keyed = [key(v) for v in values]
        rank = {k: r for r, k in enumerate(sorted(set(keyed)))}
        codes = map(rank.__getitem__, keyed)
    return np.fromiter(codes, dtype=np.int64, count=len(values)), len(rank)


def _code_sort_codes(codes: np.ndarray, key: Callable[[int], Any]) -> tuple[np.ndarray, int]:
    """What :func:`_sort_codes` gives for values that ``codes`` stand for (equal codes, equal values;
    ``key(code)``: the key of its value): ``key`` called once per distinct code."""
    used, inverse = np.unique(codes, return_inverse=True)
    keys = [key(c) for c in used.tolist()]
    rank = {k: r for r, k in enumerate(sorted(set(keys)))}
    return np.array([rank[k] for k in keys], dtype=np.int64)[inverse.reshape(-1)], len(rank)


def _argsort_by(columns: list[tuple[np.ndarray, int]]) -> np.ndarray:
    """The order sorting rows by the columns, the first one first; a column's values are in ``range(size)``.

    Rows equal in every column may come in any order.
    """
    if math.prod(size for _, size in columns) < 2**63:  # one int64 key: much faster than lexsort
        combined = np.zeros(len(columns[0][0]), dtype=np.int64)
        for values, size in columns:
            combined = combined * size + values
        return np.argsort(combined)
    return np.lexsort([values for values, _ in reversed(columns)])


def _head_sizes(limit: int | None, sizes: np.ndarray) -> np.ndarray:
    """``len(xs[:limit])`` for lists ``xs`` of the given sizes."""
    if limit is None:
        return sizes
    return np.minimum(sizes, limit) if limit >= 0 else np.maximum(sizes + limit, 0)


def _visits(value: Any) -> int:
    return _int(value, 1)


def _neg_visits(value: Any) -> int:
    return -_int(value, 1)


def _neg_last(value: Any) -> str:
    return _neg_text(_text(value))


def _joined_json(value: Any) -> str:
    """A ``;``-joined attribute, cleaned, as a JSON string."""
    return json.dumps(";".join(_split(value)), ensure_ascii=False)


def _date_list(value: Any) -> list[date]:
    """The distinct valid dates of a ``;``-joined ``dates`` attribute, sorted."""
    return sorted({x for x in (_iso(s) for s in _split(value)) if x is not None})


@lru_cache(maxsize=4096)
def _neg_text(s: str) -> str:
    """A string that sorts in the reverse order of ``s`` (for descending dates in sort keys)."""
    return "".join(chr(0x10FFFF - ord(c)) for c in s) + "\U0010ffff"


def view_note(
    shown_nodes: int, n_nodes: int, shown_edges: int, n_edges: int, top_n: int, inner_edges: int | None = None
) -> tuple[str, str]:
    """The Chinese and English note saying what the default view hides.

    ``inner_edges`` is the number of edges among the shown nodes (``shown_edges`` of them drawn).
    """
    inner = shown_edges if inner_edges is None else inner_edges
    if shown_nodes >= n_nodes and shown_edges >= inner:
        return (
            f"显示全部 {n_nodes:,} 个节点、{n_edges:,} 条边",
            f"Showing all {n_nodes:,} nodes and {n_edges:,} edges",
        )
    if shown_edges < inner:
        edges_zh = f"及其间最强的 {shown_edges:,} / {inner:,} 条边"
        edges_en = f"the {shown_edges:,} strongest of the {inner:,} edges among them"
    else:
        edges_zh = f"及其间 {shown_edges:,} 条边"
        edges_en = f"the {shown_edges:,} edges among them"
    if shown_nodes >= n_nodes:
        return (
            f"显示全部 {n_nodes:,} 个节点{edges_zh}；其余关系见节点详情",
            f"Showing all {n_nodes:,} nodes and {edges_en}; click a node for all its links.",
        )
    return (
        f"显示度数最高的 {shown_nodes:,} / {n_nodes:,} 个节点{edges_zh}；其余节点可搜索",
        f"Showing {shown_nodes:,} of {n_nodes:,} nodes (top {top_n:,} by degree) and {edges_en}; "
        f"every node is searchable. Rebuild with `irgraph build --explorer-top N` to change.",
    )
