"""Robustness, security and determinism battery for ``irgraph build``.

Every bad input is built at test time in ``tmp_path`` (no binaries are committed). What is checked:

* bad inputs (empty, 0-byte DOCX, random bytes as PDF, PNG/ELF headers, 5 MB of junk, a truncated
  record, a file over the size limit, odd file names, nested folders): the build completes (exit 0),
  every file is listed in ``records.csv`` with a status and a message naming the problem, and no
  traceback is printed (tracebacks only with ``--debug``);
* re-encoded copies of real records (GB18030, UTF-16 with/without BOM, UTF-8-BOM, Big5) give the
  same attendee rows as the originals;
* fatal problems (no input, unwritable output, bad options): one line on stderr, non-zero exit;
* nothing lost: every line of an attendee section is accounted for by a row, an ``unparsed`` or a
  ``skipped`` entry (the section is derived here, independently of the parser);
* determinism (byte-identical files across builds and hash seeds) and atomic writes;
* safety: hostile names are inert in every output; nothing is written outside OUT; the package
  runs nothing a name contains.
"""

from __future__ import annotations

import contextlib
import csv
import os
import random
import re
import subprocess
import sys
import unicodedata
import zipfile
from pathlib import Path

import networkx as nx
import pytest
from click.testing import CliRunner

import irgraph.pipeline as pipeline
import irgraph.read as read_mod
from irgraph.cli import main
from irgraph.errors import OutputError
from irgraph.models import STATUSES, Record
from irgraph.parse import parse_document
from irgraph.read import decode_text, read_path

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "data" / "samples"
DEV = ROOT / "tests" / "data" / "dev"
REAL = sorted(SAMPLES.glob("*.txt")) + sorted(DEV.glob("*.txt"))
RECORD_SAMPLE = SAMPLES / "001_5384b618997184ac.txt"  # a short record with three attendee rows

OUTPUT_FILES = ("records.csv", "attendees.csv", "institutions.csv", "review.csv", "unparsed.csv", "centrality.csv",
                "company_overlap.csv", "institution_overlap.csv", "graph.graphml", "graph.gexf", "explorer.html",
                "irgraph.xlsx")


# --------------------------------------------------------------------------- helpers


def invoke(*args: str):
    """Run the CLI in-process; stdout and stderr are kept apart (click >= 8.2)."""
    return CliRunner().invoke(main, [str(a) for a in args])


def assert_no_traceback(result) -> None:
    for stream in (result.stdout, result.stderr):
        assert "Traceback" not in stream, stream
    # an exception that escaped click (exit code 1 with exc_info) is a crash, not a message
    if result.exception is not None:
        assert isinstance(result.exception, SystemExit), repr(result.exception)


def read_csv(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


def parse_file(path: Path) -> Record:
    (rec,) = parse_document(read_path(path))
    return rec


def rows_of(rec: Record) -> list[tuple[str, str | None, int]]:
    return [(a.institution, a.person, a.line_no) for a in rec.attendees]


def nkey(s: str) -> str:
    return "".join(unicodedata.normalize("NFKC", s).split())


# the cache's record of the last build of a folder holds that folder's file signatures (inodes,
# times), which no two folders or builds share; everything else in the cache is deterministic
MACHINE_STATE = {".irgraph-cache/builds.json"}


def tree(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file() and p.relative_to(root).as_posix() not in MACHINE_STATE}


def _png() -> bytes:
    return b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + random.Random(2).randbytes(3000)


def _elf() -> bytes:
    return b"\x7fELF\x02\x01\x01\x00" + bytes(8) + random.Random(3).randbytes(3000)


def _junk_text(n_bytes: int) -> str:
    """Printable junk with CJK, digits and punctuation, no record label; lines of 40-400 characters."""
    rnd = random.Random(4)
    alphabet = "abcdefgxyz0123456789 ，。、：的是了在有和基金证券公司" + "\u4e00\u4e8c\u4e09\u56db"
    parts: list[str] = []
    size = 0
    while size < n_bytes:
        line = "".join(rnd.choices(alphabet, k=rnd.randint(40, 400)))
        parts.append(line)
        size += len(line.encode("utf-8")) + 1
    return "\n".join(parts)


# --------------------------------------------------------------------------- the bad-input battery


BAD = {
    # relative path -> (expected status, words the message must contain)
    "empty.txt": ("error", ("empty",)),
    "blank_lines.txt": ("error", ("empty",)),
    "zero.docx": ("error", ("empty",)),
    "random.pdf": ("error", ("binary",)),
    "fake_pdf.pdf": ("error", ("pdf",)),
    "image.png": ("error", ("binary",)),
    "program.elf": ("error", ("binary",)),
    "broken.docx": ("error", ("zip",)),
    "legacy.doc": ("error", ("legacy",)),
    "junk_5mb.txt": ("not_a_record", ("not an investor-relations",)),
    "notes.md": ("not_a_record", ("not an investor-relations",)),
    "too_big.txt": ("error", ("limit",)),
}
GOOD = {
    "truncated.txt": ("ok",),
    "名字 有 空格/记录 表 (1).txt": ("ok",),
    "a/b/c/d/深层 嵌套.txt": ("ok",),
    "gb18030.txt": ("ok",),
    "utf16le_bom.txt": ("ok",),
    "utf16be_bom.txt": ("ok",),
    "utf8_bom.txt": ("ok",),
}


TOO_BIG_EXTRA = 6_000_000  # newlines after the record: over the (monkeypatched) size limit


def make_bad_inputs(root: Path) -> Path:
    src = RECORD_SAMPLE.read_text(encoding="utf-8")
    files: dict[str, bytes] = {
        "empty.txt": b"",
        "blank_lines.txt": b"\n\n  \r\n\t\n",
        "zero.docx": b"",
        "random.pdf": random.Random(1).randbytes(4000),
        "fake_pdf.pdf": b"%PDF-1.7\n" + random.Random(5).randbytes(2000),
        "image.png": _png(),
        "program.elf": _elf(),
        "broken.docx": b"PK\x03\x04" + random.Random(6).randbytes(500),
        "legacy.doc": b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600),
        "junk_5mb.txt": _junk_text(5 * 1024 * 1024).encode("utf-8"),
        "notes.md": "# 我的笔记\n\n这不是记录表。\n".encode(),
        "too_big.txt": src.encode("utf-8") + b"\n" * TOO_BIG_EXTRA,
        "truncated.txt": src[: src.index("兴合基金")].encode("utf-8"),
        "名字 有 空格/记录 表 (1).txt": src.encode("utf-8"),
        "a/b/c/d/深层 嵌套.txt": src.encode("utf-8"),
        "gb18030.txt": src.encode("gb18030"),
        "utf16le_bom.txt": b"\xff\xfe" + src.encode("utf-16-le"),
        "utf16be_bom.txt": b"\xfe\xff" + src.encode("utf-16-be"),
        "utf8_bom.txt": b"\xef\xbb\xbf" + src.encode("utf-8"),
        # OS clutter, hidden files and Office lock files are skipped, not listed
        ".DS_Store": b"\x00\x00\x00\x01Bud1",
        ".hidden.txt": src.encode("utf-8"),
        "~$lock.docx": b"\x00lock",
        "Thumbs.db": b"\x00\x01",
    }
    assert set(BAD) | set(GOOD) == {k for k in files if not k.startswith((".", "~$")) and k != "Thumbs.db"}
    for rel, data in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(data)
    return root


