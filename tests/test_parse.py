"""Parser tests: the seeds and the dev set against their gold, and one small fixture per layout family."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from goldsets import check_record, load, multiset, rows

from irgraph.models import Record
from irgraph.parse import load_companies, parse_text, recover_stock_codes
from irgraph.read import read_path

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "data" / "samples"
DEV = ROOT / "tests" / "data" / "dev"
GOLD = json.loads((ROOT / "tests" / "data" / "gold" / "seed_records.json").read_text(encoding="utf-8"))


def parse_file(path: Path) -> Record:
    from irgraph.parse import parse_document

    (rec,) = parse_document(read_path(path))
    return rec


# --------------------------------------------------------------------------- seeds and dev set


@pytest.mark.parametrize("name", sorted(GOLD))
def test_seed_matches_gold(name: str) -> None:
    gold = GOLD[name]
    records = recover_stock_codes([parse_file(p) for p in sorted(SAMPLES.glob("*.txt"))])
    rec = next(r for r in records if Path(r.source).name == name)
    if gold["kind"] != "ir_record":
        assert rec.kind == "other"
        assert rec.attendees == ()
        assert rec.error is None
        return
    assert rec.kind == "ir_record"
    assert rec.stock_code == gold["stock_code"]
    assert rec.short_name == gold["short_name"]
    assert rec.company == gold["company"]
    assert rec.record_no == gold["record_no"]
    assert rec.activity_types == (tuple(gold["activity_types"]) if gold["activity_types"] is not None else None)
    assert rec.activity_other == gold.get("activity_other")
    assert list(rec.dates) == gold["dates"]
    assert rec.declared_institutions == gold.get("declared_institutions")
    assert rec.declared_persons == gold.get("declared_persons")
    assert multiset(rows(rec)) == multiset(gold["attendees"])
    assert [tuple(r) for r in rec.receptionists] == [tuple(r) for r in gold["receptionists"]]
    assert rec.unparsed == ()
    assert rec.status == "ok"


def test_seed_total_rows() -> None:
    total = sum(len(rows(parse_file(p))) for p in SAMPLES.glob("*.txt"))
    assert total == sum(len(g.get("attendees") or []) for g in GOLD.values()) == 243


DEV_GOLD = sorted(DEV.glob("*.gold.json"))


@pytest.mark.parametrize("gold_path", DEV_GOLD, ids=lambda p: p.name.split(".")[0])
def test_dev_record_matches_gold(gold_path: Path) -> None:
    check_record(*load(gold_path))


# --------------------------------------------------------------------------- layout fixtures


def record(attendees: str, *, types: str = "☑特定对象调研 □分析师会议\n□媒体采访 □业绩说明会\n□其他",
           time: str = "2025年3月5日", tail: str = "", code: str = "证券代码：600001 证券简称：测试股份",
           label: str = "参与单位名称及人员姓名") -> str:
    return (f"{code}\n测试股份有限公司投资者关系活动记录表\n编号：2025-001\n"
            f"投资者关系活动类别\n{types}\n{label}\n{attendees}\n时间 {time}\n地点 公司会议室\n"
            f"上市公司接待人员姓名\n董事会秘书 王明\n投资者关系活动主要内容介绍\n1、问：公司经营情况？\n答：良好。\n"
            f"附件清单（如有）\n无\n日期 2025年3月6日\n{tail}")


def parsed(text: str) -> Record:
    return parse_text(text, "fixture.txt")


LAYOUTS: dict[str, tuple[str, list[tuple[str, str | None]]]] = {
    "alternating lines, persons joined by 、": (
        "兴业证券\n陈鑫、王磊\n天风证券\n刘鉴\n广东正圆私募基金\n张萍、吴皓月",
        [("兴业证券", "陈鑫"), ("兴业证券", "王磊"), ("天风证券", "刘鉴"), ("广东正圆私募基金", "张萍"),
         ("广东正圆私募基金", "吴皓月")]),
    "institution space persons 、": (
        "银华基金 孙蓓琳、吴文蔚\n惠升基金管理公司 陈桥宁\n中信建投 张咏梅",
        [("银华基金", "孙蓓琳"), ("银华基金", "吴文蔚"), ("惠升基金管理公司", "陈桥宁"), ("中信建投", "张咏梅")]),
    "institution colon persons, many per line": (
        "中欧基金：周蔚文、葛兰；易方达基金：张坤；\n嘉实基金：归凯。",
        [("中欧基金", "周蔚文"), ("中欧基金", "葛兰"), ("易方达基金", "张坤"), ("嘉实基金", "归凯")]),
    "numbered colon lines": (
        "1、华夏基金：王海涛\n2、南方基金：李明、赵强\n3. 博时基金 孙华",
        [("华夏基金", "王海涛"), ("南方基金", "李明"), ("南方基金", "赵强"), ("博时基金", "孙华")]),
    "glued institution and person": (
        "国信证券曹翰民，华泰证券王龙钰、李想，中金公司于钟海。",
        [("国信证券", "曹翰民"), ("华泰证券", "王龙钰"), ("华泰证券", "李想"), ("中金公司", "于钟海")]),
    "glued rows wrapped after a person: the next line opens a new row": (
        "南方基金史博、应帅、邹寅隆、华泰证券王龙钰\n国海证券徐萌，国联民生周泰",
        [("南方基金", "史博"), ("南方基金", "应帅"), ("南方基金", "邹寅隆"), ("华泰证券", "王龙钰"),
         ("国海证券", "徐萌"), ("国联民生", "周泰")]),
    "glued rows with names wrapped inside the ending": (
        "同鹤投资胡倩雯，法巴农银\n理财吴薇，建信养老金管\n理有限责任公司张丽楷、刘雨超",
        [("同鹤投资", "胡倩雯"), ("法巴农银理财", "吴薇"), ("建信养老金管理有限责任公司", "张丽楷"),
         ("建信养老金管理有限责任公司", "刘雨超")]),
    "English names ending with a place are institutions": (
        "Morgan Stanley、Point72 Hong Kong、GIC Singapore、中信证券",
        [("Morgan Stanley", None), ("Point72 Hong Kong", None), ("GIC Singapore", None), ("中信证券", None)]),
    "English names with a place, then a person": (
        "Point72 Hong Kong Jason Chen、Morgan Stanley Asia Eric Wang",
        [("Point72 Hong Kong", "Jason Chen"), ("Morgan Stanley Asia", "Eric Wang")]),
    "a generic participant cut by the line break": (
        "嘉实基金、友邦保险、华泰资产及个\n人投资者等",
        [("嘉实基金", None), ("友邦保险", None), ("华泰资产", None)]),
    "two known names whose separator was lost": (
        "浙商证券、正心谷中金公司、中欧基金",
        [("浙商证券", None), ("正心谷", None), ("中金公司", None), ("中欧基金", None)]),
    "one name made of known parts stays one": (
        "长江证券资管、中信建投证券、交银施罗德基金、华泰证券研究所",
        [("长江证券资管", None), ("中信建投证券", None), ("交银施罗德基金", None), ("华泰证券研究所", None)]),
    "English list wrapped inside names (at spaces, after & or and)": (
        "Morgan Stanley Asia Limited, Huishang Bank, \nTaikang Pension, Sunshine Property and \n"
        "Casualty Insurance, DBS \nSecurities (China), Point \n72, Ping An Property & \nCasualty Insurance",
        [("Morgan Stanley Asia Limited", None), ("Huishang Bank", None), ("Taikang Pension", None),
         ("Sunshine Property and Casualty Insurance", None), ("DBS Securities (China)", None), ("Point 72", None),
         ("Ping An Property & Casualty Insurance", None)]),
    "an English item ending a 、-list, wrapped": (
        "长城证券股份有限公司、Sino Life Asset \nManagement、无锡松悦锦创业投资有限公司、China Industrial \n"
        "International Trust",
        [("长城证券股份有限公司", None), ("Sino Life Asset Management", None), ("无锡松悦锦创业投资有限公司", None),
         ("China Industrial International Trust", None)]),
    "glued rows in traditional characters and with 有限司 for 有限公司": (
        "中信證券華南刘朗晗、周梓昕，北信瑞丰基金管理有限司刘琪晗，申萬菱信杨哲珂",
        [("中信證券華南", "刘朗晗"), ("中信證券華南", "周梓昕"), ("北信瑞丰基金管理有限司", "刘琪晗"),
         ("申萬菱信", "杨哲珂")]),
    "a line opening with a bracket that closes inside it continues the name above": (
        "悦竹静创投王峰峰、曹晓娜，渣打证券\n（中国）有限公司王婷桂、王雅、李峥、马彬华、郭怡娜，明\n"
        "朗坤投资管理有限公司刘亮雪、周嘉",
        [("悦竹静创投", "王峰峰"), ("悦竹静创投", "曹晓娜"), ("渣打证券（中国）有限公司", "王婷桂"),
         ("渣打证券（中国）有限公司", "王雅"), ("渣打证券（中国）有限公司", "李峥"), ("渣打证券（中国）有限公司", "马彬华"),
         ("渣打证券（中国）有限公司", "郭怡娜"), ("明朗坤投资管理有限公司", "刘亮雪"), ("明朗坤投资管理有限公司", "周嘉")]),
    "a name's ending wrapped onto the line with the list's last words": (
        "平安银行股份有限公司、东方汇理资产管理、海南昊星创业投资\n有限公司（排名不分先后）",
        [("平安银行股份有限公司", None), ("东方汇理资产管理", None), ("海南昊星创业投资有限公司", None)]),
    "a name's ending wrapped before 等, an order note cut by the line break": (
        "智若资产、郑州知曜云私募证券投资基金管理\n有限公司等；平安银行、长沙锦水勤私募基金管理有限公司（排名\n不分先后）",
        [("智若资产", None), ("郑州知曜云私募证券投资基金管理有限公司", None), ("平安银行", None),
         ("长沙锦水勤私募基金管理有限公司", None)]),
    "persons separated by spaces": (
        "长江证券 赵刚 杨会强 陈硕旸\n信达证券 范欣悦\n源峰基金 欧阳婧",
        [("长江证券", "赵刚"), ("长江证券", "杨会强"), ("长江证券", "陈硕旸"), ("信达证券", "范欣悦"),
         ("源峰基金", "欧阳婧")]),
    "pairs on one line": (
        "财通证券 罗鑫 泉果基金 游瑾\n黑森基金 梁亚辉",
        [("财通证券", "罗鑫"), ("泉果基金", "游瑾"), ("黑森基金", "梁亚辉")]),
    "institution-only 、-run wrapped, ending 等机构": (
        "广发证券、德邦基金、浦银安盛基金、方正证\n券、中信保诚基金、上海国际信\n托、天风证券等机构。",
        [("广发证券", None), ("德邦基金", None), ("浦银安盛基金", None), ("方正证券", None),
         ("中信保诚基金", None), ("上海国际信托", None), ("天风证券", None)]),
    "institution-only list with 排名不分先后": (
        "融通基金、建信养老、国泰海通、中金公司（排名不分先后）",
        [("融通基金", None), ("建信养老", None), ("国泰海通", None), ("中金公司", None)]),
    "list ending with 等 and generic investors": (
        "华安基金、富国基金等及其他线上参会的个人投资者",
        [("华安基金", None), ("富国基金", None)]),
    "English names wrapped mid-name": (
        "Vision Point, Allianz, Farallon Capital \nAsia (HK) Ltd, Point 72, \nGoldman Sachs",
        [("Vision Point", None), ("Allianz", None), ("Farallon Capital Asia (HK) Ltd", None), ("Point 72", None),
         ("Goldman Sachs", None)]),
    "grid of names four per line": (
        "中信证券 华泰证券 招商证券 广发证券\n易方达基金 南方基金 嘉实基金",
        [("中信证券", None), ("华泰证券", None), ("招商证券", None), ("广发证券", None), ("易方达基金", None),
         ("南方基金", None), ("嘉实基金", None)]),
    "numbered institution list": (
        "1. 中信证券\n2. 华泰证券\n3. 睿远基金",
        [("中信证券", None), ("华泰证券", None), ("睿远基金", None)]),
    "per-date sub-lists": (
        "2025年3月5日\n中泰证券、西部利得基金\n2025年3月6日\n东方财富证券、银河基金",
        [("中泰证券", None), ("西部利得基金", None), ("东方财富证券", None), ("银河基金", None)]),
    "session prefixes": (
        "上午 现场会议 国金证券、华西证券\n下午 线上会议 东吴证券",
        [("国金证券", None), ("华西证券", None), ("东吴证券", None)]),
    "和 joins the last institution, approximate count": (
        "国海证券、长江证券、淡水泉投资和中欧基金近20位机构投资者人员",
        [("国海证券", None), ("长江证券", None), ("淡水泉投资", None), ("中欧基金", None)]),
    "persons in brackets": (
        "中信证券（张三、李四），华泰证券（王五）",
        [("中信证券", "张三"), ("中信证券", "李四"), ("华泰证券", "王五")]),
    "person (institution)": (
        "张三（中信证券）、李四（中信证券）、王五（华泰证券）",
        [("中信证券", "张三"), ("中信证券", "李四"), ("华泰证券", "王五")]),
    "titles glued to persons": (
        "中信证券：首席分析师张三、研究员李四\n华泰证券 王五（基金经理）",
        [("中信证券", "张三"), ("中信证券", "李四"), ("华泰证券", "王五")]),
    "session labels inside a line": (
        "线上：中信证券、华泰证券；现场：国泰君安证券",
        [("中信证券", None), ("华泰证券", None), ("国泰君安证券", None)]),
    "a sentence around the list": (
        "公司接待了中信证券、华泰证券、招商基金等机构的调研",
        [("中信证券", None), ("华泰证券", None), ("招商基金", None)]),
    "slash-separated persons": (
        "中信证券：张三/李四\n华泰证券：王五",
        [("中信证券", "张三"), ("中信证券", "李四"), ("华泰证券", "王五")]),
    "English persons after institutions": (
        "高盛 Tom Li、Jack Wang\n摩根士丹利 Emily Chen",
        [("高盛", "Tom Li"), ("高盛", "Jack Wang"), ("摩根士丹利", "Emily Chen")]),
}


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
def test_layout(layout: str) -> None:
    text, expected = LAYOUTS[layout]
    rec = parsed(record(text))
    assert rows(rec) == expected, rec.unparsed
    assert rec.unparsed == ()


def test_serial_number_table() -> None:
    text = record("具体参与单位及人员见附件", tail="序号 单位 姓名\n1 西南证券研究院 李茂怡\n2 东兴基金管理有限公司 周昊\n"
                  "3 上海迎水投资 姚洁俊")
    assert rows(parsed(text)) == [("西南证券研究院", "李茂怡"), ("东兴基金管理有限公司", "周昊"), ("上海迎水投资", "姚洁俊")]


def test_serial_title_person_table() -> None:
    text = record("详见附表", tail="附表：参会人员名单\n序号 单位名称 职位 姓名\n1 华夏基金 基金经理 王海涛\n"
                  "2 高毅资产 研究员 邓晓峰")
    assert rows(parsed(text)) == [("华夏基金", "王海涛"), ("高毅资产", "邓晓峰")]


def test_person_first_table() -> None:
    text = record("姓名 机构名称\n兰洋 东方证券\n黄雨韵 东方证券\n覃晶晶 国海富兰克林\n张奇 盘京投资")
    assert rows(parsed(text)) == [("东方证券", "兰洋"), ("东方证券", "黄雨韵"), ("国海富兰克林", "覃晶晶"),
                                  ("盘京投资", "张奇")]


def test_two_column_table_keeps_serial_order() -> None:
    text = record("名单详见附件", tail="附件：参会机构名单\n序号 机构名称 序号 机构名称\n1 长安基金 4 四叶草资管\n"
                  "2 东吴证券 5 国元证券\n3 华福证券 6 太平资产")
    assert rows(parsed(text)) == [(n, None) for n in ("长安基金", "东吴证券", "华福证券", "四叶草资管", "国元证券", "太平资产")]


def test_pipe_table_from_docx() -> None:
    text = ("证券代码：688002 证券简称：睿创微纳\n烟台睿创微纳技术股份有限公司\n投资者关系活动记录表\n编号：2026-005\n"
            "投资者关系活动类别 | 特定对象调研 □分析师会议 □媒体采访\n"
            "参与单位名称 | 国海证券、华泰证券和中欧基金\n时间 | 2026年7月21日\n地点 | 公司会议室\n"
            "上市公司参加人员姓名 | 董事会秘书黄艳女士\n")
    rec = parsed(text)
    assert rows(rec) == [("国海证券", None), ("华泰证券", None), ("中欧基金", None)]
    assert rec.activity_types == ("特定对象调研",)
    assert rec.dates == ("2026-07-21",)


def test_flattened_table_with_blank_lines() -> None:
    text = record("详见附件《与会人员清单》", tail="附件：《与会人员清单》\n\t公司名称\n\t姓名\n\n\t兴业证券\n\t陈鑫\n\n"
                  "\t麦格理资本\n\tCherry Ma\n\n\t中信建投证券\n\t应瑛、李楚涵\n\n注：以上排名不分先后。\n")
    rec = parsed(text)
    assert rows(rec) == [("兴业证券", "陈鑫"), ("麦格理资本", "Cherry Ma"), ("中信建投证券", "应瑛"), ("中信建投证券", "李楚涵")]
    assert rec.unparsed == ()


def test_company_staff_and_platform_are_not_attendees() -> None:
    text = record("1.参与单位：中信证券 张三、华泰证券 李四\n2.上市公司参与人员：董事长王五、董秘赵六")
    assert rows(parsed(text)) == [("中信证券", "张三"), ("华泰证券", "李四")]


def test_online_questions_only_has_no_rows() -> None:
    rec = parsed(record("投资者网上提问", types="□特定对象调研 √业绩说明会"))
    assert rows(rec) == []
    assert rec.status == "no_attendees"
    assert [a.generic for a in rec.attendees] == [True]


def test_platform_name_is_skipped() -> None:
    rec = parsed(record("通过全景网参与的投资者\n全景网"))
    assert rows(rec) == []
    assert rec.unparsed == ()


# --------------------------------------------------------------------------- check boxes

@pytest.mark.parametrize(("block", "expected", "other"), [
    ("■特定对象调研 □分析师会议 □媒体采访", ("特定对象调研",), None),
    ("√特定对象调研 √分析师会议 □其他", ("特定对象调研", "分析师会议"), None),
    ("☐特定对象调研 ✓分析师会议 ✔现场参观", ("分析师会议", "现场参观"), None),
    ("●路演活动 ○特定对象调研", ("路演活动",), None),
    ("\uf0fe特定对象调研 \uf06f分析师会议 \uf0a8媒体采访", ("特定对象调研",), None),
    ("特定对象调研 □分析师会议 □媒体采访 业绩说明会", ("特定对象调研", "业绩说明会"), None),
    ("特定对象调研 分析师会议 媒体采访", None, None),
    ("□特定对象调研 ☑其他（券商策略会）", ("其他",), "券商策略会"),
    ("□特定对象调研 ☑其他：线上交流会", ("其他",), "线上交流会"),
    ("☑特定对象调研 □其他（请文字说明其他活动内容）", ("特定对象调研",), None),
    ("☑特定对象调研 □其他（电话会议）", ("特定对象调研",), "电话会议"),
    ("□特定对象调研 □分析师会议", (), None),
])
def test_check_boxes(block: str, expected: tuple[str, ...] | None, other: str | None) -> None:
    rec = parsed(record("中信证券 张三", types=block))
    assert rec.activity_types == expected
    assert rec.activity_other == other


# --------------------------------------------------------------------------- dates and totals

@pytest.mark.parametrize(("time", "expected"), [
    ("2024年8月27日", ["2024-08-27"]),
    ("2024 年 8 月 27 日 下午 14:00-15:30", ["2024-08-27"]),
    ("2024-08-27", ["2024-08-27"]),
    ("2024/8/27 10:00", ["2024-08-27"]),
    ("2024年8月27日-28日", ["2024-08-27", "2024-08-28"]),
    ("2024 年 6 月 1 日-7 月 17 日", ["2024-06-01", "2024-07-17"]),
    ("2024年08月27日、2024年08月28日", ["2024-08-27", "2024-08-28"]),
    ("2024年8月30日10点00分- 11点30分", ["2024-08-30"]),
    ("2026年7月21日（星期二）下午14:00 2026年7月22日（星期三）下午13:30", ["2026-07-21", "2026-07-22"]),
    ("2024年12月30日至2025年1月2日", ["2024-12-30", "2025-01-02"]),
])
def test_dates(time: str, expected: list[str]) -> None:
    assert list(parsed(record("中信证券 张三", time=time)).dates) == expected


@pytest.mark.parametrize(("block", "expected", "other"), [
    # boxes written as brackets (DOCX forms): 「（√）」 checked, 「（ ）」 unchecked
    ("（√）特定对象调研\t（ ）分析师会议\n（ ）媒体采访\t（√）路演活动\n（ ）其他", ("特定对象调研", "路演活动"), None),
    # a 「是否」 column: 「是」 marks the checked categories
    ("特定对象调研    是\n分析师会议    否\n现场参观    是\n其他    否", ("特定对象调研", "现场参观"), None),
    # the categories held written out in words, no boxes at all
    ("特定对象调研、现场参观", ("特定对象调研", "现场参观"), None),
    ("特定对象调研", ("特定对象调研",), None),
    ("特定对象调研 分析师会议 现场参观", None, None),  # apart by spaces only: a form whose boxes were lost
    # 其他's text on the line below its instruction, with or without a colon
    ("□特定对象调研 □分析师会议\n■其他（请文字说明其他活动内容）\n电话会议", ("其他",), "电话会议"),
    ("☑特定对象调研\n☑其他（请文字说明其他活动内容）：\n国泰海通证券2026年春季策略会", ("特定对象调研", "其他"),
     "国泰海通证券2026年春季策略会"),
])
def test_check_box_forms(block: str, expected: tuple[str, ...] | None, other: str | None) -> None:
    rec = parsed(record("中信证券 张三", types=block))
    assert rec.activity_types == expected
    assert rec.activity_other == other


@pytest.mark.parametrize(("time", "expected"), [
    ("二〇二六年三月五日", ["2026-03-05"]),
    ("二○二五年十二月三十一日至二〇二六年一月二日", ["2025-12-31", "2026-01-02"]),
    ("二〇二六年三月二十日下午", ["2026-03-20"]),
])
def test_dates_in_chinese_numerals(time: str, expected: list[str]) -> None:
    assert list(parsed(record("中信证券 张三", time=time)).dates) == expected


@pytest.mark.parametrize(("code", "stock_code"), [
    ("股票代码：SH601012 | 股票简称：隆基绿能", "601012"),
    ("证券代码：sz000001 证券简称：平安银行", "000001"),
    ("证券代码：688981.SH 证券简称：中芯国际", "688981"),
])
def test_stock_code_with_exchange(code: str, stock_code: str) -> None:
    assert parsed(record("中信证券 张三", code=code)).stock_code == stock_code


@pytest.mark.parametrize(("number_line", "record_no"), [
    ("编号：2026-临-003", "2026-临-003"),
    ("No.2026-003", "2026-003"),
])
def test_record_number_forms(number_line: str, record_no: str) -> None:
    text = record("中信证券 张三").replace("编号：2025-001", number_line)
    assert parsed(text).record_no == record_no


def test_persons_named_after_a_generic_participant_are_no_institutions() -> None:
    rec = parsed(record("深圳市前海君安资产管理有限公司 周世明；个人投资者 陈先生、刘女士；华泰证券 李四"))
    assert rows(rec) == [("深圳市前海君安资产管理有限公司", "周世明"), ("华泰证券", "李四")]
    assert [(a.institution, a.person) for a in rec.attendees if a.generic] == [("个人投资者", "陈先生"),
                                                                              ("个人投资者", "刘女士")]


@pytest.mark.parametrize(("line", "inst", "persons"), [
    ("71家机构，共84人（详见附件《与会人员清单》）", 71, 84),
    ("本次参会机构共116家，参会人员141人，具体名单详见文后附录", 116, 141),
    ("参会人员总计102人，详见附件", None, 102),
    ("中信证券等一行 11 人", None, 11),
    ("二百余家机构参会，详见附件", None, None),
    ("近20位机构投资者", None, None),
    ("约30家机构", None, None),  # an approximate total is no total (not 「0家」 after the 3)
    ("共有约120家机构参与", None, None),
    ("华泰证券、中加基金、建信基金等31家机构34人。", 31, 34),
    ("参与机构与人数：华创证券、中金公司、招商基金等机构的29位投资者。", None, 29),
])
def test_declared_totals(line: str, inst: int | None, persons: int | None) -> None:
    rec = parsed(record(line))
    assert (rec.declared_institutions, rec.declared_persons) == (inst, persons)


def test_label_and_total_phrases_inside_the_cell_are_no_institutions() -> None:
    rec = parsed(record("参与机构与人数：华创证券、中金公司、华夏基金、招商基金等机构的29位投资者。"))
    assert rows(rec) == [("华创证券", None), ("中金公司", None), ("华夏基金", None), ("招商基金", None)]
    assert rec.unparsed == ()


def test_month_only_time_gives_no_date_and_says_so() -> None:
    for time in ("2026年7月", "2026年7月份"):
        rec = parsed(record("中信证券 张三", time=time))
        assert rec.dates == ()
        assert "meeting date given to the month only (2026-07); no date recorded" in rec.warnings
    assert "no meeting date found" in parsed(record("中信证券 张三", time="近期")).warnings


def test_questions_end_a_list_that_has_no_content_label() -> None:
    text = ("XX科技股份有限公司投资者关系活动记录表\n时间：2026年8月4日至8月6日\n参与单位：\n"
            "单位名称    姓名    职务\n中信证券股份有限公司    张明    研究员\n高盛集团    孙丽    分析师\n"
            "问：公司上半年业绩增长的主要原因是什么？\n答：新产品放量。\nQ2：产能利用率？\nA：约85%。\n")
    rec = parsed(text)
    assert rows(rec) == [("中信证券股份有限公司", "张明"), ("高盛集团", "孙丽")]
    assert rec.unparsed == ()


def test_a_label_that_lost_its_first_character_still_ends_the_field_before_it() -> None:
    text = ("证券代码：000681 证券简称：视觉中国\n视觉（中国）文化发展股份有限公司投资者关系活动记录表\n"
            "投资者关系活动类别 ☑特定对象调研 □分析师会议\n参与单位名称及人员姓名 中信证券 张三\n"
            "时间 2017年03月16日\n上市公司接待人员姓名 证券事务代表 彭晶\n资者关系活动主要内容介绍\n"
            "问：参股公司是否并表？\n答：公司持有49%股权，不并表。\n")
    rec = parsed(text)
    assert rec.receptionists == (("彭晶", "证券事务代表"),)
    assert rows(rec) == [("中信证券", "张三")]


def test_count_mismatch_is_a_warning() -> None:
    rec = parsed(record("3家机构，共3人\n中信证券 张三\n华泰证券 李四"))
    assert rec.status == "count_mismatch"
    assert "declared 3 institutions, parsed 2" in rec.warnings
    assert "declared 3 persons, parsed 2" in rec.warnings


# --------------------------------------------------------------------------- header fields and codes


def test_labels_letter_spaced_and_wrapped() -> None:
    text = ("证券代码：000591 证券简称：太阳能\n中节能太阳能股份有限公司\n投资者关系活动记录表\n编号：2026-07\n"
            "投 资 者 关\n系 活 动 类\n别\n☑ 特定对象调研 □分析师会议\n参 与 单 位\n名 称 及 人\n员姓名\n"
            "财通证券 罗鑫\n时间 2026 年 6 月 3 日\n地点 现场\n公 司 接 待\n人员姓名 董事会办公室： 黄中化 张文婷\n")
    rec = parsed(text)
    assert rows(rec) == [("财通证券", "罗鑫")]
    assert rec.activity_types == ("特定对象调研",)
    assert ("黄中化", "董事会办公室") in rec.receptionists


def test_full_width_and_crlf_do_not_break_parsing(tmp_path: Path) -> None:
    text = record("中信证券：张三、李四").replace("证券代码：600001", "证券代码：６００００１").replace("\n", "\r\n")
    p = tmp_path / "r.txt"
    p.write_bytes(text.encode("gb18030"))
    rec = parse_file(p)
    assert rec.stock_code == "600001"
    assert rows(rec) == [("中信证券", "张三"), ("中信证券", "李四")]


def test_page_numbers_and_repeated_headers_are_ignored() -> None:
    text = record("中信证券 张三\n2\n证券代码：600001 证券简称：测试股份\n华泰证券 李四")
    assert rows(parsed(text)) == [("中信证券", "张三"), ("华泰证券", "李四")]


def test_results_deck_is_other() -> None:
    rec = parse_file(SAMPLES / "004_b9f5d8c3f18218d6.txt")
    assert (rec.kind, rec.status, rec.attendees) == ("other", "not_a_record", ())


def test_missing_code_recovered_from_same_company() -> None:
    a = parsed(record("中信证券 张三"))
    b = parsed(record("华泰证券 李四", code=""))
    assert b.stock_code is None
    fixed = recover_stock_codes([a, b])
    assert fixed[1].stock_code == "600001"
    assert fixed[1].stock_code_source == "recovered"


def test_missing_code_from_companies_csv(tmp_path: Path) -> None:
    csv = tmp_path / "companies.csv"
    csv.write_text("code,short_name,company\n600001,测试股份,测试股份有限公司\n", encoding="utf-8")
    b = parsed(record("华泰证券 李四", code=""))
    fixed = recover_stock_codes([b], load_companies(csv))
    assert (fixed[0].stock_code, fixed[0].stock_code_source) == ("600001", "companies_csv")
    assert recover_stock_codes([b])[0].stock_code is None  # never invented


def test_every_attendee_line_is_accounted_for() -> None:
    """Nothing lost: each line of the attendee section is a row's line, skipped structure, or unparsed."""
    rec = parse_file(DEV / "000552_1225390202.txt")  # a 、-run wrapped over lines 13-18
    covered = {n for a in rec.attendees for n in a.lines}
    assert set(range(13, 19)) <= covered
    rec = parse_file(SAMPLES / "000_370e009666ed327e.txt")  # one cell per line, persons on the next line
    covered = {n for a in rec.attendees for n in a.lines} | {u.line_no for u in rec.skipped}
    first = rec.attendees[0]
    assert first.line_no in first.lines and first.line_no + 1 in first.lines  # 兴业证券 / 陈鑫
    for path in [*SAMPLES.glob("*.txt"), *DEV.glob("*.txt")]:
        rec = parse_file(path)
        assert all(a.line_no in a.lines for a in rec.attendees), path.name


