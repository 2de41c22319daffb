"""PDF records as plain text, with PyMuPDF (chosen by measurement, see docs/inputs.md).

What the text looks like:

* lines in reading order: top to bottom, left to right; pieces of text on one baseline are
  joined into one line (a space where there is a visible gap);
* ruled tables (``page.find_tables``, line strategy, no layout model) become one line per row
  with cells joined by ``" | "``, exactly as the DOCX reader writes them
  (:func:`irgraph.read.docx.join_row`): merged cells once, a row with a single non-empty cell
  as that cell alone, a cell's lines joined by ``"\\n"``.  Inside a cell a line after which the
  next line's first word would not have fitted was wrapped by the layout, not by the author: it
  is joined to the next line (without a space between CJK characters), so ``申万`` / ``宏源证券``
  becomes ``申万宏源证券`` and ``LAZARD`` / ``ASSET MANAGEMENT`` becomes ``LAZARD ASSET MANAGEMENT``.
  Text in a table is never repeated outside it;
* page furniture is dropped: bare page numbers at the top or bottom of a page (``3``, ``- 3 -``,
  ``第 3 页 共 5 页``, ``3/5``, ``Page 3 of 5``) and lines repeated at the top or bottom of most
  pages (compared with digits masked).  A repeated top line is kept where it first appears;
* check boxes drawn with Wingdings / Wingdings 2 / Symbol fonts become the same characters as
  in DOCX (:func:`irgraph.read.docx.symbol_char`): U+F0FE, U+F0A8 … for Wingdings, ☑/☐ for the
  Wingdings 2 boxes.

A PDF without any text (a scan) raises :class:`InputError` asking for OCR; so do encrypted and
damaged files.
"""

from __future__ import annotations

import itertools
import math
import re
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import pymupdf

from irgraph.errors import InputError
from irgraph.read.docx import join_row, symbol_char

_PAGE_NUMBER = re.compile(
    r"^(?:[-–—_~\s]*\d{1,4}[-–—_~\s]*"
    r"|第\s*\d+\s*页(?:\s*[,，/、]?\s*共\s*\d+\s*页)?"
    r"|共\s*\d+\s*页\s*[,，]?\s*第\s*\d+\s*页"
    r"|\d{1,4}\s*/\s*\d{1,4}"
    r"|(?:page|p\.)\s*\d+(?:\s*(?:of|/)\s*\d+)?)$",
    re.IGNORECASE,
)
_FLAGS = pymupdf.TEXT_PRESERVE_WHITESPACE | pymupdf.TEXT_MEDIABOX_CLIP


@dataclass
class _Span:
    x0: float
    y0: float
    x1: float
    y1: float
    text: str
    size: float
    chars: tuple[tuple[float, float, str], ...] = ()  # (x0, x1, char) to split at cell borders

    @property
    def cx(self) -> float:
        return (self.x0 + self.x1) / 2

    @property
    def cy(self) -> float:
        return (self.y0 + self.y1) / 2


@dataclass
class _Line:
    """A visual line of a page, or one table row (``table=True``, text may hold newlines)."""

    y0: float
    y1: float
    text: str
    table: bool = False
    x0: float = 0.0
    x1: float = 0.0
    size: float = 10.0
    cells: tuple[_CellText, ...] = ()  # table rows: the cells, to continue a row across pages


@dataclass(frozen=True)
class _CellText:
    """A table cell's text, its left edge, and the room left after its last line."""

    text: str
    x0: float
    slack: float = 0.0  # points between the last line's end and the cell's inner right edge
    per_char: float = 10.0


@dataclass
class _Page:
    height: float
    lines: list[_Line] = field(default_factory=list)


def pdf_to_text(data: bytes) -> str:
    """The text of a PDF file (see module doc); raises :class:`InputError` when unreadable."""
    with _quiet_mupdf():
        doc = _open(data)
        try:
            pages = [_read_page(doc, i) for i in range(doc.page_count)]
            n_images = 0
            if not any(ln.text.strip() for p in pages for ln in p.lines):
                n_images = sum(len(doc[i].get_images()) for i in range(doc.page_count))
        finally:
            doc.close()
    n = len(pages)
    chars = "".join(ln.text for p in pages for ln in p.lines)
    visible = [c for c in chars if not c.isspace()]
    if not visible:
        if n_images:
            raise InputError(f"scanned PDF without a text layer ({n} pages): run OCR first")
        raise InputError(f"PDF without any text ({n} pages)")
    unreadable = sum(1 for c in visible if c == "\ufffd")
    if unreadable / len(visible) > 0.3:
        raise InputError(
            f"PDF text layer is not readable ({n} pages; its fonts have no Unicode mapping): run OCR first"
        )
    _drop_furniture(pages)
    _continue_rows(pages)
    return "\n".join(ln.text for p in pages for ln in p.lines)