@pytest.fixture(scope="module")
def bad_build(tmp_path_factory: pytest.TempPathFactory):
    root = make_bad_inputs(tmp_path_factory.mktemp("bad") / "inputs")
    out = tmp_path_factory.mktemp("bad_out") / "out"
    limit = 5 * 1024 * 1024 + 600_000  # above junk_5mb.txt, below too_big.txt
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(read_mod, "MAX_FILE_BYTES", limit)
        result = invoke("build", root, "-o", out)
    return root, out, result


def test_bad_inputs_build_completes_without_traceback(bad_build) -> None:
    _, out, result = bad_build
    assert result.exit_code == 0, result.output
    assert_no_traceback(result)
    for name in OUTPUT_FILES:
        assert (out / name).is_file(), name


def test_every_input_file_is_listed_with_a_status_and_message(bad_build) -> None:
    root, out, _ = bad_build
    rows = {Path(r["source"]).relative_to(root).as_posix(): r for r in read_csv(out / "records.csv")}
    assert set(rows) == set(BAD) | set(GOOD)  # hidden files, lock files and OS clutter are not inputs
    for rel, row in rows.items():
        assert row["status"] in STATUSES, (rel, row["status"])
    for rel, (status, words) in BAD.items():
        row = rows[rel]
        assert row["status"] == status, (rel, row["status"], row["message"])
        assert row["message"].strip(), rel
        for w in words:
            assert w.lower() in row["message"].lower(), (rel, row["message"])
    for rel, (status,) in GOOD.items():
        assert rows[rel]["status"] == status, (rel, rows[rel]["status"], rows[rel]["message"])


def test_problems_are_reported_on_stderr_one_line_each(bad_build) -> None:
    root, _, result = bad_build
    err_lines = result.stderr.splitlines()
    for rel, (status, _) in BAD.items():
        if status != "error":
            continue
        hits = [ln for ln in err_lines if ln.startswith("irgraph: ") and str(root / rel) in ln and ": error: " in ln]
        assert len(hits) == 1, (rel, err_lines)
    assert err_lines[-1].startswith("irgraph: wrote "), err_lines[-1]


def test_odd_names_and_encodings_give_the_samples_rows(bad_build) -> None:
    root, out, _ = bad_build
    want = [(a.institution, a.person) for a in parse_file(RECORD_SAMPLE).attendees]
    got: dict[str, list[tuple[str, str]]] = {}
    for r in read_csv(out / "attendees.csv"):
        got.setdefault(Path(r["source"]).relative_to(root).as_posix(), []).append(
            (r["raw_institution"], r["person"] or None))
    for rel in ("名字 有 空格/记录 表 (1).txt", "a/b/c/d/深层 嵌套.txt", "gb18030.txt", "utf16le_bom.txt",
                "utf16be_bom.txt", "utf8_bom.txt"):
        assert got.get(rel) == want, rel
    # the record cut before its third attendee keeps the first two rows, and nothing else
    assert got["truncated.txt"] == want[:2]


def test_debug_shows_the_traceback(tmp_path: Path) -> None:
    plain = invoke("build", tmp_path / "missing", "-o", tmp_path / "out")
    assert plain.exit_code != 0 and "Traceback" not in plain.output
    debug = CliRunner().invoke(main, ["--debug", "build", str(tmp_path / "missing"), "-o", str(tmp_path / "out")])
    assert debug.exit_code != 0
    from irgraph.errors import NoInputError

    assert isinstance(debug.exception, NoInputError)  # re-raised for a traceback, not swallowed


def test_junk_file_reads_as_not_a_record_quickly() -> None:
    # 5 MB of junk in short lines: the build must not crash; it is "not a record", read in reasonable time
    import time

    text = _junk_text(5 * 1024 * 1024)
    t = time.perf_counter()
    (rec,) = parse_document(read_mod.read_bytes(text.encode("utf-8"), "junk.txt"))
    assert rec.status == "not_a_record"
    assert time.perf_counter() - t < 30


# --------------------------------------------------------------------------- re-encoded copies


def _encodable(path: Path, encoding: str) -> bool:
    try:
        path.read_text(encoding="utf-8").encode(encoding)
        return True
    except UnicodeEncodeError:
        return False


ENCODINGS = {
    "gb18030": lambda s: s.encode("gb18030"),
    "utf-8-sig": lambda s: b"\xef\xbb\xbf" + s.encode("utf-8"),
    "utf-16-le-bom": lambda s: b"\xff\xfe" + s.encode("utf-16-le"),
    "utf-16-be-bom": lambda s: b"\xfe\xff" + s.encode("utf-16-be"),
    "utf-16 (python, BOM)": lambda s: s.encode("utf-16"),
    "utf-32-bom": lambda s: s.encode("utf-32"),
}


@pytest.mark.parametrize("encoding", sorted(ENCODINGS))
@pytest.mark.parametrize("path", REAL, ids=lambda p: p.stem)
def test_reencoded_record_gives_the_same_record(tmp_path: Path, path: Path, encoding: str) -> None:
    copy = tmp_path / path.name
    copy.write_bytes(ENCODINGS[encoding](path.read_text(encoding="utf-8")))
    orig, got = parse_file(path), parse_file(copy)
    assert got.status == orig.status, got.message
    assert rows_of(got) == rows_of(orig)
    assert (got.stock_code, got.company, got.dates, got.activity_types) == (
        orig.stock_code, orig.company, orig.dates, orig.activity_types)
    assert [u.line_no for u in got.unparsed + got.skipped] == [u.line_no for u in orig.unparsed + orig.skipped]