def test_last_name_before_the_order_note_is_kept() -> None:
    rec = parsed(record("中信证券、华泰证券、\n石翼川投资（排名不分先后）"))
    assert rows(rec) == [("中信证券", None), ("华泰证券", None), ("石翼川投资", None)]
    assert rows(parsed(record("石翼川投资（排名不分先后）"))) == [("石翼川投资", None)]


def test_receptionists_given_by_title_only_are_a_warning_not_silence() -> None:
    """「上市公司接待人员姓名 董事会秘书、证券事务代表」 names no person: no receptionist row, and a
    warning says what the field held (nothing is dropped without a word)."""
    text = ("证券代码：688001  证券简称：测试科技\n测试科技股份有限公司投资者关系活动记录表\n编号：2025-001\n"
            "投资者关系活动类别 ☑特定对象调研\n参与单位名称及人员姓名 中信证券 张三；华泰证券 李四\n时间 2025年3月5日\n"
            "地点 公司会议室\n上市公司接待人员姓名 {}\n投资者关系活动主要内容介绍 1、问：经营情况？答：良好。\n")
    titles = parse_text(text.format("董事会秘书、证券事务代表"), "t.txt")
    assert titles.receptionists == ()
    assert "receptionists field names no person: 董事会秘书、证券事务代表" in titles.warnings
    named = parse_text(text.format("董事会秘书 王明"), "n.txt")
    assert named.receptionists == (("王明", "董事会秘书"),)
    assert not [w for w in named.warnings if "receptionists" in w]


