"""Tests of the offline HTML explorer (irgraph/explore.py).

Unit tests check the rendered string; the ``browser`` tests open it in headless Chromium
(Debian's /usr/bin/chromium via Playwright) with every non-file request blocked.
"""

from __future__ import annotations

import base64
import gc
import hashlib
import json
import re
import shutil
from pathlib import Path

import networkx as nx
import pandas as pd
import pytest

from irgraph.explore import COMPANY_COLOR, TYPE_COLORS, render_explorer, select_top_nodes, view_note

HOSTILE_IMG = '<img src="https://evil.example/x.png" onerror="window.__pwned=1">'
HOSTILE_SCRIPT = "</script><script>window.__pwned=2</script><!--"
HOSTILE_SEP = "行\u2028分\u2029隔&amp;<b>"
TYPES = ["证券公司", "基金管理公司", "私募基金", "保险公司", "海外机构"]


def _edge(G: nx.Graph, i: str, c: str, dates: list[str], persons: list[str], acts: str = "调研") -> None:
    G.add_edge(i, c, visits=len(dates), first_date=dates[0], last_date=dates[-1], dates=";".join(dates),
               activity_types=acts, persons=";".join(persons),
               sources=";".join(f"{c}_{d}.txt" for d in dates))


def small_graph(n_inst: int = 40, n_comp: int = 8, hostile: bool = True) -> nx.Graph:
    """A hand-made bipartite graph following docs/architecture.md (deterministic)."""
    G = nx.Graph()
    for j in range(n_comp):
        code = f"{600100 + j:06d}"
        G.add_node(f"c:{code}", bipartite=1, label=f"样本{j}号", code=code, company=f"样本{j}号股份有限公司")
    for i in range(n_inst):
        t = TYPES[i % len(TYPES)]
        G.add_node(f"i:x-{i:04d}", bipartite=0, label=f"{t}{i:02d}", type=t, group=f"集团{i % 7}")
        # institution i visits the first (n_comp - i % n_comp) companies: degrees differ
        for j in range(max(1, n_comp - i % n_comp)):
            month = 1 + (i + j) % 12
            dates = [f"2024-{month:02d}-1{j % 9}"]
            if (i + j) % 3 == 0:
                dates.append(f"2024-{month:02d}-2{j % 9}")
            _edge(G, f"i:x-{i:04d}", f"c:{600100 + j:06d}", dates, [f"人{i}", f"员{j}"][: 1 + (i + j) % 2])
    if hostile:
        G.add_node("i:evil-1", bipartite=0, label=HOSTILE_IMG, type="私募基金", group=HOSTILE_SCRIPT)
        G.add_node("i:evil-2", bipartite=0, label=HOSTILE_SCRIPT, type="其它", group=HOSTILE_SEP)
        for k in range(n_comp):  # high degree: both are in any default view
            _edge(G, "i:evil-1", f"c:{600100 + k:06d}", ["2024-03-01"], [HOSTILE_IMG])
            _edge(G, "i:evil-2", f"c:{600100 + k:06d}", ["2024-03-02"], [HOSTILE_SEP], acts=HOSTILE_SCRIPT)
    return G


def page_data(page: str) -> dict:
    m = re.search(r'<script type="application/json" id="irgraph-data">(.*?)</script>', page, re.S)
    assert m, "data block missing"
    return json.loads(m.group(1))


def node_rows(data: dict) -> dict[str, dict]:
    fields = data["node_fields"]
    return {r[0]: dict(zip(fields, r, strict=True)) for r in data["nodes"]}


def edge_rows(data: dict) -> list[dict]:
    fields = data["edge_fields"]
    return [dict(zip(fields, r + [None] * (len(fields) - len(r)), strict=True)) for r in data["edges"]]


# ------------------------------------------------------------------------------------ unit tests


def test_deterministic_and_independent_of_insertion_order() -> None:
    G = small_graph()
    H = nx.Graph()
    H.add_nodes_from(reversed(list(G.nodes(data=True))))
    H.add_edges_from(reversed(list(G.edges(data=True))))
    a = render_explorer(G, top_n=20)
    assert a == render_explorer(G, top_n=20)
    assert a == render_explorer(H, top_n=20)
    assert render_explorer(G, top_n=21) != a


