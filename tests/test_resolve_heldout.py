"""Held-out name pairs (``tests/data/name_pairs_heldout.csv``, ``name_pairs_heldout2.csv`` and
``name_pairs_heldout3.csv``) against the real registry.

The pairs were labelled from the entity rules of ``docs/registry.md`` / ``docs/resolution.md``
(``same`` = one legal entity), independently of ``must_merge.csv`` / ``must_not_merge.csv``.
Each pair is resolved twice: the two names alone in one ``resolve`` call, and the two names
among 50 distractor names (other held-out names, fixed seed). A pair counts as merged when
both names get the same ``institution_id``. A wrong merge fails the test; recall has a floor.

``name_pairs_heldout2.csv`` (second batch) holds names as printed in real 2026 attendance records
and company profiles of a public repository the project had not used; its ``source`` column says
where each pair's names come from. Distractors are drawn from the same file as the pair.

``name_pairs_heldout3.csv`` (third batch, 364 pairs) was labelled from the entity rules and public
facts before the resolver was run on it: names printed in other 2026 records of the same public
repository, an HKEX allotment filing (private funds' English and Chinese legal names), trust and
insurer lists, QFII names, renames. The pairs the resolver gets wrong are listed in
``KNOWN_ERRORS_3`` and checked strictly: a new error fails, and so does a known error that starts
passing (remove it from the dict then, and raise ``RECALL_FLOORS``).

``name_pairs_heldout4.csv`` (fourth batch, 297 pairs, 125 different entities) covers insurers and their
pension / P&C / health / AM arms, bank WM subsidiaries, trusts, futures companies and their subsidiaries,
broker AM and fund subsidiaries, desks (权益投资部, 固定收益部), foreign WFOE private funds
(XX投资管理(上海)), traditional script and English names; ``KNOWN_ERRORS_4`` as above.

``name_pairs_heldout5.csv`` (fifth batch, 186 pairs, 81 different) holds English and pinyin names of Chinese
brokers, fund managers, insurers and private funds as bilingual attendee lists print them (CICC, HTSC, E Fund,
ChinaAMC, Harvest, Perseverance / Gaoyi, Greenwoods / Jinglin, Springs Capital), and the look-alikes that must
stay apart: Hong Kong subsidiaries (CICC (HK), CITIC Securities International, GF Securities (Hong Kong), Huatai
Financial Holdings (Hong Kong), China Life Insurance (Overseas)) vs onshore parents, fund vs broker of one
brand; ``KNOWN_ERRORS_5`` as above.
"""

from __future__ import annotations

import csv
import random
from pathlib import Path

import pytest

from irgraph.registry import load_registry
from irgraph.resolve import resolve

DATA = Path(__file__).resolve().parent / "data"
N_DISTRACTORS = 50
RECALL_FLOOR = 0.95  # pairs with same=1 merged, in both settings


HELDOUT_FILES = (
    "name_pairs_heldout.csv",
    "name_pairs_heldout2.csv",
    "name_pairs_heldout3.csv",
    "name_pairs_heldout4.csv",
    "name_pairs_heldout5.csv",
)
# recall floor per file: what the resolver reached on each batch (the fourth's: 170/172; first run 163/172)
RECALL_FLOORS = {
    "name_pairs_heldout3.csv": 0.995,
    "name_pairs_heldout4.csv": 0.988,
    "name_pairs_heldout5.csv": 0.885,
}
MIN_PAIRS = {"name_pairs_heldout5.csv": 120}

# (a, b) -> root cause, from the observed result (ids and methods of a / b) when the batch was added.
# All are missed merges (same=1 pairs left apart); no wrong merge was observed. 29 of the 30 were
# closed on branch resolve-names3 (former names, foreign and private-fund entries, three rules).
KNOWN_ERRORS_3: dict[tuple[str, str], str] = {
    ("永赢基金管理有限公司", "永盈基金"): (
        "miss: fund-0101 registry / u-e0825a61fa cluster; 盈/赢 typo in a 2-character brand is never fuzzy-merged: cluster vs fund-0101"
    ),
}

