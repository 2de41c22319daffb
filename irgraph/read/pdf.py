"""PDF records as plain text, with PyMuPDF (chosen by measurement, see docs/inputs.md).

What the text looks like:

* lines in reading order: top to bottom, left to right; pieces of text on one baseline are
  joined into one line (a space where there is a visible gap);
* ruled tables (``page.find_tables``, line strategy, no layout model) become one line per row
  with cells joined by ``" | "``, exactly as the DOCX reader writes them
  (:func:`irgraph.read.docx.join_row`): merged cells once, a row with a single non-empty cell
  as that cell alone, a cell's lines joined by ``"\\n"``.  Inside a cell a line that runs up to
  the cell's right edge was wrapped by the layout, not by the author: it is joined to the next
  line (without a space between CJK characters), so ``申万`` / ``宏源证券`` becomes ``申万宏源证券``.
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
    d = page.get_text("dict", flags=_FLAGS, sort=False)
    for block in d.get("blocks", ()):
        if block.get("type", 0) != 0:
            continue
        for line in block.get("lines", ()):
            if line.get("dir", (1, 0))[0] < 0.5:
                continue  # vertical or rotated text (stamps, watermarks)
            for sp in line.get("spans", ()):
                text = sp.get("text", "")
                if not text.strip():
                    continue
                font = sp.get("font", "")
                text = "".join(symbol_char(font, c) for c in text)
                x0, y0, x1, y1 = sp["bbox"]
                out.append(_Span(x0, y0, x1, y1, text, float(sp.get("size", 10.0)) or 10.0))
    return out


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
        texts: list[str] = []
        for ci, bbox in enumerate(row):
            if bbox is None:
                continue  # covered by a merged cell: emitted once, where it starts
            texts.append(_cell_text(cells[ri][ci], bbox))
        text = join_row(texts)
        if not text:
            continue
        ys = [c[1] for c in row if c is not None]
        y0 = min(ys) if ys else t.bbox[1]
        out.append(_Line(y0, y0 + 1, text, True, t.bbox[0], t.bbox[2]))
    return out


_CJK = re.compile(r"[\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef\u3000-\u303f]")


def _cell_text(spans: list[_Span], bbox: tuple[float, float, float, float]) -> str:
    lines = _visual_lines(spans)
    if not lines:
        return ""
    out: list[str] = []
    wrapped = False
    right = bbox[2]
    for ln in lines:
        text = ln.text.strip()
        if wrapped and out:
            out[-1] = _rejoin(out[-1], text)
        else:
            out.append(text)
        # the layout broke this line: it reaches the cell's right edge (less than ~1.6 characters left)
        wrapped = right - ln.x1 < 1.6 * ln.size + 2
    return "\n".join(out)


def _rejoin(a: str, b: str) -> str:
    if not a or not b:
        return a + b
    if _CJK.match(a[-1]) or _CJK.match(b[0]):
        return a + b
    if a.endswith("-") and a[-2:-1].isalpha() and b[0].isalpha():
        return a + b  # a hyphenated word
    return a + " " + b


# ---------------------------------------------------------------- page furniture


def _key(text: str) -> str:
    return re.sub(r"\d+", "#", re.sub(r"\s+", "", text))


def _edge_lines(page: _Page, top: bool) -> list[int]:
    """Indices of up to two non-table lines in the top (or bottom) 15 % of a page."""
    idx = [i for i, ln in enumerate(page.lines)]
    if not idx:
        return []
    order = idx if top else idx[::-1]
    picked: list[int] = []
    for i in order[:2]:
        ln = page.lines[i]
        if ln.table:
            break
        in_band = ln.y1 < 0.15 * page.height if top else ln.y0 > 0.85 * page.height
        if not in_band:
            break
        picked.append(i)
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