def test_page_is_self_contained() -> None:
    page = render_explorer(small_graph())
    assert page.startswith("<!DOCTYPE html>")
    assert "vis-network" in page and "@version 9" in page  # pyvis' script, inlined
    assert not re.search(r"<script[^>]*\ssrc=|<link\b|<iframe|@import", page, re.I)
    outside_scripts = re.sub(r"<script\b.*?</script>", "", page, flags=re.S)
    assert "http://" not in outside_scripts and "https://" not in outside_scripts
    assert "cdnjs" not in page and "tom-select" not in page and "bootstrap" not in page
    assert len(re.findall(r"</script", page, re.I)) == 3  # the data block and the two scripts
    assert "@@" not in outside_scripts  # every placeholder filled


def test_csp_allows_exactly_the_page_scripts_and_no_network() -> None:
    page = render_explorer(small_graph())
    csp = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', page).group(1)
    assert "default-src 'none'" in csp and "connect-src 'none'" in csp
    assert "unsafe" not in csp.split("style-src")[0]  # no unsafe-inline / unsafe-eval for scripts
    scripts = re.findall(r"<script>(.*?)</script>", page, re.S)
    assert len(scripts) == 2
    for code in scripts:
        digest = base64.b64encode(hashlib.sha256(code.encode("utf-8")).digest()).decode()
        assert f"'sha256-{digest}'" in csp


def test_hostile_names_cannot_leave_the_json_block() -> None:
    page = render_explorer(small_graph(), title="<script>alert(1)</script>")
    m = re.search(r'<script type="application/json" id="irgraph-data">(.*?)</script>', page, re.S)
    block = m.group(1)
    for ch in "<>&\u2028\u2029":
        assert ch not in block
    assert "<title>&lt;script&gt;alert(1)&lt;/script&gt;</title>" in page
    # the names survive the round trip exactly
    rows = node_rows(page_data(page))
    assert rows["i:evil-1"]["label"] == HOSTILE_IMG
    assert rows["i:evil-1"]["sub"] == HOSTILE_SCRIPT
    assert rows["i:evil-2"]["sub"] == HOSTILE_SEP
    persons = {e["persons"] for e in edge_rows(page_data(page)) if e["persons"]}
    assert HOSTILE_IMG in persons and HOSTILE_SEP in persons


def test_top_n_selection_and_flags() -> None:
    G = small_graph()
    data = page_data(render_explorer(G, top_n=12))
    rows = node_rows(data)
    shown = {nid for nid, r in rows.items() if r["shown"]}
    assert len(rows) == G.number_of_nodes()  # every node stays searchable
    assert len(shown) == 12 == data["meta"]["shown_nodes"]
    key = {str(n): (G.degree(n), sum(d["visits"] for *_, d in G.edges(n, data=True))) for n in G}
    expected = select_top_nodes(key, {n for n in key if n.startswith("c:")}, 12)
    assert sorted(shown) == expected
    # nothing outside the view has a higher degree than the weakest shown node of its side
    for side in (0, 1):
        inside = [G.degree(n) for n in shown if rows[n]["side"] == side]
        outside = [G.degree(n) for n in rows if n not in shown and rows[n]["side"] == side]
        if inside and outside:
            assert min(inside) >= max(outside)


def test_select_top_nodes_reserves_a_quarter_for_each_side() -> None:
    degrees = {f"i:{k}": (100 - k, 0) for k in range(20)} | {f"c:{k}": (10 - k, 0) for k in range(10)}
    companies = {n for n in degrees if n.startswith("c:")}
    top = select_top_nodes(degrees, companies, 8)
    assert len(top) == 8 and top == sorted(top)
    assert {"c:0", "c:1"} <= set(top) and len([n for n in top if n in companies]) == 2
    assert select_top_nodes(degrees, companies, 100) == sorted(degrees)
    assert select_top_nodes(degrees, companies, 0) == []


def test_note_says_what_is_hidden() -> None:
    G = small_graph()
    page = render_explorer(G, top_n=10)
    n = G.number_of_nodes()
    assert f"Showing 10 of {n:,} nodes (top 10 by degree)" in page
    assert "irgraph build --explorer-top N" in page
    assert f"显示度数最高的 10 / {n:,} 个节点" in page
    full = render_explorer(G, top_n=1000, max_edges=None)
    assert f"Showing all {n:,} nodes and {G.number_of_edges():,} edges" in full
    zh, en = view_note(300, 16_500, 3000, 400_000, 300, inner_edges=15_219)
    assert en.startswith("Showing 300 of 16,500 nodes (top 300 by degree) and the 3,000 strongest "
                         "of the 15,219 ")
    assert "3,000 / 15,219" in zh


