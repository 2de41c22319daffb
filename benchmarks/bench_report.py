"""Year-scale benchmark of graph + reports (on demand, not part of the test suite).

A deterministic synthetic year: 4,500 companies, 12,000 institutions, 30,000 records, ~485,000
attendee rows and ~400,000 institution–company edges with heavy-tailed (Pareto) company and
institution activity.  Times build_graph, centrality (sampled betweenness), both overlaps and peer_gap,
and prints seconds per step and the peak RSS.

    PYTHONPATH=. .venv/bin/python benchmarks/bench_report.py [--edges 400000] [--k 50]

Target: <= 15 s total on 2 cores.  Measured (2 cores, shared with other jobs): build_graph
3.6 s, centrality 1.3 s (sampled betweenness, default k=200; 0.8 s with k=50), company_overlap
0.9 s, institution_overlap 2.5 s, peer_gap 0.2 s: total 8.4 s, peak RSS 1.25 GB (most of it
the 484k synthetic Attendee objects).  With --export: GraphML ~8 s, GEXF ~12 s, Parquet 0.3 s,
xlsx ~90 s for the three tables (openpyxl writes ~10 µs per cell).
"""

from __future__ import annotations

import argparse
import resource
import sys
import time

import numpy as np

from irgraph.graph import build_graph
from irgraph.models import Attendee, Match, Record, Resolution
from irgraph.report import centrality, company_overlap, institution_overlap, peer_gap

TYPES = ("证券公司", "基金管理公司", "私募基金", "保险资产管理公司", "海外机构", "投资公司")
ACTIVITIES = ("特定对象调研", "分析师会议", "业绩说明会", "电话会议", "其他")


def synthetic_year(
    n_companies: int = 4500,
    n_institutions: int = 12000,
    target_edges: int = 400_000,
    n_records: int = 30_000,
    seed: int = 7,
) -> tuple[list[Record], Resolution]:
    """Records and resolution of a synthetic year; same arguments -> same data."""
    rng = np.random.default_rng(seed)
    # Pareto activity, capped so the busiest company has ~1,300 visiting institutions and the
    # busiest broker visits ~2,000 companies in the year (as in real years)
    comp_w = np.minimum(rng.pareto(1.2, n_companies) + 1.0, 60.0)
    comp_w /= comp_w.sum()
    inst_w = np.minimum(rng.pareto(1.1, n_institutions) + 1.0, 800.0)
    inst_w /= inst_w.sum()
    rec_comp = rng.choice(n_companies, size=n_records, p=comp_w)
    # attendee rows per record: heavy-tailed, mean tuned so the distinct edges reach the target
    mean_rows = 16.0 * target_edges / 400_000
    sizes = np.minimum((rng.pareto(1.8, n_records) + 1.0) * mean_rows * 0.45, 400).astype(int) + 1
    rows = rng.choice(n_institutions, size=int(sizes.sum()), p=inst_w)
    names = [f"机构{i:05d}" for i in range(n_institutions)]
    matches = {
        n: Match(n, f"I{i:05d}", n + "有限公司", f"集团{i // 3:05d}", TYPES[i % len(TYPES)], "registry", 1.0)
        for i, n in enumerate(names)
    }
    records = []
    pos = 0
    for r in range(n_records):
        c = int(rec_comp[r])
        day = 1 + (r * 7919) % 365
        date = np.datetime64("2024-01-01") + np.timedelta64(day - 1, "D")
        chunk = rows[pos : pos + sizes[r]]
        att = tuple(Attendee(names[int(i)], f"P{(int(i) * 31 + k) % 997}") for k, i in enumerate(chunk))
        pos += sizes[r]
        records.append(
            Record(
                source=f"r{r:05d}.txt",
                stock_code=f"{600000 + c:06d}",
                short_name=f"公司{c:04d}",
                company=f"公司{c:04d}股份有限公司",
                activity_types=(ACTIVITIES[r % len(ACTIVITIES)],),
                dates=(str(date),),
                attendees=att,
            )
        )
    return records, Resolution(matches=matches)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--edges", type=int, default=400_000)
    ap.add_argument("--k", type=int, default=None, help="betweenness pivots")
    ap.add_argument("--export", action="store_true", help="also time the GraphML/GEXF/xlsx/Parquet writers")
    args = ap.parse_args(argv)

    steps: list[tuple[str, float]] = []

    def timed(name, fn):
        t = time.perf_counter()
        out = fn()
        steps.append((name, time.perf_counter() - t))
        print(f"{name:<22} {steps[-1][1]:7.2f} s", flush=True)
        return out

    records, res = timed("synthetic records", lambda: synthetic_year(target_edges=args.edges))
    n_rows = sum(len(r.attendees) for r in records)
    G = timed("build_graph", lambda: build_graph(records, res))
    print(
        f"  graph: {G.number_of_nodes()} nodes, {G.number_of_edges()} edges, "
        f"{len(records)} records, {n_rows} attendee rows"
    )
    cen = timed("centrality", lambda: centrality(G, k=args.k))
    print(f"  betweenness: {cen.attrs['betweenness_method']} k={cen.attrs['betweenness_k']}")
    co = timed("company_overlap", lambda: company_overlap(G))
    io_ = timed("institution_overlap", lambda: institution_overlap(G))
    top = cen[cen.side == "company"].iloc[0]["node_id"]
    pg = timed("peer_gap", lambda: peer_gap(G, top))
    print(f"  rows: company_overlap {len(co)}, institution_overlap {len(io_)}, peer_gap {len(pg)}")
    if args.export:
        import tempfile
        from pathlib import Path

        from irgraph.export import write_gexf, write_graphml, write_parquet, write_xlsx

        frames = {"centrality": cen, "company_overlap": co, "institution_overlap": io_}
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp)
            timed("write_graphml", lambda: write_graphml(G, out / "graph.graphml"))
            timed("write_gexf", lambda: write_gexf(G, out / "graph.gexf"))
            timed("write_parquet", lambda: write_parquet(frames, out))
            timed("write_xlsx", lambda: write_xlsx(frames, out / "irgraph.xlsx"))
    total = sum(s for n, s in steps if n != "synthetic records" and not n.startswith("write_"))
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    rss_mb = rss / 1024 if sys.platform != "darwin" else rss / 2**20
    print(f"{'total (graph+reports)':<22} {total:7.2f} s   peak RSS {rss_mb:.0f} MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
