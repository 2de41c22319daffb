"""Name normalisation: the matching key, the parts the guards compare, type inference, the rules table."""

from __future__ import annotations

import csv

import pytest

from irgraph._resources import data_path
from irgraph.normalize import (
    _converter,
    analyze_name,
    clean_text,
    infer_type,
    load_rules,
    normalize_name,
    to_simplified,
)


@pytest.mark.parametrize(
    ("raw", "key"),
    [
        ("國泰君安證券股份有限公司", "国泰君安证券"),  # traditional + legal suffix
        ("国泰君安证券", "国泰君安证券"),
        ("国泰君安证劵", "国泰君安证券"),  # common typo 劵
        ("中信 建投 证券", "中信建投证券"),  # spacing
        ("惠升基金管理公司", "惠升基金"),  # 基金管理 -> 基金, bare 公司
        ("银华基金管理股份有限公司", "银华基金"),
        ("北京鸿道投资管理有限责公司", "北京鸿道投资"),  # typo in the legal suffix
        ("粤佛私募基金管理（武汉）有限公司", "武汉粤佛私募基金"),  # a region in brackets is the region
        ("深圳固禾私募证券基金", "深圳固禾私募基金"),
        ("上海混沌投资(集团)有限公司", "上海混沌投资"),
        ("深圳市前海聚龙投资有限责任公司", "深圳聚龙投资"),  # region canonical: city, no 市/district
        ("国金自营", "国金证券"),  # desk implies the securities firm
        ("长江自营", "长江证券"),
        ("西南证券研究院", "西南证券"),
        ("西南证券自营部", "西南证券"),
        ("东北证券固定收益分公司", "东北证券"),
        ("招商证券深圳分公司", "招商证券"),  # branch + its city
        ("招商银行上海分行", "招商银行"),
        ("中信证券北京望京营业部", "中信证券"),  # branch: everything after the firm's name
        ("中信证券(山东)上海分公司", "中信证券(山东)"),  # a licensed subsidiary's region stays
        ("东北证券股份有限公司上海分公司", "东北证券"),
        ("国金资管部", "国金证券"),  # a department (…部) is a desk
        ("Rockhampton Mgmt Ltd", "rockhampton"),
        ("GOLDMAN SACHS", "goldmansachs"),
        ("Point 72", "point72"),
        ("Foresight Fund Mgmt Co Lit", "foresightfund"),
    ],
)
def test_normalize_name(raw: str, key: str) -> None:
    assert normalize_name(raw) == key


@pytest.mark.parametrize(
    ("raw", "key"),
    [
        ("高盛(亚洲)有限责任公司", "高盛(亚洲)"),
        ("高盛（亞洲）", "高盛(亚洲)"),
        ("高盛资产管理(香港)有限公司", "高盛资产(香港)"),
        ("施罗德投资管理(香港)有限公司", "施罗德投资(香港)"),
        ("摩根士丹利基金管理(中国)有限公司", "摩根士丹利基金(中国)"),
        ("LAZARD ASSET MANAGEMENT (HONG KONG) LIMITED", "lazardasset(香港)"),
        ("Farallon Capital Asia (HK) Ltd", "faralloncapital(亚洲/香港)"),
    ],
)
def test_distinguishing_qualifiers_are_kept(raw: str, key: str) -> None:
    assert normalize_name(raw) == key


def test_licensed_subsidiary_is_not_a_desk() -> None:
    # 资管 / (上海)资产管理 is a separately licensed subsidiary: the type words stay
    assert normalize_name("长江证券(上海)资产管理有限公司") == "长江证券资产(上海)"
    assert normalize_name("长江资管") == "长江资管"
    assert normalize_name("长江证券") == "长江证券"
    # an incorporated research institute (研究所有限公司) is a company, not a desk
    assert normalize_name("上海申银万国证券研究所有限公司") == "上海申银万国证券研究所"


def test_analyze_parts() -> None:
    info = analyze_name("长江证券(上海)资产管理有限公司")
    assert (info.region, info.brand, info.tails, info.quals) == ("", "长江", ("证券", "资产"), ("上海",))
    assert info.legal
    info = analyze_name("深圳市明达资产管理有限公司")
    assert (info.region, info.brand, info.tails) == ("深圳", "明达", ("资产",))
    # a region that is the whole brand stays the brand (上海证券, 中山证券)
    assert analyze_name("上海证券").brand == "上海"
    assert analyze_name("中山证券").region == ""
    info = analyze_name("西南证券自营部")
    assert info.desk == "自营部" and info.tails == ("证券",)
    assert analyze_name("Goldman Sachs").english
    assert not analyze_name("高盛").english


