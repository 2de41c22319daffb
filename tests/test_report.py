"""Reports on the seed graph (values counted by hand, see tests/test_graph.py) and small graphs.

Golden files under tests/golden/ are what users see in the CSVs; regenerate them deliberately
with ``IRGRAPH_REGEN_GOLDEN=1 pytest tests/test_report.py`` and review the diff.
"""

from __future__ import annotations

import importlib.util
import itertools
import os
import random
from pathlib import Path

import networkx as nx
import numpy as np
import pandas as pd
import pytest

from irgraph.errors import OptionError
from irgraph.graph import biadjacency, build_graph
from irgraph.report import (
    _top_pairs,
    centrality,
    company_overlap,
    institution_overlap,
    peer_gap,
)

GOLDEN = Path(__file__).parent / "golden"
_spec = importlib.util.spec_from_file_location("_irgraph_golden_seeds", GOLDEN / "seeds.py")
seeds = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(seeds)

CJ = "i:中信建投证券股份有限公司"
HD = "i:北京鸿道投资管理有限责任公司"
CONTRACT_CENTRALITY = [
    "node_id", "label", "side", "type", "degree", "weighted_degree", "betweenness", "pagerank",
]


@pytest.fixture(scope="module")
def G() -> nx.Graph:
    return build_graph(seeds.seed_records(), seeds.seed_resolution())


def check_golden(df: pd.DataFrame, name: str) -> None:
    text = df.to_csv(index=False, float_format="%.10g", lineterminator="\n")
    path = GOLDEN / name
    if os.environ.get("IRGRAPH_REGEN_GOLDEN"):
        path.write_text(text, encoding="utf-8")
    assert path.read_text(encoding="utf-8") == text, f"{name} differs from the golden file"


def toy(edges: dict[str, str]) -> nx.Graph:
    """Bipartite graph from {institution: companies}, e.g. {"a": "XY"}; visits = 1."""
    H = nx.Graph()
    for inst, comps in edges.items():
        H.add_node("i:" + inst, bipartite=0, label=inst, type="t", group=inst, institution_id=inst)
        for c in comps:
            H.add_node("c:" + c, bipartite=1, label=c, code=c, company=c)
            H.add_edge("i:" + inst, "c:" + c, visits=1, last_date="2024-01-01")
    return H


# ------------------------------------------------------------------ company overlap


def test_company_overlap_seeds(G):
    df = company_overlap(G)
    assert list(df.columns[:4]) == ["company_a", "company_b", "shared_institutions", "jaccard"]
    # 688088 (70 visitors) and 688561 (116) share 25: 25 / (70 + 116 - 25) = 25/161
    # 688561 and 688787 (10) share 中信建投 and 北京鸿道: 2 / (116 + 10 - 2) = 2/124
    # 688088 and 688787 share only 中信建投: 1 / (70 + 10 - 1) = 1/79
    got = list(df[["company_a", "company_b", "shared_institutions"]].itertuples(index=False, name=None))
    assert got == [("c:688088", "c:688561", 25), ("c:688561", "c:688787", 2), ("c:688088", "c:688787", 1)]
    assert df.jaccard.tolist() == pytest.approx([25 / 161, 2 / 124, 1 / 79])
    assert df.label_a.tolist() == ["虹软科技", "奇安信", "虹软科技"]
    assert df.institutions_b.tolist() == [116, 10, 10]
    check_golden(df, "company_overlap_seeds.csv")


def test_company_overlap_group_level():
    Gg = build_graph(seeds.seed_records(), seeds.seed_resolution(), level="group")
    df = company_overlap(Gg)
    # groups: 688088 68, 688561 108, shared 30 -> 30 / 146
    row = df.iloc[0]
    assert (row.company_a, row.company_b, row.shared_institutions) == ("c:688088", "c:688561", 30)
    assert row.jaccard == pytest.approx(30 / 146)


