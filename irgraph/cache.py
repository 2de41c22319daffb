"""Parse and resolve caches, and parallel parsing: fast rebuilds when a week of records arrives.

* :func:`parse_paths` reads and parses files in input order, optionally in worker processes, and
  keeps each file's records in ``CACHE/parse/<parser fingerprint>/<sha256[:2]>/<sha256>.json``,
  keyed by the SHA-256 of the file's bytes. The parser fingerprint (:func:`parser_fingerprint`)
  hashes irgraph's version, the reader/parser sources, the parse lexicon, the registry names the
  parser uses and the versions of the libraries that extract text; change any of them and no old
  entry is reachable any more. Change one input file and only its entry misses.
* :func:`resolve_cached` keeps whole resolutions in ``CACHE/resolve/<key>.json``, keyed by the
  multiset of names, the multiset of evidence pairs, the registry and overrides file contents and
  the resolver fingerprint (:func:`resolver_fingerprint`).

Entries are JSON (never pickle: a cache directory is user-writable data and must not be able to
run code when loaded). Every entry records its format version, fingerprint and key, and is checked
on load; an unreadable, truncated or mismatching entry is ignored (and rewritten), never an error.
Writes are atomic (temp file + rename), so concurrent builds sharing a cache are safe.
"""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import hashlib
import itertools
import json
import os
import sys
import types
import typing
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import MISSING, fields, is_dataclass, replace
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

from irgraph.models import Record, Resolution

__all__ = [
    "CACHE_FORMAT",
    "decode_records",
    "encode_records",
    "parse_paths",
    "parser_fingerprint",
    "prune",
    "resolve_cached",
    "resolver_fingerprint",
    "source_closure",
]

CACHE_FORMAT = 1
_PKG = Path(__file__).resolve().parent
# entry points of the code that decides what a file parses to / how names resolve; the fingerprints
# cover their whole irgraph import closure and the bundled tables it names (found from the sources)
_PARSER_ROOTS = ("parse.py", "read/__init__.py", "read/docx.py", "read/pdf.py", "read/tables.py")
_PARSER_LIBS = ("charset_normalizer", "pymupdf", "python-docx", "openpyxl", "opencc")
_RESOLVER_ROOTS = ("resolve.py", "registry.py", "normalize.py")
_RESOLVER_LIBS = ("rapidfuzz", "opencc")
_RESOLUTIONS_KEPT = 4  # newest resolution entries kept per cache directory
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


def source_closure(roots: Sequence[str]) -> tuple[list[str], list[str]]:
    """irgraph source files reachable by imports from ``roots`` (paths relative to the package), and
    the bundled data files they open with ``data_path("...")``. Always includes ``__init__.py``."""
    import ast

    seen: set[str] = set()
    data: set[str] = set()
    todo = ["__init__.py", *roots]
    while todo:
        rel = todo.pop()
        if rel in seen or not (_PKG / rel).is_file():
            continue
        seen.add(rel)
        tree = ast.parse((_PKG / rel).read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            mods: list[str] = []
            if isinstance(node, ast.Import):
                mods = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                mods = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
            elif (isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", "")) == "data_path"
                  and node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)):
                data.add(node.args[0].value)
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
    if is_dataclass(v) and not isinstance(v, type):
        out = {}
        for f in fields(v):
            x = getattr(v, f.name)
            if f.default is not x and not (f.default == x and type(f.default) is type(x)):
                out[f.name] = _to_json(x)
        return out
    if isinstance(v, (tuple, list)):
        return [_to_json(x) for x in v]
    if isinstance(v, dict):
        return {k: _to_json(x) for k, x in v.items()}
    return v


def _identity(v: Any) -> Any:
    return v


