"""Explorer at year scale (on demand): synthetic graph -> render_explorer -> headless Chromium.

    .venv/bin/python benchmarks/bench_explorer.py [--institutions 12000] [--companies 4500]
        [--edges 400000] [--top-n 300] [--html /tmp/irgraph-bench-explorer.html]

Prints the render seconds, the HTML size and the browser time until the network has
stabilised and frozen (the page's ``stabilizationIterationsDone``/``stabilized`` hook), plus
the time of a search-select and of a type filter. Target: default view ready in <= 3 s.
The graph is deterministic (fixed seed): heavy-tailed institution activity and company
popularity, like a year of records (brokers visit thousands of companies, most funds a few).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import networkx as nx
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from make_screenshot import CHROMIUM, CHROMIUM_ARGS  # noqa: E402  (benchmarks/ is on sys.path as the script's folder)

from irgraph.explore import TYPE_COLORS, render_explorer  # noqa: E402

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉萍红鹏飞宇浩然子轩梓涵一诺欣怡"
ACTIVITIES = ("特定对象调研", "分析师会议", "电话会议", "业绩说明会", "现场参观", "路演活动", "其他")


def synthetic_graph(n_inst: int = 12_000, n_comp: int = 4_500, n_edges: int = 400_000,
                    seed: int = 20240827) -> nx.Graph:
    """A deterministic bipartite graph with the shape of a year of A-share IR records."""
    rng = np.random.default_rng(seed)
    types = [t for t in TYPE_COLORS if t != "上市公司"]
    type_p = np.array([30, 18, 26, 3, 3, 1, 4, 1, 6, 1, 2, 1, 3, 1], dtype=float)
    type_p /= type_p.sum()
    G = nx.Graph()
    comp_ids = []
    for j in range(n_comp):
        code = f"{(600000 if j % 3 == 0 else 0 if j % 3 == 1 else 300000) + j:06d}"
        cid = f"c:{code}"
        comp_ids.append(cid)
        G.add_node(cid, bipartite=1, label=f"公司{j:04d}", code=code, company=f"样本公司{j:04d}股份有限公司")
    popularity = (np.arange(n_comp) + 1.0) ** -0.75
    rng.shuffle(popularity)
    popularity /= popularity.sum()
    raw = (np.arange(n_inst) + 1.0) ** -0.85
    degrees = np.clip(np.round(raw / raw.sum() * n_edges), 1, int(n_comp * 0.6)).astype(int)
    day0 = np.datetime64("2024-01-02")
    inst_types = rng.choice(len(types), size=n_inst, p=type_p)
    for i in range(n_inst):
        t = types[inst_types[i]]
        iid = f"i:{t[:2]}-{i:05d}"
        G.add_node(iid, bipartite=0, label=f"{t[:2]}机构{i:05d}", type=t, group=f"集团{i % 997:03d}")
        targets = rng.choice(n_comp, size=int(degrees[i]), replace=False, p=popularity)
        visits = rng.geometric(0.6, size=len(targets))
        for j, v in zip(targets, visits, strict=True):
            days = np.sort(rng.choice(360, size=min(int(v), 6), replace=False))
            dates = [str(day0 + int(d)) for d in days]
            persons = ";".join(
                SURNAMES[rng.integers(len(SURNAMES))] + GIVEN[rng.integers(len(GIVEN))] for _ in range(int(v))
            )
            acts = ";".join(sorted({ACTIVITIES[rng.integers(len(ACTIVITIES))] for _ in range(int(v))}))
            G.add_edge(iid, comp_ids[j], visits=int(v), first_date=dates[0], last_date=dates[-1],
                       dates=";".join(dates), activity_types=acts, persons=persons,
                       sources=";".join(f"{comp_ids[j][2:]}_{k}.txt" for k in range(int(v))))
    return G


def browser_times(html_path: Path) -> dict[str, float]:
    """Load the page offline in headless Chromium; seconds to ready, plus interaction times."""
    from playwright.sync_api import sync_playwright

    out: dict[str, float] = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1600, "height": 940})
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.route("**/*", lambda r: r.continue_() if r.request.url.startswith(("file:", "data:"))
                   else r.abort())
        t0 = time.perf_counter()
        page.goto(html_path.resolve().as_uri(), wait_until="load")
        out["load_event_s"] = time.perf_counter() - t0
        page.wait_for_selector("body[data-ready]", state="attached", timeout=120_000)
        out["ready_s"] = time.perf_counter() - t0
        timings = page.evaluate("() => irgraph.timings")
        out["page_script_s"] = timings["script"] / 1000
        out["page_stabilized_s"] = timings["stabilized"] / 1000
        out["nodes_in_view"] = page.evaluate("() => nodes.length")
        out["edges_in_view"] = page.evaluate("() => edges.length")
        hidden = page.evaluate("() => irgraph.data.nodes.find(r => !r[12])[0]")
        out["select_hidden_s"] = page.evaluate(
            "id => { const t = performance.now(); irgraph.select(id);"
            " return (performance.now() - t) / 1000; }",
            hidden,
        )
        out["type_filter_s"] = page.evaluate(
            """() => { const t = performance.now();
                 const box = document.querySelector('#legend input[data-type="证券公司"]');
                 box.click(); return (performance.now() - t) / 1000; }"""
        )
        if errors:
            raise RuntimeError(f"page errors: {errors}")
        browser.close()
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--institutions", type=int, default=12_000)
    ap.add_argument("--companies", type=int, default=4_500)
    ap.add_argument("--edges", type=int, default=400_000)
    ap.add_argument("--top-n", type=int, default=300)
    ap.add_argument("--html", type=Path, default=Path("/tmp/irgraph-bench-explorer.html"))
    ap.add_argument("--no-browser", action="store_true")
    args = ap.parse_args(argv)

    t = time.perf_counter()
    G = synthetic_graph(args.institutions, args.companies, args.edges)
    print(f"graph: {G.number_of_nodes():,} nodes, {G.number_of_edges():,} edges "
          f"(built in {time.perf_counter() - t:.1f} s)")
    t = time.perf_counter()
    html = render_explorer(G, top_n=args.top_n)
    render_s = time.perf_counter() - t
    t = time.perf_counter()
    again = render_explorer(G, top_n=args.top_n)
    print(f"render_explorer: {render_s:.2f} s (second run {time.perf_counter() - t:.2f} s, "
          f"identical: {again == html})")
    data = html.encode("utf-8")
    args.html.write_bytes(data)
    print(f"HTML size: {len(data) / 1e6:.2f} MB -> {args.html}")
    if not args.no_browser:
        for key, value in browser_times(args.html).items():
            print(f"browser {key}: {value:.3f}" if isinstance(value, float) else f"browser {key}: {value}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