# --------------------------------------------------------------------------- hard6 fixes

_LAYOUT_HEAD = ("证券代码：600001                     证券简称：测试股份\n\n"
                "                 测试股份有限公司\n                 投资者关系活动记录表\n\n")
_LAYOUT_TAIL = (" 时间              2026 年 3 月 18 日 10:00-11:30\n 地点              公司会议室\n"
                " 上市公司接待人    董事会秘书：王明\n 员姓名\n 投资者关系活动    1、公司经营情况？\n"
                " 主要内容介绍      答：良好。\n 附件清单（如有）  无\n 日期              2026 年 3 月 18 日\n")


def test_layout_label_cut_in_two_whose_first_piece_is_a_shorter_label() -> None:
    """pdftotext -layout: 「参与单位名称及」 / 「人员姓名」 each share a line with the values; the first piece
    must not be read as the shorter label 参与单位名称 (leaving 「及」 on a person and 「人员姓名」 as a row)."""
    text = (_LAYOUT_HEAD + " 投资者关系活动    √特定对象调研    □分析师会议\n 类别              □媒体采访        □其他\n"
            "                   华海资本：董承明 上海约牛: 虞文娟、张思龙\n"
            " 参与单位名称及    国新投资：孙语梁、王千 道仁资产：李晓光\n"
            " 人员姓名          长江电子: 余庭、王旭\n" + _LAYOUT_TAIL)
    rec = parsed(text)
    assert rows(rec) == [("华海资本", "董承明"), ("上海约牛", "虞文娟"), ("上海约牛", "张思龙"), ("国新投资", "孙语梁"),
                         ("国新投资", "王千"), ("道仁资产", "李晓光"), ("长江电子", "余庭"), ("长江电子", "王旭")]
    assert rec.activity_types == ("特定对象调研",)


