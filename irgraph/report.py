"""Reports on the attendance graph, as pandas DataFrames with deterministic row order.

``centrality`` (one row per node), ``company_overlap`` / ``institution_overlap`` (pairs that
share visitors / visited companies, from sparse co-visit matrices) and ``peer_gap``
(institutions that visit a company's peers but never the company).  See ``docs/reports.md``.
"""

from __future__ import annotations

import math
import os
import random
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from itertools import chain, compress
from operator import itemgetter, methodcaller

import networkx as nx
import numpy as np
import pandas as pd
import scipy.sparse as sp

from irgraph._columns import taken_text
from irgraph.errors import OptionError
from irgraph.graph import GraphColumns, biadjacency

__all__ = [
    "CENTRALITY_COLUMNS",
    "COMPANY_OVERLAP_COLUMNS",
    "INSTITUTION_OVERLAP_COLUMNS",
    "PEER_GAP_COLUMNS",
    "centrality",
    "company_overlap",
    "find_company",
    "institution_overlap",
    "peer_gap",
]

CENTRALITY_COLUMNS = [
    "node_id", "label", "side", "type", "degree", "weighted_degree", "betweenness", "pagerank",
    "betweenness_method", "rank_in_side", "rank_in_type", "n_visits", "n_records", "code", "group",
    "betweenness_pivots", "betweenness_seed",
]
COMPANY_OVERLAP_COLUMNS = [
    "company_a", "company_b", "shared_institutions", "jaccard",
    "label_a", "label_b", "code_a", "code_b", "institutions_a", "institutions_b",
]
INSTITUTION_OVERLAP_COLUMNS = [
    "institution_a", "institution_b", "shared_companies", "jaccard",
    "label_a", "label_b", "type_a", "type_b", "companies_a", "companies_b",
]
PEER_GAP_COLUMNS = [
    "institution_id", "institution", "type", "group", "peers_visited", "n_peers_visited",
    "visits", "last_date", "node_id",
]
COMPANY_TYPE = "company"  # the `type` of company rows in centrality
DEFAULT_PIVOTS = 200  # sampled betweenness: ~1.4 s on a year (16k nodes, 400k edges)


def _adjacency(G: nx.Graph) -> tuple[list, sp.csr_matrix, sp.csr_matrix]:
    """(nodes in G's order, 0/1 adjacency, visits-weighted adjacency), both symmetric CSR."""
    nodes = list(G)
    index = {u: i for i, u in enumerate(nodes)}
    n = len(nodes)
    # each node's neighbours, read row by row with C-level maps (G.edges() per edge was ~0.7 s on
    # a year, a generator over the rows ~0.5 s); each edge's data once, from its first end
    rows = list(map(G._adj.__getitem__, nodes))
    owner = np.repeat(np.arange(n, dtype=np.int64), np.array(list(map(len, rows)), dtype=np.int64))
    other = np.array(list(map(index.__getitem__, chain.from_iterable(rows))), dtype=np.int64)
    once = other >= owner
    datas = list(compress(chain.from_iterable(map(methodcaller("values"), rows)), once.tolist()))
    weights = _visits(datas)
    r, c = owner[once], other[once]
    two = r != c  # (a self-loop is in its node's row once)
    W = sp.csr_matrix((np.concatenate([weights, weights[two]]), (np.concatenate([r, c[two]]),
                       np.concatenate([c, r[two]]))), shape=(n, n))
    W.sort_indices()
    A = W.copy()
    A.data[:] = 1.0
    return nodes, A, W


def _column_adjacency(C: GraphColumns) -> tuple[list, sp.csr_matrix, sp.csr_matrix]:
    """What :func:`_adjacency` gives for the graph of ``C`` (no self-loops there)."""
    n = C.n_nodes
    weights = C.visits.astype(np.float64)
    r, c = C.source, C.target
    W = sp.csr_matrix((np.concatenate([weights, weights]), (np.concatenate([r, c]), np.concatenate([c, r]))),
                      shape=(n, n))
    W.sort_indices()
    A = W.copy()
    A.data[:] = 1.0
    return C.nodes, A, W


def _visits(datas: list[dict]) -> np.ndarray:
    """Each edge's ``visits`` (1 when it has none) as float64."""
    try:
        values = list(map(itemgetter("visits"), datas))
    except KeyError:
        values = list(map(methodcaller("get", "visits", 1), datas))
    if set(map(type, values)) <= {int, float}:
        return np.array(values, dtype=np.float64)
    return np.fromiter(values, dtype=np.float64, count=len(values))


def _betweenness(
    A: sp.csr_matrix, sources: Sequence[int], batch: int = 64, sides: np.ndarray | None = None
) -> np.ndarray:
    """Raw Brandes dependencies summed over ``sources`` on the unweighted graph ``A``.

    Level-synchronous BFS for a batch of sources at once (sparse × dense products); the same
    sums as networkx' ``_single_source_shortest_path_basic`` + ``_accumulate_basic``.
    ``sides`` (a bool per node): when no edge joins two nodes of one side, each level's products
    are made between the two sides only (half the work), with the same sums in the same order.
    """
    n = A.shape[0]
    halves = _Halves.of(A, sides) if sides is not None else None
    bc = np.zeros(n)
    for start in range(0, len(sources), batch):
        src = np.asarray(sources[start : start + batch], dtype=np.int64)
        delta = _dependencies(A, src) if halves is None else halves.dependencies(src)
        delta[src, np.arange(len(src))] = 0.0
        bc += delta.sum(axis=1)
    return bc


