"""Attendee lists: the lines of a record's 参与单位 section -> attendee rows.

Real records use many layouts (see docs/parsing.md): tables flattened to one cell per line,
``序号 单位 姓名`` rows, person-first rows, ``机构：人、人`` lines, ``机构 人 人`` lines, pairs on
one line, institution and person glued together (``国信证券曹翰民``), ``、``-runs wrapped over
several lines, English lists, per-date sub-lists. Every line of the section ends up either in a
row, in ``skipped`` (structure: headers, notes, date headings, totals) or in ``unparsed``.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any, NamedTuple

from irgraph.lexicon import Lexicon, nkey
from irgraph.models import Attendee, Line, Unparsed

_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_CJK_OR_DOT = re.compile(r"[\u3400-\u9fff\uf900-\ufaff·]*")  # (fullmatch) every character CJK or 「·」
_LATIN = re.compile(r"[A-Za-z]")
_HYPHEN_SEP = re.compile(r"(?<=[\u4e00-\u9fff)）])\s*[-－—–]{1,2}\s*(?=[\u4e00-\u9fff])")
_HYPHENS = ("-", "－", "—", "–")  # what _HYPHEN_SEP needs
_LIST_SEP = "、，,；;"
_CATEGORY_WORDS = (
    "公募基金|私募基金|公募|私募|证券公司|券商|保险公司|保险资管|保险机构|保险|资管|资产管理公司|外资机构|外资|QFII|"
    "机构投资者|海外机构|境外机构|银行理财|理财子公司|银行|信托公司|信托|期货公司|期货|基金公司|投资公司|其他机构|其他|上市公司|产业资本"
)
_LIST_NOTE = re.compile(
    r"[（(]?(?:以上|以下)?(?:排名|排序)?(?:不分先后|不分前后|无先后)(?:顺序)?(?:排名|排序)?[）)]?|[（(]按[^）)]{0,12}排序[）)]"
)


def _strip_list_note(text: str, repl: str = "") -> str:
    """``_LIST_NOTE.sub(repl, text)``; every order note holds 先后, 前后 or 排序 (tested first: it is cheaper)."""
    return _LIST_NOTE.sub(repl, text) if "先后" in text or "前后" in text or "排序" in text else text


# the start of an order note whose rest was on the next line (skipped as a list note): 「…有限公司（排名」
_OPEN_NOTE_END = re.compile(r"[（(](?:以上|以下)?(?:排名|排序)\s*$")
_ORDER_NOTE = re.compile(r"^(?:注[:：])?(?:以上|以下)?(?:参会|与会|调研|来访)?(?:机构|单位|人员|名单)*(?:名单)?[（(]?(?:排名|排序)?"
                         r"(?:不分先后|不分前后|无先后|排名不分)(?:顺序)?(?:排名|排序)?[）)]?[。.]?$")
_COUNT_I = re.compile(r"(?<![\d近约超逾余多])(?<!超过)(\d{1,4})\s*家(?![以余多])(?:机构|单位|投资机构|公司|券商)?")
_COUNT_I2 = re.compile(r"(?:机构|单位)(?:共|合计|总计|数量)?[为:：]?\s*(\d{1,4})\s*家(?![以余多])")
_COUNT_P = (
    re.compile(r"(?:共|合计|总计|共计)\s*(\d{1,4})\s*(?:人|名|位)(?![以余多])"),
    re.compile(r"(?:人员|人数|参会者|嘉宾)(?:共|合计|总计|共计)?[为:：]?\s*(\d{1,4})\s*(?:人|名|位)(?![以余多])"),
    re.compile(r"一行\s*(\d{1,4})\s*人"),
    re.compile(r"\d{1,4}\s*家(?:机构|单位)?\s*[，,、及和共]?\s*(?:共计?|合计)?\s*(\d{1,4})\s*(?:人|名|位)(?![以余多])"),
    re.compile(r"(?<![\d近约超逾])(\d{1,4})\s*(?:人|名|位)(?:参会|参加|参与|出席|来访)"),
    re.compile(r"(?<![近约超逾\d])(\d{1,4})\s*(?:名|位)(?:机构)?(?:投资者|分析师|研究员|嘉宾|代表)(?![以余多])"),
)
_COUNT_PHRASE = re.compile(
    r"(?:本次|此次)?(?:参会|参与|调研|来访)?(?:机构|单位)?(?:共|合计|总计|共计)?[为:：]?\s*(?:近|约|超过|逾)?\d{1,4}\s*(?:余|多)?\s*"
    rf"(?:家|位|名|人)(?:机构|单位|投资机构|投资者|机构投资者|(?:{_CATEGORY_WORDS})(?:机构)?)?(?:人员)?|(?:参会|参与)?人员(?:共|合计|总计)?|等?一行|共"
)
_REFERENCE_PHRASE = re.compile(
    r"[（(]?(?:具体)?(?:参会|参与|与会)?(?:单位|机构|人员|名单)*(?:及人员)?(?:名单)?(?:详见|见)(?:文后|附件|附表|附录|下表|后附)?"
    r"[^）)]*[）)]?|[（(]?详见[^）)]*[）)]?"
)
_DATE_HEAD = re.compile(
    r"^(?:(\d{4})\s*年\s*)?(\d{1,2})\s*月\s*(\d{1,2})\s*日(?:\s*[（(]?(?:星期|周)[一二三四五六日天][)）]?)?"
    r"|^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})"
)
_NUMBERING = re.compile(r"^\s*(?:\d{1,3}\s*[、.．)）]|[（(]\d{1,3}[)）]|[①-⑳]|[一二三四五六七八九十]{1,3}[、.．])\s*")
_ETC_TAIL = re.compile(
    r"(?:等|及其他|以及其他)(?:\d{1,4}家)?(?:机构|单位|公司|投资者|机构投资者|投资机构|券商|基金|其他机构|多家机构|"
    rf"(?:{_CATEGORY_WORDS})(?:机构)?)?"
    r"(?:的|之)?(?:\d{1,4}\s*(?:家|位|名|人))?(?:机构)?(?:投资者|人员|嘉宾|代表)?$|(?:近|约|超过|逾)?\d{1,4}\s*(?:余|多)?\s*(?:家|位|名)(?:机构)?(?:投资者)?(?:人员)?$"
)


def _strip_etc(text: str) -> str:
    """``_ETC_TAIL.sub("", text)``; the tail holds 等, 及其他 or a digit (tested first: it is cheaper)."""
    return _ETC_TAIL.sub("", text) if "等" in text or "及其他" in text or _DIGIT.search(text) else text


_NOT_CONTENT_PUNCT = r"\d，,。、；;：:（）()《》\[\]【】\-—~～.\s"
_NOT_CONTENT_WORDS = ("本次", "参会", "参与", "机构", "单位", "人员", "具体", "名单", "以上", "以下", "如下", "附件", "附录", "附表",
                      "文后", "清单", "与会", "共", "合计", "家", "人", "名", "位", "调研", "活动", "交流", "会议", "其中", "分别",
                      "具体", "如下", "有", "本次", "此次", "参加")
_NOT_CONTENT = re.compile(f"[{_NOT_CONTENT_PUNCT}]|" + "|".join(_NOT_CONTENT_WORDS))
# a character _NOT_CONTENT can never remove (in none of its words, no punctuation)
_CONTENT_CHAR = re.compile(f"[^{_NOT_CONTENT_PUNCT}{''.join(sorted(set(''.join(_NOT_CONTENT_WORDS))))}]")
_SCHEMA_WORD = re.compile(
    r"机构类型|机构类别|序号|编号|单位名称|机构名称|公司名称|投资机构|参会机构|参会单位|调研机构|来访机构|参会代表|参会者姓名|参会人员|调研人员|来访人员|人员姓名|姓名|单位|机构|职位|职务"
    r"|参会人|参会者|人员|名称|联系电话|电话|联系方式|手机|邮箱|备注|部门|职称|参会方式|参会形式|类型|类别|日期"
)
_HEADER_WORD_ONLY = re.compile(
    r"^(?:序号|编号|单位名称|机构名称|公司名称|投资机构|参会机构|参会单位|调研机构|来访机构|参会代表|参会者姓名|参会人员|调研人员|来访人员|人员姓名|姓名|单位|机构|职位|职务"
    r"|参会人|参会者|人员|名称|联系电话|电话|联系方式|手机|邮箱|备注|部门|职称|参会方式|参会形式|机构类型|机构类别|类型|类别|日期)$"
)
_CATEGORY = re.compile(
    r"^(?:[一二三四五六七八九十]{1,3}[、.．]|[（(][一二三四五六七八九十\d]{1,3}[)）]|\d{1,2}[、.．]|(?:[IVX]{1,4}|[Ⅰ-Ⅻ])[、.．])?"
    rf"(?:{_CATEGORY_WORDS})(?:[及和与、/](?:{_CATEGORY_WORDS}))*(?:机构|类)?(?:[（(]\s*(?:\d{{1,4}}家)?\s*[)）])?[:：]?$"
)
_STAFF = re.compile(r"^(?:\d[.、．]?)?(?:上市)?公司(?:接待|参与|参会|出席|参加)人员")
_HONORIFIC = re.compile(r"(?:先生|女士|老师|博士|总)$")
_AND_SPLIT_AFTER = ("证券", "基金", "投资", "资本", "资产", "资管", "保险", "银行", "信托", "公司", "集团", "私募", "理财", "期货")
_AND_SPLIT = re.compile("(?<=" + "|".join(_AND_SPLIT_AFTER) + r")(?:和|及|与|以及)(?=\S{2,})")
_SEQ_NO = re.compile(r"\d{1,4}")  # a row's sequence number (fullmatch)
_NUMBERED_START = re.compile(r"^\s*\d{1,2}\s*[.、．]")
_SURNAME_HONORIFIC = re.compile(r"\w{1,2}(?:先生|女士|小姐)")
_WORD_SEP = re.compile(r"[、，,；;：:\s]")
_WORD_SEP_STOP = re.compile(r"[、，,；;：:。\s]")
_NAME_SEP = re.compile(r"[、，,；;\s]")
_SHORT_PAREN_TAIL = re.compile(r"[(（][^()（）]{1,12}[)）]$")
_APPROXIMATELY_END = re.compile(r"(?:近|约|超过|逾)$")
_LATIN_END = re.compile(r"[A-Za-z0-9.)]$")
_LATIN_WORD_END = re.compile(r"(?:^|[\s、，,；;])[A-Za-z0-9.()&'-]*[A-Za-z][A-Za-z0-9.()&'-]*$")  # an English word ends
_ITEM_CUT = re.compile(f"[{_LIST_SEP}]")
_NAME_WINDOW = 160  # characters at the end of a logical line that can belong to the name a wrap continues
_LATIN_JOIN_END = re.compile(r"[A-Za-z.)]\s*(?:&|\band)$")  # an English name cut after its 「&」/「and」
_SENTENCE_DOT_END = re.compile(r"(?<![A-Z])\.$")
_COUNT_CONTEXT = re.compile(r"家|共|合计|总计|一行|人员|人数|参会|参与|出席|来访|详见|见附|下表|如下|名单"
                            r"|\d\s*[位名](?:机构|投资|分析|嘉宾|代表|人员)")
_ATTENDEE_SUBLABEL = re.compile(  # 「参与机构与人数：」「参会单位及人数:」 (on the nkey form)
    r"(?:参与|参会|与会|调研|来访|参加)(?:的)?(?:机构|单位|人员|投资者|嘉宾)(?:名称|名单)?(?:及|与|和|/)?"
    r"(?:人员|人数|姓名|名单|名称|数量)+[:：]")
_LIST_FOLLOWS = re.compile(r"(?:具体|详细|名单|人员|机构)?如下[:：]?$|(?:名单|人员|机构)[:：]$")


_HEADER_WORDS = ("序号", "单位名称", "机构名称", "公司名称", "参会机构", "参会单位", "调研机构", "来访机构",
                 "参会代表", "参会者姓名", "参会人员", "调研人员", "参会人", "人员姓名", "姓名",
                 "单位", "机构", "职位", "职务", "人员", "参会者", "名称", "编号", "来访人员", "投资机构", "联系电话", "电话",
                 "联系方式", "手机", "邮箱", "备注", "部门", "职称", "参会方式", "参会形式", "机构类型", "机构类别", "类型",
                 "类别", "日期")
_HEADER = re.compile("^(?:" + "|".join(sorted(_HEADER_WORDS, key=len, reverse=True)) + r")+$")
HEADER_CHARS = frozenset("".join(_HEADER_WORDS) + "|/")  # a key with any other character is no header
HEADER_FIRST = frozenset(w[0] for w in _HEADER_WORDS)  # a header key starts with one of these
_HEADER_LEAD = HEADER_FIRST | {"|", "/"}


def is_header_key(key: str) -> bool:
    """True for a table header row such as 「序号单位姓名」 or 「机构名称参会者姓名」."""
    if key[:1] not in _HEADER_LEAD:
        return False
    k = key.replace("|", "").replace("/", "")
    return bool(_HEADER.match(k)) and any(w in k for w in ("姓名", "单位", "机构", "名称", "人员"))


@dataclass(frozen=True)
class AttendeeParse:
    """Rows found in an attendee section, and what happened to every other line."""

    rows: tuple[Attendee, ...]
    unparsed: tuple[Unparsed, ...]
    skipped: tuple[Unparsed, ...]
    declared_institutions: int | None = None
    declared_persons: int | None = None


@dataclass
class _Logical:
    """A logical line: physical lines rejoined where a name was wrapped."""

    text: str
    nos: list[int]
    date: str | None
    start: bool  # starts a new group (the previous line did not end inside a list)
    raws: list[str] = field(default_factory=list)  # the physical lines' text, for the ledger


@dataclass
class _State:
    lex: Lexicon
    rows: list[Attendee] = field(default_factory=list)
    unparsed: list[Unparsed] = field(default_factory=list)
    skipped: list[Unparsed] = field(default_factory=list)
    decl_i: int | None = None
    decl_p: int | None = None
    schema: list[str] | None = None
    person_first: bool = False
    glued_layout: bool = False
    cur: str | None = None  # current institution
    cur_has_person: bool = False
    seq: list[int | None] = field(default_factory=list)
    pending: int | None = None
    touched: int = 0  # rows added or completed
    cur_lines: tuple[int, ...] = ()  # the lines the rows being emitted come from
    colon_group: bool = False  # inside 「机构：人, 人」 until the next ；
    last_inst: str | None = None  # institution of the last table row (merged cells, wrapped rows)
    last_row_no: int = 0
    last_line_text: str = ""
    seq_rows: int = 0  # numbered table rows read so far
    pending_prefix: tuple[int, str] | None = None  # a centred cell's first piece, printed above its row
    open_person: bool = False  # the last wrapped persons cell ended inside a name
    generic_row: tuple[int, int] | None = None  # (row, logical line) of the generic participant just read
    # the lexicon's memos of pure functions of a token (see _memo), fetched once per section
    classify_memo: dict[str, str] = field(init=False, repr=False)
    glued_memo: dict[tuple[str, bool], tuple[str, str] | None] = field(init=False, repr=False)
    token_memo: dict[str, _TokenInfo] = field(init=False, repr=False)
    tokens_memo: dict[str, tuple[tuple[str, str], ...]] = field(default_factory=dict, repr=False)  # per section
    pair_memo: dict[str, tuple[str, str] | None] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.classify_memo = _memo(self.lex, "_classify_memo")
        self.glued_memo = _memo(self.lex, "_glued_memo")
        self.token_memo = _memo(self.lex, "_token_memo")
        self.pair_memo = _memo(self.lex, "_pair_memo")

    def tokens(self, text: str) -> list[tuple[str, str]]:
        """``_tokens(text)``, computed once per text (the layout check and the parse both need them; a
        memo across records would hold every logical line of a worker's files: ~40 MiB on 15,000)."""
        got = self.tokens_memo.get(text)
        if got is None:
            got = self.tokens_memo[text] = tuple(_tokens(text, self.lex))
        return list(got)


_FULLWIDTH_LATIN = re.compile("[\uff21-\uff3a\uff41-\uff5a]")  # Ａ-Ｚ ａ-ｚ
_FULLWIDTH_FOLD = {c: chr(c - 0xFEE0) for c in (*range(0xFF10, 0xFF1A), *range(0xFF21, 0xFF3B), *range(0xFF41, 0xFF5B),
                                                 0xFF0E, 0xFF06, 0xFF07)}  # ０-９ Ａ-Ｚ ａ-ｚ ． ＆ ＇
_FULLWIDTH_NAME_SPACE = re.compile("(?<=[\uff10-\uff19\uff21-\uff3a\uff41-\uff5a\uff0e])\u3000"
                                   "(?=[\uff10-\uff19\uff21-\uff3a\uff41-\uff5a])")


def _fold_fullwidth(text: str) -> str:
    """Full-width letters, digits and 「．＆＇」 as ASCII, and an ideographic space between two of them as a
    space (「ＵＢＳ　ＡＧ」 -> 「UBS AG」), so English names read like half-width ones. One character for
    one: positions in the folded text are positions in the printed text."""
    return _FULLWIDTH_NAME_SPACE.sub(" ", text).translate(_FULLWIDTH_FOLD)


def _as_printed(text: str | None, folded: str, printed: str) -> str | None:
    """``text`` (read from ``folded``) in its printed characters, when it occurs in ``folded`` as it is."""
    if not text:
        return text
    at = folded.find(text)
    return printed[at:at + len(text)] if at >= 0 else text


def parse_attendee_lines(lines: Sequence[Line], lex: Lexicon) -> AttendeeParse:
    """Attendee rows of a section; see the module docstring. A section with full-width English names is
    read with them folded to ASCII and its rows and ledger are given back in the printed characters."""
    if not any(_FULLWIDTH_LATIN.search(ln.text) for ln in lines):
        return _parse_attendee_lines(lines, lex)
    folded_lines = [Line(ln.no, _fold_fullwidth(ln.text)) for ln in lines]
    got = _parse_attendee_lines(folded_lines, lex)
    folded = "\n".join(ln.text for ln in folded_lines)
    printed = "\n".join(ln.text for ln in lines)
    rows = tuple(replace(a, institution=_as_printed(a.institution, folded, printed) or a.institution,
                         person=_as_printed(a.person, folded, printed)) for a in got.rows)
    by_no = {ln.no: ln.text for ln in lines}
    folded_by_no = {ln.no: ln.text for ln in folded_lines}

    def ledger(items: tuple[Unparsed, ...]) -> tuple[Unparsed, ...]:
        return tuple(replace(u, text=by_no[u.line_no]) if folded_by_no.get(u.line_no) == u.text else u for u in items)

    return replace(got, rows=rows, unparsed=ledger(got.unparsed), skipped=ledger(got.skipped))


def _parse_attendee_lines(lines: Sequence[Line], lex: Lexicon) -> AttendeeParse:
    st = _State(lex)
    entries = _prepass(lines, st)
    blocks = _split_blocks(entries)
    if _is_block_table(blocks, st.schema):
        _parse_blocks(blocks, st)
    else:
        _parse_lines([e for e in entries if e is not None and e[1]], st)
    rows = st.rows
    if st.seq and len(st.seq) == len(rows) and all(s is not None for s in st.seq):
        order = sorted(range(len(rows)), key=lambda i: (st.seq[i], i))
        rows = [rows[i] for i in order]
    return AttendeeParse(tuple(rows), tuple(st.unparsed), tuple(st.skipped), st.decl_i, st.decl_p)


# --------------------------------------------------------------------------- pre-pass


_ATTACHMENT_TITLE = re.compile(r"^(?:附件|附表|附录|附)[一二三四五六七八九十\d]*[:：《]")
_LIST_TITLE = re.compile(r"^(?:参会|与会|调研|来访|参与|参加)(?:机构|单位|人员|投资者)*(?:及人员)?(?:名单|清单|名录)")
_PARENTHESISED = re.compile(r"[(（][^)）]*[)）]")
_BRACKETED_HEADING = re.compile(r"[【\[](.{1,12})[】\]][:：]?")
_LEAD_IN = re.compile(r"(?:参加了?|接待了?|举办|包括|出席了?|参与了?|以下|如下)[^、，,]{0,30}[:：]$")


def _prepass(lines: Sequence[Line], st: _State) -> list[tuple[Line, str, str | None] | None]:
    """Drop structure lines (recording why); ``None`` marks a blank line. Returns (line, text, date)."""
    out: list[tuple[Line, str, str | None] | None] = []
    date: str | None = None
    in_note = False
    staff = False
    skip_header_until = -1
    last_kept = 0
    for pos, ln in enumerate(lines):
        raw = ln.text
        text = raw.strip().strip("|").strip()
        key = nkey(text)
        if not key:
            # a tab alone is an empty table cell (DOCX/PDF tables as text), not a row break
            out.append((ln, "", date) if raw == "\t" and out and out[-1] is not None else None)
            continue
        if pos <= skip_header_until:
            st.skipped.append(Unparsed(ln.no, raw, "table header"))
            continue
        run = _header_run(lines, pos)
        if run > pos:
            st.schema = _schema("".join(nkey(x.text) for x in lines[pos:run + 1]))
            st.skipped.append(Unparsed(ln.no, raw, "table header"))
            skip_header_until = run
            continue
        if staff:
            st.skipped.append(Unparsed(ln.no, raw, "company staff"))
            continue
        if _STAFF.match(key):
            staff = True
            st.skipped.append(Unparsed(ln.no, raw, "company staff"))
            continue
        # (a bracket closed inside the line is a name's: 「（中国）有限公司王婷桂、…」 continues 「渣打证券」)
        if in_note or (key[0] in "(（" and len(key) >= 20 and ("，" in text or "。" in text)
                       and len(_CJK.findall(key)) >= 10 and not _closes(key)
                       and key.count("(") + key.count("（") > key.count(")") + key.count("）")):
            in_note = not _closes(key)
            st.skipped.append(Unparsed(ln.no, raw, "note"))
            continue
        if is_header_key(key):
            st.schema = _schema(text)
            st.skipped.append(Unparsed(ln.no, raw, "table header"))
            continue
        if _ATTACHMENT_TITLE.match(key) or key.startswith("附:"):
            st.skipped.append(Unparsed(ln.no, raw, "attachment title"))
            continue
        if _LIST_TITLE.match(key) and len(_PARENTHESISED.sub("", key)) <= 12:
            st.skipped.append(Unparsed(ln.no, raw, "list title"))
            continue
        if _CATEGORY.match(key) or ((bare := key.strip("【】[]")) != key and _CATEGORY.match(bare)):
            st.skipped.append(Unparsed(ln.no, raw, "category heading"))
            continue
        if _BRACKETED_HEADING.fullmatch(key) and any(nkey(key.strip("【】[]:：")).startswith(w)
                                                                  for w in st.lex.sessions):
            st.skipped.append(Unparsed(ln.no, raw, "session heading"))
            continue
        if _numbered_session_heading(key, st.lex):
            st.skipped.append(Unparsed(ln.no, raw, "session heading"))
            continue
        if _ORDER_NOTE.match(key) or key.startswith("注:") or key.startswith("注："):
            st.skipped.append(Unparsed(ln.no, raw, "list note"))
            continue
        normal = unicodedata.normalize("NFKC", text)
        head = _DATE_HEAD.match(normal)
        if head:
            rest = normal[head.end():]
            rest = _strip_session(rest.lstrip(" :：，,"), st.lex)
            date = _head_date(head, date)
            if not nkey(rest):
                st.skipped.append(Unparsed(ln.no, raw, "date heading"))
                continue
            text = rest
            key = nkey(text)
        if len(key) > 8 and "、" not in key and key.endswith((":", "：")) and _LEAD_IN.search(key):
            _take_counts(text, st)  # 「本次调研共有106家机构参与，具体如下：」 states the totals
            st.skipped.append(Unparsed(ln.no, raw, "lead-in sentence"))
            continue
        fresh = head is not None
        stripped = _strip_session(text, st.lex)
        fresh = fresh or stripped != text
        text = _strip_sublabel(stripped, st.lex)
        text = _take_counts(text, st)
        key = nkey(text)
        if not key or not _has_content(key):
            st.skipped.append(Unparsed(ln.no, raw, "declared totals" if _COUNT_PHRASE.search(nkey(raw)) else "list words"))
            continue
        if key in st.lex.platform_set:
            st.skipped.append(Unparsed(ln.no, raw, "platform"))
            continue
        if fresh or (st.skipped and st.skipped[-1].line_no > last_kept):
            text = "\x00" + text  # marks a line that must start a new group
        last_kept = ln.no
        out.append((ln, text, date))
    return out


_SESSION_HEADING_TAIL = re.compile(r"(?:的)?(?:机构|单位|人员|投资者|嘉宾)?(?:名单)?[:：]?$")


def _numbered_session_heading(key: str, lex: Lexicon) -> bool:
    """A numbered session heading alone on its line: 「一、线下参会」, 「2.线上参会机构：」 (no attendee)."""
    m = _NUMBERING.match(key)
    if not m:
        return False
    rest = key[m.end():]
    for s in lex.sessions:
        if rest.startswith(s):
            tail = rest[len(s):]
            if not tail or _SESSION_HEADING_TAIL.fullmatch(tail):
                return True
    return False


def _header_run(lines: Sequence[Line], pos: int) -> int:
    """Index of the last line of a header whose words stand one per line (「序号」「机构名称」「职务」「姓名」)."""
    first = nkey(lines[pos].text)
    lead = first.lstrip("|/")[:1]
    if (lead and lead not in HEADER_FIRST) or not HEADER_CHARS.issuperset(first):
        return pos  # a character no header word has (or starts with): neither loop below can match
    end = pos
    while end < len(lines) and _HEADER_WORD_ONLY.match(nkey(lines[end].text) or "-"):
        end += 1
    if end - pos >= 2 and is_header_key("".join(nkey(x.text) for x in lines[pos:end])):
        return end - 1
    # a header wrapped mid-word by the PDF: short pieces that only together make header words
    best = pos
    for end in range(pos + 1, min(pos + 6, len(lines))):
        pieces = [nkey(x.text) for x in lines[pos:end + 1]]
        if any(not k or len(k) > 16 for k in pieces):
            break
        if is_header_key("".join(pieces)) and not any(is_header_key(k) and k == "".join(pieces) for k in pieces):
            best = end
    return best


def _strip_sublabel(text: str, lex: Lexicon) -> str:
    """「1.参与单位：中信证券 张三」 -> 「中信证券 张三」 (a label repeated inside the cell; also the
    label-like 「参与机构与人数：」 that no table lists)."""
    t = _NUMBERING.sub("", text) if _NUMBERED_START.match(text) else text
    k = nkey(t)
    for lab, fld in lex.labels_by_first.get(k[:1].lower(), ()):
        if fld == "attendees" and k.startswith(lab) and k[len(lab):len(lab) + 1] in (":", "："):
            rest = _after_key(t, len(lab) + 1)
            return rest.strip()
    m = _ATTENDEE_SUBLABEL.match(k)
    if m:
        return _after_key(t, m.end()).strip()
    return text


def _closes(key: str) -> bool:
    return key.endswith((")", "）", "。)", "。）"))


def _head_date(m: re.Match[str], prev: str | None) -> str | None:
    try:
        if m.group(4):
            y, mo, d = int(m.group(4)), int(m.group(5)), int(m.group(6))
        else:
            y = int(m.group(1)) if m.group(1) else (int(prev[:4]) if prev else 0)
            mo, d = int(m.group(2)), int(m.group(3))
        if not y:
            return None
        import datetime as dt

        return dt.date(y, mo, d).isoformat()
    except ValueError:
        return None


def _strip_session(text: str, lex: Lexicon) -> str:
    """Drop leading session/form words: 「上午 现场会议 机构、机构」 -> 「机构、机构」."""
    t = text.strip()
    changed = True
    while changed:
        changed = False
        k = nkey(t)
        if not k.startswith(lex.sessions):
            break
        for s in lex.sessions:
            if k.startswith(s):
                rest = _after_key(t, len(s))
                if rest[:1] in (" ", "\t", ":", "：", "|") or not rest:
                    t = rest.strip(" \t:：|，,")
                    changed = True
                    break
    return t


def _after_key(text: str, n: int) -> str:
    count = 0
    for pos, ch in enumerate(text):
        if count >= n:
            return text[pos:]
        if not ch.isspace():
            count += len(unicodedata.normalize("NFKC", ch))
    return ""


_HEAD_COUNT = re.compile(r"\(\s*\d{1,3}\s*(?:人|位|名)\s*\)")
_DIGIT = re.compile(r"\d")


def _take_counts(text: str, st: _State) -> str:
    """Record declared totals (「71家机构，共84人」) and remove them and attachment references."""
    normal = unicodedata.normalize("NFKC", text)
    k = _HEAD_COUNT.sub("", normal) if "(" in normal else normal  # 「中信证券（3人）」: a head count, not a total
    if not _DIGIT.search(k) and "详见" not in k and "见附" not in k and "下表" not in k:
        return k if k != normal else text
    compact = "".join(k.split())
    if not _COUNT_CONTEXT.search(k):
        return text  # 「12	人保资产	严建国」: a serial number before a name is no head count
    if st.decl_i is None:
        m = _COUNT_I2.search(compact) or _COUNT_I.search(compact)
        if m and not _APPROXIMATELY_END.search(compact[: m.start()]):
            st.decl_i = int(m.group(1))
    if st.decl_p is None:
        for pat in _COUNT_P:
            m = pat.search(compact)
            if m and not _APPROXIMATELY_END.search(compact[: m.start()]):
                st.decl_p = int(m.group(1))
                break
    if _LIST_FOLLOWS.search(compact) and (
            _COUNT_PHRASE.search(compact) or "如下" in compact):
        return ""  # a lead-in sentence announcing the list
    cleaned = _REFERENCE_PHRASE.sub(" ", k)
    cleaned = _COUNT_PHRASE.sub(" ", cleaned)
    if _has_content(nkey(cleaned)):
        return text if nkey(cleaned) == nkey(k) else cleaned.strip(" ，,。、")
    return ""


def _has_content(key: str) -> bool:
    if (first := _CONTENT_CHAR.search(key)) and _CONTENT_CHAR.search(key, first.end()):
        return True  # two characters survive whatever _NOT_CONTENT removes
    stripped = _NOT_CONTENT.sub("", key)
    # one CJK character can be the rest of a wrapped name (「邱\n铭」, 「有限公\n司。」): keep it for the rejoin
    return len(stripped) >= 2 or (len(stripped) == 1 and bool(_CJK.match(stripped)) and stripped not in "等及和与")


def _schema(header: str) -> list[str]:
    k = nkey(header).replace("|", "")
    cols: list[str] = []
    for m in _SCHEMA_WORD.finditer(k):
        w = m.group(0)
        if w == "日期":
            continue  # a date column: the pre-pass takes a row's leading date as the row's date
        if w in ("序号", "编号"):
            cols.append("seq")
        elif w in ("职位", "职务", "职称"):
            cols.append("title")
        elif w in ("联系电话", "电话", "联系方式", "手机", "邮箱", "备注", "部门", "参会方式", "参会形式", "机构类型", "机构类别",
                   "类型", "类别"):
            cols.append("other")
        elif w in ("单位名称", "机构名称", "公司名称", "投资机构", "单位", "机构", "名称", "参会机构", "参会单位", "调研机构",
                   "来访机构"):
            cols.append("inst")
        else:
            cols.append("person")
    return cols


# --------------------------------------------------------------------------- flattened tables (one cell per line)


def _split_blocks(entries: list[tuple[Line, str, str | None] | None]) -> list[list[tuple[Line, str, str | None]]]:
    blocks: list[list[tuple[Line, str, str | None]]] = []
    cur: list[tuple[Line, str, str | None]] = []
    for e in entries:
        if e is None:
            if cur:
                blocks.append(cur)
                cur = []
        elif e[1] or cur:
            cur.append(e)
    if cur:
        blocks.append(cur)
    return blocks


def _is_block_table(blocks: list[list[tuple[Line, str, str | None]]], schema: list[str] | None = None) -> bool:
    """Rows separated by blank lines, each row one cell per line (DOCX/PDF tables as text)."""
    if len(blocks) < 2:
        return False
    sizes = [len(b) for b in blocks]
    mode = max(set(sizes), key=lambda s: (sizes.count(s), s))
    if mode < 2 or mode > 4:
        return False
    if sizes.count(mode) < 0.8 * len(blocks):
        return False
    tabbed = sum(1 for b in blocks for ln, _, _ in b if ln.text.startswith("\t"))
    widths = {len(schema), len([c for c in schema if c != "seq"])} if schema else set()
    return tabbed >= 0.5 * sum(sizes) or mode == 2 or mode in widths


def _parse_blocks(blocks: list[list[tuple[Line, str, str | None]]], st: _State) -> None:
    schema = st.schema
    for block in blocks:
        cells = [t.lstrip("\x00").strip() for _, t, _ in block]
        nos = [ln.no for ln, _, _ in block]
        date = block[0][2]
        if len(cells) == 1 or (schema is None and len(cells) not in (2, 3, 4)):
            _parse_lines([e for e in block if e[1]], st)
            continue
        unnumbered = [c for c in schema if c != "seq"] if schema else []
        # serial numbers on lines of their own are dropped as page-number-like: map the rest
        cols = schema if schema and len(schema) == len(cells) else unnumbered if len(unnumbered) == len(
            cells) else _guess_columns(cells, st)
        _emit_cells(cells, cols, nos, date, st)



def _guess_columns(cells: list[str], st: _State) -> list[str]:
    cols = ["inst", "person"] if len(cells) == 2 else ["seq", "inst", "person"] if len(cells) == 3 else [
        "seq", "inst", "title", "person"]
    if len(cells) == 2 and _classify(cells[0], st) == "P" and _classify(cells[1], st) == "I":
        cols = ["person", "inst"]
    if len(cells) == 3 and not _SEQ_NO.fullmatch(nkey(cells[0])):
        cols = ["inst", "title", "person"]
    return cols


def _emit_cells(cells: list[str], cols: list[str], nos: list[int], date: str | None, st: _State,
                seq: int | None = None) -> None:
    st.cur_lines = tuple(sorted(set(nos)))
    inst_parts = [c for c, col in zip(cells, cols, strict=False) if col == "inst"]
    person_cells = [c for c, col in zip(cells, cols, strict=False) if col == "person"]
    seq_cells = [c for c, col in zip(cells, cols, strict=False) if col == "seq"]
    if seq is None and seq_cells and _SEQ_NO.fullmatch(nkey(seq_cells[0])):
        seq = int(nkey(seq_cells[0]))
    inst = _clean_name(" ".join(inst_parts))
    if not inst:
        for c, no in zip(cells, nos, strict=False):
            st.unparsed.append(Unparsed(no, c, "table row without an institution"))
        return
    gen = _generic(inst, st.lex)
    if gen:
        _add(st, gen, None, nos[0], date, generic=True, seq=seq)
        return
    persons: list[str] = []
    for pc in person_cells:
        persons.extend(_split_persons(pc))
    if not persons:
        _add(st, inst, None, nos[0], date, seq=seq)
    for p in persons:
        _add(st, inst, p, nos[0], date, seq=seq)
    st.last_inst, st.last_row_no = inst, nos[0]


def _split_persons(cell: str) -> list[str]:
    c = _strip_list_note(cell).strip()
    if not c or nkey(c) in ("/", "-", "—", "无", "暂无"):
        return []
    if _LATIN.search(c) and not _CJK.search(c):
        parts = re.split(r"\s*[、，,;；/]\s*", c)
    else:
        parts = re.split(r"[、，,;；/\s]+", c)
        parts = _merge_single_chars(parts)
    return [_HONORIFIC.sub("", p.strip()) or p.strip() for p in parts if p.strip()]


def _merge_single_chars(parts: list[str]) -> list[str]:
    """Letter-spaced names: 「郭 红」 -> 「郭红」."""
    out: list[str] = []
    buf = ""
    for p in parts:
        if len(p) == 1 and _CJK.match(p):
            buf += p
            continue
        if buf:
            out.append(buf)
            buf = ""
        out.append(p)
    if buf:
        out.append(buf)
    return out


# --------------------------------------------------------------------------- free-text lines


def _parse_lines(entries: list[tuple[Line, str, str | None]], st: _State) -> None:
    if not entries:
        return
    if st.schema and "inst" in st.schema:
        for ln, text, date in entries:
            _parse_schema_row(ln, text.lstrip("\x00"), date, st)
        return
    st.person_first = _detect_person_first(entries, st)
    logical = _rejoin(entries, st)
    st.glued_layout = any(_split_glued(tok, st, allow_surname=False) for lg in logical for tok, _ in st.tokens(lg.text))
    for lg in logical:
        _parse_logical(lg, st)


def _parse_schema_row(ln: Line, text: str, date: str | None, st: _State) -> None:
    schema = st.schema or []
    if "\t" in text and len(text.split("\t")) == len(schema):
        # a table saved as text with a TAB between cells: empty cells stay empty; an empty
        # institution cell is a merged cell, the institution of the row above
        cells = [c.strip() for c in text.split("\t")]
        if "inst" in schema and not cells[schema.index("inst")] and st.last_inst:
            cells[schema.index("inst")] = st.last_inst
        seq = int(cells[0]) if schema[0] == "seq" and cells[0].isdigit() else None
        _emit_cells(cells, schema, [ln.no] * len(cells), date, st, seq=seq)
        st.last_line_text = text
        return
    # (English words are joined into one cell only within a column: a wide gap ends the cell,
    # 「Schroders Investment    Kevin Lee    Analyst」)
    cells = [c.strip() for c in text.split("|") if c.strip()] if "|" in text else [
        c for seg in _COLUMN_GAP.split(text.strip()) for c in _merge_latin(seg.split())]
    # laid-out tables (pdftotext -layout) indent the wrapped ends of their cells
    numbered = bool(schema) and schema[0] == "seq" and ln.text[:1].isspace()
    if numbered and cells and not _SEQ_NO.fullmatch(cells[0]) and _wrapped_cells(cells, ln, st):
        return
    if _continues_row(cells, ln.no, st):
        return
    if st.pending_prefix and cells and _SEQ_NO.fullmatch(cells[0]) and len(cells) >= 2:
        cells = [cells[0], st.pending_prefix[1] + cells[1], *cells[2:]]  # a centred cell printed above its row
        st.cur_lines = (st.pending_prefix[0], ln.no)
        st.pending_prefix = None
    # two-column tables flattened row by row: 「1 长安基金 4 四叶草资管」
    chunks = _numbered_chunks(cells) if schema and schema[0] == "seq" else [cells]
    width = len(schema) // max(1, schema.count("seq")) if schema.count("seq") > 1 else len(schema)
    sub = schema[:width]
    for chunk in chunks:
        if not chunk:
            continue
        chunk = _expand_latin(chunk, sub, st)
        cols = _fit_columns(chunk, sub, st)
        merged = len(chunk) < len(sub) and st.last_inst and "person" in sub and len(chunk) in (1, 2) and (
            _person_like(nkey(chunk[-1]), st.lex) or _latin_person(chunk[-1])) and _classify(chunk[-1], st) != "I"
        if merged:
            # a merged institution cell: the row names only a person, its institution is the row above's
            cols = (["seq"] if len(chunk) == 2 else []) + ["person"]
            chunk = [*chunk[:-1], chunk[-1]]
            seq = int(chunk[0]) if len(chunk) == 2 and chunk[0].isdigit() else None
            _emit_cells([*chunk, st.last_inst], [*cols, "inst"], [ln.no] * (len(chunk) + 1), date, st, seq=seq)
            continue
        if cols is None:
            _parse_logical(_Logical(" ".join(chunk), [ln.no], date, True), st)
            continue
        seq = int(chunk[0]) if cols and cols[0] == "seq" and chunk[0].isdigit() else None
        _emit_cells(chunk, cols, [ln.no] * len(chunk), date, st, seq=seq)
        if seq is not None:
            st.seq_rows += 1
            st.open_person = False
    st.last_line_text = text


_LEGAL_END = re.compile(r"(?:公司|合伙\)|合伙）|Limited|Ltd\.?|LLC|Inc\.?|L\.P\.)$")


def _wrapped_cells(cells: list[str], ln: Line, st: _State) -> bool:
    """In a numbered table, a line without a number holds the wrapped ends of the cells above.

    「1 中泰证券股份有限 蒋春雷」/「公司」; 「徐之恒、贾」/「有限公司 晓峰、孔泽」/「宇」. When the row above
    is complete, the piece is the first part of the next row's cell, printed above it (cells centred
    vertically).
    """
    if st.last_inst is None or not st.rows:
        if len(cells) == 1 and not _person_like(nkey(cells[0]), st.lex):
            st.pending_prefix = (ln.no, cells[0])
            st.skipped.append(Unparsed(ln.no, ln.text, "wrapped cell of the next row"))
            return True
        return False
    inst_complete = bool(_LEGAL_END.search(st.last_inst)) or nkey(st.last_inst) in st.lex.known_names
    first = cells[0]
    fk = nkey(re.split(r"[、，,]", first.strip("、，,"))[0])  # 「燕、丁晓彤」: its first piece decides
    first_is_person = _person_like(fk, st.lex) or (len(fk) <= 2 and bool(_CJK.match(fk)) and fk not in st.lex.inst_suffix_set
                                                  and not st.lex.not_person_inside(fk))
    row_rows = [i for i, r in enumerate(st.rows) if r.line_no == st.last_row_no and r.institution == st.last_inst]
    if not row_rows:
        return False
    rest = cells
    if not inst_complete and not (first_is_person and len(cells) == 1 and _last_person_open(st, row_rows)):
        tail = first
        for i in row_rows:
            st.rows[i] = replace(st.rows[i], institution=st.rows[i].institution + tail,
                                 lines=tuple(sorted({*st.rows[i].lines, ln.no})))
        st.last_inst += tail
        rest = cells[1:]
    elif inst_complete and len(cells) == 1 and not first_is_person:
        st.pending_prefix = (ln.no, first)
        st.skipped.append(Unparsed(ln.no, ln.text, "wrapped cell of the next row"))
        return True
    for cell in rest:  # the persons cell wrapped too: 「贾」 + 「晓峰、孔泽」
        parts = [p for p in re.split(r"[、，,]", cell) if p.strip()]
        if not parts:
            continue
        last = st.rows[row_rows[-1]]
        if last.person is not None and (_last_person_open(st, row_rows) or len(parts[0].strip()) == 1):
            st.rows[row_rows[-1]] = replace(last, person=last.person + parts[0].strip(),
                                            lines=tuple(sorted({*last.lines, ln.no})))
            parts = parts[1:]
        for p in parts:
            st.cur_lines = (st.last_row_no, ln.no)
            _add(st, st.last_inst, p.strip(), st.last_row_no, last.date)
            row_rows = [i for i, r in enumerate(st.rows) if r.line_no == st.last_row_no and r.institution == st.last_inst]
        st.open_person = cell.rstrip()[-1:] not in "、，,"
    st.touched += 1
    return True


def _last_person_open(st: _State, row_rows: list[int]) -> bool:
    """Was the row's last person cut by the wrap (「…、贾」 with no 、 after it, a single character)?"""
    last = st.rows[row_rows[-1]].person or ""
    return bool(last) and (len(last) == 1 or st.open_person) and not last.endswith("、")


_COLUMN_GAP = re.compile(r"[ \t\u3000]{3,}")


def _merge_latin(tokens: list[str]) -> list[str]:
    """Join the words of English names back into one cell: 「Alice」「Wang」 -> 「Alice Wang」."""
    out: list[str] = []
    for tok in tokens:
        if out and re.fullmatch(r"[+\d*\-()]+", tok) and re.fullmatch(r"[+\d*\-() ]+", out[-1]) and len(out) > 1:
            out[-1] += " " + tok  # 「+852 ****8830」
            continue
        latin = bool(_LATIN.search(tok)) and not _CJK.search(tok)
        if out and latin and _LATIN.search(out[-1]) and not _CJK.search(out[-1]):
            out[-1] += " " + tok
        else:
            out.append(tok)
    return out


def _expand_latin(chunk: list[str], schema: list[str], st: _State) -> list[str]:
    """An English cell holding institution, title and person (「Point72 Hong Kong Limited Analyst Jason Chen」)."""
    out: list[str] = []
    for c in chunk:
        if len(out) + 1 < len(schema) and _LATIN.search(c) and not _CJK.search(c):
            split = _split_latin(c, st.lex)
            if split and "inst" in schema:
                title_gap = ["-"] if "title" in schema and len(chunk) + 1 < len(schema) else []
                out += [split[0], *title_gap, split[1]]
                continue
            words = c.split()
            if "person" in schema and "inst" in schema and schema.index("person") < schema.index("inst"):
                for n in (2, 3):  # person first: 「Eric Wang Goldman Sachs Analyst」
                    if len(words) > n and _latin_surname_person(" ".join(words[:n]), st.lex):
                        rest = words[n:]
                        title = []
                        while rest and rest[-1].lower() in st.lex.titles:
                            title.insert(0, rest.pop())
                        if rest:
                            out += [" ".join(words[:n]), " ".join(rest)]
                            if "title" in schema:
                                out.append(" ".join(title) or "-")
                            break
                else:
                    out.append(c)
                continue
            if len(words) >= 3 and words[0].lower() in st.lex.titles and _latin_person(" ".join(words[1:])):
                out += [words[0], " ".join(words[1:])]
                continue
        out.append(c)
    return out


def _continues_row(cells: list[str], no: int, st: _State) -> bool:
    """A table row wrapped onto the next line: 「…有限」/「公司」, or persons after 「李楚涵、」."""
    if not cells or _SEQ_NO.fullmatch(cells[0]) or st.last_inst is None:
        return False
    prev = getattr(st, "last_line_text", "") or ""
    c0 = nkey(cells[0]) if len(cells) == 1 else ""
    tail_like = len(cells) == 1 and (_bare_tail(cells[0], st) or (
        len(c0) <= 8 and st.lex.ends_with_suffix(c0, proper=False) and c0 not in st.lex.known_names
        and (not st.lex.ends_with_suffix(nkey(st.last_inst), proper=False) or c0.endswith(("公司", "合伙)")))))
    if tail_like and st.rows:
        tail = cells[0]
        old = st.last_inst
        st.rows = [replace(r, institution=r.institution + tail, lines=(*r.lines, no))
                   if r.institution == old and r.line_no == st.last_row_no else r for r in st.rows]
        st.last_inst = old + tail
        st.touched += 1
        return True
    if prev.rstrip().endswith(("、", "，", ",")) and all(_person_like(nkey(c.strip("、，,")), st.lex) or _latin_person(c)
                                                         for c in cells):
        st.cur_lines = (st.last_row_no, no)
        for c in cells:
            for p in _split_persons(c):
                _add(st, st.last_inst, p, st.last_row_no, st.rows[-1].date if st.rows else None)
        return True
    return False


def _numbered_chunks(cells: list[str]) -> list[list[str]]:
    if not cells or not _SEQ_NO.fullmatch(cells[0]):
        return [cells]
    chunks: list[list[str]] = []
    for c in cells:
        if _SEQ_NO.fullmatch(c) and (not chunks or len(chunks[-1]) > 1):
            chunks.append([c])
        else:
            if not chunks:
                chunks.append([])
            chunks[-1].append(c)
    return chunks


def _fit_columns(cells: list[str], schema: list[str], st: _State) -> list[str] | None:
    """Map the cells of a row to the header's columns (names with spaces take the surplus)."""
    if len(cells) == len(schema):
        return schema
    has_seq = bool(schema) and schema[0] == "seq" and _SEQ_NO.fullmatch(cells[0] or "")
    if len(cells) < len(schema):
        if has_seq and len(cells) >= 2:
            rest = schema[1:]
            if "inst" in rest and len(cells) == 2:
                return ["seq", "inst"]
        return None
    # more cells than columns: the institution absorbs extra tokens
    if "inst" not in schema:
        return None
    idx = schema.index("inst")
    extra = len(cells) - len(schema)
    return schema[:idx] + ["inst"] * (extra + 1) + schema[idx + 1:]


def _detect_person_first(entries: list[tuple[Line, str, str | None]], st: _State) -> bool:
    pf = normal = 0
    for _, text, _ in entries:
        toks = text.lstrip("\x00").split()
        if len(toks) != 2:
            continue
        a, b = _classify(toks[0], st), _classify(toks[1], st)
        if a == "P" and b == "I":
            pf += 1
        elif a in ("I", "G") and b == "P":
            normal += 1
    return pf >= 2 and pf > normal


def _rejoin(entries: list[tuple[Line, str, str | None]], st: _State) -> list[_Logical]:
    """Rejoin names and lists wrapped over lines (「方正证\\n券」, 「长江证券韦思\\n宇」)."""
    out: list[_Logical] = []
    for ln, text, date in entries:
        fresh = text.startswith("\x00")
        t = text.lstrip("\x00").strip()
        numbered = _NUMBERING.match(t)
        if numbered:
            t = t[numbered.end():]
            fresh = True
        if out and out[-1].date == date and not fresh:
            prev = out[-1]
            pt = prev.text.rstrip()
            ends_sep = pt[-1:] in (_LIST_SEP + ":：") if pt else False
            if ends_sep:
                prev.text = pt + (" " if pt[-1:] == ":" and _LATIN.match(t[:1] or "") else "") + t
                prev.nos.append(ln.no)
                prev.raws.append(ln.text)
                continue
            # a TAB-led line is a new paragraph of a table cell saved as text, no soft wrap: it continues
            # the line above only where a name's ending is cut in two (「方正证」/「券」)
            paragraph = ln.text.startswith("\t")
            if (_split_suffix(pt, t, st) if paragraph else _wrapped(prev.text, t, st)):
                dehyphen = bool(_HYPHENATED_END.search(pt)) and t[:1].islower()
                if dehyphen:
                    pt = pt[:-1]  # the hyphen only marks the break: 「Man-」/「agement」 is 「Management」
                # English lines break at spaces: 「Point」/「72」 is 「Point 72」
                joiner = "" if dehyphen else " " if (prev.text.endswith(" ") and re.match(r"[A-Za-z(]", t[:1] or "")) or (
                    re.match(r"[A-Za-z0-9(&]", t[:1] or "") and (_LATIN_WORD_END.search(pt) or _latin_join_end(pt))) else ""
                prev.text = pt + joiner + t
                prev.nos.append(ln.no)
                prev.raws.append(ln.text)
                continue
        out.append(_Logical(t, [ln.no], date, True, [ln.text]))
    return out


_HYPHENATED_END = re.compile(r"[A-Za-z]{2}-$")  # an English word hyphenated at a line break
_BRACKET_GOES_ON = re.compile(r"[（(][^()（）]{1,12}[)）]\s*[\u4e00-\u9fffA-Za-z]")  # 「(亚洲)有限责任公司」


def _wrapped(prev: str, nxt: str, st: _State) -> bool:
    """Does ``nxt`` continue the name that ends ``prev`` (a wrapped list line)?"""
    p = prev.rstrip()
    if _holds_any(nxt, _HYPHENS):
        nxt = _HYPHEN_SEP.sub("：", nxt)  # 「摩根基金-田诗涵、孙书瑶」 opens a group as a colon would
    # 「有限公司（排名不分先后）」, 「有限公司等」 end the name above
    nxt = _strip_etc(_strip_list_note(nxt).strip()) or nxt
    if not p or p.endswith(("。", ";", "；")) or (p.endswith(".") and _SENTENCE_DOT_END.search(p)):
        return False  # a sentence ended (「J.P.」 is an abbreviation, not an end)
    # the checks below look at the end of ``p`` only: a long list is one logical line by now
    end = p[-_NAME_WINDOW:]
    if _split_suffix(p, nxt.strip(), st) or _split_generic(end, nxt.strip(), st):
        return True
    if _HYPHENATED_END.search(p) and nxt.strip()[:1].islower():
        return True  # 「Oberweis Asset Man-」/「agement」: an English word hyphenated at the break
    if _BRACKET_GOES_ON.match(nxt.strip()) and _CJK.search(_WORD_SEP.split(p)[-1]):
        return True  # 「高盛」/「(亚洲)有限责任公司」: the name breaks before its region bracket
    if _latin_join_end(p) and _LATIN.match(nxt.strip()[:1] or ""):
        return True  # 「Ping An Property &」/「Casualty Insurance」
    first = (nxt.split() or [""])[0].rstrip(",，、;；")
    last_item, next_item = _ITEM_CUT.split(end)[-1].strip(), _ITEM_CUT.split(nxt.strip(), maxsplit=1)[0].strip()
    if "、" in end and _LATIN_END.search(last_item) and _LATIN.match(next_item[:1]) and not _CJK.search(
            last_item + next_item) and not _latin_surname_person(last_item, st.lex):
        return True  # 「…、China Industrial」/「International Trust」: an English item of a 、-list wrapped
    if _LATIN_END.search(p) and _LATIN.search(end.split("、")[-1]) and (
            _LATIN_LEGAL.match(first) or first[:1] in "(（&" or first == "and"):
        return True  # 「…、Sino Life Asset」/「Management」, 「Standard Chartered Securities」/「(China)」
    if p.count("（") + p.count("(") > p.count("）") + p.count(")"):
        return True  # the break falls inside a bracket: 「（重阳对冲2号私募证券\n投资基金）」
    if p.endswith("的") or nxt.strip().startswith("的"):
        return True
    last = _WORD_SEP.split(p)[-1]
    head = _WORD_SEP.split(nxt.strip(), maxsplit=1)[0]
    if 1 <= len(head) <= 2 and _CJK.match(head) and (
            (len(last) == 1 and last in st.lex.surnames)
            or (last[-1:] in st.lex.surnames and st.lex.ends_with_suffix(nkey(last[:-1]), strong=True))):
        return True  # 「…、邓\n晓峰」, 「盈坤投资张\n敏雨」: a person's name cut after the family name
    is_list = "、" in p or "，" in p or "," in p
    if not is_list:
        return _bare_tail(nxt, st)
    n = nxt.strip()
    seps = r"[、，,；;：:。]" if _LATIN.match(n[:1]) and _LATIN_END.search(p) else r"[、，,；;：:。\s]"
    head = re.split(seps, n, maxsplit=1)
    rest_sep = n[len(head[0]):len(head[0]) + 1]
    if _LATIN.match(n[:1]) and _LATIN_END.search(p) and "," in p:
        return True  # an English list item wrapped: the comma comes after the whole name
    if rest_sep in ":：" and (_CATEGORY.match(nkey(head[0])) or nkey(head[0]) in st.lex.session_set):
        return False  # 「…、摩根基金」/「私募基金：重阳投资、…」: a new heading, not a wrap
    if not rest_sep or rest_sep.isspace() or rest_sep in ":：":
        # in a list of institutions even a cut like 「永赢基」/「金等机构」 is a wrapped name
        if _bare_tail(nxt, st) or st.lex.cut_suffix(nkey(p)[-6:], nkey(n)[:8], weak=True):
            return True
        # the list's last line: 「…、厦门航」/「若创投」 — a weak fragment that makes a name with the line below
        tail = _NAME_SEP.split(p)[-1]
        return not rest_sep and _classify(tail, st) == "p" and _classify(tail + head[0], st) == "I"
    # not after 「…、华泰证券王龙钰」 when 「国海证券徐萌，…」 follows: the row above ended with its person
    return not (_ends_with_person(_NAME_SEP.split(p)[-1], st) and _starts_new_name(head[0], st)
                and not st.lex.cut_suffix(nkey(p)[-6:], nkey(head[0])[:8], weak=True))


def _latin_join_end(text: str) -> bool:
    """``_LATIN_JOIN_END.search(text)`` for text without trailing whitespace (tested by its end first)."""
    return text.endswith(("&", "and")) and bool(_LATIN_JOIN_END.search(text))


def _holds_any(text: str, needles: Sequence[str]) -> bool:
    """Does ``text`` contain one of ``needles``?"""
    for n in needles:  # noqa: SIM110 - a loop: cheaper than any() over a generator on this hot path
        if n in text:
            return True
    return False


def _ends_with_person(tail: str, st: _State) -> bool:
    """Is ``tail`` an institution with a strong ending and a person glued on (「华泰证券王龙钰」)?"""
    split = _split_glued(tail, st, allow_surname=False) if _classify(tail, st) == "G" else None
    return split is not None and st.lex.ends_with_suffix(nkey(split[0]), strong=True)


def _starts_new_name(head: str, st: _State) -> bool:
    """Is ``head`` a whole institution (with its person glued on), not the rest of a wrapped one
    (「国海证券徐萌」, not 「理财吴薇」 after 「…，法巴农银」)?"""
    if _classify(head, st) not in ("I", "G"):
        return False
    k = nkey(head)  # (a head that opens with an ending, 「理财」「证券」「有限公司」, finishes the name above)
    return not any(k[:j] in st.lex.inst_suffix_set for j in range(2, min(len(k), 12) + 1))


def _split_generic(prev: str, nxt: str, st: _State) -> bool:
    """A generic participant cut by the line break: 「…、华泰资产及个」 + 「人投资者等」."""
    cuts = st.lex._cached("_generic_cuts", lambda: _generic_cuts(st.lex))
    n = nkey(nxt)
    if n[:1] not in cuts[2]:
        return False  # no tail starts so
    p = nkey(prev)
    return any(n.startswith(tails) for size in range(1, min(len(p), cuts[0]) + 1)
               if (tails := cuts[1].get(p[-size:])))


def _generic_cuts(lex: Lexicon) -> tuple[int, dict[str, tuple[str, ...]], frozenset[str]]:
    """Each way a generic participant (3+ characters) can be cut in two: head -> the tails after it,
    the longest head (looked up from the end of a line instead of trying every term there) and the
    first characters of the tails."""
    heads: dict[str, list[str]] = {}
    for g in lex.generic:
        if len(g) >= 3:
            for i in range(1, len(g)):
                heads.setdefault(g[:i], []).append(g[i:])
    firsts = frozenset(t[0] for tails in heads.values() for t in tails)
    return max(map(len, heads), default=0), {h: tuple(t) for h, t in heads.items()}, firsts


def _split_suffix(prev: str, nxt: str, st: _State) -> bool:
    """An institution ending cut in two by the line break: 「…基金管理有」 + 「限公司…」, 「方正证」 + 「券」."""
    return st.lex.cut_suffix(nkey(prev)[-6:], nkey(nxt)[:8])


def _bare_tail(nxt: str, st: _State) -> bool:
    """A line starting with the tail of a wrapped name: 「证券 张三」, 「有限公司」, 「资产管理有限公司」, 「券」."""
    head = _WORD_SEP_STOP.split(nxt.strip(), maxsplit=1)[0]
    hk = nkey(head)
    if len(hk) == 1 and _CJK.match(hk):
        return True
    return bool(_CJK.match(hk)) and _only_endings(hk, st.lex)


def _only_endings(k: str, lex: Lexicon) -> bool:
    """Is ``k`` nothing but institution endings (「资产管理」+「有限公司」)? Such a line can only end a name."""
    if k[:2] not in lex.suffix_heads:
        return not k  # no ending starts it
    ok = [True] + [False] * len(k)
    for i in range(len(k)):
        if ok[i]:
            for j in range(i + 2, min(len(k), i + 12) + 1):
                if k[i:j] in lex.inst_suffix_set and not (i == 0 and k[i:j] in lex.name_starts):
                    ok[j] = True
    return ok[len(k)]


# --------------------------------------------------------------------------- the grammar of one logical line


# rewrites of a logical line before it is cut into items, in order (the bracketed-persons rewrite,
# which needs the lexicon, runs between the two groups)
_TOKEN_REWRITES_BEFORE = tuple((re.compile(p), r, needles) for p, r, needles in (
    (r"[（(]\s*https?://[^\s（()）\"'“”]+\s*[）)]", "", ("://",)),  # a platform's URL in brackets
    (r"[（(]\s*\d{1,3}\s*(?:人|位|名)\s*[）)]", "", ("(", "（")),  # head counts: 「中信证券（3人）」
    (r"【([^【】]{1,40})】(?=\s*[^\s、，,；;：:。])", r"\1：", ("【",)),  # 「【中金公司】王斌」
    # persons in lenticular brackets after a name are persons in brackets: 「中信证券【王喆、李越】；…」
    (r"(?<=\S)【([^【】]{1,40})】(?=\s*(?:$|[、，,；;]))", r"（\1）", ("【",)),
    (r"[【《]([^【】《》]{1,40})[】》]", r"\1", ("【", "《")),  # 【中金公司】, 《证券时报》
    (r"等(?:机构|单位)?(?:的)?(?:分析师|研究员|人员|嘉宾|同事|投资者|代表|一行人?)?(?:及|和|以及)", "、", ("等",)),
    (r"等?(?:及|以及|和)(?=其他|其它|其余|部分|线上|网上|通过)|等(?=[、，,])", "、", ("及", "和", "等")),
    # a year or a head count spaced from its words (PDF/Word spacing between CJK and digits) is no item:
    # 「参与公司 2025 年度业绩说明会的投资者」, 「个人投资者 3 名」
    (r"(?<=[\u3400-\u9fff])\s*(\d{4})\s*(?=年[^\d\s、，,；;])|(?<=[\u3400-\u9fff])\s*(\d{1,4})\s*(?=[名位家](?:机构|投资者)?"
     r"(?![\u3400-\u9fff]))", r"\1\2", tuple("0123456789")),
    # 「王喆等 3 人」, 「国金证券等 12 家证券公司」: a spaced total after 等 closes the item, it is no item
    (r"等\s*(\d{1,4})\s*(?=[家位名人])", r"等\1", ("等",)),
    # one person a line as labelled fields: 「单位名称：中信证券  姓名：敖翀  职务：首席分析师」 -> 「中信证券：敖翀」
    (r"^\s*(?:单位名称|机构名称|公司名称|所在单位|单位|机构)\s*[:：]\s*(.+?)\s*[，,；;]?\s*(?:姓名|人员|参会人员?)\s*[:：]\s*"
     r"([^\s，,；;]+)(?:\s*[，,；;]?\s*(?:职务|职位|职称)\s*[:：]\s*[^\s，,；;]*)?\s*$", r"\1：\2", ("姓名", "人员")),
    # a lead-in naming the meeting before the list, no attendee: 「中信证券组织的投资者交流会：中信证券 杨泽原、…」
    # (the organiser attends only when it is listed again)
    (r"^\s*[^、，,；;：:\s]{2,30}?(?:组织|举办|主办|召开)的[^、，,；;：:]{0,20}(?:会|活动)[:：]\s*", "", ("组织的", "举办的",
     "主办的", "召开的")),
    # an honorific spaced from the name it follows belongs to it, it is no person: 「兴全基金 王海燕 女士」
    (r"(?<=[\u4e00-\u9fff])[ \t\u3000]+(先生|女士|小姐)(?=\s*(?:$|[、，,；;]))", r"\1", ("先生", "女士", "小姐")),
    # inline numbering between items opens a new item: 「…(HK) Limited 2. DeShaw 3. FENGHE ASIA」
    (r"(?<=\S)\s+\d{1,3}[.．]\s+(?=\S)", "；", (".", "．")),
))
# (after an English name one space may stand before the bracket: 「Morgan Stanley (Kevin Wei)」)
_BRACKETED = re.compile(r"(?:(?<=\S)|(?<=[A-Za-z.] ))[（(]([^（()）]{2,40})[）)]")
_TOKEN_REWRITES_AFTER = tuple((re.compile(p) if isinstance(p, str) else p, r, needles) for p, r, needles in (
    (r"(?<=[\u4e00-\u9fff])\s*[/／]\s*(?=[\u4e00-\u9fff])", "、", ("/", "／")),
    (_HYPHEN_SEP, "：", _HYPHENS),  # 「华西证券-金沛、孙卓」
    (r"(?<=[a-z])\s*/\s*(?=[A-Z][a-z]+ [A-Z])", "、", ("/",)),  # 「Eric Wang/Grace Chen」
    (r"\u3000{2,}", "；", ("\u3000\u3000",)),  # 「中信证券　盛夏　　国泰海通证券　钟启辉」: wide gaps separate groups
))
# (each rewrite carries the strings one of which any text it changes holds: the regex runs only then)
# list separators and colons; whitespace splits only between CJK-ish tokens
_ITEM_SEP = re.compile(r"\s*[、，,；;：:。|]\s*|\s+")
_LEGAL_AFTER_COMMA = re.compile(r"\s*(?:Ltd|Limited|Inc|LLC|L\.L\.C|LLP|L\.L\.P|LP|L\.P|plc|PLC|S\.A|AG|GmbH|Pte)\b")
_AND = re.compile(r"\s+(?:and|&)\s+")


# a person first with the institution after a dash or (English) a comma: 「王喆—中信证券」, 「Eric Wang - Morgan Stanley」,
# 「- Eric Wang, Morgan Stanley」 (one pair a line)
_PERSON_DASH_INST = re.compile(r"^\s*(?:[-•·*]\s+)?([\u4e00-\u9fff·]{2,6}|[A-Z][A-Za-z'.\- ]{1,40}?)\s*(?:[－—–]{1,2}|\s-\s|"
                               r"(?<=[A-Za-z.])\s*,\s*(?=[A-Z]))\s*(\S.*?)\s*$")
# 「中信证券/王喆、中金公司/陈显帆」: an institution, a slash, its person
_INST_SLASH_PERSON = re.compile(r"(?<![^\s、，,；;：:])([^\s、，,；;：:/／]{2,40})\s*[/／]\s*(?=[\u4e00-\u9fff])")


def _person_then_inst(m: re.Match[str], lex: Lexicon) -> str | None:
    person, inst = m.group(1).strip(), m.group(2).strip()
    ok = _person_like(nkey(person), lex) if _CJK.search(person) else _latin_surname_person(person, lex)
    if not ok or re.search(r"[、，,；;：:/／]", inst):
        return None
    ik = nkey(inst)
    if _person_like(ik, lex) or _latin_surname_person(inst, lex) or not (_has_suffix(ik, lex) or ik in lex.known_names
                                                                          or _LATIN.search(inst)):
        return None
    return f"{inst}：{person}"


def _swap_person_first(t: str, lex: Lexicon) -> str:
    """「王喆—中信证券」 -> 「中信证券：王喆」 (a whole line: one person, a dash or comma, one institution)."""
    m = _PERSON_DASH_INST.match(t)
    return (m and _person_then_inst(m, lex)) or t


def _inst_slash(m: re.Match[str], lex: Lexicon) -> str:
    inst = m.group(1)
    rest = m.string[m.end():]
    first = re.split(r"[\s、，,；;：:/／]", rest, maxsplit=1)[0]
    if _has_suffix(nkey(inst), lex) and _person_like(nkey(first), lex):
        return inst + "："
    return m.group(0)


def _rewrite_line(text: str, lex: Lexicon) -> str:
    """A logical line with order notes, URLs, head counts and brackets rewritten before it is cut."""
    t = _strip_list_note(text, " ")
    if "排名" in t or "排序" in t:
        t = _OPEN_NOTE_END.sub("", t)
    if _holds_any(t, (*_HYPHENS, ",")):
        t = _swap_person_first(t, lex)
    if _holds_any(t, ("/", "／")):
        t = _INST_SLASH_PERSON.sub(lambda m: _inst_slash(m, lex), t)
    for pattern, repl, needles in _TOKEN_REWRITES_BEFORE:
        if _holds_any(t, needles):
            t = pattern.sub(repl, t)
    if "(" in t or "（" in t:
        t = _BRACKETED.sub(lambda m: _paren(m, lex), t)
    if "的" in t:
        t = _OF_PERSON.sub(lambda m: _of_person(m, lex), t)
    for pattern, repl, needles in _TOKEN_REWRITES_AFTER:
        if _holds_any(t, needles):
            t = pattern.sub(repl, t)
    return t


_OF_PERSON = re.compile(r"(?<=[\u4e00-\u9fff)）])的(?=[\u4e00-\u9fff])")
_WORD_CUT = re.compile(r"[\s、，,；;：:。]")


def _of_person(m: re.Match[str], lex: Lexicon) -> str:
    """「中信证券的王子源、丁奇」 -> 「中信证券：王子源、丁奇」: 的 between an institution and a person in prose."""
    left = _LEADING_AND.sub("", _WORD_CUT.split(m.string[: m.start()])[-1])
    right = _WORD_CUT.split(m.string[m.end():])[0]
    right = _SENTENCE_TAIL.sub("", right) if len(right) > 4 else right
    if _has_suffix(nkey(left), lex) and (_person_like(nkey(right), lex) or _latin_person(right)):
        return "："
    return m.group(0)


def _tokens(text: str, lex: Lexicon) -> list[tuple[str, str]]:
    """Items of a logical line with the separator before each: (token, sep)."""
    t = _rewrite_line(text, lex)
    out: list[tuple[str, str]] = []
    pos = 0
    sep = ""
    for m in _ITEM_SEP.finditer(t):
        piece = t[pos:m.start()]
        s = m.group(0)
        if s.strip() == "" and _latin_run(t, m.start(), m.end()):
            continue  # a space inside an English name
        if s.strip() in (",", "，") and _LEGAL_AFTER_COMMA.match(t[m.start() + 1:]):
            continue  # 「Co., Ltd.」
        if piece.strip():
            out.append((piece.strip(), sep))
            sep = ""
        sep = (sep + (s.strip() or " "))[:3]
        pos = m.end()
    tail = t[pos:]
    if tail.strip():
        out.append((tail.strip(), sep))
    # (not in a 「；」 list: there 「and」 is part of a name, 「Capital Research and Management Company；…」)
    if _LATIN.search(t) and ";" not in text and "；" not in text and sum(
            1 for tok, _ in out if _LATIN.search(tok) and not _CJK.search(tok)) >= 2:
        split: list[tuple[str, str]] = []
        for tok, sp in out:  # an English list's last item: 「…, Marshall Wace and Pinpoint Asset Management」
            # (not inside a known name: 「Ping An Property & Casualty Insurance」)
            parts = _AND.split(tok) if not _CJK.search(tok) and nkey(tok) not in lex.known_names else [tok]
            if len(parts) == 2 and all(parts):
                split += [(parts[0], sp), (parts[1], "、")]
            else:
                split.append((tok, sp))
        out = split
    return out


def _latin_run(t: str, a: int, b: int) -> bool:
    if b - a >= 2 or "\u3000" in t[a:b]:
        return False  # 「GIC　Lucy Li」, 「… Ltd  Schonfeld」: a wide gap separates names
    left = t[a - 1] if a > 0 else ""
    right = t[b] if b < len(t) else ""
    return bool(_LATIN.match(left) or left.isdigit() or left in ".)&'") and bool(
        _LATIN.match(right) or right.isdigit() or right in "(&")


def _paren(m: re.Match[str], lex: Lexicon) -> str:
    """「中信证券（张三、李四）」 -> 「中信证券：张三、李四；」 (persons in brackets after an institution)."""
    before = re.split(r"[、，,；;：:]", m.string[: m.start()])[-1].strip()
    parts = [p.strip() for p in re.split(r"[、，,]+", m.group(1)) if p.strip()]
    parts = [q for p in parts for q in ([p] if _LATIN.search(p) else p.split())]
    parts = [_HONORIFIC.sub("", p) if len(p) > 2 and _CJK.search(p) else p for p in parts]
    if not parts:
        return m.group(0)
    if any(_CJK.search(p) for p in parts):
        if _latin_person(before) and nkey(before) not in lex.known_names:
            return m.group(0)  # 「Kevin Li（李凯）」: the person's Chinese name (「Morgan Stanley（王斌）」: a person)
        if all(_person_like(nkey(p), lex) or _latin_person(p) for p in parts):
            return "：" + "、".join(parts) + "；"
        return m.group(0)
    # English persons only (「Hel Ved Capital（Jim Tang）」): each with a Chinese family name, so that no
    # region or legal part of a name (「(Hong Kong)」, 「(Asia)」, 「(HK) Limited」) is read as a person;
    # not after a person (「张伟（David Zhang）」, 「Grace Xu（Jason Chen）」: the same person's other name)
    if before and all(_latin_surname_person(p, lex) for p in parts) and not _latin_surname_person(before, lex) and (
            not _person_like(nkey(before), lex)):
        return "：" + "、".join(parts) + "；"
    return m.group(0)


def _parse_logical(lg: _Logical, st: _State) -> None:
    toks = _merge_departments(_merge_bilingual(st.tokens(lg.text)), st)
    before = st.touched
    st.cur_lines = tuple(lg.nos)
    if lg.start and not st.person_first:
        first_role = _classify(toks[0][0], st) if toks else "X"
        persons_follow = len(toks) >= 2 and toks[1][1].strip() == "" and _classify(toks[1][0], st) in ("P", "p")
        # 「兴业证券」/「陈鑫 王磊」 continues the institution above; after 「英大保险资管 杜晓东」 a line
        # 「东方港湾 孙子豪 宋明」 is a new row whose first word is the institution
        continue_persons = st.cur is not None and first_role == "P" and not _followed_by_colon(toks, 0) and not (
            persons_follow and st.cur_has_person)
        if not continue_persons:
            st.cur, st.cur_has_person = None, False
            st.colon_group = False
    n = len(toks)
    if st.person_first:
        _parse_person_first(toks, lg, st)
    else:
        for idx in range(n):
            tok, sep = toks[idx]
            _consume(tok, sep, idx, toks, lg, st)
    if st.touched == before:
        st.unparsed.append(Unparsed(lg.nos[0], lg.text, "no institution recognised"))



def _merge_bilingual(toks: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """A Chinese and an English name side by side before a colon are one institution."""
    out: list[tuple[str, str]] = []
    for i, (tok, sep) in enumerate(toks):
        colon_next = i + 1 < len(toks) and _has_colon(toks[i + 1][1])
        if out and colon_next and sep.strip() == "" and sep and (
                bool(_CJK.search(out[-1][0])) != bool(_CJK.search(tok))) and not any(
                c in out[-1][1] for c in ":："):
            out[-1] = (out[-1][0] + " " + tok, out[-1][1])
            continue
        out.append((tok, sep))
    return out


_DEPARTMENT = re.compile(r"[\u4e00-\u9fff]{1,8}(?:部|组)")  # 「权益投资部」, 「电子行业组」 (fullmatch)
_BRAND_INSIDE = re.compile(r"证券|基金|银行|保险|信托|期货|资本|集团|公司|资管|人寿|控股")


def _merge_departments(toks: list[tuple[str, str]], st: _State) -> list[tuple[str, str]]:
    """A department printed after its institution with a space is part of the institution:
    「易方达基金 权益投资部 刘健维」 -> 「易方达基金 权益投资部」, 「刘健维」 (desks are kept as printed)."""
    if len(toks) < 3:
        return toks
    out: list[tuple[str, str]] = []
    for i, (tok, sep) in enumerate(toks):
        if (out and sep == " " and _DEPARTMENT.fullmatch(tok) and not _BRAND_INSIDE.search(tok)
                and i + 1 < len(toks) and toks[i + 1][1] == " " and _classify(out[-1][0], st) == "I"
                and _classify(toks[i + 1][0], st) in ("P", "p")):
            out[-1] = (out[-1][0] + " " + tok, out[-1][1])
            continue
        out.append((tok, sep))
    return out


def _followed_by_colon(toks: list[tuple[str, str]], idx: int) -> bool:
    return idx + 1 < len(toks) and _has_colon(toks[idx + 1][1])


def _has_colon(sep: str) -> bool:
    return ":" in sep or "：" in sep


def _consume(tok: str, sep: str, idx: int, toks: list[tuple[str, str]], lg: _Logical, st: _State) -> None:
    for part in _and_split(tok):
        _consume_one(part, sep, idx, toks, lg, st)
        sep = "、"


class _TokenInfo(NamedTuple):
    """What a list item says on its own (pure in the item and the lexicon, so remembered per lexicon)."""

    kind: str  # "" nothing, "generic", "platform", "title" or "name"
    name: str  # the cleaned item (kind "generic": the participant; kind "name": after titles and aliases)
    heading: bool = False  # a session, place, category or date: a heading when a colon follows
    title_split: tuple[str, str] | None = None  # 「国信证券首席分析师王剑」 around its title
    person_inst: tuple[str, str] | None = None  # 「张三（中信证券）」 -> (institution, person)
    role: str = ""  # _classify of ``name``


def _token_info(tok: str, st: _State) -> _TokenInfo:
    """:class:`_TokenInfo` of ``tok``, computed once per lexicon."""
    got = st.token_memo.get(tok)
    if got is None:
        got = st.token_memo[tok] = _token_info_uncached(tok, st)
    return got


def _token_info_uncached(tok: str, st: _State) -> _TokenInfo:
    name = _clean_name(tok)
    if not name:
        return _TokenInfo("", name)
    gen = _generic(name, st.lex)
    if gen:
        return _TokenInfo("generic", gen)
    k = nkey(name)
    if k in st.lex.platform_set:
        return _TokenInfo("platform", name)
    if name in st.lex.titles or _classify(name, st) == "T":
        return _TokenInfo("title", name)
    heading = bool(k in st.lex.session_set or k in st.lex.places or _CATEGORY.match(k)
                   or _DATE_HEAD.fullmatch(unicodedata.normalize("NFKC", name)))
    split = _split_title_glued(name, st)
    if split:
        return _TokenInfo("name", name, heading, split)
    name = _strip_trailing_title(name, st)
    name = _strip_title(name, st)
    name = _strip_alias(name, st)
    pi = _person_with_institution(name, st)
    return _TokenInfo("name", name, heading, None, pi, "" if pi else _classify(name, st))


def _consume_one(tok: str, sep: str, idx: int, toks: list[tuple[str, str]], lg: _Logical, st: _State) -> None:
    info = _token_info(tok, st)
    if not info.kind:
        return
    no = lg.nos[0]
    if st.generic_row is not None:
        if info.kind == "name" and st.generic_row[1] == no and _of_generic(info.name, sep, st):
            _generic_person(info.name, no, lg, st)
            return
        st.generic_row = None
    if info.kind == "generic":
        _add(st, info.name, None, no, lg.date, generic=True)
        st.cur, st.cur_has_person = None, False
        st.generic_row = (len(st.rows) - 1, no)  # 「个人投资者 陈先生」: persons may follow on its line
        return
    if info.kind == "platform":
        st.skipped.append(Unparsed(no, tok, "platform"))
        return
    if info.kind == "title":
        return
    colon_after = _followed_by_colon(toks, idx)
    if colon_after and info.heading:
        st.cur, st.cur_has_person = None, False  # 「线上：…」, 「北京：…」, 「6月6日：…」
        st.colon_group = False
        return
    split = info.title_split
    if split:  # 「国信证券首席分析师王剑」
        _new_inst(split[0], no, lg, st)
        _person(split[1], no, lg, st)
        return
    name = info.name
    pi = info.person_inst
    if pi:  # 「张三（中信证券）」
        if st.cur != pi[0] or st.cur_has_person is False:
            _new_inst(pi[0], no, lg, st)
        _person(pi[1], no, lg, st)
        return
    colon_before = _has_colon(sep)
    role = info.role
    if "；" in sep or ";" in sep:
        st.colon_group = False
        st.cur, st.cur_has_person = None, False  # 「机构：人；机构：人」: a new group
    if colon_after:
        _new_inst(name, no, lg, st)
        st.colon_group = True
        return
    if role == "G" or (role in ("p", "?") and st.glued_layout and st.cur is None):
        g = _split_glued(name, st, allow_surname=st.glued_layout)
        if g:
            _new_inst(g[0], no, lg, st)
            _person(g[1], no, lg, st)
            return
    if role == "I":
        split = _split_latin(name, st.lex) if _LATIN.search(name) and not _CJK.search(name) else None
        if split:
            _new_inst(split[0], no, lg, st)
            _person(split[1], no, lg, st)
            return
        _new_inst(name, no, lg, st)
        return
    if role == "P":
        if st.cur is None or ("、" in sep and not st.cur_has_person and not colon_before and not _persons_expected(st)):
            _new_inst(name, no, lg, st)
        else:
            _person(name, no, lg, st)
        return
    if role == "L" and (split := _split_latin(name, st.lex)):
        _new_inst(split[0], no, lg, st)
        _person(split[1], no, lg, st)
        return
    # weak / unknown tokens
    if st.cur is None:
        _new_inst(name, no, lg, st)
        return
    k = nkey(name)
    after_space = " " in sep and "、" not in sep and not any(c in sep for c in "，,；;")
    if role == "p" and len(k) <= 3 and ((after_space and _persons_expected(st)) or st.cur_has_person):
        _person(name, no, lg, st)  # 「华泰证券 代雯」: a short name after an institution is its person
        return
    if role == "p" and len(k) == 4 and st.cur_has_person and "、" in sep and k[0] in st.lex.surnames and not (
            idx + 1 < len(toks) and " " in toks[idx + 1][1] and _classify(toks[idx + 1][0], st) == "P"):
        _person(name, no, lg, st)  # 「徐涛、胡叶倩雯」
        return
    if colon_before:
        _person(name, no, lg, st)
        return
    if role == "L" and _latin_person(name) and not _ends_with_place(name, st.lex) and st.cur is not None and (
            (after_space and (_persons_expected(st) or _latin_surname_person(name, st.lex)))
            or (st.cur_has_person and ("、" in sep or st.colon_group))):
        _person(name, no, lg, st)
        return
    _new_inst(name, no, lg, st)


_LATIN_TITLE_IN_PARENS = re.compile(r"^(.+?)\s*[（(]([A-Za-z .]+)[)）]$")
_OTHER_NAME_IN_PARENS = re.compile(r"^(.+?)\s*[（(]([^()（）]{2,40})[）)]$")
_LATIN_PERSON_WITH_PARENS = re.compile(r"^([A-Z][A-Za-z .'-]{1,40}?)\s*[（(]([^()（）]{2,60})[）)]$")
_SHORT_NAME_WITH_PARENS = re.compile(r"^(.{2,4})[（(](.{2,40})[）)]$")


def _strip_trailing_title(name: str, st: _State) -> str:
    """「新华社记者」 -> 「新华社」, 「华泰证券的分析师」 -> 「华泰证券」, 「Laura Bao（Analyst）」 -> 「Laura Bao」."""
    m = _LATIN_TITLE_IN_PARENS.match(name) if name.rstrip("\n").endswith((")", "）")) else None
    if m and m.group(2).strip().lower() in st.lex.titles:
        return m.group(1)
    k = nkey(name)
    for t in st.lex.title_at_end(k):
        if _CJK.match(t) and len(k) - len(t) >= 2 and not _person_like(k[: -len(t)], st.lex):
            rest = k[: -len(t)]
            return rest[:-1] if rest.endswith("的") and len(rest) >= 3 else rest  # the possessive goes too
    return name


def _split_title_glued(name: str, st: _State) -> tuple[str, str] | None:
    """「国信证券首席分析师王剑」, 「长江证券非银首席吴一凡」 -> (institution, person) around a title."""
    k = nkey(name)
    if len(k) < 6 or not _CJK.search(k) or not st.lex.title_inside(k):
        return None
    for t in (t for t in st.lex.titles_longest_first if _CJK.match(t)):
        i = k.find(t)
        if i < 2:
            continue
        left, right = k[:i], k[i + len(t):]
        if not (_person_like(right, st.lex) or _name_like(right, st.lex)):
            continue
        cut = max((left.rfind(s) + len(s) for s in st.lex.strong_suffixes if s in left), default=-1)
        inst = left[:cut] if cut > 1 else left
        if _classify(inst, st) in ("I", "p") and not _person_like(inst, st.lex):
            return inst, right
    return None


def _strip_title(name: str, st: _State) -> str:
    """「首席分析师张三」, 「张三研究员」, 「张三（研究员）」 -> 「张三」 when the rest is a person's name."""
    k = nkey(name)
    for t in st.lex.title_at_start(k):
        if _person_like(k[len(t):], st.lex):
            return k[len(t):]
    for t in st.lex.title_at_end(k):
        if _person_like(k[: -len(t)], st.lex):
            return k[: -len(t)]
    return name


def _strip_alias(name: str, st: _State) -> str:
    """「王芳（Fiona Wang）」 -> 「王芳」, 「Kevin Li（李凯）」 -> 「Kevin Li」: a person's other-script name."""
    stripped = name.strip()
    m = _OTHER_NAME_IN_PARENS.match(stripped) if stripped.endswith((")", "）")) else None
    if not m:
        return name
    a, b = m.group(1).strip(), m.group(2).strip()
    if _person_like(nkey(a), st.lex) and _latin_person(b):
        return a
    if _latin_person(a) and _person_like(nkey(b), st.lex):
        return a
    return name


def _person_with_institution(name: str, st: _State) -> tuple[str, str] | None:
    stripped = name.strip()
    if not stripped.endswith((")", "）")):
        return None  # both forms end with the bracket
    lm = _LATIN_PERSON_WITH_PARENS.match(stripped)
    if lm and (nkey(stripped) in st.lex.known_names or all(_LATIN_LEGAL.match(w) for w in lm.group(2).split())):
        lm = None  # 「China Reinsurance (Group)」: a registered name as printed, or a bracket of legal words only
    if (lm and _latin_person(lm.group(1).strip()) and not (_latin_person(lm.group(2)) and not _LATIN_LEGAL.search(
            lm.group(2)))) or (lm and _latin_surname_person(lm.group(1).strip(), st.lex)
                             and lm.group(2).strip().lower() not in st.lex.titles):
        return lm.group(2).strip(), lm.group(1).strip()  # 「Kevin Wei（Morgan Stanley）」
    m = _SHORT_NAME_WITH_PARENS.match(stripped)
    if not m or not _person_like(nkey(m.group(1)), st.lex):
        return None
    inner = m.group(2).strip()
    if _classify(inner, st) in ("I", "G") and nkey(inner) not in st.lex.places:
        return inner, m.group(1)
    return None


def _persons_expected(st: _State) -> bool:
    return st.glued_layout or any(r.person for r in st.rows)


def _parse_person_first(toks: list[tuple[str, str]], lg: _Logical, st: _State) -> None:
    persons: list[str] = []
    for tok, _ in toks:
        name = _clean_name(tok)
        if not name:
            continue
        role = _classify(name, st)
        if (role == "P" and not persons) or role == "P":
            persons.append(name)
            continue
        for p in persons or [None]:
            _add(st, name, p, lg.nos[0], lg.date)
        persons = []
    for p in persons:
        st.unparsed.append(Unparsed(lg.nos[0], p, "person without an institution"))


def _new_inst(name: str, no: int, lg: _Logical, st: _State) -> None:
    """Start an institution; its row gets the first person that follows (or stays without one)."""
    pair = st.pair_memo.get(name, False)
    if pair is False:
        pair = st.pair_memo[name] = _two_known_names(name, st.lex)
    if pair is not None:  # 「正心谷中金公司」: the separator was lost
        _add(st, pair[0], None, no, lg.date)
        name = pair[1]
    st.cur, st.cur_has_person = name, False
    _add(st, name, None, no, lg.date)
    st.pending = len(st.rows) - 1


_GLUED_NAME_MIN = 3  # each of two glued known names has at least this many characters


def _two_known_names(name: str, lex: Lexicon) -> tuple[str, str] | None:
    """「正心谷中金公司」 -> ("正心谷", "中金公司"): two known institution names with no separator, when
    the whole is no known name and exactly one cut gives two (neither a bare ending like 「证券」)."""
    k = nkey(name)
    if k != name.strip() or k in lex.known_names or len(k) < 2 * _GLUED_NAME_MIN or not _CJK.search(k):
        return None
    cuts = [i for i in range(_GLUED_NAME_MIN, len(k) - _GLUED_NAME_MIN + 1)
            if k[:i] in lex.known_names and k[i:] in lex.known_names and k[i:] not in lex.inst_suffix_set]
    return (k[:cuts[0]], k[cuts[0]:]) if len(cuts) == 1 else None


def _of_generic(name: str, sep: str, st: _State) -> bool:
    """A person named right after a generic participant (「个人投资者 陈先生、刘女士」, 「个人投资者（2名）：张先生」) is one
    of them, no institution: on its line after a space, 「、」 or 「：」, a name that looks like a person's and nothing else."""
    return bool(sep) and sep.strip(" \t\u3000、：:") == "" and _person_like(nkey(name), st.lex)


def _generic_person(name: str, no: int, lg: _Logical, st: _State) -> None:
    """Name the person on the generic participant's row, or add a further generic row for a second person."""
    assert st.generic_row is not None
    bare = _HONORIFIC.sub("", name)
    name = bare if len(bare) >= 2 else name
    row = st.generic_row[0]
    old = st.rows[row]
    if old.person is None:
        st.rows[row] = Attendee(old.institution, name, old.line_no, True, old.date,
                                           tuple(sorted({*old.lines, no})))
        st.touched += 1
    else:
        _add(st, old.institution, name, no, lg.date, generic=True)


def _person(name: str, no: int, lg: _Logical, st: _State) -> None:
    bare = _HONORIFIC.sub("", name)
    name = bare if len(bare) >= 2 else name
    if st.cur is None:
        st.unparsed.append(Unparsed(no, name, "person without an institution"))
        return
    pending = st.pending
    if not st.cur_has_person and pending is not None and st.rows[pending].person is None:
        old = st.rows[pending]
        st.rows[pending] = Attendee(old.institution, name, old.line_no, old.generic, old.date,
                                    tuple(sorted({*old.lines, *st.cur_lines})))
        st.touched += 1
    else:
        _add(st, st.cur, name, no, lg.date)
    st.cur_has_person = True


def _add(st: _State, inst: str, person: str | None, no: int, date: str | None, *, generic: bool = False,
         seq: int | None = None) -> None:
    lines = tuple(sorted({no, *st.cur_lines}))
    st.rows.append(Attendee(inst, person, no, generic, date, lines))
    st.seq.append(seq)
    st.touched += 1


# --------------------------------------------------------------------------- names


_SENTENCE_HEAD = re.compile(r"^.{0,30}?(?:接待了?|参加了?|出席了?|参与了?|包括|来自|如下|分别为|为)[:：]?(?=\S{2,})")
_SENTENCE_TAIL = re.compile(r"(?:(?:来|到|赴)(?:公司|我司|本公司)?(?:进行)?)?(?:的|等)?(?:机构|单位)?(?:的)?"
                            r"(?:调研|来访|交流|参会|投资者调研|现场调研|电话会议)(?:活动)?$")


_SENTENCE_WORD = re.compile(r"接待|参加|出席|参与|包括|来自|如下|分别为")
_LEADING_AND = re.compile(r"^(?:及|以及|与|还有|另有)(?=\S{2,})")
_LATIN_DOT_END = re.compile(r"[A-Za-z]\.$")
_SPACES = re.compile(r"\s+")
_NO_LETTERS = re.compile(r"[\d\W_]*")


def _clean_name(tok: str) -> str:
    t = tok.strip().strip("|").strip()
    if _SENTENCE_WORD.search(t):
        t = _SENTENCE_HEAD.sub("", t)
    if len(t) > 4 and ("调研" in t or "来访" in t or "交流" in t or "参会" in t or "电话会议" in t):
        t = _SENTENCE_TAIL.sub("", t).strip()
    t = _NUMBERING.sub("", t)
    t = _LEADING_AND.sub("", t)
    prev = None
    while prev != t:
        prev = t
        t = _strip_etc(t).strip()
    t = t.strip(" ：:，,、；;。·•-—*")
    if t.endswith(".") and not _LATIN_DOT_END.search(t):
        t = t.rstrip(".")
    t = _SPACES.sub(" ", t)
    if t.startswith(("(", "（")) and t.endswith((")", "）")):
        return ""
    if _NO_LETTERS.fullmatch(t):
        return ""
    return t


def _and_split(tok: str) -> list[str]:
    """「淡水泉投资和中欧基金」 -> two names (only after an institution ending)."""
    if "和" not in tok and "及" not in tok and "与" not in tok:
        return [tok] if tok else []  # (no word _AND_SPLIT cuts at)
    parts = _AND_SPLIT.split(tok)
    return [p for p in parts if p]


_OTHER_PREFIX = re.compile(r"^(?:及|和|以及|其他|其它|及其他|其余|另有|部分)+")
_OTHER_PREFIX_FIRST = frozenset("及和以其另部")  # the first characters of its words


def _generic(name: str, lex: Lexicon) -> str | None:
    k = nkey(name)
    k2 = _OTHER_PREFIX.sub("", k) if k[:1] in _OTHER_PREFIX_FIRST else k
    if not k2.endswith(lex.generic_endings):
        return None
    if any(k2 == g or (k2.endswith(g) and not _has_suffix(k2[: -len(g)], lex)) for g in lex.generic if len(g) >= 3):
        return name.strip()
    if k2 in lex.generic:
        return name.strip()
    return None


def _has_suffix(k: str, lex: Lexicon) -> bool:
    return lex.ends_with_suffix(k)


def _classify(name: str, st: _State) -> str:
    """I institution, G institution+person glued, P person, p weak/short, L Latin name, X nothing."""
    got = st.classify_memo.get(name)
    if got is None:
        got = st.classify_memo[name] = _classify_uncached(name, st)
    return got


def _classify_uncached(name: str, st: _State) -> str:
    lex = st.lex
    k = nkey(name)
    if not k or _NO_LETTERS.fullmatch(k):
        return "X"
    if k in lex.titles or k.lower() in lex.titles:
        return "T"
    if _LATIN.search(k) and not _CJK.search(k):
        kl = k.lower()
        if any(s.lower() in kl for s in lex.inst_suffixes if _LATIN.match(s) and len(s) >= 3) or re.search(
                r"(?:co|ltd|llc|lp|inc|plc|ag|sa)\.?$", kl):
            return "I"
        return "L"
    if k in lex.known_names:
        return "I"
    base = _SHORT_PAREN_TAIL.sub("", k) if k.endswith((")", "）")) else k
    if base != k and len(base) >= 2:
        return "I"
    if lex.ends_with_suffix(base):
        return "I"
    if _split_glued(name, st, allow_surname=False):
        return "G"
    if lex.suffix_inside(k):
        return "I"
    if _person_like(k, lex):
        return "P"
    if len(k) >= 5:
        return "I"
    return "p"


_LATIN_LEGAL = re.compile(
    r"^(?:Limited|Ltd\.?|LLC|L\.L\.C\.?|Inc\.?|Corp\.?|Corporation|Co\.?|LP|L\.P\.?|LLP|plc|PLC|AG|SA|S\.A\.?|GmbH|"
    r"Pte\.?|Management|Mgmt|Capital|Partners|Advisors|Advisers|Investments?|Securities|Holdings|Group|Bank|Funds?|Assets?|"
    r"Trust|Insurance|Research|Wealth|Equity|Ventures)$"
)


def _latin_person(name: str) -> bool:
    """「Cherry Ma」, 「Jason Chen」, 「Vincent」: one to three capitalised words, no institution word."""
    words = name.split()
    return 1 <= len(words) <= 3 and all(re.fullmatch(r"[A-Z][a-zA-Z'\-]*\.?", w) for w in words) and not any(
        _LATIN_LEGAL.match(w) for w in words)


def _latin_surname_person(name: str, lex: Lexicon) -> bool:
    """「Jason Chen」, 「Lillian Lou」: a Latin person name whose family name is a Chinese one."""
    words = name.split()
    if _ends_with_place(name, lex):  # 「Point72 Hong Kong」: Kong is a surname, Hong Kong a place
        return False
    return 2 <= len(words) <= 3 and _latin_person(name) and (words[-1] in lex.latin_surnames or (
        words[0] in lex.latin_surnames and len(words) == 3))


def _ends_with_place(name: str, lex: Lexicon) -> bool:
    """Does a Latin name end with a place (「GIC Singapore」, 「Point72 Hong Kong」)? No person's does."""
    words = name.split()
    return any(nkey(" ".join(words[-n:])) in lex.places for n in (1, 2, 3) if len(words) >= n)


def _split_latin(name: str, lex: Lexicon) -> tuple[str, str] | None:
    """「Point72 Hong Kong Limited Analyst Jason Chen」 -> ("Point72 Hong Kong Limited", "Jason Chen")."""
    words = name.split()
    for n in (2, 3):  # 「Morgan Stanley Eric Wang」, 「Point72 Jason Chen」: a person name at the end
        if len(words) > n and _latin_surname_person(" ".join(words[-n:]), lex) and not _latin_surname_person(
                " ".join(words[:-n]), lex):
            head = words[:-n]
            while head and head[-1].lower() in lex.titles:
                head = head[:-1]
            if head:
                return " ".join(head), " ".join(words[-n:])
    last = max((i for i, w in enumerate(words) if _LATIN_LEGAL.match(w.rstrip(","))), default=-1)
    if last < 0 or last == len(words) - 1:
        return None
    rest = words[last + 1:]
    while rest and (rest[0].lower() in lex.titles or rest[0] in ("Senior", "Portfolio", "Vice", "Managing", "Fund",
                                                                   "Investment", "Research", "Chief", "Executive")):
        rest = rest[1:]
    person = " ".join(rest)
    if len(rest) >= 2 and _latin_person(person) and last >= 1:
        return " ".join(words[: last + 1]), person
    return None


def _name_like(k: str, lex: Lexicon) -> bool:
    """2–3 characters that can only be a person's name (no surname check): what follows 「天风证券」 in 「天风证券禚佳明」."""
    if not (2 <= len(k) <= 3) or not _CJK_OR_DOT.fullmatch(k):
        return False
    if k in lex.not_person or k in lex.places or k in lex.known_names or k in lex.titles:
        return False
    return not lex.not_person_inside(k) and not lex.ends_with_suffix(k, proper=False)


def _person_like(k: str, lex: Lexicon) -> bool:
    if not 2 <= len(k) <= 6 and "·" not in k:
        return False  # (too long for any rule below even with an honorific stripped, or too short)
    if _SURNAME_HONORIFIC.fullmatch(k) and (k[0] in lex.surnames or k[:2] in lex.compound_surnames):
        return True  # 「肖先生」: a person named by family name and honorific
    if "·" in k and 3 <= len(k) <= 12 and _CJK_OR_DOT.fullmatch(k) and not lex.not_person_inside(k):
        return True  # 「马可·罗西」, 「买买提·艾力」
    k = _HONORIFIC.sub("", k) if len(k) > 3 else k
    if not (2 <= len(k) <= 4) or not _CJK_OR_DOT.fullmatch(k):
        return False
    if k in lex.not_person or k in lex.places or k in lex.known_names or k in lex.titles:
        return False
    if lex.not_person_inside(k):
        return False
    if len(k) == 4:
        return k[:2] in lex.compound_surnames
    return k[0] in lex.surnames or k[:2] in lex.compound_surnames


_MEMO_MAX = 200_000  # entries per memo: names recur across records, a worker parses thousands


def _memo(lex: Lexicon, name: str) -> dict[Any, Any]:
    """A per-lexicon cache for pure functions of a token and the lexicon (cleared when full; checked
    once per attendee section)."""
    memo: dict[Any, Any] = lex._cached(name, dict)
    if len(memo) > _MEMO_MAX:
        memo.clear()
    return memo


def _split_glued(name: str, st: _State, *, allow_surname: bool) -> tuple[str, str] | None:
    """「国信证券曹翰民」 -> ("国信证券", "曹翰民"): split after an institution ending or a known name."""
    memo = st.glued_memo
    key = (name, allow_surname)
    if key not in memo:
        memo[key] = _split_glued_uncached(name, st.lex, allow_surname)
    return memo[key]


def _split_glued_uncached(name: str, lex: Lexicon, allow_surname: bool) -> tuple[str, str] | None:
    k = name.strip()
    if " " in k or not _CJK.search(k) or nkey(k) in lex.known_names:
        return None
    if lex.ends_with_suffix(nkey(k), proper=False):
        return None
    best: tuple[str, str] | None = None
    for p in range(len(k) - 2, 1, -1):
        prefix, rem = k[:p], k[p:]
        if not _person_like(nkey(rem), lex):
            continue
        pk = nkey(prefix)
        if pk in lex.known_names or lex.ends_with_suffix(pk):
            best = (prefix, rem)
            break
    if best:
        return best
    for n in (3, 2):  # a rare surname after a strong ending: 「天风证券禚佳明」
        prefix, rem = k[:-n], k[-n:]
        pk = nkey(prefix)
        if len(pk) >= 4 and _name_like(nkey(rem), lex) and lex.ends_with_suffix(pk, strong=True):
            return prefix, rem
    if allow_surname and len(k) >= 5:
        for n in (3, 2):
            prefix, rem = k[:-n], k[-n:]
            if len(prefix) >= 3 and _person_like(rem, lex) and not _person_like(prefix, lex):
                return prefix, rem
    return None
