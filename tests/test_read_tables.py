"""Vendor tables: akshare (Eastmoney) and Tushare survey exports as CSV/XLSX become records."""

from __future__ import annotations

import io
import zipfile
from collections import Counter
from pathlib import Path

import openpyxl
import pytest
from test_read_docx import squash

from irgraph.parse import parse_document
from irgraph.read import read_bytes, read_path
from irgraph.read.tables import activity, detect_csv, iso_date, records_from_csv, split_names, stock_code

AK_HEADER = [
    "序号",
    "代码",
    "名称",
    "最新价",
    "涨跌幅",
    "调研机构",
    "机构类型",
    "调研人员",
    "接待方式",
    "接待人员",
    "接待地点",
    "调研日期",
    "公告日期",
]
AK_ROWS = [
    [
        "1",
        "688088",
        "虹软科技",
        "30.12",
        "1.25",
        "兴业证券",
        "证券公司",
        "陈鑫",
        "特定对象调研",
        "董事会秘书 蒿惠美",
        "上海",
        "2024-08-27",
        "2024-08-29",
    ],
    [
        "2",
        "688088",
        "虹软科技",
        "30.12",
        "1.25",
        "广东正圆私募基金",
        "阳光私募机构",
        "张萍、吴皓月",
        "特定对象调研",
        "董事会秘书 蒿惠美",
        "上海",
        "2024-08-27",
        "2024-08-29",
    ],
    [
        "3",
        "688088",
        "虹软科技",
        "30.12",
        "1.25",
        "麦格理资本",
        "海外机构",
        "Cherry Ma",
        "特定对象调研",
        "董事会秘书 蒿惠美",
        "上海",
        "2024-08-27",
        "2024-08-29",
    ],
    ["4", "1", "平安银行", "nan", "nan", "个人投资者", "个人", "", "其他(线上交流)", "", "", "2024/9/1", "2024/9/3"],
    ["5", "1", "平安银行", "nan", "nan", "", "", "王五", "其他(线上交流)", "", "", "2024/9/1", "2024/9/3"],
]
TS_HEADER = [
    "ts_code",
    "name",
    "surv_date",
    "fund_visitors",
    "rece_place",
    "rece_mode",
    "rece_org",
    "org_type",
    "comp_rece",
]
TS_ROWS = [
    ["002223.SZ", "鱼跃医疗", "20211024", "郝淼", "电话会议", "特定对象调研", "宝盈基金", "基金管理公司", "董秘 张三"],
    [
        "002223.SZ",
        "鱼跃医疗",
        "20211024",
        "秦瑶函",
        "电话会议",
        "特定对象调研",
        "贝莱德资产管理",
        "外资机构",
        "董秘 张三",
    ],
    ["002223.SZ", "鱼跃医疗", "20211024", "谭飞,李晗", "电话会议", "特定对象调研", "博远基金", "基金管理公司", None],
    [
        "600000.SH",
        "浦发银行",
        "20211025",
        "甲一、乙二",
        "公司会议室",
        "特定对象调研,现场参观",
        "中信证券,华泰证券",
        "证券公司",
        None,
    ],
    ["600000.SH", "浦发银行", "bad-date", None, "公司会议室", "业绩说明会", None, None, None],
]


# the summary table (机构调研统计): one row per survey, a declared count, no attendees
AK_SUMMARY_HEADER = [
    "序号",
    "代码",
    "名称",
    "最新价",
    "涨跌幅",
    "接待机构数量",
    "接待方式",
    "接待人员",
    "接待地点",
    "接待日期",
    "公告日期",
]


def _csv(header: list[str], rows: list[list[str | None]]) -> str:
    import csv

    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(header)
    for r in rows:
        w.writerow(["" if c is None else c for c in r])
    return buf.getvalue()


def _xlsx(header: list[str], rows: list[list[str | None]], title_rows: int = 0) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "机构调研"
    for _ in range(title_rows):
        ws.append(["东方财富 机构调研详细"])
    ws.append(header)
    for r in rows:
        ws.append([_typed(c) for c in r])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _typed(c: str | None) -> object:
    """Cells as Excel holds them: numbers as numbers, dates as dates."""
    import datetime as dt

    if c is None or c == "":
        return None
    if c.replace(".", "", 1).isdigit() and len(c) < 8:
        return float(c) if "." in c else int(c)
    if len(c) == 10 and c[4] == "-":
        return dt.datetime.fromisoformat(c)
    return c