@contextmanager
def _quiet_mupdf() -> Iterator[None]:
    """Keep MuPDF's own error/warning messages off stderr; problems become InputError."""
    errors = pymupdf.TOOLS.mupdf_display_errors()
    warnings = pymupdf.TOOLS.mupdf_display_warnings()
    pymupdf.TOOLS.mupdf_display_errors(False)
    pymupdf.TOOLS.mupdf_display_warnings(False)
    try:
        yield
    finally:
        pymupdf.TOOLS.mupdf_display_errors(errors)
        pymupdf.TOOLS.mupdf_display_warnings(warnings)
        pymupdf.TOOLS.reset_mupdf_warnings()


def _open(data: bytes) -> pymupdf.Document:
    try:
        doc = pymupdf.open(stream=data, filetype="pdf")
    except Exception as e:  # MuPDF raises FileDataError / RuntimeError / ValueError
        raise InputError(f"damaged PDF: cannot be opened ({_short(e)})") from None
    if doc.needs_pass:
        doc.close()
        raise InputError("encrypted PDF: it needs a password to open; save an unprotected copy")
    if doc.page_count == 0:
        doc.close()
        raise InputError("damaged PDF: no pages could be read")
    return doc


def _short(e: Exception) -> str:
    msg = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
    return msg[:120]


# ---------------------------------------------------------------- one page


def _read_page(doc: pymupdf.Document, index: int) -> _Page:
    try:
        page = doc[index]
        spans = _spans(page)
        tables = _tables(page) if spans else []
    except InputError:
        raise
    except Exception as e:
        raise InputError(f"damaged PDF: page {index + 1} cannot be read ({_short(e)})") from None
    lines: list[_Line] = []
    free: list[_Span] = []
    claimed: list[list[list[list[_Span]]]] = [[[[] for _ in row] for row in t.rows] for t in tables]
    for t in tables:
        spans = [piece for s in spans for piece in _split(s, t)]
    for s in spans:
        for ti, t in enumerate(tables):
            hit = _cell_of(t, s)
            if hit is not None:
                claimed[ti][hit[0]][hit[1]].append(s)
                break
        else:
            free.append(s)
    lines.extend(_visual_lines(free))
    for ti, t in enumerate(tables):
        lines.extend(_table_rows(t, claimed[ti]))
    lines.sort(key=lambda ln: (round(ln.y0, 1), ln.x0))
    return _Page(page.rect.height, lines)


def _spans(page: pymupdf.Page) -> list[_Span]:
    out: list[_Span] = []
    d = page.get_text("rawdict", flags=_FLAGS, sort=False)
    for block in d.get("blocks", ()):
        if block.get("type", 0) != 0:
            continue
        for line in block.get("lines", ()):
            if line.get("dir", (1, 0))[0] < 0.5:
                continue  # vertical or rotated text (stamps, watermarks)
            for sp in line.get("spans", ()):
                font = sp.get("font", "")
                chars = tuple(
                    (c["bbox"][0], c["bbox"][2], symbol_char(font, c["c"])) for c in sp.get("chars", ())
                )
                text = "".join(c for _, _, c in chars)
                if not text.strip():
                    continue
                x0, y0, x1, y1 = sp["bbox"]
                out.append(_Span(x0, y0, x1, y1, text, float(sp.get("size", 10.0)) or 10.0, chars))
    return out


def _split(s: _Span, t: _Table) -> list[_Span]:
    """Cut a span where it crosses cell borders (MuPDF may merge text of adjacent cells)."""
    x0, _, x1, _ = t.bbox
    if s.x1 < x0 or s.x0 > x1 or len(s.chars) < 2:
        return [s]
    edges = sorted({c[0] for row in t.rows for c in row if c is not None} | {x1})
    if not any(s.x0 + 1 < e < s.x1 - 1 for e in edges):
        return [s]
    pieces: list[_Span] = []
    cur: list[tuple[float, float, str]] = []
    cur_col = None
    for ch in s.chars:
        mid = (ch[0] + ch[1]) / 2
        col = sum(1 for e in edges if e <= mid)
        if cur and col != cur_col:
            pieces.append(_piece(s, cur))
            cur = []
        cur.append(ch)
        cur_col = col
    if cur:
        pieces.append(_piece(s, cur))
    return [p for p in pieces if p.text.strip()]