def test_view_edges_are_capped_strongest_first_and_keep_every_node_connected() -> None:
    G = small_graph(hostile=False)
    data = page_data(render_explorer(G, top_n=30, max_edges=25))
    rows = node_rows(data)
    ids = [r[0] for r in data["nodes"]]
    edges = edge_rows(data)
    view = [e for e in edges if e["view"]]
    inner = [(u, v) for u, v in G.edges if rows[str(u)]["shown"] and rows[str(v)]["shown"]]
    assert data["meta"]["inner_edges"] == len(inner) > 25
    assert len(view) == data["meta"]["shown_edges"] >= 25
    connected = {ids[e["a"]] for e in view} | {ids[e["b"]] for e in view}
    for nid, r in rows.items():
        if r["shown"] and any(rows[str(o)]["shown"] for o in G[nid]):
            assert nid in connected
    for e in view:  # view edges carry details; a = institution, b = company
        assert ids[e["a"]].startswith("i:") and ids[e["b"]].startswith("c:")
        assert e["dates"] is not None and e["persons"] is not None


def test_hidden_nodes_get_compact_top_lists() -> None:
    G = small_graph(n_inst=60, hostile=False)
    data = page_data(render_explorer(G, top_n=10, hidden_limit=2))
    rows = node_rows(data)
    ids = [r[0] for r in data["nodes"]]
    per_node: dict[str, int] = {}
    for raw in data["edges"]:
        for k in raw[:2]:
            per_node[ids[k]] = per_node.get(ids[k], 0) + 1
    hidden = [n for n, r in rows.items() if not r["shown"]]
    assert hidden
    for n in hidden:
        assert per_node.get(n, 0) >= 1
        # at most its own two, plus edges listed by shown neighbours
        own = per_node[n] - sum(1 for o in G[n] if rows[str(o)]["shown"])
        assert own <= 2
    compact = [raw for raw in data["edges"] if len(raw) == 6]
    assert compact and all(not raw[5] for raw in compact)


def test_a_nodes_top_list_breaks_ties_by_latest_date_then_other_id() -> None:
    G = nx.Graph()
    for j in range(1, 6):  # two strong visitors fill each company's own top list
        G.add_edge("i:big", f"c:{j}", visits=10, last_date="2024-06-01")
        G.add_edge("i:big2", f"c:{j}", visits=9, last_date="2024-06-01")
    G.add_edge("i:h", "c:1", visits=1, last_date="2024-04-01")
    for j in (4, 2, 3):
        G.add_edge("i:h", f"c:{j}", visits=1, last_date="2024-05-01")
    G.add_edge("i:h", "c:5", visits=3, last_date="2024-01-01")
    G.add_edge("i:h", "i:h", visits=1, last_date="2024-01-01")  # a self-loop lists once

    def travelling(**kw: int) -> set[str]:
        data = page_data(render_explorer(G, top_n=0, hidden_limit=2, **kw))
        ids = [r[0] for r in data["nodes"]]
        return {ids[r[1]] for r in data["edges"] if ids[r[0]] == "i:h"}

    assert travelling() == {"c:5", "c:2"}
    G.add_edge("i:h", "i:a", visits=20)  # within one side: the smaller id comes first
    assert travelling() == {"c:5"}
    data = page_data(render_explorer(G, top_n=0, hidden_limit=2))
    ids = [r[0] for r in data["nodes"]]
    assert ("i:a", "i:h") in {(ids[r[0]], ids[r[1]]) for r in data["edges"]}


def test_render_leaves_the_garbage_collector_as_it_was() -> None:
    assert gc.isenabled()
    page = render_explorer(small_graph())
    assert gc.isenabled()
    with pytest.raises(TypeError):
        render_explorer(small_graph(), object())  # not a table
    assert gc.isenabled()
    gc.disable()
    try:
        assert render_explorer(small_graph()) == page
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_dates_are_day_offsets_from_day0() -> None:
    G = small_graph(hostile=False)
    data = page_data(render_explorer(G))
    assert data["meta"]["day0"] == "2024-01-10"
    edges = edge_rows(data)
    assert min(e["first"] for e in edges) == 0
    jan = [e for e in edges if e["dates"] and 0 in e["dates"]]
    assert jan and all(e["first"] == 0 for e in jan)


