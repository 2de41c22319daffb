"""The institution resolver: seeds against gold clusters, must-(not-)merge lists, guards, overrides,
person evidence, registry loading and the output helpers."""

from __future__ import annotations

import csv
import importlib
import itertools
from pathlib import Path

import pytest

from irgraph.errors import RegistryError
from irgraph.models import Match
from irgraph.normalize import analyze_name
from irgraph.registry import build_registry, load_registry
from irgraph.resolve import (
    BLOCK,
    MERGE,
    REVIEW,
    ResolveMemo,
    guard,
    institutions_table,
    load_overrides,
    resolve,
    review_rows,
)

TESTS = Path(__file__).resolve().parent
FIX = TESTS / "fixtures"
DATA = TESTS / "data"
METHODS = {"override", "registry", "alias", "normalized", "fuzzy", "person", "cluster"}


def _rows(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="module")
def real():
    return load_registry()


@pytest.fixture(scope="module")
def small():
    return load_registry(FIX / "registry_small.csv")


@pytest.fixture(scope="module")
def empty():
    return build_registry([])


# ------------------------------------------------------------------------------------------- seeds


def test_seed_clusters_against_gold(real) -> None:
    gold = _rows(DATA / "gold" / "seed_institutions.csv")
    res = resolve([g["raw_name"] for g in gold], registry=real)
    tp = fp = fn = 0
    wrong = []
    for a, b in itertools.combinations(gold, 2):
        same_gold = a["entity"] == b["entity"]
        same_pred = res[a["raw_name"]].institution_id == res[b["raw_name"]].institution_id
        tp += same_gold and same_pred
        fp += same_pred and not same_gold
        fn += same_gold and not same_pred
        if same_pred != same_gold:
            wrong.append((a["raw_name"], b["raw_name"], same_gold))
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    type_ok = sum(res[g["raw_name"]].type == g["type"] for g in gold) / len(gold)
    print(
        f"seed pairs: precision {precision:.3f} recall {recall:.3f} (tp={tp} fp={fp} fn={fn}); "
        f"type accuracy {type_ok:.3f} over {len(gold)} names"
    )
    assert fp == 0, wrong
    assert recall >= 0.97, wrong
    assert type_ok >= 0.9


# ------------------------------------------------------------------------------------------- lists


@pytest.mark.parametrize("which", ["real", "small", "empty"])
def test_must_not_merge(which, request) -> None:
    reg = request.getfixturevalue(which)
    pairs = _rows(DATA / "must_not_merge.csv")
    assert len(pairs) >= 40
    violations = []
    for p in pairs:  # both names in one call
        res = resolve([p["name_a"], p["name_b"]], registry=reg)
        if res[p["name_a"]].institution_id == res[p["name_b"]].institution_id:
            violations.append((p["name_a"], p["name_b"]))
    # and all of them in one call (clusters must not chain across guards)
    names = [n for p in pairs for n in (p["name_a"], p["name_b"])]
    res = resolve(names, registry=reg)
    violations += [
        (p["name_a"], p["name_b"], "joint")
        for p in pairs
        if res[p["name_a"]].institution_id == res[p["name_b"]].institution_id
    ]
    assert violations == []


def test_must_merge(real, small, empty) -> None:
    pairs = _rows(DATA / "must_merge.csv")
    assert any(p["needs_registry"] == "no" for p in pairs)
    missed = []
    for p in pairs:
        regs = (
            [("real", real)]
            if p["needs_registry"] == "yes"
            else [("real", real), ("small", small), ("empty", empty)]
        )
        for label, reg in regs:
            res = resolve([p["name_a"], p["name_b"]], registry=reg)
            if res[p["name_a"]].institution_id != res[p["name_b"]].institution_id:
                missed.append((label, p["name_a"], p["name_b"]))
    names = [n for p in pairs for n in (p["name_a"], p["name_b"])]
    res = resolve(names, registry=real)
    missed += [
        ("joint", p["name_a"], p["name_b"])
        for p in pairs
        if res[p["name_a"]].institution_id != res[p["name_b"]].institution_id
    ]
    assert missed == []


def test_desk_variants_against_subsidiaries(small) -> None:
    res = resolve(["长江自营", "长江资管", "长江证券", "国金自营", "西南证券研究院"], registry=small)
    assert res["长江自营"].institution_id == res["长江证券"].institution_id == "sec-0001"
    assert res["长江资管"].institution_id == "am-0001"
    assert res["国金自营"].institution_id == "sec-0014"
    assert res["西南证券研究院"].institution_id == "sec-0015"
    assert res["长江自营"].method == "normalized"


# ------------------------------------------------------------------------------------------- contract


