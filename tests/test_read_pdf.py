"""PDF reader: reading order, ruled tables as ' | ' rows, page furniture, check boxes, bad PDFs.

The PDFs are drawn here with PyMuPDF and its built-in CJK font ``china-s`` (nothing binary is
committed): each seed becomes a multi-page record with a running header, page numbers and a
ruled 2-column label/value table, laid out like the exchanges' Word-made PDFs.
"""

from __future__ import annotations

import random
import re
from pathlib import Path

import pymupdf
import pytest
from test_read_docx import (
    GOLD,
    SEEDS,
    assert_attendees_in_order,
    attendee_multiset,
    seed_layout,
)

from irgraph.parse import parse_document
from irgraph.read import iter_input_files, read_bytes, read_path
from irgraph.read.pdf import pdf_to_text

PAGE_W, PAGE_H = 595.0, 842.0  # A4
LEFT, RIGHT, TOP, BOTTOM = 60.0, 535.0, 80.0, 770.0
FS, LH, PAD, LABEL_W = 10.5, 15.5, 4.0, 120.0
_TOKEN = re.compile(r"[A-Za-z0-9.,:;'’()\-/%&@]+ ?| +|.")


def _width(text: str, fs: float = FS) -> float:
    """Advance width as PyMuPDF writes china-s text (every glyph one em wide)."""
    return pymupdf.get_text_length(text, fontname="china-s", fontsize=fs)


def wrap(text: str, width: float, fs: float = FS) -> list[str]:
    """Break ``text`` into lines of at most ``width`` points: CJK anywhere, Latin at spaces
    (a trailing space does not count against the width, as in Word)."""
    if not text:
        return [""]
    lines: list[str] = []
    cur = ""
    for tok in _TOKEN.findall(text):
        if cur and _width((cur + tok).rstrip(), fs) > width:
            lines.append(cur.rstrip())
            cur = ""
            tok = tok.lstrip()
        while _width(tok.rstrip(), fs) > width and len(tok) > 1:  # a word longer than the line
            cut = len(tok) - 1
            while cut > 1 and _width(tok[:cut], fs) > width:
                cut -= 1
            lines.append(tok[:cut])
            tok = tok[cut:]
        cur += tok
    lines.append(cur.rstrip())
    return lines


class PdfWriter:
    """A tiny page layout engine: paragraphs, ruled table rows split across pages, furniture."""

    def __init__(
        self, header: str | None = "投资者关系活动记录表", footer: str = "第 {n} 页 共 {m} 页"
    ) -> None:
        self.doc = pymupdf.open()
        self.header = header
        self.footer = footer
        self.page: pymupdf.Page
        self.y = TOP
        self.new_page()

    def new_page(self) -> None:
        self.page = self.doc.new_page(width=PAGE_W, height=PAGE_H)
        if self.header:
            x = (PAGE_W - _width(self.header, 9)) / 2
            self.page.insert_text((x, 48), self.header, fontname="china-s", fontsize=9)
            self.page.draw_line((LEFT, 54), (RIGHT, 54), width=0.5)
        self.y = TOP

    def text(self, x: float, line: str) -> None:
        if line.strip():
            self.page.insert_text((x, self.y + FS), line, fontname="china-s", fontsize=FS)

    def para(self, text: str) -> None:
        for line in wrap(text, RIGHT - LEFT):
            if self.y + LH > BOTTOM:
                self.new_page()
            self.text(LEFT, line)
            self.y += LH

    def row(self, cells: list[list[str]], split: float = LABEL_W) -> None:
        cols = [(LEFT, RIGHT)] if len(cells) == 1 else [(LEFT, LEFT + split), (LEFT + split, RIGHT)]
        lines = [
            [ln for p in (c or [""]) for ln in wrap(p, x1 - x0 - 2 * PAD)]
            for c, (x0, x1) in zip(cells, cols, strict=True)
        ]
        n = max(len(c) for c in lines)
        i = 0
        while i < n:
            if self.y + LH + 2 * PAD > BOTTOM:
                self.new_page()
            top = self.y
            self.y += PAD
            while i < n and self.y + LH + PAD <= BOTTOM:
                for cell_lines, (x0, _) in zip(lines, cols, strict=True):
                    if i < len(cell_lines):
                        self.text(x0 + PAD, cell_lines[i])
                self.y += LH
                i += 1
            self.y += PAD
            self.page.draw_rect(pymupdf.Rect(LEFT, top, RIGHT, self.y), width=0.6)
            if len(cols) == 2:
                self.page.draw_line((cols[1][0], top), (cols[1][0], self.y), width=0.6)

    def gap(self, h: float = LH / 2) -> None:
        self.y += h

    def finish(self) -> bytes:
        m = self.doc.page_count
        for k, page in enumerate(self.doc, start=1):
            label = self.footer.format(n=k, m=m)
            x = (PAGE_W - _width(label, 9)) / 2
            page.insert_text((x, 805), label, fontname="china-s", fontsize=9)
        return self.doc.tobytes(garbage=3, deflate=True)


