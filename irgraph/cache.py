"""Parse and resolve caches, and parallel parsing: fast rebuilds when a week of records arrives.

* :func:`parse_paths` reads and parses files in input order, optionally in worker processes, and
  keeps each file's records (as JSON text) in the SQLite database ``CACHE/parse.sqlite``, keyed by
  the parser fingerprint and the SHA-256 of the file's bytes. The parser fingerprint
  (:func:`parser_fingerprint`) hashes irgraph's version, the reader/parser sources, the parse
  lexicon, the registry names the parser uses and the versions of the libraries that extract text;
  change any of them and no old entry is reachable any more. Change one input file and only its
  entry misses. A table of file signatures (absolute path, size, mtime, ctime, inode -> SHA-256)
  spares re-reading unchanged files. One database instead of a file per entry: a year of records
  is stored in one transaction and read back with a few queries.
* :func:`resolve_cached` keeps whole resolutions in ``CACHE/resolve/<sizes>-<key>.json``, keyed by
  the multiset of names, the multiset of evidence pairs, the registry and overrides file contents
  and the resolver fingerprint (:func:`resolver_fingerprint`); the sizes of the multisets lead the
  name, so a lookup with sizes no entry has is a miss before the key is hashed.
* :func:`build_key`, :func:`stored_build` and :func:`store_build` keep, per output folder, the key
  of the last build written there (inputs' contents, options, registry/overrides/companies files,
  irgraph's code and data, library versions: :func:`build_fingerprint`) and the signatures of the
  files it wrote, in ``CACHE/builds.json``: ``irgraph build`` skips a build whose key and output
  files are unchanged.

Entries are JSON (never pickle: a cache directory is user-writable data and must not be able to
run code when loaded) and are checked on load; an unreadable or mismatching entry is ignored (and
rewritten), a damaged database is replaced, a cache folder that cannot be written is not used —
never an error. Resolution files are written atomically (temp file + rename) and SQLite's
transactions (WAL mode) keep the database whole, so concurrent builds may share a cache.
"""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import gc
import hashlib
import json
import os
import re
import sqlite3
import sys
import types
import typing
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import MISSING, fields, is_dataclass, replace
from functools import cache, lru_cache, partial
from operator import itemgetter
from pathlib import Path
from typing import Any

import msgspec

from irgraph._io import collector_paused, fork_context
from irgraph.models import Institution, Match, Record, Resolution, ReviewItem
from irgraph.normalize import prime_name_infos

if typing.TYPE_CHECKING:
    from irgraph.registry import Registry
    from irgraph.resolve import Overrides, ResolveMemo

# a build's institution rows counted: the names' multiset (first seen first) and the distinct
# (name, person) evidence pairs, optionally with the pairs' multiset
Counted = (tuple[Counter[str], set[tuple[str, str]]]
           | tuple[Counter[str], set[tuple[str, str]], Counter[tuple[str, str]]])

__all__ = [
    "CACHE_FORMAT",
    "build_fingerprint",
    "build_key",
    "decode_records",
    "encode_records",
    "has_stored_build",
    "in_names_order",
    "inputs_digest",
    "parse_paths",
    "parser_fingerprint",
    "prune",
    "resolve_and_store",
    "resolve_cached",
    "resolver_fingerprint",
    "source_closure",
    "store_build",
    "stored_build",
]

CACHE_FORMAT = 2
_PKG = Path(__file__).resolve().parent
# entry points of the code that decides what a file parses to / how names resolve; the fingerprints
# cover their whole irgraph import closure and the bundled tables it names (found from the sources)
_PARSER_ROOTS = ("parse.py", "read/__init__.py", "read/docx.py", "read/pdf.py", "read/tables.py")
_PARSER_LIBS = ("charset_normalizer", "pymupdf", "python-docx", "openpyxl", "opencc")
_RESOLVER_ROOTS = ("resolve.py", "registry.py", "normalize.py")
_RESOLVER_LIBS = ("rapidfuzz", "opencc")
_RESOLUTIONS_KEPT = 4  # newest resolution entries kept per cache directory
# every library whose version may change an output byte (the build manifest's key)
_BUILD_LIBS = ("charset_normalizer", "pymupdf", "python-docx", "openpyxl", "opencc", "rapidfuzz", "msgspec",
               "networkx", "numpy", "scipy", "pandas", "pyarrow", "pyvis")
_BUILDS_FORMAT = 1
_BUILDS_KEPT = 16  # output folders remembered per cache directory
_MIN_PARALLEL = 48  # fewer misses than this are parsed in-process (a pool costs ~0.1-0.3 s to start)
_BATCH_FILES = 64  # files a worker parses per task


# ------------------------------------------------------------------------------------------ fingerprints


def _sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _lib_versions(names: Iterable[str]) -> list[str]:
    from importlib import metadata

    out = []
    for n in names:
        try:
            out.append(f"{n}=={metadata.version(n)}")
        except metadata.PackageNotFoundError:
            out.append(f"{n}==absent")
    return out


# what source_closure reads in a module's text: the modules of import statements (a parenthesised
# name list may span lines) and the names given to data_path(...). A string or comment that looks
# like one only adds a file to a fingerprint; tests check the scan against Python's own parser.
_IMPORT_RE = re.compile(r"(?<![\w.])(?:import[ \t]+([^\n;#]+)|from[ \t]+([\w.]+)[ \t]+import[ \t]*(\([^)]*\)|[^\n;#]*))")
_DATA_PATH_RE = re.compile(r"\bdata_path\(\s*(?:\"([^\"\\\n]+)\"|'([^'\\\n]+)')")


def module_references(text: str) -> tuple[list[str], list[str]]:
    """The dotted module names a module's source imports (for ``from m import a``: ``m`` and
    ``m.a``, since ``a`` may be a submodule; relative imports are left out) and the names it
    passes to ``data_path("...")``."""
    text = text.replace("\\\n", " ")  # line continuations
    mods: list[str] = []
    for plain, package, names in _IMPORT_RE.findall(text):
        if plain:
            mods += [part.split()[0] for part in plain.split(",") if part.strip()]
        elif not package.startswith("."):
            mods.append(package)
            for part in re.sub(r"#[^\n]*", "", names).strip("() \t\n").split(","):
                if part.split():
                    mods.append(f"{package}.{part.split()[0]}")
    data = [a or b for a, b in _DATA_PATH_RE.findall(text)]
    return mods, data


def source_closure(roots: Sequence[str]) -> tuple[list[str], list[str]]:
    """irgraph source files reachable by imports from ``roots`` (paths relative to the package), and
    the bundled data files they open with ``data_path("...")``. Always includes ``__init__.py``.

    The sources are scanned as text (:func:`module_references`, ~10 ms for the package), not parsed:
    Python's parser took ~0.3 s of every build."""
    seen: set[str] = set()
    data: set[str] = set()
    todo = ["__init__.py", *roots]
    while todo:
        rel = todo.pop()
        if rel in seen or not (_PKG / rel).is_file():
            continue
        seen.add(rel)
        mods, names = module_references((_PKG / rel).read_text(encoding="utf-8"))
        data.update(names)
        for m in mods:
            if m == "irgraph" or m.startswith("irgraph."):
                parts = m.split(".")[1:]
                base = "/".join(parts)
                todo += [f"{base}.py", f"{base}/__init__.py"] if parts else ["__init__.py"]
    return sorted(seen), sorted(data)


def _fingerprint(kind: str, sources: Sequence[str], data: Sequence[tuple[str, bytes]], libs: Sequence[str]) -> str:
    import unicodedata

    from irgraph import __version__

    h = hashlib.sha256()
    for part in (kind, f"format={CACHE_FORMAT}", f"irgraph=={__version__}", f"unicode={unicodedata.unidata_version}",
                 f"python={sys.version_info[0]}.{sys.version_info[1]}", *_lib_versions(libs)):
        h.update(part.encode() + b"\0")
    for rel in sources:
        p = _PKG / rel
        h.update(rel.encode() + b"\0" + (p.read_bytes() if p.exists() else b"<absent>") + b"\0")
    for name, blob in data:
        h.update(name.encode() + b"\0" + blob + b"\0")
    return h.hexdigest()