def test_every_name_gets_a_match(small) -> None:
    names = ["兴业证券", "兴业证券", "完全陌生的机构名称有限公司", "", "  ", "ABC Capital", "中金", "中金"]
    res = resolve(names, registry=small)
    assert list(res.matches) == list(dict.fromkeys(names))
    for raw, m in res.matches.items():
        assert isinstance(m, Match) and m.raw_name == raw
        assert m.method in METHODS
        assert 0.0 <= m.score <= 1.0
        assert m.institution_id in res.institutions
    assert res["兴业证券"].method == "alias" and res["兴业证券"].score == 1.0
    assert res["完全陌生的机构名称有限公司"].institution_id.startswith("u-")
    assert res["完全陌生的机构名称有限公司"].method == "cluster"


def test_registry_methods(small) -> None:
    res = resolve(
        [
            "兴业证券股份有限公司",
            "兴证",
            "Industrial Securities",
            "兴业全球基金管理有限公司",
            "兴业证券 股份有限公司",
        ],
        registry=small,
    )
    assert res["兴业证券股份有限公司"].method == "registry"
    assert res["兴证"].method == "alias"
    assert res["Industrial Securities"].institution_id == "sec-0003"
    assert res["兴业全球基金管理有限公司"].institution_id == "fund-0002"  # former name
    assert res["兴业证券 股份有限公司"].method == "normalized"


def test_deterministic_pure_and_order_independent(small) -> None:
    names = [
        "粤佛私募基金",
        "粤佛私募基金管理（武汉）有限公司",
        "上海煜德投资",
        "煜德投资",
        "长江自营",
        "北京明达资产",
        "上海明达资产",
        "明达资产",
        "宏道投资",
    ]
    frozen = list(names)
    a = resolve(names, registry=small)
    b = resolve(list(reversed(names)), registry=small)
    assert names == frozen
    assert {k: (m.institution_id, m.method) for k, m in a.matches.items()} == {
        k: (m.institution_id, m.method) for k, m in b.matches.items()
    }
    assert a.review == b.review
    # unregistered ids are stable hashes of the normalised cluster name
    assert (
        a["粤佛私募基金"].institution_id
        == resolve(["粤佛私募基金"], registry=small)["粤佛私募基金"].institution_id
    )


def test_cluster_naming_and_type(empty) -> None:
    names = ["粤佛私募基金", "粤佛私募基金", "粤佛私募基金管理（武汉）有限公司"]
    res = resolve(names, registry=empty)
    m = res["粤佛私募基金管理（武汉）有限公司"]
    assert m.institution_id == res["粤佛私募基金"].institution_id
    assert m.institution == "粤佛私募基金"  # most frequent variant
    assert m.type == "私募基金"
    res = resolve(names[1:], registry=empty)  # tie: the legal-looking variant
    assert res["粤佛私募基金"].institution == "粤佛私募基金管理(武汉)有限公司"


def test_ambiguous_bare_region_goes_to_review(empty) -> None:
    res = resolve(["上海明达资产", "北京明达资产", "明达资产"], registry=empty)
    ids = {res[n].institution_id for n in ("上海明达资产", "北京明达资产", "明达资产")}
    assert len(ids) == 3
    assert {r.raw_institution for r in res.review} >= {"上海明达资产", "北京明达资产"}


def test_group_level(real) -> None:
    res = resolve(["东方证券", "东方红资产", "兴业证券", "兴证全球基金", "兴业银行"], registry=real)
    assert res["东方证券"].institution_id != res["东方红资产"].institution_id
    assert res["东方证券"].group == res["东方红资产"].group
    assert res["东方证券"].group_id == res["东方红资产"].group_id != ""
    assert res["兴业证券"].group_id == res["兴证全球基金"].group_id != res["兴业银行"].group_id


# ------------------------------------------------------------------------------------------- guards


@pytest.mark.parametrize(
    ("a", "b", "outcome"),
    [
        ("长江证券", "长江证券(上海)资产管理", BLOCK),  # extra type word
        ("兴业证券", "兴业银行", BLOCK),  # type conflict
        ("中信证券", "中信建投证券", BLOCK),  # 2-char core extended
        ("高盛(亚洲)", "高盛(香港)", BLOCK),  # different qualifiers
        ("上海明达资产", "北京明达资产", BLOCK),  # different regions
        ("宏道投资", "鸿道投资", REVIEW),  # 2-char core: never a fuzzy merge
        ("高盛", "高盛(亚洲)", REVIEW),  # qualifier on one side
        ("上海瀛赐私募", "瀛赐投资", REVIEW),  # compatible type words
        ("上海煜德投资", "煜德投资", MERGE),  # region prefix only
        ("国泰君安证券", "国泰君按证券", REVIEW),  # one substitution, not a known typo pair
        ("华夏久盈资产", "华夏久赢资产", MERGE),  # known look-alike pair, 4-char core
        ("上海国际信托", "国际信托", REVIEW),  # generic brand
        ("Goldman Sachs", "高盛", BLOCK),  # scripts meet in the registry only
        ("Schonfeld Strategic", "Schoenfeld Strategic", MERGE),
    ],
)
def test_guard(a: str, b: str, outcome: str) -> None:
    got, reason = guard(analyze_name(a), analyze_name(b))
    assert got == outcome, reason
    assert reason


