"""DOCX records as plain text: paragraphs and tables of the body, in document order.

Layout of the text (the parser relies on it, see docs/inputs.md):

* every paragraph is one line; a manual line break (``w:br``, ``w:cr``) starts a new line;
  ``w:tab`` becomes a tab;
* every table row is one line with its cells joined by ``" | "``.  A cell spanning several grid
  columns (``w:gridSpan``) is emitted once; a vertically merged continuation cell
  (``w:vMerge`` without ``restart``) is emitted as an empty cell, so its text appears only in
  the row where the merge starts.  A row with a single non-empty cell is emitted as that cell
  alone (no separators), so continuation rows read like plain lines;
* a cell with several paragraphs (or a nested table) keeps them as separate lines, joined by
  ``"\\n"``: the attendee list inside the 参与单位 cell stays one attendee per line, and the row
  ``参与单位名称及人员姓名 | 兴业证券 陈鑫`` is followed by one line per further attendee;
* headers, footers, footnotes, comments and deleted text (``w:del``) are ignored; inserted text
  (``w:ins``) and content controls (``w:sdt``) are read; text boxes follow their paragraph.

Check boxes survive as characters the parser understands:

* ``<w:sym w:font="Wingdings" w:char="F0FE"/>`` becomes the private-use character U+F0FE, and
  text typed in a Wingdings run (``þ`` shown as a ticked box) becomes ``chr(0xF000 + code)``.
  Wingdings code points seen in real records: U+F0FE (☑ box with tick), U+F078 (☒ box with x),
  U+F0FD (☒), U+F0FC (✓ tick), U+F0FB (✗), U+F06F (□ empty box), U+F0A8 (◻ empty box),
  U+F071 (❑ shadowed empty box), U+F06E (■ filled square);
* Wingdings 2 and Wingdings 3 use other code points for the same shapes, so their box glyphs are
  mapped to Unicode: ``R`` (0x52) → ☑, ``S``/``T`` (0x53/0x54) → ☒, ``£`` (0xA3) → ☐,
  ``P`` (0x50) → ✓, ``O`` (0x4F) → ✗; any other glyph of a symbol font keeps the U+F0xx form;
* Symbol font ``√`` (0xD6) becomes U+221A;
* check-box content controls (``w14:checkbox``) and legacy form check boxes (``FORMCHECKBOX``)
  become ☑ when checked and ☐ when not.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterable

from lxml import etree

from irgraph.errors import InputError

_W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_W14 = "http://schemas.microsoft.com/office/word/2010/wordml"
_MC = "http://schemas.openxmlformats.org/markup-compatibility/2006"


def _w(tag: str) -> str:
    return f"{{{_W}}}{tag}"


_P, _TBL, _TR, _TC = _w("p"), _w("tbl"), _w("tr"), _w("tc")
_SDT, _SDT_CONTENT, _R, _T = _w("sdt"), _w("sdtContent"), _w("r"), _w("t")
_ALT = f"{{{_MC}}}AlternateContent"
_CHOICE = f"{{{_MC}}}Choice"
_FALLBACK = f"{{{_MC}}}Fallback"
_TXBX = _w("txbxContent")
# inline containers whose runs are part of the paragraph text
_INLINE_CONTAINERS = {
    _w(t) for t in ("hyperlink", "ins", "moveTo", "smartTag", "customXml", "fldSimple", "dir", "bdo")
}
# containers of block content (paragraphs and tables)
_BLOCK_CONTAINERS = {_w(t) for t in ("customXml", "ins", "moveTo")}
_SKIP = {_w(t) for t in ("del", "moveFrom", "pPr", "rPr", "proofErr", "bookmarkStart", "bookmarkEnd")}

CHECKED = "☑"
UNCHECKED = "☐"

_WINGDINGS23 = {
    0x52: CHECKED,
    0x53: "☒",
    0x54: "☒",
    0xA3: UNCHECKED,
    0x50: "✓",
    0x4F: "✗",
}
_SYMBOL = {0xD6: "√"}


def symbol_char(font: str | None, ch: str) -> str:
    """The character to emit for ``ch`` shown in symbol font ``font`` (see module doc).

    Non-symbol fonts return ``ch`` unchanged.  Shared with the PDF reader, so DOCX and PDF
    give the same characters for the same check box.
    """
    kind = _symbol_font(font)
    if kind is None:
        return ch
    code = ord(ch)
    if 0xF000 <= code <= 0xF0FF:
        code -= 0xF000
    elif code > 0xFF:
        return ch  # a real Unicode character: keep it
    if kind == "wingdings23" and code in _WINGDINGS23:
        return _WINGDINGS23[code]
    if kind == "symbol" and code in _SYMBOL:
        return _SYMBOL[code]
    if code <= 0x20:
        return ch
    return chr(0xF000 + code)


def _symbol_font(font: str | None) -> str | None:
    if not font:
        return None
    f = font.lower().replace(" ", "").replace("-", "")
    if "wingdings2" in f or "wingdings3" in f:
        return "wingdings23"
    if "wingdings" in f or "webdings" in f:
        return "wingdings"
    if f.startswith("symbol") or f.endswith("+symbol") or f in ("symbolmt",):
        return "symbol"
    return None


def docx_to_text(data: bytes) -> str:
    """The text of a DOCX file (see module doc); raises :class:`InputError` when unreadable."""
    body = _load_body(data)
    return "\n".join(_block_lines(body))


def _load_body(data: bytes) -> etree._Element:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            xml = z.read("word/document.xml")
    except (zipfile.BadZipFile, KeyError, OSError, EOFError, ValueError) as e:
        raise InputError(f"damaged DOCX: {e}") from None
    except NotImplementedError:
        raise InputError("DOCX uses an unsupported compression method") from None
    if not xml.strip():
        raise InputError("damaged DOCX: word/document.xml is empty")
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True)
    try:
        root = etree.fromstring(xml, parser)
    except etree.XMLSyntaxError as e:
        raise InputError(f"damaged DOCX: word/document.xml is not valid XML ({e})") from None
    body = root.find(_w("body"))
    if body is None:
        raise InputError("damaged DOCX: the document has no body")
    return body


# ---------------------------------------------------------------- blocks


def _block_lines(parent: etree._Element) -> list[str]:
    lines: list[str] = []
    for child in parent:
        tag = child.tag
        if tag == _P:
            lines.extend(_paragraph_lines(child))
        elif tag == _TBL:
            lines.extend(_table_lines(child))
        elif tag == _SDT:
            content = child.find(_SDT_CONTENT)
            if content is not None:
                lines.extend(_block_lines(content))
        elif tag in _BLOCK_CONTAINERS:
            lines.extend(_block_lines(child))
        elif tag == _ALT:
            choice = child.find(_CHOICE)
            if choice is not None:
                lines.extend(_block_lines(choice))
    return lines


def _table_lines(tbl: etree._Element) -> list[str]:
    lines: list[str] = []
    for tr in _children(tbl, _TR):
        cells: list[str] = []
        for tc in _children(tr, _TC):
            vmerge = tc.find(f"{_w('tcPr')}/{_w('vMerge')}")
            if vmerge is not None and vmerge.get(_w("val"), "continue") == "continue":
                cells.append("")
                continue
            cell_lines = [ln.rstrip() for ln in _block_lines(tc)]
            cells.append("\n".join(cell_lines).strip())
        row = join_row(cells)
        if row:
            lines.append(row)
    return lines


def join_row(cells: list[str]) -> str:
    """One table row as text: cells joined by ``" | "``; a lone non-empty cell stands alone."""
    filled = [c for c in cells if c.strip()]
    if not filled:
        return ""
    if len(filled) == 1:
        return filled[0]
    return " | ".join(cells)


def _children(parent: etree._Element, tag: str) -> Iterable[etree._Element]:
    """Direct children with ``tag``, looking through content controls and customXml wrappers."""
    for child in parent:
        if child.tag == tag:
            yield child
        elif child.tag == _SDT:
            content = child.find(_SDT_CONTENT)
            if content is not None:
                yield from _children(content, tag)
        elif child.tag in _BLOCK_CONTAINERS:
            yield from _children(child, tag)


# ---------------------------------------------------------------- paragraphs


class _Para:
    """Collects the text of one paragraph (and the lines of its text boxes)."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.boxes: list[str] = []
        self.in_field_code = False