def _dependencies(A: sp.csr_matrix, src: np.ndarray) -> np.ndarray:
    """Each node's dependency (n × len(src)) on each source: BFS and accumulation on all of ``A``."""
    n = A.shape[0]
    b = len(src)
    cols = np.arange(b)
    sigma = np.zeros((n, b))
    dist = np.full((n, b), -1, dtype=np.int32)
    sigma[src, cols] = 1.0
    dist[src, cols] = 0
    frontier = sigma.copy()
    d = 0
    while True:
        nxt = A @ frontier
        new = (nxt > 0) & (dist < 0)
        if not new.any():
            break
        d += 1
        dist[new] = d
        sigma[new] = nxt[new]
        frontier = np.where(new, sigma, 0.0)
    delta = np.zeros((n, b))
    for level in range(d, 0, -1):
        at = dist == level
        t = np.zeros((n, b))
        np.divide(1.0 + delta, sigma, out=t, where=at)
        u = A @ t
        below = dist == level - 1
        delta[below] += sigma[below] * u[below]
    return delta


class _Halves:
    """A graph with two sides and no edge within a side: ``block[s]`` maps the other side's
    values to side ``s`` (rows and columns of each side in node order, so every row lists its
    neighbours in the order ``A`` does and each product sums the same terms in the same order)."""

    def __init__(self, A: sp.csr_matrix, sides: np.ndarray) -> None:
        self.n = A.shape[0]
        self.members = (np.flatnonzero(~sides), np.flatnonzero(sides))
        self.local = np.empty(self.n, dtype=np.int64)  # a node's position within its side
        for m in self.members:
            self.local[m] = np.arange(len(m))
        self.side = sides.astype(np.int64)
        self.block = tuple(_block(A, self.members[s], self.members[1 - s]) for s in (0, 1))
        self.by_column = tuple(B.tocsc() for B in self.block)
        self.row_nnz = tuple(np.diff(B.indptr) for B in self.block)
        self.col_nnz = tuple(np.diff(B.indptr) for B in self.by_column)

    @classmethod
    def of(cls, A: sp.csr_matrix, sides: np.ndarray) -> _Halves | None:
        """The halves of ``A`` when no edge joins two nodes of one side, else None."""
        sides = np.asarray(sides, dtype=bool)
        rows = np.repeat(sides, np.diff(A.indptr))
        if A.nnz and (rows == sides[A.indices]).any():
            return None
        return cls(A, sides)

    def dependencies(self, src: np.ndarray) -> np.ndarray:
        """What :func:`_dependencies` gives for ``src``, sources of each side in a batch of their own."""
        delta = np.zeros((self.n, len(src)))
        for s in (0, 1):
            ks = np.flatnonzero(self.side[src] == s)
            if len(ks):
                parts = self._one_side(s, self.local[src[ks]])
                for t in (0, 1):
                    delta[np.ix_(self.members[t], ks)] = parts[t]
        return delta

    def _product(self, s: int, x: np.ndarray, rows: np.ndarray, cols: np.ndarray) -> np.ndarray | None:
        """``block[s] @ x`` where it matters: on the rows ``rows`` (a mask; the others may hold
        anything), ``x`` being 0 outside the rows ``cols``; None when no row or column is left.

        Only the zero terms are left out, the others are summed in the same order, so the
        values are the bits of the whole product.
        """
        R, J = np.flatnonzero(rows), np.flatnonzero(cols)
        if not len(R) or not len(J):
            return None
        B = self.block[s]
        by_rows, by_cols = int(self.row_nnz[s][R].sum()), int(self.col_nnz[s][J].sum())
        if by_rows >= B.nnz and by_cols >= B.nnz:
            return B @ x
        if by_cols <= by_rows:
            return self.by_column[s][:, J] @ x[J]
        y = np.zeros((B.shape[0], x.shape[1]))
        y[R] = B[R] @ x
        return y

    def _one_side(self, x: int, src: np.ndarray) -> list[np.ndarray]:
        """The dependencies (per side) on sources of side ``x`` (positions within it).

        :func:`_dependencies`' steps; the nodes of each level are kept as a mask (level d lies
        on side x when d is even) instead of as distances.
        """
        b = len(src)
        cols = np.arange(b)
        size = [len(m) for m in self.members]
        sigma = [np.zeros((size[s], b)) for s in (0, 1)]
        seen = [np.zeros((size[s], b), dtype=bool) for s in (0, 1)]
        sigma[x][src, cols] = 1.0
        seen[x][src, cols] = True
        frontier = sigma[x].copy()
        levels = [seen[x].copy()]  # levels[d]: the nodes at distance d
        rows = [seen[x].any(axis=1)]  # rows[d]: the nodes at distance d from some source
        here = x
        while True:
            there = 1 - here
            unseen = ~seen[there]
            nxt = self._product(there, frontier, unseen.any(axis=1), rows[-1])
            if nxt is None:
                break
            new = np.greater(nxt, 0, where=unseen, out=np.zeros(nxt.shape, dtype=bool))
            in_rows = new.any(axis=1)
            if not in_rows.any():
                break
            seen[there] |= new
            np.copyto(sigma[there], nxt, where=new)
            frontier = np.where(new, nxt, 0.0)
            levels.append(new)
            rows.append(in_rows)
            here = there
        # (masked ufuncs: the arithmetic of indexing with the masks, without the indexing)
        delta = [np.zeros((size[s], b)) for s in (0, 1)]
        for level in range(len(levels) - 1, 0, -1):
            at_side = x if level % 2 == 0 else 1 - x
            below_side = 1 - at_side
            at, below = levels[level], levels[level - 1]
            t = np.zeros((size[at_side], b))
            np.add(1.0, delta[at_side], out=t, where=at)
            np.divide(t, sigma[at_side], out=t, where=at)
            u = self._product(below_side, t, rows[level - 1], rows[level])
            if u is not None:
                np.multiply(sigma[below_side], u, out=u, where=below)
                np.add(delta[below_side], u, out=delta[below_side], where=below)
        return delta