def _piece(s: _Span, chars: list[tuple[float, float, str]]) -> _Span:
    text = "".join(c for _, _, c in chars)
    return _Span(chars[0][0], s.y0, chars[-1][1], s.y1, text, s.size, tuple(chars))


@dataclass
class _Table:
    bbox: tuple[float, float, float, float]
    rows: list[list[tuple[float, float, float, float] | None]]


def _tables(page: pymupdf.Page) -> list[_Table]:
    found = page.find_tables(strategy="lines", use_layout=False)
    tables: list[_Table] = []
    for t in found.tables:
        rows = [[tuple(c) if c is not None else None for c in r.cells] for r in t.rows]
        if rows:
            tables.append(_Table(tuple(t.bbox), rows))
    return tables


def _cell_of(t: _Table, s: _Span) -> tuple[int, int] | None:
    x0, y0, x1, y1 = t.bbox
    cx, cy = s.cx, s.cy
    if not (x0 - 1 <= cx <= x1 + 1 and y0 - 1 <= cy <= y1 + 1):
        return None
    for ri, row in enumerate(t.rows):
        for ci, c in enumerate(row):
            if c is not None and c[0] - 1 <= cx <= c[2] + 1 and c[1] - 1 <= cy <= c[3] + 1:
                return ri, ci
    return None


def _visual_lines(spans: list[_Span]) -> list[_Line]:
    """Group spans into lines by vertical overlap, each line's spans left to right."""
    groups: list[list[_Span]] = []
    for s in sorted(spans, key=lambda s: (s.cy, s.x0)):
        if groups:
            g = groups[-1]
            top = min(x.y0 for x in g)
            bottom = max(x.y1 for x in g)
            overlap = min(bottom, s.y1) - max(top, s.y0)
            if overlap > 0.5 * min(bottom - top, s.y1 - s.y0):
                g.append(s)
                continue
        groups.append([s])
    lines: list[_Line] = []
    for g in groups:
        g.sort(key=lambda s: s.x0)
        parts: list[str] = []
        prev: _Span | None = None
        for s in g:
            gap = prev is not None and s.x0 - prev.x1 > 0.25 * max(s.size, prev.size)
            if gap and not (parts and parts[-1].endswith(" ")) and not s.text.startswith(" "):
                parts.append(" ")
            parts.append(s.text)
            prev = s
        text = "".join(parts).rstrip()
        y0, y1 = min(s.y0 for s in g), max(s.y1 for s in g)
        lines.append(_Line(y0, y1, text, False, g[0].x0, max(s.x1 for s in g), max(s.size for s in g)))
    return lines


def _table_rows(t: _Table, cells: list[list[list[_Span]]]) -> list[_Line]:
    out: list[_Line] = []
    for ri, row in enumerate(t.rows):
        texts: list[_CellText] = []
        for ci, bbox in enumerate(row):
            if bbox is None:
                continue  # covered by a merged cell: emitted once, where it starts
            texts.append(_cell_text(cells[ri][ci], bbox))
        text = join_row([c.text for c in texts])
        if not text:
            continue
        ys = [c[1] for c in row if c is not None]
        y0 = min(ys) if ys else t.bbox[1]
        out.append(_Line(y0, y0 + 1, text, True, t.bbox[0], t.bbox[2], cells=tuple(texts)))
    return out


_CJK = re.compile(r"[\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef\u3000-\u303f]")


def _cell_text(spans: list[_Span], bbox: tuple[float, float, float, float]) -> _CellText:
    lines = [ln for ln in _visual_lines(spans) if ln.text.strip()]
    if not lines:
        return _CellText("", bbox[0])
    # the cell's inner right edge: its padding is estimated from the left-most line
    pad = min(12.0, max(0.0, min(ln.x0 for ln in lines) - bbox[0]))
    limit = bbox[2] - pad
    out = [lines[0].text.strip()]
    for prev, ln in itertools.pairwise(lines):
        text = ln.text.strip()
        if _was_wrapped(prev.x1, prev.text, _per_char(ln), prev.size, text, limit):
            out[-1] = _rejoin(out[-1], text)
        else:
            out.append(text)
    last = lines[-1]
    return _CellText("\n".join(out), bbox[0], limit - last.x1, _per_char(last))


def _per_char(ln: _Line) -> float:
    return (ln.x1 - ln.x0) / max(1, len(ln.text.strip()))


_FIRST_TOKEN = re.compile(r"[A-Za-z0-9'’.,&()\-]+|\S")