def _paragraph_lines(p: etree._Element) -> list[str]:
    acc = _Para()
    _inline(p, acc)
    lines = "".join(acc.parts).split("\n")
    return lines + acc.boxes


def _inline(parent: etree._Element, acc: _Para) -> None:
    for child in parent:
        tag = child.tag
        if tag == _R:
            _run(child, acc)
        elif tag == _SDT:
            box = _checkbox_state(child)
            if box is not None:
                acc.parts.append(CHECKED if box else UNCHECKED)
            else:
                content = child.find(_SDT_CONTENT)
                if content is not None:
                    _inline(content, acc)
        elif tag in _INLINE_CONTAINERS:
            _inline(child, acc)
        elif tag == _ALT:
            choice = child.find(_CHOICE)
            if choice is not None:
                _inline(choice, acc)


def _checkbox_state(sdt: etree._Element) -> bool | None:
    pr = sdt.find(_w("sdtPr"))
    if pr is None:
        return None
    box = pr.find(f"{{{_W14}}}checkbox")
    if box is None:
        return None
    checked = box.find(f"{{{_W14}}}checked")
    val = checked.get(f"{{{_W14}}}val", "1") if checked is not None else "0"
    return val.lower() in ("1", "true", "on")


def _run_font(r: etree._Element) -> str | None:
    fonts = r.find(f"{_w('rPr')}/{_w('rFonts')}")
    if fonts is None:
        return None
    for attr in ("ascii", "hAnsi", "cs"):
        name = fonts.get(_w(attr))
        if name and _symbol_font(name):
            return name
    return None