def test_helpers() -> None:
    assert [stock_code(x) for x in ("000001.SZ", "1", "1.0", "SZ000001", "sh.600000", "688088", "ABC", None)] == [
        "000001", "000001", "000001", "000001", "600000", "688088", None, None,
    ]  # fmt: skip
    assert [iso_date(x) for x in ("2024-08-27", "2024/8/7", "20240827", "2024年8月27日", "2024-08-27 00:00:00")] == [
        "2024-08-27", "2024-08-07", "2024-08-27", "2024-08-27", "2024-08-27",
    ]  # fmt: skip
    assert iso_date("2024-02-30") is None and iso_date("nan") is None
    assert activity("特定对象调研") == (("特定对象调研",), None)
    assert activity("特定对象调研,现场参观") == (("特定对象调研", "现场参观"), None)
    assert activity("路演") == (("路演活动",), None)
    assert activity("券商策略会") == (None, "券商策略会")
    assert activity(None) == (None, None)
    assert split_names("张萍、吴皓月") == ["张萍", "吴皓月"]
    assert split_names("Cherry Ma") == ["Cherry Ma"]
    assert split_names("陈嵩 景柄维") == ["陈嵩", "景柄维"]
    assert split_names("nan") == [] and split_names(None) == []


def test_detect_by_columns_not_by_name() -> None:
    assert detect_csv(_csv(AK_HEADER, AK_ROWS)) == "akshare"
    assert detect_csv(_csv(TS_HEADER, TS_ROWS)) == "tushare"
    assert detect_csv("\ufeff" + _csv(AK_HEADER, AK_ROWS).replace(",", "\t")) == "akshare"
    assert detect_csv(_csv(AK_SUMMARY_HEADER, [])) == "akshare"
    assert detect_csv("证券代码：688088 证券简称：虹软科技\n投资者关系活动记录表\n") is None
    assert detect_csv("a,b,c\n1,2,3\n") is None


def test_akshare_detail_rows_group_into_records() -> None:
    records = records_from_csv(_csv(AK_HEADER, AK_ROWS), "jgdy.csv")
    assert len(records) == 2
    r1, r2 = records
    assert r1.source == "jgdy.csv#rows 2-4"
    assert (r1.stock_code, r1.short_name, r1.dates, r1.place) == ("688088", "虹软科技", ("2024-08-27",), "上海")
    assert r1.activity_types == ("特定对象调研",) and r1.activity_other is None
    assert r1.receptionists == (("蒿惠美", "董事会秘书"),)
    assert [(a.institution, a.person) for a in r1.attendees] == [
        ("兴业证券", "陈鑫"), ("广东正圆私募基金", "张萍"), ("广东正圆私募基金", "吴皓月"), ("麦格理资本", "Cherry Ma"),
    ]  # fmt: skip
    assert [a.line_no for a in r1.attendees] == [2, 3, 3, 4]
    assert (r1.format, r1.stock_code_source, r1.kind, r1.status) == ("akshare", "table", "ir_record", "ok")
    # the second survey: 个人投资者 is a generic participant, a row without institution is a warning
    assert r2.source == "jgdy.csv#rows 5-6"
    assert r2.stock_code == "000001" and r2.dates == ("2024-09-01",)
    assert r2.activity_types is None and r2.activity_other == "其他(线上交流)"
    assert [(a.institution, a.person, a.generic) for a in r2.attendees] == [("个人投资者", None, True)]
    assert r2.warnings == ("row 6: persons 王五 without an institution; row skipped",)
    assert r2.place is None and r2.receptionists == ()
    for r in records:  # missing values never become the string "nan"
        assert "nan" not in repr(r.to_json()).lower()


def test_tushare_rows_group_into_records() -> None:
    records = records_from_csv(_csv(TS_HEADER, TS_ROWS), "surv.csv")
    assert [r.source for r in records] == ["surv.csv#rows 2-4", "surv.csv#rows 5", "surv.csv#rows 6"]
    r1, r2, r3 = records
    assert (r1.stock_code, r1.short_name, r1.dates, r1.place) == ("002223", "鱼跃医疗", ("2021-10-24",), "电话会议")
    assert [(a.institution, a.person) for a in r1.attendees] == [
        ("宝盈基金", "郝淼"), ("贝莱德资产管理", "秦瑶函"), ("博远基金", "谭飞"), ("博远基金", "李晗"),
    ]  # fmt: skip
    assert r1.receptionists == (("张三", "董秘"),) and r1.format == "tushare"
    assert r2.activity_types == ("特定对象调研", "现场参观")
    assert [(a.institution, a.person) for a in r2.attendees] == [("中信证券", "甲一"), ("华泰证券", "乙二")]
    assert r3.dates == () and r3.attendees == ()
    assert r3.warnings == ("unreadable date 'bad-date'", "row 6: no institution; row skipped")
    assert r3.status == "no_attendees"