@pytest.mark.parametrize("label", [" 投资者关系活动    □媒体采访    □业绩说明会\n 类别              □新闻发布会  □其他\n",
                                   " 投资者关系活动类别 □媒体采访    □业绩说明会\n                    □新闻发布会  □其他\n"],
                         ids=["label-in-two-pieces", "label-on-a-box-line"])
def test_layout_check_boxes_printed_above_a_centred_types_label(label: str) -> None:
    """The box lines above the 活动类别 label of a -layout form (the label centred in its cell) are its value."""
    text = (_LAYOUT_HEAD + "                   √特定对象调研     □分析师会议\n" + label
            + " 参与单位名称及人员姓名  中信证券 张三\n" + _LAYOUT_TAIL)
    rec = parsed(text)
    assert rec.activity_types == ("特定对象调研",)
    assert rows(rec) == [("中信证券", "张三")]


def test_bracketed_person_after_a_centred_label_is_no_label_note() -> None:
    """「国金证券」 above the label, 「（姚遥）、天弘基金…」 after it: the bracket is the person of 国金证券, not a
    parenthetical of the label like 「（如有）」."""
    for label in ("参与单位名称及人员姓名  ", "参与单位名称及人员  "):
        text = (_LAYOUT_HEAD + " 投资者关系活动类别  √特定对象调研   □分析师会议\n"
                "                     浙商证券（邱世梁）、国金证券\n"
                f" {label}（姚遥）、天弘基金（刘盟盟）\n" + (" 姓名\n" if label.endswith("人员  ") else "")
                + _LAYOUT_TAIL)
        assert rows(parsed(text)) == [("浙商证券", "邱世梁"), ("国金证券", "姚遥"), ("天弘基金", "刘盟盟")], label