def test_centrality_table_supplies_ranks_and_scores() -> None:
    G = small_graph(hostile=False)
    df = pd.DataFrame(
        [{"node_id": n, "label": d["label"], "side": "company" if d["bipartite"] else "institution",
          "type": d.get("type", ""), "degree": G.degree(n), "weighted_degree": 0, "betweenness": 0.125,
          "pagerank": 0.5, "rank_in_side": 7, "rank_in_type": 3} for n, d in G.nodes(data=True)]
    )
    data = page_data(render_explorer(G, df))
    row = node_rows(data)["i:x-0001"]
    assert (row["btw"], row["pr"], row["rs"], row["rt"]) == (0.125, 0.5, 7, 3)
    assert data["meta"]["has_betweenness"] and data["meta"]["has_pagerank"]
    plain = node_rows(page_data(render_explorer(G)))
    assert plain["i:x-0001"]["btw"] is None and plain["i:x-0000"]["rs"] == 1


def test_types_colours_and_legend_order() -> None:
    data = page_data(render_explorer(small_graph()))
    names = [t["name"] for t in data["types"]]
    assert names[-1] == "被调研公司" and data["types"][-1]["color"] == COMPANY_COLOR
    assert names[:-1] == [t for t in TYPE_COLORS if t in set(TYPES) | {"私募基金", "其它"}]
    assert all(t["color"] == TYPE_COLORS[t["name"]] for t in data["types"][:-1])
    assert sum(t["count"] for t in data["types"]) == small_graph().number_of_nodes()


def test_odd_graphs_render() -> None:
    assert "Showing all 0 nodes" in render_explorer(nx.Graph())
    G = nx.Graph()
    G.add_edge("i:a", "c:b")  # no attributes at all
    G.add_node("i:lonely", bipartite=0, type="新类型", label="孤立机构")
    data = page_data(render_explorer(G))
    rows = node_rows(data)
    assert rows["c:b"]["side"] == 1 and rows["i:a"]["side"] == 0 and rows["i:a"]["label"] == "i:a"
    assert data["meta"]["day0"] is None
    assert [t["name"] for t in data["types"]] == ["其它", "新类型", "被调研公司"]


