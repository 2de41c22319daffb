"""Year snapshots: a build's records kept as columns in the cache, so that the next build of mostly
the same files takes them from one memory-mapped file instead of decoding 30,000 parse cache entries.

A build with a cache (and ``keep_records=False``) reads its inputs with :func:`read_columns`: the
files whose path and SHA-256 the cache's snapshot (``CACHE/snapshot.arrow``) holds are not read;
their records' columns are taken from it with Arrow, the others are parsed (or decoded from the
parse cache) the usual way, and both are put in the order :func:`irgraph.pipeline.read_records`
gives. The records table, unparsed table, :class:`~irgraph.pipeline.RowColumns` and
:class:`~irgraph.graph.GraphRows` are then made from the columns; they equal those the plain
functions make of the records (tests check it). Stock codes are recovered again from the few
columns recovery reads; should an old record's recovered code or short name change, the old files
are decoded as in a plain build.

The file: ``MAGIC``, three Arrow IPC streams (records, attendee rows, unparsed lines), each at a
64-byte boundary, the header (msgpack: format, key, per file its path, SHA-256, record range and
the JSON of its problem records), and the header's offset and length (8 bytes each,
little-endian). It is keyed by the snapshot format, the cache format, the parser fingerprint, the
source of the modules that make the products (``_CODE``), the versions of the libraries they use
and the companies table; a file of another key, or one that does not load or check, is ignored
(and replaced). No pickle: a cache folder is user-writable data.
"""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import json
import os
import tempfile
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import msgspec
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from irgraph._columns import _STR
from irgraph._io import _umask, collector_paused
from irgraph.graph import GraphRows
from irgraph.models import Record
from irgraph.pipeline import RECORD_COLUMNS, UNPARSED_COLUMNS, RowColumns, _join, in_records_order, in_unparsed_order

SNAPSHOT_FORMAT = 1
_FILE = "snapshot.arrow"
_MAGIC = b"IRGSNAP1"
_ALIGN = 64
_MAX_CHUNKS = 8  # builds' worth of chunks a snapshot holds before it is written again in one
_PROBLEMS = ("error", "count_mismatch")
_last_reused = 0

_T = pa.large_string()
# the rows' names, their evidence pairs, and those counted (the names' multiset, first seen first, the
# distinct pairs and their multiset) when they were made from codes: what the resolution is given
Counted = tuple[Counter[str], set[tuple[str, str]], Counter[tuple[str, str]]]
OnNames = Callable[[list[str], list[tuple[str, str]], Counted | None], None]
# the records table's columns, then what the other products and stock code recovery take of a record
_REC_TEXT = ("source", "kind", "stock_code", "short_name", "company", "record_no", "activity_types", "dates",
             "status", "message", "activity_other", "place", "format", "stock_code_source",
             "code_before", "short_before", "code_source_before", "company_key", "graph_node", "graph_code",
             "graph_date")
_REC_INT = ("n_institutions", "n_persons", "n_unparsed", "declared_institutions", "declared_persons",
            "n_att", "n_inst", "n_up")
_REC_BOOL = ("is_ir", "error", "graph_ok")
_REC_SCHEMA = pa.schema([*((c, _T) for c in _REC_TEXT), *((c, pa.int64()) for c in _REC_INT),
                         *((c, pa.bool_()) for c in _REC_BOOL), ("types", pa.large_list(_T))])
_ATT_SCHEMA = pa.schema([("institution", _T), ("person", _T), ("line_no", pa.int64()), ("generic", pa.bool_()),
                         ("date", _T)])
_UP_SCHEMA = pa.schema([("source", _T), ("line_no", pa.int64()), ("text", _T), ("reason", _T), ("kind", _T)])


@dataclass(frozen=True)
class Columns:
    """Records as three Arrow tables: a row per record (:data:`_REC_SCHEMA`), per attendee row (in
    record and document order; record ``k`` has ``n_att[k]``) and per unparsed or skipped line
    (``n_up[k]`` each)."""

    recs: pa.Table
    atts: pa.Table
    ups: pa.Table

    def __len__(self) -> int:
        return self.recs.num_rows


class Unrepresentable(ValueError):
    """Records Arrow cannot hold as they are (text that is not valid Unicode): the plain path is taken."""