def test_inline_numbering_separates_english_items() -> None:
    """「1. Aspex Management (HK) Limited 2. DeShaw 3. FENGHE ASIA」: a number with its dot between two
    items is a list marker (English names are otherwise joined across spaces), also before a CJK name."""
    rec = parsed(record("1. Aspex Management (HK) Limited 2. DeShaw 3. FENGHE ASIA\n"
                        "4. Gain.pro 5. 高毅资产 6. Hillhouse Investment 7. 中金公司"))
    assert rows(rec) == [("Aspex Management (HK) Limited", None), ("DeShaw", None), ("FENGHE ASIA", None),
                         ("Gain.pro", None), ("高毅资产", None), ("Hillhouse Investment", None), ("中金公司", None)]


def test_tab_led_lines_are_paragraphs_not_wraps() -> None:
    """Word save-as-text: each TAB-led line is a paragraph of the cell; an English 「Institution: Person, Person」
    line must not run on into the next one (「Charlie ChanUBS Asset Management」)."""
    text = record("\tMorgan Stanley: Daisy Dai, Charlie Chan\n\tUBS Asset Management: Lin Wei\n"
                  "\tPoint72 Asset Management, L.P.: Yang Fan, Kevin Li\n\tPinpoint Asset Management Limited\n"
                  "\t方正证\n\t券：王明")
    assert rows(parsed(text)) == [("Morgan Stanley", "Daisy Dai"), ("Morgan Stanley", "Charlie Chan"),
                                  ("UBS Asset Management", "Lin Wei"), ("Point72 Asset Management, L.P.", "Yang Fan"),
                                  ("Point72 Asset Management, L.P.", "Kevin Li"), ("Pinpoint Asset Management Limited", None),
                                  ("方正证券", "王明")]