@cache
def _decoder(tp: Any) -> Callable[[Any], Any]:
    """A function turning the JSON form of a value of type ``tp`` back into that value."""
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin in (typing.Union, types.UnionType):
        inner = [a for a in args if a is not type(None)]
        if len(inner) == 1:
            dec = _decoder(inner[0])
            if dec is _identity:
                return _identity
            return lambda v: None if v is None else dec(v)
        return _identity
    if origin is tuple:
        if len(args) == 2 and args[1] is Ellipsis:
            dec = _decoder(args[0])
            if dec is _identity:
                return tuple
            return lambda v: tuple(map(dec, v))
        decs = [_decoder(a) for a in args]
        return lambda v: tuple(d(x) for d, x in zip(decs, v, strict=True))
    if origin is dict:
        dec = _decoder(args[1])
        return lambda v: {k: dec(x) for k, x in v.items()}
    if is_dataclass(tp):
        hints = typing.get_type_hints(tp)
        flds = fields(tp)
        decs = {f.name: _decoder(hints[f.name]) for f in flds}
        items = tuple((k, d) for k, d in decs.items() if d is not _identity)
        names = frozenset(decs)
        defaults = {f.name: f.default for f in flds if f.default is not MISSING}
        # frozen dataclasses set every field through object.__setattr__: filling __dict__ directly is
        # ~3x faster and gives an equal object, when the class has no __post_init__, no slots, no
        # default factories, and the data names exactly its fields
        fast = (not hasattr(tp, "__post_init__") and "__slots__" not in tp.__dict__
                and all(f.init and (f.default is not MISSING or f.default_factory is MISSING) for f in flds)
                and all(f.default_factory is MISSING for f in flds))
        required = frozenset(f.name for f in flds if f.default is MISSING)

        def build(v: dict[str, Any], tp: Any = tp, items: tuple[tuple[str, Callable[[Any], Any]], ...] = items) -> Any:
            for k, dec in items:
                if k in v:
                    v[k] = dec(v[k])  # the JSON dict is ours to change
            if fast and v.keys() <= names and required <= v.keys():
                obj = object.__new__(tp)
                d = obj.__dict__
                d.update(defaults)
                d.update(v)
                return obj
            return tp(**v)

        return build
    return _identity


def encode_records(records: Sequence[Record]) -> list[Any]:
    """Records as JSON-ready lists/dicts (default-valued fields left out)."""
    return [_to_json(r) for r in records]


def decode_records(data: list[Any]) -> tuple[Record, ...]:
    """Inverse of :func:`encode_records`; raises ``TypeError``/``ValueError``/``KeyError`` on bad data."""
    dec = _decoder(Record)
    return tuple(dec(d) for d in data)


# ------------------------------------------------------------------------------------------ parse cache


def _write_json_atomic(path: Path | str, text: str) -> None:
    from irgraph._io import atomic_open

    with contextlib.suppress(OSError), atomic_open(path, "w", encoding="utf-8") as f:
        f.write(text)


def _fp_dir(root: str, fp: str) -> str:
    return os.path.join(root, "parse", fp[:16])


def _entry_path(root: str, fp: str, digest: str) -> str:
    return os.path.join(root, "parse", fp[:16], digest[:2], digest + ".json")


def _load_entry(path: str, fp: str, digest: str) -> tuple[str, list[Any]] | None:
    """``(original source, encoded records)`` of a valid entry, else None (missing or corrupt)."""
    try:
        with open(path, encoding="utf-8") as f:
            obj = json.load(f)
        if (obj.get("format") != CACHE_FORMAT or obj.get("fingerprint") != fp or obj.get("sha256") != digest
                or not isinstance(obj.get("records"), list) or not isinstance(obj.get("source"), str)):
            return None
        return obj["source"], obj["records"]
    except (OSError, ValueError, AttributeError, TypeError):
        return None


def _store_entry(root: str, fp: str, digest: str, source: str, encoded: list[Any]) -> None:
    text = json.dumps({"format": CACHE_FORMAT, "fingerprint": fp, "sha256": digest, "source": source,
                       "records": encoded}, ensure_ascii=False, separators=(",", ":"))
    _write_json_atomic(_entry_path(root, fp, digest), text)


