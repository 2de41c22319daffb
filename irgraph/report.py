"""Reports on the attendance graph, as pandas DataFrames with deterministic row order.

``centrality`` (one row per node), ``company_overlap`` / ``institution_overlap`` (pairs that
share visitors / visited companies, from sparse co-visit matrices) and ``peer_gap``
(institutions that visit a company's peers but never the company).  See ``docs/reports.md``.
"""

from __future__ import annotations

from collections.abc import Sequence

import networkx as nx
import numpy as np
import pandas as pd
import scipy.sparse as sp

from irgraph.errors import OptionError
from irgraph.graph import biadjacency

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


def _side(b: object) -> str:
    return "institution" if b == 0 else "company"


def centrality(
    G: nx.Graph, *, exact_max_nodes: int = 5000, k: int | None = None, seed: int = 42
) -> pd.DataFrame:
    """One row per node: degree, weighted degree, betweenness, PageRank and ranks.

    * ``degree``: distinct neighbours; ``weighted_degree`` = ``n_visits``: sum of edge ``visits``
      (institution × record visits); ``n_records``: distinct records a company published (for an
      institution, the records it attended, equal to its visits).
    * ``betweenness``: normalised shortest-path betweenness on the unweighted graph (visits are
      not distances).  Exact when the graph has at most ``exact_max_nodes`` nodes (or ``k`` is
      None and it is small); otherwise sampled from ``k`` pivots (default 50) drawn with ``seed``,
      networkx' ``betweenness_centrality(G, k=k, seed=seed)``.  The method is in the column
      ``betweenness_method`` (``exact`` / ``sampled``) and in ``df.attrs``.
    * ``pagerank``: PageRank with ``weight="visits"`` (alpha 0.85).
    * ``rank_in_side`` / ``rank_in_type``: 1 = highest PageRank among nodes of the same side /
      same side and type (ties by node id).  Companies have ``type`` ``"company"``.

    Rows are sorted by PageRank (desc), then node id.
    """
    n = G.number_of_nodes()
    sampled = n > exact_max_nodes
    kk = None
    if sampled:
        kk = min(int(k) if k is not None else 50, n)
        bet = nx.betweenness_centrality(G, k=kk, seed=seed)
    else:
        bet = nx.betweenness_centrality(G) if n else {}
    method = "sampled" if sampled else "exact"
    pr = nx.pagerank(G, weight="visits") if n and G.number_of_edges() else {u: 1.0 / n for u in G}

    rows = []
    for u, d in G.nodes(data=True):
        side = _side(d.get("bipartite"))
        wdeg = sum(int(e.get("visits", 1)) for _, _, e in G.edges(u, data=True))
        rows.append(
            {
                "node_id": u,
                "label": d.get("label", u),
                "side": side,
                "type": d.get("type", "") if side == "institution" else COMPANY_TYPE,
                "degree": G.degree(u),
                "weighted_degree": wdeg,
                "betweenness": float(bet.get(u, 0.0)),
                "pagerank": float(pr.get(u, 0.0)),
                "betweenness_method": method,
                "n_visits": wdeg,
                "n_records": int(d.get("records", wdeg)) if side == "company" else wdeg,
                "code": d.get("code", "") if side == "company" else "",
                "group": d.get("group", "") if side == "institution" else "",
            }
        )
    base = [c for c in CENTRALITY_COLUMNS if c not in ("rank_in_side", "rank_in_type")]
    df = pd.DataFrame(rows, columns=base)
    df = df.sort_values(["pagerank", "node_id"], ascending=[False, True], kind="mergesort")
    df = df.reset_index(drop=True)
    df["rank_in_side"] = df.groupby("side", sort=False).cumcount().astype("int64") + 1
    df["rank_in_type"] = df.groupby(["side", "type"], sort=False).cumcount().astype("int64") + 1
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