# ------------------------------------------------------------------------------------------- overrides


def test_overrides_change_the_result_and_survive(small) -> None:
    ov = load_overrides(FIX / "overrides_basic.csv")
    names = [
        "宏道投资",
        "北京鸿道投资管理有限公司",
        "中金研究",
        "中金",
        "中金公司",
        "粤佛私募基金",
        "粤佛私募基金管理（武汉）有限公司",
    ]
    plain = resolve(names, registry=small)
    assert plain["宏道投资"].institution_id != plain["北京鸿道投资管理有限公司"].institution_id
    assert plain["中金"].institution_id == "sec-0012"
    assert plain["粤佛私募基金"].institution_id == plain["粤佛私募基金管理（武汉）有限公司"].institution_id
    assert plain["中金公司"].institution == "中国国际金融股份有限公司"

    first = resolve(names, registry=small, overrides=ov)
    second = resolve([*names, "兴业证券"], registry=small, overrides=ov)
    for res in (first, second):
        assert res["宏道投资"].institution_id == res["北京鸿道投资管理有限公司"].institution_id
        assert res["宏道投资"].method == "override"
        assert res["中金研究"].institution_id == "sec-0012" and res["中金研究"].method == "override"
        assert res["中金"].institution_id != "sec-0012"
        assert res["粤佛私募基金"].institution_id != res["粤佛私募基金管理（武汉）有限公司"].institution_id
        assert res["中金公司"].institution == "中金公司(CICC)"
        assert res.institutions["sec-0012"].name == "中金公司(CICC)"
    assert {k: v for k, v in first.matches.items()} == {k: v for k, v in second.matches.items() if k in names}
    # the registry itself is untouched by a rename
    assert small.institutions["sec-0012"].name == "中国国际金融股份有限公司"


def test_must_link_to_unknown_name_creates_cluster(small, tmp_path) -> None:
    p = tmp_path / "overrides_x.csv"
    p.write_text("action,raw_name,target,note\nmust_link,XYZ资本,某某资本管理有限公司,\n", encoding="utf-8")
    res = resolve(["XYZ资本"], registry=small, overrides=load_overrides(p))
    assert res["XYZ资本"].institution == "某某资本管理有限公司"
    assert res["XYZ资本"].institution_id.startswith("u-")


def test_bad_overrides_name_file_and_line(tmp_path) -> None:
    with pytest.raises(RegistryError, match=r"overrides_bad\.csv:3: unknown action 'merge'"):
        load_overrides(FIX / "overrides_bad.csv")
    p = tmp_path / "o.csv"
    p.write_text("action,raw_name,target,note\ncannot_link,,sec-0001,\n", encoding="utf-8")
    with pytest.raises(RegistryError, match=r"o\.csv:2:"):
        load_overrides(p)
    p.write_text("raw,target\n", encoding="utf-8")
    with pytest.raises(RegistryError, match=r"o\.csv:1:"):
        load_overrides(p)
    with pytest.raises(RegistryError, match="cannot read"):
        load_overrides(tmp_path / "missing.csv")


def test_toml_overrides(tmp_path, small) -> None:
    p = tmp_path / "o.toml"
    p.write_text(
        '[[override]]\naction = "must_link"\nraw_name = "中金研究"\ntarget = "sec-0012"\n', encoding="utf-8"
    )
    assert (
        resolve(["中金研究"], registry=small, overrides=load_overrides(p))["中金研究"].institution_id
        == "sec-0012"
    )


# ------------------------------------------------------------------------------------------- evidence