def _run(r: etree._Element, acc: _Para) -> None:
    font = _run_font(r)
    for child in r:
        tag = child.tag
        if tag == _w("fldChar"):
            kind = child.get(_w("fldCharType"))
            if kind == "begin":
                acc.in_field_code = True
                box = child.find(f"{_w('ffData')}/{_w('checkBox')}")
                if box is not None:
                    acc.parts.append(CHECKED if _form_checked(box) else UNCHECKED)
            elif kind in ("separate", "end"):
                acc.in_field_code = False
            continue
        if acc.in_field_code:
            continue  # field instructions (between begin and separate) are not shown
        if tag == _T:
            text = child.text or ""
            if font:
                text = "".join(symbol_char(font, c) for c in text)
            acc.parts.append(text)
        elif tag == _w("sym"):
            acc.parts.append(_sym(child))
        elif tag == _w("tab") or tag == _w("ptab"):
            acc.parts.append("\t")
        elif tag in (_w("br"), _w("cr")):
            acc.parts.append("\n")
        elif tag == _w("noBreakHyphen"):
            acc.parts.append("-")
        elif tag in (_w("drawing"), _w("pict"), _ALT):
            for box in _text_boxes(child):
                acc.boxes.extend(_block_lines(box))


def _form_checked(box: etree._Element) -> bool:
    for name in ("checked", "default"):
        el = box.find(_w(name))
        if el is not None:
            return el.get(_w("val"), "1").lower() in ("1", "true", "on")
    return False


def _sym(el: etree._Element) -> str:
    font = el.get(_w("font"))
    try:
        code = int(el.get(_w("char"), ""), 16)
    except ValueError:
        return ""
    if not 0 < code < 0x110000:
        return ""
    ch = chr(code)
    out = symbol_char(font, ch)
    if out == ch and 0 < code <= 0xFF and font:
        out = chr(0xF000 + code)  # an unknown symbol font: keep the private-use form
    return out


def _text_boxes(el: etree._Element) -> list[etree._Element]:
    """Outermost text boxes under a drawing, skipping the VML fallback copies."""
    found: list[etree._Element] = []

    def walk(node: etree._Element) -> None:
        for child in node:
            if child.tag == _FALLBACK:
                continue
            if child.tag == _TXBX:
                found.append(child)
                continue
            walk(child)

    if el.tag == _TXBX:
        return [el]
    walk(el)
    return found