def test_akshare_summary_table_declares_counts_without_attendees() -> None:
    rows = [["1", "300750", "宁德时代", "200", "1", "71", "特定对象调研", "董秘", "宁德", "2024-08-27", "2024-08-29"]]
    (rec,) = records_from_csv(_csv(AK_SUMMARY_HEADER, rows), "tj.csv")
    assert rec.declared_institutions == 71 and rec.attendees == () and rec.stock_code == "300750"
    assert rec.warnings == ("summary table (stock_jgdy_tj_em) names no attendees",)


@pytest.mark.parametrize("encoding", ["utf-8-sig", "gb18030", "utf-16"])
def test_csv_in_any_encoding_read_through_the_dispatcher(tmp_path: Path, encoding: str) -> None:
    path = tmp_path / "export.txt"  # the name says nothing: the columns do
    path.write_bytes(_csv(AK_HEADER, AK_ROWS).encode(encoding))
    doc = read_path(path)
    assert doc.error is None and doc.format == "akshare" and doc.text == ""
    assert doc.records is not None and len(doc.records) == 2
    assert doc.records[0].source == f"{path}#rows 2-4"


def test_xlsx_with_title_rows_typed_cells(tmp_path: Path) -> None:
    path = tmp_path / "jgdy.xlsx"
    path.write_bytes(_xlsx(AK_HEADER, AK_ROWS, title_rows=1))
    doc = read_path(path)
    assert doc.error is None and doc.format == "akshare"
    r1, r2 = doc.records
    assert r1.source == f"{path}#机构调研!rows 3-5"
    assert r1.stock_code == "688088" and r1.dates == ("2024-08-27",)
    assert r2.stock_code == "000001"  # the integer 1 in Excel
    assert len(r1.attendees) == 4


def test_tushare_xlsx(tmp_path: Path) -> None:
    path = tmp_path / "surv.xlsx"
    path.write_bytes(_xlsx(TS_HEADER, TS_ROWS))
    doc = read_path(path)
    assert doc.format == "tushare" and [len(r.attendees) for r in doc.records] == [4, 2, 0]


def test_bad_tables_become_errors_or_warnings(tmp_path: Path) -> None:
    other = openpyxl.Workbook()
    other.active.append(["日期", "收盘价"])
    buf = io.BytesIO()
    other.save(buf)
    (tmp_path / "a_prices.xlsx").write_bytes(buf.getvalue())
    broken = io.BytesIO()
    with zipfile.ZipFile(broken, "w") as z:
        z.writestr("xl/workbook.xml", "<workbook")
    (tmp_path / "b_broken.xlsx").write_bytes(broken.getvalue())
    ragged = _csv(AK_HEADER, AK_ROWS[:1]) + "2,688088\n"  # a short row: no institution
    (tmp_path / "c_ragged.csv").write_text(ragged, encoding="utf-8")
    docs = {p.name: read_path(p) for p in sorted(tmp_path.iterdir())}
    assert docs["a_prices.xlsx"].error.startswith("XLSX workbook without an akshare/Tushare survey table")
    assert docs["b_broken.xlsx"].error.startswith("damaged XLSX")
    ok, short = docs["c_ragged.csv"].records  # the short row has no date: a survey of its own
    assert ok.warnings == () and len(ok.attendees) == 1
    assert short.source.endswith("#rows 3") and short.attendees == ()
    assert short.warnings == ("row 3: no institution; row skipped",)


TEXT_RECORD = """证券代码：688088                        证券简称：虹软科技
虹软科技股份有限公司
投资者关系活动记录表
编号：2024-007
投资者关系活动类别
√特定对象调研 □分析师会议
参与单位名称及人员姓名
兴业证券：陈鑫
广东正圆私募基金：张萍、吴皓月
麦格理资本：Cherry Ma
时间
2024年8月27日
地点
上海
上市公司接待人员姓名
董事会秘书 蒿惠美
"""


def test_table_record_has_the_attendees_of_the_equivalent_text_record() -> None:
    (from_text,) = parse_document(read_bytes(TEXT_RECORD.encode("utf-8"), "record.txt"))
    from_table = parse_document(read_bytes(_csv(AK_HEADER, AK_ROWS[:3]).encode("gb18030"), "jgdy.csv"))

    def rows(records: tuple) -> Counter:
        return Counter((squash(a.institution), a.person and squash(a.person)) for r in records for a in r.attendees)

    assert rows(from_table) == rows((from_text,))
    assert from_table[0].stock_code == from_text.stock_code == "688088"
    assert from_table[0].dates == from_text.dates
    assert from_table[0].activity_types == from_text.activity_types


