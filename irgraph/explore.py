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
import json
import math
import re
from collections.abc import Iterable, Mapping
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

import networkx as nx

from .errors import IrgraphError

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

_PLACEHOLDER = re.compile(r"/\*@@([A-Z_]+)@@\*/|@@([A-Z_]+)@@")


class ExplorerError(IrgraphError):
    """The explorer page cannot be rendered (e.g. pyvis' vis-network script is missing)."""


@lru_cache(maxsize=1)
def vis_network_js() -> str:
    """The vis-network standalone script bundled with the installed pyvis package."""
    try:
        import pyvis
    except ImportError as exc:  # pragma: no cover - pyvis is a hard dependency
        raise ExplorerError("pyvis is not installed; it provides the vis-network script") from exc
    lib = Path(pyvis.__file__).resolve().parent / "lib"

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


def _json_for_script(obj: Any) -> str:
    """JSON that cannot end or confuse the ``<script>`` element it is embedded in."""
    text = json.dumps(obj, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
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


def _is_company(node: Any, attrs: Mapping[str, Any]) -> bool:
    b = attrs.get("bipartite")
    if b is not None and str(b) in ("0", "1"):
        return str(b) == "1"
    return str(node).startswith("c:")


def _side_stats(
    G: nx.Graph, centrality: Any
) -> tuple[dict[str, dict[str, Any]], dict[str, str]]:
    """Per node id: degree, weighted degree, ranks, betweenness, pagerank; and each node's type."""
    types: dict[str, str] = {}
    stats: dict[str, dict[str, Any]] = {}
    for n, attrs in G.nodes(data=True):
        nid = str(n)
        if _is_company(n, attrs):
            types[nid] = _COMPANY_TYPE
        else:
            types[nid] = _text(attrs.get("type")) or _UNKNOWN_TYPE
        stats[nid] = {"deg": G.degree(n), "wdeg": None, "btw": None, "pr": None, "rs": None, "rt": None}
    if centrality is not None and len(centrality):
        cols = set(centrality.columns)
        if "node_id" in cols:
            for row in centrality.to_dict("records"):
                nid = _text(row.get("node_id"))
                if nid not in stats:
                    continue
                s = stats[nid]
                for key, col in (("deg", "degree"), ("wdeg", "weighted_degree")):
                    if col in cols and _float(row.get(col)) is not None:
                        s[key] = _int(row.get(col))
                for key, col in (("btw", "betweenness"), ("pr", "pagerank")):
                    if col in cols:
                        s[key] = _float(row.get(col))
                for key, col in (("rs", "rank_in_side"), ("rt", "rank_in_type")):
                    if col in cols and _float(row.get(col)) is not None:
                        s[key] = _int(row.get(col))
    for n in G.nodes:  # weighted degrees the table did not give
        s = stats[str(n)]
        if s["wdeg"] is None:
            s["wdeg"] = sum(max(_int(d.get("visits"), 1), 0) for _, _, d in G.edges(n, data=True))
    # Ranks not given by the table: by degree, then weighted degree, then id (1 = highest).
    by_side: dict[bool, list[str]] = {True: [], False: []}
    by_type: dict[tuple[bool, str], list[str]] = {}
    for n in G.nodes:
        nid = str(n)
        comp = types[nid] == _COMPANY_TYPE
        by_side[comp].append(nid)
        by_type.setdefault((comp, types[nid]), []).append(nid)

    def order(ids: list[str]) -> list[str]:
        return sorted(ids, key=lambda i: (-stats[i]["deg"], -stats[i]["wdeg"], i))

    for ids in by_side.values():
        for rank, nid in enumerate(order(ids), 1):
            if stats[nid]["rs"] is None:
                stats[nid]["rs"] = rank
    for ids in by_type.values():
        for rank, nid in enumerate(order(ids), 1):
            if stats[nid]["rt"] is None:
                stats[nid]["rt"] = rank
    return stats, types


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
    G: nx.Graph,
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
    The result is deterministic: the same graph gives the same string.
    """
    stats, types = _side_stats(G, centrality)
    node_ids = sorted(stats, key=lambda i: (types[i] == _COMPANY_TYPE, i))
    companies = {i for i in node_ids if types[i] == _COMPANY_TYPE}
    degrees = {i: (stats[i]["deg"], stats[i]["wdeg"]) for i in node_ids}
    shown = set(select_top_nodes(degrees, companies, top_n))
    index = {nid: k for k, nid in enumerate(node_ids)}
    by_id = {str(n): n for n in G.nodes}

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
    # persons, and a compact top list for each hidden node.
    detailed: set[tuple[str, str]] = set()
    compact: set[tuple[str, str]] = set()
    seeds: set[tuple[str, str]] = set()
    inner: list[tuple[tuple[int, str, str], tuple[str, str]]] = []
    # each edge's sort key (most visits, then latest date first) once, listed at both its ends
    by_node: dict[str, list[tuple[int, str, str, tuple[str, str]]]] = {nid: [] for nid in node_ids}
    for u, v, d in G.edges(data=True):
        su, sv = str(u), str(v)
        key = _edge_key(su, sv, companies)
        neg = _neg_text(_text(d.get("last_date")))
        visits = -_int(d.get("visits"), 1)
        by_node[su].append((visits, neg, sv, key))
        if sv != su:
            by_node[sv].append((visits, neg, su, key))
    for nid in node_ids:
        incident = by_node.pop(nid)
        incident.sort()
        if nid in shown:
            seeded = False
            for s0, s1, other, key in incident:
                if other not in shown:
                    continue
                if not seeded:
                    seeds.add(key)
                    seeded = True
                if nid == key[0]:
                    inner.append(((s0, s1, "\x00".join(key)), key))
            detailed.update(key for *_, key in incident[:detail_limit])
        else:
            compact.update(key for *_, key in incident[:hidden_limit])
    inner.sort()
    view = set(seeds)
    limit = len(inner) if max_edges is None else max(max_edges, len(seeds))
    for _, key in inner:
        if len(view) >= limit:
            break
        view.add(key)
    detailed |= view
    compact -= detailed

    edge_keys = sorted(detailed | compact, key=lambda k: (index[k[0]], index[k[1]]))
    all_dates: list[date] = []
    parsed: list[tuple[tuple[str, str], Mapping[str, Any], date | None, date | None, list[date]]] = []
    for key in edge_keys:
        d = G.edges[by_id[key[0]], by_id[key[1]]]
        first, last = _iso(d.get("first_date")), _iso(d.get("last_date"))
        dates = sorted({x for x in (_iso(s) for s in _split(d.get("dates"))) if x is not None})
        if first is None and dates:
            first = dates[0]
        if last is None and dates:
            last = dates[-1]
        all_dates.extend(x for x in (first, last) if x is not None)
        parsed.append((key, d, first, last, dates))
    day0 = min(all_dates) if all_dates else None

    def off(x: date | None) -> int | None:
        return None if x is None or day0 is None else (x - day0).days

    edge_rows = []
    for key, d, first, last, dates in parsed:
        row: list[Any] = [index[key[0]], index[key[1]], _int(d.get("visits"), 1), off(first), off(last),
                          1 if key in view else 0]
        if key in detailed:  # compact rows end here (the page reads missing fields as null)
            row += [
                [off(x) for x in dates],
                ";".join(_split(d.get("activity_types"))),
                ";".join(_split(d.get("persons"))),
            ]
        edge_rows.append(row)

    node_rows = []
    for nid in node_ids:
        attrs = G.nodes[by_id[nid]]
        s = stats[nid]
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
                s["deg"],
                s["wdeg"],
                s["rs"],
                s["rt"],
                s["btw"],
                s["pr"],
                1 if nid in shown else 0,
            ]
        )

    n_nodes, n_edges = G.number_of_nodes(), G.number_of_edges()
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
            "has_betweenness": any(stats[i]["btw"] is not None for i in node_ids),
            "has_pagerank": any(stats[i]["pr"] is not None for i in node_ids),
        },
        "types": type_list,
        "node_fields": list(_NODE_FIELDS),
        "edge_fields": list(_EDGE_FIELDS),
        "nodes": node_rows,
        "edges": edge_rows,
    }
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
        "DATA": _json_for_script(data),
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


def _edge_key(a: str, b: str, companies: set[str]) -> tuple[str, str]:
    """An edge as (institution, company); between two nodes of one side, in id order."""
    if (a in companies) != (b in companies):
        return (b, a) if a in companies else (a, b)
    return (a, b) if a <= b else (b, a)


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