@pytest.mark.parametrize("line", ["通过全景网“投资者关系互动平台”（https://ir.p5w.net）参与公司 2025 年度网上业绩说明会的投资者",
                                  "线上参与公司 2025 年第四季度业绩说明会的投资者"], ids=["p5w", "roadshow"])
def test_generic_sentence_with_a_spaced_year_is_one_participant(line: str) -> None:
    """「参与公司 2025 年度…的投资者」: the spaces around the year do not cut the sentence into a row 「公司」."""
    rec = parsed(record(line))
    assert rows(rec) == []
    assert [a.generic for a in rec.attendees] == [True]


def test_generic_line_with_a_spaced_head_count_is_no_row() -> None:
    """「个人投资者 3 名」 is a generic participant with its head count, not a row 「名」."""
    rec = parsed(record("开源证券 诸海滨 赵昊\n诺德基金 罗世锋\n个人投资者 3 名"))
    assert rows(rec) == [("开源证券", "诸海滨"), ("开源证券", "赵昊"), ("诺德基金", "罗世锋")]
    assert [a.institution for a in rec.attendees if a.generic] == ["个人投资者"]


def test_possessive_before_a_trailing_title_goes_with_it() -> None:
    """「中信证券、中金公司、华泰证券的分析师」: 「的分析师」 is no part of the last name."""
    rec = parsed(record("线上参与公司 2025 年第四季度业绩说明会的投资者；中信证券、中金公司、华泰证券的分析师"))
    assert rows(rec) == [("中信证券", None), ("中金公司", None), ("华泰证券", None)]


def test_english_persons_in_brackets_after_an_institution() -> None:
    """「Hel Ved Capital（Jim Tang）」 (here wrapped before the bracket) and 「Morgan Stanley (Kevin Wei)」: English
    persons in brackets; a region in brackets stays part of the name."""
    rec = parsed(record("共 3 家机构 4 人：中信证券自营（华鹏伟）、Hel Ved Capital\n（Jim Tang）、Morgan Stanley (Kevin Wei, Amy Li)、"
                        "Point72 Capital (Hong Kong) Limited"))
    assert rows(rec) == [("中信证券自营", "华鹏伟"), ("Hel Ved Capital", "Jim Tang"), ("Morgan Stanley", "Kevin Wei"),
                         ("Morgan Stanley", "Amy Li"), ("Point72 Capital (Hong Kong) Limited", None)]