def test_traditional_conversion_and_cache() -> None:
    assert to_simplified("花旗環球金融亞洲") == "花旗环球金融亚洲"
    assert to_simplified("滙豐") == "汇丰"
    assert to_simplified("ABC") == "ABC"
    assert _converter() is _converter()
    assert clean_text("  中信（建投）　证券 ") == "中信(建投)证券"
    assert clean_text("Goldman   Sachs  (Asia)") == "goldman sachs (asia)"


@pytest.mark.parametrize(
    ("name", "itype"),
    [
        ("天风证券", "证券公司"),
        ("国金自营", "证券公司"),
        ("泰信基金", "基金管理公司"),
        ("上海坤阳私募基金", "私募基金"),
        ("上海睿郡资产管理有限公司", "私募基金"),
        ("北京鸿道投资管理有限责公司", "私募基金"),
        ("长江证券(上海)资产管理有限公司", "资产管理公司"),
        ("财通资管", "资产管理公司"),
        ("华夏久盈保险资产管理有限公司", "保险资产管理公司"),
        ("众安在线财产保险", "保险公司"),
        ("平安养老保险股份有限公司", "保险公司"),
        ("建信养老金管理有限责任公司", "养老金管理公司"),
        ("建信养老", "养老金管理公司"),
        ("招银理财有限责任公司", "理财公司"),
        ("兴业银行", "银行"),
        ("上海国际信托", "信托公司"),
        ("永安期货", "期货公司"),
        ("杭州立元创业投资", "投资公司"),
        ("宁波三登投资", "投资公司"),
        ("富兰克林华美证券投资信托", "海外机构"),
        ("施罗德投资(香港)", "海外机构"),
        ("Still Point Investment Ltd", "海外机构"),
        ("Temasek", "海外机构"),
        ("天津九安医疗电子股份有限公司", "上市公司"),
        ("广东佳润实业", "其它"),
    ],
)
def test_infer_type(name: str, itype: str) -> None:
    assert infer_type(name) == itype