def test_person_evidence_merges_fuzzy_spellings(empty) -> None:
    names = ["宏道投资", "鸿道投资"]
    assert (
        resolve(names, registry=empty)["宏道投资"].institution_id
        != resolve(names, registry=empty)["鸿道投资"].institution_id
    )
    res = resolve(names, registry=empty, evidence=[("宏道投资", "张伟"), ("鸿道投资", "张伟")])
    assert res["宏道投资"].institution_id == res["鸿道投资"].institution_id
    assert "person" in {res["宏道投资"].method, res["鸿道投资"].method}
    # a one-character person name is no evidence
    res = resolve(names, registry=empty, evidence=[("宏道投资", "张"), ("鸿道投资", "张")])
    assert res["宏道投资"].institution_id != res["鸿道投资"].institution_id
    # a renamed private fund (投资 -> 私募基金管理) seen with one analyst
    res = resolve(
        ["瀛赐投资", "上海瀛赐私募基金管理有限公司"],
        registry=empty,
        evidence=[("瀛赐投资", "李明"), ("上海瀛赐私募基金管理有限公司", "李明")],
    )
    assert res["瀛赐投资"].institution_id == res["上海瀛赐私募基金管理有限公司"].institution_id


def test_person_evidence_never_overrides_a_guard(small) -> None:
    ev = [
        ("长江证券", "王芳"),
        ("长江资管", "王芳"),
        ("兴业证券", "陈鑫"),
        ("兴业银行", "陈鑫"),
        ("上海明达资产", "赵强"),
        ("北京明达资产", "赵强"),
    ]
    res = resolve(
        ["长江证券", "长江资管", "兴业证券", "兴业银行", "上海明达资产", "北京明达资产"],
        registry=small,
        evidence=ev,
    )
    assert res["长江证券"].institution_id != res["长江资管"].institution_id
    assert res["兴业证券"].institution_id != res["兴业银行"].institution_id
    assert res["上海明达资产"].institution_id != res["北京明达资产"].institution_id


def test_person_evidence_to_a_registry_entry(small) -> None:
    res = resolve(["华泰资管", "华泰资产"], registry=small)
    assert res["华泰资管"].institution_id.startswith("u-")
    assert any(r.raw_institution == "华泰资管" and r.candidate_id == "insam-0001" for r in res.review)
    res = resolve(
        ["华泰资管", "华泰资产"], registry=small, evidence=[("华泰资管", "周敏"), ("华泰资产", "周敏")]
    )
    assert res["华泰资管"].institution_id == "insam-0001" and res["华泰资管"].method == "person"


def test_every_pair_of_a_persons_spellings_is_judged(small, monkeypatch: pytest.MonkeyPatch) -> None:
    """Person evidence compares every two of one person's spellings that sit in different nodes, also
    after a pair reaching a registry entry was promoted (that once put the other spelling in the first
    one's place for the rest of its pairs)."""
    mod = importlib.import_module("irgraph.resolve")  # `irgraph.resolve` the attribute is the function
    judged: list[tuple[str, str]] = []
    real = mod._evidence_outcome

    def recording(a, b):  # type: ignore[no-untyped-def]
        judged.append((a.raw, b.raw))
        return real(a, b)

    monkeypatch.setattr(mod, "_evidence_outcome", recording)
    # sorted: 华泰保险资本, 华泰资产 (the registry entry), 华泰资管; both others are review-level to it
    names = ["华泰资管", "华泰资产", "华泰保险资本"]
    res = resolve(names, registry=small, evidence=[(n, "周敏") for n in names])
    assert res["华泰资产"].method == "alias"
    assert set(judged) == {("华泰保险资本", "华泰资产"), ("华泰保险资本", "华泰资管"), ("华泰资产", "华泰资管")}
    assert res["华泰资管"].institution_id == "insam-0001" and res["华泰资管"].method == "person"