# The fourth batch (297 pairs, 172 same) on its first run: 9 missed merges, no wrong merge, in both
# settings (root causes from the observed ids / methods). 7 were closed on branch names4 (registry facts:
# 光证资管, 招商信诺资管, 鲁证期货, 和谐健康, 富达利泰, AIA Group; traditional legal names looked up after t2s).
# The two left are deliberate review pairs of unregistered firms.
KNOWN_ERRORS_4: dict[tuple[str, str], str] = {
    ("永安国富资产管理有限公司", "永安国富"): "miss: two clusters; bare brand vs brand + type word, not registered",
    (
        "瑞银资产管理(上海)有限公司",
        "瑞银资管(上海)",
    ): "miss: two clusters; 资管 vs 资产 kept apart, WFOE not registered",
}
# The fifth batch (186 pairs, 105 same, 81 different: English / pinyin names of Chinese institutions as
# printed in bilingual attendee lists; Hong Kong subsidiaries kept apart from onshore parents) on its first
# run: 27 missed merges, no wrong merge, in both settings (recall 78/105 = 0.743; ids / methods observed).
# 9 were closed on branch names5 by English names added to registry rows (docs/registry_notes/names5.md):
# recall 87/105 = 0.829. 6 more were closed on branch hk-registry by five HK / overseas subsidiary entries
# (for-0068..for-0072, names5.md): recall 93/105 = 0.886. The 12 left: pinyin spellings without a source.
KNOWN_ERRORS_5: dict[tuple[str, str], str] = {
    ("Zhaoshang Securities", "招商证券"): "miss: u-951156002c cluster / sec-0076 alias",
    ("Guojin Securities", "国金证券"): "miss: u-8ca62a3242 cluster / sec-0061 alias",
    ("Dongwu Securities", "东吴证券"): "miss: u-6ff109e8dc cluster / sec-0009 alias",
    ("Xingye Securities", "兴业证券"): "miss: u-37fd10465c cluster / sec-0033 alias",
    ("Dongfang Securities", "东方证券"): "miss: u-e5bdc055ec cluster / sec-0010 alias",
    ("Guangfa Securities", "广发证券"): "miss: u-2070db38b7 cluster / sec-0071 alias",
    ("Yifangda Fund", "易方达"): "miss: u-cf92aaafc8 cluster / fund-0095 alias",
    ("Jiashi Fund", "嘉实基金"): "miss: u-c317f2db54 cluster / fund-0053 alias",
    ("Foresight Fund Management", "睿远基金"): "miss: u-37e47fa5d0 cluster / fund-0121 alias",
    ("China Pacific Insurance", "中国太保"): "miss: u-8907fc96df cluster / ins-0015 alias",
    ("Danshuiquan", "淡水泉"): "miss: u-45448c7bc4 cluster / pe-0002 alias",
    ("Chongyang Investment", "重阳投资"): "miss: u-962d97fc88 cluster / pe-0004 alias",
}
KNOWN_ERRORS = {
    "name_pairs_heldout3.csv": KNOWN_ERRORS_3,
    "name_pairs_heldout4.csv": KNOWN_ERRORS_4,
    "name_pairs_heldout5.csv": KNOWN_ERRORS_5,
}


def _pairs(name: str = "name_pairs_heldout.csv") -> list[dict[str, str]]:
    with open(DATA / name, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="module")
def real():
    return load_registry()


def _figures(pairs, merged) -> tuple[int, int, int, list, list]:
    tp = fp = fn = 0
    false_merges, misses = [], []
    for p, m in zip(pairs, merged, strict=True):
        same = p["same"] == "1"
        if m and same:
            tp += 1
        elif m:
            fp += 1
            false_merges.append((p["a"], p["b"], p["why"]))
        elif same:
            fn += 1
            misses.append((p["a"], p["b"], p["why"]))
    return tp, fp, fn, false_merges, misses


def _report(label: str, pairs, merged) -> tuple[float, list]:
    tp, fp, fn, false_merges, misses = _figures(pairs, merged)
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    print(
        f"\n[{label}] pairs={len(pairs)} same={tp + fn} merged={tp + fp} "
        f"false_merges={fp} precision={precision:.3f} recall={recall:.3f}"
    )
    for a, b, why in false_merges:
        print(f"  FALSE MERGE {a!r} ~ {b!r} ({why})")
    for a, b, why in misses:
        print(f"  miss {a!r} / {b!r} ({why})")
    return recall, false_merges