def test_top_k_and_min_shared():
    # X and Y share a, b, c; X and Z share d, e; Y and Z share f
    H = toy({"a": "XY", "b": "XY", "c": "XY", "d": "XZ", "e": "XZ", "f": "YZ"})
    pairs = lambda df: [(a[2:], b[2:], s) for a, b, s in df.iloc[:, :3].itertuples(index=False)]  # noqa: E731
    assert pairs(company_overlap(H)) == [("X", "Y", 3), ("X", "Z", 2), ("Y", "Z", 1)]
    # top-1: X's best Y, Y's best X, Z's best X -> Y–Z (nobody's best) is left out
    assert pairs(company_overlap(H, top_k=1)) == [("X", "Y", 3), ("X", "Z", 2)]
    assert pairs(company_overlap(H, min_shared=3)) == [("X", "Y", 3)]
    with pytest.raises(OptionError):
        company_overlap(H, top_k=0)
    with pytest.raises(OptionError):
        company_overlap(H, min_shared=0)


def brute_pairs(H: nx.Graph, side: int, top_k, min_shared) -> dict[tuple[str, str], int]:
    nodes = sorted(n for n, b in H.nodes(data="bipartite") if b == side)
    nb = {n: set(H[n]) for n in nodes}
    shared = {}
    for a, b in itertools.combinations(nodes, 2):
        s = len(nb[a] & nb[b])
        if s >= min_shared:
            shared[(a, b)] = s
    if top_k is None:
        return shared
    keep = set()
    for n in nodes:
        part = [(s, s / len(nb[a] | nb[b]), b if a == n else a, (a, b)) for (a, b), s in shared.items() if n in (a, b)]
        part.sort(key=lambda t: (-t[0], -t[1], t[2]))
        keep.update(t[3] for t in part[:top_k])
    return {p: shared[p] for p in keep}


@pytest.mark.parametrize("top_k,min_shared", [(None, 1), (3, 1), (1, 1), (4, 2)])
def test_overlaps_match_brute_force(top_k, min_shared):
    rng = random.Random(5)
    H = toy({f"{i:02d}": "".join(rng.sample("ABCDEFGHIJKLMNOPQRSTUVWXYZ", rng.randint(1, 9))) for i in range(60)})
    for fn, side, cols in (
        (company_overlap, 1, ("company_a", "company_b", "shared_institutions")),
        (institution_overlap, 0, ("institution_a", "institution_b", "shared_companies")),
    ):
        df = fn(H, top_k=top_k, min_shared=min_shared)
        got = {(a, b): s for a, b, s in df[list(cols)].itertuples(index=False)}
        assert got == brute_pairs(H, side, top_k, min_shared)
        assert (df[cols[0]] < df[cols[1]]).all()
        # jaccard = shared / union
        for a, b, s, j in df.iloc[:, :4].itertuples(index=False):
            assert j == pytest.approx(s / len(set(H[a]) | set(H[b])))


def test_blocked_product_equals_one_block():
    rng = random.Random(11)
    H = toy({f"{i:03d}": "".join(rng.sample("ABCDEFGHIJKLMNOPQRST", rng.randint(1, 12))) for i in range(300)})
    _, _, B = biadjacency(H)
    one = _top_pairs(B, 5, 1, max_work=10**12)
    many = _top_pairs(B, 5, 1, max_work=50)
    assert np.array_equal(one, many) and len(one) > 300


