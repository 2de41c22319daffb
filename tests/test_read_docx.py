"""DOCX reader: body order, tables as ' | ' rows, merged cells, check boxes, seeds rendered to DOCX.

The DOCX files are built here with python-docx (nothing binary is committed).  ``seed_layout``
turns a seed text (label and value cells marked by a leading tab) into title paragraphs and
label/value tables; the PDF tests reuse it.
"""

from __future__ import annotations

import io
import json
import re
import unicodedata
import zipfile
from collections import Counter
from pathlib import Path

import docx
import pytest
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls

from irgraph.parse import parse_document
from irgraph.read import read_bytes, read_path
from irgraph.read.docx import docx_to_text, symbol_char

ROOT = Path(__file__).resolve().parents[1]
SEEDS = sorted((ROOT / "data" / "samples").glob("*.txt"))
GOLD = json.loads((ROOT / "tests" / "data" / "gold" / "seed_records.json").read_text(encoding="utf-8"))


Cell = list[str]  # the paragraphs of one cell
Block = tuple[str, object]  # ("para", str) | ("table", list[list[Cell]])

_CELL = re.compile(r"^[ \u3000]*\t")
_BOOKMARK = re.compile(r"\[bookmark: [^\]]*\]")


def seed_layout(text: str) -> list[Block]:
    """Title paragraphs and 2-column tables of a seed text.

    A line starting with a tab opens a cell; following lines belong to it until two blank lines
    end the table.  Cells pair up as (label, value) rows; an annex heading (``附：…``) is a
    full-width row of its own.
    """
    blocks: list[Block] = []
    cells: list[Cell] | None = None
    blank = 0

    def close() -> None:
        nonlocal cells
        if cells:
            rows: list[list[Cell]] = []
            pending: list[Cell] = []
            for c in cells:
                while c and not c[-1].strip():
                    c.pop()
                if not pending and c and re.match(r"^(附|注)[：:]", c[0]):
                    rows.append([c])
                    continue
                pending.append(c)
                if len(pending) == 2:
                    rows.append(pending)
                    pending = []
            if pending:
                rows.append([*pending, []])
            blocks.append(("table", rows))
        cells = None

    for raw in text.split("\n"):
        line = _BOOKMARK.sub("", raw)
        if _CELL.match(line):
            if cells is None:
                cells = []
            cells.append([_CELL.sub("", line).rstrip()])
            blank = 0
            continue
        line = line.rstrip()
        if not line.strip():
            blank += 1
            if cells:
                cells[-1].append("")
            continue
        if cells is not None and blank < 2:
            cells[-1].append(line)
        else:
            close()
            blocks.append(("para", line))
        blank = 0
    close()
    return blocks


# ---------------------------------------------------------------- DOCX building helpers

_BOXES = re.compile("([□√☑☐])")
CHECKED_GLYPHS = {"√", "☑"}


def _sym(font: str, char: str) -> object:
    return parse_xml(f'<w:r {nsdecls("w")}><w:sym w:font="{font}" w:char="{char}"/></w:r>')


def _sdt_checkbox(checked: bool) -> object:
    w14 = 'xmlns:w14="http://schemas.microsoft.com/office/word/2010/wordml"'
    val = "1" if checked else "0"
    glyph = "☒" if checked else "☐"
    return parse_xml(
        f'<w:sdt {nsdecls("w")} {w14}><w:sdtPr><w14:checkbox><w14:checked w14:val="{val}"/>'
        f'<w14:checkedState w14:val="2612" w14:font="MS Gothic"/></w14:checkbox></w:sdtPr>'
        f'<w:sdtContent><w:r><w:rPr><w:rFonts w:ascii="MS Gothic" w:hAnsi="MS Gothic"/></w:rPr>'
        f"<w:t>{glyph}</w:t></w:r></w:sdtContent></w:sdt>"
    )


def add_text(p: object, text: str, boxes: str = "sym") -> None:
    """Add ``text`` to paragraph ``p``, drawing □/√ as Word check boxes of kind ``boxes``."""
    for piece in _BOXES.split(text):
        if not piece:
            continue
        if piece in "□√☑☐":
            checked = piece in CHECKED_GLYPHS
            if boxes == "sym":
                p._p.append(_sym("Wingdings", "F0FE" if checked else "F0A8"))
            elif boxes == "text":  # typed in a Wingdings run: þ = ticked box, ¨ = empty box
                run = p.add_run("þ" if checked else "¨")
                run.font.name = "Wingdings"
            else:
                p._p.append(_sdt_checkbox(checked))
        else:
            p.add_run(piece)