@lru_cache(maxsize=1)
def build_fingerprint() -> str:
    """Hash of all of irgraph (every file of the package: modules and templates), the bundled tables
    its modules name and the versions of every library an output depends on."""
    from irgraph._resources import data_path

    files = sorted(p.relative_to(_PKG).as_posix() for p in _PKG.rglob("*")
                   if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc")
    _, tables = source_closure(tuple(f for f in files if f.endswith(".py")))
    data = []
    for name in tables:
        try:
            data.append((name, data_path(name).read_bytes()))
        except FileNotFoundError:
            data.append((name, b"<absent>"))
    return _fingerprint("build", files, data, _BUILD_LIBS)


def build_key(paths: Sequence[str | os.PathLike[str]], options: dict[str, Any], *,
              files: dict[str, str | os.PathLike[str] | None], cache_dir: str | os.PathLike[str],
              read: dict[str, str] | None = None) -> str | None:
    """The key of a build of ``paths`` (in order) with ``options`` (JSON-able values) and the
    option ``files`` (name -> path or None: registry, overrides, companies …): the inputs' hashes
    as the parse cache's stat index holds them, the other files' hashes, the
    :func:`build_fingerprint` and the cache format.

    None when an input is not in the index with its current signature (size, mtime, ctime, inode):
    unread since it changed, unreadable, or changed during a build. Nothing is hashed here: after a
    build the index holds what the parser read, so a file edited meanwhile gives no key.

    ``read``: path -> hash of every input as :func:`parse_paths` read it (its ``digests``), when
    the key is of the build that read them: then no input is looked at again (a year's 30,000
    stats). A file edited after it was read is still found out, by the next build's key."""
    if read is not None and all(os.fspath(p) in read for p in paths):
        return _key_of([(os.fspath(p), read[os.fspath(p)]) for p in paths], options, files)
    con = _open_db(os.fspath(cache_dir))
    if con is None:
        return None
    index = _load_index(con, parser_fingerprint())
    con.close()
    hashes = []
    for path in paths:
        src = os.fspath(path)
        try:
            sig = _signature(os.stat(src))
        except OSError:
            return None
        known = index.get(os.path.abspath(src))
        if known is None or known[0] != sig:
            return None
        hashes.append((src, known[1]))
    return _key_of(hashes, options, files)


def _key_of(hashes: Sequence[tuple[str, str]], options: dict[str, Any],
            files: dict[str, str | os.PathLike[str] | None]) -> str:
    h = hashlib.sha256()
    h.update(f"format={CACHE_FORMAT};builds={_BUILDS_FORMAT};{build_fingerprint()}\0".encode())
    h.update(json.dumps(options, sort_keys=True, ensure_ascii=False, default=str).encode() + b"\0")
    for name in sorted(files):
        path = files[name]
        h.update(f"{name}={_file_hash(path, None) if path is not None else 'none'}\0".encode())
    for src, digest in hashes:
        h.update(src.encode("utf-8", "surrogateescape") + b"\0" + digest.encode() + b"\0")
    return h.hexdigest()


def _output_signature(path: Path) -> list[int] | None:
    try:
        return _signature(path.stat())
    except OSError:
        return None


def _read_builds(cache_dir: str | os.PathLike[str]) -> dict[str, Any]:
    try:
        data = json.loads((Path(cache_dir) / "builds.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict) or data.get("format") != _BUILDS_FORMAT or not isinstance(data.get("builds"), dict):
        return {}
    return data["builds"]


def inputs_digest(paths: Sequence[str | os.PathLike[str]]) -> str:
    """A hash of the input paths, in order: the first, cheap test of a remembered build (a build
    with other files need not stat the year's inputs to find its key is another)."""
    h = hashlib.sha256()
    for path in paths:
        h.update(os.fspath(path).encode("utf-8", "surrogateescape") + b"\0")
    return h.hexdigest()


def has_stored_build(cache_dir: str | os.PathLike[str], out_dir: str | os.PathLike[str],
                     paths: Sequence[str | os.PathLike[str]] | None = None) -> bool:
    """Is a build of ``out_dir`` remembered in ``cache_dir`` (with the input ``paths``, when given
    and the entry names them)? Then its key is worth computing."""
    entry = _read_builds(cache_dir).get(os.path.abspath(out_dir))
    if not isinstance(entry, dict):
        return False
    return paths is None or entry.get("inputs") in (None, inputs_digest(paths))


def stored_build(cache_dir: str | os.PathLike[str], out_dir: str | os.PathLike[str], key: str) -> str | None:
    """The summary stored with the last build written into ``out_dir`` when it had ``key`` and
    every file it wrote is still there, unchanged (size, mtime, ctime, inode); else None."""
    entry = _read_builds(cache_dir).get(os.path.abspath(out_dir))
    if not isinstance(entry, dict) or entry.get("key") != key or not isinstance(entry.get("files"), dict):
        return None
    out = Path(out_dir)
    for rel, sig in entry["files"].items():
        if not isinstance(rel, str) or _output_signature(out / rel) != sig:
            return None
    summary = entry.get("summary")
    return summary if isinstance(summary, str) and entry["files"] else None


def store_build(cache_dir: str | os.PathLike[str], out_dir: str | os.PathLike[str], key: str,
                written: Iterable[str | os.PathLike[str]], summary: str,
                paths: Sequence[str | os.PathLike[str]] | None = None) -> None:
    """Remember that the build ``key`` (of the input ``paths``, when given) wrote the files
    ``written`` into ``out_dir`` (best effort)."""
    out = Path(out_dir)
    files = {}
    for path in written:
        sig = _output_signature(Path(path))
        if sig is None:
            return  # a file that is not there cannot be vouched for
        files[Path(path).resolve().relative_to(out.resolve()).as_posix()] = sig
    builds = _read_builds(cache_dir)
    builds.pop(os.path.abspath(out_dir), None)
    builds[os.path.abspath(out_dir)] = {"key": key, "files": files, "summary": summary,
                                        **({"inputs": inputs_digest(paths)} if paths is not None else {})}
    kept = dict(list(builds.items())[-_BUILDS_KEPT:])
    with contextlib.suppress(OSError):
        Path(cache_dir).mkdir(parents=True, exist_ok=True)
    _write_atomic(Path(cache_dir) / "builds.json",
                  json.dumps({"format": _BUILDS_FORMAT, "builds": kept}, ensure_ascii=False, sort_keys=True))


def _registry_names_blob(path: Path) -> bytes:
    """The registry columns the parser reads (names, short and former names), not ids or types."""
    import csv

    try:
        with open(path, encoding="utf-8", newline="") as f:
            rows = [(r.get("name") or "", r.get("short_names") or "", r.get("former_names") or "")
                    for r in csv.DictReader(f)]
    except (OSError, csv.Error, UnicodeDecodeError):
        return b"<unreadable>"
    return json.dumps(sorted(rows), ensure_ascii=False).encode()


@lru_cache(maxsize=1)
def parser_fingerprint() -> str:
    """Hash of everything besides a file's bytes that decides what it parses to."""
    from irgraph._resources import data_path

    sources, tables = source_closure(_PARSER_ROOTS)
    data = []
    for name in tables:
        try:
            path = data_path(name)
        except FileNotFoundError:
            data.append((name, b"<absent>"))
            continue
        # the parser reads only the name columns of the registry (load_lexicon's known names)
        data.append((name + ":names", _registry_names_blob(path)) if name == "institutions.csv"
                    else (name, path.read_bytes()))
    return _fingerprint("parse", sources, data, _PARSER_LIBS)


@lru_cache(maxsize=1)
def resolver_fingerprint() -> str:
    """Hash of the resolver's code and bundled rules (the registry and overrides are keyed separately)."""
    from irgraph._resources import data_path

    sources, tables = source_closure(_RESOLVER_ROOTS)
    data = []
    for name in tables:
        if name == "institutions.csv":  # the registry is keyed by its own file hash
            continue
        try:
            data.append((name, data_path(name).read_bytes()))
        except FileNotFoundError:
            data.append((name, b"<absent>"))
    return _fingerprint("resolve", sources, data, _RESOLVER_LIBS)


# ------------------------------------------------------------------------------------------ JSON codec


def _to_json(v: Any) -> Any:
    """The JSON form of a dataclass value (fields left at their default are left out)."""
    return _encoder(type(v))(v)


def _to_json_any(v: Any) -> Any:
    """The JSON form of a value of no known type (dataclasses by their fields, defaults left out)."""
    if is_dataclass(v) and not isinstance(v, type):
        return _to_json(v)
    if isinstance(v, (tuple, list)):
        return [_to_json_any(x) for x in v]
    if isinstance(v, dict):
        return {k: _to_json_any(x) for k, x in v.items()}
    return v


def _optional_inner(tp: Any) -> Any:
    """``X`` for ``X | None``; None for any other union."""
    inner = [a for a in typing.get_args(tp) if a is not type(None)]
    return inner[0] if len(inner) == 1 else None


def _none_or(convert: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """``convert`` for a value that may be None."""
    if convert is _identity:
        return _identity
    return lambda v: None if v is None else convert(v)


@cache
def _encoder(tp: Any) -> Callable[[Any], Any]:
    """A function giving the JSON form of a value of type ``tp`` (the inverse of :func:`_decoder`).

    Built once per type: encoding a year of records field by field with ``dataclasses.fields``
    took a tenth of the parse time. Tuples of plain values stay tuples (``json`` writes them as
    arrays).
    """
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin in (typing.Union, types.UnionType):
        inner = _optional_inner(tp)
        return _none_or(_encoder(inner)) if inner is not None else _to_json_any
    if origin is tuple:
        encs = [_encoder(a) for a in args if a is not Ellipsis]
        if all(e is _identity for e in encs):
            return _identity
        if len(args) == 2 and args[1] is Ellipsis:
            one = encs[0]
            return lambda v: [one(x) for x in v]
        return lambda v: [e(x) for e, x in zip(encs, v, strict=True)]
    if origin is dict:
        enc = _encoder(args[1])
        return _identity if enc is _identity else (lambda v: {k: enc(x) for k, x in v.items()})
    if is_dataclass(tp):
        hints = typing.get_type_hints(tp)
        specs = tuple((f.name, f.default, f.default is not MISSING, _encoder(hints[f.name])) for f in fields(tp))
        slotted = "__slots__" in tp.__dict__

        def encode(v: Any, specs: tuple[tuple[str, Any, bool, Callable[[Any], Any]], ...] = specs) -> dict[str, Any]:
            d = {f: getattr(v, f) for f, *_ in specs} if slotted else v.__dict__
            out = {}
            for name, default, has_default, enc in specs:
                x = d[name]
                if has_default and (default is x or (default == x and type(default) is type(x))):
                    continue
                out[name] = x if enc is _identity else enc(x)
            return out

        return encode
    if tp is Any or origin is not None:
        return _to_json_any
    return _identity


def _identity(v: Any) -> Any:
    return v


def encode_records(records: Sequence[Record]) -> list[Any]:
    """Records as JSON-ready lists/dicts (default-valued fields left out)."""
    return [_to_json(r) for r in records]


# Decoding is msgspec's: it builds the frozen dataclasses straight from the JSON text, checking every
# field's type, ~3x faster than json.loads plus building them field by field (a year's warm build
# decodes 30,000 entries; a cold one decodes every worker's result). A field the text leaves out
# takes its class default.
@cache
def _json_decoder(tp: Any) -> msgspec.json.Decoder[Any]:
    return msgspec.json.Decoder(tp)


_DECODE_ERRORS = (msgspec.DecodeError, msgspec.ValidationError, TypeError, ValueError)


def decode_records(data: list[Any]) -> tuple[Record, ...]:
    """Inverse of :func:`encode_records`; raises ``ValueError`` (``msgspec.ValidationError``) on bad data."""
    return msgspec.convert(data, tuple[Record, ...])


def decode_records_json(text: str | bytes) -> tuple[Record, ...]:
    """The records of a stored entry's JSON text; raises ``ValueError`` (``msgspec.DecodeError`` or
    ``ValidationError``) when it is not valid records."""
    return _json_decoder(tuple[Record, ...]).decode(text)


class _EntryRow(msgspec.Struct):
    institution: str
    person: str | None = None
    generic: bool = False


class _EntryRecord(msgspec.Struct):  # the other fields of a stored record are skipped unread
    attendees: tuple[_EntryRow, ...] = ()


# ------------------------------------------------------------------------------------------ parse cache

_DB_FILE = "parse.sqlite"
_SCHEMA = """
CREATE TABLE IF NOT EXISTS entries (
    fingerprint TEXT NOT NULL, sha256 TEXT NOT NULL, source TEXT NOT NULL, records TEXT NOT NULL,
    PRIMARY KEY (fingerprint, sha256)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS files (
    fingerprint TEXT NOT NULL, path TEXT NOT NULL, size INTEGER NOT NULL, mtime_ns INTEGER NOT NULL,
    ctime_ns INTEGER NOT NULL, inode INTEGER NOT NULL, sha256 TEXT NOT NULL,
    PRIMARY KEY (fingerprint, path)) WITHOUT ROWID;
"""
_SQL_PARAMS = 500  # digests per ``IN (...)`` query


def _write_atomic(path: Path | str, data: str | bytes) -> None:
    """Write a cache file atomically (text as UTF-8); a file that cannot be written is left out."""
    from irgraph._io import atomic_open

    with contextlib.suppress(OSError), atomic_open(path, "wb") as f:
        f.write(data.encode("utf-8") if isinstance(data, str) else data)


def _open_db(root: str) -> sqlite3.Connection | None:
    """The parse cache database of ``root`` (created if needed; a damaged or foreign file is replaced).

    None when the folder cannot hold it (read-only, a file in the way): then nothing is cached.
    """
    path = os.path.join(root, _DB_FILE)
    for attempt in range(2):
        con = None
        try:
            os.makedirs(root, exist_ok=True)
            con = sqlite3.connect(path, timeout=60, isolation_level=None)
            version = con.execute("PRAGMA user_version").fetchone()[0]
            if version not in (0, CACHE_FORMAT):
                raise sqlite3.DatabaseError("another cache format")
            if version == 0:  # a new database (set up once: a build that stores nothing changes no byte)
                con.execute("PRAGMA journal_mode=WAL")  # builds sharing a cache read while one writes
                con.executescript(_SCHEMA)
                con.execute(f"PRAGMA user_version={CACHE_FORMAT}")
            con.execute("PRAGMA synchronous=NORMAL")
            con.execute("SELECT fingerprint, sha256, source, records FROM entries LIMIT 1").fetchall()
            con.execute("SELECT fingerprint, path, size, mtime_ns, ctime_ns, inode, sha256 FROM files LIMIT 1").fetchall()
            return con
        except (sqlite3.Error, OSError):
            if con is not None:
                con.close()
            if attempt == 0:  # not a database of ours: start a new one
                for suffix in ("", "-wal", "-shm"):
                    with contextlib.suppress(OSError):
                        os.unlink(path + suffix)
    return None


def _load_index(con: sqlite3.Connection, fp: str) -> dict[str, tuple[list[int], str]]:
    """``abs path -> ([size, mtime_ns, ctime_ns, inode], sha256)`` of the files seen before."""
    try:
        rows = con.execute("SELECT path, size, mtime_ns, ctime_ns, inode, sha256 FROM files WHERE fingerprint=?",
                           (fp,)).fetchall()
    except sqlite3.Error:
        return {}
    return {p: ([s, m, c, i], h) for p, s, m, c, i, h in rows}


def _has_entries(con: sqlite3.Connection, fp: str) -> bool:
    try:
        return con.execute("SELECT 1 FROM entries WHERE fingerprint=? LIMIT 1", (fp,)).fetchone() is not None
    except sqlite3.Error:
        return False


def _load_entries(con: sqlite3.Connection, fp: str, digests: Sequence[str]) -> dict[str, tuple[str, str]]:
    """``sha256 -> (source, records JSON text)`` of the stored entries among ``digests``."""
    out: dict[str, tuple[str, str]] = {}
    wanted = sorted(set(digests))
    try:
        for k in range(0, len(wanted), _SQL_PARAMS):
            part = wanted[k:k + _SQL_PARAMS]
            marks = ",".join("?" * len(part))
            for digest, source, text in con.execute(
                    f"SELECT sha256, source, records FROM entries WHERE fingerprint=? AND sha256 IN ({marks})",
                    (fp, *part)):
                if isinstance(source, str) and isinstance(text, str):
                    out[digest] = (source, text)
    except sqlite3.Error:
        return {}
    return out


def _store(con: sqlite3.Connection, fp: str, entries: Sequence[tuple[str, str, str]],
           files: Sequence[tuple[str, list[int], str]]) -> None:
    """Store new entries ``(sha256, source, records JSON)`` and file signatures, in one transaction."""
    try:
        with contextlib.closing(con.cursor()) as cur:
            cur.execute("BEGIN IMMEDIATE")
            try:
                # in key order: the same contents give the same database bytes, whatever the input order
                cur.executemany("INSERT OR REPLACE INTO entries VALUES (?, ?, ?, ?)",
                                sorted((fp, d, s, t) for d, s, t in entries))
                cur.executemany("INSERT OR REPLACE INTO files VALUES (?, ?, ?, ?, ?, ?, ?)",
                                sorted((fp, p, *sig, d) for p, sig, d in files))
                cur.execute("COMMIT")
            except BaseException:
                cur.execute("ROLLBACK")
                raise
    except sqlite3.Error:
        pass  # a cache that cannot be written only makes the next build slower


def _signature(st: os.stat_result) -> list[int]:
    """What says a file is unchanged without reading it: size, mtime, ctime (not settable by tools), inode."""
    return [st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino]


# one result per path: (source it was parsed as, records JSON text ("" once decoded), cache hit,
# records (None until decoded), content digest or None, stat signature or None)
_Result = tuple[str, str, bool, "tuple[Record, ...] | None", "str | None", "list[int] | None"]


def _parse_one(path: str, encode: bool = True) -> _Result:
    """Read and parse one file; its records also as JSON text (for the cache) when ``encode``."""
    from irgraph.parse import parse_document
    from irgraph.read import MAX_FILE_BYTES, read_bytes, read_path

    try:
        st = os.stat(path)
        data = None if st.st_size > MAX_FILE_BYTES else Path(path).read_bytes()
    except OSError:
        data = None
    if data is None:  # unreadable or oversized: let the reader word the error; nothing to key a cache on
        recs = parse_document(read_path(path))
        digest, sig = None, None
    else:
        recs = parse_document(read_bytes(data, path))
        digest, sig = hashlib.sha256(data).hexdigest(), _signature(st)
    text = json.dumps(encode_records(recs), ensure_ascii=False, separators=(",", ":")) if encode else ""
    return path, text, False, recs, digest, sig


def _parse_chunk(paths: list[str]) -> list[tuple[str, str, str | None, list[int] | None]]:
    """Worker side: parse several files; results go back as JSON text (cheaper to send than objects)."""
    return [(src, text, digest, sig) for src, text, _, _, digest, sig in map(_parse_one, paths)]


def _absolute(path: str) -> str:
    """``os.path.abspath(path)``; an absolute path with nothing to normalize is returned as it is
    (a year's 30,000 abspath calls were ~0.1 s)."""
    if path.startswith("/") and not path.endswith("/") and "//" not in path and "/." not in path and os.sep == "/":
        return path
    return os.path.abspath(path)


def _stat_digest(path: str, index: dict[str, tuple[list[int], str]],
                 absolute: str | None = None) -> tuple[str, list[int]] | None:
    """``(sha256, stat signature)`` of a file: from the index when its signature is unchanged, else by
    hashing its bytes. None when it cannot be read or is too large (the parser words the error).
    ``absolute``: its absolute path, when known."""
    try:
        st = os.stat(path)
        if st.st_size > _max_bytes():
            return None
        sig = _signature(st)
        known = index.get(absolute if absolute is not None else os.path.abspath(path))
        if known is not None and known[0] == sig:
            return known[1], sig
        return hashlib.sha256(Path(path).read_bytes()).hexdigest(), sig
    except OSError:
        return None


def _with_source(rec: Record, old: str, new: str) -> Record:
    """The record with ``source`` pointing at the current path (vendor tables keep their ``#rows`` tail)."""
    if rec.source == new:
        return rec
    if rec.source == old:
        return replace(rec, source=new)
    if rec.source.startswith(old + "#"):
        return replace(rec, source=new + rec.source[len(old):])
    return rec


def _decoded(res: _Result) -> _Result:
    """``res`` with its records decoded and the JSON text dropped (kept when it is not valid records:
    :func:`parse_paths` then parses the file again)."""
    src, text, hit, recs, digest, sig = res
    if recs is not None:
        return res
    try:
        recs = decode_records_json(text)
    except _DECODE_ERRORS:
        return res
    # every file parses to at least one record (an unreadable one to an error record)
    return (src, "", hit, recs, digest, sig) if recs else res


class ParseStats(typing.NamedTuple):
    files: int
    hits: int
    parsed: int


_last_stats = ParseStats(0, 0, 0)


def last_stats() -> ParseStats:
    """Files, cache hits and files parsed by the most recent :func:`parse_paths` call of this process."""
    return _last_stats


def _entry_rows(text: str) -> list[tuple[str, str | None]] | None:
    """The ``(institution, person)`` of every institution row of a stored entry, read from its JSON
    without making the records; None when the entry is not valid records."""
    try:
        recs = _json_decoder(tuple[_EntryRecord, ...]).decode(text)
    except _DECODE_ERRORS:
        return None
    if not recs:
        return None
    return [(a.institution, a.person) for r in recs for a in r.attendees if not a.generic]


def parse_paths(
    paths: Sequence[str | os.PathLike[str]],
    *,
    cache_dir: str | os.PathLike[str] | None = None,
    jobs: int = 1,
    progress: Callable[[int, int], None] | None = None,
    on_rows: Callable[[list[tuple[str, str | None]]], None] | None = None,
    digests: dict[str, str] | None = None,
) -> list[Record]:
    """Read and parse every path (``read_path`` + ``parse_document``) in input order.

    ``cache_dir``: reuse and store parse results there (see the module docstring); a file whose
    size, mtime, ctime and inode are those recorded with its hash is not even re-read.
    ``jobs``: worker processes for the files not in the cache (``0`` = one per CPU); results are
    identical for any value. ``progress(done, total)`` is called with the number of files done so far
    (cache hits first, then after each batch).
    ``on_rows(rows)`` is called once, as soon as every file's institution rows are known and before
    the cached records are made into objects, with the ``(institution, person)`` of every
    ``Record.institution_rows`` entry in no particular order (``build`` starts resolving them
    meanwhile). It is what the cache holds: should an entry turn out not to decode, its file is
    parsed again and the records returned may differ from those rows.
    ``digests``: filled with path -> SHA-256 of each file read with ``cache_dir`` (what
    :func:`build_key` needs of a build's inputs: ``read=``).
    Missing stock codes are *not* recovered here (that needs all records: ``recover_stock_codes``).
    """
    return [r for recs in parse_files(paths, cache_dir=cache_dir, jobs=jobs, progress=progress, on_rows=on_rows,
                                      digests=digests) for r in recs or ()]


def parse_files(
    paths: Sequence[str | os.PathLike[str]],
    *,
    cache_dir: str | os.PathLike[str] | None = None,
    jobs: int = 1,
    progress: Callable[[int, int], None] | None = None,
    on_rows: Callable[[list[tuple[str, str | None]]], None] | None = None,
    digests: dict[str, str] | None = None,
    skip: Callable[[str, str], bool] | None = None,
) -> list[tuple[Record, ...] | None]:
    """:func:`parse_paths`, each file's records apart (in input order).

    ``skip(path, sha256)`` (with ``cache_dir``): called once for each file whose hash is known
    before it is looked up; true leaves the file unread and unparsed (None in its place; its hash
    still goes into ``digests`` and the stat index): the caller has its records elsewhere.
    ``on_rows`` then gives the rows of the other files only.
    """
    global _last_stats
    srcs = [os.fspath(p) for p in paths]
    fp = parser_fingerprint()
    if jobs <= 0:
        jobs = os.cpu_count() or 1
    results: list[_Result | None] = [None] * len(srcs)
    todo = list(range(len(srcs)))
    done = 0
    con = _open_db(os.fspath(cache_dir)) if cache_dir is not None else None
    index: dict[str, tuple[list[int], str]] = {}
    hits: dict[int, _Result] = {}  # entries found, decoded after on_rows when there is one
    early_rows: list[tuple[str, str | None]] = []
    skipped: set[int] = set()
    absolute: list[str] = []
    # decoding makes ~20 acyclic objects a record: the collector is paused while this process
    # decodes, not while it parses (the DOCX and PDF readers' objects may hold cycles)
    with collector_paused():
        if con is not None:  # cache lookups are cheap: do them here, send only misses to workers
            index = _load_index(con, fp)
            # nothing stored yet (a first build): every file is a miss, and the workers hash what they read
            absolute = [_absolute(s) for s in srcs]
            keys = ([_stat_digest(s, index, a) for s, a in zip(srcs, absolute, strict=True)]
                    if skip is not None or _has_entries(con, fp) else [None] * len(srcs))
            if skip is not None:
                skipped = {i for i, (s, key) in enumerate(zip(srcs, keys, strict=True)) if key is not None and skip(s, key[0])}
                for i in skipped:
                    results[i] = (srcs[i], "", True, None, *keys[i])  # type: ignore[misc]
            stored = _load_entries(con, fp, [k[0] for i, k in enumerate(keys) if k is not None and i not in skipped])
            todo = []
            for i, key in enumerate(keys):
                if key is not None and i in skipped:
                    done += 1
                    continue
                got = stored.get(key[0]) if key is not None else None
                if got is None or key is None:
                    todo.append(i)
                    continue
                res: _Result = (got[0], got[1], True, None, *key)
                if on_rows is None:
                    res = _decoded(res)
                    ok = res[3] is not None
                else:
                    rows = _entry_rows(got[1])
                    ok = rows is not None
                    if rows:
                        early_rows += rows
                if ok:
                    hits[i] = res
                    done += 1
                else:
                    todo.append(i)
            del stored
            if progress and done:
                progress(done, len(srcs))
    new_entries: list[tuple[str, str, str]] = []

    def keep(i: int, res: _Result) -> None:
        src, text, _, recs, digest, sig = res
        if con is not None and digest is not None:
            new_entries.append((digest, src, text))
        res = (src, "", False, recs, digest, sig) if recs is not None else _decoded(res)
        results[i] = res if res[3] is not None else _parse_one(srcs[i])  # (a worker's text is always valid)

    if jobs > 1 and len(todo) >= _MIN_PARALLEL:
        # imported here once, not by each forked worker (~0.1 s of CPU each, and their first batch later)
        import irgraph.parse  # noqa: F401

        # small batches keep both workers busy to the end; this process decodes each batch as it
        # arrives (in input order) instead of all of them after the last one
        size = max(1, min(_BATCH_FILES, -(-len(todo) // (jobs * 4))))
        chunks = [todo[k:k + size] for k in range(0, len(todo), size)]
        # fork_context() is None off Linux: the default (spawn), for which scripts need a __main__ guard
        with collector_paused(), cf.ProcessPoolExecutor(max_workers=jobs, mp_context=fork_context(),
                                                          initializer=gc.enable) as ex:
            for ch, batch in zip(chunks, ex.map(_parse_chunk, ([srcs[i] for i in ch] for ch in chunks)),
                                 strict=True):
                for i, (src, text, digest, sig) in zip(ch, batch, strict=True):
                    keep(i, (src, text, False, None, digest, sig))
                done += len(ch)
                if progress:
                    progress(done, len(srcs))
    else:
        for n, i in enumerate(todo, start=1):
            keep(i, _parse_one(srcs[i], encode=con is not None))
            if progress and (n % 256 == 0 or n == len(todo)):
                progress(done + n, len(srcs))
    if on_rows is not None:
        on_rows(early_rows + [(a.institution, a.person) for i in todo
                              for r in results[i][3] or () for a in r.institution_rows])  # type: ignore[index]
        del early_rows
    undecoded: list[int] = []
    with collector_paused():
        while hits:  # popped as decoded: each entry's JSON text goes as soon as its records exist
            i, res = hits.popitem()
            res = _decoded(res)
            if res[3] is None:
                undecoded.append(i)
            else:
                results[i] = res
    for i in sorted(undecoded):  # entries that do not decode after all: parse their files again
        keep(i, _parse_one(srcs[i], encode=con is not None))
    todo += undecoded
    with collector_paused():
        records: list[tuple[Record, ...] | None] = []
        changed_files: list[tuple[str, list[int], str]] = []
        for n, (s, res) in enumerate(zip(srcs, results, strict=True)):
            assert res is not None
            old, _, _, recs, digest, sig = res
            if con is not None and digest is not None and sig is not None:
                key = absolute[n]
                if index.get(key) != (sig, digest):
                    changed_files.append((key, sig, digest))
                if digests is not None:
                    digests[s] = digest
            records.append(None if recs is None else tuple(_with_source(r, old, s) for r in recs))
        if con is not None:
            if new_entries or changed_files:
                _store(con, fp, new_entries, changed_files)
            con.close()
    _last_stats = ParseStats(len(srcs), len(srcs) - len(todo), len(todo))  # (skipped files count as hits)
    return records


@lru_cache(maxsize=1)
def _max_bytes() -> int:
    from irgraph.read import MAX_FILE_BYTES

    return MAX_FILE_BYTES


# ------------------------------------------------------------------------------------------ resolve cache


def _enc(x: Any) -> str:
    """Unambiguous text of a str / None / tuple of them (length-prefixed, so no separator can clash)."""
    if isinstance(x, str):
        return f"s{len(x)}:{x}"
    if x is None:
        return "n"
    if isinstance(x, tuple):
        return "t" + "".join(map(_enc, x)) + "e"
    return "j" + json.dumps(x, ensure_ascii=False, sort_keys=True)


def _counts_hash(counts: Mapping[Any, int], as_text: Callable[[Any], Any] | None = None) -> str:
    """Order-independent hash of the multiset ``counts`` holds (item -> count; items str, None,
    tuples of them). ``as_text``: a one-to-one text form of an item, hashed instead of it (only the
    distinct items are converted)."""
    entries = [(as_text(k), n) for k, n in counts.items()] if as_text is not None else list(counts.items())
    try:  # the usual items (str, tuples of str) sort as they are (distinct: by the item alone); msgpack is unambiguous
        return hashlib.sha256(msgspec.msgpack.encode(sorted(entries, key=itemgetter(0)))).hexdigest()
    except TypeError:  # None among str, nested mixes: each item's length-prefixed text
        pass
    h = hashlib.sha256()
    for k, n in sorted((_enc(k), n) for k, n in entries):
        h.update(f"{k}#{n}\n".encode())
    return h.hexdigest()


def _file_hash(path: str | os.PathLike[str] | None, default: str | None) -> str:
    from irgraph._resources import data_path

    if path is None:
        if default is None:
            return "none"
        path = data_path(default)
    try:
        return _sha256_file(Path(path))
    except OSError:
        return "unreadable"  # resolve will raise the proper error on a miss


def _pair_text(e: tuple[Any, ...]) -> Any:
    """An evidence pair as one length-prefixed string (strings sort ~3x faster than tuples); other
    shapes as they are."""
    if len(e) == 2 and isinstance(e[0], str) and isinstance(e[1], str):
        return f"{len(e[0])}:{e[0]}{e[1]}"
    return tuple(e)


def resolution_key(names: Sequence[str], evidence: Sequence[tuple[str, str | None]], *,
                   registry_path: str | os.PathLike[str] | None,
                   overrides_path: str | os.PathLike[str] | None) -> str:
    """The cache key of a resolution (see :func:`resolve_cached`)."""
    return _counted_key(Counter(names), Counter(tuple(e) for e in evidence), registry_path=registry_path,
                        overrides_path=overrides_path)


def _counted_key(name_counts: Mapping[Any, int], pair_counts: Mapping[Any, int], *,
                 registry_path: str | os.PathLike[str] | None, overrides_path: str | os.PathLike[str] | None) -> str:
    """:func:`resolution_key` of the names and evidence pairs counted (item -> count)."""
    if all(len(e) == 2 and type(e[0]) is str and type(e[1]) is str for e in pair_counts):
        # (a build's pairs) _pair_text of each, inline: one-to-one, so the counts stay as they are
        evidence_hash = _counts_hash({f"{len(a)}:{a}{b}": n for (a, b), n in pair_counts.items()})
    else:
        evidence_hash = _counts_hash(pair_counts, _pair_text)
    parts = [f"format={CACHE_FORMAT}", resolver_fingerprint(), "registry=" + _file_hash(registry_path, "institutions.csv"),
             "overrides=" + _file_hash(overrides_path, None), "names=" + _counts_hash(name_counts),
             "evidence=" + evidence_hash]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


def _count_rows(names: list[Any], evidence: list[Any]) -> tuple[Counter[Any], Counter[tuple[Any, Any]]]:
    """The multisets of ``names`` and of the ``(name, person)`` pairs of ``evidence`` (first occurrences
    first). The pairs are counted as given when they are plain 2-tuples (a build's are), else as
    ``(n, p)`` tuples of their two items (a pair of another length raises ValueError)."""
    return Counter(names), _as_pairs(evidence, Counter)


def _distinct_pairs(evidence: list[Any]) -> set[tuple[Any, Any]]:
    """The distinct pairs of ``evidence`` as :func:`_count_rows` counts them (all ``resolve`` needs:
    it depends on the set of pairs, not on their counts or order); a set is made ~2x faster than
    their Counter, which only the cache key needs."""
    return _as_pairs(evidence, set)


_C = typing.TypeVar("_C", Counter[tuple[Any, Any]], set[tuple[Any, Any]])


def _as_pairs(evidence: list[Any], collect: Callable[[Iterable[Any]], _C]) -> _C:
    """``collect(evidence)`` when its items are plain 2-tuples (a build's are: no copy), else
    ``collect`` of the ``(n, p)`` tuples of their two items (ValueError for another length)."""
    try:
        got: _C | None = collect(evidence)
    except TypeError:  # an unhashable item (a list)
        got = None
    if got is None or not all(type(e) is tuple and len(e) == 2 for e in got):
        got = collect([(n, p) for n, p in evidence])
    return got


class _ResolutionData(msgspec.Struct):
    matches: list[tuple[str, Match]]
    review: tuple[ReviewItem, ...]
    institutions: list[tuple[str, Institution]]


class _ResolutionEntry(msgspec.Struct):
    """A resolution cache entry (JSON: ``{"format", "key", "resolution": {"matches": [[raw, match]
    ...], "review": [...], "institutions": [[id, institution] ...]}}``), read and written by msgspec."""

    format: int
    key: str
    resolution: _ResolutionData


def _encode_entry(key: str, res: Resolution) -> bytes:
    data = _ResolutionData(list(res.matches.items()), res.review, list(res.institutions.items()))
    return msgspec.json.encode(_ResolutionEntry(CACHE_FORMAT, key, data))


def _decode_entry(data: bytes, key: str) -> Resolution | None:
    """The resolution of an entry of this format and ``key``; None for another (ValueError, msgspec's
    errors when it does not decode)."""
    entry = msgspec.json.decode(data, type=_ResolutionEntry)
    if entry.format != CACHE_FORMAT or entry.key != key:
        return None
    r = entry.resolution
    return Resolution(matches=dict(r.matches), review=r.review, institutions=dict(r.institutions))


def in_names_order(res: Resolution, names: Sequence[str]) -> Resolution | None:
    """``res`` with ``matches`` in the order of the first occurrences in ``names``, as ``resolve``
    gives it for ``names`` (it depends on nothing else of their order); None when ``res`` does
    not resolve exactly those names."""
    return _in_order(res, dict.fromkeys(names))


def _in_order(res: Resolution, order: Mapping[str, Any]) -> Resolution | None:
    """:func:`in_names_order` given the distinct names in order (the keys of ``order``)."""
    if order.keys() != res.matches.keys():
        return None
    if list(order) == list(res.matches):  # (already in that order)
        return res
    return replace(res, matches={n: res.matches[n] for n in order})


def resolve_cached(
    names: Sequence[str],
    evidence: Iterable[tuple[str, str | None]],
    *,
    registry_path: str | os.PathLike[str] | None,
    overrides_path: str | os.PathLike[str] | None,
    cache_dir: str | os.PathLike[str] | None,
) -> Resolution:
    """``resolve(names, registry=..., overrides=..., evidence=...)``, remembered in ``cache_dir``.

    The key covers the names and evidence *as multisets* (the resolver is order-independent but
    uses how often a spelling occurs to pick a cluster's display name; ``matches`` follows the
    input's first occurrences, and is re-ordered so on a hit), the bytes of the registry
    (``None`` = the bundled one) and overrides files, and the resolver's code and rules. Any change
    of those misses; re-running, re-ordering or moving the inputs hits. The result equals an
    uncached ``resolve`` (tests check it, including dict order).

    On a miss the resolver's memo in ``cache_dir`` (``resolve/memo.msgpack``: the name analyses,
    registry lookup keys and types, fuzzy block hits, guard outcomes and person groups of the last
    resolution) is reused, so a year with a few new names redoes only the comparisons they touch;
    it changes the speed, never the result.
    """
    res, store = resolve_and_store(names, evidence, registry_path=registry_path, overrides_path=overrides_path,
                                   cache_dir=cache_dir)
    store()
    return res


def _nothing() -> None:
    pass


def _entry_prefix(n_names: int, n_distinct: int, n_pairs: int, n_distinct_pairs: int) -> str:
    """The start of the file name of a resolution entry: the sizes of its multisets (names, distinct
    names, evidence pairs, distinct pairs), so a lookup knows without the key that an entry of other
    sizes cannot hold the multisets it has. The name goes on with the key: ``SIZES-KEY.json``."""
    return f"{n_names}-{n_distinct}-{n_pairs}-{n_distinct_pairs}-"


def _entries_named(folder: Path, prefix: str) -> bool:
    """Is there an entry file in ``folder`` whose name starts with ``prefix``?"""
    try:
        return any(n.startswith(prefix) and n.endswith(".json") for n in os.listdir(folder))
    except OSError:
        return False


def resolve_and_store(
    names: Sequence[str],
    evidence: Iterable[tuple[str, str | None]],
    *,
    registry_path: str | os.PathLike[str] | None,
    overrides_path: str | os.PathLike[str] | None,
    cache_dir: str | os.PathLike[str] | None,
    counted: Counted | None = None,
) -> tuple[Resolution, Callable[[], None]]:
    """:func:`resolve_cached` in two steps: the resolution, and the function that stores it (and the
    memo) in the cache, for a caller that hands the resolution on first (a forked resolution).

    ``counted``: ``(Counter(names), set(evidence))`` when the caller has them already (a build
    counts them from the rows' codes: ~0.4 s less here on a year), optionally with
    ``Counter(evidence)`` third (then the key counts nothing either)."""
    names = names if type(names) is list else list(names)
    evidence = evidence if type(evidence) is list else list(evidence)
    with collector_paused():  # ~1M names and pairs counted
        # the names counted once: for the key, and for resolve (their counts); the pairs' counts,
        # which only the key needs, are left to the key (a changed build makes it in store())
        name_counts, pairs = counted[:2] if counted is not None else (Counter(names), _distinct_pairs(evidence))
    pair_counts = counted[2] if counted is not None and len(counted) > 2 else None  # type: ignore[misc]
    return _resolve_counted(
        len(names), len(evidence), name_counts, pairs,
        (lambda: pair_counts) if pair_counts is not None else (lambda: _count_rows([], evidence)[1]),
        partial(load_resolver, registry_path=registry_path, overrides_path=overrides_path, cache_dir=cache_dir),
        names=names, registry_path=registry_path, overrides_path=overrides_path,
        folder=Path(cache_dir) / "resolve" if cache_dir is not None else None)


class ResolverSetup:
    """What a resolution in a cache uses besides its names: the registry and overrides files (as
    given and as loaded), the cache's resolutions folder and the resolver memo read from it (an
    empty one when there is none). Made by :func:`load_resolver`; used once, by
    :func:`resolve_prepared` (the resolution leaves its own comparisons in the memo)."""

    def __init__(self, registry_path: str | os.PathLike[str] | None, overrides_path: str | os.PathLike[str] | None,
                 folder: Path | None, registry: Registry | None, overrides: Overrides | None,
                 memo: ResolveMemo | None) -> None:
        self.registry_path, self.overrides_path, self.folder = registry_path, overrides_path, folder
        self.registry, self.overrides, self.memo = registry, overrides, memo


def has_resolver_memo(cache_dir: str | os.PathLike[str]) -> bool:
    """Does ``cache_dir`` hold a resolver memo (a build resolved with it before)?"""
    return (Path(cache_dir) / "resolve" / _MEMO_FILE).is_file()


def load_resolver(*, registry_path: str | os.PathLike[str] | None, overrides_path: str | os.PathLike[str] | None,
                  cache_dir: str | os.PathLike[str] | None) -> ResolverSetup:
    """The registry, overrides and resolver memo a resolution in ``cache_dir`` would load, loaded
    before its names are known (a build's forked resolution does it while the records are read:
    ~0.9 s on a year). Raises what loading the registry or overrides raises."""
    from irgraph.registry import default_registry, load_registry
    from irgraph.resolve import load_overrides

    folder = Path(cache_dir) / "resolve" if cache_dir is not None else None
    with collector_paused():  # a memo of ~0.5M small objects read
        memo = load_memo(folder / _MEMO_FILE) if folder is not None else None
        reg = load_registry(registry_path) if registry_path is not None else None
        if reg is None:
            default_registry()  # (loaded once per process; resolve takes it then)
        ov = load_overrides(overrides_path) if overrides_path is not None else None
    return ResolverSetup(registry_path, overrides_path, folder, reg, ov, memo)


def resolve_prepared(setup: ResolverSetup, n_names: int, n_evidence: int, name_counts: Counter[str],
                     pair_counts: Counter[tuple[str, str]]) -> tuple[Resolution, Callable[[], None]]:
    """:func:`resolve_and_store` with what :func:`load_resolver` loaded, given the names and evidence
    pairs as counted (item -> count; the names, first seen first, all text) and how many there were:
    all a resolution and its cache entry depend on."""
    if not all(type(n) is str for n in name_counts):
        raise TypeError("resolve_prepared takes names as text")
    return _resolve_counted(n_names, n_evidence, name_counts, set(pair_counts), lambda: pair_counts,
                            lambda: setup, names=None, registry_path=setup.registry_path,
                            overrides_path=setup.overrides_path, folder=setup.folder)


def _resolve_counted(n_names: int, n_evidence: int, name_counts: Counter[Any], pairs: set[tuple[Any, Any]],
                     pair_counts: Callable[[], Mapping[Any, int]], setup: Callable[[], ResolverSetup], *,
                     names: list[Any] | None, registry_path: str | os.PathLike[str] | None,
                     overrides_path: str | os.PathLike[str] | None,
                     folder: Path | None) -> tuple[Resolution, Callable[[], None]]:
    """The stored resolution of these multisets when the cache's ``folder`` holds it, else
    ``resolve`` with the registry, overrides and memo ``setup()`` gives (called on a miss only); and
    the function that stores it and the memo."""
    from irgraph.resolve import resolve

    with collector_paused():
        prefix = _entry_prefix(n_names, len(name_counts), n_evidence, len(pairs))

        def entry_key() -> str:
            return _counted_key(name_counts, pair_counts(), registry_path=registry_path, overrides_path=overrides_path)

        key = None
        if folder is not None and _entries_named(folder, prefix):
            # an entry of these sizes may hold these multisets: worth the key (~0.4 s on a year);
            # other sizes cannot, so a changed build leaves the key to store()
            key = entry_key()
            try:
                stored = _decode_entry((folder / f"{prefix}{key}.json").read_bytes(), key)
                # same multiset, maybe another order: matches follow this input's first occurrences
                ordered = _in_order(stored, name_counts) if stored is not None else None
                if ordered is not None:
                    return ordered, _nothing
            except (OSError, *_DECODE_ERRORS):
                pass
        loaded = setup()
        memo, reg = loaded.memo, loaded.registry
        try:
            all_text = all(type(n) is str for n in name_counts)  # (else resolve makes them str and counts again)
            res = resolve(names if names is not None else [], registry=reg, overrides=loaded.overrides,
                          evidence=pairs, memo=memo, counts=name_counts if all_text else None)
        finally:
            prime_name_infos(())
    if folder is None or memo is None:  # (memo: whenever folder)
        return res, _nothing

    def store() -> None:
        from irgraph.registry import default_registry

        with collector_paused():
            stored_key = key if key is not None else entry_key()
            _write_atomic(folder / f"{prefix}{stored_key}.json", _encode_entry(stored_key, res))
            _prune_resolutions(folder)
            store_memo(folder / _MEMO_FILE, memo, res.matches, reg if reg is not None else default_registry())

    return res, store


# ------------------------------------------------------------------------------------------ resolver memo
# What a resolution compared (name analyses, fuzzy block hits, guard outcomes) is kept next to the
# resolutions, so the next build with a few new names redoes only the comparisons those touch. It is
# a speed-up only: ``resolve`` gives the same result with any memo made by the same code and rules.

_MEMO_FILE = "memo.msgpack"
_MEMO_FORMAT = 4
_OUTCOMES = ("", "merge", "review", "block")  # by index; 0: an evidence pair not alike enough to be judged
_Index = typing.Annotated[int, msgspec.Meta(ge=0)]
_Node = typing.Annotated[int, msgspec.Meta(ge=-1)]  # -1: None


class _MemoFile(msgspec.Struct, array_like=True):
    """The stored memo. Names (and persons, nodes) are written once (``raws``) and named by their
    index elsewhere; so are reasons, institution types and the few distinct regions, desks, type
    words and qualifiers of the name analyses (half the size and decoding time of a memo with the
    text in place)."""

    format: int
    fingerprint: str
    raws: list[str]
    words: list[str]  # regions and desks
    word_lists: list[tuple[str, ...]]  # tails and qualifiers
    # raw, clean (None: the raw), region (words), brand, tails, quals (word_lists), desk (words), legal, english
    infos: list[tuple[_Index, str | None, _Index, str, _Index, _Index, _Index, bool, bool]]
    lookups: list[tuple[_Index, str | None, str | None]]  # raw, exact key (None: the raw), fallback (None: = key)
    type_names: list[str]
    types: list[tuple[_Index, _Index]]  # raw, type
    blocks: list[tuple[str, tuple[int, ...], tuple[int, ...]]]
    reasons: list[str]
    pairs: list[tuple[_Index, _Index, _Index, _Index, float]]  # raw, raw, outcome, reason, score
    # person, raws, nodes (-1: None), promoted pairs (i, j, reason, score)
    evidence: list[tuple[_Index, tuple[_Index, ...], tuple[_Node, ...], tuple[tuple[_Index, _Index, _Index, float], ...]]]
    # the fuzzy stage (ResolveMemo.fuzzy): the registry nodes' digest ("": none), unit -> the name it is
    # analysed by, and node, node, outcome, reason, score of each pair met
    fuzzy_nodes: str = ""
    units: list[tuple[_Index, _Index]] = []
    fuzzy: list[tuple[_Index, _Index, _Index, _Index, float]] = []
    # the person stage (ResolveMemo.persons; absent when False): names, (name, person) pairs, name ->
    # node, and node, node, person, reason, score of each promotion
    has_persons: bool = False
    person_names: list[_Index] = []
    person_pairs: list[tuple[_Index, _Index]] = []
    nodes: list[tuple[_Index, _Index]] = []
    promotions: list[tuple[_Index, _Index, _Index, _Index, float]] = []
    lone: list[tuple[_Index, _Index]] = []  # person of one spelling, that spelling


def load_memo(path: Path) -> ResolveMemo:
    """The stored resolver memo, with its name analyses primed (:func:`prime_name_infos`); an empty
    memo when there is none, it was made by other code or rules, or it does not decode."""
    from irgraph.normalize import NameInfo
    from irgraph.resolve import _BLOCKED, BLOCK, ResolveMemo

    try:
        data = msgspec.msgpack.decode(path.read_bytes(), type=_MemoFile)
    except (OSError, *_DECODE_ERRORS):
        return ResolveMemo()
    if data.format != _MEMO_FORMAT or data.fingerprint != resolver_fingerprint():
        return ResolveMemo()
    raws, reasons, kinds, outcomes = data.raws, data.reasons, data.type_names, _OUTCOMES
    words, lists = data.words, data.word_lists
    blocked, block = _BLOCKED, outcomes.index(BLOCK)
    lookups: dict[str, tuple[str, str]] = {}
    try:
        for i, key, fallback in data.lookups:
            raw = raws[i]
            key = raw if key is None else key
            lookups[raw] = (key, key if fallback is None else fallback)
        memo = ResolveMemo(
            blocks={d: (q, c) for d, q, c in data.blocks},
            pairs={(raws[a], raws[b]): blocked if o == block else (outcomes[o], reasons[r], sc)
                   for a, b, o, r, sc in data.pairs if o},
            evidence=_evidence_entries(data.evidence, raws, reasons),
            lookups=lookups,
            types={raws[i]: kinds[t] for i, t in data.types},
        )
        if data.fuzzy_nodes:
            memo.fuzzy = (data.fuzzy_nodes, {raws[u]: raws[r] for u, r in data.units},
                          {frozenset((raws[a], raws[b])): blocked if o == block else (outcomes[o], reasons[r], sc)
                           for a, b, o, r, sc in data.fuzzy})
        if data.has_persons:
            memo.persons = (frozenset([raws[i] for i in data.person_names]),
                            frozenset([(raws[a], raws[b]) for a, b in data.person_pairs]),
                            {raws[a]: raws[b] for a, b in data.nodes},
                            {frozenset((raws[a], raws[b])): (raws[p], reasons[r], sc)
                             for a, b, p, r, sc in data.promotions},
                            {raws[p]: raws[r] for p, r in data.lone})
        infos = [NameInfo(raws[i], raws[i] if clean is None else clean, words[region], brand, lists[tails], lists[quals],
                          words[desk], legal, english)
                 for i, clean, region, brand, tails, quals, desk, legal, english in data.infos]
    except IndexError:
        return ResolveMemo()
    prime_name_infos(infos)
    return memo


def _evidence_entries(rows: list[Any], raws: list[str], reasons: list[str]) -> dict[Any, Any]:
    """The memo's person groups from their stored rows (IndexError for an index out of range)."""
    name = raws.__getitem__
    node = [*raws, None].__getitem__  # (-1: None)
    out = {}
    for person, names, nodes, promoted in rows:
        n = len(names)
        if len(nodes) != n or (promoted and any(not i < j < n for i, j, _, _ in promoted)):
            raise IndexError("a person group's pair out of range")
        out[(raws[person], tuple(map(name, names)), tuple(map(node, nodes)))] = (
            tuple((i, j, reasons[r], sc) for i, j, r, sc in promoted) if promoted else ())
    return out


def _ordered(pair: frozenset[str]) -> tuple[str, str]:
    """The two nodes of a pair, the smaller first (a frozenset's order depends on the hash seed)."""
    a, b = pair
    return (a, b) if a < b else (b, a)


def store_memo(path: Path, memo: ResolveMemo, names: Iterable[str], registry: Registry) -> None:
    """Write ``memo`` (as a resolution left it) and the analyses of ``names`` (the distinct names
    resolved) and of the registry's names."""
    from irgraph.normalize import analyze_name

    infos = {n: analyze_name(n) for n in names}
    for name, info, _ in registry.alias_infos:
        infos.setdefault(name, info)
    index = {info.raw: i for i, info in enumerate(infos.values())}

    def ix(raw: str) -> int:
        return index.setdefault(raw, len(index))

    reasons: dict[str, int] = {}
    kinds: dict[str, int] = {}
    words: dict[str, int] = {}
    lists: dict[tuple[str, ...], int] = {}
    code = {o: i for i, o in enumerate(_OUTCOMES)}
    rows = [(ix(i.raw), None if i.clean == i.raw else i.clean, words.setdefault(i.region, len(words)), i.brand,
             lists.setdefault(i.tails, len(lists)), lists.setdefault(i.quals, len(lists)),
             words.setdefault(i.desk, len(words)), i.legal, i.english) for i in infos.values()]
    pairs = [(ix(a), ix(b), code[o], reasons.setdefault(r, len(reasons)), sc) for (a, b), (o, r, sc) in memo.pairs.items()]
    evidence = [(ix(person), tuple(map(ix, names)), tuple(-1 if n is None else ix(n) for n in nodes),
                 tuple((i, j, reasons.setdefault(r, len(reasons)), sc) for i, j, r, sc in promoted))
                for (person, names, nodes), promoted in memo.evidence.items()]
    lookups = [(ix(raw), None if key == raw else key, None if fallback == key else fallback)
               for raw, (key, fallback) in memo.lookups.items()]
    types = [(ix(raw), kinds.setdefault(t, len(kinds))) for raw, t in memo.types.items()]
    nodes_digest, units, fuzzy = memo.fuzzy if memo.fuzzy is not None else ("", {}, {})
    unit_rows = [(ix(u), ix(raw)) for u, raw in units.items()]
    fuzzy_rows = [(ix(a), ix(b), code[o], reasons.setdefault(r, len(reasons)), sc)
                  for (a, b), (o, r, sc) in ((_ordered(p), o) for p, o in fuzzy.items())]
    persons = memo.persons
    if persons is not None and not all(len(e) == 2 and type(e[1]) is str for e in persons[1]):
        persons = None  # (pairs of other shapes: not stored)
    names_p, pairs_p, nodes_p, promoted_p, lone_p = persons if persons is not None else ((), (), {}, {}, {})
    person_rows = [ix(n) for n in sorted(names_p)]
    pair_rows = [(ix(a), ix(b)) for a, b in sorted(pairs_p)]  # type: ignore[type-var]
    node_rows = [(ix(a), ix(b)) for a, b in nodes_p.items()]
    promotion_rows = [(ix(a), ix(b), ix(q), reasons.setdefault(r, len(reasons)), sc)
                      for (a, b), (q, r, sc) in ((_ordered(p), v) for p, v in promoted_p.items())]
    data = _MemoFile(
        format=_MEMO_FORMAT,
        fingerprint=resolver_fingerprint(),
        raws=list(index),
        words=list(words),
        word_lists=list(lists),
        infos=rows,
        lookups=lookups,
        type_names=list(kinds),
        types=types,
        blocks=[(d, q, c) for d, (q, c) in memo.blocks.items()],
        reasons=list(reasons),
        pairs=pairs,
        evidence=evidence,
        fuzzy_nodes=nodes_digest,
        units=unit_rows,
        fuzzy=fuzzy_rows,
        has_persons=persons is not None,
        person_names=person_rows,
        person_pairs=pair_rows,
        nodes=node_rows,
        promotions=promotion_rows,
        lone=[(ix(p), ix(r)) for p, r in sorted(lone_p.items())],  # (made in the order of a set)
    )
    _write_atomic(path, msgspec.msgpack.encode(data))


def _prune_resolutions(folder: Path, keep: int = _RESOLUTIONS_KEPT) -> None:
    with contextlib.suppress(OSError):
        entries = sorted(folder.glob("*.json"), key=lambda p: p.stat().st_mtime, reverse=True)
        for p in entries[keep:]:
            p.unlink(missing_ok=True)


def prune(cache_dir: str | os.PathLike[str]) -> int:
    """Delete parse entries of other parser fingerprints (old irgraph versions) and the folders of
    older cache formats; returns how many fingerprints and folders were removed."""
    import shutil

    removed = 0
    legacy = Path(cache_dir) / "parse"  # format 1 kept one JSON file per entry there
    if legacy.is_dir():
        shutil.rmtree(legacy, ignore_errors=True)
        removed += 1
    con = _open_db(os.fspath(cache_dir))
    if con is None:
        return removed
    current = parser_fingerprint()
    with contextlib.closing(con):
        try:
            old = [r[0] for r in con.execute("SELECT DISTINCT fingerprint FROM entries WHERE fingerprint != ? "
                                             "UNION SELECT DISTINCT fingerprint FROM files WHERE fingerprint != ?",
                                             (current, current))]
            if old:
                con.execute("DELETE FROM entries WHERE fingerprint != ?", (current,))
                con.execute("DELETE FROM files WHERE fingerprint != ?", (current,))
                con.execute("VACUUM")
            removed += len(old)
        except sqlite3.Error:
            pass
    return removed
