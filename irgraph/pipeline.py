"""The whole job, as ``irgraph build`` runs it: read → parse → resolve → graph → report/explore.

``build(...)`` returns a :class:`BuildResult` (records, resolution, graph and the report tables
as pandas DataFrames); ``BuildResult.write(out_dir)`` writes the files of docs/outputs.md.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import io
import os
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

import networkx as nx
import numpy as np
import pandas as pd

from irgraph._columns import csv_bytes, taken_text, text_column
from irgraph._io import (
    FORMULA_START,
    ForkedCall,
    PreparedCall,
    atomic_open,
    bulk_data_frozen,
    collector_paused,
    fork_context,
    safe_cell,
)
from irgraph.errors import OptionError, OutputError
from irgraph.models import Record, Resolution

if TYPE_CHECKING:
    from irgraph.cache import Counted
    from irgraph.graph import GraphColumns

RECORD_COLUMNS = [
    "source", "kind", "stock_code", "short_name", "company", "record_no", "activity_types", "dates",
    "n_institutions", "n_persons", "declared_institutions", "declared_persons", "status", "message",
    "activity_other", "place", "format", "stock_code_source", "n_unparsed",
]
ATTENDEE_COLUMNS = [
    "source", "stock_code", "date", "raw_institution", "person", "institution_id", "institution", "group",
    "type", "method", "score", "short_name", "line_no", "group_id",
]
UNPARSED_COLUMNS = ["source", "line_no", "text", "reason", "kind"]
INSTITUTION_COLUMNS = ["institution_id", "institution", "group", "type", "n_companies", "n_visits", "variants"]
REVIEW_COLUMNS = ["raw_institution", "candidate_id", "candidate", "score", "reason"]
XLSX_MAX_ROWS = 20_000  # rows per sheet in irgraph.xlsx
ROW_TABLES = ("records", "attendees", "institutions", "review", "unparsed")
CSV_TABLES = (*ROW_TABLES, "centrality", "company_overlap", "institution_overlap")
_CSV_CHUNK_ROWS = 50_000
_BACKGROUND_ROWS = 20_000  # workbooks with more rows are written by a second (forked) process
_FORK = fork_context()  # None where fork is not the safe default: the writers then stay in-process
_EARLY_GRAPH_EDGES = 50_000  # graphs with more edges get their files written while reports are computed
_EARLY_CSV_ROWS = 100_000  # with more table rows the row tables' CSV and Parquet files are written while the reports are made
_EARLY_RESOLVE_ROWS = 100_000  # with more attendee rows the resolution starts while cached records are decoded


def check_output_folder(out_dir: str | os.PathLike[str]) -> Path:
    """Create ``out_dir`` if needed and make sure files can be written there (before any long work)."""
    out = Path(out_dir)
    try:
        out.mkdir(parents=True, exist_ok=True)
        probe = out / ".irgraph-write-test"
        probe.write_text("")
        probe.unlink()
    except OSError as e:
        raise OutputError(f"{out}: cannot write output folder: {e.strerror or e}") from None
    return out


@dataclass
class BuildResult:
    """Everything a build produced. ``tables`` maps output names (``"records"`` …) to DataFrames.

    ``graph`` may be given as the graph's :class:`irgraph.graph.GraphColumns` (``build`` does): the
    networkx graph is then made from them when ``graph`` is first read (~1 s on a year).
    """

    records: tuple[Record, ...]
    resolution: Resolution
    graph: nx.Graph  # (a property, defined below the class)
    tables: dict[str, pd.DataFrame]
    explorer_html: str = ""
    seconds: float = 0.0
    timings: dict[str, float] = field(default_factory=dict)
    # the process writing the graph files early (build(..., out_dir=...)); write() waits for it
    graph_writer: EarlyFiles | None = field(default=None, repr=False, compare=False)
    # the row tables' CSV and Parquet files being written by a forked process (build(..., out_dir=...));
    # write() waits for it
    csv_writer: EarlyFiles | None = field(default=None, repr=False, compare=False)
    # path -> SHA-256 of each input as it was read (with a cache): what remember_build keys the build by
    input_digests: dict[str, str] = field(default_factory=dict, repr=False, compare=False)
    # the workbook being written by a forked process since the explorer was rendered, and the
    # (xlsx_max_rows, parquet) it is written for; write() waits for it when it is told the same
    workbook_writer: tuple[EarlyFiles, tuple[int, bool]] | None = field(default=None, repr=False, compare=False)

    @property
    def summary(self) -> str:
        """One line: records, rows, institutions, problems, seconds (building, and writing once written)."""
        return f"{self.counts}; {self._seconds_text()}"

    @property
    def counts(self) -> str:
        """The summary without the seconds: files, records, rows, institutions, problems, review items."""
        recs = self.tables["records"]
        # records read (a file that could not be read is a problem, not a record)
        n_rec = int(((recs["kind"] == "ir_record") & (recs["status"] != "error")).sum()) if len(recs) else 0
        problems = int(recs["status"].isin(["error", "count_mismatch"]).sum()) if len(recs) else 0
        n_rows = len(self.tables["attendees"])
        n_inst = len(self.tables["institutions"])
        n_unparsed = int((self.tables["unparsed"]["kind"] == "unparsed").sum()) if len(self.tables["unparsed"]) else 0
        return (f"{len(recs)} files, {n_rec} records, {n_rows} attendee rows, {n_inst} institutions, "
                f"{problems} files with problems, {n_unparsed} unparsed lines, {len(self.resolution.review)} to review")

    def _seconds_text(self) -> str:
        written = self.timings.get("write")
        if written is None:
            return f"{self.seconds:.1f} s"
        return f"{self.seconds + written:.1f} s ({self.seconds:.1f} s to build, {written:.1f} s to write)"

    @bulk_data_frozen()
    def write(self, out_dir: str | os.PathLike[str], *, xlsx: bool = True, parquet: bool = True,
              explorer: bool = True, xlsx_max_rows: int = XLSX_MAX_ROWS) -> list[Path]:
        """Write every output file into ``out_dir`` (created if missing; each file replaced atomically).

        What an earlier build wrote there and this call does not (``irgraph.xlsx`` with ``xlsx=False``,
        ``parquet/*.parquet`` with ``parquet=False``, ``explorer.html`` with ``explorer=False``) is
        removed. The time it took is kept in ``timings["write"]`` (and counted in :attr:`summary`).
        """
        t0 = time.perf_counter()
        written = self._write(out_dir, xlsx=xlsx, parquet=parquet, explorer=explorer, xlsx_max_rows=xlsx_max_rows)
        self.timings["write"] = time.perf_counter() - t0
        return written

    def _write(self, out_dir: str | os.PathLike[str], *, xlsx: bool, parquet: bool, explorer: bool,
               xlsx_max_rows: int) -> list[Path]:
        from irgraph import export

        out = check_output_folder(out_dir)
        sheets = workbook_frames(self.tables, xlsx_max_rows, parquet=parquet) if xlsx else {}
        workbook = None
        early_book, book_options = self.workbook_writer or (None, None)  # (the workbook build() had written)
        use_early = xlsx and early_book is not None and book_options == (xlsx_max_rows, parquet)
        if xlsx and not use_early and _FORK is not None and sum(len(df) for df in sheets.values()) >= _BACKGROUND_ROWS:
            # a second process makes the workbook (~3 s on a year) while this one writes the other files
            workbook = ForkedCall.start(export.xlsx_bytes, sheets, name="irgraph-workbook")
        csv_writer = self.csv_writer
        early = csv_writer.names if csv_writer is not None else ()  # (their CSV and Parquet files)
        try:
            write_csv_files(self.tables, [name for name in CSV_TABLES if name not in early], out)
            graph_writer = self.graph_writer
            if graph_writer is None or not graph_writer.wrote(out):
                write_graph_files(self._graph_or_columns(), out)
            if explorer:
                with atomic_open(out / "explorer.html") as f:
                    f.write(self.explorer_html)
            if parquet:
                export.write_parquet({k: v for k, v in self.tables.items() if k not in early}, out / "parquet")
            if csv_writer is not None and not csv_writer.wrote(out):
                write_row_files(self.tables, early, out, parquet=parquet)
            # the early writer is waited for in any case: told other options (or no workbook), the
            # file it wrote is then written again (or removed) after it is done
            early_wrote = early_book is not None and early_book.wrote(out)
            if xlsx and not (use_early and early_wrote):
                data = export.xlsx_bytes(sheets) if workbook is None else workbook.result(
                    lambda: export.xlsx_bytes(sheets))  # (an error in the process is raised here)
                export.write_bytes(out / "irgraph.xlsx", data)
        finally:
            if workbook is not None:
                workbook.cancel()  # only when it did not deliver (an error above): it would wait forever
        _remove_unwritten(out, xlsx=xlsx, parquet=parquet, explorer=explorer, tables=list(self.tables))
        return [*(out / f"{name}.csv" for name in CSV_TABLES), out / "graph.graphml", out / "graph.gexf",
                *([out / "explorer.html"] if explorer else []), *([out / "irgraph.xlsx"] if xlsx else []),
                *([out / "parquet" / f"{name}.parquet" for name in sorted(self.tables)] if parquet else [])]

    def _graph_or_columns(self) -> nx.Graph | GraphColumns:
        """The graph, or its columns while it is not made (the same files, without making it)."""
        graph = self.__dict__.get("_graph")
        return graph if graph is not None else self.__dict__.get("_graph_columns")


def _get_graph(self: BuildResult) -> nx.Graph:
    graph, columns = self.__dict__.get("_graph"), self.__dict__.get("_graph_columns")
    if graph is None and columns is not None:
        graph = self.__dict__["_graph"] = columns.to_graph()
    return graph


def _set_graph(self: BuildResult, graph: nx.Graph | GraphColumns) -> None:
    from irgraph.graph import GraphColumns

    if isinstance(graph, GraphColumns):
        self.__dict__["_graph"], self.__dict__["_graph_columns"] = None, graph
    else:
        self.__dict__["_graph"], self.__dict__["_graph_columns"] = graph, None


BuildResult.graph = property(  # type: ignore[assignment]
    _get_graph, _set_graph, doc="The networkx graph (made from its columns when first read).")


def _remove_unwritten(out: Path, *, xlsx: bool, parquet: bool, explorer: bool, tables: list[str]) -> None:
    """Remove what an earlier build wrote into ``out`` and this one did not (the workbook, the Parquet
    files, the explorer), so the folder never mixes two builds' outputs."""
    stale = [*([out / "irgraph.xlsx"] if not xlsx else []), *([out / "explorer.html"] if not explorer else []),
             *([out / "parquet" / f"{name}.parquet" for name in tables] if not parquet else [])]
    for path in stale:
        try:
            path.unlink()
        except FileNotFoundError:
            pass
        except OSError as e:
            raise OutputError(f"{path}: cannot remove the output of an earlier build: {e.strerror or e}") from None
    if not parquet:
        with contextlib.suppress(OSError):  # (only when empty: anything else in it stays)
            (out / "parquet").rmdir()


def up_to_date(paths: Sequence[str | os.PathLike[str]], out_dir: str | os.PathLike[str], *,
               cache_dir: str | os.PathLike[str], options: dict[str, Any],
               files: dict[str, str | os.PathLike[str] | None]) -> str | None:
    """The counts of the last build written into ``out_dir`` (:attr:`BuildResult.counts`) when it
    had the same input ``paths`` (the files :func:`irgraph.read.iter_input_files` lists; same
    contents and order), ``options``, option ``files`` (registry, overrides, companies) and
    irgraph version and its output files are untouched; None otherwise (build).

    A build remembered with :func:`remember_build`. The inputs are not read: their hashes come from
    the parse cache's stat index (~0.3 s for a year's 30,000 files), and when the folder's last
    build had other input files, not even that."""
    from irgraph.cache import build_key, has_stored_build, stored_build

    if not has_stored_build(cache_dir, out_dir, paths):  # (other input files: no need to stat them)
        return None
    key = build_key(paths, options, files=files, cache_dir=cache_dir)
    return stored_build(cache_dir, out_dir, key) if key is not None else None


def remember_build(result: BuildResult, written: Iterable[str | os.PathLike[str]],
                   paths: Sequence[str | os.PathLike[str]], out_dir: str | os.PathLike[str], *,
                   cache_dir: str | os.PathLike[str], options: dict[str, Any],
                   files: dict[str, str | os.PathLike[str] | None]) -> None:
    """Remember that ``result``, built from the input files ``paths`` with ``options`` and ``files``,
    wrote ``written`` into ``out_dir`` (see :func:`up_to_date`), keyed by the inputs' hashes as the
    build read them (``result.input_digests``; else as the stat index holds them, and nothing is
    remembered when an input changed while it was built). An input edited after it was read makes
    the next :func:`up_to_date` false: its signature is no longer the one read."""
    from irgraph.cache import build_key, store_build

    key = build_key(paths, options, files=files, cache_dir=cache_dir, read=result.input_digests or None)
    if key is not None:
        store_build(cache_dir, out_dir, key, written, result.counts, paths)


def write_graph_files(G: nx.Graph | GraphColumns, out: Path) -> None:
    """``graph.graphml`` and ``graph.gexf`` in ``out`` (of the graph or its columns)."""
    from irgraph import export

    export.write_graph_files(G, out / "graph.graphml", out / "graph.gexf")


def write_early_files(tables: dict[str, pd.DataFrame] | None, graph: nx.Graph | GraphColumns | None,
                      out: Path) -> None:
    """The row tables' CSV and Parquet files (:func:`write_row_files`) when ``tables`` are given, and the
    graph files (:func:`write_graph_files`) when ``graph`` is, in ``out``."""
    if tables is not None:
        write_row_files(tables, ROW_TABLES, out)
    if graph is not None:
        write_graph_files(graph, out)


def write_workbook(sheets: dict[str, pd.DataFrame], out: Path) -> None:
    """``irgraph.xlsx`` of the :func:`workbook_frames` ``sheets`` in ``out``."""
    from irgraph import export

    export.write_bytes(out / "irgraph.xlsx", export.xlsx_bytes(sheets))


def write_csv_files(tables: dict[str, pd.DataFrame], names: Sequence[str], out: Path) -> None:
    """The CSV file of each table in ``names`` in ``out``."""
    for name in names:
        write_csv(tables[name], out / f"{name}.csv")


def write_row_files(tables: dict[str, pd.DataFrame], names: Sequence[str], out: Path, *,
                    parquet: bool = True) -> None:
    """The CSV file of each table in ``names`` in ``out``, and its Parquet file in ``out/parquet``."""
    from irgraph import export

    write_csv_files(tables, names, out)
    if parquet:
        export.write_parquet({name: tables[name] for name in names}, out / "parquet")


def _write_and_report(write: Callable[..., None], out: Path, *args: Any) -> bool:
    write(*args, out)
    return True


class EarlyFiles:
    """Output files written by a forked process while this one goes on: the row tables' CSV and
    Parquet files and GraphML and GEXF while the reports and the explorer are made, the workbook
    while ``write`` writes the other files.

    On a year each set is ~1.5-2 s of CPU on one core; the second core writes them meanwhile. The
    child inherits what it writes (nothing is sent to it).
    """

    def __init__(self, call: ForkedCall[bool], out: Path, names: tuple[str, ...] = ()) -> None:
        self._call = call
        self.out = out
        self.names = names  # the tables whose files it writes (CSV and Parquet writer)

    @classmethod
    def start(cls, write: Callable[..., None], *args: Any, out_dir: str | os.PathLike[str],
              name: str, names: tuple[str, ...] = ()) -> EarlyFiles | None:
        """``write(*args, out)`` into ``out_dir`` in a forked process; None (the files are then written
        by ``BuildResult.write``) where fork is not the safe default or the folder cannot be written."""
        if _FORK is None:
            return None
        try:
            out = check_output_folder(out_dir)
        except OutputError:
            return None  # write() reports it
        call = ForkedCall.start(_write_and_report, write, out, *args, name=name)
        return None if call is None else cls(call, out.resolve(), names)

    def wait(self) -> bool:
        """Wait for the process; did it write its files?"""
        return self._call.result(lambda: False)

    def wrote(self, out: Path) -> bool:
        """Wait for the process; did it write its files into ``out``? (False: write them again.)"""
        return self.wait() and out.resolve() == self.out


# the reports; the raw attendee rows and unparsed lines are for pandas/Parquet/CSV, not a spreadsheet
_WORKBOOK_SHEETS = ("records", "institutions", "centrality", "company_overlap", "institution_overlap", "review")


def workbook_frames(tables: dict[str, pd.DataFrame], max_rows: int = XLSX_MAX_ROWS, *,
                    parquet: bool = True) -> dict[str, pd.DataFrame]:
    """The sheets of irgraph.xlsx: an ``about`` sheet, then each table, cut at ``max_rows`` rows.

    Excel is for reading reports, not for a year of raw rows: a sheet longer than ``max_rows`` keeps
    its first rows (the tables are sorted most relevant first) and ``about`` says where the full
    table is (the CSV and, when written, the Parquet files hold everything).
    """
    about = []
    frames: dict[str, pd.DataFrame] = {}
    for name in _WORKBOOK_SHEETS:
        df = tables[name]
        shown = df if len(df) <= max_rows else df.head(max_rows)
        frames[name] = shown
        about.append({"sheet": name, "rows_in_sheet": len(shown), "rows_in_table": len(df),
                      "full_table": f"{name}.csv, parquet/{name}.parquet" if parquet else f"{name}.csv",
                      "note": "" if len(shown) == len(df) else f"first {max_rows:,} rows only"})
    return {"about": pd.DataFrame(about), **frames}


def write_csv(df: pd.DataFrame, path: str | os.PathLike[str]) -> None:
    """UTF-8 CSV (with BOM so Excel shows Chinese), formula-looking cells made inert, atomic."""
    with atomic_open(path, "wb") as f:
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(list(df.columns))
        head = codecs.BOM_UTF8 + buf.getvalue().encode("utf-8")
        f.write(head)
        # a slice at a time (no copy of the whole table), its UTF-8 made by Arrow (irgraph._columns)
        for start in range(0, len(df), _CSV_CHUNK_ROWS):
            data = csv_bytes(df.iloc[start:start + _CSV_CHUNK_ROWS], safe_cell)
            if data is None:  # a column only the csv module formats: start again with it
                f.seek(0)
                f.truncate()
                f.write(head)
                break
            f.write(data)
        else:
            return
        buf.seek(0)
        buf.truncate()
        for start in range(0, len(df), _CSV_CHUNK_ROWS):
            part = df.iloc[start:start + _CSV_CHUNK_ROWS]
            w.writerows(zip(*[_csv_column(part[c]) for c in df.columns], strict=True))
            f.write(buf.getvalue().encode("utf-8"))  # one encode per slice, not per row
            buf.seek(0)
            buf.truncate()


def _csv_column(col: pd.Series) -> list[Any]:
    """One column's cells as text: empty for missing, floats rounded to 8 places, formulas inert."""
    if isinstance(col.dtype, pd.StringDtype):  # text only: missing -> "", formulas found in one pass
        texts = col.fillna("").tolist()
        for i in np.flatnonzero(col.str.startswith(FORMULA_START).fillna(False).to_numpy(dtype=bool)):
            texts[i] = safe_cell(texts[i])
        return texts
    values = col.tolist()
    if pd.api.types.is_float_dtype(col.dtype):
        return ["" if v != v else repr(round(v, 8)) for v in values]
    if pd.api.types.is_integer_dtype(col.dtype) and not pd.api.types.is_extension_array_dtype(col.dtype):
        return values
    out = []
    for v in values:
        if v is None or (isinstance(v, float) and v != v) or v is pd.NA:
            out.append("")
        elif isinstance(v, str):
            out.append(safe_cell(v) if v[:1] in "=+-@\t\r" else v)
        elif isinstance(v, float):
            out.append(repr(round(v, 8)))
        else:
            out.append(v)
    return out


def read_records(inputs: Sequence[str | os.PathLike[str]], *, companies: dict[str, str] | None = None,
                 progress: Callable[[int, int], None] | None = None,
                 on_problem: Callable[[Record], None] | None = None,
                 cache_dir: str | os.PathLike[str] | None = None, jobs: int = 1,
                 on_rows: Callable[[list[tuple[str, str | None]]], None] | None = None,
                 digests: dict[str, str] | None = None) -> tuple[Record, ...]:
    """Read and parse every input file (recursively for folders); missing codes recovered.

    ``cache_dir``: reuse parse results of unchanged files (``irgraph.cache``); ``jobs``: worker
    processes for the files not in the cache (0 = one per CPU). Same records for any of them.
    ``progress(done, total)`` is called as files are done; ``on_rows`` and ``digests`` as in
    :func:`irgraph.cache.parse_paths`.
    """
    from irgraph.cache import parse_paths
    from irgraph.parse import recover_stock_codes
    from irgraph.read import iter_input_files

    paths = iter_input_files(inputs)
    records = parse_paths(paths, cache_dir=cache_dir, jobs=jobs, progress=progress, on_rows=on_rows,
                          digests=digests)
    if on_problem:
        for rec in records:
            if rec.status in ("error", "count_mismatch"):
                on_problem(rec)
    # the order of INPUT arguments must not change any output: sort by source (stable within a table)
    records.sort(key=lambda r: r.source.split("#", 1)[0])
    return recover_stock_codes(records, companies)


@bulk_data_frozen()
def build(
    inputs: Sequence[str | os.PathLike[str]],
    *,
    registry: str | os.PathLike[str] | None = None,
    overrides: str | os.PathLike[str] | None = None,
    companies: str | os.PathLike[str] | None = None,
    level: str = "entity",
    since: str | None = None,
    until: str | None = None,
    types: Iterable[str] | None = None,
    top_k: int = 50,
    explorer_top: int = 300,
    betweenness_k: int | None = None,
    seed: int = 42,
    progress: Callable[[int, int], None] | None = None,
    on_problem: Callable[[Record], None] | None = None,
    cache_dir: str | os.PathLike[str] | None = None,
    jobs: int = 1,
    keep_records: bool = True,
    on_stage: Callable[[str], None] | None = None,
    out_dir: str | os.PathLike[str] | None = None,
    xlsx_max_rows: int = XLSX_MAX_ROWS,
    parquet: bool = True,
) -> BuildResult:
    """Run the whole pipeline on files and folders; see ``irgraph build --help``.

    ``keep_records=False`` leaves ``BuildResult.records`` empty: the parsed records are let go as
    soon as the tables are made (on a year they are ~0.7 GB; the tables and the graph hold
    everything the output files need). ``irgraph build`` does this.
    ``out_dir``: where the result will be written. On a year, a forked process then writes there
    the row tables' CSV and Parquet files and GraphML and GEXF while the reports and the explorer
    are made; ``BuildResult.write(out_dir)`` waits for it instead of writing those files again.
    They show the graph and tables as ``build`` returns them: change ``result.graph`` or
    ``result.tables`` only when writing elsewhere.
    ``irgraph build`` passes its ``-o``. With it, a year's workbook is also made by a forked process
    once the explorer is rendered, while ``write`` writes the other files, for ``write(...,
    xlsx_max_rows=, parquet=)`` as given here (``write`` told otherwise makes its own).
    ``on_stage(text)`` is called as each stage after reading starts (``"resolving 38,699 distinct
    institution names"`` …), for progress messages.
    """
    def stage(text: str) -> None:
        if on_stage is not None:
            on_stage(text)

    from irgraph.cache import has_resolver_memo, load_resolver, resolve_and_store, resolve_cached, resolve_prepared
    from irgraph.explore import render_explorer
    from irgraph.graph import biadjacency, check_date_range, graph_columns, graph_rows
    from irgraph.parse import load_companies
    from irgraph.report import centrality, company_overlap, institution_overlap

    if level not in ("entity", "group"):
        raise OptionError(f"--level must be entity or group, not {level!r}")
    since, until = check_date_range(since, until)  # (before the reading, not after it)
    t0 = time.perf_counter()
    timings: dict[str, float] = {}
    company_map = load_companies(companies) if companies else None
    where = {"registry_path": registry or None, "overrides_path": overrides or None, "cache_dir": cache_dir}
    early = EarlyResolution(partial(resolve_cached, **where), partial(resolve_and_store, **where),
                            partial(PreparedCall.start, partial(load_resolver, **where), resolve_prepared,
                                    name="irgraph-resolve"))
    if cache_dir is not None and not keep_records and has_resolver_memo(cache_dir):
        early.prepare()  # (a warm cache: its snapshot will count the rows)
    digests: dict[str, str] = {}
    read = None
    try:  # without a cache there is no decoding to overlap: the resolution is made after reading
        if cache_dir is not None and not keep_records:  # (the records' columns, from the cache's snapshot)
            from irgraph.snapshot import read_columns

            read = read_columns(inputs, companies=company_map, progress=progress, on_problem=on_problem,
                                cache_dir=cache_dir, jobs=jobs, on_names=early.start_names, digests=digests)
        records = () if read is not None else read_records(
            inputs, companies=company_map, progress=progress, on_problem=on_problem, cache_dir=cache_dir, jobs=jobs,
            on_rows=early.start if cache_dir is not None else None, digests=digests)
    except BaseException:
        early.cancel()
        raise
    timings["read+parse"] = time.perf_counter() - t0

    with collector_paused():  # see collector_paused: a fifth of a warm year's build
        t = time.perf_counter()
        if read is not None:  # (all made already; the forked resolution runs)
            made = read.products
            names, evidence = made.names, made.evidence
            stage(f"resolving {len(set(names)):,} distinct institution names")
            unresolved_tables = {"records": made.records_table, "unparsed": made.unparsed_table}
            columns, rows_of_graph = made.row_columns, made.graph_rows
            del made
            read.store()  # this build's snapshot, for the next one
            del read
        else:
            rows = [(a.institution, a.person) for r in records for a in r.institution_rows]
            names = [n for n, _ in rows]
            evidence = [(n, p) for n, p in rows if p]
            del rows
            stage(f"resolving {len(set(names)):,} distinct institution names")
            # what needs no resolution is made while a forked resolution runs (~1.5 s on a year): the
            # records and unparsed tables, the attendee and institution rows' columns
            unresolved_tables = {"records": records_table(records), "unparsed": unparsed_table(records)}
            columns = row_columns(records)
            rows_of_graph = graph_rows(records)
        resolution = early.result(names, evidence)
        del names, evidence
        if not keep_records:  # (the tables and the graph are made from the columns and rows above)
            records = ()
        timings["resolve"] = time.perf_counter() - t

        t = time.perf_counter()
        stage("making the tables")
        tables = row_tables(records, resolution, made=unresolved_tables, columns=columns)
        del unresolved_tables, columns
        timings["tables"] = time.perf_counter() - t

        t = time.perf_counter()
        stage("building the graph")
        type_set = frozenset(types) if types else None
        # the graph as columns: the reports, the explorer and the graph files are made from them, and
        # BuildResult.graph makes the networkx graph when asked for it
        G = graph_columns(rows_of_graph, resolution, level=level, since=since, until=until, types=type_set)
        del rows_of_graph
        timings["graph"] = time.perf_counter() - t
        # the row tables' CSV and Parquet files (~1.5 s on a year) and the graph files (~2 s) are written
        # by one forked process while the reports and the explorer are made: after a fork every page
        # this process writes is copied, so one fork once the graph is made costs less than one before
        # it and one after; write() writes the reports' (should write() be told parquet=False, it
        # removes the row tables' Parquet files)
        early_rows = out_dir is not None and sum(len(tables[name]) for name in ROW_TABLES) >= _EARLY_CSV_ROWS
        early_graph = out_dir is not None and G.n_edges >= _EARLY_GRAPH_EDGES
        files = None
        if early_rows or early_graph:
            files = EarlyFiles.start(write_early_files, tables if early_rows else None, G if early_graph else None,
                                     out_dir=out_dir, name="irgraph-early-files",
                                     names=ROW_TABLES if early_rows else ())
        csv_writer = files if early_rows else None
        graph_writer = files if early_graph else None

        stage(f"computing reports ({G.n_nodes:,} nodes, {G.n_edges:,} edges)")
        t = time.perf_counter()
        cent = centrality(G, k=betweenness_k, seed=seed) if betweenness_k else centrality(G, seed=seed)
        tables["centrality"] = cent
        biadj = biadjacency(G)  # indexed once for both overlaps
        tables["company_overlap"] = company_overlap(G, top_k=top_k, biadj=biadj)
        tables["institution_overlap"] = institution_overlap(G, top_k=top_k, biadj=biadj)
        del biadj
        timings["reports"] = time.perf_counter() - t
        t = time.perf_counter()
        stage("rendering the explorer")
        html = render_explorer(G, cent, top_n=explorer_top)
        timings["explorer"] = time.perf_counter() - t
        # the workbook (~1 s on a year) is written while write() writes the other files: forked after the
        # explorer, whose pages would be copied with it alive
        workbook_writer = None
        if out_dir is not None:
            sheets = workbook_frames(tables, xlsx_max_rows, parquet=parquet)
            if sum(len(df) for df in sheets.values()) >= _BACKGROUND_ROWS:
                early_book = EarlyFiles.start(write_workbook, sheets, out_dir=out_dir, name="irgraph-early-workbook")
                workbook_writer = (early_book, (xlsx_max_rows, parquet)) if early_book is not None else None
            del sheets
        return BuildResult(records, resolution, G, tables, html, time.perf_counter() - t0, timings, graph_writer,
                           csv_writer, digests, workbook_writer)


class EarlyResolution:
    """The resolution of a build, started by a forked process as soon as the parse cache knows every
    institution row (``parse_paths``' ``on_rows``), while the cached records are made into objects.

    :meth:`result` uses the child's resolution only when the rows it was given are, as multisets,
    those of the records read (the resolver depends on nothing else: ``matches`` is put in the
    records' order as ``resolve_cached`` does on a hit); otherwise, or when the child failed, it
    resolves here. Small builds, and platforms without fork, resolve here. The child sends the
    resolution first and stores it in the cache afterwards (``resolve_and_store``).
    """

    def __init__(self, resolve_names: Callable[[list[str], list[tuple[str, str]]], Resolution],
                 resolve_then_store: Callable[[list[str], list[tuple[str, str]]],
                                              tuple[Resolution, Callable[[], None]]] | None = None,
                 prepare: Callable[[], PreparedCall[Resolution] | None] | None = None) -> None:
        self._resolve = resolve_names
        self._resolve_then_store = resolve_then_store
        self._prepare = prepare
        self._prepared: PreparedCall[Resolution] | None = None
        self._call: ForkedCall[Resolution] | None = None
        self._given: tuple[int, ...] | None = None

    def prepare(self) -> None:
        """Fork the child before the rows are known, to load what the resolution needs (the
        registry, overrides and the cache's resolver memo: ~0.9 s on a year) while the records are
        read; :meth:`start_names` then sends it the rows as counted (a warm cache's snapshot counts
        them). Rows not counted so, or too few, stop it and go the usual way."""
        if _FORK is not None and self._prepare is not None and self._call is None and self._prepared is None:
            self._prepared = self._prepare()

    def _drop_prepared(self) -> None:
        prepared, self._prepared = self._prepared, None
        if prepared is not None:
            prepared.cancel()

    def start(self, rows: list[tuple[str, str | None]]) -> None:
        if _FORK is None or len(rows) < _EARLY_RESOLVE_ROWS or self._call is not None:
            return
        self.start_names([n for n, _ in rows], [(n, p) for n, p in rows if p])

    def start_names(self, names: list[str], evidence: list[tuple[str, str]],
                    counted: Counted | None = None) -> None:
        """:meth:`start` given the rows' names and the evidence pairs (the rows with a person), and
        optionally those counted (``Counter(names)``, ``set(evidence)`` and optionally
        ``Counter(evidence)``: the child then does not count; a prepared child needs all three)."""
        if _FORK is None or len(names) < _EARLY_RESOLVE_ROWS or self._call is not None:
            self._drop_prepared()
            return
        if self._prepared is not None and counted is not None and len(counted) > 2:
            prepared, self._prepared = self._prepared, None
            self._call = prepared.give(len(names), len(evidence), counted[0], counted[2])  # type: ignore[misc]
            self._given = _multiset_sum(names, evidence)
            return
        self._drop_prepared()
        if self._resolve_then_store is not None:
            then_store = (self._resolve_then_store if counted is None
                          else partial(self._resolve_then_store, counted=counted))
            self._call = ForkedCall.start_then(then_store, names, evidence, name="irgraph-resolve")
        else:
            self._call = ForkedCall.start(self._resolve, names, evidence, name="irgraph-resolve")
        if self._call is not None:
            self._given = _multiset_sum(names, evidence)

    def cancel(self) -> None:
        """Stop the child (reading failed: its resolution is not wanted)."""
        self._drop_prepared()
        if self._call is not None:
            self._call.cancel()
        self._call = self._given = None

    def result(self, names: list[str], evidence: list[tuple[str, str]]) -> Resolution:
        """The resolution of ``names`` and ``evidence`` (the child's, when it resolved the same ones)."""
        from irgraph.cache import in_names_order

        self._drop_prepared()  # (never given the rows)
        call, self._call = self._call, None
        given, self._given = self._given, None
        if call is not None and given == _multiset_sum(names, evidence):
            res = call.result(lambda: None)  # type: ignore[arg-type, return-value]
            ordered = in_names_order(res, names) if res is not None else None
            if ordered is not None:
                return ordered
        elif call is not None:
            call.cancel()
        return self._resolve(names, evidence)


def _multiset_sum(names: list[str], evidence: list[tuple[str, str]]) -> tuple[int, ...]:
    """Sizes and sums of the items' hashes: equal for the same multisets in any order (and unequal
    for different ones but with odds of 2**-64). Counters of a year's ~800k items took 0.8 s; the
    strings' hashes are cached in them, so this is ~30 ms."""
    return len(names), sum(map(hash, names)), len(evidence), sum(map(hash, evidence))


def row_tables(records: Sequence[Record], resolution: Resolution, *,
               made: dict[str, pd.DataFrame] | None = None,
               columns: RowColumns | None = None) -> dict[str, pd.DataFrame]:
    """The tables with a row per file, attendee row, institution, review item and unparsed line.

    ``made``: the records and unparsed tables, ``columns``: the :func:`row_columns`, when already
    made from the same records."""
    made = made or {}
    columns = columns if columns is not None else row_columns(records)
    return {
        "records": made["records"] if "records" in made else records_table(records),
        "attendees": attendees_table(records, resolution, columns=columns),
        "institutions": institutions_frame(records, resolution, columns=columns),
        "review": review_frame(resolution),
        "unparsed": made["unparsed"] if "unparsed" in made else unparsed_table(records),
    }


# --------------------------------------------------------------------------- tables


def _join(values: Iterable[str] | None) -> str | None:
    if values is None:
        return None
    return ";".join(values)


def records_table(records: Sequence[Record]) -> pd.DataFrame:
    """``records.csv``: one row per input file (per record for vendor tables)."""
    rows = [(r.source, r.kind, r.stock_code, r.short_name, r.company, r.record_no, _join(r.activity_types),
             _join(r.dates), r.n_institutions, r.n_persons, r.declared_institutions, r.declared_persons, r.status,
             r.message, r.activity_other, r.place, r.format, r.stock_code_source, len(r.unparsed))
            for r in records]  # (in RECORD_COLUMNS order)
    cols: dict[str, Any] = {}
    for c, column in zip(RECORD_COLUMNS, zip(*rows, strict=True) if rows else [()] * len(RECORD_COLUMNS),
                         strict=True):
        if c in ("declared_institutions", "declared_persons"):
            cols[c] = pd.array(list(column), dtype="Int64")
        elif c in ("n_institutions", "n_persons", "n_unparsed"):
            cols[c] = np.array(column, dtype=np.int64)
        else:
            cols[c] = text_column(list(column))
    return in_records_order(pd.DataFrame(cols, columns=RECORD_COLUMNS))


def in_records_order(df: pd.DataFrame) -> pd.DataFrame:
    """``records.csv``'s rows in their order: by source (stable: a vendor table's records keep theirs)."""
    return df.sort_values("source", kind="stable").reset_index(drop=True)


@dataclass(frozen=True)
class RowColumns:
    """What the attendee and institution tables take from the records alone, without the resolution
    (``build`` makes it while a forked resolution runs: ~1 s of a year's tables).

    Attendee rows: their text columns and, for each, the position of its resolution key in ``keys``
    (distinct keys, first seen first; ``keys[0]`` is None, a generic participant). Institution rows
    (``Record.institution_rows``): the position of each one's raw name in ``names`` and the numbers
    of its company and record.
    """

    attendee_columns: dict[str, Any]
    keys: list[str | None]
    key_index: np.ndarray
    names: list[str]
    name_index: np.ndarray
    row_company: np.ndarray
    row_source: np.ndarray


def row_columns(records: Sequence[Record]) -> RowColumns:
    """The :class:`RowColumns` of ``records``."""
    # columns that repeat a few thousand values (the record's, the resolved name's) are taken from a
    # table of those values by each row's index into it; the others are made row by row
    rec_table: list[tuple[str, str | None, str | None]] = []
    rec_index: list[int] = []
    date: list[str | None] = []
    raw: list[str] = []
    person: list[str | None] = []
    line_no: list[int] = []
    slot: dict[str | None, int] = {None: 0}
    row_keys: list[str | None] = []
    name_code: dict[str, int] = {}
    company_code: dict[str, int] = {}
    source_code: dict[str, int] = {}
    row_name: list[int] = []
    row_company: list[int] = []
    row_source: list[int] = []
    for r in records:
        if r.kind != "ir_record" or not r.attendees:
            continue
        atts = r.attendees
        rec_index += [len(rec_table)] * len(atts)
        rec_table.append((r.source, r.stock_code, r.short_name))
        first = r.dates[0] if r.dates else None
        date += [a.date or first for a in atts]
        raw += [a.institution for a in atts]
        person += [a.person for a in atts]
        line_no += [a.line_no for a in atts]
        row_keys += [None if a.generic else a.institution for a in atts]
        inst_rows = r.institution_rows
        if inst_rows:
            company = company_code.setdefault(r.stock_code or r.company or r.source, len(company_code))
            source = source_code.setdefault(r.source, len(source_code))
            row_name += [name_code.setdefault(a.institution, len(name_code)) for a in inst_rows]
            row_company += [company] * len(inst_rows)
            row_source += [source] * len(inst_rows)
    key_index = np.fromiter((slot.setdefault(k, len(slot)) for k in row_keys), dtype=np.intp, count=len(row_keys))
    records_index = np.array(rec_index, dtype=np.intp)
    cols: dict[str, Any] = {
        "date": text_column(date), "raw_institution": text_column(raw), "person": text_column(person),
        "line_no": line_no,
    }
    for j, c in enumerate(("source", "stock_code", "short_name")):
        cols[c] = taken_text([t[j] for t in rec_table], records_index)
    return RowColumns(cols, list(slot), key_index, list(name_code), np.array(row_name, dtype=np.int64),
                      np.array(row_company, dtype=np.int64), np.array(row_source, dtype=np.int64))


def attendees_table(records: Sequence[Record], resolution: Resolution, *,
                    columns: RowColumns | None = None) -> pd.DataFrame:
    """``attendees.csv``: one row per attendee row, with how its institution resolved.

    ``columns``: the :func:`row_columns` of ``records`` when already made."""
    columns = columns if columns is not None else row_columns(records)
    resolved_cols = ("institution_id", "institution", "group", "type", "method", "score", "group_id")
    table: list[tuple[Any, ...]] = [(None, None, None, None, "generic", None, None)]
    for k in columns.keys[1:]:
        m = resolution.get(k)  # type: ignore[arg-type]
        table.append((None,) * len(resolved_cols) if m is None else (
            m.institution_id, m.institution, m.group, m.type, m.method, round(m.score, 4), m.group_id))
    index = columns.key_index
    cols = dict(columns.attendee_columns)
    for j, c in enumerate(resolved_cols):
        column = [t[j] for t in table]
        cols[c] = np.array(column, dtype=object)[index].tolist() if c == "score" else taken_text(column, index)
    return pd.DataFrame(cols, columns=ATTENDEE_COLUMNS)


def institutions_frame(records: Sequence[Record], resolution: Resolution, *,
                       columns: RowColumns | None = None) -> pd.DataFrame:
    """``institutions.csv``: what :func:`irgraph.resolve.institutions_table` gives, counted with numpy
    (a year's ~500k rows in one pass instead of a set update per row).

    ``columns``: the :func:`row_columns` of ``records`` when already made."""
    from irgraph.resolve import institution_rows

    columns = columns if columns is not None else row_columns(records)
    iid_code: dict[str, int] = {}
    name_inst = np.empty(len(columns.names), dtype=np.int64)  # raw name -> its institution's code (-1: none)
    for k, raw in enumerate(columns.names):
        m = resolution.get(raw)
        name_inst[k] = -1 if m is None else iid_code.setdefault(m.institution_id, len(iid_code))
    if not iid_code:
        return pd.DataFrame(columns=INSTITUTION_COLUMNS)
    inst = name_inst[columns.name_index]
    keep = inst >= 0
    inst = inst[keep]

    def distinct_per_institution(other: np.ndarray) -> np.ndarray:
        width = int(other.max()) + 1
        pairs = np.sort(inst * width + other[keep])
        pairs = pairs[np.concatenate(([True], pairs[1:] != pairs[:-1]))]  # distinct (sorting beats hashing here)
        return np.bincount(pairs // width, minlength=len(iid_code))

    n_companies = distinct_per_institution(columns.row_company)
    n_visits = distinct_per_institution(columns.row_source)
    df = pd.DataFrame(institution_rows(resolution, {iid: (int(n_companies[k]), int(n_visits[k]))
                                                    for iid, k in iid_code.items()}))
    cols = INSTITUTION_COLUMNS + [c for c in df.columns if c not in INSTITUTION_COLUMNS]
    return df[cols]


def review_frame(resolution: Resolution) -> pd.DataFrame:
    from irgraph.resolve import review_rows

    df = pd.DataFrame(review_rows(resolution))
    if df.empty:
        return pd.DataFrame(columns=REVIEW_COLUMNS)
    cols = REVIEW_COLUMNS + [c for c in df.columns if c not in REVIEW_COLUMNS]
    return df[cols]


def unparsed_table(records: Sequence[Record]) -> pd.DataFrame:
    """``unparsed.csv``: attendee-section lines that became no row (``kind=unparsed``), then the
    lines understood as structure (``kind=skipped``: headers, notes, totals, date headings)."""
    rows = []
    for r in records:
        for u in r.unparsed:
            rows.append({"source": r.source, "line_no": u.line_no, "text": u.text, "reason": u.reason,
                         "kind": "unparsed"})
        for u in r.skipped:
            rows.append({"source": r.source, "line_no": u.line_no, "text": u.text.strip(), "reason": u.reason,
                         "kind": "skipped"})
    return in_unparsed_order(pd.DataFrame(rows, columns=UNPARSED_COLUMNS))


def in_unparsed_order(df: pd.DataFrame) -> pd.DataFrame:
    """``unparsed.csv``'s rows in their order: the unparsed lines, then the skipped ones, each by source
    and line number."""
    if df.empty:
        return df
    df = df.assign(_k=(df["kind"] != "unparsed").astype(int))
    return df.sort_values(["_k", "source", "line_no"], kind="stable").drop(columns="_k").reset_index(drop=True)
