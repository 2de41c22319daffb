"""The graph's columns (GraphColumns) against the networkx graph they stand for.

``build_graph`` is ``graph_columns(...).to_graph()``; a build makes the reports, the explorer and the
graph files from the columns. Each of those must give what it gives for the graph: checked on random
records (entity and group level, date and type filters, empty graphs) and on the real seed and dev
inputs parsed and resolved.
"""

from __future__ import annotations

import random
from pathlib import Path

import networkx as nx
import numpy as np
import pandas as pd
import pytest

from irgraph import export
from irgraph.explore import render_explorer
from irgraph.graph import EDGE_ATTRIBUTES, GraphColumns, biadjacency, build_graph, graph_columns, graph_rows
from irgraph.models import Attendee, Match, Record, Resolution
from irgraph.pipeline import BuildResult, read_records
from irgraph.report import centrality, company_overlap, institution_overlap

ROOT = Path(__file__).resolve().parent.parent
TYPES = ("特定对象调研", "分析师会议", "业绩说明会", "现场参观")


def random_inputs(seed: int, n_records: int = 120, n_names: int = 90) -> tuple[list[Record], Resolution]:
    """Records of ~25 companies visited by raw names of ~40 institutions in 12 groups: some names
    generic or unknown to the resolution, dates and types sometimes missing, names repeated in a
    record, persons named, unnamed or empty."""
    rng = random.Random(seed)
    matches = {}
    for k in range(n_names):
        raw = f"机构{k}" + rng.choice(["", "证券", "基金", "&<研究所>", " 资管"])
        roll = rng.random()
        if roll < 0.08:
            matches[raw] = Match(raw, "", "", "", "", "generic", 0.0)
        elif roll < 0.13:
            continue  # unresolved
        else:
            iid = f"I{rng.randrange(40):02d}"
            group = f"集团{int(iid[1:]) % 12}" if rng.random() < 0.8 else ""
            matches[raw] = Match(raw, iid, f"全称{iid}" if rng.random() < 0.9 else "", group,
                                 rng.choice(["证券公司", "基金管理公司", "私募基金", ""]), "registry", 0.9,
                                 group_id=f"G{group}" if group and rng.random() < 0.5 else "")
    raws = [f"机构{k}" + s for k in range(n_names) for s in ["", "证券", "基金", "&<研究所>", " 资管"]]
    raws = [r for r in raws if r in matches] + ["无名机构", "另一个无名机构"]
    records = []
    for r in range(n_records):
        code = f"{rng.randrange(25):06d}"
        date = None if rng.random() < 0.1 else f"2024-{rng.randrange(1, 13):02d}-{rng.randrange(1, 29):02d}"
        types = None if rng.random() < 0.1 else tuple(rng.sample(TYPES, rng.randrange(1, 3)))
        atts = []
        for _ in range(rng.randrange(0, 9)):
            person = rng.choice([None, "", "张三", "李四", "王五", "赵六;钱七"])
            atts.append(Attendee(rng.choice(raws), person))
        records.append(Record(
            source=f"{r:04d}.txt", stock_code=None if rng.random() < 0.05 else code,
            short_name=rng.choice([f"简称{code}", f"新{code}", None]), company=rng.choice([f"公司{code}", None]),
            activity_types=types, dates=(date,) if date else (), attendees=tuple(atts),
            kind="ir_record" if rng.random() < 0.95 else "other",
        ))
    return records, Resolution(matches=matches)


def same_graph(G: nx.Graph, H: nx.Graph) -> None:
    """Equal graph attributes, nodes, edges and attributes, in equal order (adjacency too)."""
    assert list(G.graph.items()) == list(H.graph.items())
    assert [(n, list(d.items())) for n, d in G.nodes(data=True)] == [(n, list(d.items())) for n, d in H.nodes(data=True)]
    for u in G:
        assert [(v, list(d.items())) for v, d in G._adj[u].items()] == [(v, list(d.items())) for v, d in H._adj[u].items()]
    for u, v in G.edges():
        assert G._adj[u][v] is G._adj[v][u]