def columns_of(records: Sequence[Record], before: Sequence[Record] | None = None) -> Columns:
    """The :class:`Columns` of ``records``; ``before``: the same records before stock code recovery
    (``records`` itself when None). :class:`Unrepresentable` for text Arrow cannot hold."""
    before = records if before is None else before
    rec_rows = []
    inst: list[str] = []
    person: list[str | None] = []
    line_no: list[int] = []
    generic: list[bool] = []
    date: list[str | None] = []
    up_source: list[str] = []
    up_line: list[int] = []
    up_text: list[str] = []
    up_reason: list[str] = []
    up_kind: list[str] = []
    for r, b in zip(records, before, strict=True):
        atts = r.attendees
        first = r.dates[0] if r.dates else None
        inst += [a.institution for a in atts]
        person += [a.person for a in atts]
        line_no += [a.line_no for a in atts]
        generic += [a.generic for a in atts]
        date += [a.date or first for a in atts]
        n_inst = len(r.institution_rows)
        n_up = len(r.unparsed) + len(r.skipped)
        if n_up:
            up_source += [r.source] * n_up
            up_line += [u.line_no for u in r.unparsed] + [u.line_no for u in r.skipped]
            up_text += [u.text for u in r.unparsed] + [u.text.strip() for u in r.skipped]
            up_reason += [u.reason for u in r.unparsed] + [u.reason for u in r.skipped]
            up_kind += ["unparsed"] * len(r.unparsed) + ["skipped"] * len(r.skipped)
        is_ir = r.kind == "ir_record"
        rec_rows.append((
            r.source, r.kind, r.stock_code, r.short_name, r.company, r.record_no, _join(r.activity_types),
            _join(r.dates), r.status, r.message, r.activity_other, r.place, r.format, r.stock_code_source,
            b.stock_code, b.short_name, b.stock_code_source, r.stock_code or r.company or r.source,
            "c:" + (r.stock_code or r.company or ""), r.stock_code or "", first,
            r.n_institutions, r.n_persons, len(r.unparsed), r.declared_institutions, r.declared_persons,
            len(atts), n_inst, n_up,
            is_ir, bool(r.error), is_ir and not r.error and bool(r.stock_code or r.company), r.activity_types))
    try:
        cols = list(zip(*rec_rows, strict=True)) if rec_rows else [()] * len(_REC_SCHEMA)
        recs = pa.table([pa.array(list(c), type=f.type) for c, f in zip(cols, _REC_SCHEMA, strict=True)],
                        schema=_REC_SCHEMA)
        atts_t = pa.table([pa.array(inst, _T), pa.array(person, _T), pa.array(line_no, pa.int64()),
                           pa.array(generic, pa.bool_()), pa.array(date, _T)], schema=_ATT_SCHEMA)
        ups = pa.table([pa.array(up_source, _T), pa.array(up_line, pa.int64()), pa.array(up_text, _T),
                        pa.array(up_reason, _T), pa.array(up_kind, _T)], schema=_UP_SCHEMA)
    except (pa.ArrowInvalid, pa.ArrowTypeError, UnicodeEncodeError) as e:
        raise Unrepresentable(str(e)) from None
    return Columns(recs, atts_t, ups)


def concat(parts: Sequence[Columns]) -> Columns:
    """The records of ``parts`` one after the other."""
    return Columns(pa.concat_tables([p.recs for p in parts]), pa.concat_tables([p.atts for p in parts]),
                   pa.concat_tables([p.ups for p in parts]))


def _ranges(starts: np.ndarray, lens: np.ndarray) -> np.ndarray:
    """The positions ``starts[k] .. starts[k] + lens[k] - 1`` of every ``k``, one after the other."""
    total = int(lens.sum())
    if not total:
        return np.zeros(0, dtype=np.int64)
    ends = np.cumsum(lens)
    return np.repeat(starts - ends + lens, lens) + np.arange(total, dtype=np.int64)


def _starts(lens: np.ndarray) -> np.ndarray:
    return np.concatenate(([0], np.cumsum(lens)[:-1])).astype(np.int64) if len(lens) else lens.astype(np.int64)


def _ints(col: pa.ChunkedArray | pa.Array) -> np.ndarray:
    return np.array(col.to_numpy(), dtype=np.int64)  # (a copy: never a read-only view of the mapped file)