def test_rules_table_is_well_formed() -> None:
    path = data_path("name_rules.csv")
    with open(path, encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    assert rows and set(rows[0]) == {"kind", "pattern", "value", "note"}
    kinds = {r["kind"] for r in rows}
    known = {
        "char",
        "bracket",
        "legal",
        "legal_en",
        "bracket_drop",
        "qualifier",
        "region",
        "district",
        "generic_brand",
        "desk",
        "branch",
        "branch_anchor",
        "desk_cut",
        "licensed",
        "tail",
        "family",
        "family_compat",
        "type_tail",
        "abbr_en",
        "weak_en",
        "branch_en",
        "tail_en",
        "type",
        "confusable",
    }
    assert kinds <= known
    rules = load_rules()
    # every canonical type word has a family, every type rule yields a registry type
    assert {canon for group in rules.tails.values() for _, canon in group} <= set(rules.families)
    from irgraph.registry import TYPES

    assert {v for _, v in rules.types} <= set(TYPES)
    assert rules.types[-1][1] == "其它"


def test_normalize_is_deterministic_and_pure() -> None:
    raw = "  國泰君安證券股份有限公司 "
    copy = str(raw)
    assert normalize_name(raw) == normalize_name(copy) == "国泰君安证券"
    assert raw == copy
    assert normalize_name("") == ""


@pytest.mark.parametrize(
    ("raw", "norm"),
    [
        ("广发证券发展研究中心", "广发证券"),  # research desk with a descriptor
        ("兴业证券经济与金融研究院", "兴业证券"),
        ("招商证券研究发展中心", "招商证券"),
        ("华泰证券资产管理研究部", "华泰证券资产"),  # a type word in the descriptor: no cut
        ("兴证全球基金管理有限公可", "兴证全球基金"),  # legal-suffix typos
        ("上海重阳投资管理股分有限公司", "上海重阳投资"),
        ("汇添富基金管里有限公司", "汇添富基金"),
        ("广发证卷", "广发证券"),
        ("上海盘京投资管理中心(有限合伙)", "上海盘京投资"),  # partnership form word 中心
        ("Point72 Asset Management, L.P.", "point72asset"),  # dotted legal forms
        ("Goldman Sachs (Asia) L.L.C.", "goldmansachs(亚洲)"),
        ("J.P. Morgan", "jpmorgan"),
    ],
)
def test_heldout_normalisation_fixes(raw: str, norm: str) -> None:
    assert normalize_name(raw) == norm


def test_primed_name_infos_are_taken_once_and_can_be_dropped() -> None:
    """prime_name_infos hands analyze_name results made earlier (the cache's resolver memo): a primed
    name's first call returns the primed object; prime_name_infos(()) drops the unused ones."""
    from dataclasses import replace

    from irgraph.normalize import prime_name_infos

    first, second = "甲乙丙测试投资管理有限公司", "丁戊己测试投资管理有限公司"
    made = [analyze_name.__wrapped__(n) for n in (first, second)]
    marked = [replace(i, desk="primed") for i in made]
    prime_name_infos(marked)
    try:
        assert analyze_name(first) is marked[0]
        prime_name_infos(())
        assert analyze_name(second) == made[1] and analyze_name(second).desk == ""
    finally:
        prime_name_infos(())


@pytest.mark.parametrize(
    ("raw", "norm"),
    [
        # a proprietary-trading / FICC branch after the legal name: its place and type word go too
        ("天风证券股份有限公司上海证券自营分公司", "天风证券"),
        ("中信证券自营分公司", "中信证券"),
        # a branch's place may carry a district descriptor (经济开发区, 自贸区 ...)
        ("农行北京经济开发区分行", "农行银行"),
        ("中国工商银行北京经济技术开发区支行", "中国工商银行"),
        # a department of a branch is the firm
        ("工行北京分行投行部", "工行银行"),
        ("中信证券上海分公司研究部", "中信证券"),
        # 投资发展 is the company form of 投资
        ("上海彤源投资发展有限公司", "上海彤源投资"),
        # "& Co." is a legal form: X & Co. = X
        ("D. E. Shaw & Co.", "deshaw"),
        ("Oppenheimer & Co. Inc.", "oppenheimer"),
        ("Johnson & Johnson", "johnsonandjohnson"),
    ],
)
def test_heldout2_normalisation_fixes(raw: str, norm: str) -> None:
    assert normalize_name(raw) == norm


def test_english_branch_suffix_is_the_firm() -> None:
    """``UBS AG Singapore Branch`` = ``UBS AG`` (like 分公司); a bracketed place stays a qualifier."""
    from irgraph.normalize import english_branch_base

    assert normalize_name("UBS AG Singapore Branch") == normalize_name("UBS AG")
    assert normalize_name("UBS AG, Hong Kong Branch") == normalize_name("UBS AG")
    assert english_branch_base("UBS AG, Hong Kong Branch") == "UBS AG"
    assert english_branch_base("UBS AG Singapore Branch") == "UBS AG"
    assert english_branch_base("UBS AG") == ""
    assert normalize_name("UBS Asset Management (Singapore) Ltd.") != normalize_name("UBS Asset Management Ltd.")


def test_english_partnership_is_a_legal_form() -> None:
    """``(Limited Partnership)`` and ``Partnership`` are legal forms, like (有限合伙) / 合伙企业."""
    assert normalize_name("Shanghai Panjing Investment Management Center (Limited Partnership)") == normalize_name(
        "Shanghai Panjing Investment Management Center"
    )
    assert normalize_name(
        "Shanghai Qinchen Private Fund Management Partnership (Limited Partnership)"
    ) == normalize_name("Shanghai Qinchen Private Fund Management")


def test_person_before_an_unclosed_bracket_is_dropped() -> None:
    """``李宁（天风证券`` is 天风证券; only a short name without type word before an unclosed bracket."""
    assert normalize_name("李宁（天风证券") == normalize_name("天风证券")
    assert normalize_name("天风证券（李宁") != normalize_name("天风证券")  # the firm first: unchanged
    assert normalize_name("高盛（亚洲") == "高盛亚洲"  # no type word after the bracket
    assert normalize_name("上海（天风证券") != normalize_name("天风证券")  # a region, not a person
    assert normalize_name("中信证券（天风证券") != normalize_name("天风证券")  # a firm before it


def test_key_norm_and_core_are_made_from_the_fields() -> None:
    """NameInfo's key, norm and core (made with the object, no longer cached properties) are region +
    brand (+ type words, + qualifiers); replace() makes them again; they take no part in equality."""
    from dataclasses import replace

    for raw in ("上海高毅资产管理合伙企业(有限合伙)", "高盛(亚洲)有限责任公司", "UBS AG, Singapore Branch", "景顺长城", ""):
        i = analyze_name(raw)
        assert i.core == i.region + i.brand and i.key == i.core + "".join(i.tails)
        assert i.norm == i.key + ("(" + "/".join(i.quals) + ")" if i.quals else "") == normalize_name(raw)
        j = replace(i, region="北京", quals=("香港", "x"))
        assert (j.core, j.key, j.norm) == ("北京" + i.brand, "北京" + i.brand + "".join(i.tails),
                                           "北京" + i.brand + "".join(i.tails) + "(香港/x)")
        assert replace(i) == i and hash(replace(i)) == hash(i) and "norm" not in repr(i)