def test_memo_changes_speed_never_the_result(real, monkeypatch: pytest.MonkeyPatch) -> None:
    """A memo made from other names (overlapping, fewer, more) gives the same resolution as none; after
    a call it holds that call's comparisons only, and a warm memo leaves nothing to compare again."""
    import random

    rows = _rows(DATA / "name_pairs_heldout.csv")
    names = sorted({r[k] for r in rows for k in ("a", "b")})
    rng = random.Random(7)
    people = [f"王{i}" for i in range(40)]
    evidence = [(n, rng.choice(people)) for n in names for _ in range(2)]
    ref = resolve(names, registry=real, evidence=evidence)
    assert ref.review and any(m.method in ("fuzzy", "person", "cluster") for m in ref.matches.values())
    for other in (names[: len(names) // 2], names[len(names) // 3 :], [*names, "宏道投资", "鸿道投资"]):
        memo = ResolveMemo()
        resolve(other, registry=real, evidence=[e for e in evidence if e[0] in set(other)], memo=memo)
        assert memo.blocks and memo.pairs and memo.evidence
        got = resolve(names, registry=real, evidence=evidence, memo=memo)
        assert got == ref and list(got.matches) == list(ref.matches)
    warm = ResolveMemo()
    resolve(names, registry=real, evidence=evidence, memo=warm)
    sizes = (len(warm.blocks), len(warm.pairs), len(warm.evidence))
    mod = importlib.import_module("irgraph.resolve")
    calls: list[int] = []
    real_compare = mod._compare
    monkeypatch.setattr(mod, "_compare", lambda a, b: calls.append(1) or real_compare(a, b))
    assert resolve(names, registry=real, evidence=evidence, memo=warm) == ref
    assert calls == [] and (len(warm.blocks), len(warm.pairs), len(warm.evidence)) == sizes
    resolve(names[:10], registry=real, memo=warm)
    assert len(warm.pairs) < sizes[1] and not warm.evidence


def _pool() -> list[str]:
    """Real spellings (held-out name pairs, gold seeds, must-(not-)merge lists) for random inputs."""
    names = {r[k] for f in sorted(DATA.glob("name_pairs_heldout*.csv")) for r in _rows(f) for k in ("a", "b")}
    names |= {g["raw_name"] for g in _rows(DATA / "gold" / "seed_institutions.csv")}
    return sorted(n for n in names if n)


def test_counted_names_and_memos_equal_the_plain_resolution_on_random_inputs(real, small) -> None:
    """``counts=`` (a caller's Counter of the names) and memos of other, overlapping calls (name
    analyses, registry lookup keys, types, block hits, compared pairs, person groups) give exactly
    the resolution of a plain call: random multisets of real spellings, random evidence (persons on
    several spellings, blank and one-letter persons) and random overrides, two registries."""
    import random
    from collections import Counter

    from irgraph.resolve import Overrides

    pool = _pool()
    people = [f"王{i}" for i in range(60)] + ["", " ", "李", " 张三 "]
    for seed in range(6):
        rng = random.Random(seed)
        reg = real if seed % 2 else small
        picked = rng.sample(pool, min(len(pool), 150 + 60 * seed))
        names = [n for n in picked for _ in range(rng.choice((1, 1, 2, 5)))]
        rng.shuffle(names)
        evidence = [(rng.choice(picked), rng.choice(people)) for _ in range(3 * len(picked))]
        ids = sorted(reg.institutions)
        ov = Overrides(
            must_link=tuple({rng.choice(picked): rng.choice([rng.choice(ids), rng.choice(picked), "新名字"])
                             for _ in range(seed)}.items()),
            cannot_link=tuple((a, b) for a, b in ((rng.choice(picked), rng.choice(ids)) for _ in range(seed)) if a != b),
            rename=((ids[seed], "改名"),),
        ) if seed % 3 else None
        ref = resolve(names, registry=reg, overrides=ov, evidence=evidence)
        got = resolve(names, registry=reg, overrides=ov, evidence=evidence, counts=Counter(names))
        assert got == ref and list(got.matches) == list(ref.matches) and list(got.institutions) == list(ref.institutions)
        memo = ResolveMemo()
        other = rng.sample(pool, len(picked)) + picked[: len(picked) // 2]
        resolve(other, registry=reg, overrides=ov, evidence=[(n, rng.choice(people)) for n in other], memo=memo)
        for _ in range(2):  # a memo of another call, then the memo this call left
            got = resolve(names, registry=reg, overrides=ov, evidence=evidence, memo=memo)
            assert got == ref and list(got.matches) == list(ref.matches) and got.review == ref.review


def test_a_memos_fuzzy_and_person_stages_are_reused_only_where_they_give_the_same(
        real, small, monkeypatch: pytest.MonkeyPatch) -> None:
    """A memo whose units are among a call's (analysed alike) and whose registry nodes are the same
    hands the call its fuzzy stage, and the call compares only its new units' pairs; one whose names
    and evidence pairs are among the call's, in the same nodes, hands it its person stage, and only the
    persons of new pairs are redone. The resolution is that of a plain call: random supersets of
    real spellings (new units, new spellings of a unit that become the name it is analysed by, counts
    that change, new evidence on old and new persons), random overrides, two registries; a memo of
    the other registry, blocks pushed over MAX_BLOCK, a pair or a name gone, redo those stages."""
    import random
    from collections import Counter

    from irgraph.resolve import Overrides

    mod = importlib.import_module("irgraph.resolve")
    since: list[object] = []
    real_since = mod._pairs_of_new_units
    monkeypatch.setattr(mod, "_pairs_of_new_units", lambda *a, **k: since.append(r := real_since(*a, **k)) or r)
    persons: list[object] = []
    real_persons = mod._persons_since
    monkeypatch.setattr(mod, "_persons_since", lambda *a, **k: persons.append(r := real_persons(*a, **k)) or r)
    pool = _pool()
    people = [f"王{i}" for i in range(60)]
    renamed, crossed, promoted, twins = 0, 0, 0, 0
    for seed in range(16):
        rng = random.Random(seed)
        reg = real if seed % 2 and seed < 8 else small
        if seed >= 8:  # blocks of a few members only: the new names push some over the limit
            monkeypatch.setattr(mod, "MAX_BLOCK", seed - 6)
        base = rng.sample(pool, 200)
        old = [n for n in base for _ in range(rng.choice((1, 2, 3)))]
        old_ev = [(rng.choice(base), rng.choice(people)) for _ in range(2 * len(base))]
        # new spellings of old names (without the legal suffix: the same unit, a name that sorts first)
        variants = [n.removesuffix("有限公司") for n in base if n.endswith("有限公司")][:5]
        extra = rng.sample([n for n in pool if n not in set(base)], 15) + variants
        new = old + [n for n in base if rng.random() < 0.3] + [n for n in extra for _ in range(rng.choice((1, 4)))]
        rng.shuffle(new)
        new_ev = old_ev + [(rng.choice(extra + base), rng.choice(people)) for _ in range(40)]
        ids = sorted(reg.institutions)
        ov = Overrides(must_link=((base[0], ids[seed]),), cannot_link=((base[1], base[2]),)) if seed % 3 == 2 else None
        memo = ResolveMemo()
        resolve(old, registry=reg, overrides=ov, evidence=old_ev, memo=memo)
        units = dict(memo.fuzzy[1])  # type: ignore[index]
        # a later person on the spellings of one who promoted a pair: the pair goes to the later one
        twin = next((raws for (_, raws, _), pairs in memo.evidence.items() if pairs), ())
        new_ev += [(r, "王99") for r in twin]
        twins += bool(twin)
        spare = ResolveMemo(**vars(memo))  # (the same tables: for the calls with a pair or a name gone)
        since.clear()
        ref = resolve(new, registry=reg, overrides=ov, evidence=new_ev)
        assert since == []  # (no memo: compared in full)
        persons.clear()
        got = resolve(new, registry=reg, overrides=ov, evidence=new_ev, memo=memo)
        assert got == ref and list(got.matches) == list(ref.matches) and list(got.institutions) == list(ref.institutions)
        assert got.review == ref.review and Counter(m.method for m in got.matches.values())["cluster"] > 0
        assert len(since) == 1 and (since[0] is not None or seed >= 8)
        assert persons[0] is not None and persons[0][0]  # type: ignore[index]
        full = ResolveMemo()
        resolve(new, registry=reg, overrides=ov, evidence=new_ev, memo=full)
        assert memo.persons == full.persons and memo.evidence == full.evidence
        assert memo.fuzzy == full.fuzzy  # (the same stages as a call without a memo makes)
        promoted += sum(m.method == "person" for m in got.matches.values())
        for fewer_names, fewer_ev in ((new, new_ev[1:] if new_ev[0] not in new_ev[1:] else new_ev[2:]),
                                      ([n for n in new if n != base[3]], new_ev)):
            persons.clear()
            assert resolve(fewer_names, registry=reg, overrides=ov, evidence=fewer_ev, memo=ResolveMemo(**vars(spare))
                           ) == resolve(fewer_names, registry=reg, overrides=ov, evidence=fewer_ev)
            assert persons[0] is None
        crossed += since[0] is None
        renamed += sum(memo.fuzzy[1].get(u) not in (None, raw) for u, raw in units.items())  # type: ignore[index]
        # the memo this call left gives the same again; one of the other registry is not reused
        assert resolve(new, registry=reg, overrides=ov, evidence=new_ev, memo=memo) == ref
        since.clear()
        other = small if reg is real else real
        assert resolve(new, registry=other, overrides=None, evidence=new_ev, memo=memo) == resolve(
            new, registry=other, evidence=new_ev)
        assert since == []
    assert renamed > 0 and crossed > 0 and promoted > 0 and twins > 0


def test_block_hits_leave_out_only_pairs_met_before() -> None:
    """A block's stored hits drop a name with itself and the second orientation of two queries (the
    later of (i, j) and (j, i)): the pairs met first, and their orientation, are those of every hit."""
    import random

    from rapidfuzz import fuzz, process

    mod = importlib.import_module("irgraph.resolve")
    rng = random.Random(3)
    alphabet = "国泰君安华夏广发中信建投"
    for _ in range(300):
        brands = ["".join(rng.choice(alphabet) for _ in range(rng.randint(1, 5))) for _ in range(rng.randint(2, 12))]
        nq = rng.randint(1, len(brands))
        sims = process.cdist(brands[:nq], brands, scorer=fuzz.ratio, score_cutoff=mod.BRAND_CUTOFF, workers=1)
        first: dict[frozenset[int], tuple[int, int]] = {}
        for qi, ci in zip(*(x.tolist() for x in sims.nonzero()), strict=True):
            if qi != ci:
                first.setdefault(frozenset((qi, ci)), (qi, ci))
        got = list(zip(*mod._block_hits(nq, brands), strict=True))
        assert got == list(first.values())


def test_person_pairs_are_the_review_level_pairs_of_a_plain_loop(small) -> None:
    """_person_pairs: the pairs of one person's spellings in two nodes (not two registry entries)
    that the guard finds review-level, as the plain pairwise loop over them gives."""
    mod = importlib.import_module("irgraph.resolve")
    raws = tuple(sorted({r[k] for r in _rows(DATA / "name_pairs_heldout.csv")[:40] for k in ("a", "b")}))
    for nodes in (tuple(f"n:{i % 7}" for i in range(len(raws))),
                  tuple(None if i % 5 == 0 else f"id:x{i % 3}" if i % 4 == 0 else f"n:{i}" for i in range(len(raws)))):
        plain = []
        for i, j in itertools.combinations(range(len(raws)), 2):
            nx, ny = nodes[i], nodes[j]
            if nx is None or ny is None or nx == ny or (nx.startswith("id:") and ny.startswith("id:")):
                continue
            a, b = analyze_name(raws[i]), analyze_name(raws[j])
            if a.norm == b.norm or max(mod._score(a, b), mod.fuzz.ratio(a.core, b.core) / 100) < mod.EVIDENCE_MIN:
                continue
            outcome, reason = guard(a, b)
            if outcome == REVIEW:
                plain.append((i, j, reason, mod._score(a, b)))
        assert plain and mod._person_pairs(raws, nodes) == tuple(plain)


# ------------------------------------------------------------------------------------------- registry


def test_registry_indexes(small) -> None:
    assert len(small) == 42
    assert small.lookup_name("高盛") == ("for-0001",)
    assert small.lookup_name("goldman sachs") == ("for-0001",)
    inst = small.institutions["sec-0013"]
    assert ("安信证券股份有限公司", 2023) in inst.former_names
    assert "安信证券" in small.names_of("sec-0013")


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            "sec-0001,A证券,,,,证券公司,A,s,2026\nsec-0001,B证券,,,,证券公司,B,s,2026\n",
            r":3: duplicate institution_id",
        ),
        ("sec-0001,A证券,,,,证券公司,A,s\n", r":2: expected 9 fields, got 8"),
        ("sec 1,A证券,,,,证券公司,A,s,2026\n", r":2: bad institution_id"),
        ("sec-0001,,,,,证券公司,A,s,2026\n", r":2: empty name"),
        ("sec-0001,A证券,,A证券@二〇二三,,证券公司,A,s,2026\n", r":2: former name"),
    ],
)
def test_registry_errors_name_file_and_line(tmp_path, body: str, message: str) -> None:
    p = tmp_path / "registry_bad.csv"
    header = "institution_id,name,short_names,former_names,english_names,type,group,source,as_of\n"
    p.write_text(header + body, encoding="utf-8")
    with pytest.raises(RegistryError, match=r"registry_bad\.csv" + message):
        load_registry(p)