def fill_cell(cell: object, paras: Cell, boxes: str) -> None:
    paras = paras or [""]
    add_text(cell.paragraphs[0], paras[0], boxes)
    for text in paras[1:]:
        add_text(cell.add_paragraph(), text, boxes)


def render_docx(blocks: list[Block], boxes: str = "sym", header: str = "页眉标记 HEADER-7731") -> bytes:
    """A DOCX record: paragraphs, bordered 2-column tables, a header that must not be read."""
    d = docx.Document()
    d.sections[0].header.paragraphs[0].text = header
    d.sections[0].footer.paragraphs[0].text = "第 1 页 FOOTER-7731"
    for kind, value in blocks:
        if kind == "para":
            add_text(d.add_paragraph(), str(value), boxes)
            continue
        rows: list[list[Cell]] = value  # type: ignore[assignment]
        table = d.add_table(rows=len(rows), cols=2)
        table.style = "Table Grid"
        for i, row in enumerate(rows):
            if len(row) == 1:
                fill_cell(table.cell(i, 0).merge(table.cell(i, 1)), row[0], boxes)
            else:
                fill_cell(table.cell(i, 0), row[0], boxes)
                fill_cell(table.cell(i, 1), row[1], boxes)
    buf = io.BytesIO()
    d.save(buf)
    return buf.getvalue()