def _check(file: str, pairs, merged, recall: float, false_merges: list) -> None:
    known = KNOWN_ERRORS.get(file)
    if known is None:
        assert not false_merges
    else:
        wrong = {(p["a"], p["b"]) for p, m in zip(pairs, merged, strict=True) if m != (p["same"] == "1")}
        assert not wrong - set(known), f"new errors: {sorted(wrong - set(known))}"
        assert not set(known) - wrong, f"known errors now right, remove them: {sorted(set(known) - wrong)}"
    assert recall >= RECALL_FLOORS.get(file, RECALL_FLOOR)


@pytest.mark.parametrize("file", HELDOUT_FILES)
def test_heldout_pairs_alone(real, file: str) -> None:
    pairs = _pairs(file)
    assert len(pairs) >= MIN_PAIRS.get(file, 250)
    merged = []
    for p in pairs:
        res = resolve([p["a"], p["b"]], registry=real)
        merged.append(res[p["a"]].institution_id == res[p["b"]].institution_id)
    recall, false_merges = _report(f"{file} alone", pairs, merged)
    _check(file, pairs, merged, recall, false_merges)


@pytest.mark.parametrize("file", HELDOUT_FILES)
def test_heldout_pairs_among_distractors(real, file: str) -> None:
    pairs = _pairs(file)
    pool = sorted({n for p in pairs for n in (p["a"], p["b"])})
    rng = random.Random(20261201)
    merged = []
    for p in pairs:
        others = [n for n in pool if n not in (p["a"], p["b"])]
        names = [p["a"], p["b"], *rng.sample(others, N_DISTRACTORS)]
        rng.shuffle(names)
        res = resolve(names, registry=real)
        merged.append(res[p["a"]].institution_id == res[p["b"]].institution_id)
    recall, false_merges = _report(f"{file} with 50 distractors", pairs, merged)
    _check(file, pairs, merged, recall, false_merges)


def _pair_keys(name: str, a: str = "a", b: str = "b") -> set[frozenset[str]]:
    with open(DATA / name, encoding="utf-8", newline="") as f:
        return {frozenset((r[a], r[b])) for r in csv.DictReader(f)}


# batch -> (pair count allowed, its known errors; None: batch 2 predates the size, balance and
# known-error checks)
_BATCHES: dict[int, tuple[tuple[int, int], dict[tuple[str, str], str]] | None] = {
    2: None,
    3: ((250, 400), KNOWN_ERRORS_3),
    4: ((200, 300), KNOWN_ERRORS_4),
    5: ((120, 200), KNOWN_ERRORS_5),
}


@pytest.mark.parametrize("batch", sorted(_BATCHES))
def test_heldout_batch_is_new_and_sourced(batch: int) -> None:
    """A batch reuses no pair of the earlier batches or the must-lists and every pair says where its
    names come from; from batch 3 on, its size is in range, at least 40 % are different entities and
    every known error is a pair of the file."""
    earlier = ["name_pairs_heldout.csv", *(f"name_pairs_heldout{k}.csv" for k in range(2, batch))]
    old = set().union(*(_pair_keys(name) for name in earlier), _pair_keys("must_merge.csv", "name_a", "name_b"),
                      _pair_keys("must_not_merge.csv", "name_a", "name_b"))
    pairs = _pairs(f"name_pairs_heldout{batch}.csv")
    new = [frozenset((p["a"], p["b"])) for p in pairs]
    assert len(set(new)) == len(new)
    assert not set(new) & old
    assert all(p["source"].strip() and p["why"].strip() and p["same"] in ("0", "1") for p in pairs)
    checks = _BATCHES[batch]
    if checks is None:
        return
    (low, high), known = checks
    assert low <= len(new) <= high
    assert sum(p["same"] == "0" for p in pairs) >= 0.4 * len(pairs)
    assert set(known) <= {(p["a"], p["b"]) for p in pairs}