def test_registry_bad_type_fixture() -> None:
    with pytest.raises(RegistryError, match=r"registry_bad_type\.csv:3: unknown type '券商'"):
        load_registry(FIX / "registry_bad_type.csv")
    with pytest.raises(RegistryError, match="cannot read registry"):
        load_registry(FIX / "does_not_exist.csv")


# ------------------------------------------------------------------------------------------- outputs


def test_institutions_table_and_review_rows(small) -> None:
    rows = [
        ("长江证券", "600000", "r1"),
        ("长江自营", "600000", "r1"),
        ("长江证券", "000001", "r2"),
        ("华泰资管", "000001", "r2"),
        ("华泰资产", "600000", "r3"),
    ]
    res = resolve([r[0] for r in rows], registry=small)
    table = institutions_table(res, rows)
    assert list(table[0]) == [
        "institution_id",
        "institution",
        "group",
        "type",
        "n_companies",
        "n_visits",
        "variants",
    ]
    first = table[0]
    assert first["institution_id"] == "sec-0001"
    assert (first["n_companies"], first["n_visits"], first["variants"]) == (2, 2, "长江自营;长江证券")
    assert [r["institution_id"] for r in table] == [
        r["institution_id"] for r in institutions_table(res, rows[::-1])
    ]
    review = review_rows(res)
    assert review and list(review[0]) == ["raw_institution", "candidate_id", "candidate", "score", "reason"]
    assert review[0]["raw_institution"] == "华泰资管" and review[0]["reason"]


