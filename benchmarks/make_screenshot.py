"""Build the explorer for the seed gold data and screenshot it with headless Chromium.

    .venv/bin/python benchmarks/make_screenshot.py [-o docs/explorer.png] [--html out.html]

The graph is made by hand from tests/data/gold/seed_records.json (companies, dates, attendees)
and tests/data/gold/seed_institutions.csv (raw name -> entity, group, type), following the
conventions of docs/architecture.md, so it does not depend on the parser or the resolver.
Needs Playwright for Python and Debian's chromium (CJK glyphs: fonts-noto-cjk).
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from pathlib import Path

import networkx as nx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from irgraph.explore import render_explorer  # noqa: E402

GOLD = ROOT / "tests" / "data" / "gold"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--lang=zh-CN",
]


def seed_graph(gold: Path = GOLD) -> nx.Graph:
    """The bipartite attendance graph of the seed gold records (entity level)."""
    records = json.loads((gold / "seed_records.json").read_text(encoding="utf-8"))
    with (gold / "seed_institutions.csv").open(encoding="utf-8", newline="") as fh:
        inst = {row["raw_name"]: row for row in csv.DictReader(fh)}
    G = nx.Graph()
    visits: dict[tuple[str, str], dict[str, set[str]]] = {}
    for source in sorted(records):
        rec = records[source]
        if rec.get("kind") != "ir_record" or not rec.get("attendees"):
            continue
        code = rec.get("stock_code")
        cid = "c:" + (code or rec["company"])
        G.add_node(cid, bipartite=1, label=rec.get("short_name") or rec["company"], code=code or "",
                   company=rec["company"])
        for raw, person in rec["attendees"]:
            row = inst.get(raw, {"entity": raw, "group": raw, "type": "其它"})
            iid = "i:" + row["entity"]
            G.add_node(iid, bipartite=0, label=row["entity"], type=row["type"], group=row["group"])
            acc = visits.setdefault((iid, cid), {"sources": set(), "dates": set(), "persons": set(),
                                                  "types": set()})
            acc["sources"].add(source)
            acc["dates"].update(rec.get("dates") or [])
            acc["types"].update(rec.get("activity_types") or [])
            if person:
                acc["persons"].add(person)
    for (iid, cid), acc in sorted(visits.items()):
        dates = sorted(acc["dates"])
        G.add_edge(iid, cid, visits=len(acc["sources"]), first_date=dates[0] if dates else "",
                   last_date=dates[-1] if dates else "", dates=";".join(dates),
                   activity_types=";".join(sorted(acc["types"])), persons=";".join(sorted(acc["persons"])),
                   sources=";".join(sorted(acc["sources"])))
    return G


def screenshot(html_path: Path, png: Path, *, select: str | None = None, width: int = 1600,
               height: int = 940) -> None:
    """Open ``html_path`` offline in headless Chromium, optionally select a node, save a PNG."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS,
                                    env={"LANG": "zh_CN.UTF-8", "LANGUAGE": "zh_CN:zh"})
        page = browser.new_page(viewport={"width": width, "height": height}, locale="zh-CN",
                                device_scale_factor=1)
        page.route("**/*", lambda r: r.continue_() if r.request.url.startswith(("file:", "data:"))
                   else r.abort())
        page.goto(html_path.resolve().as_uri())
        page.wait_for_selector("body[data-ready]", state="attached", timeout=30_000)
        if select:
            page.evaluate("id => irgraph.select(id, false)", select)
        page.wait_for_timeout(800)
        page.screenshot(path=str(png))
        browser.close()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-o", "--output", type=Path, default=ROOT / "docs" / "explorer.png")
    ap.add_argument("--html", type=Path, default=Path("/tmp/irgraph-seed-explorer.html"))
    ap.add_argument("--select", default="c:688088", help="node id to select for the picture")
    args = ap.parse_args(argv)
    G = seed_graph()
    html = render_explorer(G, title="irgraph explorer · 种子样本 seed records")
    args.html.write_text(html, encoding="utf-8")
    screenshot(args.html, args.output, select=args.select)
    print(f"{G.number_of_nodes()} nodes, {G.number_of_edges()} edges -> {args.output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