# Chinese text in UTF-16 without a BOM: almost no NUL bytes (CJK code units are 0x4E00-0x9FFF),
# so the NUL-pattern heuristic of decode_text does not fire and the file is called binary.
CJK_HEAVY = [DEV / "000552_1225390202.txt", DEV / "301563_1225356657.txt", RECORD_SAMPLE]


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be"])
@pytest.mark.parametrize("path", CJK_HEAVY, ids=lambda p: p.stem)
def test_utf16_without_bom_gives_the_same_rows(tmp_path: Path, path: Path, codec: str) -> None:
    copy = tmp_path / path.name
    copy.write_bytes(path.read_text(encoding="utf-8").encode(codec))
    got = parse_file(copy)
    assert got.error is None, got.error
    assert rows_of(got) == rows_of(parse_file(path))


_CJK_TRAD = re.compile("[證國與參資產銀險]")


def _t2s():
    opencc = pytest.importorskip("opencc")
    return opencc.OpenCC("t2s").convert


def _s2t():
    opencc = pytest.importorskip("opencc")
    return opencc.OpenCC("s2t").convert


def _big5_bytes(path: Path) -> bytes:
    """The record in traditional characters, Big5-encoded (the few characters Big5 lacks become ``?``)."""
    return _s2t()(path.read_text(encoding="utf-8")).encode("big5", errors="replace")


def _big5_candidates() -> list[Path]:
    """Real records with attendee rows whose names all exist in Big5 once converted to traditional."""
    conv = _s2t()
    out = []
    for p in REAL:
        rows = parse_file(p).attendees
        try:
            for a in rows:
                conv(a.institution + (a.person or "")).encode("big5")
        except UnicodeEncodeError:
            continue
        if rows:
            out.append(p)
    return out


def test_big5_traditional_copy_decodes_to_the_same_text() -> None:
    paths = _big5_candidates()
    assert len(paths) >= 5
    for p in paths:
        data = _big5_bytes(p)
        text, enc = decode_text(data)
        assert enc.replace("_", "").lower() in ("big5", "big5hkscs", "cp950"), (p.name, enc)
        assert text == data.decode("big5"), p.name


def test_big5_traditional_copy_gives_the_same_rows(tmp_path: Path) -> None:
    conv = _s2t()
    failures = []
    for p in _big5_candidates():
        copy = tmp_path / p.name
        copy.write_bytes(_big5_bytes(p))
        # names come back as printed in the copy; compare modulo traditional/simplified variants
        # (OpenCC converts by phrase, so a name wrapped over two lines may print 信\n托 rather than 信託)
        back = _t2s()
        want = [(back(conv(i)), back(conv(q)) if q else None) for i, q, _ in rows_of(parse_file(p))]
        rec = parse_file(copy)
        got = [(back(i), back(q) if q else None) for i, q, _ in rows_of(rec)]
        assert all(_CJK_TRAD.search(i) for i, _, _ in rows_of(rec) if _CJK_TRAD.search(conv(i))), p.name
        if got != want:
            failures.append((p.name, rec.status, len(rec.attendees), len(want)))
    assert not failures, failures