def test_bare_brand_ending_in_a_generic_word_is_not_resolved_alone(real) -> None:
    # 中银国际 / 交银国际 are the banks' international arms as often as the onshore broker or trust
    res = resolve(["中银国际", "交银国际", "中银国际证券", "交银国际信托", "上海国际", "云南国际"], registry=real)
    assert res["上海国际"].institution_id != "trust-0001"  # or 上海国际集团
    assert res["云南国际"].institution_id != "trust-0008"
    assert res["中银国际"].institution_id != res["中银国际证券"].institution_id
    assert res["交银国际"].institution_id != res["交银国际信托"].institution_id
    assert res["中银国际证券"].institution_id == "sec-0029"
    assert any(r.raw_institution == "中银国际" and r.candidate_id == "sec-0029" for r in res.review)


def test_free_trade_zone_region_prefix() -> None:
    assert analyze_name("宁波梅山保税港区凌顶投资管理有限公司").norm == "宁波凌顶投资"


def test_english_branch_and_registered_aliases_resolve() -> None:
    """An English branch is its bank; 瑞士银行有限公司 is UBS AG; the holding company 申万宏源集团
    (formerly 宏源证券) is not the broker 申万宏源证券."""
    from irgraph.registry import load_registry

    reg = load_registry()
    names = [
        "UBS AG Singapore Branch",
        "UBS AG",
        "瑞士银行有限公司",
        "申万宏源集团股份有限公司",
        "宏源证券股份有限公司",
        "申万宏源证券有限公司",
        "李宁（天风证券",
        "天风证券",
    ]
    res = resolve(names, registry=reg)
    assert res["UBS AG Singapore Branch"].institution_id == res["UBS AG"].institution_id == "for-0055"
    assert res["瑞士银行有限公司"].institution_id == "for-0055"
    assert res["申万宏源集团股份有限公司"].institution_id == res["宏源证券股份有限公司"].institution_id == "inv-0005"
    assert res["申万宏源证券有限公司"].institution_id == "sec-0096"
    assert res["李宁（天风证券"].institution_id == res["天风证券"].institution_id