def _bools(col: pa.ChunkedArray | pa.Array) -> np.ndarray:
    return np.asarray(col.to_numpy(zero_copy_only=False), dtype=bool)


def _text(col: pa.ChunkedArray | pa.Array) -> Any:
    """The column as :func:`irgraph._columns.text_column` (and ``taken_text``) make it of the values."""
    arr = _array(col)
    return arr.to_pylist() if arr.null_count == len(arr) else pd.array(arr, dtype=_STR)


def _array(col: pa.ChunkedArray | pa.Array) -> pa.Array:
    """``col`` as one array (a chunked array of one chunk: that chunk, not a copy)."""
    if not isinstance(col, pa.ChunkedArray):
        return col
    return col.chunk(0) if col.num_chunks == 1 else col.combine_chunks()


def _codes(col: pa.ChunkedArray | pa.Array) -> tuple[list[Any], np.ndarray]:
    """The distinct values of ``col`` (first seen first) and each value's position among them."""
    enc = pc.dictionary_encode(_array(col))  # (Arrow numbers the values in the order they are first seen)
    return enc.dictionary.to_pylist(), np.asarray(pc.fill_null(enc.indices, -1).to_numpy(), dtype=np.int64)


@dataclass
class Products:
    """What a build makes of its records before the resolution, and the rows it resolves."""

    records_table: pd.DataFrame
    unparsed_table: pd.DataFrame
    row_columns: RowColumns
    graph_rows: GraphRows
    names: list[str]
    evidence: list[tuple[str, str]]


def products(cols: Columns, order: np.ndarray,
             on_names: OnNames | None = None) -> Products:
    """The records and unparsed tables, :class:`RowColumns` and :class:`GraphRows` of the records
    ``order`` (positions in ``cols``), as the plain functions make them of those records in that
    order, and the institution rows' names and evidence pairs (given to ``on_names`` as soon as
    they are made, with their counts: :meth:`_Rows.counted`)."""
    recs = _take_runs(cols.recs, order, np.ones(len(cols), dtype=np.int64))
    n_att_all = _ints(cols.recs["n_att"])
    n_up_all = _ints(cols.recs["n_up"])
    n_att, n_up, n_inst = n_att_all[order], n_up_all[order], _ints(recs["n_inst"])
    atts = _take_runs(cols.atts, order, n_att_all)  # every record's rows, in order

    # the institution rows of every record, for the resolution (and the graph and row columns, when
    # they take the same rows): each row's name and person by their codes among the distinct ones
    generic = _bools(atts["generic"])
    rows = _Rows(atts)
    named = ~generic
    names, distinct_names, name_codes = rows.names(named)
    persons, evidence = rows.persons(named, names)
    if on_names is not None:
        on_names(names, evidence, rows.counted(named, distinct_names, name_codes))

    table: dict[str, Any] = {}
    for c in RECORD_COLUMNS:
        if c in ("declared_institutions", "declared_persons"):
            table[c] = pd.array(recs[c].to_pylist(), dtype="Int64")
        elif c in ("n_institutions", "n_persons", "n_unparsed"):
            table[c] = _ints(recs[c])
        else:
            table[c] = _text(recs[c])
    records_df = in_records_order(pd.DataFrame(table, columns=RECORD_COLUMNS))

    if n_up.any():
        ups = _take_runs(cols.ups, order, n_up_all)
        unparsed_df = in_unparsed_order(pd.DataFrame(
            {c: _ints(ups[c]) if c == "line_no" else _text(ups[c]) for c in UNPARSED_COLUMNS}, columns=UNPARSED_COLUMNS))
    else:
        unparsed_df = pd.DataFrame([], columns=UNPARSED_COLUMNS)

    # attendee rows of the ir_records (row_columns)
    is_ir = _bools(recs["is_ir"])
    row_of = np.repeat(is_ir, n_att)
    ir = atts if row_of.all() else atts.filter(pa.array(row_of))
    ir_generic = generic[row_of]
    if row_of.all():
        distinct, codes = distinct_names, name_codes
    else:
        _, distinct, codes = rows.names(row_of & named)
    key_index = np.zeros(len(ir_generic), dtype=np.intp)
    key_index[~ir_generic] = codes + 1
    attendee_columns: dict[str, Any] = {
        "date": _text(ir["date"]), "raw_institution": _text(ir["institution"]), "person": _text(ir["person"]),
        "line_no": _ints(ir["line_no"]).tolist(),
    }
    of_rec = np.repeat(np.flatnonzero(is_ir), n_att[is_ir])
    taken = recs.select(["source", "stock_code", "short_name"]).take(of_rec)
    for c in ("source", "stock_code", "short_name"):
        attendee_columns[c] = _text(taken[c])
    with_rows = is_ir & (n_inst > 0)
    _, company = _codes(recs["company_key"].filter(pa.array(with_rows)))
    _, source = _codes(recs["source"].filter(pa.array(with_rows)))
    columns = RowColumns(attendee_columns, [None, *distinct], key_index, list(distinct), codes,
                         np.repeat(company, n_inst[with_rows]).astype(np.int64),
                         np.repeat(source, n_inst[with_rows]).astype(np.int64))

    ok = _bools(recs["graph_ok"]) & (n_inst > 0)
    if (ok | (n_inst == 0)).all():  # (the records without rows give no rows either)
        g_names, g_row, g_person = distinct_names, name_codes, persons
    else:
        g_rows = np.repeat(ok, n_att) & named
        g_person, _ = rows.persons(g_rows, None)
        _, g_names, g_row = rows.names(g_rows)
    g = recs.filter(pa.array(ok))
    graph = GraphRows(_list(g["graph_node"]), _list(g["graph_code"]), _list(g["company"]),
                      _list(g["short_name"]), _list(g["graph_date"]),
                      [None if t is None else tuple(t) for t in g["types"].to_pylist()], _list(g["source"]),
                      np.concatenate(([0], np.cumsum(n_inst[ok]))).astype(np.int64), g_names, g_row, g_person)
    return Products(records_df, unparsed_df, columns, graph, names, evidence)


