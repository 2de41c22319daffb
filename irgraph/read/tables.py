"""Vendor survey tables (akshare / Eastmoney, Tushare) as records, told by their columns.

* **akshare** ``stock_jgdy_detail_em`` (东方财富 机构调研详细): columns 序号, 代码, 名称, 最新价, 涨跌幅,
  调研机构, 机构类型, 调研人员, 接待方式, 接待人员, 接待地点, 调研日期, 公告日期.  One row per
  institution and survey; 调研人员 lists that institution's persons (``,``/``、`` separated).  Rows of
  one company with the same 调研日期, 公告日期 and 接待方式 form one record.
* **akshare** ``stock_jgdy_tj_em`` (机构调研统计): 代码, 名称, 接待机构数量, 接待方式, 接待人员,
  接待地点, 接待日期, 公告日期.  One row per survey and no attendee names: each row becomes a record
  with ``declared_institutions`` and no attendees (status ``no_attendees``).
* **Tushare** ``stk_surv``: ts_code, name, surv_date, fund_visitors, rece_place, rece_mode,
  rece_org, org_type, comp_rece (content).  Despite the names, ``rece_org`` is the *visiting*
  institution and ``fund_visitors`` its person(s): the documented sample has one row per person.
  Rows with the same ts_code, surv_date, rece_mode and rece_place form one record.  A row naming
  several institutions and as many persons pairs them in order.

Fields: ``stock_code`` 6 digits (``000001.SZ``, ``1``, ``SZ000001`` → ``000001``), ``dates`` ISO,
``activity_types`` the record categories when 接待方式 / rece_mode names them exactly (else the raw
text in ``activity_other``), ``source`` = ``path#rows 2-5`` (CSV line numbers, or
``path#Sheet1!rows 2-5``), ``format`` = ``akshare``/``tushare``, ``stock_code_source`` = ``table``.
Empty cells, ``nan``, ``None``, ``-`` are missing values.  Unreadable rows become record warnings.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from irgraph.errors import InputError
from irgraph.models import Attendee, Record, Unparsed

CATEGORIES = (
    "特定对象调研",
    "分析师会议",
    "媒体采访",
    "业绩说明会",
    "新闻发布会",
    "路演活动",
    "现场参观",
    "电话会议",
    "其他",
)
_MODE_ALIASES = {"路演": "路演活动", "其它": "其他"}

# logical column -> accepted header names (first match wins; compared case-insensitively).  The
# upper-case names are the Eastmoney datacenter API's own (report RPT_ORG_SURVEY), which akshare
# renames: a table saved straight from the API reads the same as akshare's.
_AKSHARE = {
    "code": ("代码", "股票代码", "证券代码", "SECURITY_CODE", "SECUCODE"),
    "name": ("名称", "股票简称", "证券简称", "股票名称", "SECURITY_NAME_ABBR"),
    "institution": ("调研机构", "机构名称", "参与机构", "RECEIVE_OBJECT"),
    "org_type": ("机构类型", "ORG_TYPE"),
    "persons": ("调研人员", "参与人员", "INVESTIGATORS"),
    "mode": ("接待方式", "RECEIVE_WAY_EXPLAIN", "RECEIVE_WAY"),
    "receptionists": ("接待人员", "RECEPTIONIST"),
    "place": ("接待地点", "RECEIVE_PLACE"),
    "date": ("调研日期", "接待日期", "RECEIVE_START_DATE"),
    "notice": ("公告日期", "NOTICE_DATE"),
    "count": ("接待机构数量",),
}
# a user's own pipeline often replaces ts_code by a bare 6-digit code column (code / symbol)
_TUSHARE = {
    "code": ("ts_code", "code", "symbol", "stock_code"),
    "name": ("name",),
    "date": ("surv_date",),
    "persons": ("fund_visitors",),
    "place": ("rece_place",),
    "mode": ("rece_mode",),
    "institution": ("rece_org",),
    "org_type": ("org_type",),
    "receptionists": ("comp_rece",),
}
_MISSING = {"", "nan", "none", "null", "nat", "-", "--", "—", "n/a", "na"}
_SPLIT = re.compile(r"\s*[,，、;；]\s*")
_GENERIC = re.compile(r"^(?:个人|散户|中小|网络|网上|线上|现场|其他)?投资者(?:网上提问)?$|^个人$")


@dataclass(frozen=True)
class _Table:
    fmt: str  # akshare | tushare
    kind: str  # detail | summary | tushare
    columns: dict[str, int]  # logical column -> index


def _clean_header(cell: object) -> str:
    return str(cell if cell is not None else "").replace("\ufeff", "").strip().strip('"').strip()


def _identify(header: Sequence[object]) -> _Table | None:
    names = [_clean_header(h) for h in header]
    lower = [n.lower() for n in names]
    for fmt, spec in (("tushare", _TUSHARE), ("akshare", _AKSHARE)):
        cols: dict[str, int] = {}
        for key, aliases in spec.items():
            for alias in aliases:
                if alias.lower() in lower:
                    cols[key] = lower.index(alias.lower())
                    break
        if fmt == "tushare" and {"code", "date"} <= cols.keys() and ({"institution", "persons"} & cols.keys()):
            return _Table("tushare", "tushare", cols)
        if fmt == "akshare" and {"code", "date"} <= cols.keys():
            if "institution" in cols:
                return _Table("akshare", "detail", cols)
            if "count" in cols:
                return _Table("akshare", "summary", cols)
    return None


def _split_rows(text: str) -> tuple[list[list[str]], int, _Table] | None:
    """Parse CSV text; the header may follow a few title lines.  Returns rows, header index, table."""
    head = [ln for ln in text.lstrip("\ufeff").splitlines()[:8]]
    best: tuple[int, str, _Table] | None = None
    for i, line in enumerate(head):
        if not line.strip():
            continue
        for delim in (",", "\t", ";", "|"):
            if delim not in line:
                continue
            cells = next(csv.reader([line], delimiter=delim), [])
            table = _identify(cells)
            if table is not None:
                best = (i, delim, table)
                break
        if best:
            break
    if best is None:
        return None
    i, delim, _ = best
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff")), delimiter=delim))
    table = _identify(rows[i])
    assert table is not None
    return rows, i, table


def detect_csv(text: str) -> str | None:
    """``"akshare"`` or ``"tushare"`` when the text is a vendor survey table, else ``None``."""
    try:
        found = _split_rows(text[:20000])
    except csv.Error:
        return None
    return found[2].fmt if found else None


def records_from_csv(text: str, source: str) -> tuple[Record, ...]:
    """Records of a vendor CSV (decoded text).  Raises :class:`InputError` if it is none."""
    try:
        found = _split_rows(text)
    except csv.Error as e:
        raise InputError(f"unreadable CSV table: {e}") from None
    if found is None:
        raise InputError("not an akshare/Tushare survey table (no 代码/调研机构/调研日期 or ts_code/surv_date columns)")
    rows, header_at, table = found
    numbered = [(header_at + 2 + k, row) for k, row in enumerate(rows[header_at + 1 :])]
    records = _records(table, numbered, source, sheet=None)
    if not records:
        raise InputError(_no_rows(table))
    return records


def _no_rows(table: _Table) -> str:
    what = {"detail": "akshare survey table (机构调研详细)", "summary": "akshare survey summary table (机构调研统计)"}
    return f"{what.get(table.kind, 'Tushare stk_surv table')} with column headers but no data rows"


_CODE_HEADERS = {a.lower() for a in _AKSHARE["code"] + _TUSHARE["code"]}


def other_table(text: str) -> str | None:
    """The error for a delimited table of stocks that is no survey table (a quote or price export:
    a header with a stock-code column, rows of the same width), else ``None``."""
    lines = [ln for ln in text.lstrip("\ufeff").splitlines()[:12] if ln.strip()]
    if not lines:
        return None
    for delim in (",", "\t", ";", "|"):
        try:
            rows = list(csv.reader(lines[:6], delimiter=delim))
        except csv.Error:
            return None
        header = [_clean_header(c) for c in rows[0]]
        if len(header) < 4 or not _CODE_HEADERS & {h.lower() for h in header}:
            continue
        if any(len(h) > 30 for h in header) or any(len(r) != len(header) for r in rows[1:]):
            continue
        shown = ", ".join(h for h in header[:10] if h) + (", …" if len(header) > 10 else "")
        return (
            "CSV table without an akshare/Tushare survey table: it has a stock-code column but no "
            f"institution and date columns (columns: {shown})"
        )
    return None


def records_from_xlsx(data: bytes, source: str) -> tuple[Record, ...]:
    """Records of every vendor survey table in an XLSX workbook (one table per sheet)."""
    import openpyxl

    try:
        wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as e:  # openpyxl raises zipfile/KeyError/ValueError/InvalidFileException
        raise InputError(f"damaged XLSX: {type(e).__name__}: {str(e)[:100]}") from None
    out: list[Record] = []
    found_any = False
    try:
        for ws in wb.worksheets:
            values = [[_cell_str(v) for v in row] for row in ws.iter_rows(values_only=True)]
            for i, row in enumerate(values[:10]):
                table = _identify(row)
                if table is None:
                    continue
                found_any = True
                numbered = [(i + 2 + k, r) for k, r in enumerate(values[i + 1 :])]
                out.extend(_records(table, numbered, source, sheet=ws.title))
                break
    finally:
        wb.close()
    if found_any and not out:
        raise InputError(f"XLSX workbook: {_no_rows(table)}")
    if not found_any:
        raise InputError(
            "XLSX workbook without an akshare/Tushare survey table "
            "(columns such as 代码, 调研机构, 调研日期 or ts_code, surv_date, rece_org)"
        )
    return tuple(out)


def _cell_str(v: object) -> str:
    if v is None:
        return ""
    if isinstance(v, dt.datetime):
        return v.date().isoformat()
    if isinstance(v, dt.date):
        return v.isoformat()
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


# ---------------------------------------------------------------- rows -> records


def _value(row: Sequence[str], table: _Table, key: str) -> str | None:
    idx = table.columns.get(key)
    if idx is None or idx >= len(row):
        return None
    v = str(row[idx]).strip()
    return None if v.lower() in _MISSING else v


def stock_code(raw: str | None) -> str | None:
    """Six-digit A-share code from ``000001.SZ``, ``SZ000001``, ``sz.000001``, ``1``, ``1.0``."""
    if raw is None:
        return None
    s = raw.strip().upper()
    s = re.sub(r"^(SZ|SH|BJ)[.]?", "", s)
    s = re.sub(r"[.](SZ|SH|BJ|SS|XSHE|XSHG)$", "", s)
    s = re.sub(r"\.0+$", "", s)
    if re.fullmatch(r"\d{1,6}", s):
        return s.zfill(6)
    return None


_DATE = re.compile(r"(\d{4})\s*[-/.年]?\s*(\d{1,2})\s*[-/.月]?\s*(\d{1,2})")


def iso_date(raw: str | None) -> str | None:
    """ISO date from ``2024-08-27``, ``2024/8/27``, ``20240827``, ``2024年8月27日``, with or without time."""
    if raw is None:
        return None
    m = _DATE.match(raw.strip())
    if not m:
        return None
    try:
        return dt.date(int(m[1]), int(m[2]), int(m[3])).isoformat()
    except ValueError:
        return None


def activity(mode: str | None) -> tuple[tuple[str, ...] | None, str | None]:
    """``(activity_types, activity_other)`` for a reception-mode text."""
    if mode is None:
        return None, None
    parts = [p.strip() for p in _SPLIT.split(mode) if p.strip()]
    mapped = [_MODE_ALIASES.get(p, p) for p in parts]
    if mapped and all(p in CATEGORIES for p in mapped):
        return tuple(dict.fromkeys(mapped)), None
    return None, mode


def split_names(raw: str | None) -> list[str]:
    """Persons or institutions of one cell: ``,``/``，``/``、``/``;`` separated; CJK names also by spaces."""
    if raw is None:
        return []
    out: list[str] = []
    for part in _SPLIT.split(raw.strip()):
        part = part.strip()
        if not part or part.lower() in _MISSING:
            continue
        tokens = part.split()
        if len(tokens) > 1 and all(re.fullmatch(r"[\u4e00-\u9fff·]{2,5}", t) for t in tokens):
            out.extend(tokens)
        else:
            out.append(part)
    return out


def _receptionists(raw: str | None) -> tuple[tuple[str, str | None], ...]:
    out: list[tuple[str, str | None]] = []
    for item in _SPLIT.split(raw or ""):
        item = item.strip()
        if not item or item.lower() in _MISSING:
            continue
        m = re.fullmatch(r"(.+?)\s*[:：]\s*(.+)", item) or re.fullmatch(r"(.*\S)\s+(\S{2,4})", item)
        if m:
            out.append((m[2].strip(), m[1].strip()))
            continue
        m = re.fullmatch(r"(.+?)\s*[（(](.+)[)）]", item)
        if m:
            out.append((m[1].strip(), m[2].strip()))
            continue
        out.append((item, None))
    return tuple(out)


def _ranges(nums: Iterable[int]) -> str:
    ns = sorted(set(nums))
    parts: list[str] = []
    start = prev = ns[0]
    for n in ns[1:]:
        if n == prev + 1:
            prev = n
            continue
        parts.append(f"{start}-{prev}" if prev > start else str(start))
        start = prev = n
    parts.append(f"{start}-{prev}" if prev > start else str(start))
    return ",".join(parts)


def _records(
    table: _Table, rows: list[tuple[int, Sequence[str]]], source: str, sheet: str | None
) -> tuple[Record, ...]:
    groups: dict[tuple[str | None, ...], list[tuple[int, Sequence[str]]]] = {}
    for no, row in rows:
        if not any(str(c).strip() for c in row):
            continue
        if table.kind == "summary":
            key: tuple[str | None, ...] = (str(no),)  # one survey per row
        elif table.fmt == "akshare":
            key = tuple(_value(row, table, k) for k in ("code", "date", "notice", "mode"))
        else:
            key = tuple(_value(row, table, k) for k in ("code", "date", "mode", "place"))
        groups.setdefault(key, []).append((no, row))
    prefix = f"{source}#{sheet}!rows " if sheet else f"{source}#rows "
    return tuple(_record(table, members, prefix + _ranges(n for n, _ in members)) for members in groups.values())


def _first(rows: list[tuple[int, Sequence[str]]], table: _Table, key: str) -> str | None:
    for _, row in rows:
        v = _value(row, table, key)
        if v is not None:
            return v
    return None


def _distinct(rows: list[tuple[int, Sequence[str]]], table: _Table, key: str) -> list[str]:
    return list(dict.fromkeys(v for _, row in rows if (v := _value(row, table, key)) is not None))


def _record(table: _Table, rows: list[tuple[int, Sequence[str]]], source: str) -> Record:
    warnings: list[str] = []
    raw_code = _first(rows, table, "code")
    code = stock_code(raw_code)
    if raw_code is not None and code is None:
        warnings.append(f"unreadable stock code {raw_code!r}")
    raw_date = _first(rows, table, "date")
    date = iso_date(raw_date)
    if raw_date is not None and date is None:
        warnings.append(f"unreadable date {raw_date!r}")
    types, other = activity(_first(rows, table, "mode"))
    places = _distinct(rows, table, "place")
    attendees: list[Attendee] = []
    unparsed: list[Unparsed] = []
    declared: int | None = None
    if table.kind == "summary":
        count = _first(rows, table, "count")
        if count is not None and re.fullmatch(r"\d+(\.0+)?", count):
            declared = int(float(count))
        warnings.append("summary table (stock_jgdy_tj_em) names no attendees")
    else:
        for no, row in rows:
            attendees.extend(_row_attendees(table, no, row, warnings, unparsed))
    return Record(
        source=source,
        kind="ir_record",
        stock_code=code,
        short_name=_first(rows, table, "name"),
        activity_types=types,
        activity_other=other,
        dates=(date,) if date else (),
        place="; ".join(places) if places else None,
        receptionists=_receptionists(_first(rows, table, "receptionists")),
        declared_institutions=declared,
        attendees=tuple(attendees),
        unparsed=tuple(unparsed),
        warnings=tuple(warnings),
        format=table.fmt,
        stock_code_source="table" if code else None,
    )


def _row_attendees(
    table: _Table, no: int, row: Sequence[str], warnings: list[str], unparsed: list[Unparsed]
) -> list[Attendee]:
    """The attendee rows of one table row; persons that can go to no institution become unparsed lines."""
    institutions = [_value(row, table, "institution")] if table.fmt == "akshare" else []
    if table.fmt == "tushare":
        institutions = split_names(_value(row, table, "institution")) or [None]
    persons = split_names(_value(row, table, "persons"))
    org_type = _value(row, table, "org_type") or ""
    if not institutions or institutions == [None]:
        if persons:
            warnings.append(f"row {no}: persons {'、'.join(persons)} without an institution; row skipped")
            unparsed.append(Unparsed(no, _value(row, table, "persons") or "", "persons without an institution"))
        else:
            warnings.append(f"row {no}: no institution; row skipped")
        return []
    names = [i for i in institutions if i]

    def att(inst: str, person: str | None) -> Attendee:
        generic = bool(_GENERIC.match(inst)) or org_type in ("个人", "个人投资者")
        return Attendee(inst, person, line_no=no, generic=generic)

    if len(names) == 1:
        return [att(names[0], p) for p in persons] or [att(names[0], None)]
    if len(persons) == len(names):
        return [att(i, p) for i, p in zip(names, persons, strict=True)]
    if persons:
        warnings.append(f"row {no}: {len(persons)} persons for {len(names)} institutions; persons not assigned")
        unparsed.append(
            Unparsed(no, _value(row, table, "persons") or "", f"{len(persons)} persons for {len(names)} institutions")
        )
    return [att(i, None) for i in names]
