"""Parse stage: one investor-relations activity record (text) -> :class:`~irgraph.models.Record`.

Records are forms ("投资者关系活动记录表") flattened to text: labels such as 参与单位名称及人员姓名 or
时间, sometimes letter-spaced or wrapped over several lines, each followed by its value. The
parser finds the labels, reads the header fields, the check boxes, the dates, and the attendee
list in all the layouts real records use (see :mod:`irgraph.attendees`).
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import itertools
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path

from irgraph.attendees import AttendeeParse, is_header_key, parse_attendee_lines
from irgraph.errors import InputError
from irgraph.lexicon import Lexicon, load_lexicon, nkey
from irgraph.models import Document, Line, Record, Unparsed

_CJK_RE = re.compile(r"[\u4e00-\u9fff]")
# (no page number is longer than 13 characters: 「page999of999」)
_PAGE_NUMBER = re.compile(r"^(?:[-—–]?\d{1,3}[-—–]?|第\d{1,3}页[/／,，]?(?:共\d{1,3}页)?|\d{1,3}/\d{1,3}|page\d{1,3}(?:/?of\d{1,3})?"
                          r"|共\d{1,3}页[/／,，]?第\d{1,3}页)$", re.I)
# (the code may carry its exchange before it: 「股票代码：SH601012」; after it, 「688981.SH」, needs nothing)
_CODE = re.compile(r"(?<!债)(?<!债券)(?:(?:证券|股票|A股|公司)代码|Stock\s*Code|Securities\s*Code)[:：]?\s*(?:S[HZ]|BJ)?\.?\s*"
                   r"([0-9]{6})", re.I)
_SHORT = re.compile(r"(?<!债)(?:证券|股票|A股|公司)简称[:：]?\s*([^\s:：|]+)|(?:Stock|Securities)\s*(?:Abbreviation|Short\s*Name)"
                    r"[:：]\s*([^:：|]+?)(?:\s{2,}|$)", re.I)
# 「编号：2026-003」, 「编号：2026-临-003」, 「No.2026-003」 (a line starting with No.)
_RECORD_NO = re.compile(r"(?:(?:记录表)?编号|^No\.)[:：]?\s*(临?[A-Za-z]*[0-9][A-Za-z0-9\-—－_./]*(?:临[\-—－]?[0-9][0-9\-—－]*)?)",
                        re.I)
_BARE_RECORD_NO = re.compile(r"^(?:IR)?\d{4}[-—－]\d{1,4}(?:[-—－]\d{1,4})?$")
_TITLE = re.compile(r"投资者(?:关系)?活动记录表|投资者关系管理活动记录|调研活动记录表|投资者关系活动记录|investorrelationsactivityrecord",
                    re.I)


def _title_search(key: str) -> re.Match[str] | None:
    """``_TITLE.search(key)``; every title holds 活动记录 or "record" (tested first: it is cheaper)."""
    return _TITLE.search(key) if "活动记录" in key or "record" in key.lower() else None


_COMPANY_EN = re.compile(r"^([A-Z][A-Za-z0-9&.,'() -]{3,80}?(?:Co\.,?\s*Ltd\.?|Company\s+Limited|Corporation|Limited|Inc\.))$")
_COMPANY = re.compile(r"^(.{2,40}?(?:股份有限公司|有限责任公司|有限公司))")
_REFERENCE = re.compile(r"详见|见附件|见附表|见附录|附后|文后|后附|见下表|如下表|名单见|见名单|附件[一二三1-9]?[《:：]|附录")


@dataclass(frozen=True)
class _Label:
    field: str
    line: int  # index of the first label line
    end: int  # index of the line where the label ends
    rest: str  # text after the label on its last line
    label: str = ""  # the label key matched


def parse_document(doc: Document, *, lexicon: Lexicon | None = None) -> tuple[Record, ...]:
    """Parse a read document: records of a vendor table as they are, a text document into one record."""
    if doc.error:
        return (Record(source=doc.source, kind="ir_record", error=doc.error, format=doc.format),)
    if doc.records is not None:
        return doc.records
    try:
        return (parse_text(doc.text, doc.source, fmt=doc.format, lexicon=lexicon),)
    except RecursionError:  # pragma: no cover - defensive: never let one file stop a build
        return (Record(source=doc.source, error="record too deeply nested to parse", format=doc.format),)


_TRADITIONAL_FORM_CHARS = frozenset("參與單稱員時間會議關類別記錄證簡碼編號機構說內動態個資產業績點參訪談對話應揭露")
_TRADITIONAL_FORM_CHAR = re.compile("[" + "".join(map(re.escape, sorted(_TRADITIONAL_FORM_CHARS))) + "]")


def parse_text(text: str, source: str = "<text>", *, fmt: str = "text", lexicon: Lexicon | None = None) -> Record:
    """Parse the text of one record. Never raises on odd input; problems become warnings.

    A record in traditional characters (its form labels are) is read through OpenCC ``t2s``;
    names are then given back as printed.
    """
    head = text[:3000]
    if len(_TRADITIONAL_FORM_CHAR.findall(head)) >= 8:
        simplified = _t2s(text)
        if simplified != text and len(simplified) == len(text):
            rec = _parse_text(simplified, source, fmt=fmt, lexicon=lexicon)
            return _as_printed(rec, simplified, text)
    return _parse_text(text, source, fmt=fmt, lexicon=lexicon)


def _first(a: int | None, b: int | None) -> int | None:
    return a if a is not None else b


def _t2s(text: str) -> str:
    from irgraph.normalize import to_simplified

    return to_simplified(text)


def _as_printed(rec: Record, simplified: str, original: str) -> Record:
    """Map the names parsed from the simplified text back to the characters printed in the original."""

    def back(s: str | None) -> str | None:
        if not s:
            return s
        i = simplified.find(s)
        if i >= 0:
            return original[i:i + len(s)]
        m = re.search(r"\s*".join(map(re.escape, s)), simplified)  # a name rejoined across lines
        if not m:
            return s
        out, j = [], 0
        for k in range(m.start(), m.end()):
            if j < len(s) and simplified[k] == s[j]:
                out.append(original[k])
                j += 1
        return "".join(out) if j == len(s) else s

    attendees = tuple(replace(a, institution=back(a.institution) or a.institution, person=back(a.person))
                      for a in rec.attendees)
    receptionists = tuple((back(n) or n, back(t)) for n, t in rec.receptionists)
    return replace(rec, attendees=attendees, receptionists=receptionists, short_name=back(rec.short_name),
                   company=back(rec.company), place=back(rec.place), activity_other=back(rec.activity_other))


_BOX_RULE = re.compile(r"[\s─━┄┅┈┉═┌┐└┘├┤┬┴┼┏┓┗┛┣┫┳┻╋╔╗╚╝╠╣╦╩╬╒╕╘╛╞╡╤╧╪╓╖╙╜╟╢╥╨╫]*[─━═┄┅┈┉]"
                       r"[\s─━┄┅┈┉═┌┐└┘├┤┬┴┼┏┓┗┛┣┫┳┻╋╔╗╚╝╠╣╦╩╬╒╕╘╛╞╡╤╧╪╓╖╙╜╟╢╥╨╫]*")
_BOX_BAR = re.compile(r"\s*[│┃║]\s*")


def _unbox(line: str) -> str:
    """A table drawn with box-drawing characters as pipe rows: a rule line (「┌──┬──┐」) becomes empty,
    a row 「│1   │招商证券 │鄢凡 │」 becomes 「1 | 招商证券 | 鄢凡」."""
    if ("─" in line or "━" in line or "═" in line) and _BOX_RULE.fullmatch(line):
        return ""
    if "│" in line or "┃" in line or "║" in line:
        return " | ".join(c for c in _BOX_BAR.split(line.strip()) if c)
    return line


def _parse_text(text: str, source: str, *, fmt: str, lexicon: Lexicon | None) -> Record:
    lex = lexicon or load_lexicon()
    raw_lines = text.split("\n")
    if "│" in text or "┃" in text or "║" in text:
        raw_lines = [_unbox(t) for t in raw_lines]
    lines = [Line(i, t) for i, t in enumerate(raw_lines, start=1)]
    lines = unlayout(lines, lex)
    raw_lines = [ln.text for ln in lines]
    keys = [nkey(t) for t in raw_lines]
    noise = _noise_lines(keys)
    labels = _find_labels(lines, keys, noise, lex)
    fields = {lab.field for lab in labels}
    core = {"types", "attendees", "receptionists", "content"}
    is_record = (bool(_title_search("".join(keys[:40]))) and len(fields & core) >= 1) or len(fields & core) >= 2
    head_text = "\n".join(t for t in raw_lines[:12])
    stock_code, short_name = _header_code(lines[:15])
    company = _company(lines[:12], keys[:12])
    if not is_record:
        return Record(source=source, kind="other", stock_code=stock_code, short_name=short_name,
                      company=company, dates=tuple(_dates_in(head_text)), format=fmt)

    values = _field_values(lines, keys, labels, noise, lex)
    _boxes_above(values, lines, keys, labels, noise, lex)
    _move_orphans(values, labels, lex)
    if "attendees" in values:
        values["attendees"] = _drop_repeated_cell(values["attendees"])
    warnings: list[str] = []
    record_no = _record_no(lines, keys, labels)
    types, other = _activity_types(values.get("types", []), lex)
    time_lines = values.get("time") or values.get("date") or []
    dates = tuple(_dates_in("\n".join(ln.text for ln in time_lines)))
    place = _join_value(values.get("place", []))
    receptionists = _receptionists(values.get("receptionists", []), lex)

    value_lines, attachment, section_note = _attendee_section(lines, keys, labels, values, noise)
    parsed: AttendeeParse = parse_attendee_lines(value_lines, lex) if value_lines or not attachment else None  # type: ignore[assignment]
    if attachment:
        in_attachment = parse_attendee_lines(attachment, lex)
        if parsed is None:
            parsed = in_attachment
        elif parsed.rows and in_attachment.rows:
            # the cell summarises (「中信证券、华泰证券等22家机构（详见附件）」), the attachment lists everyone
            summary = tuple(Unparsed(v.no, v.text, "summary of the attachment list") for v in value_lines
                            if v.text.strip())
            parsed = AttendeeParse(in_attachment.rows, in_attachment.unparsed, summary + in_attachment.skipped,
                                   _first(parsed.declared_institutions, in_attachment.declared_institutions),
                                   _first(parsed.declared_persons, in_attachment.declared_persons))
        else:
            parsed = AttendeeParse(parsed.rows + in_attachment.rows, parsed.unparsed + in_attachment.unparsed,
                                   parsed.skipped + in_attachment.skipped,
                                   _first(parsed.declared_institutions, in_attachment.declared_institutions),
                                   _first(parsed.declared_persons, in_attachment.declared_persons))
    if section_note:
        warnings.append(section_note)
    decl_i, decl_p = parsed.declared_institutions, parsed.declared_persons
    rec = Record(
        source=source, kind="ir_record", stock_code=stock_code, short_name=short_name, company=company,
        record_no=record_no, activity_types=types, activity_other=other, dates=dates, place=place,
        receptionists=receptionists, declared_institutions=decl_i, declared_persons=decl_p,
        attendees=parsed.rows, unparsed=parsed.unparsed, format=fmt,
        stock_code_source="printed" if stock_code else None,
    )
    if decl_i is not None and decl_i != rec.n_institutions:
        warnings.append(f"declared {decl_i} institutions, parsed {rec.n_institutions}")
    if decl_p is not None and decl_p != rec.n_persons:
        warnings.append(f"declared {decl_p} persons, parsed {rec.n_persons}")
    if not dates:
        month = _month_only("\n".join(ln.text for ln in time_lines))
        warnings.append(f"meeting date given to the month only ({month}); no date recorded" if month
                        else "no meeting date found")
    if not receptionists and (given := " ".join(v.text.strip() for v in values.get("receptionists", ())).strip()):
        warnings.append(f"receptionists field names no person: {given[:80]}")  # e.g. titles only (董事会秘书)
    return replace(rec, warnings=tuple(warnings), skipped=parsed.skipped)


# --------------------------------------------------------------------------- lines and labels


_LAYOUT_ROW = re.compile(r"^(\S[^\t]{0,24}?)(?:\s{3,}|\t+)(\S.*)$")
_LAYOUT_GAP = re.compile(r"\t|\s{3}")  # (searched in [1, 28)) what a _LAYOUT_ROW line holds after its label


def unlayout(lines: Sequence[Line], lex: Lexicon) -> list[Line]:
    """Undo the two-column layout of ``pdftotext -layout`` text.

    In such text each form row prints its label pieces at the left of the lines and the value at
    the right (「参与单位名称及      红土创新基金 廖知远」 / 「人员姓名            希瓦资产 钟诗涵」).
    Each row becomes its label pieces, then its value lines (every line keeps its number), which
    is how other extractions print it. Value lines printed above a label that sits in the middle
    of its cell (after a block of check boxes) move to that label. Text that is not laid out this
    way comes back unchanged.
    """
    frags = lex.label_fragments
    hits = sum(1 for ln in lines if _LAYOUT_GAP.search(ln.text, 1, 28) and (m := _LAYOUT_ROW.match(ln.text))
               and nkey(m.group(1)).lower() in frags)
    if hits < 3:
        return list(lines)
    out: list[Line] = []
    block: dict[str, list[Line]] | None = None  # {"lefts": [...], "rights": [...]}
    labels = [lab for lab, _ in lex.labels]

    def continues(key: str) -> bool:
        return any(lab.startswith(key) for lab in labels)

    def flush() -> None:
        nonlocal block
        if block:
            out.extend(block["lefts"])
            out.extend(block["rights"])
        block = None

    for ln in lines:
        text = ln.text
        m = _LAYOUT_ROW.match(text)
        left_key = nkey(m.group(1)).lower() if m else ""
        bare_key = nkey(text).lower()
        indent = len(text) - len(text.lstrip(" \t"))
        so_far = "".join(nkey(x.text).lower() for x in block["lefts"]) if block else ""
        if m and (left_key in frags or (block and len(left_key) == 1 and continues(so_far + left_key))) and (
                not text[:1].isspace()):
            piece, value = Line(ln.no, m.group(1).strip()), Line(ln.no, m.group(2).strip())
            if block and continues(so_far + left_key):
                block["lefts"].append(piece)
                block["rights"].append(value)
                continue
            moved = _orphans(block, lex) if block and any(lab.startswith(left_key) for lab in labels) else []
            flush()
            block = {"lefts": [piece], "rights": [*moved, value]}
            continue
        if block and text.strip() and indent >= 8:
            block["rights"].append(Line(ln.no, text.strip()))  # the value goes on below its label
            continue
        if block and text.strip() and not indent and bare_key in frags and continues(
                "".join(nkey(x.text).lower() for x in block["lefts"]) + bare_key):
            block["lefts"].append(Line(ln.no, text.strip()))  # the label's last piece, alone on its line
            continue
        flush()
        out.append(ln)
    flush()
    return out


def _orphans(block: dict[str, list[Line]], lex: Lexicon) -> list[Line]:
    """Value lines under a block of check boxes that carry no box: they belong to the next label."""
    rights = block["rights"]
    glyphs = lex.glyphs
    last_box = max((i for i, ln in enumerate(rights) if not glyphs.isdisjoint(ln.text)), default=-1)
    if last_box < 0 or last_box == len(rights) - 1:
        return []
    moved = rights[last_box + 1:]
    del rights[last_box + 1:]
    return moved


_WATERMARK = re.compile(r"巨潮资讯|cninfo\.com|^www\.|^https?://", re.I)


def _noise_lines(keys: Sequence[str]) -> set[int]:
    """Indexes of page numbers, watermarks and of page headers repeated later in the document."""
    noise = {i for i, k in enumerate(keys) if k and ((len(k) <= 13 and _PAGE_NUMBER.match(k)) or (
        ("." in k or "://" in k or "巨潮资讯" in k) and _WATERMARK.search(k)))}  # (what every watermark holds)
    heads = [k for k in keys[:4] if k][:3]
    title_seen = False
    for i, k in enumerate(keys):
        if i > 3 and k and k in heads and len(k) >= 4:
            noise.add(i)
        if k and _title_search(k) and len(k) <= 60:
            if title_seen:
                noise.add(i)  # the running header of later pages: 「…股份有限公司  投资者关系活动记录表」
            title_seen = True
    return noise


def _find_labels(lines: Sequence[Line], keys: Sequence[str], noise: set[int], lex: Lexicon) -> list[_Label]:
    found: list[_Label] = []
    seen: set[str] = set()
    in_content = False
    i = 0
    after_content = {"attachments", "date", "disclosure"}
    by_first = lex.labels_by_first
    by_second = lex._cached("_clipped_labels", lambda: _by_second_char(lex))
    while i < len(lines):
        if i in noise or not keys[i]:
            i += 1
            continue
        k0 = keys[i].lstrip("|").lower()
        if k0[:1] not in by_first and k0[:1] not in by_second and not _LABEL_NUMBERING.match(k0):
            i += 1  # no label, whole or clipped, starts with this character
            continue
        lab = _match_label(i, k0, keys, lines, lex, seen) or _match_clipped_label(i, k0, keys, lines, lex, seen)
        if lab and lab.field not in seen and (not in_content or lab.field in after_content):
            found.append(lab)
            seen.add(lab.field)
            if lab.field == "content":
                in_content = True
            i = lab.end + 1
            continue
        i += 1
    return found


_CLIPPED_LABEL_MIN = 8  # labels at least this long are recognised with their first character lost


def _match_clipped_label(i: int, k0: str, keys: Sequence[str], lines: Sequence[Line], lex: Lexicon,
                         seen: set[str]) -> _Label | None:
    """A long label whose first character the extraction lost (「资者关系活动主要内容介绍」): the field
    before it would otherwise run on into this one."""
    by_second = lex._cached("_clipped_labels", lambda: _by_second_char(lex))
    for lab, field in by_second.get(k0[:1], ()):
        if field not in seen and k0.startswith(lab[1:]):
            rest = _rest_after(lines[i].text, len(lab) - 1)
            if _label_boundary_ok(field, rest):
                return _skip_paren(_Label(field, i, i, rest, lab), keys, lines)
    return None


def _by_second_char(lex: Lexicon) -> dict[str, tuple[tuple[str, str], ...]]:
    out: dict[str, list[tuple[str, str]]] = {}
    for labs in lex.labels_by_first.values():
        for lab, field in labs:
            if len(lab) >= _CLIPPED_LABEL_MIN:
                out.setdefault(lab[1], []).append((lab, field))
    return {c: tuple(sorted(v, key=lambda x: -len(x[0]))) for c, v in out.items()}


_LABEL_NUMBERING = re.compile(r"^(?:[一二三四五六七八九十]{1,3}[、.．]|\d{1,2}[、.．]|[（(][一二三四五六七八九十\d]{1,2}[)）])")


def _match_label(i: int, k0: str, keys: Sequence[str], lines: Sequence[Line], lex: Lexicon,
                 seen: set[str]) -> _Label | None:
    """The label starting at line ``i`` (``k0``: its key without leading pipes, lower-cased), if any."""
    lead = 0
    if (num := _LABEL_NUMBERING.match(k0)) and lex.labels_by_first.get(k0[num.end():num.end() + 1]):
        lead, k0 = num.end(), k0[num.end():]  # 「一、 投资者关系活动类别」
    candidates = lex.labels_by_first.get(k0[:1], ())
    if not candidates:
        return None
    prefixes, longest = lex.label_prefixes[k0[:1]]
    # a label cut in two, each piece sharing its line with the value (PDF column order), looked for
    # first: the first piece may be a shorter label itself (「参与单位名称及」 / 「人员姓名」)
    if cut := _cut_label(i, lines, keys, candidates):
        return cut
    # a line longer than every label it could start is no label start or label piece: only the
    # label-cut-in-two case below can apply
    starts_label = k0.startswith(prefixes)
    for lab, field in candidates if starts_label or len(k0) <= longest else ():
        if k0.startswith(lab):
            rest = _rest_after(lines[i].text, lead + len(lab))
            if _label_boundary_ok(field, rest):
                typo = _misspelt_tail(lab, field, nkey(rest).lower(), keys[i + 1].lower() if i + 1 < len(keys) else "",
                                      candidates)
                if typo:  # 「参与单位名称和人」/「员性名」: the rest of a longer label, misspelt
                    return _Label(field, i, i + 1, "", lab)
                return _skip_paren(_Label(field, i, i, rest, lab), keys, lines)
        elif lab.startswith(k0) and len(k0) >= 2:
            remaining, j = lab[len(k0):], i + 1
            while j < len(keys) and j <= i + 5:
                kj = keys[j].lower()
                if not kj:
                    break
                if kj.startswith(remaining):
                    if is_header_key(kj):
                        break  # 「参与单位及人员」/「姓名 机构名称」: the next line is the table's header, not the label's end
                    rest = _rest_after(lines[j].text, len(remaining))
                    if _label_boundary_ok(field, rest):
                        return _skip_paren(_Label(field, i, j, rest), keys, lines)
                    break
                if remaining.startswith(kj):
                    remaining, j = remaining[len(kj):], j + 1
                    continue
                break
    # a wrapped label whose continuation is interleaved with its value (PDF column order):
    # "投资者关系活动" / <value lines> / "主要内容介绍" — accept it when only one unseen field fits.
    if len(k0) >= 4 and not starts_label and len(k0) <= longest:
        fields = {f for lab, f in candidates if lab.startswith(k0) and lab != k0} - seen
        if len(fields) == 1:
            return _Label(fields.pop(), i, i, "")
    return None


def _cut_label(i: int, lines: Sequence[Line], keys: Sequence[str],
               candidates: Sequence[tuple[str, str]]) -> _Label | None:
    """「参与单位名称 中信证券：王喆」 / 「及人员姓名 国泰海通证券：鲍雁辛」: the first word of line ``i`` and
    that of the next line spell a label; the rest of both lines is its value."""
    words = lines[i].text.split()
    head = nkey(words[0]).lower() if len(words) > 1 and i + 1 < len(keys) else ""
    if len(head) < 4:
        return None
    nxt = lines[i + 1].text.split()
    for lab, field in candidates:
        if lab.startswith(head) and lab != head and nxt and nkey(nxt[0]).lower() == lab[len(head):]:
            rest = lines[i].text.split(None, 1)[1] + "\n" + (lines[i + 1].text.split(None, 1)[1:] or [""])[0]
            return _Label(field, i, i + 1, rest)
    return None


def _misspelt_tail(lab: str, field: str, rest: str, nxt: str, candidates: Sequence[tuple[str, str]]) -> bool:
    """Do ``rest`` and the next line spell, with at most two typos, what a longer label adds to ``lab``?"""
    if not rest or len(rest) > 6 or not nxt or len(nxt) > 6:
        return False
    from rapidfuzz.distance import Levenshtein

    joined = rest + nxt
    return any(f == field and x.startswith(lab) and len(x) - len(lab) >= 3
               and Levenshtein.distance(joined, x[len(lab):]) <= 2 for x, f in candidates)


def _label_boundary_ok(field: str, rest: str) -> bool:
    r = rest.strip()
    if not r:
        return True
    if r[0] in ":：|(（":
        return True
    # inline values: "时间 2026年…", "地点 公司会议室", "参与单位名称 国海证券…"
    return rest[:1].isspace() or field in ("time", "date", "place", "receptionists", "attendees")


def _rest_after(text: str, n_key_chars: int) -> str:
    """The raw text after the first ``n_key_chars`` characters of its NFKC, whitespace-free key."""
    count = 0
    for pos, ch in enumerate(text):
        if count >= n_key_chars:
            return text[pos:]
        if not ch.isspace():
            count += len(unicodedata.normalize("NFKC", ch))
    return ""


def _skip_paren(lab: _Label, keys: Sequence[str], lines: Sequence[Line]) -> _Label:
    """Skip a parenthetical that continues the label, e.g. 「（无排名\\n先后）」 or 「（如有）」."""
    rest = lab.rest.strip()
    end = lab.end
    if not rest.startswith(("(", "（")):
        rest = rest.lstrip(":：| \t")
    elif close := re.search(r"[)）]", rest):
        inner = rest[1 : close.start()]
        # (a bracket followed by a list separator ends the first item: 「（姚遥）、天弘基金…」 gives the
        # person of the institution printed above a centred label)
        if len(inner) <= 12 and not re.search(r"[、，,]", inner) and not re.match(
                r"\s*[、，,；;]", rest[close.end():]):
            rest = rest[close.end():].lstrip(":：| \t")
    else:
        for j in range(lab.end + 1, min(lab.end + 3, len(lines))):
            m = re.search(r"[)）]", lines[j].text)
            if m and len(keys[j]) <= 12:
                end, rest = j, lines[j].text[m.end():].lstrip(":：| \t")
                break
    return _Label(lab.field, lab.line, end, rest, lab.label)


def _longer_labels(label: str, field: str, lex: Lexicon) -> tuple[str, ...]:
    """What the longer labels of ``field`` that start with ``label`` add to it (remembered per lexicon)."""
    memo: dict[tuple[str, str], tuple[str, ...]] = lex._cached("_longer_labels", dict)
    got = memo.get((label, field))
    if got is None:
        got = memo[label, field] = tuple(x[len(label):] for x, f in lex.labels
                                         if f == field and x.startswith(label) and x != label)
    return got


def _field_values(lines: Sequence[Line], keys: Sequence[str], labels: Sequence[_Label],
                  noise: set[int], lex: Lexicon) -> dict[str, list[Line]]:
    """Value lines of each field: the rest of the label line, then every line up to the next label."""
    out: dict[str, list[Line]] = {}
    for n, lab in enumerate(labels):
        stop = labels[n + 1].line if n + 1 < len(labels) else len(lines)
        vals: list[Line] = []
        if "\n" in lab.rest:
            first, second = lab.rest.split("\n", 1)
            vals += [Line(lines[lab.line].no, first), Line(lines[lab.end].no, second)]
        elif lab.rest.strip():
            vals.append(Line(lines[lab.end].no, lab.rest))
        longer = _longer_labels(lab.label, lab.field, lex) if lab.label else ()
        for j in range(lab.end + 1, stop):
            if j in noise:
                continue
            ln = lines[j]
            if longer and j <= lab.end + 2:  # the label's other piece shares the line: 「及人员姓名 国泰海通证券…」
                k = keys[j].lower()
                tail = next((t for t in longer if k.startswith(t) and len(k) > len(t)), None) if not is_header_key(
                    k) else None
                if tail:
                    ln = Line(ln.no, _rest_after(ln.text, len(tail)))
            vals.append(ln)
        out[lab.field] = vals
    return out


def _boxes_above(values: dict[str, list[Line]], lines: Sequence[Line], keys: Sequence[str],
                 labels: Sequence[_Label], noise: set[int], lex: Lexicon) -> None:
    """Check-box lines printed right above the 活动类别 label (a label centred in its cell, PDF column
    order: 「√特定对象调研  □分析师会议」 / 「投资者关系活动  □媒体采访」 / 「类别  □新闻发布会」) are its value."""
    lab = next((x for x in labels if x.field == "types"), None)
    if lab is None or "types" not in values:
        return
    before = [x for x in labels if x.line < lab.line]
    floor = max((x.end for x in before), default=-1)
    glyphs = lex.glyphs
    j, above = lab.line - 1, []
    while j > floor and keys[j] and j not in noise and not glyphs.isdisjoint(lines[j].text) and any(
            a in lines[j].text for a in lex.activities):
        above.append(lines[j])
        j -= 1
    if not above:
        return
    taken = {ln.no for ln in above}
    for x in before:  # the field above ran on to the label: the boxes are no longer its value
        if x.field in values:
            values[x.field] = [ln for ln in values[x.field] if ln.no not in taken]
    values["types"] = above[::-1] + values["types"]


def _move_orphans(values: dict[str, list[Line]], labels: Sequence[_Label], lex: Lexicon) -> None:
    """Lines under the check boxes that are no box belong to a 参与单位 label centred below them."""
    order = [lab.field for lab in labels]
    if "types" not in values or "attendees" not in values or order.index("attendees") != order.index("types") + 1:
        return
    types = values["types"]
    boxed = [i for i, ln in enumerate(types) if not lex.glyphs.isdisjoint(ln.text)
             or any(a in ln.text for a in lex.activities)]
    if not boxed or boxed[-1] == len(types) - 1:
        return
    moved = [ln for ln in types[boxed[-1] + 1:] if ln.text.strip()]
    if moved and not any(_title_search(nkey(ln.text)) for ln in moved):
        values["types"] = types[: boxed[-1] + 1]
        values["attendees"] = moved + values["attendees"]


def _drop_repeated_cell(vals: list[Line]) -> list[Line]:
    """A merged cell printed twice by a DOCX-to-text export (「…方建国<TAB>中金公司：…」 then the same list): once."""
    for k, ln in enumerate(vals):
        if "\t" not in ln.text.strip():
            continue
        before, after = ln.text.strip().split("\t", 1)
        first = [v.text for v in vals[:k]] + [before]
        second = [after] + [v.text for v in vals[k + 1:]]
        if [nkey(t) for t in first if nkey(t)] == [nkey(t) for t in second if nkey(t)] and nkey(before):
            return [*vals[:k], Line(ln.no, before)]
    return vals


def _join_value(vals: Sequence[Line]) -> str | None:
    parts = [" ".join(v.text.split()) for v in vals if v.text.strip()]
    return "; ".join(parts) if parts else None


# --------------------------------------------------------------------------- header fields


def _header_code(lines: Sequence[Line]) -> tuple[str | None, str | None]:
    code = short = None
    for ln in lines:
        t = unicodedata.normalize("NFKC", ln.text)
        low = t.lower()  # (the words each pattern needs, tested before it)
        if code is None and ("代码" in t or "code" in low) and (m := _CODE.search(t)):
            code = m.group(1)
        if short is None and ("简称" in t or "abbrev" in low or "name" in low) and (m := _SHORT.search(t)):
            short = (m.group(1) or m.group(2)).strip()
    return code, short


def _company(lines: Sequence[Line], keys: Sequence[str]) -> str | None:
    for n, k in enumerate(keys):
        m = _title_search(k)
        if not m or not _CJK_RE.search(k[: m.start()] or "中"):
            continue
        before = k[: m.start()]
        cm = _COMPANY.match(before)
        if cm:
            return _printed(lines[n].text, cm.group(1))
        for j in range(n - 1, max(-1, n - 3), -1):
            cm = _COMPANY.match(keys[j])
            if cm and cm.group(1) == keys[j]:
                return _printed(lines[j].text, cm.group(1))
    for n, k in enumerate(keys):
        cm = _COMPANY.match(k)
        if cm and cm.group(1) == k and not re.search(r"全景|网络有限公司|信息技术", k):
            return _printed(lines[n].text, k)
        em = _COMPANY_EN.match(lines[n].text.strip())
        if em:
            return em.group(1)
    return None


def _printed(raw: str, key: str) -> str:
    """The printed form of ``key`` inside ``raw`` (spaces removed, characters as printed)."""
    text = "".join(raw.split())
    return text[: len(key)] if nkey(text[: len(key)]) == key else key


def _record_no(lines: Sequence[Line], keys: Sequence[str], labels: Sequence[_Label]) -> str | None:
    first_label = labels[0].line if labels else min(len(keys), 10)
    for n in range(min(len(keys), max(first_label, 1) + 2)):
        m = _RECORD_NO.search(unicodedata.normalize("NFKC", lines[n].text).replace(" ", ""))
        if m:
            return m.group(1).rstrip("。.")
    for n in range(min(first_label, len(keys))):
        if _BARE_RECORD_NO.match(keys[n]):
            return keys[n]
    return None


# --------------------------------------------------------------------------- activity types


_PLEASE_SPECIFY = re.compile(r"[（(][^（()）]*(?:请文字说明|请说明|please\s+specify)[^（()）]*[）)]", re.I)


def _types_patterns(lex: Lexicon) -> tuple[re.Pattern[str], re.Pattern[str]]:
    """The 其他 item with its text, and any glyph or category (made once per lexicon)."""
    glyph_class = "".join(re.escape(g) for g in sorted(lex.glyphs))
    other = re.compile(r"(?:其[他它]|Others?\b)[ \t]*[:：]?[ \t]*[（(]?([^" + glyph_class + r"）)\n]*)[）)]?")
    tokens = re.compile("|".join([*(re.escape(g) for g in sorted(lex.glyphs)), *map(re.escape, lex.activities)]))
    return other, tokens


def _glyph_patterns(lex: Lexicon) -> tuple[tuple[str, str, re.Pattern[str] | None], ...]:
    """(letter, box, pattern for a letter that counts only right before a category, else None)."""
    cats = "|".join(map(re.escape, lex.activities))
    return tuple(
        (alias, "☑" if state.startswith("checked") else "☐",
         re.compile(rf"(?<![A-Za-z]){re.escape(alias)}(?=(?:{cats}))") if state.endswith("adjacent") else None)
        for alias, state in lex.glyph_aliases)


def _activity_types(vals: Sequence[Line], lex: Lexicon) -> tuple[tuple[str, ...] | None, str | None]:
    """Checked categories and the text of 其他; ``None`` when the boxes cannot be read."""
    text = "\n".join(v.text for v in vals)
    if not text.strip():
        return None, None
    text = _glyph_aliases(text, lex)
    if lex.box_words and any(w in text for w, _ in lex.box_words):
        text = _box_words(text, lex)
    if "说明" in text or "pec" in text.lower():  # what every _PLEASE_SPECIFY note holds
        text = _PLEASE_SPECIFY.sub(" ", text)
    other_re, token_re = lex._cached("_types_res", lambda: _types_patterns(lex))
    other_text: str | None = None
    m = other_re.search(text)
    if m:
        other_text = _clean_other(m.group(1))
        tail = text[m.end():]
        if other_text is None and (below := _other_below(text[: m.start()], tail, lex)):
            other_text, tail = below, ""
        text = text[: m.start()] + "其他" + " " * 2 + tail
    tokens = [(t.group(0), t.start(), t.end()) for t in token_re.finditer(text)]
    cats = [i for i, (t, _, _) in enumerate(tokens) if t not in lex.glyphs]
    if not cats:
        return None, other_text
    if len(cats) == len(tokens) and _written_out(text, [tokens[i] for i in cats]):
        return tuple(dict.fromkeys(tokens[i][0] for i in cats)), other_text

    def glyph_state(j: int, gap: str) -> str | None:
        if 0 <= j < len(tokens) and tokens[j][0] in lex.glyphs and not gap.strip():
            return "checked" if tokens[j][0] in lex.checked else "unchecked"
        return None

    before = {i: glyph_state(i - 1, text[tokens[i - 1][2]:tokens[i][1]] if i else "x") for i in cats}
    after = {i: glyph_state(i + 1, text[tokens[i][2]:tokens[i + 1][1]] if i + 1 < len(tokens) else "x") for i in cats}
    # glyphs usually stand before their category; some forms print them after (「特定对象调研■」)
    n_before = sum(1 for i in cats if before[i] and text[tokens[i][1] - 1:tokens[i][1]] in lex.glyphs)
    n_after = sum(1 for i in cats if after[i] and text[tokens[i][2]:tokens[i][2] + 1] in lex.glyphs)
    states = after if n_after > n_before else before
    items = [(tokens[i][0], states[i]) for i in cats]
    checked = [c for c, st in items if st == "checked"]
    unchecked = [c for c, st in items if st == "unchecked"]
    bare = [c for c, st in items if st is None]
    if checked and not bare:
        chosen = checked
    elif checked and bare and not unchecked:
        chosen = checked  # only check marks survived: a glyph-less item is an unchecked box
    elif unchecked and bare and not checked:
        chosen = bare  # the unchecked boxes survived, the checked glyph was lost
    elif not checked and not bare:
        chosen = []  # every box legible and empty
    else:
        return None, other_text
    return tuple(dict.fromkeys(chosen)), other_text


_WRITTEN_OUT_MAX = 3  # a printed form lists all its categories; a value naming at most three is written out
_WORD_SEPARATORS = re.compile(r"[\s、，,；;/／及和与]*")


def _written_out(text: str, cats: Sequence[tuple[str, int, int]]) -> bool:
    """The categories are written out in words (「特定对象调研、现场参观」): no box anywhere, at most
    :data:`_WRITTEN_OUT_MAX` of them, nothing else in the field but separators, and between two of them a
    separator that is no space (a form whose boxes were lost prints its categories apart by spaces alone)."""
    if len(cats) > _WRITTEN_OUT_MAX:
        return False
    gaps = [text[: cats[0][1]], text[cats[-1][2]:], *(text[a[2]: b[1]] for a, b in itertools.pairwise(cats))]
    if not all(_WORD_SEPARATORS.fullmatch(g) for g in gaps):
        return False
    return all(g.strip() for g in gaps[2:])


def _other_below(before: str, tail: str, lex: Lexicon) -> str | None:
    """The text of a checked 其他 printed on the lines below it (「■其他（请文字说明其他活动内容）」 + 「电话会议」):
    the rest of the field when 其他 ends its line, its box is checked and no box follows."""
    head, nl, rest = tail.partition("\n")
    if not nl or head.strip(" \t\u3000：:") or before.rstrip()[-1:] not in lex.checked:
        return None
    if any(ch in lex.glyphs for ch in rest):
        return None
    return _clean_other(" ".join(rest.split()))


def _box_words(text: str, lex: Lexicon) -> str:
    """A 「是否」 column: 「特定对象调研    是」 -> 「☑特定对象调研」, 「分析师会议    否」 -> 「☐分析师会议」."""
    def pattern(lex: Lexicon) -> re.Pattern[str]:
        cats = "|".join(map(re.escape, lex.activities))
        words = "|".join(re.escape(w) for w, _ in lex.box_words)
        return re.compile(rf"(?m)({cats})[ \t\u3000|｜]+({words})[ \t\u3000|｜]*$")

    marks = {w: ("☑" if state == "checked" else "☐") for w, state in lex.box_words}
    return lex._cached("_box_word_re", lambda: pattern(lex)).sub(lambda m: marks[m.group(2)] + m.group(1), text)


def _glyph_aliases(text: str, lex: Lexicon) -> str:
    """Wingdings boxes extracted as Latin letters (þ ¨ from Wingdings, R £ from Wingdings 2) -> ☑ / ☐."""
    for alias, mark, adjacent in lex._cached("_glyph_res", lambda: _glyph_patterns(lex)):
        if alias in text:
            # a letter counts only right before a category: 「R特定对象调研」
            text = adjacent.sub(mark, text) if adjacent is not None else text.replace(alias, mark)
    return text


def _clean_other(s: str) -> str | None:
    s = s.strip().strip("：:（()）").strip()
    if not s or re.search(r"请文字说明|请说明|文字说明|其他活动内容|please\s+specify", s, re.I) or re.fullmatch(r"[_\s＿]*", s):
        return None
    return s


# --------------------------------------------------------------------------- dates

_FULL = re.compile(r"(\d{4})\s*[年./\-]\s*(\d{1,2})\s*[月./\-]\s*(\d{1,2})\s*日?")
_MONTH_DAY = re.compile(r"(?<!\d)(\d{1,2})\s*月\s*(\d{1,2})\s*日")
_DAY = re.compile(r"(?<![\d:：.])(\d{1,2})\s*日")
_CLOCK = re.compile(r"\d{1,2}\s*[:：]\s*\d{2}")  # 14:00, 13：30
_CLOCK_CN = re.compile(r"\d{1,2}\s*点(?:\s*\d{1,2}\s*分)?")  # 10点00分
_ANY_DATE = re.compile(f"{_FULL.pattern}|{_MONTH_DAY.pattern}|{_DAY.pattern}")
_SEP_BEFORE_DAY = re.compile(r"[、，,\-—–~～至到及和]\s*$")


_MONTHS = {m: i for i, m in enumerate(("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov",
                                         "dec"), start=1)}
_EN_DATE = re.compile(r"\b(?:(\d{1,2})\s+)?(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)[a-z]*\.?\s*(\d{1,2})?,?\s+(\d{4})\b",
                      re.I)


_YEAR_MONTH = re.compile(r"(\d{4})\s*年\s*(\d{1,2})\s*月(?!\s*\d)")


def _month_only(text: str) -> str | None:
    """「2026年7月」「2026年7月份」 -> "2026-07": a time field that names a month but no day."""
    m = _YEAR_MONTH.search(unicodedata.normalize("NFKC", text))
    if m and 1 <= int(m.group(2)) <= 12:
        return f"{m.group(1)}-{int(m.group(2)):02d}"
    return None


_CN_DIGIT = {ch: i for i, ch in enumerate("零一二三四五六七八九")} | {"〇": 0, "○": 0}
_CN_YEAR = re.compile(r"([零〇○一二三四五六七八九]{4})(\s*年)")
_CN_MONTH_DAY = re.compile(r"([一二三四五六七八九十]{1,3})(\s*[月日])")


def _cn_number(s: str) -> str:
    """「五」 5, 「十二」 12, 「二十」 20, 「三十一」 31 (as digits); anything else unchanged."""
    if "十" not in s:
        return str(_CN_DIGIT[s]) if len(s) == 1 else s
    tens, _, units = s.partition("十")
    if len(tens) > 1 or len(units) > 1 or "十" in units:
        return s
    return str(10 * (_CN_DIGIT[tens] if tens else 1) + (_CN_DIGIT[units] if units else 0))


def _cn_dates(t: str) -> str:
    """Dates written in Chinese numerals (「二〇二六年三月五日」) as digits; only where a year is written so."""
    if not _CN_YEAR.search(t):
        return t
    t = _CN_YEAR.sub(lambda m: "".join(str(_CN_DIGIT[c]) for c in m.group(1)) + m.group(2), t)
    return _CN_MONTH_DAY.sub(lambda m: _cn_number(m.group(1)) + m.group(2), t)


def _dates_in(text: str) -> list[str]:
    """Every date in a 时间 field, ranges as their two endpoints; clock times are ignored."""
    t = unicodedata.normalize("NFKC", text)
    if "年" in t:
        t = _cn_dates(t)
    english = []
    for m in _EN_DATE.finditer(t):  # 「April 29, 2025」, 「29 April 2025」
        day = m.group(3) or m.group(1)
        if day:
            with contextlib.suppress(ValueError):
                english.append(dt.date(int(m.group(4)), _MONTHS[m.group(2)[:3].lower()], int(day)).isoformat())
    if english:
        return sorted(set(english))
    t = _CLOCK.sub(" ", t)
    t = _CLOCK_CN.sub(" ", t)
    found: list[tuple[int, str]] = []
    year = month = None
    pos = 0
    for m in _ANY_DATE.finditer(t):
        if m.group(1):
            year, month, day = int(m.group(1)), int(m.group(2)), int(m.group(3))
        elif m.group(4):
            if year is None:
                continue
            month, day = int(m.group(4)), int(m.group(5))
        else:
            if year is None or month is None or not _SEP_BEFORE_DAY.search(t[pos: m.start()] or t[max(0, m.start() - 3): m.start()]):
                pos = m.end()
                continue
            day = int(m.group(6))
        pos = m.end()
        try:
            found.append((m.start(), dt.date(year, month, day).isoformat()))
        except ValueError:
            continue
    return sorted({d for _, d in found})


# --------------------------------------------------------------------------- receptionists

_HONORIFIC = re.compile(r"(先生|女士|老师|博士)$")


def _receptionists(vals: Sequence[Line], lex: Lexicon) -> tuple[tuple[str, str | None], ...]:
    out: list[tuple[str, str | None]] = []
    text = "\n".join(v.text for v in vals)
    pieces = re.split(r"[；;，,\n。]|(?<=[\u4e00-\u9fff])\s{2,}(?=\S+\s{2,}|\S{2,4}$)", text)
    pending_title: str | None = None
    for piece in pieces:
        piece = re.sub(r"^\s*(?:\d{1,2}\s*[、.．)）]|[（(]\d{1,2}[)）])\s*", "", piece).strip()
        if not piece:
            continue
        if m := re.match(r"^(.{1,30}?)[:：]\s*(.+)$", piece):
            title, names = m.group(1).strip(), m.group(2)
            for name in re.split(r"[\s、]+", names):
                name = _HONORIFIC.sub("", name.strip())
                if 2 <= len(name) <= 4:
                    out.append((name, title))
            continue
        parts = piece.split()
        if len(parts) >= 2 and (split := _split_title_name(_HONORIFIC.sub("", parts[-1]), lex)):
            out.append((split[1], split[0]))
            continue
        if len(parts) >= 2:
            first, last = _HONORIFIC.sub("", parts[0]), _HONORIFIC.sub("", parts[-1])
            if _looks_title(" ".join(parts[:-1]), lex) and 2 <= len(last) <= 4:
                out.append((last, " ".join(parts[:-1])))
                continue
            if len(first) <= 4 and _looks_title(" ".join(parts[1:]), lex):
                out.append(("".join(parts[:1]), " ".join(parts[1:])))
                continue
            if all(len(_HONORIFIC.sub("", p)) <= 4 for p in parts[1:]) and not _looks_title(parts[0], lex):
                piece = "".join(parts)
            else:
                piece = parts[-1] if _looks_title(parts[0], lex) else piece
        piece = _HONORIFIC.sub("", piece)
        split = _split_title_name(piece, lex)
        if split:
            title, name = split
            out.append((name, title or pending_title))
        elif 2 <= len(piece) <= 4 and not _looks_title(piece, lex):
            out.append((piece, pending_title))
        elif _looks_title(piece, lex):
            pending_title = piece
    return tuple(dict.fromkeys(out))


_TITLE_WORDS = ("董事长", "副董事长", "总经理", "副总经理", "总裁", "副总裁", "董事会秘书", "董秘", "财务总监", "财务负责人",
                "证券事务代表", "首席财务官", "首席执行官", "首席营销官", "独立董事", "董事", "监事", "投资者关系", "经理", "总监",
                "负责人", "秘书", "主任", "部长", "助理", "代表", "总会计师", "专员", "主管", "CEO", "CFO", "COO", "CTO")


def _looks_title(s: str, lex: Lexicon) -> bool:
    s = s.strip()
    return bool(s) and (any(w in s for w in _TITLE_WORDS) or s in lex.titles)


def _split_title_name(piece: str, lex: Lexicon) -> tuple[str, str] | None:
    """「董事会秘书徐文杰」 -> ("董事会秘书", "徐文杰"): the name is what follows the last title word."""
    best = -1
    for w in _TITLE_WORDS:
        idx = piece.rfind(w)
        if idx >= 0:
            best = max(best, idx + len(w))
    if best <= 0:
        return None
    name = piece[best:].strip()
    if 2 <= len(name) <= 4 and re.fullmatch(r"[\u4e00-\u9fff·]+", name):
        title = re.sub(r"^(?:公司|[^\s]{2,6}\s)", "", piece[:best]).strip()
        return title, name
    return None


# --------------------------------------------------------------------------- attendee section

_ATTACH_START = re.compile(
    r"^(?:附件|附表|附录|附)[一二三四五六七八九十\d]*[:：]|^附(?:件|表|录)?[一二三\d]*[《<]|^附(?:件|表)[一二三\d]*$"
)
_LIST_TITLE = re.compile(r"^(?:参会|与会|调研|来访|参与|参加)(?:机构|单位|人员|投资者)*(?:及人员)?(?:名单|清单|名录)")
_ATTACH_TOPIC = re.compile(r"人员|名单|机构|单位|清单|参会|与会|调研|来访|投资者")
def _attendee_section(lines: Sequence[Line], keys: Sequence[str], labels: Sequence[_Label],
                      values: dict[str, list[Line]], noise: set[int]) -> tuple[list[Line], list[Line], str | None]:
    """The lines holding attendees: (the 参与单位 value, the attachment it refers to, a warning)."""
    value = values.get("attendees", [])
    # a record without a 主要内容 label: its questions and answers end the list
    qa = next((n for n, v in enumerate(value) if n and _QA_START.match(nkey(v.text))), None)
    if qa is not None:
        value = value[:qa]
    value_text = "".join(nkey(v.text) for v in value)
    attachment = _attachment_lines(lines, keys, labels, noise)
    refers = bool(_REFERENCE.search(value_text))
    if attachment and (refers or not value_text or not _has_names(value_text)):
        return value, attachment, None
    if not value_text:
        inline = _list_in_content(values.get("content", []))
        if inline:
            return inline, [], None
    if refers and not attachment:
        # 「详见投资者关系活动主要内容介绍」: the list is written in the content (「本次调研机构包括：…」)
        inline = _list_in_content(values.get("content", [])) if not _has_table_rows(value) else []
        if inline:
            first = inline[0].text.strip()
            if m := _INLINE_LIST.match(first):  # 「本次调研机构包括：」 is the lead-in, no attendee
                inline = [replace(inline[0], text=first[m.end():]), *inline[1:]]
            return inline, [], None
        if _has_table_rows(value):
            return value, [], None  # 「见下表」 and the table right below it, inside the cell
        return value, [], "the attendee list refers to an attachment that is not in this file"
    return value, [], None


def _has_table_rows(value: Sequence[Line]) -> bool:
    """Does the 参与单位 cell hold table rows itself (two or more pipe rows below a 「见下表」)?"""
    return sum(1 for v in value if v.text.count("|") >= 1) >= 2


_QA_START = re.compile(r"^(?:问|答|提问|回答|Q\d{0,2}|A\d{0,2})[:：]")
_INLINE_LIST = re.compile(r"^(?:本次)?(?:参会|参与|调研|来访|与会|出席)(?:机构|单位|人员|投资者)(?:名单)?(?:及人员)?(?:包括|有|为)?[:：]")
_CONTENT_HEADING = re.compile(r"^(?:[一二三四五六七八九十]{1,3}[、.．]|\d{1,2}[、.．]|问|答|Q\d*[:：.、]|A\d*[:：.、]|提问|回答)")


def _list_in_content(content: Sequence[Line]) -> list[Line]:
    """An empty 参与单位 cell with the list written in the content: 「参会机构：中信证券、中金公司…」."""
    for n, ln in enumerate(content):
        if _INLINE_LIST.match(nkey(ln.text)):
            out = [ln]
            for nxt in content[n + 1:]:
                k = nkey(nxt.text)
                if not k or _CONTENT_HEADING.match(k):
                    break
                out.append(nxt)
            return out
    return []


def _has_names(key: str) -> bool:
    stripped = re.sub(r"\d+|家|机构|人|共|名|位|本次|参会|参与|单位|人员|合计|总计|，|,|。|、|具体|详见|见|附件|附录|文后", "", key)
    return len(stripped) >= 4


def _attachment_lines(lines: Sequence[Line], keys: Sequence[str], labels: Sequence[_Label],
                      noise: set[int]) -> list[Line]:
    """Lines of an attendee attachment after the form (附件：《与会人员清单》, 序号 单位 姓名 …)."""
    content = next((lab for lab in labels if lab.field == "content"), None)
    start_search = content.end + 1 if content else (labels[-1].end + 1 if labels else 0)
    label_starts = sorted(lab.line for lab in labels)

    def stop_after(i: int) -> int:
        return next((s for s in label_starts if s > i), len(lines))

    for i in range(start_search, len(lines)):
        k = keys[i]
        if not k or i in noise:
            continue
        starts = (k.startswith("附") and _ATTACH_START.match(k) and not k.startswith("附件清单") and (
            _ATTACH_TOPIC.search(k) or (len(k) <= 4 and _list_follows(keys, i)))) or (
            k[:1] in "参与调来" and _LIST_TITLE.match(k)) or is_header_key(k) or (
            len(k) <= 6 and i + 1 < len(keys) and is_header_key(k + keys[i + 1]))
        if not starts:
            continue
        body = _attachment_body(lines, keys, noise, i, stop_after(i))
        # a mere mention (the 附件清单 cell saying 「附件：参会人员名单」) has no list under it
        if sum(1 for ln in body[1:] if ln.text.strip()) >= 1:
            return body
    return []


def _list_follows(keys: Sequence[str], i: int) -> bool:
    """Does the next non-empty line of the two after ``i`` title a list or head a table?"""
    nxt = next((keys[j] for j in range(i + 1, min(i + 3, len(keys))) if keys[j]), "")
    return bool(_LIST_TITLE.match(nxt) or is_header_key(nxt))


def _attachment_body(lines: Sequence[Line], keys: Sequence[str], noise: set[int], start: int,
                     stop: int) -> list[Line]:
    return [lines[j] for j in range(start, stop) if j not in noise]


# --------------------------------------------------------------------------- stock codes


def load_companies(path: str | Path) -> dict[str, str]:
    """Read a ``--companies`` CSV (columns code/代码 and short_name/名称 and/or company/公司全称) -> name → code."""
    out: dict[str, str] = {}
    try:
        with open(path, encoding="utf-8-sig", newline="") as f:
            reader = csv.DictReader(f)
            cols = [c.strip() for c in (reader.fieldnames or [])]
            code_col = next((c for c in cols if c.lower() in ("code", "stock_code", "代码", "证券代码", "ts_code")), None)
            if code_col is None:
                raise InputError(f"{path}: no code column (expected code / 代码 / 证券代码)")
            name_cols = [c for c in cols if c.lower() in ("short_name", "name", "company", "名称", "证券简称", "公司全称", "公司名称")]
            for n, row in enumerate(reader, start=2):
                code = re.sub(r"\D", "", (row.get(code_col) or "").split(".")[0])
                if len(code) != 6:
                    raise InputError(f"{path}:{n}: {row.get(code_col)!r} is not a 6-digit stock code")
                for c in name_cols:
                    if row.get(c):
                        out[nkey(row[c])] = code
    except OSError as e:
        raise InputError(f"{path}: cannot read companies file: {e.strerror or e}") from None
    return out


#: ``nkey(name)`` → (code, current short name) of the bundled table; a name several codes share maps to None.
_NameMap = dict[str, tuple[str, str] | None]


@cache
def _bundled_companies() -> tuple[_NameMap, _NameMap]:
    """The bundled A-share table ``data/companies.csv`` as (full names, short names), read once.

    Full names are ``company`` and ``former_companies``, short names ``short_name`` and
    ``former_short_names`` (``;``-joined). A missing or unreadable table gives two empty maps.
    """
    from irgraph._resources import data_path

    full: _NameMap = {}
    short: _NameMap = {}
    try:
        with open(data_path("companies.csv"), encoding="utf-8-sig", newline="") as f:
            for row in csv.DictReader(f):
                code, current = (row.get("code") or "").strip(), (row.get("short_name") or "").strip()
                if not re.fullmatch(r"\d{6}", code):
                    continue
                for names, table in ((("company", "former_companies"), full),
                                     (("short_name", "former_short_names"), short)):
                    for col in names:
                        for name in (row.get(col) or "").split(";"):
                            if key := nkey(name):
                                seen = table.get(key, (code, current))
                                table[key] = (code, current) if seen and seen[0] == code else None
    except (OSError, csv.Error, UnicodeDecodeError):
        return {}, {}
    return full, short


def _bundled_code(r: Record) -> Record:
    """``r`` with the code the bundled table gives its full name or, failing that, its short name."""
    full, short = _bundled_companies()
    for name, table in ((r.company, full), (r.short_name, short)):
        hit = table.get(nkey(name)) if name else None
        if hit:
            return replace(r, stock_code=hit[0], short_name=r.short_name or hit[1] or None,
                           stock_code_source="bundled_companies")
    return r


def recover_stock_codes(records: Iterable[Record], companies: dict[str, str] | None = None) -> tuple[Record, ...]:
    """Fill missing stock codes from other records of the same company in the run, a companies table,
    or, last, the bundled table of A-share companies (``data/companies.csv``).

    Never invents a code: a record gets one only when exactly one code is known for its
    company's full name (or short name).
    """
    records = tuple(records)
    known: dict[str, set[tuple[str, str | None]]] = {}
    for r in records:
        if r.stock_code:
            for name in (r.company, r.short_name):
                if name:
                    known.setdefault(nkey(name), set()).add((r.stock_code, r.short_name))
    out: list[Record] = []
    for r in records:
        if r.stock_code or r.kind != "ir_record" or r.error:
            out.append(r)
            continue
        for name in (r.company, r.short_name):
            if not name:
                continue
            found = known.get(nkey(name), set())
            codes = {c for c, _ in found}
            if len(codes) == 1:
                shorts = {s for _, s in found if s}
                short = r.short_name or (next(iter(shorts)) if len(shorts) == 1 else None)
                r = replace(r, stock_code=codes.pop(), short_name=short, stock_code_source="recovered")
                break
            if companies and nkey(name) in companies:
                r = replace(r, stock_code=companies[nkey(name)], stock_code_source="companies_csv")
                break
        else:
            r = _bundled_code(r)
        out.append(r)
    return tuple(out)