def test_chinese_persons_in_brackets_after_a_known_english_institution() -> None:
    """「Morgan Stanley (王斌)」: a registered English name is an institution, so the bracket holds its
    person (it was taken for the person's own Chinese name, 王斌 lost); 「Kevin Li（李凯）」 stays one person."""
    rec = parsed(record("Morgan Stanley (王斌)、Goldman Sachs（李娜、张伟）、中信证券（张三）\nKevin Li（李凯）"))
    assert rows(rec) == [("Morgan Stanley", "王斌"), ("Goldman Sachs", "李娜"), ("Goldman Sachs", "张伟"),
                         ("中信证券", "张三"), ("Kevin Li", None)]


# --------------------------------------------------------------------------- hard7 layouts


def test_attachment_date_column_is_no_institution() -> None:
    """A header 「日期 机构名称 参会人员」: the date column is the row's date, the header cell no row."""
    rec = parsed(record("详见附件", tail="附件：参会机构名单\n日期\t机构名称\t参会人员\n2025年3月3日\t华夏基金\t郑晓辉\n"
                                        "2025年3月5日\t银华基金\t李晓星\n"))
    assert rows(rec) == [("华夏基金", "郑晓辉"), ("银华基金", "李晓星")]


def test_attachment_institution_type_column_is_no_name() -> None:
    """A 「机构类型」 column (证券/基金/QFII) between serial and institution is neither institution nor person."""
    rec = parsed(record("详见附件", tail="附件：参会名单\n序号\t机构类型\t机构名称\t姓名\n1\t证券\t中信证券\t尹欣驰\n"
                                        "2\tQFII\tSchroders\tJacky Zhu\n"))
    assert rows(rec) == [("中信证券", "尹欣驰"), ("Schroders", "Jacky Zhu")]


def test_numbered_session_headings_are_no_rows() -> None:
    """「一、线下参会」 / 「二、线上参会机构：」 alone on a line head sub-lists; they are no institutions."""
    rec = parsed(record("一、线下参会\n1.高瓴资本 李良\n二、线上参会机构：\n1.鹏华基金 闫思倩"))
    assert rows(rec) == [("高瓴资本", "李良"), ("鹏华基金", "闫思倩")]


def test_spaced_etc_totals_with_category_words() -> None:
    """「等 12 家证券公司」 closes a group mid-list and 「等 3 人」 follows persons: neither is a row or person."""
    rec = parsed(record("中信证券、国金证券等 12 家证券公司；南方基金等 9 家基金公司；高毅资产\n"
                        "华泰证券：田良、王喆等 3 人"))
    assert rows(rec) == [("中信证券", None), ("国金证券", None), ("南方基金", None), ("高毅资产", None),
                         ("华泰证券", "田良"), ("华泰证券", "王喆")]


def test_english_names_with_and_and_llp_in_a_semicolon_list() -> None:
    """In a 「；」 list 「and」 and 「, LLP」 belong to the names."""
    rec = parsed(record("Capital Research and Management Company；Wellington Management Company, LLP；Value Partners Group"))
    assert rows(rec) == [("Capital Research and Management Company", None), ("Wellington Management Company, LLP", None),
                         ("Value Partners Group", None)]


def test_fullwidth_english_names_kept_as_printed() -> None:
    """「ＵＢＳ　ＡＧ　张婷」, 「ＣＩＣＣ　Ｗｅｎｄｙ　Ｌｉｕ」: full-width English names with ideographic spaces read as
    one name each, and the rows keep the printed characters."""
    rec = parsed(record("１．ＵＢＳ　ＡＧ　张婷\n２．ＣＩＣＣ　Ｗｅｎｄｙ　Ｌｉｕ\n３．中信证券　刘晓"))
    assert rows(rec) == [("ＵＢＳ　ＡＧ", "张婷"), ("ＣＩＣＣ", "Ｗｅｎｄｙ　Ｌｉｕ"), ("中信证券", "刘晓")]


def test_japanese_family_names_are_persons() -> None:
    """「野村證券：山本隆、佐藤健二」: a four-character Japanese name after 「、」 is a person."""
    rec = parsed(record("野村證券：山本隆、佐藤健二\nみずほ証券：田中宏"))
    assert rows(rec) == [("野村證券", "山本隆"), ("野村證券", "佐藤健二"), ("みずほ証券", "田中宏")]


def test_department_after_a_space_belongs_to_the_institution() -> None:
    """「易方达基金 权益投资部 刘健维」: the department is part of the institution as printed."""
    rec = parsed(record("易方达基金 权益投资部 刘健维\n国泰海通证券 电子行业组 舒迪\n南方基金 茅炜"))
    assert rows(rec) == [("易方达基金 权益投资部", "刘健维"), ("国泰海通证券 电子行业组", "舒迪"), ("南方基金", "茅炜")]


def test_prose_institution_of_persons() -> None:
    """「中信证券的王子源、丁奇，华泰证券的黄乐平，以及景林资产的蒋彤来公司现场调研。」"""
    rec = parsed(record("中信证券的王子源、丁奇，华泰证券的黄乐平，以及\n景林资产的蒋彤来公司现场调研。"))
    assert rows(rec) == [("中信证券", "王子源"), ("中信证券", "丁奇"), ("华泰证券", "黄乐平"), ("景林资产", "蒋彤")]


def test_a_registered_english_name_with_a_bracket_is_no_person_of_its_bracket() -> None:
    """「China Reinsurance (Group)」 (a registered English name) was read as the person China
    Reinsurance of an institution 「Group」, and the next name as another of its persons; a bracket of
    legal words only (「(Holdings)」) is no institution either. 「Kevin Wei（Morgan Stanley）」 stays a person."""
    rec = parsed(record("China Reinsurance (Group)、Morgan Stanley、Acme Fortune (Holdings)、Kevin Wei（Morgan Stanley）"))
    assert rows(rec) == [("China Reinsurance (Group)", None), ("Morgan Stanley", None),
                         ("Acme Fortune (Holdings)", None), ("Morgan Stanley", "Kevin Wei")]


def test_roman_numeral_category_heading_is_no_institution() -> None:
    """「Ⅰ. 公募基金：①易方达基金 张坤；…」: a Roman-numeral category heading (NFKC 「I.」) is no row."""
    rec = parsed(record("Ⅰ. 公募基金：①易方达基金 张坤；②招商基金 侯昊\nⅡ. 证券公司：①国信证券 陈青青"))
    assert rows(rec) == [("易方达基金", "张坤"), ("招商基金", "侯昊"), ("国信证券", "陈青青")]


def test_spaced_honorific_belongs_to_the_name_before_it() -> None:
    """「兴全基金 王海燕 女士」: the honorific after a space is no second person."""
    rec = parsed(record("兴全基金 王海燕 女士\n摩根大通 李冬 先生\n南方基金 茅炜"))
    assert rows(rec) == [("兴全基金", "王海燕"), ("摩根大通", "李冬"), ("南方基金", "茅炜")]