def _block(A: sp.csr_matrix, rows: np.ndarray, cols: np.ndarray) -> sp.csr_matrix:
    """``A[rows][:, cols]`` as CSR with sorted indices."""
    M = A[rows][:, cols].tocsr()
    M.sort_indices()
    return M


def _pagerank(W: sp.csr_matrix, alpha: float = 0.85, max_iter: int = 100, tol: float = 1.0e-6) -> np.ndarray:
    """PageRank of the weighted adjacency ``W``: the power iteration of networkx' ``pagerank``
    (uniform start, personalization and dangling weights), so the values agree."""
    n = W.shape[0]
    S = np.asarray(W.sum(axis=1)).ravel()
    nz = S != 0
    S[nz] = 1.0 / S[nz]
    P = sp.diags(S) @ W
    PT = P.T.tocsr()
    x = np.repeat(1.0 / n, n)
    p = np.repeat(1.0 / n, n)
    dangling = np.where(~nz)[0]
    for _ in range(max_iter):
        xlast = x
        x = alpha * (PT @ x + x[dangling].sum() * p) + (1 - alpha) * p
        if np.absolute(x - xlast).sum() < n * tol:
            break
    return x


def centrality(
    G: nx.Graph | GraphColumns, *, exact_max_nodes: int = 5000, k: int | None = None, seed: int = 42
) -> pd.DataFrame:
    """One row per node: degree, weighted degree, betweenness, PageRank and ranks.

    * ``degree``: distinct neighbours; ``weighted_degree`` = ``n_visits``: sum of edge ``visits``
      (institution × record visits); ``n_records``: distinct records a company published (for an
      institution, the records it attended, equal to its visits).
    * ``betweenness``: normalised shortest-path betweenness on the unweighted graph (visits are
      not distances), endpoints excluded.  Exact when the graph has at most ``exact_max_nodes``
      nodes; otherwise estimated from ``k`` pivots (default 200) drawn with ``random.Random(seed)``
      from the nodes in graph order — the values networkx'
      ``betweenness_centrality(G, k=k, seed=seed)`` gives, computed with batched sparse BFS.
      The method is in the column ``betweenness_method`` (``exact`` / ``sampled``), the pivots
      (every node when exact) in ``betweenness_pivots``, the seed of a sample in
      ``betweenness_seed`` (empty when exact); k and seed also in ``df.attrs``.
    * ``pagerank``: PageRank with ``weight="visits"`` (alpha 0.85; networkx' algorithm).
    * ``rank_in_side`` / ``rank_in_type``: 1 = highest PageRank among nodes of the same side /
      same side and type (ties by node id).  Companies have ``type`` ``"company"``.

    Rows are sorted by PageRank (desc), then node id. ``G`` may be the graph's
    :class:`irgraph.graph.GraphColumns` (the same table).
    """
    if isinstance(G, GraphColumns):
        nodes, A, W = _column_adjacency(G)
        attrs = G.node_attrs
    else:
        nodes, A, W = _adjacency(G)
        attrs = [G.nodes[u] for u in nodes]
    n = len(nodes)
    sampled = n > exact_max_nodes
    kk = None
    if sampled:
        kk = min(int(k) if k is not None else DEFAULT_PIVOTS, n)
        if kk < 1:
            raise OptionError(f"k (betweenness pivots) must be at least 1, not {k}")
        pivots = random.Random(seed).sample(nodes, kk)
        index = {u: i for i, u in enumerate(nodes)}
        src = [index[u] for u in pivots]
    else:
        src = list(range(n))
    inst = [d.get("bipartite") == 0 for d in attrs]
    raw = _betweenness(A, src, sides=np.array(inst, dtype=bool)) if n else np.zeros(0)
    N = n - 1  # networkx' rescaling, endpoints excluded, undirected, normalised
    if N >= 2:
        if sampled:
            is_src = np.zeros(n, dtype=bool)
            is_src[src] = True
            scale_src = 1 / ((kk - 1) * (N - 1)) if kk > 1 else math.nan
            bet = raw * np.where(is_src, scale_src, 1 / (kk * (N - 1)))
        else:
            bet = raw / (N * (N - 1))
    else:
        bet = raw
    method = "sampled" if sampled else "exact"
    pr = _pagerank(W) if n else np.zeros(0)
    deg = np.diff(A.indptr).astype(np.int64)
    wdeg = np.asarray(W.sum(axis=1)).ravel().astype(np.int64) if n else np.zeros(0, dtype=np.int64)

    n_records = np.array(
        [w if i else int(d.get("records", w)) for d, i, w in zip(attrs, inst, wdeg, strict=True)],
        dtype=np.int64,
    )
    pairs = list(zip(attrs, inst, strict=True))
    df = pd.DataFrame(
        {
            "node_id": nodes,
            "label": [d.get("label", u) for d, u in zip(attrs, nodes, strict=True)],
            "side": ["institution" if i else "company" for i in inst],
            "type": [d.get("type", "") if i else COMPANY_TYPE for d, i in pairs],
            "degree": deg,
            "weighted_degree": wdeg,
            "betweenness": bet.astype(np.float64),
            "pagerank": pr.astype(np.float64),
            "betweenness_method": method,
            "n_visits": wdeg,
            "n_records": n_records,
            "code": ["" if i else d.get("code", "") for d, i in pairs],
            "group": [d.get("group", "") if i else "" for d, i in pairs],
        }
    )
    df = df.sort_values(["pagerank", "node_id"], ascending=[False, True], kind="mergesort")
    df = df.reset_index(drop=True)
    df["rank_in_side"] = df.groupby("side", sort=False).cumcount().astype("int64") + 1
    df["rank_in_type"] = df.groupby(["side", "type"], sort=False).cumcount().astype("int64") + 1
    df["betweenness_pivots"] = np.int64(kk if sampled else n)
    df["betweenness_seed"] = pd.array([seed if sampled else None] * len(df), dtype="Int64")
    df = df[CENTRALITY_COLUMNS]
    df.attrs.update(
        {
            "betweenness_method": method,
            "betweenness_k": kk,
            "betweenness_seed": seed if sampled else None,
            "exact_max_nodes": exact_max_nodes,
        }
    )
    return df


