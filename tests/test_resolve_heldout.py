"""Held-out name pairs (``tests/data/name_pairs_heldout.csv``) against the real registry.

The pairs were labelled from the entity rules of ``docs/registry.md`` / ``docs/resolution.md``
(``same`` = one legal entity), independently of ``must_merge.csv`` / ``must_not_merge.csv``.
Each pair is resolved twice: the two names alone in one ``resolve`` call, and the two names
among 50 distractor names (other held-out names, fixed seed). A pair counts as merged when
both names get the same ``institution_id``. A wrong merge fails the test; recall has a floor.
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


def _pairs() -> list[dict[str, str]]:
    with open(DATA / "name_pairs_heldout.csv", encoding="utf-8", newline="") as f:
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


def test_heldout_pairs_alone(real) -> None:
    pairs = _pairs()
    assert len(pairs) >= 250
    merged = []
    for p in pairs:
        res = resolve([p["a"], p["b"]], registry=real)
        merged.append(res[p["a"]].institution_id == res[p["b"]].institution_id)
    recall, false_merges = _report("alone", pairs, merged)
    assert not false_merges
    assert recall >= RECALL_FLOOR


def test_heldout_pairs_among_distractors(real) -> None:
    pairs = _pairs()
    pool = sorted({n for p in pairs for n in (p["a"], p["b"])})
    rng = random.Random(20261201)
    merged = []
    for p in pairs:
        others = [n for n in pool if n not in (p["a"], p["b"])]
        names = [p["a"], p["b"], *rng.sample(others, N_DISTRACTORS)]
        rng.shuffle(names)
        res = resolve(names, registry=real)
        merged.append(res[p["a"]].institution_id == res[p["b"]].institution_id)
    recall, false_merges = _report("with 50 distractors", pairs, merged)
    assert not false_merges
    assert recall >= RECALL_FLOOR