def render_pdf(
    blocks: list, footer: str = "第 {n} 页 共 {m} 页", header: str | None = "投资者关系活动记录表"
) -> bytes:
    """A seed layout (``seed_layout``) drawn as a multi-page PDF record."""
    w = PdfWriter(header=header, footer=footer)
    for kind, value in blocks:
        if kind == "para":
            w.para(value)
        else:
            w.gap()
            for row in value:
                w.row(row)
            w.gap()
    return w.finish()


# ---------------------------------------------------------------- reader behaviour


def _page_with(
    lines: list[tuple[float, float, str]], doc: pymupdf.Document | None = None
) -> pymupdf.Document:
    doc = doc or pymupdf.open()
    page = doc.new_page(width=PAGE_W, height=PAGE_H)
    for x, y, text in lines:
        page.insert_text((x, y), text, fontname="china-s", fontsize=FS)
    return doc


def test_reading_order_and_same_baseline_pieces_joined() -> None:
    doc = _page_with(
        [(300, 100, "证券简称：虹软科技"), (60, 100, "证券代码：688088"), (60, 130, "投资者关系活动记录表")]
    )
    assert pdf_to_text(doc.tobytes()).split("\n") == [
        "证券代码：688088 证券简称：虹软科技",
        "投资者关系活动记录表",
    ]


def test_table_rows_with_multiline_cells_and_no_duplicate_text() -> None:
    w = PdfWriter(header=None, footer="")
    w.para("附件：与会人员清单")
    w.row([["参与单位名称及人员姓名"], ["兴业证券 陈鑫", "天风证券 刘鉴"]])
    w.row([["时间"], ["2024年8月27日"]])
    w.row([["附：以上排名不分先后"]])
    w.para("表格之后的正文")
    text = pdf_to_text(w.finish())
    assert text.split("\n") == [
        "附件：与会人员清单",
        "参与单位名称及人员姓名 | 兴业证券 陈鑫",
        "天风证券 刘鉴",
        "时间 | 2024年8月27日",
        "附：以上排名不分先后",
        "表格之后的正文",
    ]
    assert text.count("兴业证券") == 1


def test_wrapped_cell_lines_are_rejoined_but_short_lines_are_not() -> None:
    w = PdfWriter(header=None, footer="")
    # a narrow label column wraps 参与单位名称及人员姓名; a long 、-run wraps inside 申万宏源证券
    names = "国海证券徐萌，国联民生周泰、李航，方正证券范笑男，申万宏源证券严天鹏，华福证券陈奕宁"
    w.row([["参与单位名称及人员姓名"], [names, "中信证券 黄杰"]], split=70)
    text = pdf_to_text(w.finish())
    label, _, value = text.split("\n")[0].partition(" | ")
    assert label == "参与单位名称及人员姓名"
    assert value == names
    assert text.split("\n")[1] == "中信证券 黄杰"