@pytest.mark.parametrize("case", range(16))
def test_upper_triangle_pairs_equal_the_whole_products(case, monkeypatch):
    """The pairs from the upper triangle of M·Mᵀ (rows with a low cut-off made again from their
    whole rows, high ones counted by a second histogram or sorted) are those of the plain way."""
    import scipy.sparse as sp

    import irgraph.report as report

    rng = np.random.default_rng(case)
    n, m = int(rng.integers(1, 160)), int(rng.integers(1, 120))
    # rows of very different densities: few partners, many ties, cut-offs above the cap
    dens = rng.choice([0.01, 0.05, 0.3, 0.8], size=n)[:, None]
    M = sp.csr_matrix((rng.random((n, m)) < dens).astype(np.int32))
    if case % 4 == 3:
        monkeypatch.setattr(report, "_CAP", 3)
    if case % 8 == 7:
        monkeypatch.setattr(report, "_HIST_BINS", 0)  # the rows above the cap sorted instead
    top_k = [1, 2, 5, 50][case % 4]
    min_shared = [1, 1, 2, 3][(case // 4) % 4]
    max_work = [50, 10**12][case % 2]
    fast = _top_pairs(M, top_k, min_shared, max_work=max_work)
    plain = _top_pairs(M, top_k, min_shared, max_work=max_work, halves=False)
    assert fast.dtype == plain.dtype and np.array_equal(fast, plain)


def test_pair_order_is_the_lexsort_of_shared_and_jaccard():
    from irgraph.report import _pair_order

    rng = np.random.default_rng(3)
    for n in (1, 50, 5000):
        a = rng.integers(0, 300, n)
        b = a + rng.integers(1, 300, n)
        code = np.unique(a * 1000 + b)  # sorted by (a, b), as _top_pairs gives them
        a, b = code // 1000, code % 1000
        s = rng.integers(1, 6, len(a))
        union = s + rng.integers(0, 8, len(a))
        jac = s / union
        assert np.array_equal(_pair_order(s, union, jac, a, b), np.lexsort((b, a, -jac, -s)))


# ------------------------------------------------------------------ institution overlap


def test_institution_overlap_seeds(G):
    df = institution_overlap(G, top_k=5)
    assert list(df.columns[:4]) == ["institution_a", "institution_b", "shared_companies", "jaccard"]
    # 中信建投 visited all three companies, 北京鸿道 688561 and 688787: shared 2, Jaccard 2/3.
    # No other pair shares more than 2 companies (only 中信建投 visited three).
    row = df[(df.institution_a == CJ) & (df.institution_b == HD)].iloc[0]
    assert (row.shared_companies, row.companies_a, row.companies_b) == (2, 3, 2)
    assert row.jaccard == pytest.approx(2 / 3)
    assert df.shared_companies.max() == 2
    assert (df.institution_a < df.institution_b).all()
    assert not df.duplicated(["institution_a", "institution_b"]).any()
    check_golden(df, "institution_overlap_seeds.csv")


# ------------------------------------------------------------------ centrality


def test_centrality_seeds(G):
    df = centrality(G)
    assert list(df.columns[:8]) == CONTRACT_CENTRALITY
    assert len(df) == 172 and df.attrs["betweenness_method"] == "exact"
    assert (df.betweenness_method == "exact").all()
    assert (df.betweenness_pivots == 172).all() and df.betweenness_seed.isna().all()  # every node, no seed
    by = df.set_index("node_id")
    # degrees counted by hand (see test_graph.py)
    assert by.loc["c:688561", ["degree", "weighted_degree", "n_records"]].tolist() == [116, 116, 1]
    assert by.loc["c:688787", ["degree", "weighted_degree", "n_records"]].tolist() == [10, 10, 2]
    assert by.loc[CJ, ["degree", "weighted_degree", "side", "type"]].tolist() == [3, 3, "institution", "证券公司"]
    # the company with most visitors is most central; 中信建投 (the only institution at all three)
    # is the most central institution
    assert df.iloc[0].node_id == "c:688561" and by.loc["c:688561", "rank_in_side"] == 1
    inst = df[df.side == "institution"]
    assert inst.iloc[0].node_id == CJ and inst.iloc[0].rank_in_side == 1
    assert by.loc[CJ, "betweenness"] == inst.betweenness.max()
    # ranks: 1..n within side and within (side, type), in PageRank order
    for _, grp in df.groupby("side"):
        assert grp.rank_in_side.tolist() == list(range(1, len(grp) + 1))
    for _, grp in df.groupby(["side", "type"]):
        assert grp.rank_in_type.tolist() == list(range(1, len(grp) + 1))
    # same values as networkx
    bc = nx.betweenness_centrality(G)
    pr = nx.pagerank(G, weight="visits")
    assert by.betweenness.to_dict() == pytest.approx(bc, abs=1e-12)
    assert by.pagerank.to_dict() == pytest.approx(pr, abs=1e-12)
    assert df.pagerank.sum() == pytest.approx(1.0)
    check_golden(df, "centrality_seeds.csv")


def test_centrality_sampled_matches_networkx(G):
    df = centrality(G, exact_max_nodes=100, k=30, seed=7)
    assert df.attrs["betweenness_method"] == "sampled"
    assert (df.attrs["betweenness_k"], df.attrs["betweenness_seed"]) == (30, 7)
    assert (df.betweenness_method == "sampled").all()
    assert (df.betweenness_pivots == 30).all() and (df.betweenness_seed == 7).all()
    ref = nx.betweenness_centrality(G, k=30, seed=7)
    assert df.set_index("node_id").betweenness.to_dict() == pytest.approx(ref, abs=1e-12)
    again = centrality(G, exact_max_nodes=100, k=30, seed=7)
    pd.testing.assert_frame_equal(df, again)


def test_centrality_edge_cases():
    empty = centrality(nx.Graph())
    assert empty.empty and list(empty.columns[:8]) == CONTRACT_CENTRALITY
    H = toy({"a": "X", "b": "Y"})  # two components
    df = centrality(H).set_index("node_id")
    assert df.betweenness.tolist() == [0.0] * 4
    assert df.pagerank.to_dict() == pytest.approx(nx.pagerank(H, weight="visits"))


def test_group_level_centrality():
    Gg = build_graph(seeds.seed_records(), seeds.seed_resolution(), level="group")
    df = centrality(Gg).set_index("node_id")
    # 申万宏源 group: 申万宏源证券 (688088, 688561) + 申银万国研究所 (688561) -> 2 companies
    assert df.loc["g:申万宏源", ["degree", "weighted_degree"]].tolist() == [2, 2]
    assert df.loc["c:688088", "degree"] == 68


def _random_bipartite(rng: random.Random, n_inst: int, n_comp: int, p: float) -> nx.Graph:
    """A random institution-company graph (some nodes isolated, several components)."""
    H = nx.Graph()
    insts = [f"i:{k}" for k in range(n_inst)]
    comps = [f"c:{k:06d}" for k in range(n_comp)]
    nodes = [(u, {"bipartite": 0, "type": "t"}) for u in insts] + [(u, {"bipartite": 1}) for u in comps]
    rng.shuffle(nodes)  # sides interleaved in graph order
    H.add_nodes_from(nodes)
    for i in insts:
        for c in comps:
            if rng.random() < p:
                H.add_edge(i, c, visits=rng.randint(1, 4))
    return H


def _plain_adjacency(G: nx.Graph) -> tuple[list, object, object]:
    """The adjacency as report._adjacency made it before reading each edge once."""
    import scipy.sparse as sp

    nodes = list(G)
    index = {u: i for i, u in enumerate(nodes)}
    indptr = np.zeros(len(nodes) + 1, dtype=np.int64)
    np.cumsum([len(G._adj[u]) for u in nodes], out=indptr[1:])
    indices = np.array([index[v] for u in nodes for v in G._adj[u]], dtype=np.int64)
    weights = np.array([d.get("visits", 1) for u in nodes for d in G._adj[u].values()], dtype=np.float64)
    W = sp.csr_matrix((weights, indices, indptr), shape=(len(nodes), len(nodes)))
    W.sort_indices()
    A = W.copy()
    A.data[:] = 1.0
    return nodes, A, W


@pytest.mark.parametrize("case", range(8))
def test_adjacency_equals_the_plain_one(case):
    from irgraph.report import _adjacency

    rng = random.Random(case)
    H = _random_bipartite(rng, rng.randint(0, 30), rng.randint(0, 15), rng.choice([0.05, 0.2, 0.6]))
    if case % 2 and len(H) > 2:  # self-loops, an edge within a side, edges without visits or with floats
        u, v = rng.sample(list(H), 2)
        H.add_edge(u, u, visits=3)
        H.add_edge(u, v)
        for *_, d in list(H.edges(data=True))[::3]:
            d["visits"] = 2.5
    nodes, A, W = _adjacency(H)
    ref_nodes, ref_A, ref_W = _plain_adjacency(H)
    assert nodes == ref_nodes
    for got, ref in ((A, ref_A), (W, ref_W)):
        assert got.has_sorted_indices
        for attr in ("indptr", "indices", "data"):
            assert np.array_equal(getattr(got, attr), getattr(ref, attr)), attr


@pytest.mark.parametrize("case", range(12))
def test_two_sided_betweenness_has_the_bits_of_the_plain_one(case):
    """The products between the two sides only (and restricted to the rows and columns that
    matter) give the same floats, bit for bit, as the products over the whole adjacency."""
    from irgraph.report import _adjacency, _betweenness, _Halves

    rng = random.Random(100 + case)
    H = _random_bipartite(rng, rng.randint(1, 120), rng.randint(1, 60), rng.choice([0.01, 0.03, 0.1, 0.4]))
    nodes, A, _ = _adjacency(H)
    sides = np.array([H.nodes[u]["bipartite"] == 0 for u in nodes])
    assert _Halves.of(A, sides) is not None
    src = rng.sample(range(len(nodes)), rng.randint(1, len(nodes)))
    batch = rng.choice([1, 7, 64])
    fast = _betweenness(A, src, batch=batch, sides=sides)
    plain = _betweenness(A, src, batch=batch)
    assert fast.tobytes() == plain.tobytes()
    ones = [u for u, s in zip(nodes, sides, strict=True) if s]
    if len(ones) >= 2:  # an edge within a side: the plain products
        H.add_edge(ones[0], ones[1])
        _, A2, _ = _adjacency(H)
        assert _Halves.of(A2, sides) is None
        assert _betweenness(A2, src, sides=sides).tobytes() == _betweenness(A2, src).tobytes()


def test_year_like_centrality_is_networkx_betweenness():
    rng = random.Random(5)
    H = _random_bipartite(rng, 150, 40, 0.05)
    df = centrality(H, exact_max_nodes=50, k=40, seed=3).set_index("node_id")
    ref = nx.betweenness_centrality(H, k=40, seed=3)
    assert df.betweenness.to_dict() == pytest.approx(ref, abs=1e-12)
    exact = centrality(H).set_index("node_id")
    assert exact.betweenness.to_dict() == pytest.approx(nx.betweenness_centrality(H), abs=1e-12)


# ------------------------------------------------------------------ peer gap


def test_peer_gap_seeds(G):
    df = peer_gap(G, "688088")
    # peers by Jaccard with 688088: 奇安信 25/161, then 海天瑞声 1/79 (no other company)
    assert df.attrs["peers"] == ["c:688561", "c:688787"]
    assert df.attrs["company"] == "c:688088"
    # visited a peer but never 688088: (116 - 25) + (10 - 1) - 1 (北京鸿道 at both peers) = 99
    assert len(df) == 99
    first = df.iloc[0]
    assert first.institution_id == "北京鸿道投资管理有限责任公司"
    assert (first.peers_visited, first.n_peers_visited, first.visits, first.last_date) == (
        "奇安信;海天瑞声", 2, 2, "2024-09-04"
    )
    # then the six 海天瑞声 visitors of 2024-11-05 (中信建投 also visited 688088), then the two of
    # 2024-09-04, then the 90 奇安信-only visitors of 2024-08-30
    assert df.last_date.tolist() == ["2024-09-04"] + ["2024-11-05"] * 6 + ["2024-09-04"] * 2 + ["2024-08-30"] * 90
    assert CJ not in set(df.node_id)
    assert set(df.node_id).isdisjoint(G["c:688088"])
    assert list(df.columns[:8]) == [
        "institution_id", "institution", "type", "group", "peers_visited", "n_peers_visited", "visits", "last_date",
    ]
    check_golden(df, "peer_gap_688088.csv")


def test_peer_gap_lookup_and_peers(G):
    ref = peer_gap(G, "688088")
    for key in ("c:688088", "虹软科技", "虹软科技股份有限公司"):
        pd.testing.assert_frame_equal(peer_gap(G, key), ref)
    df = peer_gap(G, "688088", peers=["海天瑞声"])
    assert df.attrs["peers"] == ["c:688787"] and len(df) == 9
    assert peer_gap(G, "688088", n_peers=1).attrs["peers"] == ["c:688561"]
    assert len(peer_gap(G, "688088", n_peers=1)) == 91
    # the company itself among the peers is ignored
    assert peer_gap(G, "688088", peers=["688088", "688787"]).attrs["peers"] == ["c:688787"]
    with pytest.raises(OptionError, match="unknown company"):
        peer_gap(G, "600000")
    with pytest.raises(OptionError, match="unknown company"):
        peer_gap(G, "688088", peers=["不存在"])


def test_reports_do_not_mutate(G):
    before = (list(G.nodes(data=True)), list(G.edges(data=True)), dict(G.graph))
    centrality(G)
    company_overlap(G)
    institution_overlap(G)
    peer_gap(G, "688787")
    assert (list(G.nodes(data=True)), list(G.edges(data=True)), dict(G.graph)) == before