def squash(text: str) -> str:
    """NFKC, no whitespace: how attendee rows are compared (tests/data/dev/README.md)."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))


def assert_attendees_in_order(text: str, attendees: list[list[str | None]]) -> None:
    """Every gold (institution, person) appears in ``text``, in document order."""
    flat = squash(text)
    cursor = 0
    for i, (inst, person) in enumerate(attendees):
        inst_s = squash(inst or "")
        pos = flat.find(inst_s, cursor)
        assert pos >= 0, f"attendee {i} {inst!r} not found after offset {cursor}"
        if person:
            assert flat.find(squash(person), pos) >= 0, f"person {person!r} of {inst!r} not found"
        nxt = attendees[i + 1][0] if i + 1 < len(attendees) else None
        cursor = pos if nxt == inst else pos + len(inst_s)


def attendee_multiset(records: tuple) -> Counter[tuple[str, str | None]]:
    return Counter(
        (squash(a.institution), squash(a.person) if a.person else None)
        for r in records
        for a in r.institution_rows
    )


# ---------------------------------------------------------------- reader behaviour


def _doc_with_body(xml: str) -> bytes:
    """A DOCX whose body is replaced by ``xml`` (w: and w14: prefixes available)."""
    base = io.BytesIO()
    docx.Document().save(base)
    src = zipfile.ZipFile(io.BytesIO(base.getvalue()))
    out = io.BytesIO()
    ns = (
        'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" '
        'xmlns:w14="http://schemas.microsoft.com/office/word/2010/wordml" '
        'xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006" '
        'xmlns:wps="http://schemas.microsoft.com/office/word/2010/wordprocessingShape" '
        'xmlns:v="urn:schemas-microsoft-com:vml"'
    )
    document = f'<?xml version="1.0" encoding="UTF-8"?><w:document {ns}><w:body>{xml}</w:body></w:document>'
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for item in src.infolist():
            data = document.encode("utf-8") if item.filename == "word/document.xml" else src.read(item)
            z.writestr(item, data)
    return out.getvalue()


def _p(text: str) -> str:
    return f'<w:p><w:r><w:t xml:space="preserve">{text}</w:t></w:r></w:p>'


def test_paragraphs_and_tables_keep_document_order_and_skip_header() -> None:
    d = docx.Document()
    d.sections[0].header.paragraphs[0].text = "页眉 HEADER"
    d.add_paragraph("证券代码：688088")
    t = d.add_table(rows=2, cols=2)
    t.cell(0, 0).text = "时间"
    t.cell(0, 1).text = "2024年8月27日"
    t.cell(1, 0).text = "参与单位名称及人员姓名"
    c = t.cell(1, 1)
    c.text = "兴业证券 陈鑫"
    c.add_paragraph("天风证券 刘鉴")
    d.add_paragraph("注：以上排名不分先后。")
    buf = io.BytesIO()
    d.save(buf)
    assert docx_to_text(buf.getvalue()).split("\n") == [
        "证券代码：688088",
        "时间 | 2024年8月27日",
        "参与单位名称及人员姓名 | 兴业证券 陈鑫",
        "天风证券 刘鉴",
        "注：以上排名不分先后。",
    ]


def test_merged_cells_are_emitted_once() -> None:
    d = docx.Document()
    t = d.add_table(rows=3, cols=3)
    t.cell(0, 0).merge(t.cell(0, 2)).text = "附：与会人员清单"  # horizontal merge over 3 columns
    t.cell(1, 0).merge(t.cell(2, 0)).text = "参会机构"  # vertical merge over 2 rows
    t.cell(1, 1).text = "兴业证券"
    t.cell(1, 2).text = "陈鑫"
    t.cell(2, 1).text = "天风证券"
    t.cell(2, 2).text = "刘鉴"
    buf = io.BytesIO()
    d.save(buf)
    assert docx_to_text(buf.getvalue()).split("\n") == [
        "附：与会人员清单",
        "参会机构 | 兴业证券 | 陈鑫",
        " | 天风证券 | 刘鉴",
    ]


def test_nested_table_rows_stay_inside_their_cell() -> None:
    d = docx.Document()
    t = d.add_table(rows=1, cols=2)
    t.cell(0, 0).text = "参与单位"
    inner = t.cell(0, 1).add_table(rows=2, cols=2)
    for i, (a, b) in enumerate([("兴业证券", "陈鑫"), ("天风证券", "刘鉴")]):
        inner.cell(i, 0).text = a
        inner.cell(i, 1).text = b
    d.add_paragraph("之后")
    buf = io.BytesIO()
    d.save(buf)
    lines = docx_to_text(buf.getvalue()).split("\n")
    assert lines == ["参与单位 | 兴业证券 | 陈鑫", "天风证券 | 刘鉴", "之后"]


def test_wingdings_symbols_become_private_use_code_points() -> None:
    d = docx.Document()
    p = d.add_paragraph()
    add_text(p, "√特定对象调研 □分析师会议", boxes="sym")
    p2 = d.add_paragraph()
    add_text(p2, "√现场参观 □其他", boxes="text")
    buf = io.BytesIO()
    d.save(buf)
    assert docx_to_text(buf.getvalue()).split("\n") == [
        "\uf0fe特定对象调研 \uf0a8分析师会议",
        "\uf0fe现场参观 \uf0a8其他",
    ]


def test_symbol_char_mapping() -> None:
    assert symbol_char("Wingdings", "\u00fe") == "\uf0fe"
    assert symbol_char("Wingdings", "\uf078") == "\uf078"
    assert symbol_char("Wingdings-Regular", "o") == "\uf06f"
    assert symbol_char("ABCDEF+Wingdings-Regular", "q") == "\uf071"
    assert symbol_char("Wingdings 2", "R") == "☑"
    assert symbol_char("Wingdings2", "\u00a3") == "☐"
    assert symbol_char("Wingdings 2", "T") == "☒"
    assert symbol_char("Symbol", "\u00d6") == "√"
    assert symbol_char("SimSun", "þ") == "þ"  # an ordinary font: unchanged
    assert symbol_char("Wingdings", "中") == "中"  # a real Unicode character stays


def test_sym_in_other_symbol_fonts() -> None:
    body = (
        '<w:p><w:r><w:sym w:font="Wingdings 2" w:char="F052"/></w:r><w:r><w:t>特定对象调研</w:t></w:r>'
        '<w:r><w:sym w:font="Wingdings 2" w:char="F0A3"/></w:r><w:r><w:t>分析师会议</w:t></w:r>'
        '<w:r><w:sym w:font="Wingdings" w:char="00FE"/></w:r><w:r><w:t>路演活动</w:t></w:r></w:p>'
    )
    assert docx_to_text(_doc_with_body(body)) == "☑特定对象调研☐分析师会议\uf0fe路演活动"


def test_content_control_and_legacy_form_check_boxes() -> None:
    body = (
        "<w:p>"
        '<w:sdt><w:sdtPr><w14:checkbox><w14:checked w14:val="1"/></w14:checkbox></w:sdtPr>'
        "<w:sdtContent><w:r><w:t>☒</w:t></w:r></w:sdtContent></w:sdt><w:r><w:t>特定对象调研 </w:t></w:r>"
        '<w:sdt><w:sdtPr><w14:checkbox><w14:checked w14:val="0"/></w14:checkbox></w:sdtPr>'
        "<w:sdtContent><w:r><w:t>☐</w:t></w:r></w:sdtContent></w:sdt><w:r><w:t>分析师会议 </w:t></w:r>"
        '<w:r><w:fldChar w:fldCharType="begin"><w:ffData><w:checkBox><w:default w:val="0"/>'
        "<w:checked/></w:checkBox></w:ffData></w:fldChar></w:r>"
        '<w:r><w:instrText xml:space="preserve"> FORMCHECKBOX </w:instrText></w:r>'
        '<w:r><w:fldChar w:fldCharType="end"/></w:r><w:r><w:t>现场参观</w:t></w:r>'
        "</w:p>"
    )
    assert docx_to_text(_doc_with_body(body)) == "☑特定对象调研 ☐分析师会议 ☑现场参观"


def test_deleted_text_breaks_block_controls_and_text_boxes() -> None:
    body = (
        "<w:p><w:r><w:t>兴业</w:t></w:r>"
        '<w:del w:id="1" w:author="a"><w:r><w:delText>删掉</w:delText></w:r></w:del>'
        '<w:ins w:id="2" w:author="a"><w:r><w:t>证券</w:t></w:r></w:ins>'
        "<w:r><w:br/><w:t>天风证券</w:t><w:tab/><w:t>刘鉴</w:t></w:r></w:p>"
        f"<w:sdt><w:sdtPr/><w:sdtContent>{_p('控件内的段落')}</w:sdtContent></w:sdt>"
        '<w:p><w:r><w:t>正文</w:t></w:r><w:r><mc:AlternateContent><mc:Choice Requires="wps"><w:drawing>'
        f"<wps:txbx><w:txbxContent>{_p('文本框')}</w:txbxContent></wps:txbx></w:drawing></mc:Choice>"
        f"<mc:Fallback><w:pict><v:textbox><w:txbxContent>{_p('文本框')}</w:txbxContent></v:textbox>"
        "</w:pict></mc:Fallback></mc:AlternateContent></w:r></w:p>"
    )
    assert docx_to_text(_doc_with_body(body)).split("\n") == [
        "兴业证券",
        "天风证券\t刘鉴",
        "控件内的段落",
        "正文",
        "文本框",
    ]


def test_bad_docx_inputs_become_document_errors(tmp_path: Path) -> None:
    empty = tmp_path / "empty.docx"
    empty.write_bytes(b"")
    not_docx = tmp_path / "other.docx"
    with zipfile.ZipFile(not_docx, "w") as z:
        z.writestr("hello.txt", "not a word document")
    broken_xml = tmp_path / "broken.docx"
    with zipfile.ZipFile(broken_xml, "w") as z:
        z.writestr("word/document.xml", "<w:document><w:body><w:p>")
    truncated = tmp_path / "truncated.docx"
    good = render_docx([("para", "兴业证券 陈鑫")])
    truncated.write_bytes(good[: len(good) // 2])
    ok = tmp_path / "ok.docx"
    ok.write_bytes(good)
    docs = [read_path(p) for p in (empty, not_docx, broken_xml, truncated, ok)]
    assert docs[0].error == "empty file"
    assert docs[1].error == "zip archive that is neither DOCX nor XLSX"
    assert docs[2].error is not None and docs[2].error.startswith("damaged DOCX")
    assert docs[3].error is not None and "damaged" in docs[3].error
    assert docs[4].error is None and docs[4].format == "docx" and docs[4].text == "兴业证券 陈鑫"


def test_docx_is_told_by_content_not_name() -> None:
    doc = read_bytes(render_docx([("para", "天风证券 刘鉴")]), "record.bin")
    assert doc.format == "docx" and doc.text == "天风证券 刘鉴"


# ---------------------------------------------------------------- the seeds as DOCX

_BOX_STYLES = ("sym", "text", "sdt")


@pytest.mark.parametrize("seed", SEEDS, ids=[p.name for p in SEEDS])
def test_seed_rendered_to_docx_keeps_attendees_in_order(seed: Path, tmp_path: Path) -> None:
    text = seed.read_text(encoding="utf-8")
    style = _BOX_STYLES[SEEDS.index(seed) % 3]
    path = tmp_path / (seed.stem + ".docx")
    path.write_bytes(render_docx(seed_layout(text), boxes=style))
    doc = read_path(path)
    assert doc.error is None and doc.format == "docx"
    assert "HEADER-7731" not in doc.text and "FOOTER-7731" not in doc.text
    assert_attendees_in_order(doc.text, GOLD[seed.name]["attendees"])
    if "√" in text:  # a checked box survives as a glyph the parser reads as checked
        assert any(ch in doc.text for ch in ("\uf0fe", "☑"))


@pytest.mark.parametrize("seed", SEEDS, ids=[p.name for p in SEEDS])
def test_seed_docx_parses_like_its_text(seed: Path, tmp_path: Path) -> None:
    text = seed.read_text(encoding="utf-8")
    path = tmp_path / (seed.stem + ".docx")
    path.write_bytes(render_docx(seed_layout(text), boxes=_BOX_STYLES[SEEDS.index(seed) % 3]))
    from_docx = parse_document(read_path(path))
    from_text = parse_document(read_path(seed))
    assert attendee_multiset(from_docx) == attendee_multiset(from_text)
    assert [r.kind for r in from_docx] == [r.kind for r in from_text]
    assert [r.activity_types for r in from_docx] == [r.activity_types for r in from_text]
