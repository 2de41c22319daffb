"""The whole pipeline on the bundled samples: golden files for what users see, and the Python API.

Golden files live in tests/golden/samples/. After a deliberate change of the parser, resolver or
registry, regenerate them with ``IRGRAPH_UPDATE_GOLDEN=1 pytest tests/test_pipeline.py`` and review
the diff like any other change.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import irgraph

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = ROOT / "tests" / "golden" / "samples"
FILES = ["records.csv", "attendees.csv", "institutions.csv", "unparsed.csv"]


@pytest.fixture(scope="module")
def out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("build")
    cwd = os.getcwd()
    os.chdir(ROOT)  # sources are written as given: keep them relative and portable
    try:
        irgraph.build(["data/samples"]).write(folder, xlsx=False, parquet=False, explorer=False)
    finally:
        os.chdir(cwd)
    return folder


@pytest.mark.parametrize("name", FILES)
def test_golden_outputs(out: Path, name: str) -> None:
    got = (out / name).read_bytes()
    golden = GOLDEN / name
    if os.environ.get("IRGRAPH_UPDATE_GOLDEN"):
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_bytes(got)
    assert golden.exists(), f"missing golden file {golden}; run with IRGRAPH_UPDATE_GOLDEN=1"
    assert got.decode("utf-8-sig").splitlines() == golden.read_bytes().decode("utf-8-sig").splitlines()


def test_api_mirrors_cli(tmp_path: Path) -> None:
    result = irgraph.build([ROOT / "data" / "samples"], level="group")
    assert set(result.tables) == {"records", "attendees", "institutions", "review", "unparsed", "centrality",
                                  "company_overlap", "institution_overlap"}
    sides = {d["bipartite"] for _, d in result.graph.nodes(data=True)}
    assert sides == {0, 1}
    assert all(n.startswith(("g:", "c:")) for n in result.graph.nodes)
    written = result.write(tmp_path)
    assert {p.name for p in written} >= {"records.csv", "graph.graphml", "explorer.html", "irgraph.xlsx"}
    assert "243 attendee rows" in result.summary


def test_filters_reach_the_graph() -> None:
    everything = irgraph.build([ROOT / "data" / "samples"])
    late = irgraph.build([ROOT / "data" / "samples"], since="2024-09-01")
    companies = {d["code"] for _, d in late.graph.nodes(data=True) if d["bipartite"] == 1}
    assert companies == {"688787"}  # only 海天瑞声's records (2024-09-04, 2024-11-05) are that late
    assert late.graph.number_of_nodes() < everything.graph.number_of_nodes()
    phone = irgraph.build([ROOT / "data" / "samples"], types=["电话会议"])
    assert {d["code"] for _, d in phone.graph.nodes(data=True) if d["bipartite"] == 1} == {"688787"}


def test_unknown_level_is_an_option_error() -> None:
    with pytest.raises(irgraph.OptionError):
        irgraph.build([ROOT / "data" / "samples"], level="desk")


def test_lazy_api_names() -> None:
    import types

    import irgraph.pipeline
    import irgraph.resolve

    for name in irgraph.__all__:
        value = getattr(irgraph, name)
        assert value is not None
        assert not isinstance(value, types.ModuleType), name
    with pytest.raises(AttributeError):
        irgraph.no_such_thing  # noqa: B018


def record_forked_calls(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, Any]]:
    """(name, ForkedCall) of every forked step the pipeline starts from now on."""
    from irgraph import pipeline

    calls: list[tuple[str, Any]] = []
    for method in ("start", "start_then"):
        real_start = getattr(pipeline.ForkedCall, method)

        def recording_start(fn: Any, *args: Any, name: str = "", real_start: Any = real_start) -> Any:
            call = real_start(fn, *args, name=name)
            calls.append((name, call))
            return call

        monkeypatch.setattr(pipeline.ForkedCall, method, recording_start)
    return calls


def test_workbook_written_in_a_second_process_is_the_same(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Large workbooks are made by a forked process while write() writes the other files: the same
    bytes as made here."""
    from irgraph import pipeline

    res = irgraph.build([str(ROOT / "data" / "samples")])
    res.write(tmp_path / "here", parquet=False, explorer=False)
    monkeypatch.setattr(pipeline, "_BACKGROUND_ROWS", 0)
    calls = record_forked_calls(monkeypatch)
    res.write(tmp_path / "worker", parquet=False, explorer=False)
    assert [n for n, _ in calls] == ["irgraph-workbook"] and all(c.delivered for _, c in calls)
    assert (tmp_path / "worker" / "irgraph.xlsx").read_bytes() == (tmp_path / "here" / "irgraph.xlsx").read_bytes()
    for name in ("attendees.csv", "graph.graphml", "graph.gexf"):
        assert (tmp_path / "worker" / name).read_bytes() == (tmp_path / "here" / name).read_bytes()