def _top_pairs(M: sp.csr_matrix, top_k: int | None, min_shared: int, block: int = 2048) -> np.ndarray:
    """Pairs (a, b, shared) of rows of the 0/1 matrix ``M`` sharing ≥ ``min_shared`` columns.

    A pair is kept when b is among a's ``top_k`` partners or a among b's (partners ranked by
    shared count desc, Jaccard desc, index asc); returned once with a < b.  ``S = M·Mᵀ`` is
    computed in row blocks so memory stays bounded.
    """
    n = M.shape[0]
    deg = np.asarray(M.sum(axis=1)).ravel().astype(np.int64)
    MT = M.T.tocsc()
    out: list[np.ndarray] = []
    for start in range(0, n, block):
        stop = min(start + block, n)
        S = (M[start:stop] @ MT).tocoo()
        r = S.row.astype(np.int64) + start
        c = S.col.astype(np.int64)
        s = S.data.astype(np.int64)
        keep = (r != c) & (s >= min_shared)
        r, c, s = r[keep], c[keep], s[keep]
        if top_k is not None:
            jac = s / (deg[r] + deg[c] - s)
            order = np.lexsort((c, -jac, -s, r))
            r, c, s = r[order], c[order], s[order]
            # position within each row's run
            starts = np.flatnonzero(np.r_[True, r[1:] != r[:-1]])
            run = np.repeat(starts, np.diff(np.r_[starts, len(r)]))
            keep = (np.arange(len(r)) - run) < top_k
            r, c, s = r[keep], c[keep], s[keep]
        a, b = np.minimum(r, c), np.maximum(r, c)
        out.append(np.stack([a, b, s], axis=1))
    if not out:
        return np.zeros((0, 3), dtype=np.int64)
    pairs = np.concatenate(out)
    if len(pairs):
        pairs = np.unique(pairs, axis=0)  # a pair in both partners' top-k comes twice
    return pairs


def _overlap(
    G: nx.Graph,
    side: str,
    top_k: int | None,
    min_shared: int,
) -> pd.DataFrame:
    if top_k is not None and top_k < 1:
        raise OptionError(f"top_k must be at least 1 (or None for all pairs), not {top_k}")
    if min_shared < 1:
        raise OptionError(f"min_shared must be at least 1, not {min_shared}")
    insts, comps, B = biadjacency(G)
    if side == "company":
        nodes, M = comps, B.T.tocsr()
        cols = COMPANY_OVERLAP_COLUMNS
    else:
        nodes, M = insts, B
        cols = INSTITUTION_OVERLAP_COLUMNS
    pairs = _top_pairs(M, top_k, min_shared)
    deg = np.asarray(M.sum(axis=1)).ravel().astype(np.int64)
    a, b, s = pairs[:, 0], pairs[:, 1], pairs[:, 2]
    jac = s / (deg[a] + deg[b] - s) if len(pairs) else np.zeros(0)
    ids = np.array(nodes, dtype=object)
    attr = "code" if side == "company" else "type"
    labels = np.array([G.nodes[u].get("label", u) for u in nodes], dtype=object)
    extra = np.array([G.nodes[u].get(attr, "") for u in nodes], dtype=object)
    df = pd.DataFrame(
        {
            cols[0]: ids[a] if len(pairs) else [],
            cols[1]: ids[b] if len(pairs) else [],
            cols[2]: s.astype("int64"),
            cols[3]: jac.astype("float64"),
            cols[4]: labels[a] if len(pairs) else [],
            cols[5]: labels[b] if len(pairs) else [],
            cols[6]: extra[a] if len(pairs) else [],
            cols[7]: extra[b] if len(pairs) else [],
            cols[8]: deg[a].astype("int64"),
            cols[9]: deg[b].astype("int64"),
        },
        columns=cols,
    )
    df = df.sort_values(
        [cols[2], cols[3], cols[0], cols[1]], ascending=[False, False, True, True], kind="mergesort"
    ).reset_index(drop=True)
    df.attrs.update({"top_k": top_k, "min_shared": min_shared})
    return df


def company_overlap(G: nx.Graph, *, top_k: int | None = 50, min_shared: int = 1) -> pd.DataFrame:
    """Company pairs sharing visiting institutions.

    For companies a and b: ``shared_institutions`` = |I(a) ∩ I(b)|, the institutions that
    visited both (each counted once, however often), ``jaccard`` = |I(a) ∩ I(b)| / |I(a) ∪ I(b)|;
    ``institutions_a``/``institutions_b`` = |I(a)|, |I(b)|.  Pairs sharing fewer than
    ``min_shared`` institutions are left out.  Each company's partners are ranked by shared count
    (desc), Jaccard (desc), node id; a pair is kept when either company has the other among its
    ``top_k`` partners (``top_k=None``: every pair).  Each unordered pair appears once, with
    ``company_a < company_b`` (node ids ``c:<code>``).  Rows are sorted by shared count (desc),
    Jaccard (desc), company_a, company_b.
    """
    return _overlap(G, "company", top_k, min_shared)


def institution_overlap(
    G: nx.Graph, *, top_k: int | None = 50, min_shared: int = 1
) -> pd.DataFrame:
    """Institution pairs that visited common companies.

    For institutions a and b: ``shared_companies`` = |C(a) ∩ C(b)|, ``jaccard`` =
    |C(a) ∩ C(b)| / |C(a) ∪ C(b)|; ``companies_a``/``companies_b`` = |C(a)|, |C(b)|.  Same
    ``top_k``/``min_shared`` rule, pair order (``institution_a < institution_b`` by node id)
    and row order as :func:`company_overlap`.
    """
    return _overlap(G, "institution", top_k, min_shared)


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