def test_row_split_across_pages_continues_as_plain_lines() -> None:
    w = PdfWriter(header=None, footer="- {n} -")
    w.gap(BOTTOM - TOP - 4 * LH)  # only three lines fit on page 1
    attendees = [f"机构{i:02d} 人员{i:02d}" for i in range(8)]
    w.row([["参与单位"], attendees])
    lines = pdf_to_text(w.finish()).split("\n")
    assert lines[0] == "参与单位 | 机构00 人员00"
    assert lines[1:] == attendees[1:]


def test_page_numbers_and_running_header_footer_dropped_body_numbers_kept() -> None:
    doc = pymupdf.open()
    for n in range(1, 4):
        page = doc.new_page(width=PAGE_W, height=PAGE_H)
        page.insert_text(
            (200, 45), "虹软科技股份有限公司投资者关系活动记录表", fontname="china-s", fontsize=9
        )
        page.insert_text((60, 120), f"第{n}部分 正文", fontname="china-s", fontsize=FS)
        page.insert_text((60, 140), str(n), fontname="china-s", fontsize=FS)  # a numbered list item
        page.insert_text((60, 790), "地址：杭州市滨江区", fontname="china-s", fontsize=9)
        page.insert_text((290, 810), f"第 {n} 页 共 3 页", fontname="china-s", fontsize=9)
    assert pdf_to_text(doc.tobytes()).split("\n") == [
        "虹软科技股份有限公司投资者关系活动记录表",
        "第1部分 正文",
        "1",
        "第2部分 正文",
        "2",
        "第3部分 正文",
        "3",
    ]


@pytest.mark.parametrize("label", ["7", "- 7 -", "— 7 —", "第 7 页", "第7页 共12页", "7/12", "Page 7 of 12"])
def test_bare_page_number_styles(label: str) -> None:
    doc = _page_with([(60, 120, "正文第一行"), (290, 810, label)])
    assert pdf_to_text(doc.tobytes()) == "正文第一行"


def _rename_font(doc: pymupdf.Document, old: str, new: str) -> pymupdf.Document:
    for page in doc:
        for xref, _, _, base, *_ in page.get_fonts():
            if base == old:
                doc.xref_set_key(xref, "BaseFont", f"/{new}")
    return pymupdf.open(stream=doc.tobytes(), filetype="pdf")


def test_wingdings_check_boxes_keep_private_use_code_points() -> None:
    # Word prints check boxes in Wingdings (þ = ticked box, ¨ = empty box); draw them in a
    # simple font renamed to Wingdings, as the PDF then names it.
    doc = pymupdf.open()
    page = doc.new_page(width=PAGE_W, height=PAGE_H)
    box = pymupdf.get_text_length("\u00fe", fontname="helv", fontsize=FS)
    page.insert_text((60, 100), "\u00fe", fontname="helv", fontsize=FS)
    page.insert_text((60 + box, 100), "特定对象调研", fontname="china-s", fontsize=FS)
    page.insert_text((150, 100), "\u00a8", fontname="helv", fontsize=FS)
    empty = pymupdf.get_text_length("\u00a8", fontname="helv", fontsize=FS)
    page.insert_text((150 + empty, 100), "分析师会议", fontname="china-s", fontsize=FS)
    doc = _rename_font(doc, "Helvetica", "ABCDEE+Wingdings-Regular")
    assert pdf_to_text(doc.tobytes()) == "\uf0fe特定对象调研 \uf0a8分析师会议"


def test_wingdings2_boxes_map_to_unicode_boxes() -> None:
    box = pymupdf.get_text_length("R", fontname="helv", fontsize=FS)
    doc = _page_with([(60 + box, 100, "特定对象调研")])
    doc[0].insert_text((60, 100), "R", fontname="helv", fontsize=FS)
    doc = _rename_font(doc, "Helvetica", "Wingdings2")
    assert pdf_to_text(doc.tobytes()) == "☑特定对象调研"