def test_every_forked_stage_delivers_the_same_result(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """With every threshold at 0, each forked process (resolution, graph files, CSV files, workbook)
    delivers its own result (no silent fallback) and the files are those of a plain build."""
    from irgraph import pipeline

    plain = irgraph.build([str(ROOT / "data" / "samples")])
    plain.write(tmp_path / "plain")
    for name in ("_EARLY_GRAPH_EDGES", "_EARLY_CSV_ROWS", "_BACKGROUND_ROWS", "_EARLY_RESOLVE_ROWS"):
        monkeypatch.setattr(pipeline, name, 0)
    calls = record_forked_calls(monkeypatch)
    forked = irgraph.build([str(ROOT / "data" / "samples")], out_dir=tmp_path / "forked", cache_dir=tmp_path / "cache")
    forked.write(tmp_path / "forked")
    assert sorted(n for n, _ in calls) == ["irgraph-early-files", "irgraph-early-workbook", "irgraph-resolve"]
    assert forked.resolution == plain.resolution and list(forked.resolution.matches) == list(plain.resolution.matches)
    assert all(call.delivered for _, call in calls), [n for n, c in calls if not c.delivered]
    assert forked.explorer_html == plain.explorer_html
    files = sorted(p.relative_to(tmp_path / "plain") for p in (tmp_path / "plain").rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(tmp_path / "forked") for p in (tmp_path / "forked").rglob("*") if p.is_file())
    for f in files:
        assert (tmp_path / "forked" / f).read_bytes() == (tmp_path / "plain" / f).read_bytes(), f
    # the resolving child stores the resolution and its memo after handing the result over
    stored = tmp_path / "cache" / "resolve"
    for _ in range(200):
        if len(list(stored.glob("*.json"))) == 1 and (stored / "memo.msgpack").is_file():
            break
        time.sleep(0.05)
    assert len(list(stored.glob("*.json"))) == 1 and (stored / "memo.msgpack").is_file()


def test_early_resolution_is_used_only_for_the_rows_it_was_given(monkeypatch: pytest.MonkeyPatch) -> None:
    """EarlyResolution: the forked resolution of the rows parse_paths announced, in the records' name
    order; for other rows (an entry that did not decode after all) the resolution is made here."""
    from irgraph import pipeline
    from irgraph.resolve import resolve

    if pipeline._FORK is None:
        pytest.skip("forked steps run on Linux only")
    monkeypatch.setattr(pipeline, "_EARLY_RESOLVE_ROWS", 0)
    made_here: list[int] = []

    def resolve_names(names: list[str], evidence: list[tuple[str, str]]) -> Any:
        made_here.append(len(names))
        return resolve(names, evidence=evidence)

    rows = [("兴业证券", "张三"), ("中金公司", None), ("兴业证券股份有限公司", "张三"), ("中金公司", "李四")]
    names = [n for n, _ in rows]
    evidence = [(n, p) for n, p in rows if p]
    expected = resolve(names, evidence=evidence)
    early = pipeline.EarlyResolution(resolve_names)
    early.start(list(reversed(rows)))  # announced in another order
    got = early.result(names, evidence)
    assert got == expected and list(got.matches) == list(expected.matches)
    assert made_here == []  # (the child's own call is not seen here)
    other = pipeline.EarlyResolution(resolve_names)
    other.start(rows[:2])
    assert other.result(names, evidence) == expected and made_here == [4]


def test_an_error_in_the_early_resolution_is_raised_here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A registry the resolver cannot read fails the forked resolution; the error is then met in
    the main process, as the same typed error a build without the child raises."""
    from irgraph import pipeline
    from irgraph.errors import RegistryError

    if pipeline._FORK is None:
        pytest.skip("forked steps run on Linux only")
    bad = tmp_path / "registry.csv"
    bad.write_text("not,a,registry\n1,2,3\n", encoding="utf-8")
    with pytest.raises(RegistryError) as plain:
        irgraph.build([str(ROOT / "data" / "samples")], registry=bad, cache_dir=tmp_path / "plain")
    monkeypatch.setattr(pipeline, "_EARLY_RESOLVE_ROWS", 0)
    calls = record_forked_calls(monkeypatch)
    with pytest.raises(RegistryError) as forked:
        irgraph.build([str(ROOT / "data" / "samples")], registry=bad, cache_dir=tmp_path / "forked")
    assert [n for n, _ in calls] == ["irgraph-resolve"] and not calls[0][1].delivered
    assert str(forked.value) == str(plain.value)


def test_a_failed_read_stops_the_early_resolution(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from irgraph import parse, pipeline

    if pipeline._FORK is None:
        pytest.skip("forked steps run on Linux only")
    monkeypatch.setattr(pipeline, "_EARLY_RESOLVE_ROWS", 0)
    calls = record_forked_calls(monkeypatch)

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("reading failed")

    cancelled: list[Any] = []
    real_cancel = pipeline.ForkedCall.cancel

    def recording_cancel(self: Any) -> None:
        cancelled.append(self)
        real_cancel(self)

    monkeypatch.setattr(pipeline.ForkedCall, "cancel", recording_cancel)
    monkeypatch.setattr(parse, "recover_stock_codes", broken)
    with pytest.raises(RuntimeError, match="reading failed"):
        irgraph.build([str(ROOT / "data" / "samples")], cache_dir=tmp_path / "cache")
    assert [n for n, _ in calls] == ["irgraph-resolve"] and cancelled == [calls[0][1]]
    assert not calls[0][1].delivered


def test_a_failed_child_is_made_good_here() -> None:
    """ForkedCall: a child that raises (or cannot send its value) leaves the value to the fallback."""
    from irgraph._io import ForkedCall

    def boom() -> int:
        raise RuntimeError("in the child")

    call = ForkedCall.start(boom)
    if call is None:
        pytest.skip("no fork on this platform")
    assert call.result(lambda: 7) == 7 and not call.delivered
    unpicklable = ForkedCall.start(lambda: (lambda: 1))
    assert unpicklable is not None and unpicklable.result(lambda: "fallback") == "fallback"
    ok = ForkedCall.start(sum, [1, 2, 3])
    assert ok is not None and ok.result(lambda: -1) == 6 and ok.result(lambda: -1) == 6


def test_a_failing_workbook_write_is_reported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An error in the workbook process reaches the caller as the usual OutputError."""
    from irgraph import pipeline
    from irgraph.errors import OutputError

    res = irgraph.build([str(ROOT / "data" / "samples")])
    monkeypatch.setattr(pipeline, "_BACKGROUND_ROWS", 0)
    out = tmp_path / "out"
    (out / "irgraph.xlsx").mkdir(parents=True)  # a folder where the workbook should go
    with pytest.raises(OutputError, match=r"irgraph\.xlsx"):
        res.write(out, parquet=False, explorer=False)
    assert (out / "attendees.csv").exists()  # the rest was written


def test_keep_records_false_gives_the_same_tables_without_the_records() -> None:
    """What ``irgraph build`` uses to save memory: the records go, every table stays the same."""
    kept = irgraph.build([str(ROOT / "data" / "samples")])
    lean = irgraph.build([str(ROOT / "data" / "samples")], keep_records=False)
    assert lean.records == () and len(kept.records) == 5
    assert list(lean.tables) == list(kept.tables)
    for name, df in kept.tables.items():
        assert lean.tables[name].equals(df), name
    assert lean.explorer_html == kept.explorer_html and lean.summary.split(";")[0] == kept.summary.split(";")[0]


def test_graph_files_written_early_are_the_same(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """build(out_dir=...) forks a writer for GraphML/GEXF while the reports are computed: same bytes,
    and writing elsewhere still writes them there."""
    from irgraph import pipeline

    plain = irgraph.build([str(ROOT / "data" / "samples")])
    plain.write(tmp_path / "plain", xlsx=False, parquet=False)
    monkeypatch.setattr(pipeline, "_EARLY_GRAPH_EDGES", 0)
    early = irgraph.build([str(ROOT / "data" / "samples")], out_dir=tmp_path / "early")
    assert early.graph_writer is not None
    early.write(tmp_path / "early", xlsx=False, parquet=False)
    early.write(tmp_path / "other", xlsx=False, parquet=False)
    for folder in ("early", "other"):
        for name in ("graph.graphml", "graph.gexf", "attendees.csv"):
            assert (tmp_path / folder / name).read_bytes() == (tmp_path / "plain" / name).read_bytes(), (folder, name)


def test_row_files_written_early_are_the_same(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """build(out_dir=...) on a large build forks a writer for the row tables' CSV and Parquet files
    while the graph is built: write() writes the others, then waits for it; the Parquet files go
    again when write() is told parquet=False."""
    from irgraph import pipeline

    plain = irgraph.build([str(ROOT / "data" / "samples")])
    plain.write(tmp_path / "plain", xlsx=False)
    monkeypatch.setattr(pipeline, "_EARLY_CSV_ROWS", 0)
    early = irgraph.build([str(ROOT / "data" / "samples")], out_dir=tmp_path / "early")
    assert early.csv_writer is not None and early.csv_writer.names == pipeline.ROW_TABLES
    assert early.csv_writer.wrote(tmp_path / "early")  # written before write() is called
    for name in ("attendees.csv", "parquet/attendees.parquet", "parquet/unparsed.parquet"):
        assert (tmp_path / "early" / name).read_bytes() == (tmp_path / "plain" / name).read_bytes(), name
    written = early.write(tmp_path / "early", xlsx=False)
    files = sorted(p.relative_to(tmp_path / "plain") for p in (tmp_path / "plain").rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(tmp_path / "early") for p in (tmp_path / "early").rglob("*") if p.is_file())
    assert sorted(p.relative_to(tmp_path / "early") for p in written) == files
    for f in files:
        assert (tmp_path / "early" / f).read_bytes() == (tmp_path / "plain" / f).read_bytes(), f
    no_parquet = irgraph.build([str(ROOT / "data" / "samples")], out_dir=tmp_path / "no_parquet")
    assert (tmp_path / "no_parquet" / "parquet" / "attendees.parquet").is_file()  # (the writer's)
    no_parquet.write(tmp_path / "no_parquet", xlsx=False, parquet=False)
    assert not (tmp_path / "no_parquet" / "parquet").exists()


def test_a_workbook_written_early_is_kept_only_for_the_options_it_was_made_for(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """build(out_dir=...) on a large build writes irgraph.xlsx in a forked process while the explorer
    is rendered; write() keeps it when told the same xlsx_max_rows and parquet, writes it again when
    told others, and removes it with xlsx=False: each time the file a plain build writes."""
    from irgraph import pipeline

    def plain_book(**options: Any) -> bytes:
        res = irgraph.build([str(ROOT / "data" / "samples")])
        res.write(tmp_path / "plain", **options)
        return (tmp_path / "plain" / "irgraph.xlsx").read_bytes()

    if pipeline._FORK is None:
        pytest.skip("forked steps run on Linux only")
    same, fewer, no_parquet = plain_book(), plain_book(xlsx_max_rows=3), plain_book(parquet=False)
    assert len({same, fewer, no_parquet}) == 3
    monkeypatch.setattr(pipeline, "_BACKGROUND_ROWS", 0)
    for name, options, expected in (("same", {}, same), ("fewer", {"xlsx_max_rows": 3}, fewer),
                                    ("no_parquet", {"parquet": False}, no_parquet), ("no_xlsx", {"xlsx": False}, None)):
        out = tmp_path / name
        calls = record_forked_calls(monkeypatch)
        res = irgraph.build([str(ROOT / "data" / "samples")], out_dir=out)
        assert res.workbook_writer is not None and [n for n, _ in calls] == ["irgraph-early-workbook"]
        res.write(out, **options)
        assert all(c.delivered for _, c in calls)
        if expected is None:
            assert not (out / "irgraph.xlsx").exists()
        else:
            assert (out / "irgraph.xlsx").read_bytes() == expected, name
            # the early one is taken as it is only for the same options: no second workbook process
            assert ("irgraph-workbook" in [n for n, _ in calls]) == (name != "same"), name


@pytest.mark.parametrize(("threshold", "blocked", "writer"), [
    ("_EARLY_GRAPH_EDGES", "graph.gexf", "graph_writer"),
    ("_EARLY_CSV_ROWS", "review.csv", "csv_writer"),
])
def test_a_failed_early_writer_is_made_good_by_write(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, threshold: str,
                                                     blocked: str, writer: str) -> None:
    from irgraph import pipeline

    plain = irgraph.build([str(ROOT / "data" / "samples")])
    plain.write(tmp_path / "plain", xlsx=False, parquet=False)
    monkeypatch.setattr(pipeline, threshold, 0)
    out = tmp_path / "out"
    (out / blocked).mkdir(parents=True)  # the early writer cannot replace a folder
    res = irgraph.build([str(ROOT / "data" / "samples")], out_dir=out)
    early = getattr(res, writer)
    assert early is not None and not early.wrote(out)  # (waits for it)
    (out / blocked).rmdir()
    res.write(out, xlsx=False, parquet=False)
    assert (out / blocked).read_bytes() == (tmp_path / "plain" / blocked).read_bytes()


def test_collector_paused_restores_the_collector_as_it_found_it() -> None:
    import gc

    from irgraph._io import collector_paused

    assert gc.isenabled()
    with pytest.raises(ValueError), collector_paused():
        assert not gc.isenabled()
        with collector_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()  # the inner block leaves the outer one's pause alone
        raise ValueError
    assert gc.isenabled()
    gc.disable()
    try:
        with collector_paused():
            pass
        assert not gc.isenabled()  # a collector the caller turned off stays off
    finally:
        gc.enable()


def test_build_pauses_the_collector_only_while_it_runs() -> None:
    """The stages after reading run with the cyclic collector paused; build leaves it running."""
    import gc

    seen: list[tuple[str, bool]] = []
    irgraph.build([str(ROOT / "data" / "samples")], on_stage=lambda text: seen.append((text.split()[0], gc.isenabled())))
    assert [s for s, _ in seen] == ["resolving", "making", "building", "computing", "rendering"]
    assert not any(enabled for _, enabled in seen)
    assert gc.isenabled()


def test_bulk_data_is_frozen_during_a_build_and_released_after() -> None:
    """Inside a build the collector's passes skip the bulk data (frozen as each paused block ends);
    afterwards nothing stays frozen, objects are still freed by reference counting, and a freeze
    made by someone else before the build is left alone."""
    import gc
    import weakref

    from irgraph._io import bulk_data_frozen, collector_paused

    class Row:  # stands in for a record: plain, acyclic, weak-referenceable
        pass

    assert gc.get_freeze_count() == 0
    seen: list[int] = []
    with bulk_data_frozen():
        seen.append(gc.get_freeze_count())
        with collector_paused():
            rows = [Row() for _ in range(1000)]
        seen.append(gc.get_freeze_count())
        ref = weakref.ref(rows[0])
        del rows
        assert ref() is None  # freed at once: frozen objects still go when their last reference does
    assert seen[0] > 0 and seen[1] >= seen[0] + 1000 and gc.get_freeze_count() == 0
    irgraph.build([str(ROOT / "data" / "samples")])
    assert gc.get_freeze_count() == 0
    gc.freeze()
    try:
        before = gc.get_freeze_count()
        with bulk_data_frozen(), collector_paused():
            _ = [Row() for _ in range(100)]
        assert gc.get_freeze_count() == before
    finally:
        gc.unfreeze()


def test_csv_bytes_by_arrow_are_what_the_csv_module_writes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """write_csv makes a table's text with Arrow (irgraph._columns.csv_bytes): the same bytes as the
    csv module's rows, for quoting, doubled quotes, line breaks, formula-looking cells, missing
    values, floats and nullable ints; a column only the csv module formats (bool, mixed objects)
    makes the table go that way."""
    import numpy as np
    import pandas as pd

    from irgraph import pipeline

    awkward = pd.DataFrame({
        "text": ["=SUM(A1)", "-0.5", "+86 10", "a,b", 'q"q', "line\nbreak", "cr\rx", None, "", "@x", "\tt", "兴业证券"],
        "float": [0.1, np.nan, 1e-9, 2.5, 1 / 3, -0.0, 3.0, 1e20, np.inf, -np.inf, 0.12345678912, 7.0],
        "int": list(range(-5, 7)),
        "nullable": pd.array([1, None, 3, 4, 5, 6, 7, 8, 9, 10, 11, None], dtype="Int64"),
        "missing": [None] * 12,
        "objects": np.array(["x", None, "=y", "q,r", "a", "b", "c", "d", "e", "f", "g", "h"], dtype=object),
    })
    frames = {"awkward": awkward, "empty": awkward.iloc[:0],
              "bool": awkward.assign(flag=[True, False] * 6), "mixed": awkward.assign(objects=["x", 1, 2.5, *"abcdefghi"])}
    made: list[bool] = []
    real = pipeline.csv_bytes

    def recording(df: Any, safe: Any) -> Any:
        text = real(df, safe)
        made.append(text is not None)
        return text

    frames["sliced"] = awkward  # written 5 rows at a time below: each slice's cells, not its parent's
    for name, df in frames.items():
        made.clear()
        monkeypatch.setattr(pipeline, "_CSV_CHUNK_ROWS", 5 if name == "sliced" else 50_000)
        monkeypatch.setattr(pipeline, "csv_bytes", recording)
        pipeline.write_csv(df, tmp_path / f"{name}.arrow.csv")
        monkeypatch.setattr(pipeline, "csv_bytes", lambda df, safe: None)
        pipeline.write_csv(df, tmp_path / f"{name}.csv.csv")
        assert (tmp_path / f"{name}.arrow.csv").read_bytes() == (tmp_path / f"{name}.csv.csv").read_bytes(), name
        assert made == ([] if name == "empty" else [True] * 3 if name == "sliced" else [name == "awkward"]), name
    # a text column in several Arrow chunks (pd.concat, Parquet row groups) is written the same way
    chunked = pd.concat([awkward.astype({"text": "string[pyarrow]"})] * 2, ignore_index=True)
    monkeypatch.setattr(pipeline, "csv_bytes", real)
    pipeline.write_csv(chunked, tmp_path / "chunked.arrow.csv")
    monkeypatch.setattr(pipeline, "csv_bytes", lambda df, safe: None)
    pipeline.write_csv(chunked, tmp_path / "chunked.csv.csv")
    assert (tmp_path / "chunked.arrow.csv").read_bytes() == (tmp_path / "chunked.csv.csv").read_bytes()
    text = (tmp_path / "awkward.arrow.csv").read_text(encoding="utf-8-sig")
    assert "'=SUM(A1)" in text and '"a,b"' in text and '"q""q"' in text and "\n-0.5," in text


def test_row_tables_from_columns_made_early_are_the_tables() -> None:
    """build makes row_columns while the resolution runs; the tables made from them are the tables,
    and the numpy-counted institutions table is the reference one of irgraph.resolve."""
    from irgraph.pipeline import institutions_frame, read_records, row_columns, row_tables
    from irgraph.resolve import institutions_table, resolve

    paths = [*sorted((ROOT / "tests" / "data" / "dev").glob("*.txt")), *sorted((ROOT / "data" / "samples").glob("*"))]
    records = read_records(paths)
    rows = [(a.institution, r.stock_code or r.company or r.source, r.source)
            for r in records if r.kind == "ir_record" for a in r.institution_rows]
    assert len({s for *_, s in rows}) >= 15 and any(a.generic for r in records for a in r.attendees)
    resolution = resolve([n for n, *_ in rows])
    columns = row_columns(records)
    early = row_tables(records, resolution, columns=columns)
    late = row_tables(records, resolution)
    for name, df in late.items():
        pd.testing.assert_frame_equal(early[name], df)
    atts = early["attendees"]
    expected = [(r.source, a.institution, a.person, None if a.generic else resolution.get(a.institution).institution_id)
                for r in records if r.kind == "ir_record" for a in r.attendees]
    got = list(zip(atts["source"], atts["raw_institution"], atts["person"].astype(object).where(atts["person"].notna(), None),
                   atts["institution_id"].astype(object).where(atts["institution_id"].notna(), None), strict=True))
    assert got == expected
    reference = pd.DataFrame(institutions_table(resolution, rows))
    frame = institutions_frame(records, resolution)
    pd.testing.assert_frame_equal(frame[list(reference.columns)], reference)


def test_build_checks_its_date_range_before_reading(tmp_path: Path) -> None:
    """since after until is an OptionError before any input is read (the missing input below would
    otherwise be the error), not after a year of parsing."""
    from irgraph.errors import OptionError

    with pytest.raises(OptionError, match="is after until"):
        irgraph.build([str(tmp_path / "missing")], since="2024-09-01", until="2024-01-01")
    with pytest.raises(OptionError, match="not an ISO date"):
        irgraph.build([str(tmp_path / "missing")], since="2024-13-01")