def test_traditional_script_legal_name_is_the_registry_name(real) -> None:
    """A legal name in traditional script is looked up as the simplified name it converts to
    (中國人壽保險股份有限公司 is the listed insurer, method ``registry``); the t2s fallback is an exact
    lookup only, so a traditional group name is not folded into the listed insurer."""
    names = ["中國人壽保險股份有限公司", "中國人壽保險(集團)公司", "中国人寿保险股份有限公司", "友邦保險控股有限公司"]
    res = resolve(names, registry=real)
    assert res["中國人壽保險股份有限公司"].institution_id == "ins-0005"
    assert res["中國人壽保險股份有限公司"].method == "registry"
    assert res["中國人壽保險(集團)公司"].institution_id == "ins-0004"
    assert res["友邦保險控股有限公司"].institution_id == "for-0067"


def test_names4_registry_facts(real) -> None:
    """Entries of the fourth held-out pass: short and former names, and look-alikes kept apart."""
    names = [
        "光证资管",
        "招商信诺资管",
        "鲁证期货股份有限公司",
        "和谐健康",
        "和谐汇一资产",
        "AIA Group Limited",
        "友邦保险有限公司",
        "友邦人寿保险有限公司",
        "富达利泰投资管理(上海)有限公司",
        "富达利泰",
        "富达基金管理(中国)有限公司",
        "Fidelity International",
    ]
    res = resolve(names, registry=real)
    ids = {n: res[n].institution_id for n in names}
    assert ids["光证资管"] == "am-0002"
    assert ids["招商信诺资管"] == "insam-0008"
    assert ids["鲁证期货股份有限公司"] == "fut-0012"
    assert ids["和谐健康"] == "ins-0095" != ids["和谐汇一资产"]
    assert ids["AIA Group Limited"] == "for-0067"
    assert len({ids["AIA Group Limited"], ids["友邦保险有限公司"], ids["友邦人寿保险有限公司"]}) == 3
    assert ids["富达利泰投资管理(上海)有限公司"] == ids["富达利泰"] == "pe-0026"
    assert len({ids["富达利泰"], ids["富达基金管理(中国)有限公司"], ids["Fidelity International"]}) == 3
    assert res["富达利泰"].group == res["Fidelity International"].group  # one group (富达), three entities
