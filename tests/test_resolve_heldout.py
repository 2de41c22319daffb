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


HELDOUT_FILES = ("name_pairs_heldout.csv", "name_pairs_heldout2.csv", "name_pairs_heldout3.csv")
# recall floor per file: the third batch's is what the resolver reached when it was added
RECALL_FLOORS = {"name_pairs_heldout3.csv": 0.85}

# (a, b) -> root cause, from the observed result (ids and methods of a / b) when the batch was added.
# All are missed merges (same=1 pairs left apart); no wrong merge was observed.
KNOWN_ERRORS_3: dict[tuple[str, str], str] = {
    ("东方港湾", "深圳市东方港湾投资管理股份有限公司"): (
        "miss: u-575da92b84 cluster / u-98a4547588 cluster; bare brand vs brand + 投资 + legal suffix: both unregistered clusters, left in review"
    ),
    ("李宁（天风证券", "天风证券"): (
        "miss: u-e1357a523a cluster / sec-0065 alias; person name + unbalanced full-width bracket before the firm not stripped: own cluster"
    ),
    ("信达澳银基金管理有限公司", "信达澳亚基金"): (
        "miss: u-7325ff2744 cluster / fund-0021 alias; former name 信达澳银 not in the registry: cluster vs fund-0021"
    ),
    ("宏源证券股份有限公司", "申万宏源集团股份有限公司"): (
        "miss: u-bb886b5821 cluster / sec-0096 normalized; 宏源证券 not a former name; 申万宏源集团 resolves to the broker"
    ),
    ("诚通证券股份有限公司", "新时代证券股份有限公司"): (
        "miss: sec-0107 registry / u-b2e7058422 cluster; former name 新时代证券 not in the registry: cluster vs sec-0107"
    ),
    ("粤开证券", "联讯证券股份有限公司"): (
        "miss: sec-0100 alias / u-024941a6ef cluster; former name 联讯证券 not in the registry: cluster vs sec-0100"
    ),
    ("华兴证券有限公司", "华菁证券有限公司"): (
        "miss: sec-0035 registry / u-f026b43049 cluster; former name 华菁证券 not in the registry: cluster vs sec-0035"
    ),
    ("高盛(中国)证券有限责任公司", "高盛高华证券有限责任公司"): (
        "miss: sec-0121 registry / u-237bfc508b cluster; former name 高盛高华证券 not in the registry: cluster vs sec-0121"
    ),
    ("摩根士丹利证券(中国)有限公司", "摩根士丹利华鑫证券有限责任公司"): (
        "miss: sec-0077 registry / u-3552a97d06 cluster; former name 摩根士丹利华鑫证券 not in the registry: cluster vs sec-0077"
    ),
    ("永赢基金管理有限公司", "永盈基金"): (
        "miss: fund-0101 registry / u-e0825a61fa cluster; 盈/赢 typo in a 2-character brand is never fuzzy-merged: cluster vs fund-0101"
    ),
    ("宏利基金", "泰达宏利基金管理有限公司"): (
        "miss: fund-0070 alias / u-5ec6ea1f86 cluster; former name 泰达宏利 not in the registry: cluster vs fund-0070"
    ),
    ("China Southern", "南方基金管理股份有限公司"): (
        "miss: u-e7d945075c cluster / fund-0046 registry; English name of 南方基金 not linked to the Chinese entry"
    ),
    ("中融信托", "中融国际信托有限公司"): (
        "miss: u-458f5df510 cluster / u-51da672dac cluster; short name without 国际 (中融信托 vs 中融国际信托): two clusters (no registry entry)"
    ),
    (
        "上海勤辰私募基金管理合伙企业（有限合伙）",
        "Shanghai Qinchen Private Fund Management Partnership (Limited Partnership)",
    ): (
        "miss: u-283b9ffb1b cluster / u-4477c15b55 cluster; English name not linked to Chinese (unregistered private fund)"
    ),
    ("南京盛泉恒元投资有限公司", "盛泉恒元"): (
        "miss: u-03efc1264b cluster / u-6812d4e749 cluster; bare brand vs brand + 投资: review, two clusters"
    ),
    ("Nanjing Shengquan Hengyuan Investment Co., Ltd.", "南京盛泉恒元投资有限公司"): (
        "miss: u-6c98c23463 cluster / u-03efc1264b cluster; English name not linked to Chinese (unregistered private fund)"
    ),
    ("Shanghai Panjing Investment Management Center (Limited Partnership)", "上海盘京投资管理中心(有限合伙)"): (
        "miss: u-a5d0c9bb9d cluster / pe-0005 registry; English legal name not an alias of pe-0005"
    ),
    ("Jedi Asset Management, LLC", "上海金澹资产管理有限公司"): (
        "miss: u-41271789d7 cluster / u-ddc7dc374f cluster; English name not linked to Chinese (unregistered private fund)"
    ),
    ("GOLDMAN SACHS INTERNATIONAL", "高盛国际"): (
        "miss: u-fb45f23887 cluster / u-453ddf759d cluster; Goldman Sachs International not in the registry; English vs Chinese never fuzzy-merged"
    ),
    ("摩根士丹利国际股份有限公司", "MORGAN STANLEY & CO. INTERNATIONAL PLC"): (
        "miss: u-3d81ac8aea cluster / u-0396e81d58 cluster; MS & Co. International not in the registry; English vs Chinese never fuzzy-merged"
    ),
    ("JPMORGAN CHASE BANK, NATIONAL ASSOCIATION", "摩根大通银行"): (
        "miss: u-2ade6fba90 cluster / u-c135c8a58c cluster; JPMorgan Chase Bank N.A. not in the registry; English vs Chinese never fuzzy-merged"
    ),
    ("UBS AG", "瑞士银行有限公司"): (
        "miss: for-0055 registry / u-9c2e5ee0d2 cluster; Chinese legal name 瑞士银行有限公司 not an alias of for-0055"
    ),
    ("UBS AG Singapore Branch", "UBS AG"): (
        "miss: u-aad1f88d20 cluster / for-0055 registry; English branch suffix not stripped (cf. UBS AG, Hong Kong Branch in set 1)"
    ),
    ("瑞穗证券", "Mizuho Securities Co., Ltd."): (
        "miss: u-df4c55d1bd cluster / u-69330602d1 cluster; Mizuho Securities not in the registry; English vs Chinese never fuzzy-merged"
    ),
    ("野村证券株式会社", "NOMURA SECURITIES CO.,LTD"): (
        "miss: u-bbfb60b49d cluster / u-66d2a90576 cluster; Nomura Securities entity not in the registry; English vs Chinese never fuzzy-merged"
    ),
    ("BARCLAYS BANK PLC", "巴克莱银行"): (
        "miss: u-4c16132b2c cluster / u-70d13fb8dd cluster; Barclays Bank PLC not in the registry; English vs Chinese never fuzzy-merged"
    ),
    ("MERRILL LYNCH INTERNATIONAL", "美林国际"): (
        "miss: u-b88d07962a cluster / u-a5e22af830 cluster; Merrill Lynch International not in the registry; English vs Chinese never fuzzy-merged"
    ),
    ("惠理基金管理公司", "Value Partners Limited"): (
        "miss: u-43da2e0401 cluster / u-dec1eb513d cluster; Value Partners not in the registry; English vs Chinese never fuzzy-merged"
    ),
    ("惠灵顿", "Wellington Management"): (
        "miss: u-dffb305213 cluster / u-53bd505c67 cluster; Wellington not in the registry; English vs Chinese never fuzzy-merged"
    ),
    ("T. Rowe Price", "普信"): (
        "miss: u-9da7d381c6 cluster / u-68dee9b25b cluster; T. Rowe Price not in the registry; English vs Chinese never fuzzy-merged"
    ),
}
KNOWN_ERRORS = {"name_pairs_heldout3.csv": KNOWN_ERRORS_3}


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
    assert len(pairs) >= 250
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


def test_heldout3_is_new_and_sourced() -> None:
    """The third batch reuses no pair of the first two batches or the must-lists, every pair says
    where its names come from, and every known error is a pair of the file."""

    def keys(name: str, a: str = "a", b: str = "b") -> set[frozenset[str]]:
        with open(DATA / name, encoding="utf-8", newline="") as f:
            return {frozenset((r[a], r[b])) for r in csv.DictReader(f)}

    old = (
        keys("name_pairs_heldout.csv")
        | keys("name_pairs_heldout2.csv")
        | keys("must_merge.csv", "name_a", "name_b")
        | keys("must_not_merge.csv", "name_a", "name_b")
    )
    pairs = _pairs("name_pairs_heldout3.csv")
    new = [frozenset((p["a"], p["b"])) for p in pairs]
    assert 250 <= len(new) <= 400
    assert len(set(new)) == len(new)
    assert not set(new) & old
    assert all(p["source"].strip() and p["why"].strip() and p["same"] in ("0", "1") for p in pairs)
    assert sum(p["same"] == "0" for p in pairs) >= 0.4 * len(pairs)
    assert set(KNOWN_ERRORS_3) <= {(p["a"], p["b"]) for p in pairs}
