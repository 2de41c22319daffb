"""Read stage: find input files and turn each into a :class:`~irgraph.models.Document`.

The format is told by content, not by the file name: DOCX and XLSX are zip archives with
known members, PDF starts with ``%PDF-``, vendor tables (akshare / Tushare) are recognised by
their columns, anything else is decoded as text in whatever encoding it uses.
"""

from __future__ import annotations

import codecs
import io
import os
import re
import unicodedata
import zipfile
from collections.abc import Iterable
from pathlib import Path

from irgraph.errors import InputError, NoInputError
from irgraph.models import Document

MAX_FILE_BYTES = 50 * 1024 * 1024  # larger inputs are reported, not read
_SKIP_NAMES = {".DS_Store", "Thumbs.db", "desktop.ini"}
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def iter_input_files(inputs: Iterable[str | os.PathLike[str]]) -> list[Path]:
    """Every file named or found (recursively) under the given paths, in a stable order.

    Hidden files, editor lock files (``~$x.docx``) and OS clutter are skipped. A path that does not
    exist is kept as given (reading it gives an error record that names it, and the other inputs are
    read); :class:`NoInputError` when no path exists or nothing is found.
    """
    inputs = list(inputs)
    found: list[Path] = []
    missing: list[str] = []
    for raw in inputs:
        p = raw if isinstance(raw, Path) else Path(raw)
        if os.path.isfile(p):  # (one stat: a year's listing given again costs little)
            found.append(p)
        elif not os.path.exists(p):
            found.append(p)
            missing.append(str(p))
        else:
            for root, dirs, files in os.walk(p):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                base = Path(root)
                found += [base / name for name in sorted(files)
                          if not (name.startswith((".", "~$")) or name in _SKIP_NAMES)]
    unique = list(dict.fromkeys(found))
    missing = list(dict.fromkeys(missing))
    if len(missing) == len(unique):  # no path exists (or nothing at all was found)
        if missing:
            raise NoInputError(f"{missing[0]}: no such file or directory" if len(missing) == 1
                               else "no such files or directories: " + ", ".join(missing))
        raise NoInputError("no input files found in: " + ", ".join(str(i) for i in inputs))
    return unique


def read_path(path: str | os.PathLike[str]) -> Document:
    """Read one input file. Problems become ``Document.error`` (never an exception)."""
    source = str(path)
    try:
        size = os.path.getsize(path)
        if size > MAX_FILE_BYTES:
            return Document(source, error=f"file is {_size(size)}, over the {_size(MAX_FILE_BYTES)} limit")
        with open(path, "rb") as f:
            data = f.read()
    except OSError as e:
        return Document(source, error=f"cannot read file: {e.strerror or e}")
    return read_bytes(data, source)


def _size(n: int) -> str:
    return f"{n / 2**20:.1f} MiB" if n >= 2**20 else f"{n / 2**10:.1f} KiB" if n >= 2**10 else f"{n} bytes"


def read_bytes(data: bytes, source: str) -> Document:
    """Read an input given as bytes; ``source`` names it in messages."""
    if not data.strip():
        return Document(source, error="empty file")
    try:
        if data.startswith(b"PK\x03\x04"):
            return _read_zip(data, source)
        if data.lstrip()[:5] == b"%PDF-":
            from irgraph.read import pdf

            return Document(source, text=clean_text(pdf.pdf_to_text(data)), format="pdf")
        if data.startswith(b"\xd0\xcf\x11\xe0"):
            return Document(source, error="legacy Office file (.doc/.xls) is not supported; save it as DOCX/XLSX")
        text, encoding = decode_text(data)
    except InputError as e:
        fmt = "pdf" if data.lstrip()[:5] == b"%PDF-" else "text"
        if data.startswith(b"PK\x03\x04"):
            fmt = "table" if b"xl/workbook.xml" in data[:65536] or str(e).startswith("XLSX") else "docx"
        return Document(source, error=str(e), format=fmt)
    table = _try_table(text, source)
    if table is not None:
        return table
    return Document(source, text=clean_text(text), format="text", encoding=encoding)


def _read_zip(data: bytes, source: str) -> Document:
    try:
        names = set(zipfile.ZipFile(io.BytesIO(data)).namelist())
    except zipfile.BadZipFile:
        raise InputError("damaged zip container (not a readable DOCX/XLSX)") from None
    if "word/document.xml" in names:
        from irgraph.read import docx

        return Document(source, text=clean_text(docx.docx_to_text(data)), format="docx")
    if "xl/workbook.xml" in names:
        from irgraph.read import tables

        records = tables.records_from_xlsx(data, source)
        return Document(source, format=records[0].format if records else "table", records=records)
    raise InputError("zip archive that is neither DOCX nor XLSX")