def test_eastmoney_api_headers_and_a_bare_code_column(tmp_path: Path) -> None:
    api = (
        "SECUCODE,SECURITY_CODE,SECURITY_NAME_ABBR,NOTICE_DATE,RECEIVE_START_DATE,RECEIVE_OBJECT,RECEIVE_PLACE,"
        "RECEIVE_WAY_EXPLAIN,INVESTIGATORS,RECEPTIONIST,ORG_TYPE\n"
        "002594.SZ,002594,比亚迪,2024-09-05 00:00:00,2024-09-03 00:00:00,汇添富基金,深圳,特定对象调研,"
        '"胡昕炜,王鹏",董事会秘书 李黔,基金管理公司\n'
    )
    (rec,) = records_from_csv(api, "api.csv")
    assert (rec.format, rec.stock_code, rec.short_name, rec.dates) == ("akshare", "002594", "比亚迪", ("2024-09-03",))
    assert [(a.institution, a.person) for a in rec.attendees] == [("汇添富基金", "胡昕炜"), ("汇添富基金", "王鹏")]
    assert rec.activity_types == ("特定对象调研",) and rec.receptionists == (("李黔", "董事会秘书"),)
    bare = "name,surv_date,fund_visitors,rece_place,rece_mode,rece_org,code\n东方财富,20240612,沈娟,上海,特定对象调研,华泰证券,300059\n"
    assert detect_csv(bare) == "tushare"
    (rec,) = records_from_csv(bare, "surv.csv")
    assert rec.stock_code == "300059" and [(a.institution, a.person) for a in rec.attendees] == [("华泰证券", "沈娟")]


def test_headers_only_tables_are_errors(tmp_path: Path) -> None:
    (tmp_path / "empty.csv").write_text("\ufeff" + ",".join(AK_HEADER) + "\n", encoding="utf-8")
    (tmp_path / "empty_ts.xlsx").write_bytes(_xlsx(TS_HEADER, []))
    doc = read_path(tmp_path / "empty.csv")
    assert doc.error == "akshare survey table (机构调研详细) with column headers but no data rows"
    (rec,) = parse_document(doc)  # one record for the file, never none
    assert rec.status == "error" and rec.source == str(tmp_path / "empty.csv")
    doc = read_path(tmp_path / "empty_ts.xlsx")
    assert doc.error == "XLSX workbook: Tushare stk_surv table with column headers but no data rows"
    assert doc.format == "table"


def test_a_quote_table_csv_is_an_error_not_a_text_record(tmp_path: Path) -> None:
    spot = "\ufeff序号,代码,名称,最新价,涨跌幅,成交量\n1,688088,虹软科技,30.12,1.25,51234\n2,000001,平安银行,11.2,-0.3,812345\n"
    (tmp_path / "spot.csv").write_text(spot, encoding="utf-8")
    doc = read_path(tmp_path / "spot.csv")
    assert doc.error is not None and doc.error.startswith("CSV table without an akshare/Tushare survey table")
    assert "columns: 序号, 代码, 名称, 最新价, 涨跌幅, 成交量" in doc.error
    # text records (and CSV that names no stock-code column) are still read as text
    for text in (TEXT_RECORD, "证券代码,688088,证券简称,虹软科技\n投资者关系活动记录表\n", "a,b,c,d\n1,2,3,4\n"):
        assert read_bytes(text.encode("utf-8"), "r.txt").error is None


def test_person_cells_that_go_to_no_institution_are_unparsed_lines() -> None:
    _, r2 = records_from_csv(_csv(AK_HEADER, AK_ROWS), "jgdy.csv")
    assert [(u.line_no, u.text, u.reason) for u in r2.unparsed] == [(6, "王五", "persons without an institution")]
    rows = [
        [
            "600000.SH",
            "浦发银行",
            "20211025",
            "甲一、乙二、丙三",
            "会议室",
            "特定对象调研",
            "中信证券,华泰证券",
            "证券公司",
            None,
        ]
    ]
    (rec,) = records_from_csv(_csv(TS_HEADER, rows), "surv.csv")
    assert [(a.institution, a.person) for a in rec.attendees] == [("中信证券", None), ("华泰证券", None)]
    assert [(u.line_no, u.text, u.reason) for u in rec.unparsed] == [
        (2, "甲一、乙二、丙三", "3 persons for 2 institutions")
    ]