def _signature(st: os.stat_result) -> list[int]:
    """What says a file is unchanged without reading it: size, mtime, ctime (not settable by tools), inode."""
    return [st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino]


# one result per path: (source it was parsed as, encoded records, cache hit, records if parsed here,
# content digest or None, stat signature or None)
_Result = tuple[str, list[Any], bool, "tuple[Record, ...] | None", "str | None", "list[int] | None"]


def _parse_one(path: str, cache_root: str | None, fp: str) -> _Result:
    """Read and parse one file (or take it from the cache by its content hash)."""
    from irgraph.parse import parse_document
    from irgraph.read import MAX_FILE_BYTES, read_bytes, read_path

    try:
        st = os.stat(path)
        data = None if st.st_size > MAX_FILE_BYTES else Path(path).read_bytes()
    except OSError:
        data = None
    if data is None:  # unreadable or oversized: let the reader word the error; nothing to key a cache on
        recs = parse_document(read_path(path))
        return path, encode_records(recs), False, recs, None, None
    digest = hashlib.sha256(data).hexdigest()
    sig = _signature(st)
    if cache_root is not None:
        got = _load_entry(_entry_path(cache_root, fp, digest), fp, digest)
        if got is not None:
            return got[0], got[1], True, None, digest, sig
    recs = parse_document(read_bytes(data, path))
    encoded = encode_records(recs)
    if cache_root is not None:
        _store_entry(cache_root, fp, digest, path, encoded)
    return path, encoded, False, recs, digest, sig


def _parse_chunk(paths: list[str], cache_root: str | None, fp: str) -> list[tuple[str, str, bool, Any, Any]]:
    """Worker side: parse several files; results go back as JSON text (cheaper to send than objects)."""
    out = []
    for p in paths:
        src, enc, hit, _, digest, sig = _parse_one(p, cache_root, fp)
        out.append((src, json.dumps(enc, ensure_ascii=False, separators=(",", ":")), hit, digest, sig))
    return out


def _load_index(root: str, fp: str) -> dict[str, list[Any]]:
    """``abs path -> [size, mtime_ns, ctime_ns, inode, sha256]`` of files seen before (empty if unreadable)."""
    try:
        with open(os.path.join(_fp_dir(root, fp), "index.json"), encoding="utf-8") as f:
            obj = json.load(f)
        idx = obj["files"] if obj.get("format") == CACHE_FORMAT and obj.get("fingerprint") == fp else {}
        return {k: v for k, v in idx.items() if isinstance(v, list) and len(v) == 5}
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return {}


def _save_index(root: str, fp: str, index: dict[str, list[Any]]) -> None:
    text = json.dumps({"format": CACHE_FORMAT, "fingerprint": fp, "files": dict(sorted(index.items()))},
                      ensure_ascii=False, separators=(",", ":"))
    _write_json_atomic(os.path.join(_fp_dir(root, fp), "index.json"), text)


def _lookup(path: str, root: str, fp: str, index: dict[str, list[Any]]) -> _Result | None:
    """A cache hit for ``path``: by its stat signature in the index, else by hashing its bytes."""
    try:
        st = os.stat(path)
        if st.st_size > _max_bytes():
            return None
        sig = _signature(st)
        known = index.get(os.path.abspath(path))
        fresh = known is None or known[:4] != sig
        digest = hashlib.sha256(Path(path).read_bytes()).hexdigest() if fresh else known[4]
    except OSError:
        return None
    got = _load_entry(_entry_path(root, fp, digest), fp, digest)
    return (got[0], got[1], True, None, digest, sig) if got is not None else None


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
    """``res`` with its records decoded and the JSON form dropped (kept when it has the wrong shape:
    :func:`parse_paths` then parses the file again)."""
    src, encoded, hit, recs, digest, sig = res
    if recs is not None:
        return res
    try:
        return src, [], hit, decode_records(encoded), digest, sig
    except (TypeError, ValueError, KeyError, AttributeError):
        return res