# ------------------------------------------------------------------------------------ browser

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync"]


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists() and not shutil.which("chromium"):
        pytest.skip("chromium is not installed (apt-get install -y chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("playwright is not installed (pip install playwright)")
    with sync_playwright() as p:
        exe = CHROMIUM if Path(CHROMIUM).exists() else shutil.which("chromium")
        b = p.chromium.launch(executable_path=exe, args=CHROMIUM_ARGS)
        yield b
        b.close()


class Loaded:
    def __init__(self, page, external: list[str], errors: list[str]) -> None:
        self.page, self.external, self.errors = page, external, errors

    def js(self, expr: str, arg=None):
        return self.page.evaluate(expr, arg)

    def visible(self) -> list[str]:
        return self.js("() => nodes.get({filter: n => !n.hidden}).map(n => n.id).sort()")


@pytest.fixture
def open_page(browser, tmp_path):
    contexts = []

    def _open(G: nx.Graph, **kw) -> Loaded:
        path = tmp_path / "explorer.html"
        path.write_text(render_explorer(G, **kw), encoding="utf-8")
        ctx = browser.new_context(viewport={"width": 1400, "height": 860}, locale="zh-CN")
        contexts.append(ctx)
        external: list[str] = []
        errors: list[str] = []

        def route(r) -> None:
            if r.request.url.startswith(("file:", "data:")):
                r.continue_()
            else:
                external.append(r.request.url)
                r.abort()

        ctx.route("**/*", route)
        page = ctx.new_page()
        page.on("pageerror", lambda e: errors.append(f"pageerror: {e}"))
        page.on("console", lambda m: errors.append(f"console: {m.text}") if m.type == "error" else None)
        page.goto(path.as_uri())
        page.wait_for_selector("body[data-ready]", state="attached", timeout=20_000)
        return Loaded(page, external, errors)

    yield _open
    for ctx in contexts:
        ctx.close()


@pytest.mark.browser
def test_browser_loads_offline_with_expected_nodes(open_page) -> None:
    G = small_graph()
    lp = open_page(G, top_n=20)
    assert lp.js("() => nodes.length") == 20
    assert lp.js("() => network.body.data.nodes.length") == 20
    assert lp.js("() => Object.keys(network.getPositions()).length") == 20
    assert lp.js("() => edges.length") > 0
    assert lp.js("() => network.physics.options.enabled") is False  # frozen after stabilising
    assert lp.page.locator("#view-note").inner_text().count("Showing 20 of") == 1
    assert lp.js("() => window.__pwned") is None
    assert lp.external == [] and lp.errors == []


@pytest.mark.browser
def test_browser_search_finds_and_selects_a_hidden_node(open_page) -> None:
    G = small_graph()
    lp = open_page(G, top_n=20)
    target = "i:x-0039"  # degree 1: not in the default view
    label = G.nodes[target]["label"]
    assert lp.js("id => nodes.get(id)", target) is None
    lp.page.fill("#search", label)
    first = lp.page.locator("#search-list li").first
    assert first.locator(".s-label").inner_text() == label
    lp.page.press("#search", "Enter")
    assert lp.page.locator("#details h2").inner_text() == label
    assert lp.js("id => nodes.get(id) !== null", target)
    assert lp.js("() => network.getSelectedNodes()") == [target]
    # neighbours stay bright, the rest is dimmed
    assert lp.js("id => network.getConnectedNodes(id).length", target) >= 1
    assert lp.js("() => irgraph.state.dimN.size") > 0
    # search by stock code
    lp.page.fill("#search", "600103")
    lp.page.press("#search", "Enter")
    assert lp.page.locator("#details h2").inner_text() == "样本3号"
    assert lp.external == [] and lp.errors == []


@pytest.mark.browser
def test_browser_filters_reduce_the_visible_nodes(open_page) -> None:
    lp = open_page(small_graph(), top_n=30)
    before = lp.visible()
    assert len(before) == 30
    broker = lp.page.locator('#legend input[data-type="证券公司"]')
    broker.uncheck()
    after = lp.visible()
    assert 0 < len(after) < len(before)
    assert not any(lp.js("id => irgraph.node(id).type", n) == 0 for n in after)  # 证券公司 is type 0
    broker.check()
    assert lp.visible() == before
    # minimum visits: only edges with >= 2 visits remain, nodes without such an edge disappear
    edges_before = lp.js("() => irgraph.visibleEdgeCount()")
    lp.page.locator("#min-visits").fill("2")
    assert 0 < lp.js("() => irgraph.visibleEdgeCount()") < edges_before
    assert len(lp.visible()) < len(before)
    lp.page.locator("#min-visits").fill("1")
    # date range: only visits in March 2024
    lp.page.fill("#date-from", "2024-03-01")
    lp.page.fill("#date-to", "2024-03-31")
    march = lp.js("() => irgraph.visibleEdgeCount()")
    assert 0 < march < edges_before
    # company: that company and its visitors only
    lp.page.click("#reset")
    lp.page.fill("#company", "样本7号")
    lp.page.press("#company", "Enter")
    vis = lp.visible()
    assert "c:600107" in vis and all(n == "c:600107" or n.startswith("i:") for n in vis)
    assert lp.page.locator("#company-chip").is_visible()
    lp.page.click("#reset")
    assert lp.visible() == before
    assert lp.external == [] and lp.errors == []


@pytest.mark.browser
def test_browser_hostile_names_stay_inert_text(open_page) -> None:
    lp = open_page(small_graph(), top_n=20)
    assert lp.js("id => nodes.get(id) !== null", "i:evil-1")
    lp.js("id => irgraph.select(id)", "i:evil-1")
    assert lp.page.locator("#details h2").inner_text() == HOSTILE_IMG
    assert HOSTILE_SCRIPT in lp.page.locator("#details .d-sub").inner_text()
    assert HOSTILE_IMG in lp.page.locator("#details .persons").first.inner_text()
    lp.js("id => irgraph.select(id)", "i:evil-2")
    assert lp.page.locator("#details h2").inner_text() == HOSTILE_SCRIPT
    lp.page.fill("#search", "onerror")
    assert lp.page.locator("#search-list li .s-label").first.inner_text() == HOSTILE_IMG
    # hover tooltip over the hostile node
    pos = lp.js("id => network.canvasToDOM(network.getPosition(id))", "i:evil-1")
    box = lp.page.locator("#network").bounding_box()
    lp.page.mouse.move(box["x"] + pos["x"], box["y"] + pos["y"])
    lp.page.wait_for_timeout(300)
    assert lp.js("() => document.querySelectorAll('body img').length") == 0
    assert lp.js("() => window.__pwned") is None
    assert lp.external == [] and lp.errors == []