def test_record_truncated_mid_list_keeps_the_rows_before_the_cut() -> None:
    for path in REAL:
        orig = parse_file(path)
        if len(orig.institution_rows) < 4:
            continue
        text = read_path(path).text
        cut_row = orig.institution_rows[len(orig.institution_rows) // 2]
        lines = text.split("\n")
        cut_line = cut_row.line_no  # keep the lines before it and half of its line
        half = lines[cut_line - 1][: max(1, len(lines[cut_line - 1]) // 2)]
        truncated = "\n".join([*lines[: cut_line - 1], half])
        (rec,) = parse_document(read_mod.read_bytes(truncated.encode("utf-8"), path.name))
        assert rec.error is None
        before = [r for r in rows_of(orig) if r[2] < cut_line - 1]
        got_before = [r for r in rows_of(rec) if r[2] < cut_line - 1]
        # the rows of complete lines stay (the last complete line may still join a wrapped name)
        assert [r[:2] for r in got_before] == [r[:2] for r in before], path.name
        assert all(a.institution.strip() for a in rec.attendees)


# --------------------------------------------------------------------------- fatal problems


def _fatal_cases(tmp: Path) -> dict[str, list[str]]:
    samples = str(SAMPLES)
    (tmp / "empty_dir").mkdir()
    (tmp / "clutter_only").mkdir()
    (tmp / "clutter_only" / ".DS_Store").write_bytes(b"\x00")
    (tmp / "clutter_only" / "~$x.docx").write_bytes(b"\x00")
    (tmp / "a_file").write_text("not a folder")
    return {
        "missing path": ["build", str(tmp / "nope"), "-o", str(tmp / "o1")],
        "empty directory": ["build", str(tmp / "empty_dir"), "-o", str(tmp / "o2")],
        "only clutter": ["build", str(tmp / "clutter_only"), "-o", str(tmp / "o3")],
        "out is a file": ["build", samples, "-o", str(tmp / "a_file")],
        "out under a file": ["build", samples, "-o", str(tmp / "a_file" / "sub")],
        "out under /proc": ["build", samples, "-o", "/proc/irgraph-test-out"],
        "out is /dev/null": ["build", samples, "-o", "/dev/null"],
        "since not a date": ["build", samples, "-o", str(tmp / "o4"), "--since", "notadate"],
        "until not a date": ["build", samples, "-o", str(tmp / "o5"), "--until", "2024-13-01"],
        "bad level": ["build", samples, "-o", str(tmp / "o6"), "--level", "x"],
        "bad top-k": ["build", samples, "-o", str(tmp / "o7"), "--top-k", "0"],
        "unknown option": ["build", samples, "-o", str(tmp / "o8"), "--frobnicate"],
        "no -o": ["build", samples],
        "registry missing": ["build", samples, "-o", str(tmp / "o9"), "--registry", str(tmp / "none.csv")],
        # (was found only after the whole build, with the output folder made)
        "since after until": ["build", samples, "-o", str(tmp / "o10"), "--since", "2024-09-01", "--until", "2024-01-01"],
    }


FATAL_IDS = ["missing path", "empty directory", "only clutter", "out is a file",
             "out under a file", "out under /proc", "out is /dev/null", "since not a date", "until not a date",
             "bad level", "bad top-k", "unknown option", "no -o", "registry missing", "since after until"]


@pytest.mark.parametrize("case", FATAL_IDS)
def test_fatal_problem_is_one_line_and_nonzero(tmp_path: Path, case: str) -> None:
    cases = _fatal_cases(tmp_path)
    assert set(cases) == set(FATAL_IDS)
    before = tree(tmp_path)
    paths = sorted(tmp_path.rglob("*"))
    a_file = (tmp_path / "a_file").read_bytes()
    result = invoke(*cases[case])
    assert result.exit_code != 0, result.output
    assert_no_traceback(result)
    assert result.stdout == ""
    err = [ln for ln in result.stderr.splitlines() if ln.strip()]
    assert len(err) == 1, err  # bad options too: one line, not click's usage block
    assert err[0].startswith("irgraph: error: "), err
    # nothing was built: no output folder appeared, the file in the way is untouched
    assert tree(tmp_path) == before and sorted(tmp_path.rglob("*")) == paths
    assert (tmp_path / "a_file").read_bytes() == a_file


def test_a_missing_path_among_good_ones_is_a_problem_not_the_end(tmp_path: Path) -> None:
    """A path that does not exist, given with others, becomes an error record naming it; the rest
    is built and the command exits 0 (as for any other unreadable input)."""
    out = tmp_path / "out"
    result = invoke("build", str(SAMPLES), str(tmp_path / "nope.txt"), "-o", str(out))
    assert result.exit_code == 0, result.output
    assert f"irgraph: {tmp_path / 'nope.txt'}: error: cannot read file: No such file or directory" in result.stderr
    rows = {r["source"]: r for r in csv.DictReader((out / "records.csv").open(encoding="utf-8-sig"))}
    assert rows[str(tmp_path / "nope.txt")]["status"] == "error" and len(rows) == 6
    assert "6 files, 4 records" in result.stderr.strip().splitlines()[-1]  # the unreadable one is no record
    both_missing = invoke("build", str(tmp_path / "a"), str(tmp_path / "b"), "-o", str(tmp_path / "o2"))
    assert both_missing.exit_code == 2 and "no such files or directories" in both_missing.stderr


def test_fatal_message_names_the_problem(tmp_path: Path) -> None:
    cases = _fatal_cases(tmp_path)
    assert "nope" in invoke(*cases["missing path"]).stderr
    assert "a_file" in invoke(*cases["out is a file"]).stderr
    assert "notadate" in invoke(*cases["since not a date"]).stderr


# --------------------------------------------------------------------------- nothing lost

_LABEL_ATT = re.compile(r"^(?:参与单位|参会单位|参加单位|参与机构|参会机构|参会人员|参与人员|与会单位|与会人员|来访单位|来访机构|来访人员|"
                        r"调研机构|活动参与人员)")
_FULL_ATT = ("参与单位名称及人员姓名", "参与单位及人员姓名", "参与单位及人员名称", "参与单位及人员", "参与单位名称", "参与单位/人员名称",
             "参与单位名称/人员名称", "参会单位及人员", "参会单位名称及人员姓名", "参与单位", "参会单位", "来访单位及人员", "调研机构名称")
_LABEL_OTHER = re.compile(
    r"^(?:投资者关系活动(?:类别|形式|类型|主要内容)|活动类别|时间|会议时间|调研时间|来访时间|活动时间|交流时间|日期|地点|会议地点|活动地点|"
    r"调研地点|交流地点|上市公司|公司接待|公司出席|公司参会|接待人员|主要内容|交流内容|会议内容|活动主要内容|附件清单|附件名称|是否涉及|"
    r"关于本次活动|形式|方式|活动方式)")
_LABEL_CONTENT = re.compile(r"^(?:投资者关系活动主要内容|投资者交流主要内容|活动主要内容|主要内容|交流内容|会议内容)")
_ATTACH = re.compile(r"^(?:附件|附表|附录|附)[一二三四五六七八九十\d]*[:：《<]?.*(?:人员|名单|机构|单位|清单|参会|与会|调研|来访)")
_HEADER = re.compile(r"^(?:序号|编号|单位名称|机构名称|公司名称|参会者姓名|参会人员|调研人员|人员姓名|姓名|单位|机构|"
                     r"职位|职务|人员|参会者|名称|\||/)+$")
_PAGE = re.compile(r"^(?:[-—–]?\d{1,3}[-—–]?|第\d{1,3}页(?:共\d{1,3}页)?|\d{1,3}/\d{1,3})$")
_OPEN_PAREN = re.compile(r"^[(（][^)）]{0,12}[)）]")


def _k(s: str) -> str:
    return nkey(s).lstrip("|")


def _is_header(k: str) -> bool:
    return bool(_HEADER.match(k)) and any(w in k for w in ("姓名", "单位", "机构", "名称"))


def _content_at(keys: list[str], i: int) -> bool:
    k = keys[i]
    if not k:
        return False
    if _LABEL_CONTENT.match(k):
        return True
    m = _LABEL_CONTENT.match("".join(keys[i:i + 4])) if len(k) <= 8 else None  # a label wrapped over lines
    return bool(m) and m.end() > len(k)


def attendee_section(text: str) -> set[int]:
    """1-based numbers of the content lines of a record's attendee section, found without the parser.

    The section runs from the 参与单位… label (wrapped over lines and with a parenthetical such as
    （无排名先后） allowed) to the next label, plus an attendee attachment after the content
    (附件…名单 / a 序号 单位 姓名 header) up to the next label. Page numbers and page headers
    repeated from the top of the document are furniture, not section lines.
    """
    lines = text.split("\n")
    keys = [_k(t) for t in lines]
    heads = {k for k in [k for k in keys[:4] if k][:3] if len(k) >= 4}
    furniture = {i for i, k in enumerate(keys) if _PAGE.match(k) or (i > 3 and k in heads)}
    out: set[int] = set()
    start = next((i for i, k in enumerate(keys) if _LABEL_ATT.match(k)), None)
    if start is None:
        return set()
    acc, j, rest = "", start, ""
    while j < len(lines):
        acc += keys[j]
        opened = acc.count("（") + acc.count("(") > acc.count("）") + acc.count(")")
        partial = any(f.startswith(acc) for f in _FULL_ATT) or opened
        if partial and j + 1 < len(lines) and keys[j + 1] and not _LABEL_OTHER.match(keys[j + 1]):
            j += 1
            continue
        cands = [f for f in _FULL_ATT if acc.startswith(f)]
        if cands:
            rest = acc[len(max(cands, key=len)):]
            if m := _OPEN_PAREN.match(rest):
                rest = rest[m.end():]
        break
    if rest.strip(":：|"):
        out.add(j)  # the label line carries a value
    i = j + 1
    while i < len(lines) and not _LABEL_OTHER.match(keys[i]):
        if keys[i] and i not in furniture:
            out.add(i)
        i += 1
    content = next((n for n in range(i, len(keys)) if _content_at(keys, n)), None)
    for n in range(content + 1 if content is not None else i, len(lines)):
        k = keys[n]
        if (_ATTACH.match(k) and not k.startswith("附件清单")) or _is_header(k) or (
                n + 1 < len(keys) and len(k) <= 6 and _is_header(k + keys[n + 1])):
            m2 = n
            while m2 < len(lines) and not (m2 > n and _LABEL_OTHER.match(keys[m2])):
                if keys[m2] and m2 not in furniture:
                    out.add(m2)
                m2 += 1
            break
    return {x + 1 for x in out}


def _hostile_record_path(tmp: Path) -> Path:
    p = tmp / "hostile.txt"
    p.write_text(hostile_record(), encoding="utf-8")
    return p


def _lost_records(tmp: Path) -> list[Path]:
    make_bad_inputs(tmp / "bad")
    fixtures = [tmp / "bad" / "truncated.txt", tmp / "bad" / "gb18030.txt", _hostile_record_path(tmp)]
    return REAL + fixtures


_LABEL_ATT_LINE = re.compile(r"^\s*(?:" + "|".join(sorted(_FULL_ATT, key=len, reverse=True)) + r")\s*(?=[|:：\s])")


def _accounted(rec: Record) -> set[int]:
    rows = {n for a in rec.attendees for n in (a.line_no, *a.lines)}
    return rows | {u.line_no for u in rec.unparsed} | {u.line_no for u in rec.skipped}


def test_section_finder_sees_the_attendee_lists(tmp_path: Path) -> None:
    # the independent section finder must find a section wherever the parser found rows
    for p in _lost_records(tmp_path):
        rec = parse_file(p)
        sec = attendee_section(read_path(p).text)
        if rec.institution_rows:
            assert sec, p.name
            rows_in = {a.line_no for a in rec.attendees}
            assert rows_in <= sec, (p.name, sorted(rows_in - sec))


_NOTE = re.compile(r"[（(][^)）]*(?:排名|先后|排序)[^)）]*[)）]|(?:排名|排序)?不分先后|等(?:机构|单位|\d+家机构)?(?=$|[、，,。])"
                   r"|(?:近|约|超过|逾)?\d{1,4}\s*(?:余|多)?\s*(?:家|位|名|人)(?:机构)?(?:投资者)?(?:人员)?")
_AND = re.compile(r"(?<=证券|基金|投资|资本|资产|资管|保险|银行|信托|公司|集团)(?:和|及|与|以及)")


def test_every_attendee_line_text_ends_up_somewhere(tmp_path: Path) -> None:
    """Every name-like piece of every section line is in a row, an unparsed or a skipped entry."""
    problems = []
    for p in _lost_records(tmp_path):
        doc = read_path(p)
        rec = parse_file(p)
        lines = doc.text.split("\n")
        ledger = "\n".join([nkey(a.institution + (a.person or "")) for a in rec.attendees]
                           + [nkey(u.text) for u in rec.unparsed + rec.skipped])
        for n in sorted(attendee_section(doc.text)):
            line = _LABEL_ATT_LINE.sub("", unicodedata.normalize("NFKC", lines[n - 1]))  # a label with its value
            text = _AND.sub(" ", _NOTE.sub(" ", line))
            for tok in re.split(r"[、，,；;：:\s|。]+", text):
                tok = re.sub(r"^\d{1,3}[.、]?", "", tok).lstrip("-—*·•.")  # numbering and list markers
                if len(tok) >= 2 and nkey(tok) not in ledger:
                    problems.append((p.name, n, tok))
    assert not problems, problems[:20]


def test_every_attendee_line_number_is_accounted_for(tmp_path: Path) -> None:
    problems = []
    for p in _lost_records(tmp_path):
        rec = parse_file(p)
        missing = sorted(attendee_section(read_path(p).text) - _accounted(rec))
        if missing:
            problems.append((p.name, missing[:5], len(missing)))
    assert not problems, problems


def test_unparsed_csv_holds_every_unparsed_and_skipped_line(tmp_path: Path) -> None:
    out = tmp_path / "out"
    res = invoke("build", *[str(p) for p in _lost_records(tmp_path)], "-o", out, "-q")
    assert res.exit_code == 0, res.output
    got = {(r["source"], int(r["line_no"]), r["kind"]) for r in read_csv(out / "unparsed.csv")}
    want = set()
    for r in read_csv(out / "records.csv"):
        rec = parse_file(Path(r["source"]))
        want |= {(r["source"], u.line_no, "unparsed") for u in rec.unparsed}
        want |= {(r["source"], u.line_no, "skipped") for u in rec.skipped}
        assert int(r["n_unparsed"]) == len(rec.unparsed)
    assert got == want


# --------------------------------------------------------------------------- determinism


def _build_subprocess(inputs: list[Path], out: Path, hashseed: str) -> None:
    env = {**os.environ, "PYTHONHASHSEED": hashseed}
    code = "import sys; from irgraph.cli import main; sys.exit(main())"
    res = subprocess.run([sys.executable, "-c", code, "build", *map(str, inputs), "-o", str(out), "-q"],
                         env=env, capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr


def test_two_builds_are_byte_identical_across_hash_seeds(tmp_path: Path) -> None:
    inputs = [SAMPLES, DEV, _hostile_record_path(tmp_path)]
    a, b = tmp_path / "a", tmp_path / "b"
    _build_subprocess(inputs, a, "1")
    _build_subprocess(inputs, b, "2")
    ta, tb = tree(a), tree(b)
    assert set(ta) == set(tb)
    expected = set(OUTPUT_FILES) | {f"parquet/{n}.parquet" for n in ("records", "attendees", "institutions", "review",
                                                                     "unparsed", "centrality", "company_overlap",
                                                                     "institution_overlap")}
    assert expected <= set(ta), sorted(expected - set(ta))
    differ = sorted(n for n in ta if ta[n] != tb[n])
    assert not differ, differ


def test_rebuild_into_the_same_folder_is_identical(tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert invoke("build", SAMPLES, "-o", out, "-q").exit_code == 0
    first = tree(out)
    assert invoke("build", SAMPLES, "-o", out, "-q").exit_code == 0
    assert tree(out) == first  # and no temp files were left next to them


def test_input_order_does_not_change_the_outputs(tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    assert invoke("build", SAMPLES, DEV, "-o", a, "-q", "--no-parquet").exit_code == 0
    assert invoke("build", DEV, SAMPLES, "-o", b, "-q", "--no-parquet").exit_code == 0
    ta, tb = tree(a), tree(b)
    assert sorted(n for n in ta if ta[n] != tb.get(n)) == []


@pytest.fixture(scope="module")
def sample_result():
    return pipeline.build([str(SAMPLES)])


def _temp_files(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.rglob("*") if p.name.endswith(".tmp") or ".irgraph-write-test" in p.name)


def test_csv_writer_failing_midway_keeps_the_old_file(tmp_path: Path, sample_result, monkeypatch) -> None:
    out = tmp_path / "out"
    sample_result.write(out, xlsx=False, parquet=False)
    old = tree(out)
    real = pipeline.atomic_open

    @contextlib.contextmanager
    def failing(path, *args, **kwargs):
        with real(path, *args, **kwargs) as f:
            class Half:
                def write(self, s: str) -> int:
                    f.write(s[: len(s) // 2])
                    f.flush()
                    raise OSError(28, "No space left on device")
            yield Half()

    monkeypatch.setattr(pipeline, "atomic_open", failing)
    with pytest.raises(OSError):
        sample_result.write(out, xlsx=False, parquet=False)
    assert tree(out) == old
    assert _temp_files(out) == []


@pytest.mark.parametrize("target", [*OUTPUT_FILES, "records.parquet"])
def test_failed_rename_keeps_the_old_file_and_leaves_no_temp(tmp_path: Path, sample_result, monkeypatch,
                                                             target: str) -> None:
    import irgraph._io as io_mod

    out = tmp_path / "out"
    opts = {"xlsx": target.endswith(".xlsx"), "parquet": target.endswith(".parquet")}
    sample_result.write(out, **opts)
    # an older version of the target (a file holding the very bytes about to be written is left alone)
    rel = next(p for p in tree(out) if Path(p).name == target)
    (out / rel).write_bytes(b"an older version")
    old = tree(out)
    real_replace = os.replace

    def replace(src, dst, *a, **k):
        if Path(dst).name == target:
            raise OSError(5, "Input/output error")
        return real_replace(src, dst, *a, **k)

    monkeypatch.setattr(io_mod.os, "replace", replace)
    with pytest.raises((OSError, OutputError)):
        sample_result.write(out, **opts)
    rel = next(n for n in old if Path(n).name == target)
    assert (out / rel).read_bytes() == old[rel]
    assert _temp_files(out) == []


def test_an_output_holding_the_same_bytes_is_left_as_it_is(tmp_path: Path, sample_result) -> None:
    """Writing the same result again leaves every file in place (same inode and modification time:
    tools that rebuild from changed files see nothing new); a file whose bytes differ is replaced."""
    out = tmp_path / "out"
    sample_result.write(out, xlsx=False, parquet=False)
    files = sorted(p for p in out.rglob("*") if p.is_file())
    before = {p: (p.stat().st_ino, p.stat().st_mtime_ns) for p in files}
    (out / "records.csv").write_bytes(b"edited")
    edited = (out / "records.csv").stat().st_ino
    sample_result.write(out, xlsx=False, parquet=False)
    for p in files:
        if p.name == "records.csv":
            assert p.stat().st_ino != edited and p.read_bytes().startswith("\ufeffsource".encode())
        else:
            assert (p.stat().st_ino, p.stat().st_mtime_ns) == before[p], p
    assert _temp_files(out) == []


def test_write_failure_through_the_cli_is_one_line(tmp_path: Path, monkeypatch) -> None:
    import irgraph._io as io_mod

    real_replace = os.replace

    def replace(src, dst, *a, **k):
        if Path(dst).name == "graph.gexf":
            raise OSError(28, "No space left on device")
        return real_replace(src, dst, *a, **k)

    monkeypatch.setattr(io_mod.os, "replace", replace)
    result = invoke("build", SAMPLES, "-o", tmp_path / "out", "-q")
    assert result.exit_code != 0
    assert_no_traceback(result)
    err = result.stderr.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("irgraph: ") and "space" in err[0], err


# --------------------------------------------------------------------------- safety

HOSTILE = [
    "<img src=x onerror=alert(1)>",
    "</script><script>alert(1)</script>",
    "\"引号\"'单引号'",
    "=HYPERLINK(\"http://x\",\"y\")",
    "=1+1",
    "+1+1",
    "-2+3",
    "@SUM(A1)",
    "../../etc/passwd",
    "长" * 3000,
    "NUL\x00控制\x07\x1b字符",
    "\t=1+2",
    "\r=3+3",
    "<svg/onload=alert(4)>",
    "{{7*7}}${7*7}",
]


def hostile_record() -> str:
    lines = ["证券代码：688787 证券简称：<script>alert(2)</script>", "=HYPERLINK(1)股份有限公司", "投资者关系活动记录表",
             "编号：2024-013", "投资者关系活动类别", "□特定对象调研 √分析师会议", "", "参与单位名称及人员姓名"]
    lines += [f"{h}资产管理有限公司 王雁杰" for h in HOSTILE]
    lines += ["=2+2资产管理有限公司 <img/src=y/onerror=alert(3)>", "@cmd资产管理有限公司 +张三"]
    lines += ["", "会议时间", "2024年9月4日", "", "会议地点", "<iframe src=//x>", "", "上市公司接待人员姓名",
              "董事会秘书 张三", "", "投资者关系活动主要内容介绍", "内容"]
    return "\n".join(lines)


@pytest.fixture(scope="module")
def hostile_build(tmp_path_factory: pytest.TempPathFactory):
    base = tmp_path_factory.mktemp("hostile")
    inputs = base / "inputs"
    inputs.mkdir()
    (inputs / "<img src=x onerror=alert(9)>.txt").write_text(hostile_record(), encoding="utf-8")
    (inputs / "=1+1 ..%2f..%2fevil.txt").write_text(hostile_record(), encoding="utf-8")
    out = base / "out"
    before = {p for p in base.parent.rglob("*")}
    result = invoke("build", inputs, SAMPLES, "-o", out, "-q")
    after = {p for p in base.parent.rglob("*")}
    return out, result, before, after


def test_hostile_build_completes(hostile_build) -> None:
    out, result, _, _ = hostile_build
    assert result.exit_code == 0, result.output
    assert_no_traceback(result)
    raws = {r["raw_institution"] for r in read_csv(out / "attendees.csv")}
    # the hostile names reach the outputs (else the checks below would test nothing)
    assert "<img src=x onerror=alert(1)>资产管理有限公司" in raws
    assert "</script><script>alert(1)</script>资产管理有限公司" in raws
    assert "'=1+1资产管理有限公司" in raws and "'+1+1资产管理有限公司" in raws and "'@SUM(A1)资产管理有限公司" in raws


_FORMULA = ("=", "+", "-", "@", "\t", "\r")


def _is_number(s: str) -> bool:
    try:
        float(s)
        return True
    except ValueError:
        return False


def test_csv_cells_never_start_a_formula(hostile_build) -> None:
    out, _, _, _ = hostile_build
    n = 0
    for path in sorted(out.glob("*.csv")):
        with open(path, encoding="utf-8-sig", newline="") as f:
            for row in csv.reader(f):
                for cell in row:
                    n += 1
                    assert not (cell.startswith(_FORMULA) and not _is_number(cell)), (path.name, cell[:80])
                    assert "\x00" not in cell
    assert n > 1000


def test_xlsx_has_no_formula_cells(hostile_build) -> None:
    from openpyxl import load_workbook

    out, _, _, _ = hostile_build
    wb = load_workbook(out / "irgraph.xlsx")
    seen_hostile = False
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for c in row:
                assert c.data_type != "f", (ws.title, c.coordinate, c.value)
                if isinstance(c.value, str):
                    assert not c.value.startswith(_FORMULA) or _is_number(c.value), (ws.title, c.value[:80])
                    seen_hostile |= c.value.startswith("'=")  # a hostile name, made inert
    assert seen_hostile
    with zipfile.ZipFile(out / "irgraph.xlsx") as z:
        for name in z.namelist():
            assert b"<f>" not in z.read(name) and b"<f " not in z.read(name), name
            assert not name.startswith(("/", "..")), name


def test_graph_files_are_valid_xml_that_keeps_the_names(hostile_build) -> None:
    out, _, _, _ = hostile_build
    for G in (nx.read_graphml(out / "graph.graphml"), nx.read_gexf(out / "graph.gexf")):
        labels = {d.get("label") for _, d in G.nodes(data=True)}
        assert "<img src=x onerror=alert(1)>资产管理有限公司" in labels
        assert "</script><script>alert(1)</script>资产管理有限公司" in labels
        assert any(isinstance(lb, str) and lb.startswith("长" * 100) for lb in labels)
        assert {d.get("bipartite") for _, d in G.nodes(data=True)} == {0, 1}


def test_explorer_html_has_no_live_markup_from_names(hostile_build) -> None:
    out, _, _, _ = hostile_build
    html = (out / "explorer.html").read_text(encoding="utf-8")
    low = html.lower()
    for tag in ("<img", "<svg", "<iframe"):
        assert tag not in low, tag
    m = re.search(r'<script type="application/json" id="irgraph-data">(.*?)</script>', html, re.S)
    assert m, "explorer data block not found"
    data = m.group(1)
    assert "<" not in data and ">" not in data
    assert "\\u003cimg src=x onerror=alert(1)\\u003e" in data  # the name is there, escaped
    # exactly the explorer's own script elements, none from a name
    benign = pipeline.build([str(SAMPLES)]).explorer_html.lower()
    assert low.count("<script") == benign.count("<script")
    assert low.count("</script") == benign.count("</script")


def test_nothing_is_written_outside_out(hostile_build) -> None:
    out, _, before, after = hostile_build
    new = {p for p in after - before if out not in p.parents and p != out}
    assert new == set()
    # the parse/resolve cache lives in OUT/.irgraph-cache by default (documented; --no-cache / --cache DIR)
    names = {p.relative_to(out).as_posix() for p in out.rglob("*") if not p.relative_to(out).as_posix().startswith(
        ".irgraph-cache")}
    allowed = set(OUTPUT_FILES) | {"parquet"} | {f"parquet/{p.name}" for p in (out / "parquet").glob("*.parquet")}
    assert names == allowed
    cache = [p for p in (out / ".irgraph-cache").rglob("*") if p.is_file()]
    assert cache and all(p.suffix == ".json" or p.parent.name != "parse" for p in cache)
    assert all(re.fullmatch(r"[a-z_]+\.parquet", p.name) for p in (out / "parquet").glob("*"))


def test_long_name_is_kept_whole(hostile_build) -> None:
    out, _, _, _ = hostile_build
    raws = [r["raw_institution"] for r in read_csv(out / "attendees.csv")]
    assert "长" * 3000 + "资产管理有限公司" in raws


def _vendor_csv(tmp: Path) -> Path:
    folder = tmp / "vendor"
    folder.mkdir()
    header = "序号,代码,名称,最新价,涨跌幅,调研机构,机构类型,调研人员,接待方式,接待人员,接待地点,调研日期,公告日期\n"
    rows = ["1,688787,海天瑞声,1,1,控制\x07字符\x1b基金,基金公司,王\x0b雁杰,特定对象调研,张三,会议室,2024-09-04,2024-09-05",
            "2,688787,海天瑞声,1,1,=1+1基金,基金公司,李四,特定对象调研,张三,会议室,2024-09-04,2024-09-05"]
    (folder / "jgdy.csv").write_text(header + "\n".join(rows) + "\n", encoding="utf-8")
    return folder


def test_control_chars_in_a_vendor_table_do_not_crash_the_build(tmp_path: Path) -> None:
    # regression: openpyxl IllegalCharacterError (traceback, exit 1, no xlsx/parquet), fixed in 1917edf
    from openpyxl import load_workbook

    result = invoke("build", _vendor_csv(tmp_path), "-o", tmp_path / "out", "-q")
    assert result.exit_code == 0, result.output
    assert_no_traceback(result)
    cells = [c.value for ws in load_workbook(tmp_path / "out" / "irgraph.xlsx").worksheets
             for row in ws.iter_rows() for c in row if isinstance(c.value, str)]
    assert any("字符" in v and "控制" in v for v in cells)
    assert "'=1+1基金" in cells


def test_control_chars_in_a_vendor_table_give_valid_graph_xml(tmp_path: Path) -> None:
    result = invoke("build", _vendor_csv(tmp_path), "-o", tmp_path / "out", "-q", "--no-xlsx")
    assert result.exit_code == 0, result.output
    nx.read_graphml(tmp_path / "out" / "graph.graphml")
    nx.read_gexf(tmp_path / "out" / "graph.gexf")


def test_control_chars_in_a_text_record_are_dropped(tmp_path: Path) -> None:
    text = hostile_record().replace("NUL\x00", "NUL")  # a NUL in the first 4 KiB makes the file "binary"
    p = tmp_path / "ctl.txt"
    p.write_text(text.replace("控制\x07", "控制\x07\x0b\x0c\x1f\x7f\u0085"), encoding="utf-8")
    rec = parse_file(p)
    for a in rec.attendees:
        for s in (a.institution, a.person or ""):
            assert not any(unicodedata.category(ch) == "Cc" for ch in s), repr(s)
    assert any(a.institution.startswith("NUL控制") for a in rec.attendees)


def test_source_names_are_not_run_or_followed(tmp_path: Path) -> None:
    # a file named like a shell command and a path escape is just a name
    name = "$(touch pwned); `touch pwned2` ..%2f.txt"
    p = tmp_path / "in" / name
    p.parent.mkdir()
    p.write_text(RECORD_SAMPLE.read_text(encoding="utf-8"), encoding="utf-8")
    cwd = Path.cwd()
    os.chdir(tmp_path)
    try:
        result = invoke("build", tmp_path / "in", "-o", tmp_path / "out", "-q")
    finally:
        os.chdir(cwd)
    assert result.exit_code == 0, result.output
    assert not (tmp_path / "pwned").exists() and not (tmp_path / "pwned2").exists()
    assert not (cwd / "pwned").exists()
    assert [r["status"] for r in read_csv(tmp_path / "out" / "records.csv")] == ["ok"]


_BAD_CALLS = {"eval", "exec", "compile", "__import__", "execfile"}
_BAD_ATTRS = {("pickle", "load"), ("pickle", "loads"), ("pickle", "Unpickler"), ("marshal", "load"),
              ("marshal", "loads"), ("shelve", "open"), ("yaml", "load"), ("yaml", "unsafe_load"), ("os", "system"),
              ("os", "popen"), ("os", "execv"), ("os", "execvp"), ("subprocess", "run"), ("subprocess", "Popen"),
              ("subprocess", "call"), ("subprocess", "check_output"), ("subprocess", "check_call"),
              ("pd", "read_pickle"), ("pandas", "read_pickle"), ("np", "load"), ("numpy", "load")}
_BAD_MODULES = {"pickle", "cPickle", "dill", "marshal", "shelve", "subprocess", "joblib"}


def test_package_runs_nothing_a_name_contains() -> None:
    """No eval/exec, no pickle/marshal loads, no shell, anywhere in the package's code (AST, not comments)."""
    import ast

    hits = []
    files = sorted((ROOT / "irgraph").rglob("*.py"))
    assert len(files) >= 10
    for path in files:
        tree_ = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree_):
            where = f"{path.relative_to(ROOT)}:{getattr(node, 'lineno', 0)}"
            if isinstance(node, ast.Call):
                f = node.func
                if isinstance(f, ast.Name) and f.id in _BAD_CALLS:
                    hits.append(f"{where}: {f.id}()")
                if isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name) and (f.value.id, f.attr) in _BAD_ATTRS:
                    hits.append(f"{where}: {f.value.id}.{f.attr}()")
                for kw in node.keywords:
                    if kw.arg == "shell" and isinstance(kw.value, ast.Constant) and kw.value.value:
                        hits.append(f"{where}: shell=True")
                    if kw.arg == "allow_pickle" and isinstance(kw.value, ast.Constant) and kw.value.value:
                        hits.append(f"{where}: allow_pickle=True")
            elif isinstance(node, ast.Import):
                hits += [f"{where}: import {a.name}" for a in node.names if a.name.split(".")[0] in _BAD_MODULES]
            elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] in _BAD_MODULES:
                hits.append(f"{where}: from {node.module} import ...")
    assert not hits, hits
    # the explorer's own scripts evaluate no strings either
    for path in sorted((ROOT / "irgraph" / "templates").glob("*.js")):
        js = path.read_text(encoding="utf-8")
        assert not re.search(r"\beval\s*\(|new\s+Function\s*\(|setTimeout\s*\(\s*['\"]", js), path.name


def test_pandas_and_parquet_outputs_round_trip_hostile_names(hostile_build) -> None:
    pd = pytest.importorskip("pandas")
    out, _, _, _ = hostile_build
    df = pd.read_parquet(out / "parquet" / "attendees.parquet")
    assert "<img src=x onerror=alert(1)>资产管理有限公司" in set(df["raw_institution"])
    # Parquet is data, not a spreadsheet: the names are kept as printed there (no ' prefix) ...
    # ... except that the CSV/xlsx prefix is documented for text cells; record what Parquet holds
    assert len(df) == len(read_csv(out / "attendees.csv"))


def test_output_files_get_the_usual_permissions(tmp_path: Path, sample_result) -> None:
    old = os.umask(0o022)
    try:
        sample_result.write(tmp_path / "out", xlsx=False, parquet=False)
    finally:
        os.umask(old)
    modes = {p.name: p.stat().st_mode & 0o777 for p in (tmp_path / "out").iterdir() if p.is_file()}
    assert set(modes.values()) == {0o644}, modes
