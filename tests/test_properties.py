"""Property tests (hypothesis): the parser, the decoder and the resolver never fail on odd input.

* ``parse_text`` never raises on arbitrary text — plain Unicode, and text assembled from real label,
  name, check-box, date and separator fragments so that it reaches the attendee grammar — and never
  returns a row whose institution is empty or whitespace, or a line number outside the text;
* ``decode_text`` raises nothing but ``InputError`` on arbitrary bytes (BOMs, zip/PDF magic,
  NUL patterns included), and ``read_bytes`` never raises at all;
* ``resolve`` returns a Match for every input name and never puts two unregistered names that the
  guard blocks into one institution.
"""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from irgraph.errors import InputError
from irgraph.models import STATUSES, Record
from irgraph.normalize import analyze_name
from irgraph.parse import parse_text
from irgraph.read import decode_text, read_bytes
from irgraph.resolve import BLOCK, guard, resolve

SETTINGS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])

LABELS = ["参与单位名称及人员姓名", "参与单位名称及\n人员姓名", "参 与 单 位\n名 称 及 人\n员姓名", "参与单位：", "调研机构",
          "参会单位名称（排名不分先后）", "时间", "会议时间", "调研日期", "地点", "上市公司接待人员姓名", "公司接待\n人员姓名",
          "投资者关系活动类别", "投资者关系活动主要内容介绍", "投资者关系\n活动主要内\n容", "附件清单（如有）", "日期",
          "附件：与会人员名单", "附件一：《参会机构名单》", "序号 单位 姓名", "序号 | 机构名称 | 参会者姓名", "机构名称\n参会者姓名",
          "投资者关系活动记录表", "证券代码：688088", "证券简称：虹软科技", "编号：2024-007", "虹软科技股份有限公司",
          "上市公司参加人员", "形式", "是否涉及应披露重大信息的说明"]
NAMES = ["中信证券", "兴业证券股份有限公司", "高盛(亚洲)", "高盛（亚洲）有限责任公司", "国信证券曹翰民", "长江证券韦思", "宇",
         "张三", "王雁杰", "欧阳娜娜", "Goldman Sachs", "Point 72", "Vision Point,", "个人投资者", "投资者网上提问",
         "线上参会的投资者", "等机构", "等", "（排名不分先后）", "以上排名不分先后", "71家机构，共84人", "共 3 人",
         "详见附件《与会人员清单》", "具体名单详见文后附录", "淡水泉投资和中欧基金", "近20位机构投资者", "自营", "研究所",
         "上海分公司", "基金管理有限", "限公司", "方正证", "券", "全景网", "董事会秘书", "先生", "女士", "上午", "现场会议",
         "（部分参会者未签署书面调研承诺函，在交流活动中，", "公司接待人员", "注：", "2024年8月27日", "8月28日（周三）"]
GLYPHS = ["□", "☑", "√", "■", "☐", "✓", "\uf0fe", "\uf06f", "R", "■特定对象调研", "□分析师会议", "其他：", "其他（券商策略会）"]
DATES = ["2024年08月27日、2024年08月28日", "8月27日-28日", "6 月 1 日-7 月 17 日", "2026-06-24", "14:00-15:30",
         "2024年13月45日", "0年0月0日", "10点00分"]
SEPS = ["、", "，", ",", "：", ":", "；", "|", " | ", "\t", " ", "  ", "\n", "\n\n", "\r\n", "。", "(", ")", "（", "）",
        "1、", "2.", "（3）", "①", "一、", "-", "/"]
FRAGMENT = st.one_of(
    st.sampled_from(LABELS), st.sampled_from(NAMES), st.sampled_from(GLYPHS), st.sampled_from(DATES),
    st.sampled_from(SEPS), st.sampled_from(SEPS), st.sampled_from(NAMES),
    st.integers(0, 9999).map(str),
    st.text(alphabet=st.characters(min_codepoint=0x4E00, max_codepoint=0x9FA5), min_size=1, max_size=6),
    st.text(max_size=4),
)
MIXED_TEXT = st.lists(FRAGMENT, max_size=80).map("".join)


@st.composite
def record_like(draw: st.DrawFn) -> str:
    """A record skeleton (title, header, types, attendee label) with fragment lines in its sections."""
    def lines(n: int) -> list[str]:
        return ["".join(draw(st.lists(FRAGMENT, min_size=1, max_size=8))) for _ in range(draw(st.integers(0, n)))]

    parts = ["证券代码：688787 证券简称：海天瑞声", "北京海天瑞声科技股份有限公司", "投资者关系活动记录表", "编号：2024-013",
             "投资者关系活动类别", *lines(3), draw(st.sampled_from(LABELS[:6])), *lines(12),
             draw(st.sampled_from(["时间", "会议时间", "日期", ""])), draw(st.sampled_from(DATES)),
             "上市公司接待人员姓名", *lines(3), "投资者关系活动主要内容介绍", *lines(4)]
    if draw(st.booleans()):
        parts += [draw(st.sampled_from(["附件：与会人员名单", "序号 单位 姓名", "机构名称", "附表1：参会机构"])), *lines(10)]
    return "\n".join(parts)