def _was_wrapped(x1: float, prev_text: str, per_char: float, size: float, text: str, limit: float) -> bool:
    """True when the layout, not the author, broke a line ending at ``x1``: the next line's
    first word (a CJK character, or a Latin word) would not have fitted after it."""
    m = _FIRST_TOKEN.match(text)
    if m is None:
        return False
    token = m.group()
    latin = not (_CJK.match(token) or _CJK.match(prev_text.rstrip()[-1:] or " "))
    space = per_char if latin else 0.0  # a space is at most about one average character
    return x1 + space + len(token) * per_char > limit + 0.5


def _rejoin(a: str, b: str) -> str:
    if not a or not b:
        return a + b
    if _CJK.match(a[-1]) or _CJK.match(b[0]):
        return a + b
    if a.endswith("-") and a[-2:-1].isalpha() and b[0].isalpha():
        return a + b  # a hyphenated word
    return a + " " + b


def _continue_rows(pages: list[_Page]) -> None:
    """Join a table row that a page break cut in two (in place).

    When a page ends with a table row and the next page starts with a row of the same columns
    that leaves a cell empty which the first part filled, the second part continues the row;
    a cell whose text was cut by the layout (its last line full) is rejoined without a break.
    Other cells keep their lines, so nothing changes for rows that really are new.
    """
    for a, b in itertools.pairwise(pages):
        if not a.lines or not b.lines:
            continue
        r1, r2 = a.lines[-1], b.lines[0]
        if not (r1.table and r2.table and r1.cells and len(r1.cells) == len(r2.cells)):
            continue
        if any(abs(c1.x0 - c2.x0) > 2 for c1, c2 in zip(r1.cells, r2.cells, strict=True)):
            continue
        if not any(c1.text and not c2.text for c1, c2 in zip(r1.cells, r2.cells, strict=True)):
            continue
        merged: list[_CellText] = []
        for c1, c2 in zip(r1.cells, r2.cells, strict=True):
            if c1.text and c2.text:
                last = c1.text.rsplit("\n", 1)[-1]
                cut = _was_wrapped(0.0, last, c1.per_char, c1.per_char, c2.text, c1.slack)
                text = _rejoin(c1.text, c2.text) if cut else c1.text + "\n" + c2.text
                merged.append(_CellText(text, c1.x0, c2.slack, c2.per_char))
            else:
                merged.append(c1 if c1.text else c2)
        a.lines[-1] = _Line(
            r1.y0, r1.y1, join_row([c.text for c in merged]), True, r1.x0, r1.x1, cells=tuple(merged)
        )
        del b.lines[0]


# ---------------------------------------------------------------- page furniture


def _key(text: str) -> str:
    return re.sub(r"\d+", "#", re.sub(r"\s+", "", text))


def _edge_lines(page: _Page, top: bool) -> list[int]:
    """Indices of up to two lines in the top (bottom) 15 % of a page, set off from the body.

    Page furniture is separated from the text by a gap of at least ~0.8 line heights; lines that
    follow the body closely are body text, however near the edge.
    """
    order = list(range(len(page.lines)))
    if not top:
        order.reverse()
    picked: list[int] = []
    for i in order[:2]:
        ln = page.lines[i]
        in_band = ln.y1 < 0.15 * page.height if top else ln.y0 > 0.85 * page.height
        if ln.table or not in_band:
            break
        picked.append(i)
    while picked:
        k = order.index(picked[-1])
        if k + 1 >= len(order):
            break
        inner, nxt = page.lines[picked[-1]], page.lines[order[k + 1]]
        gap = nxt.y0 - inner.y1 if top else inner.y0 - nxt.y1
        if gap >= 0.8 * inner.size:
            break
        picked.pop()
    return picked


def _drop_furniture(pages: list[_Page]) -> None:
    """Remove page numbers and running headers/footers in place."""
    n = len(pages)
    drop: list[set[int]] = [set() for _ in pages]
    for top in (True, False):
        edges = [_edge_lines(p, top) for p in pages]
        counts: Counter[str] = Counter()
        for p, ids in zip(pages, edges, strict=True):
            counts.update({_key(p.lines[i].text) for i in ids})
        need = max(2, math.ceil(0.5 * n))
        seen: set[str] = set()
        for pi, (p, ids) in enumerate(zip(pages, edges, strict=True)):
            for i in ids:
                text = p.lines[i].text.strip()
                key = _key(text)
                if _PAGE_NUMBER.match(text):
                    drop[pi].add(i)
                elif n >= 2 and counts[key] >= need:
                    if top and key not in seen:
                        seen.add(key)  # a running header: keep where it first appears
                        continue
                    drop[pi].add(i)
    for p, ids in zip(pages, drop, strict=True):
        if ids:
            p.lines = [ln for i, ln in enumerate(p.lines) if i not in ids]
