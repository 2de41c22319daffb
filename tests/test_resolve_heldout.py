"""Held-out name pairs (``tests/data/name_pairs_heldout.csv`` and ``name_pairs_heldout2.csv``)
against the real registry.

The pairs were labelled from the entity rules of ``docs/registry.md`` / ``docs/resolution.md``
(``same`` = one legal entity), independently of ``must_merge.csv`` / ``must_not_merge.csv``.
Each pair is resolved twice: the two names alone in one ``resolve`` call, and the two names
among 50 distractor names (other held-out names, fixed seed). A pair counts as merged when
both names get the same ``institution_id``. A wrong merge fails the test; recall has a floor.

``name_pairs_heldout2.csv`` (second batch) holds names as printed in real 2026 attendance records
and company profiles of a public repository the project had not used; its ``source`` column says
where each pair's names come from. Distractors are drawn from the same file as the pair.
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


HELDOUT_FILES = ("name_pairs_heldout.csv", "name_pairs_heldout2.csv")


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


@pytest.mark.parametrize("file", HELDOUT_FILES)
def test_heldout_pairs_alone(real, file: str) -> None:
    pairs = _pairs(file)
    assert len(pairs) >= 250
    merged = []
    for p in pairs:
        res = resolve([p["a"], p["b"]], registry=real)
        merged.append(res[p["a"]].institution_id == res[p["b"]].institution_id)
    recall, false_merges = _report(f"{file} alone", pairs, merged)
    assert not false_merges
    assert recall >= RECALL_FLOOR


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
    assert not false_merges
    assert recall >= RECALL_FLOOR


def test_heldout2_is_new_and_sourced() -> None:
    """The second batch reuses no pair of the first batch or the must-lists, and every pair says
    where its names come from."""

    def keys(name: str, a: str = "a", b: str = "b") -> set[frozenset[str]]:
        with open(DATA / name, encoding="utf-8", newline="") as f:
            return {frozenset((r[a], r[b])) for r in csv.DictReader(f)}

    old = (
        keys("name_pairs_heldout.csv")
        | keys("must_merge.csv", "name_a", "name_b")
        | keys("must_not_merge.csv", "name_a", "name_b")
    )
    pairs = _pairs("name_pairs_heldout2.csv")
    new = [frozenset((p["a"], p["b"])) for p in pairs]
    assert len(set(new)) == len(new)
    assert not set(new) & old
    assert all(p["source"].strip() and p["why"].strip() and p["same"] in ("0", "1") for p in pairs)