def check_columns(C: GraphColumns, G: nx.Graph, tmp_path: Path) -> None:
    """Every column path gives what the graph path gives."""
    same_graph(C.to_graph(), G)
    assert C.nodes == list(G) and C.n_edges == G.number_of_edges()
    edges = list(G.edges(data=True))
    assert [(C.nodes[u], C.nodes[v], C.edge_attrs(k)) for k, (u, v) in
            enumerate(zip(C.source.tolist(), C.target.tolist(), strict=True))] == edges
    assert all(list(C.edge_attrs(k)) == list(EDGE_ATTRIBUTES) for k in range(C.n_edges))
    for a, b in zip(biadjacency(C), biadjacency(G), strict=True):
        if isinstance(a, list):
            assert a == b
        else:
            assert (a != b).nnz == 0 and a.dtype == b.dtype
    tables = {}
    for name, src in (("columns", C), ("graph", G)):
        cent = centrality(src, k=7, seed=3, exact_max_nodes=40)
        tables[name] = [cent, centrality(src), *(f(src, top_k=k) for f in (company_overlap, institution_overlap)
                                                 for k in (2, None))]
        tables[name] += [render_explorer(src, cent, top_n=12, max_edges=15, detail_limit=3, hidden_limit=2),
                         render_explorer(src, None, top_n=500)]
        out = tmp_path / name
        out.mkdir(exist_ok=True)
        export.write_graph_files(src, out / "graph.graphml", out / "graph.gexf")
        tables[name] += [(out / "graph.graphml").read_bytes(), (out / "graph.gexf").read_bytes()]
    for a, b in zip(tables["columns"], tables["graph"], strict=True):
        if isinstance(a, pd.DataFrame):
            pd.testing.assert_frame_equal(a, b, check_exact=True)
            assert a.attrs == b.attrs
        else:
            assert a == b


OPTIONS = [
    {},
    {"level": "group"},
    {"since": "2024-04-01"},
    {"until": "2024-08-31", "level": "group"},
    {"since": "2024-03-01", "until": "2024-09-30", "types": ["分析师会议", "现场参观"]},
    {"types": "业绩说明会"},
    {"types": ["没有这种活动"]},  # no record kept: an empty graph
    {"since": "2030-01-01", "level": "group"},
]


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("options", OPTIONS)
def test_column_paths_equal_the_graph_paths_on_random_records(seed, options, tmp_path):
    records, res = random_inputs(seed, n_records=20 if seed == 0 else 120)  # (seed 0: fewer edges than a run)
    C = graph_columns(records, res, **options)
    G = build_graph(records, res, **options)
    assert isinstance(C, GraphColumns) and C.n_nodes == G.number_of_nodes()
    check_columns(C, G, tmp_path)
    assert graph_columns(graph_rows(records), res, **options).to_graph().graph == G.graph


def test_empty_graph_columns(tmp_path):
    records, res = random_inputs(1)
    C = graph_columns(records, res, types=["没有这种活动"])
    assert C.n_nodes == C.n_edges == 0 and C.graph["records"] == 0
    check_columns(C, build_graph(records, res, types=["没有这种活动"]), tmp_path)
    C = graph_columns([], Resolution(matches={}))
    check_columns(C, build_graph([], Resolution(matches={})), tmp_path)


@pytest.fixture(scope="module")
def real_inputs() -> tuple[tuple[Record, ...], Resolution]:
    from irgraph.resolve import resolve

    records = read_records([ROOT / "data" / "samples", ROOT / "tests" / "data" / "dev"])
    rows = [(a.institution, a.person) for r in records for a in r.institution_rows]
    return records, resolve([n for n, _ in rows], evidence=[(n, p) for n, p in rows if p])


@pytest.mark.parametrize("options", [{}, {"level": "group"}, {"since": "2024-06-01", "types": ["特定对象调研"]}])
def test_column_paths_equal_the_graph_paths_on_seeds_and_dev(real_inputs, options, tmp_path):
    records, res = real_inputs
    C = graph_columns(records, res, **options)
    assert C.n_edges >= 64 or options  # (the whole set: the graph files' run path)
    check_columns(C, build_graph(records, res, **options), tmp_path)


def test_build_result_makes_the_graph_from_columns_when_read(real_inputs, tmp_path):
    records, res = real_inputs
    C = graph_columns(records, res)
    result = BuildResult((), res, C, {})
    assert result.__dict__["_graph"] is None  # not made yet
    G = result.graph
    assert result.graph is G  # made once
    same_graph(G, build_graph(records, res))
    G2 = build_graph(records, res)
    result.graph = G2
    assert result.graph is G2 and result._graph_or_columns() is G2
    assert np.array_equal(C.visits, [G.edges[C.nodes[u], C.nodes[v]]["visits"]
                                     for u, v in zip(C.source.tolist(), C.target.tolist(), strict=True)])