def _try_table(text: str, source: str) -> Document | None:
    try:
        from irgraph.read import tables
    except ImportError:  # pragma: no cover - tables reader not installed
        return None
    fmt = tables.detect_csv(text)
    if fmt is None:
        problem = tables.other_table(text)  # a quote/price table: an error, not a text record
        return Document(source, error=problem, format="table") if problem else None
    try:
        records = tables.records_from_csv(text, source)
    except InputError as e:  # e.g. headers without data rows: one error record for the file
        return Document(source, error=str(e), format=fmt)
    return Document(source, format=fmt, records=records)


def decode_text(data: bytes) -> tuple[str, str]:
    """Decode text bytes in any common encoding; returns ``(text, encoding)``.

    BOMs decide first; then strict UTF-8; then UTF-16 without BOM (NUL-byte pattern); then
    charset-normalizer, restricted to the encodings Chinese records actually use.
    Raises :class:`InputError` for binary data.
    """
    for bom, enc in _BOMS:
        if data.startswith(bom):
            return data.decode(enc, errors="replace"), enc.replace("-sig", "")
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    sample = data[:4096]
    if len(sample) >= 4:
        even_nul = sample[0::2].count(0) / len(sample[0::2])
        odd_nul = sample[1::2].count(0) / len(sample[1::2])
        if odd_nul > 0.3 and even_nul < 0.05:
            return data.decode("utf-16-le", errors="replace"), "utf-16-le"
        if even_nul > 0.3 and odd_nul < 0.05:
            return data.decode("utf-16-be", errors="replace"), "utf-16-be"
    if sample.count(0) > 0:
        found = _first_plausible(data, ("utf-16-le", "utf-16-be"))  # Chinese UTF-16 has few NUL bytes
        if found:
            return found
        raise InputError("binary file (not text, DOCX, PDF or a table)")
    from charset_normalizer import from_bytes

    best = from_bytes(data, cp_isolation=["gb18030", "big5", "utf_8", "cp1252"]).best()
    if best is None:
        found = _first_plausible(data, ("gb18030", "big5"))  # the detector gave up: a strict decoding that reads well
        if found:
            return found
        raise InputError("cannot tell the text encoding (tried UTF-8/16, GB18030, Big5)")
    encoding = best.encoding
    if encoding in ("gb2312", "gbk"):
        encoding = "gb18030"  # superset: never lose a character that GBK lacks
    return data.decode(encoding, errors="replace"), encoding


def _first_plausible(data: bytes, encodings: tuple[str, ...]) -> tuple[str, str] | None:
    """The first of ``encodings`` that decodes ``data`` strictly into text that reads well."""
    for enc in encodings:
        try:
            text = data.decode(enc)
        except UnicodeDecodeError:
            continue
        if _plausible_text(text):
            return text, enc
    return None


def _plausible_text(text: str) -> bool:
    """Mostly CJK, ASCII printable, whitespace and punctuation: a decoding that makes sense."""
    sample = text[:4000]
    if not sample:
        return False
    good = sum(1 for ch in sample if ch.isprintable() or ch in "\n\r\t") - sum(
        1 for ch in sample if unicodedata.category(ch) in ("Co", "Cn", "Cs"))
    return good / len(sample) > 0.97


_DROP_CHARS = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)
_SPACE_CHARS = dict.fromkeys(map(ord, "\u00a0\u2002\u2003\u2009\u202f\u205f"), " ")
_DROP_OR_SPACE = re.compile("[" + "".join(map(chr, [*_DROP_CHARS, *_SPACE_CHARS])) + "]")


def clean_text(text: str) -> str:
    """Unify line ends and invisible characters; everything printed is kept as printed.

    ``\\r\\n``/``\\r`` become ``\\n``; zero-width characters and soft hyphens are removed;
    no-break and typographic spaces become plain spaces; control characters other than tab
    and newline are dropped. Names are not NFKC-normalised here (the parser matches
    labels on a normalised copy; names stay as printed).
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    # str.translate looks every character up in a dict (~0.06 ms a record): only when one is there
    if _DROP_OR_SPACE.search(text):
        text = text.translate(_DROP_CHARS).translate(_SPACE_CHARS)
    if not _SUSPECT.search(text):
        return text  # the usual case: nothing to drop
    return "".join(
        ch for ch in text if ch in "\n\t" or not unicodedata.category(ch).startswith("C") or _is_private(ch)
    )


# control and format characters (category C other than private use): the slow path only runs when one is there
_SUSPECT = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufff0-\uffff\U000e0000-\U000e007f]"
                      r"|[\ud800-\udfff]")


def _is_private(ch: str) -> bool:
    # Wingdings check boxes survive extraction as private-use code points (U+F0FE, U+F06F ...).
    return unicodedata.category(ch) == "Co"