# ---------------------------------------------------------------- overlaps


def _row_blocks(M: sp.csr_matrix, max_work: int, work: np.ndarray | None = None) -> list[tuple[int, int]]:
    """Row ranges of ``M`` whose share of the work of ``M·Mᵀ`` stays under ``max_work``
    (``work``: the products of each row, when not those of the whole product)."""
    if work is None:
        col_deg = np.asarray(M.sum(axis=0)).ravel().astype(np.int64)
        work = M @ col_deg  # products per row = sum of its columns' degrees
    work = np.cumsum(work)
    blocks, start, done = [], 0, 0
    n = M.shape[0]
    while start < n:
        stop = int(np.searchsorted(work, done + max_work, side="right"))
        stop = min(max(stop, start + 1), n)
        blocks.append((start, stop))
        done = int(work[stop - 1])
        start = stop
    return blocks


def _block_top(
    S: sp.csr_matrix, row_ids: np.ndarray, deg: np.ndarray, top_k: int | None, min_shared: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Top-k partners of the rows ``row_ids`` whose co-occurrence counts are the CSR block ``S``.

    Returns (a, b, shared) with a < b.  Vectorised over the block: a per-row histogram of the
    shared counts gives each row's cut-off (the shared count of its (k+1)-th partner, the row
    itself included), only entries at or above it are sorted exactly.
    """
    b = S.shape[0]
    counts = np.diff(S.indptr)
    data = S.data
    cut = np.full(b, min_shared, dtype=np.int64)
    if top_k is not None and len(data):
        top = int(data.max()) + 1
        wide = np.int64 if b * top >= 2**31 else np.int32
        rows = np.repeat(np.arange(b, dtype=wide), counts)
        hist = np.bincount(rows * wide(top) + data, minlength=b * top).reshape(b, top)
        del rows
        own = np.flatnonzero(counts)  # the row itself: shared = its degree; not a partner
        hist[own, deg[row_ids[own]]] -= 1
        at_least = hist[:, ::-1].cumsum(axis=1)[:, ::-1]  # at_least[r, v] = #partners with s >= v
        enough = at_least >= top_k
        # the largest v with at least top_k partners at or above it
        kth = np.where(enough.any(axis=1), top - 1 - np.argmax(enough[:, ::-1], axis=1), 0)
        cut = np.maximum(cut, kth)
    idx = np.flatnonzero(data >= np.repeat(cut.astype(data.dtype), counts))
    rows = np.searchsorted(S.indptr, idx, side="right").astype(np.int64) - 1
    cols = S.indices[idx].astype(np.int64)
    sh = data[idx].astype(np.int64)
    mine = cols != row_ids[rows]
    rows, cols, sh = rows[mine], cols[mine], sh[mine]
    if top_k is not None and len(sh):
        # Within a row and equal shared count s, Jaccard s / (deg_r + deg_c - s) falls as deg_c
        # grows, so (s desc, Jaccard desc, c asc) is the order (s desc, deg_c asc, c asc).
        order = np.lexsort((cols, deg[cols], -sh, rows))
        rows, cols, sh = rows[order], cols[order], sh[order]
        first = np.flatnonzero(np.r_[True, rows[1:] != rows[:-1]])
        pos = np.arange(len(rows)) - np.repeat(first, np.diff(np.r_[first, len(rows)]))
        sel = pos < top_k
        rows, cols, sh = rows[sel], cols[sel], sh[sel]
    r = row_ids[rows]
    return np.minimum(r, cols), np.maximum(r, cols), sh


def _top_pairs(
    M: sp.csr_matrix, top_k: int | None, min_shared: int, max_work: int = 5_000_000, *, halves: bool = True
) -> np.ndarray:
    """Pairs (a, b, shared) of rows of the 0/1 matrix ``M`` sharing ≥ ``min_shared`` columns.

    A pair is kept when b is among a's ``top_k`` partners or a among b's (partners ranked by
    shared count desc, Jaccard desc, index asc); each pair is returned once with a < b, sorted
    by (a, b).  ``S = M·Mᵀ`` is computed in row blocks so memory stays bounded; with ``top_k``
    (and ``halves``) only its upper triangle, see :func:`_upper_top_pairs`.
    """
    n = M.shape[0]
    deg = np.asarray(M.sum(axis=1)).ravel().astype(np.int64)
    MT = M.T.tocsr()
    if top_k is not None and halves:
        return _upper_top_pairs(M, MT, deg, top_k, min_shared, max_work)
    codes: list[np.ndarray] = []
    shares: list[np.ndarray] = []

    def one(block: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
        start, stop = block
        a, b, sh = _block_top((M[start:stop] @ MT).tocsr(), np.arange(start, stop), deg, top_k, min_shared)
        return a * n + b, sh

    with ThreadPoolExecutor(_workers()) as pool:
        for code, sh in pool.map(one, _row_blocks(M, max_work)):
            codes.append(code)
            shares.append(sh)
    return _unique_pairs(codes, shares, n)


def _workers() -> int:
    # scipy's sparse product and numpy release the GIL: blocks run on threads; map keeps order
    return max(1, min(4, os.cpu_count() or 1))


def _unique_pairs(codes: list[np.ndarray], shares: list[np.ndarray], n: int) -> np.ndarray:
    """The pairs (a, b, shared) of the codes a·n + b, once each, sorted."""
    if not codes:
        return np.zeros((0, 3), dtype=np.int64)
    code = np.concatenate(codes).astype(np.int64)
    share = np.concatenate(shares).astype(np.int64)
    code, first = np.unique(code, return_index=True)  # a pair in both top-k lists comes twice
    return np.stack([code // n, code % n, share[first]], axis=1)


_CAP = 32  # shared counts told apart by a first histogram of each row's partners
_HIST_BINS = 2**26  # at most so many bins in the second one (of the rows whose cut-off is above cap)


def _upper_top_pairs(
    M: sp.csr_matrix, MT: sp.csr_matrix, deg: np.ndarray, top_k: int, min_shared: int, max_work: int
) -> np.ndarray:
    """:func:`_top_pairs` with ``top_k``, from the upper triangle of ``S = M·Mᵀ`` (half the work).

    Each pair a < b comes once, from a's row block; those sharing at least ``tau`` columns are
    kept (almost every row's cut-off is at least 2, and most pairs share one column).  From them
    each row's cut-off (the shared count of its top_k-th partner) is exact when it is ``tau`` or
    more; the rows with a lower one (fewer than top_k partners sharing ``tau``), whose lists need
    the pairs left out, are made again from their whole rows, as the blocks of the plain way are.
    """
    n = M.shape[0]
    tau = max(min_shared, 2)
    cap = max(_CAP, tau)
    # the products of row r's block in the upper triangle: for each column, its rows from r on
    sizes = np.diff(MT.indptr)
    later = np.repeat(sizes, sizes) - (np.arange(MT.nnz) - np.repeat(MT.indptr[:-1], sizes))
    work = np.bincount(MT.indices, weights=later, minlength=n)

    def upper(block: tuple[int, int]) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """The block's pairs a < b sharing at least tau, and their histogram of shared counts."""
        start, stop = block
        S = (M[start:stop] @ M[start:].T.tocsr()).tocsr()  # columns from `start` on
        rows = np.repeat(np.arange(stop - start, dtype=np.int32), np.diff(S.indptr))
        keep = S.data >= tau
        keep &= S.indices > rows  # (both counted from `start`)
        idx = np.flatnonzero(keep)
        pa = rows[idx]
        pb = S.indices[idx].astype(np.int32, copy=False)
        ps = S.data[idx].astype(np.int32, copy=False)
        pa += start
        pb += start
        clipped = np.minimum(ps, cap)
        hist = np.zeros(n * (cap + 1), dtype=np.int64)
        for end in (pa, pb):
            code = end.astype(np.int64)
            code *= cap + 1
            code += clipped
            hist += np.bincount(code, minlength=n * (cap + 1))
        return pa, pb, ps, hist

    with ThreadPoolExecutor(_workers()) as pool:
        parts = list(pool.map(upper, _row_blocks(M, max_work, work)))
        hist = sum((p[3] for p in parts), np.zeros(n * (cap + 1), dtype=np.int64))
        parts = [p[:3] for p in parts]
        kth, redo = _cut_offs(parts, hist.reshape(n, cap + 1), top_k, tau, cap, min_shared)
        codes, shares = _kept(parts, deg, kth, np.maximum(kth, min_shared), redo, top_k, n)
        del parts
        # rows whose cut-off is below tau: their lists from their whole rows
        again = np.flatnonzero(redo & (deg > 0))
        if len(again):
            sub = M[again]
            blocks = _row_blocks(sub, max_work, sub @ sizes.astype(np.int64))

            def whole(block: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
                rows = again[block[0] : block[1]]
                ra, rb, sh = _block_top((sub[block[0] : block[1]] @ MT).tocsr(), rows, deg, top_k, min_shared)
                return ra * n + rb, sh

            for code, sh in pool.map(whole, blocks):
                codes.append(code)
                shares.append(sh)
    return _unique_pairs(codes, shares, n)


def _cut_offs(
    parts: list[tuple[np.ndarray, np.ndarray, np.ndarray]], hist: np.ndarray, top_k: int, tau: int, cap: int,
    min_shared: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Each row's cut-off from the pairs (a, b, s) sharing at least ``tau`` and their histogram
    (``hist[r, v]``: r's partners sharing v, or cap and more at v = cap): the shared count of its
    top_k-th partner when that is ``tau`` or more, else 0; and the rows whose lists need pairs
    sharing less than ``tau`` (cut-off 0 and ``min_shared < tau``)."""
    n = hist.shape[0]
    at_least = hist[:, ::-1].cumsum(axis=1)[:, ::-1]  # partners sharing v or more
    enough = (at_least[:, tau:] >= top_k).sum(axis=1)  # (falls as v grows)
    kth = np.where(enough > 0, tau + enough - 1, 0).astype(np.int64)
    high = np.flatnonzero(kth == cap)  # at least top_k partners share cap or more: count those
    if len(high):
        local = np.full(n, -1, dtype=np.int64)
        local[high] = np.arange(len(high))
        ends, vals = [], []
        for pa, pb, ps in parts:
            big = np.flatnonzero(ps >= cap)
            for end in (pa[big], pb[big]):
                mine = np.flatnonzero(local[end] >= 0)
                ends.append(local[end[mine]])
                vals.append(ps[big[mine]])
        end, val = np.concatenate(ends), np.concatenate(vals).astype(np.int64) - cap
        width = int(val.max()) + 1
        if len(high) * width <= _HIST_BINS:  # a histogram of the counts from cap on
            hist2 = np.bincount(end * width + val, minlength=len(high) * width).reshape(len(high), width)
            enough = (hist2[:, ::-1].cumsum(axis=1)[:, ::-1] >= top_k).sum(axis=1)
            kth[high] = cap + enough - 1
        else:
            order = np.lexsort((-val, end))
            kth[high] = cap + val[order][np.searchsorted(end[order], np.arange(len(high))) + top_k - 1]
    redo = (kth == 0) if min_shared < tau else np.zeros(n, dtype=bool)
    return kth, redo


def _order_by(columns: list[tuple[np.ndarray, int]]) -> np.ndarray:
    """The order sorting rows by the columns (values in ``range(size)``), the first one first;
    rows equal in every column keep their order."""
    if math.prod(size for _, size in columns) < 2**63:  # one int64 key: faster than lexsort
        key = np.zeros(len(columns[0][0]), dtype=np.int64)
        for values, size in columns:
            key *= size
            key += values
        return np.argsort(key, kind="stable")
    return np.lexsort([values for values, _ in reversed(columns)])


def _kept(
    parts: list[tuple[np.ndarray, np.ndarray, np.ndarray]], deg: np.ndarray, kth: np.ndarray, cut: np.ndarray,
    redo: np.ndarray, top_k: int, n: int,
) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """The codes a·n + b and shared counts of the pairs (a, b, s) in a's or b's top_k list (the
    rows ``redo`` left out)."""
    never = np.iinfo(np.int32).max
    cutx = np.where(redo, never, cut).astype(np.int32)  # a row's candidates share at least this
    # each part's candidates at either end, as (part, place in it, row, other end, shared)
    cands = []
    for k, (pa, pb, ps) in enumerate(parts):
        for node, other in ((pa, pb), (pb, pa)):
            at = np.flatnonzero(ps >= cutx[node])
            cands.append((np.full(len(at), k, dtype=np.int32), at, node[at], other[at], ps[at]))
    if not cands:
        return [], []
    part, place, node, other, val = (np.concatenate([c[i] for c in cands]) for i in range(5))
    node, other = node.astype(np.int64), other.astype(np.int64)
    sure = val > kth[node]  # above the cut-off: in the list (all of them when kth is 0)
    tie = np.flatnonzero(~sure)  # at the cut-off: the best by (degree, index) fill the list
    if len(tie):
        room = top_k - np.bincount(node[sure], minlength=n)
        tn, to = node[tie], other[tie]
        order = _order_by([(tn, n), (deg[to], int(deg.max()) + 1), (to, n)])
        tn = tn[order]
        starts = np.flatnonzero(np.r_[True, tn[1:] != tn[:-1]])
        first = np.repeat(starts, np.diff(np.r_[starts, len(tn)]))
        win = np.arange(len(tn)) - first < room[tn]  # (place within the row's ties)
        sure[tie[order][win]] = True
    codes, shares = [], []
    bounds = np.searchsorted(part, np.arange(len(parts) + 1))  # (the candidates come part by part)
    for k, (pa, pb, ps) in enumerate(parts):
        keep = np.zeros(len(ps), dtype=bool)
        lo, hi = bounds[k], bounds[k + 1]
        keep[place[lo:hi][sure[lo:hi]]] = True  # (a pair may be in both ends' lists)
        at = np.flatnonzero(keep)
        codes.append(pa[at].astype(np.int64) * n + pb[at])
        shares.append(ps[at])
    return codes, shares


def _overlap(
    G: nx.Graph | GraphColumns,
    side: str,
    top_k: int | None,
    min_shared: int,
    biadj: tuple[list[str], list[str], sp.csr_matrix] | None = None,
) -> pd.DataFrame:
    if top_k is not None and top_k < 1:
        raise OptionError(f"top_k must be at least 1 (or None for all pairs), not {top_k}")
    if min_shared < 1:
        raise OptionError(f"min_shared must be at least 1, not {min_shared}")
    insts, comps, B = biadj if biadj is not None else biadjacency(G)
    if side == "company":
        nodes, M = comps, B.T.tocsr()
        cols = COMPANY_OVERLAP_COLUMNS
    else:
        nodes, M = insts, B
        cols = INSTITUTION_OVERLAP_COLUMNS
    pairs = _top_pairs(M, top_k, min_shared)
    deg = np.asarray(M.sum(axis=1)).ravel().astype(np.int64)
    attr = "code" if side == "company" else "type"
    node_attrs = dict(zip(G.nodes, G.node_attrs, strict=True)) if isinstance(G, GraphColumns) else G.nodes
    labels = [node_attrs[u].get("label", u) for u in nodes]
    extra = [node_attrs[u].get(attr, "") for u in nodes]
    if not len(pairs):
        df = pd.DataFrame({c: [] for c in cols}, columns=cols).astype({cols[2]: "int64", cols[3]: "float64",
                                                                       cols[8]: "int64", cols[9]: "int64"})
    else:
        a, b, s = pairs[:, 0], pairs[:, 1], pairs[:, 2]
        union = deg[a] + deg[b] - s
        jac = s / union
        # rows by shared (desc), Jaccard (desc), then the two ids: node lists are sorted, so their order
        order = _pair_order(s, union, jac, a, b)
        a, b, s, jac = a[order], b[order], s[order], jac[order]
        df = pd.DataFrame(
            {
                cols[0]: taken_text(nodes, a),
                cols[1]: taken_text(nodes, b),
                cols[2]: s.astype("int64"),
                cols[3]: jac.astype("float64"),
                cols[4]: taken_text(labels, a),
                cols[5]: taken_text(labels, b),
                cols[6]: taken_text(extra, a),
                cols[7]: taken_text(extra, b),
                cols[8]: deg[a].astype("int64"),
                cols[9]: deg[b].astype("int64"),
            },
            columns=cols,
        )
    df.attrs.update({"top_k": top_k, "min_shared": min_shared})
    return df


def _pair_order(s: np.ndarray, union: np.ndarray, jac: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The order (shared desc, Jaccard desc, a, b) of pairs given sorted by (a, b).

    For one shared count s, Jaccard s / union falls as the union grows, and two unions below
    2**52 never give the same float: the order is (s desc, union asc), stable.
    """
    top = int(union.max()) + 1 if len(s) else 0
    if not len(s) or top > 2**52 or (int(s.max()) + 1) * top >= 2**63:
        return np.lexsort((b, a, -jac, -s))
    return np.argsort((int(s.max()) - s) * top + union, kind="stable")


def company_overlap(G: nx.Graph | GraphColumns, *, top_k: int | None = 50, min_shared: int = 1,
                    biadj: tuple[list[str], list[str], sp.csr_matrix] | None = None) -> pd.DataFrame:
    """Company pairs sharing visiting institutions.

    For companies a and b: ``shared_institutions`` = |I(a) ∩ I(b)|, the institutions that
    visited both (each counted once, however often), ``jaccard`` = |I(a) ∩ I(b)| / |I(a) ∪ I(b)|;
    ``institutions_a``/``institutions_b`` = |I(a)|, |I(b)|.  Pairs sharing fewer than
    ``min_shared`` institutions are left out.  Each company's partners are ranked by shared count
    (desc), Jaccard (desc), node id; a pair is kept when either company has the other among its
    ``top_k`` partners (``top_k=None``: every pair).  Each unordered pair appears once, with
    ``company_a < company_b`` (node ids ``c:<code>``).  Rows are sorted by shared count (desc),
    Jaccard (desc), company_a, company_b.  ``biadj``: :func:`irgraph.graph.biadjacency` of ``G``
    when already made (a year's graph takes ~0.4 s to index). ``G`` may be the graph's
    :class:`irgraph.graph.GraphColumns`.
    """
    return _overlap(G, "company", top_k, min_shared, biadj)


def institution_overlap(
    G: nx.Graph | GraphColumns, *, top_k: int | None = 50, min_shared: int = 1,
    biadj: tuple[list[str], list[str], sp.csr_matrix] | None = None,
) -> pd.DataFrame:
    """Institution pairs that visited common companies.

    For institutions a and b: ``shared_companies`` = |C(a) ∩ C(b)|, ``jaccard`` =
    |C(a) ∩ C(b)| / |C(a) ∪ C(b)|; ``companies_a``/``companies_b`` = |C(a)|, |C(b)|.  Same
    ``top_k``/``min_shared`` rule, pair order (``institution_a < institution_b`` by node id)
    and row order as :func:`company_overlap` (also ``biadj``).
    """
    return _overlap(G, "institution", top_k, min_shared, biadj)


# ---------------------------------------------------------------- peer gap


def find_company(G: nx.Graph, company: str) -> str:
    """The company node for ``company``: a node id (``c:688088``), a stock code, a short name or
    a full company name.  Raises :class:`OptionError` when unknown or ambiguous."""
    key = str(company).strip()
    if key in G and G.nodes[key].get("bipartite") == 1:
        return key
    comps = [(n, d) for n, d in G.nodes(data=True) if d.get("bipartite") == 1]
    for attr in ("code", "label", "company"):
        hits = sorted(n for n, d in comps if d.get(attr) == key)
        if len(hits) == 1:
            return hits[0]
        if len(hits) > 1:
            raise OptionError(f"company {key!r} is ambiguous: {', '.join(hits)}; give the stock code")
    if ("c:" + key) in G and G.nodes["c:" + key].get("bipartite") == 1:
        return "c:" + key
    raise OptionError(
        f"unknown company {key!r}: no company in the graph has this stock code, node id or name"
    )


def _default_peers(G: nx.Graph, cnode: str, n_peers: int) -> list[str]:
    mine = set(G[cnode])
    scores = []
    for other in {c for i in mine for c in G[i]} - {cnode}:
        theirs = set(G[other])
        shared = len(mine & theirs)
        scores.append((-shared / len(mine | theirs), -shared, other))
    scores.sort()
    return [o for _, _, o in scores[:n_peers]]


def peer_gap(
    G: nx.Graph,
    company: str,
    *,
    peers: Sequence[str] | None = None,
    n_peers: int = 5,
) -> pd.DataFrame:
    """Institutions that visited ``company``'s peers but never ``company`` itself.

    ``peers`` (codes, node ids or names) default to the ``n_peers`` companies whose visitor sets
    have the highest Jaccard with ``company``'s (ties: more shared visitors, then node id).
    Columns: ``peers_visited`` (``;``-joined labels, in peer order), ``n_peers_visited``,
    ``visits`` (total visits to the peers), ``last_date`` (latest visit to a peer).  Sorted by
    ``n_peers_visited`` desc, ``last_date`` desc, ``visits`` desc, node id.  The chosen peer node
    ids are in ``df.attrs["peers"]``, the company's node id in ``df.attrs["company"]``.
    """
    cnode = find_company(G, company)
    if peers is None:
        if n_peers < 1:
            raise OptionError(f"n_peers must be at least 1, not {n_peers}")
        peer_nodes = _default_peers(G, cnode, n_peers)
    else:
        if isinstance(peers, str):
            peers = [p for p in peers.replace(";", ",").split(",") if p.strip()]
        peer_nodes = []
        for p in peers:
            pn = find_company(G, p)
            if pn != cnode and pn not in peer_nodes:
                peer_nodes.append(pn)
    mine = set(G[cnode])
    rows = []
    candidates: dict[str, list[str]] = {}
    for p in peer_nodes:
        for inst in G[p]:
            if inst not in mine:
                candidates.setdefault(inst, []).append(p)
    for inst, visited in candidates.items():
        d = G.nodes[inst]
        edata = [G.edges[inst, p] for p in visited]
        rows.append(
            {
                "institution_id": d.get("institution_id", inst[2:]),
                "institution": d.get("label", inst),
                "type": d.get("type", ""),
                "group": d.get("group", ""),
                "peers_visited": ";".join(str(G.nodes[p].get("label", p)) for p in visited),
                "n_peers_visited": len(visited),
                "visits": sum(int(e.get("visits", 1)) for e in edata),
                "last_date": max((e.get("last_date", "") for e in edata), default=""),
                "node_id": inst,
            }
        )
    df = pd.DataFrame(rows, columns=PEER_GAP_COLUMNS)
    df = df.astype({"n_peers_visited": "int64", "visits": "int64"})
    df = df.sort_values(
        ["n_peers_visited", "last_date", "visits", "node_id"],
        ascending=[False, False, False, True],
        kind="mergesort",
    ).reset_index(drop=True)
    df.attrs.update(
        {
            "company": cnode,
            "peers": list(peer_nodes),
            "peer_labels": [G.nodes[p].get("label", p) for p in peer_nodes],
        }
    )
    return df