class _Rows:
    """The attendee rows' institutions and persons as codes of their distinct values (one hash pass
    each), for lists and first-seen numberings of any subset of the rows without taking strings."""

    def __init__(self, atts: pa.Table) -> None:
        inst, self._inst = _codes(atts["institution"])
        self._inst_values = np.array(inst, dtype=object)
        persons, pos = _codes(atts["person"])
        pos[pos < 0] = len(persons)  # (None)
        self._person = pos
        self._person_values = np.array([*persons, None], dtype=object)
        self._no_person = np.array([not p for p in persons] + [True])  # (None or "": no evidence pair)

    def names(self, rows: np.ndarray) -> tuple[list[str], list[str], np.ndarray]:
        """The names of the ``rows`` (a mask), their distinct names (first seen first) and each
        row's position among those."""
        sub = self._inst[rows]
        ids, first = np.unique(sub, return_index=True)
        ids = ids[np.argsort(first, kind="stable")]
        number = np.empty(len(self._inst_values), dtype=np.int64)
        number[ids] = np.arange(len(ids), dtype=np.int64)
        return self._inst_values[sub].tolist(), self._inst_values[ids].tolist(), number[sub]

    def counted(self, rows: np.ndarray, distinct: list[str], codes: np.ndarray) -> Counted:
        """The multiset of the ``rows``' names (``distinct`` and each row's ``codes`` into them, from
        :meth:`names`), first seen first, the distinct (name, person) pairs of those with a person and
        their multiset: ``Counter(names)``, ``set(evidence)`` and ``Counter(evidence)`` of the lists
        (the last in another order), from the codes."""
        name_counts = Counter(dict(zip(distinct, np.bincount(codes, minlength=len(distinct)).tolist(), strict=True)))
        person = self._person[rows]
        keep = ~self._no_person[person]
        width = len(self._person_values)
        pair_codes, pair_n = np.unique(codes[keep] * width + person[keep], return_counts=True)
        names = np.array(distinct, dtype=object)[pair_codes // width]
        persons = self._person_values[pair_codes % width]
        pair_counts = Counter(dict(zip(zip(names.tolist(), persons.tolist(), strict=True), pair_n.tolist(),
                                       strict=True)))
        return name_counts, set(pair_counts), pair_counts

    def persons(self, rows: np.ndarray, names: list[str] | None) -> tuple[list[str | None], list[tuple[str, str]]]:
        """The persons of the ``rows`` and, given the rows' ``names``, the evidence pairs (name, person)."""
        sub = self._person[rows]
        persons = self._person_values[sub].tolist()
        if names is None:
            return persons, []
        keep = ~self._no_person[sub]
        return persons, list(zip(itertools.compress(names, keep), itertools.compress(persons, keep), strict=True))


def _list(col: pa.ChunkedArray | pa.Array) -> list[Any]:
    return col.to_numpy(zero_copy_only=False).tolist()


def _take_runs(table: pa.Table, order: np.ndarray, lens: np.ndarray) -> pa.Table:
    """The rows of the records ``order`` (record ``k`` has ``lens[k]`` rows, one after the other in
    ``table``), in that order, as one chunk: runs of consecutive records are sliced, not taken."""
    starts = _starts(lens)
    if not len(order):
        return table.slice(0, 0).combine_chunks()
    brk = np.flatnonzero(np.diff(order) != 1) + 1
    first = order[np.concatenate(([0], brk))]
    last = order[np.concatenate((brk - 1, [len(order) - 1]))]
    lo, hi = starts[first], starts[last] + lens[last]
    if len(first) > 64 and len(first) * 8 > len(order):  # many short runs: one take
        return table.take(_ranges(lo, hi - lo)).combine_chunks()
    return pa.concat_tables([table.slice(int(a), int(b - a)) for a, b in zip(lo, hi, strict=True)]).combine_chunks()


# ------------------------------------------------------------------------------------------ the file


class _FileMeta(msgspec.Struct, array_like=True):
    path: str
    sha256: str
    start: int  # its records: start .. start + count - 1
    count: int
    problems: str  # JSON of its problem records as parsed (before stock code recovery); "" when none


class _Header(msgspec.Struct, array_like=True):
    format: int
    key: str
    files: list[_FileMeta]
    parts: list[tuple[int, int]]  # (offset, length) of the records, attendee rows and unparsed lines


@dataclass(frozen=True)
class Snapshot:
    """A loaded snapshot: its files (path -> meta) and columns."""

    files: dict[str, _FileMeta]
    cols: Columns


# the modules whose code decides what a snapshot holds and what is made of it, besides the parser's
# (the parser fingerprint covers those, the bundled companies table and the text extraction libraries)
_CODE = ("snapshot.py", "pipeline.py", "graph.py", "models.py", "_columns.py", "cache.py")


def snapshot_key(companies: dict[str, str] | None) -> str:
    """What a snapshot's content depends on besides its files: formats, code, libraries, the companies table."""
    from irgraph import __version__
    from irgraph.cache import CACHE_FORMAT, parser_fingerprint

    h = hashlib.sha256()
    h.update(f"snapshot={SNAPSHOT_FORMAT};cache={CACHE_FORMAT};irgraph={__version__};{parser_fingerprint()};"
             f"pyarrow={pa.__version__};pandas={pd.__version__};numpy={np.__version__};"
             f"msgspec={msgspec.__version__}\0".encode())
    pkg = Path(__file__).resolve().parent
    for rel in _CODE:
        h.update(rel.encode() + b"\0" + (pkg / rel).read_bytes() + b"\0")
    h.update(json.dumps(sorted(companies.items()) if companies is not None else None, ensure_ascii=False).encode())
    return h.hexdigest()


def load(cache_dir: str | os.PathLike[str], key: str) -> Snapshot | None:
    """The snapshot in ``cache_dir`` when it has ``key`` and checks out; else None."""
    try:
        buf = _mapped(os.path.join(cache_dir, _FILE))
        size = buf.size
        if size < 24 or buf[:8].to_pybytes() != _MAGIC:
            return None
        at, n = (int.from_bytes(buf[k:k + 8].to_pybytes(), "little") for k in (size - 16, size - 8))
        if at < 8 or at + n + 16 != size:
            return None
        head = msgspec.msgpack.decode(buf[at:at + n].to_pybytes(), type=_Header)
        if head.format != SNAPSHOT_FORMAT or head.key != key or len(head.parts) != 3:
            return None
        tables = []
        for (off, length), schema in zip(head.parts, (_REC_SCHEMA, _ATT_SCHEMA, _UP_SCHEMA), strict=True):
            if off < 8 or length < 0 or off + length > at:
                return None
            t = pa.ipc.open_stream(pa.BufferReader(buf.slice(off, length))).read_all()
            if not t.schema.equals(schema):
                return None
            t.validate(full=True)
            tables.append(t)
        cols = Columns(*tables)
        n_att, n_up = _ints(cols.recs["n_att"]), _ints(cols.recs["n_up"])
        if (n_att < 0).any() or (n_up < 0).any() or n_att.sum() != cols.atts.num_rows or n_up.sum() != cols.ups.num_rows:
            return None
        files = {}
        for f in head.files:
            if f.start < 0 or f.count < 0 or f.start + f.count > len(cols):
                return None
            if f.problems:
                _problems(f)  # (checked here: they are decoded for on_problem)
            files[f.path] = f
        return Snapshot(files, cols)
    except (OSError, ValueError, TypeError, pa.ArrowException, msgspec.DecodeError, msgspec.ValidationError,
            IndexError):
        return None


def _mapped(path: str) -> pa.Buffer:
    """The file's bytes, memory-mapped (read-only) with its pages mapped at once where the system
    can (MAP_POPULATE: one call instead of a page fault per 4 KiB as the columns are read)."""
    import mmap

    if not hasattr(mmap, "MAP_SHARED"):  # (Windows)
        return pa.memory_map(path).read_buffer()
    with open(path, "rb") as f:
        size = os.fstat(f.fileno()).st_size
        if not size:
            return pa.py_buffer(b"")
        flags = mmap.MAP_SHARED | getattr(mmap, "MAP_POPULATE", 0)
        return pa.py_buffer(mmap.mmap(f.fileno(), size, flags=flags, prot=mmap.PROT_READ))


def store(cache_dir: str | os.PathLike[str], key: str, files: Sequence[_FileMeta], cols: Columns) -> None:
    """Write the snapshot of ``files`` (their records in ``cols``) into ``cache_dir`` (best effort).

    The tables go to the file as Arrow IPC streams, chunk by chunk, straight from where they are
    (the columns of the last snapshot are written from its mapped file: no copy in memory)."""
    path = Path(cache_dir) / _FILE
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{_FILE}.", suffix=".tmp", dir=cache_dir)
        os.close(fd)
    except OSError:
        return
    try:
        f = pa.OSFile(tmp, "wb")
        try:
            f.write(_MAGIC)
            parts = []
            for t in (cols.recs, cols.atts, cols.ups):
                off = _pad(f.tell())
                f.write(b"\0" * (off - f.tell()))
                with pa.ipc.new_stream(f, t.schema) as w:
                    w.write_table(t)
                parts.append((off, f.tell() - off))
            head = msgspec.msgpack.encode(_Header(SNAPSHOT_FORMAT, key, list(files), parts))
            at = f.tell()
            f.write(head + at.to_bytes(8, "little") + len(head).to_bytes(8, "little"))
        finally:
            f.close()
        os.chmod(tmp, 0o666 & ~_umask())  # (mkstemp's 0600 otherwise)
        os.replace(tmp, path)
    except (OSError, pa.ArrowException):
        with contextlib.suppress(OSError):
            os.unlink(tmp)


def _pad(n: int) -> int:
    return -(-n // _ALIGN) * _ALIGN


# ------------------------------------------------------------------------------------------ reading


@dataclass
class Read:
    """What :func:`read_columns` gives: the products and, to call once they are made, ``store``
    (writes this build's snapshot)."""

    products: Products
    store: Callable[[], None]


def _recovered(old: Columns, old_idx: np.ndarray, new_pre: list[Record],
               companies: dict[str, str] | None) -> list[Record] | None:
    """The records ``new_pre`` after stock code recovery among the old records ``old_idx`` and them,
    when that recovery leaves every old record as the snapshot holds it; None otherwise."""
    from irgraph.parse import recover_stock_codes

    r = old.recs.select(["code_before", "short_before", "code_source_before", "company", "is_ir", "error",
                         "stock_code", "short_name", "stock_code_source"]).take(old_idx)
    code, short, source, company, is_ir, error, code_after, short_after, source_after = (
        _list(r[c]) for c in r.column_names)
    # recovery reads, of a record with a code, only its code, company and short name; of one
    # without, its company and short name: one stand-in per distinct such record
    with_code = {(c, co, s) for c, co, s in zip(code, company, short, strict=True) if c}
    stubs = [Record(source="", stock_code=c, company=co, short_name=s) for c, co, s in with_code]
    asked = [k for k in range(len(code)) if not code[k] and is_ir[k] and not error[k]]
    stubs += [Record(source="", stock_code=code[k], short_name=short[k], company=company[k],
                     stock_code_source=source[k]) for k in asked]
    out = recover_stock_codes([*stubs, *new_pre], companies)
    for k, got in zip(asked, out[len(with_code):len(stubs)], strict=True):
        if (got.stock_code, got.short_name, got.stock_code_source) != (code_after[k], short_after[k], source_after[k]):
            return None
    return list(out[len(stubs):])


def input_files(inputs: Sequence[str | os.PathLike[str]]) -> list[str]:
    """``[os.fspath(p) for p in irgraph.read.iter_input_files(inputs)]``, made of strings: a year's
    30,000 Path objects (made, joined, hashed) were ~0.2 s. Anything but folders and files named by
    normalized paths is left to ``iter_input_files``."""
    from irgraph.read import _SKIP_NAMES, iter_input_files

    found: list[str] = []
    for raw in inputs:
        p = raw if isinstance(raw, Path) else Path(raw)
        top = str(p)
        if os.path.isfile(p):
            found.append(top)
            continue
        if top == "." or os.sep != "/" or not os.path.isdir(p):  # (a missing path: iter_input_files words it)
            return [os.fspath(q) for q in iter_input_files(inputs)]
        for root, dirs, files in os.walk(p):
            dirs[:] = sorted(d for d in dirs if not d.startswith("."))
            base = root if root.endswith("/") else root + "/"  # (str(Path(root) / name), root being normalized)
            found += [base + name for name in sorted(files)
                      if not (name.startswith((".", "~$")) or name in _SKIP_NAMES)]
    if not found:
        return [os.fspath(q) for q in iter_input_files(inputs)]  # (raises NoInputError)
    return list(dict.fromkeys(found))


def last_reused() -> int:
    """How many files the most recent :func:`read_columns` of this process took from a snapshot."""
    return _last_reused


def _problems(meta: _FileMeta) -> tuple[Record, ...]:
    from irgraph.cache import decode_records_json

    return decode_records_json(meta.problems) if meta.problems else ()


def read_columns(inputs: Sequence[str | os.PathLike[str]], *, companies: dict[str, str] | None = None,
                 progress: Callable[[int, int], None] | None = None,
                 on_problem: Callable[[Record], None] | None = None,
                 cache_dir: str | os.PathLike[str], jobs: int = 1,
                 on_names: OnNames | None = None,
                 digests: dict[str, str] | None = None) -> Read | None:
    """:func:`irgraph.pipeline.read_records` and the products a build makes of the records (see the
    module docstring), with the files the cache's snapshot holds taken from it. None when the
    records cannot be held as columns (the caller reads them the plain way).

    ``on_names(names, evidence, counted)``: called once, as soon as the institution rows are known
    (with no snapshot: as :func:`irgraph.cache.parse_paths`' ``on_rows``, from the parse cache's text,
    and ``counted`` None); ``counted``: the names' multiset and the distinct evidence pairs, counted
    from the rows' codes (what ``irgraph.cache.resolve_and_store`` would count of the lists)."""

    with collector_paused():  # (the columns are made of ~2 M acyclic objects)
        return _read_columns(inputs, companies=companies, progress=progress, on_problem=on_problem,
                             cache_dir=cache_dir, jobs=jobs, on_names=on_names, digests=digests)


def _read_columns(inputs: Sequence[str | os.PathLike[str]], *, companies: dict[str, str] | None,
                  progress: Callable[[int, int], None] | None, on_problem: Callable[[Record], None] | None,
                  cache_dir: str | os.PathLike[str], jobs: int,
                  on_names: OnNames | None,
                  digests: dict[str, str] | None) -> Read | None:
    from irgraph.cache import parse_files

    def on_rows(rows: list[tuple[str, str | None]]) -> None:
        if on_names is not None:
            on_names([n for n, _ in rows], [(n, p) for n, p in rows if p], None)

    global _last_reused
    _last_reused = 0
    srcs = input_files(inputs)
    key = snapshot_key(companies)
    snap = load(cache_dir, key)
    read: dict[str, str] = {}
    for attempt in (snap, None):
        files = attempt.files if attempt is not None else {}
        got = parse_files(srcs, cache_dir=cache_dir, jobs=jobs, progress=progress,
                          on_rows=None if attempt is not None or on_names is None else on_rows, digests=read,
                          skip=(lambda s, d, files=files: d == getattr(files.get(s), "sha256", None))
                          if attempt is not None else None)
        # the files in read_records' order: sorted by source (stable); an old file's records are one unit
        units: list[tuple[str, int, int]] = []  # (sort key, file, record of it or -1: all, from the snapshot)
        for i, (s, recs) in enumerate(zip(srcs, got, strict=True)):
            if recs is None:
                units.append((s, i, -1))
            else:
                units += [(r.source.split("#", 1)[0], i, j) for j, r in enumerate(recs)]
        units.sort(key=lambda u: u[0])
        old = attempt.cols if attempt is not None else None
        n_old = len(old) if old is not None else 0
        starts: list[int] = []
        lens: list[int] = []
        new_pre: list[Record] = []
        for _, i, j in units:
            if j < 0:
                meta = files[srcs[i]]
                starts.append(meta.start)
                lens.append(meta.count)
            else:
                starts.append(n_old + len(new_pre))
                lens.append(1)
                new_pre.append(got[i][j])  # type: ignore[index]
        order = _ranges(np.array(starts, dtype=np.int64), np.array(lens, dtype=np.int64))
        old_idx = order[order < n_old]
        if old is not None:
            new_post = _recovered(old, old_idx, new_pre, companies)
            if new_post is None:
                continue  # an old record's recovered code would change: read every file
        else:
            from irgraph.parse import recover_stock_codes

            new_post = list(recover_stock_codes(new_pre, companies))
        break
    try:
        new = columns_of(new_post, before=new_pre)
    except Unrepresentable:
        return None
    _last_reused = sum(r is None for r in got)
    if digests is not None:
        digests.update(read)
    if on_problem is not None:
        for s, recs in zip(srcs, got, strict=True):
            for r in recs if recs is not None else _problems(files[s]):
                if r.status in _PROBLEMS:
                    on_problem(r)
    cols = concat([old, new]) if old is not None and n_old else new
    prods = products(cols, order, on_names if attempt is not None else None)

    def store_snapshot() -> None:
        # this build's files: the old ones where they are, the new ones after them
        metas = []
        kept = new_at = 0
        for _, i, j in units:
            s = srcs[i]
            if j < 0:
                metas.append(files[s])
                kept += files[s].count
            elif j == 0:
                recs = got[i]
                problems = [r for r in recs if r.status in _PROBLEMS]
                if s in read and all(r.source.split("#", 1)[0] == s for r in recs):
                    metas.append(_FileMeta(s, read[s], n_old + new_at, len(recs),
                                           msgspec.json.encode(problems).decode() if problems else ""))
                    kept += len(recs)
            new_at += j >= 0
        if not new_at and kept == len(cols) and [m.path for m in metas] == list(files):
            return  # (the snapshot read holds exactly these files, in this order)
        if (len(cols) - kept) * 4 <= len(cols) and cols.recs["source"].num_chunks <= _MAX_CHUNKS:
            store(cache_dir, key, metas, cols)
            return
        # a quarter of the records are of files gone or changed (or many builds' chunks): in this build's order
        at = np.zeros(len(cols), dtype=np.int64)
        at[order] = np.arange(len(order), dtype=np.int64)
        metas = [msgspec.structs.replace(m, start=int(at[m.start])) for m in metas]
        store(cache_dir, key, metas, Columns(_take_runs(cols.recs, order, np.ones(len(cols), dtype=np.int64)),
                                             _take_runs(cols.atts, order, _ints(cols.recs["n_att"])),
                                             _take_runs(cols.ups, order, _ints(cols.recs["n_up"]))))

    def store_paused() -> None:
        with collector_paused():
            store_snapshot()

    return Read(prods, store_paused)