def test_organised_meeting_lead_in_is_no_institution() -> None:
    """「中信证券组织的投资者交流会：中信证券 杨泽原、…」: the lead-in names the meeting, not an attendee."""
    rec = parsed(record("中信证券组织的投资者交流会：中信证券 杨泽原、嘉实基金 王贵重、银华基金 刘辉"))
    assert rows(rec) == [("中信证券", "杨泽原"), ("嘉实基金", "王贵重"), ("银华基金", "刘辉")]


def test_investor_type_sublines_with_counts() -> None:
    """「机构投资者（2家）：…」 is a heading; persons after 「个人投资者（2名）：」 are generic, no institution."""
    rec = parsed(record("机构投资者（2家）：国泰基金 王阳、中欧基金 刘伟\n个人投资者（2名）：张先生、陈女士"))
    assert rows(rec) == [("国泰基金", "王阳"), ("中欧基金", "刘伟")]
    assert all(a.generic for a in rec.attendees[2:]) and len(rec.attendees) > 2


def test_key_value_person_lines() -> None:
    """「单位名称：X  姓名：Y  职务：Z」: one person a line as labelled fields, the unit repeated."""
    rec = parsed(record("单位名称：中信证券股份有限公司  姓名：敖翀  职务：首席分析师\n"
                        "单位名称：中信证券股份有限公司  姓名：李想  职务：分析师\n单位名称：兴证全球基金管理有限公司  姓名：乔迁"))
    assert rows(rec) == [("中信证券股份有限公司", "敖翀"), ("中信证券股份有限公司", "李想"), ("兴证全球基金管理有限公司", "乔迁")]


def test_name_broken_before_bracket_or_at_hyphen() -> None:
    """「高盛」/「(亚洲)有限责任公司 王晓明」 and 「Oberweis Asset Man-」/「agement Jason Lin」 are one name each."""
    rec = parsed(record("高盛\n(亚洲)有限责任公司 王晓明\nOberweis Asset Man-\nagement Jason Lin\n瑞银证券有限责任公司 陈昊"))
    assert [(a.institution, a.person) for a in rec.attendees] == [
        ("高盛(亚洲)有限责任公司", "王晓明"), ("Oberweis Asset Management", "Jason Lin"), ("瑞银证券有限责任公司", "陈昊")]


def test_box_drawing_table_in_the_cell() -> None:
    """「见下表」 and a table drawn with 「┌─┬」 rules and 「│」 cells: its rows, and no missing-attachment warning."""
    table = ("见下表\n┌────┬──────┬──────┐\n│序号│机构名称      │姓名      │\n├────┼──────┼──────┤\n"
             "│1   │招商证券      │鄢凡      │\n│2   │Fidelity International│Jenny Zhou│\n└────┴──────┴──────┘")
    rec = parsed(record(table))
    assert rows(rec) == [("招商证券", "鄢凡"), ("Fidelity International", "Jenny Zhou")]
    assert not any("attachment" in w for w in rec.warnings)


def test_list_in_the_content_cell_the_attendee_cell_points_to() -> None:
    """「详见投资者关系活动主要内容介绍」: the list is the content's 「本次调研机构包括：…」 sentence."""
    text = record("详见投资者关系活动主要内容介绍").replace(
        "1、问：公司经营情况？", "本次调研机构包括：中金公司、华泰证券、高毅资产（以上排名不分先后）。\n1、问：公司经营情况？")
    rec = parsed(text)
    assert rows(rec) == [("中金公司", None), ("华泰证券", None), ("高毅资产", None)]
    assert not rec.warnings


def test_person_first_then_dash_institution() -> None:
    """「王喆—中信证券」, 「黄乐平 - 华泰证券」, 「Eric Wang - Morgan Stanley」: a person, a dash, the institution."""
    rec = parsed(record("王喆—中信证券\n黄乐平 - 华泰证券\nEric Wang - Morgan Stanley"))
    assert rows(rec) == [("中信证券", "王喆"), ("华泰证券", "黄乐平"), ("Morgan Stanley", "Eric Wang")]


def test_english_bullets_person_comma_institution() -> None:
    """「- Eric Wang, Morgan Stanley」: an English bullet line, the person first and the institution after a comma."""
    rec = parsed(record("- Eric Wang, Morgan Stanley\n- Valerie Zeng, Goldman Sachs (Asia) L.L.C."))
    assert rows(rec) == [("Morgan Stanley", "Eric Wang"), ("Goldman Sachs (Asia) L.L.C.", "Valerie Zeng")]


def test_institution_slash_person_pairs() -> None:
    """「中信证券/王喆、中金公司/陈显帆」: an institution, a slash and its person (not two institutions)."""
    rec = parsed(record("中信证券/王喆、中金公司/陈显帆、\n景顺长城基金/刘彦春"))
    assert rows(rec) == [("中信证券", "王喆"), ("中金公司", "陈显帆"), ("景顺长城基金", "刘彦春")]


def test_persons_in_lenticular_brackets_after_english_name() -> None:
    """「GIC Private Limited【Kevin Tan】」: persons in 【】 after a name, the name kept whole."""
    rec = parsed(record("中信证券【王喆、李越】；GIC Private Limited【Kevin Tan】"))
    assert rows(rec) == [("中信证券", "王喆"), ("中信证券", "李越"), ("GIC Private Limited", "Kevin Tan")]


def test_key_value_pairs_institution_persons_on_one_line() -> None:
    """「机构名称：中信证券；参会人员：王喆、李越」: two labelled fields on one line, several persons."""
    rec = parsed(record("机构名称：中信证券；参会人员：王喆、李越\n机构名称：博时基金；参会人员：王俊"))
    assert rows(rec) == [("中信证券", "王喆"), ("中信证券", "李越"), ("博时基金", "王俊")]


def test_reception_time_and_place_labels() -> None:
    """「接待时间：」 and 「接待地点：」 are the time and place fields, not attendee lines."""
    text = record("招商证券 史晋星").replace("时间 2025年3月5日\n地点 公司会议室", "接待时间：2025年3月5日\n接待地点：佛山总部大楼")
    rec = parsed(text)
    assert rec.dates == ("2025-03-05",)
    assert rec.place == "佛山总部大楼"
    assert rows(rec) == [("招商证券", "史晋星")]


def test_fixed_width_attachment_english_cells_end_at_wide_gaps() -> None:
    """A fixed-width 「序号 机构名称 参会人员 职务」 table: an English institution and person are two cells."""
    table = ("详见附件", "附件：参会机构名单\n序号   机构名称                 参会人员         职务\n"
             "1      中信证券                 王喆             首席分析师\n"
             "2      Schroders Investment     Kevin Lee        Analyst\n")
    rec = parsed(record(table[0], tail=table[1]))
    assert rows(rec) == [("中信证券", "王喆"), ("Schroders Investment", "Kevin Lee")]