class ParseStats(typing.NamedTuple):
    files: int
    hits: int
    parsed: int


_last_stats = ParseStats(0, 0, 0)


def last_stats() -> ParseStats:
    """Files, cache hits and files parsed by the most recent :func:`parse_paths` call of this process."""
    return _last_stats


def parse_paths(
    paths: Sequence[str | os.PathLike[str]],
    *,
    cache_dir: str | os.PathLike[str] | None = None,
    jobs: int = 1,
    progress: Callable[[int, int], None] | None = None,
) -> list[Record]:
    """Read and parse every path (``read_path`` + ``parse_document``) in input order.

    ``cache_dir``: reuse and store parse results there (see the module docstring); a file whose
    size, mtime, ctime and inode are those recorded with its hash is not even re-read.
    ``jobs``: worker processes for the files not in the cache (``0`` = one per CPU); results are
    identical for any value. ``progress(done, total)`` is called with the number of files done so far
    (cache hits first, then after each batch).
    Missing stock codes are *not* recovered here (that needs all records: ``recover_stock_codes``).
    """
    global _last_stats
    srcs = [os.fspath(p) for p in paths]
    fp = parser_fingerprint()
    root = os.fspath(cache_dir) if cache_dir is not None else None
    if jobs <= 0:
        jobs = os.cpu_count() or 1
    results: list[_Result | None] = [None] * len(srcs)
    todo = list(range(len(srcs)))
    done = 0
    index: dict[str, list[Any]] = {}
    if root is not None:  # cache lookups are cheap: do them here, send only misses to workers
        index = _load_index(root, fp)
        todo = []
        for i, s in enumerate(srcs):
            got = _lookup(s, root, fp, index)
            if got is None:
                todo.append(i)
            else:
                results[i] = _decoded(got)
                done += 1
        if progress and done:
            progress(done, len(srcs))
    if jobs > 1 and len(todo) >= _MIN_PARALLEL:
        # small batches keep both workers busy to the end; this process decodes each batch as it
        # arrives (in input order) instead of all of them after the last one
        size = max(1, min(_BATCH_FILES, -(-len(todo) // (jobs * 4))))
        chunks = [todo[k:k + size] for k in range(0, len(todo), size)]
        with cf.ProcessPoolExecutor(max_workers=jobs) as ex:
            batches = ex.map(_parse_chunk, ([srcs[i] for i in ch] for ch in chunks), itertools.repeat(root),
                             itertools.repeat(fp))
            for ch, batch in zip(chunks, batches, strict=True):
                for i, (src, text, hit, digest, sig) in zip(ch, batch, strict=True):
                    results[i] = _decoded((src, json.loads(text), hit, None, digest, sig))
                done += len(ch)
                if progress:
                    progress(done, len(srcs))
    else:
        for n, i in enumerate(todo, start=1):
            src, _, hit, recs, digest, sig = _parse_one(srcs[i], root, fp)
            results[i] = (src, [], hit, recs, digest, sig)  # the JSON form is not needed any more
            if progress and (n % 256 == 0 or n == len(todo)):
                progress(done + n, len(srcs))
    records: list[Record] = []
    hits = 0
    changed = False
    for s, res in zip(srcs, results, strict=True):
        assert res is not None
        old, encoded, hit, recs, digest, sig = res
        hits += hit
        if recs is None:
            try:
                recs = decode_records(encoded)
            except (TypeError, ValueError, KeyError, AttributeError):  # a cache entry of the wrong shape
                hits -= hit
                old, encoded, _, recs, digest, sig = _parse_one(s, None, fp)
                if root is not None and digest is not None:
                    _store_entry(root, fp, digest, s, encoded)
        assert recs is not None
        if root is not None and digest is not None and sig is not None:
            key = os.path.abspath(s)
            entry = [*sig, digest]
            if index.get(key) != entry:
                index[key] = entry
                changed = True
        records.extend(_with_source(r, old, s) for r in recs)
    if root is not None and changed:
        _save_index(root, fp, index)
    _last_stats = ParseStats(len(srcs), hits, len(srcs) - hits)
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


def _multiset_hash(items: Iterable[Any]) -> str:
    """Order-independent hash of a multiset of items (str, None, tuples of them; counts included)."""
    counts = Counter(items)  # count first: only the distinct items are serialised
    h = hashlib.sha256()
    for k, n in sorted((_enc(k), n) for k, n in counts.items()):
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


def resolution_key(names: Sequence[str], evidence: Sequence[tuple[str, str | None]], *,
                   registry_path: str | os.PathLike[str] | None,
                   overrides_path: str | os.PathLike[str] | None) -> str:
    """The cache key of a resolution (see :func:`resolve_cached`)."""
    parts = [f"format={CACHE_FORMAT}", resolver_fingerprint(), "registry=" + _file_hash(registry_path, "institutions.csv"),
             "overrides=" + _file_hash(overrides_path, None), "names=" + _multiset_hash(names),
             "evidence=" + _multiset_hash(tuple(e) for e in evidence)]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


def _encode_resolution(res: Resolution) -> dict[str, Any]:
    return {"matches": [[k, _to_json(m)] for k, m in res.matches.items()],
            "review": [_to_json(r) for r in res.review],
            "institutions": [[k, _to_json(i)] for k, i in res.institutions.items()]}


def _decode_resolution(obj: dict[str, Any]) -> Resolution:
    from irgraph.models import Institution, Match, ReviewItem

    dm, dr, di = _decoder(Match), _decoder(ReviewItem), _decoder(Institution)
    return Resolution(matches={k: dm(v) for k, v in obj["matches"]}, review=tuple(dr(v) for v in obj["review"]),
                      institutions={k: di(v) for k, v in obj["institutions"]})


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
    """
    from irgraph.registry import load_registry
    from irgraph.resolve import load_overrides, resolve

    names = list(names)
    evidence = [(n, p) for n, p in evidence]
    key = None
    path = None
    if cache_dir is not None:
        key = resolution_key(names, evidence, registry_path=registry_path, overrides_path=overrides_path)
        path = Path(cache_dir) / "resolve" / f"{key}.json"
        try:
            with open(path, encoding="utf-8") as f:
                obj = json.load(f)
            if obj.get("format") == CACHE_FORMAT and obj.get("key") == key:
                res = _decode_resolution(obj["resolution"])
                # same multiset, maybe another order: matches follow this input's first occurrences
                matches = {n: res.matches[n] for n in dict.fromkeys(names)}
                if len(matches) == len(res.matches):
                    return replace(res, matches=matches)
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            pass
    reg = load_registry(registry_path) if registry_path is not None else None
    ov = load_overrides(overrides_path) if overrides_path is not None else None
    res = resolve(names, registry=reg, overrides=ov, evidence=evidence)
    if path is not None:
        text = json.dumps({"format": CACHE_FORMAT, "key": key, "resolution": _encode_resolution(res)},
                          ensure_ascii=False, separators=(",", ":"))
        _write_json_atomic(path, text)
        _prune_resolutions(path.parent)
    return res


def _prune_resolutions(folder: Path, keep: int = _RESOLUTIONS_KEPT) -> None:
    with contextlib.suppress(OSError):
        entries = sorted(folder.glob("*.json"), key=lambda p: p.stat().st_mtime, reverse=True)
        for p in entries[keep:]:
            p.unlink(missing_ok=True)


def prune(cache_dir: str | os.PathLike[str]) -> int:
    """Delete parse entries of other parser fingerprints (old irgraph versions); returns folders removed."""
    import shutil

    base = Path(cache_dir) / "parse"
    current = parser_fingerprint()[:16]
    removed = 0
    if base.is_dir():
        for d in base.iterdir():
            if d.is_dir() and d.name != current:
                shutil.rmtree(d, ignore_errors=True)
                removed += 1
    return removed