def test_scanned_encrypted_and_damaged_pdfs_become_document_errors(tmp_path: Path) -> None:
    scan = pymupdf.open()
    pix = pymupdf.Pixmap(pymupdf.csGRAY, pymupdf.IRect(0, 0, 40, 40), False)
    pix.clear_with(200)
    for _ in range(2):
        scan.new_page(width=PAGE_W, height=PAGE_H).insert_image(pymupdf.Rect(50, 50, 500, 700), pixmap=pix)
    (tmp_path / "a_scan.pdf").write_bytes(scan.tobytes())

    locked = _page_with([(60, 100, "兴业证券 陈鑫")])
    (tmp_path / "b_locked.pdf").write_bytes(
        locked.tobytes(encryption=pymupdf.PDF_ENCRYPT_AES_256, user_pw="secret", owner_pw="owner")
    )
    good = _page_with([(60, 100, "天风证券 刘鉴")]).tobytes()
    (tmp_path / "c_truncated.pdf").write_bytes(b"%PDF-1.7\n" + random.Random(1).randbytes(3000))
    (tmp_path / "d_random.pdf").write_bytes(random.Random(2).randbytes(5000))
    (tmp_path / "e_empty_page.pdf").write_bytes(_blank_pdf())
    (tmp_path / "f_good.pdf").write_bytes(good)

    docs = {p.name: read_path(p) for p in iter_input_files([tmp_path])}
    assert docs["a_scan.pdf"].error == "scanned PDF without a text layer (2 pages): run OCR first"
    assert docs["b_locked.pdf"].error.startswith("encrypted PDF")
    assert docs["c_truncated.pdf"].error.startswith("damaged PDF")
    assert docs["d_random.pdf"].error == "binary file (not text, DOCX, PDF or a table)"
    assert docs["e_empty_page.pdf"].error == "PDF without any text (1 pages)"
    assert docs["f_good.pdf"].error is None
    assert docs["f_good.pdf"].format == "pdf" and docs["f_good.pdf"].text == "天风证券 刘鉴"


def _blank_pdf() -> bytes:
    doc = pymupdf.open()
    doc.new_page()
    return doc.tobytes()


def test_pdf_told_by_content_not_name() -> None:
    doc = read_bytes(_page_with([(60, 100, "兴业证券 陈鑫")]).tobytes(), "record.txt")
    assert doc.format == "pdf" and doc.text == "兴业证券 陈鑫"


# ---------------------------------------------------------------- the seeds as PDF

_FOOTERS = ("第 {n} 页 共 {m} 页", "- {n} -", "{n}")


def _seed_pdf(seed: Path) -> bytes:
    return render_pdf(seed_layout(seed.read_text(encoding="utf-8")), footer=_FOOTERS[SEEDS.index(seed) % 3])


@pytest.mark.parametrize("seed", SEEDS, ids=[p.name for p in SEEDS])
def test_seed_rendered_to_pdf_keeps_attendees_in_order(seed: Path, tmp_path: Path) -> None:
    data = _seed_pdf(seed)
    assert pymupdf.open(stream=data).page_count >= 2  # the furniture logic is exercised
    path = tmp_path / (seed.stem + ".pdf")
    path.write_bytes(data)
    doc = read_path(path)
    assert doc.error is None and doc.format == "pdf"
    lines = doc.text.split("\n")
    assert lines.count("投资者关系活动记录表") <= 2  # the running header is kept once (plus the title)
    assert not [ln for ln in lines if re.fullmatch(r"第 \d+ 页 共 \d+ 页|- \d+ -", ln)]
    assert_attendees_in_order(doc.text, GOLD[seed.name]["attendees"])
    for row in ("参与单位名称及人员姓名 |", "上市公司接待人员姓名 |", "投资者关系活动类别 |"):
        if row[:-2] in seed.read_text(encoding="utf-8"):
            assert any(ln.startswith(row) for ln in lines), row


@pytest.mark.parametrize("seed", SEEDS, ids=[p.name for p in SEEDS])
def test_seed_pdf_parses_like_its_text(seed: Path, tmp_path: Path) -> None:
    path = tmp_path / (seed.stem + ".pdf")
    path.write_bytes(_seed_pdf(seed))
    from_pdf = parse_document(read_path(path))
    from_text = parse_document(read_path(seed))
    assert attendee_multiset(from_pdf) == attendee_multiset(from_text)
    assert [r.kind for r in from_pdf] == [r.kind for r in from_text]