def check_record(rec: Record, text: str) -> None:
    assert isinstance(rec, Record)
    n_lines = len(text.split("\n"))
    assert rec.status in STATUSES
    for a in rec.attendees:
        assert a.institution.strip(), rec.attendees
        assert 1 <= a.line_no <= n_lines, (a, n_lines)
        assert a.person is None or a.person.strip(), a
    for u in rec.unparsed + rec.skipped:
        assert 1 <= u.line_no <= n_lines, (u, n_lines)
    json.dumps(rec.to_json(), ensure_ascii=False)  # the JSON of `irgraph parse` can always be written


@SETTINGS
@given(st.text(max_size=400))
def test_parse_text_never_raises_on_any_text(text: str) -> None:
    check_record(parse_text(text, "prop"), text)


@SETTINGS
@given(MIXED_TEXT)
def test_parse_text_never_raises_on_label_and_name_fragments(text: str) -> None:
    check_record(parse_text(text, "prop"), text)


@SETTINGS
@given(record_like())
def test_parse_text_on_record_skeletons(text: str) -> None:
    rec = parse_text(text, "prop")
    check_record(rec, text)
    assert rec.kind == "ir_record"  # the skeleton is a record: the attendee grammar was reached


BOMS = [b"", b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff", b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff"]


@st.composite
def odd_bytes(draw: st.DrawFn) -> bytes:
    prefix = draw(st.sampled_from([*BOMS, b"PK\x03\x04", b"%PDF-1.4\n", b"\xd0\xcf\x11\xe0", b"\x89PNG\r\n\x1a\n"]))
    body = draw(st.one_of(
        st.binary(max_size=600),
        st.text(max_size=200).map(lambda s: s.encode("utf-8")),
        st.text(max_size=200).map(lambda s: s.encode("utf-16-le", errors="replace")),
        st.text(max_size=200).map(lambda s: s.encode("utf-16-be", errors="replace")),
        MIXED_TEXT.map(lambda s: s.encode("gb18030", errors="replace")),
        MIXED_TEXT.map(lambda s: s.encode("big5", errors="replace")),
    ))
    return prefix + body


@SETTINGS
@given(st.one_of(st.binary(max_size=800), odd_bytes()))
def test_decode_text_raises_only_input_error(data: bytes) -> None:
    try:
        text, encoding = decode_text(data)
    except InputError as e:
        assert str(e)
        return
    assert isinstance(text, str) and isinstance(encoding, str) and encoding


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(odd_bytes())
def test_read_bytes_never_raises(data: bytes) -> None:
    doc = read_bytes(data, "prop.bin")
    assert doc.error is None or doc.error.strip()
    if doc.error is None and doc.records is None:
        assert "\x00" not in doc.text


BRANDS = ["明达", "上海明达", "北京明达", "明远", "鸿道", "鸿达", "源乐晟", "源乐", "星石", "星河", "淡水泉", "睿远",
          "高毅", "景林", "Alpha", "Alpha Capital", "Zeta"]
TAILS = ["资产管理有限公司", "投资管理有限公司", "资产", "投资", "私募基金", "基金管理有限公司", "资本", "证券", "", "资管",
         "投资咨询有限公司", "Management", "Capital Ltd"]
QUALS = ["", "(香港)", "（上海）", "（有限合伙）", "自营", "研究所"]
INST_NAME = st.builds(lambda b, t, q: b + t + q, st.sampled_from(BRANDS), st.sampled_from(TAILS), st.sampled_from(QUALS))
ANY_NAME = st.one_of(INST_NAME, st.sampled_from(NAMES), st.text(min_size=1, max_size=12).filter(str.strip))  # rows never have blank names


@SETTINGS
@given(st.lists(ANY_NAME, min_size=1, max_size=25))
def test_resolve_matches_every_name(names: list[str]) -> None:
    res = resolve(names)
    for n in names:
        m = res[n]
        assert m.raw_name == n
        assert m.institution_id and m.institution.strip(), m
        assert 0.0 <= m.score <= 1.0, m


UNREGISTERED = ("cluster", "fuzzy", "person")


@SETTINGS
@given(st.lists(INST_NAME, min_size=2, max_size=12, unique=True),
       st.lists(st.sampled_from(["张三", "李四", "王五"]), max_size=12))
def test_resolve_never_merges_names_the_guard_blocks(names: list[str], persons: list[str]) -> None:
    evidence = list(zip(names, persons, strict=False))  # shared persons tempt the resolver to merge
    res = resolve(names, evidence=evidence)
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            ma, mb = res[a], res[b]
            if ma.institution_id != mb.institution_id or ma.method not in UNREGISTERED or mb.method not in UNREGISTERED:
                continue
            ia, ib = analyze_name(a), analyze_name(b)
            if ia.key == ib.key and ia.quals == ib.quals:
                continue  # one normalised name: the same entity by definition
            assert guard(ia, ib)[0] != BLOCK, (a, b, guard(ia, ib))
