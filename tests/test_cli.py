"""CLI tests through click's CliRunner: commands, the contract's files and columns, messages."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from irgraph import __version__
from irgraph.cli import main

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "data" / "samples"
CONTRACT = (ROOT / "docs" / "outputs.md").read_text(encoding="utf-8")


def run(*args: str, ok: bool = True):
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    if ok:
        assert result.exit_code == 0, result.output
    return result


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("out")
    run("build", str(SAMPLES), "-o", str(out))
    return out


def contract_files() -> dict[str, list[str]]:
    """File name -> the columns docs/outputs.md promises (its table under ``irgraph build``)."""
    files: dict[str, list[str]] = {}
    for line in CONTRACT.splitlines():
        m = re.match(r"^\| `([^`]+)`(?:, `([^`]+)`)? \| [^|]+ \| (.+) \|$", line)
        if not m:
            continue
        cols = [] if m.group(3).strip() == "—" else re.findall(r"(?:^|, )([a-z_]+)", m.group(3))
        for name in filter(None, (m.group(1), m.group(2))):
            files[name] = cols
    return files


def test_version_and_help() -> None:
    assert __version__ in run("--version").output
    out = run("-h").output
    for cmd in ("build", "parse", "resolve", "overlap"):
        assert cmd in out


@pytest.mark.parametrize("cmd", ["build", "parse", "resolve", "overlap"])
def test_every_command_has_examples(cmd: str) -> None:
    out = run(cmd, "--help").output
    assert "Examples:" in out
    assert f"irgraph {cmd}" in out


def test_contract_table_is_parsed() -> None:
    files = contract_files()
    assert {"records.csv", "attendees.csv", "institutions.csv", "review.csv", "unparsed.csv", "centrality.csv",
            "company_overlap.csv", "institution_overlap.csv", "graph.graphml", "graph.gexf", "explorer.html"} <= set(files)
    assert "status" in files["records.csv"] and "raw_institution" in files["attendees.csv"]


def test_build_writes_every_contract_file_with_its_columns(built: Path) -> None:
    for name, cols in contract_files().items():
        path = built / name
        assert path.is_file(), name
        if name.endswith(".csv"):
            with open(path, encoding="utf-8-sig", newline="") as f:
                header = next(csv.reader(f))
            missing = [c for c in cols if c not in header]
            assert not missing, f"{name} lacks {missing}"


def test_build_records_csv_lists_every_input_with_a_status(built: Path) -> None:
    with open(built / "records.csv", encoding="utf-8-sig", newline="") as f:
        rows = list(csv.DictReader(f))
    assert sorted(Path(r["source"]).name for r in rows) == sorted(p.name for p in SAMPLES.glob("*.txt"))
    status = {Path(r["source"]).name: r["status"] for r in rows}
    assert status["004_b9f5d8c3f18218d6.txt"] == "not_a_record"
    assert status["000_370e009666ed327e.txt"] == "ok"
    by_name = {Path(r["source"]).name: r for r in rows}
    assert by_name["001_5384b618997184ac.txt"]["stock_code"] == "688787"  # recovered from record 002
    assert by_name["001_5384b618997184ac.txt"]["stock_code_source"] == "recovered"


def test_build_attendees_resolved(built: Path) -> None:
    with open(built / "attendees.csv", encoding="utf-8-sig", newline="") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 243
    assert all(r["institution_id"] for r in rows)
    zj = {r["institution"] for r in rows if r["raw_institution"] == "中金公司"}
    assert zj == {"中国国际金融股份有限公司"}


def test_build_summary_and_exit_code(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["build", str(SAMPLES), "-o", str(tmp_path / "o")])
    assert result.exit_code == 0
    assert "5 files, 4 records, 243 attendee rows" in result.output


def test_parse_json_follows_contract() -> None:
    out = run("parse", str(SAMPLES / "000_370e009666ed327e.txt"), "--format", "json").output
    (line,) = out.strip().splitlines()
    obj = json.loads(line)
    for key in ("source", "kind", "stock_code", "short_name", "company", "record_no", "activity_types",
                "activity_other", "dates", "place", "receptionists", "declared_institutions", "declared_persons",
                "attendees", "unparsed", "warnings"):
        assert key in obj
    assert obj["attendees"][0] == {"institution": "兴业证券", "person": "陈鑫"}
    assert obj["declared_institutions"] == 71


def test_parse_table_is_readable() -> None:
    out = run("parse", str(SAMPLES / "003_4bed37fdee48bb36.txt")).output
    assert "unknown (check boxes not legible)" in out
    assert "141 persons" in out


def test_resolve_prints_contract_csv() -> None:
    out = run("resolve", "中金公司", "中国国际金融股份有限公司", "兴业证券", "兴业银行").output
    rows = list(csv.DictReader(out.splitlines()))
    assert list(rows[0]) == ["raw_name", "institution_id", "institution", "group", "type", "method", "score"]
    ids = {r["raw_name"]: r["institution_id"] for r in rows}
    assert ids["中金公司"] == ids["中国国际金融股份有限公司"]
    assert ids["兴业证券"] != ids["兴业银行"]


def test_overlap_from_build_folder(built: Path) -> None:
    out = run("overlap", str(built), "--company", "688787", "--peers", "688088").output
    assert "海天瑞声" in out
    assert (built / "peer_gap_688787.csv").is_file()


def test_missing_input_is_one_line_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["build", str(tmp_path / "nope"), "-o", str(tmp_path / "o")])
    assert result.exit_code != 0
    assert result.output.strip().count("\n") == 0
    assert result.output.startswith("irgraph: error:")
    assert "Traceback" not in result.output


def test_bad_date_option(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["build", str(SAMPLES), "-o", str(tmp_path / "o"), "--since", "2024-13-01"])
    assert result.exit_code == 2
    assert "ISO date" in result.output


def test_readme_documents_every_command_and_option() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for name, cmd in main.commands.items():
        assert f"irgraph {name}" in readme, f"README lacks `irgraph {name}`"
        for param in cmd.params:
            for opt in getattr(param, "opts", []):
                if opt.startswith("--") and opt != "--help":
                    assert opt in readme, f"README lacks {name} {opt}"


def test_readme_quick_start_is_two_commands() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"## Quick start\n+(?:[^\n`][^\n]*\n+)*```(?:bash|sh)?\n(.*?)```", readme, re.S)
    assert block, "no fenced block under ## Quick start"
    commands = [ln for ln in block.group(1).splitlines() if ln.strip()]
    assert len(commands) == 2
    assert "irgraph build data/samples" in commands[0]
    assert "[test]" in commands[1] and "pytest" in commands[1]


def test_long_build_says_what_it_is_doing_and_quiet_silences_it(tmp_path: Path) -> None:
    inputs = [str(SAMPLES), str(SAMPLES.parent.parent / "tests" / "data" / "dev")]  # 30 files
    loud = CliRunner().invoke(main, ["build", *inputs, "-o", str(tmp_path / "a"), "--no-cache"])
    assert loud.exit_code == 0, loud.output
    stages = [ln for ln in loud.output.splitlines() if ln.startswith("irgraph: ") and ln.endswith(" ...")]
    assert [s.split()[1] for s in stages] == ["resolving", "making", "building", "computing", "rendering", "writing"]
    assert "distinct institution names" in stages[0]
    summary = loud.output.strip().splitlines()[-1]
    assert summary.startswith("irgraph: wrote ") and "s to build" in summary and "s to write)" in summary
    quiet = CliRunner().invoke(main, ["build", *inputs, "-o", str(tmp_path / "b"), "--no-cache", "-q"])
    assert quiet.exit_code == 0 and quiet.output == ""
    small = CliRunner().invoke(main, ["build", str(SAMPLES), "-o", str(tmp_path / "c"), "--no-cache"])
    assert not [ln for ln in small.output.splitlines() if ln.endswith(" ...")]  # 5 files: no stage lines


def _outputs(out: Path) -> dict[str, tuple[bytes, int]]:
    """Every output file under ``out`` (the cache left out): its bytes and mtime."""
    return {p.relative_to(out).as_posix(): (p.read_bytes(), p.stat().st_mtime_ns) for p in sorted(out.rglob("*"))
            if p.is_file() and ".irgraph-cache" not in p.parts}


def test_an_up_to_date_build_does_nothing_until_anything_changes(tmp_path: Path) -> None:
    import shutil

    inputs = tmp_path / "records"
    shutil.copytree(SAMPLES, inputs)
    out = tmp_path / "out"

    def build(*extra: str) -> str:
        return run("build", str(inputs), "-o", str(out), *extra).output.strip().splitlines()[-1]

    first = build()
    assert first.startswith("irgraph: wrote ")
    before = _outputs(out)
    again = build()
    assert again.startswith(f"irgraph: {out}/ is up to date: 5 files, 4 records, 243 attendee rows")
    assert _outputs(out) == before  # not one file written again
    assert run("build", str(inputs), "-o", str(out), "-q").output == ""
    assert build("--force").startswith("irgraph: wrote ")
    # an input edited (even back to the same bytes), an option, an output file edited or removed,
    # the registry: each builds again, and the outputs are those of a build from nothing
    record = next(inputs.iterdir())
    record.write_bytes(record.read_bytes() + b"\n")
    assert build().startswith("irgraph: wrote ")
    assert build().startswith(f"irgraph: {out}/ is up to date")
    assert build("--top-k", "3").startswith("irgraph: wrote ")
    assert build("--top-k", "3").startswith(f"irgraph: {out}/ is up to date")
    with (out / "centrality.csv").open("a", encoding="utf-8") as f:
        f.write("edited\n")
    assert build("--top-k", "3").startswith("irgraph: wrote ")
    (out / "parquet" / "records.parquet").unlink()
    assert build("--top-k", "3").startswith("irgraph: wrote ") and (out / "parquet" / "records.parquet").exists()
    registry = tmp_path / "registry.csv"
    shutil.copyfile(ROOT / "data" / "institutions.csv", registry)
    assert build("--top-k", "3", "--registry", str(registry)).startswith("irgraph: wrote ")
    assert build("--top-k", "3", "--registry", str(registry)).startswith(f"irgraph: {out}/ is up to date")
    registry.write_text(registry.read_text(encoding="utf-8").replace("兴业证券;兴证", "兴业证券"), encoding="utf-8")
    assert build("--top-k", "3", "--registry", str(registry)).startswith("irgraph: wrote ")
    fresh = tmp_path / "fresh"
    run("build", str(inputs), "-o", str(fresh), "--top-k", "3", "--registry", str(registry), "--no-cache")
    assert {k: b for k, (b, _) in _outputs(out).items()} == {k: b for k, (b, _) in _outputs(fresh).items()}
    # a damaged record of the builds is no error: the folder is built again
    (out / ".irgraph-cache" / "builds.json").write_text("{not json", encoding="utf-8")
    assert build("--top-k", "3", "--registry", str(registry)).startswith("irgraph: wrote ")
    # --no-cache never skips
    assert run("build", str(inputs), "-o", str(fresh), "--top-k", "3", "--registry", str(registry),
               "--no-cache").output.strip().splitlines()[-1].startswith("irgraph: wrote ")


def test_a_build_key_needs_every_input_as_the_parser_read_it(tmp_path: Path) -> None:
    """An input edited after the parse cache read it gives no key (a build made while it changed is
    not remembered); the key depends on the inputs' order and the options."""
    import shutil

    from irgraph.cache import build_key, parse_paths

    inputs = tmp_path / "records"
    shutil.copytree(SAMPLES, inputs)
    paths = sorted(inputs.iterdir())
    cache = tmp_path / "cache"
    assert build_key(paths, {}, files={}, cache_dir=cache) is None  # nothing read yet
    parse_paths(paths, cache_dir=cache)
    key = build_key(paths, {"top_k": 50}, files={"registry": None}, cache_dir=cache)
    assert key is not None and key == build_key(paths, {"top_k": 50}, files={"registry": None}, cache_dir=cache)
    assert build_key(paths[::-1], {"top_k": 50}, files={"registry": None}, cache_dir=cache) != key
    assert build_key(paths, {"top_k": 5}, files={"registry": None}, cache_dir=cache) != key
    # the key of the build that read them, from the hashes it read (no input looked at again)
    digests: dict[str, str] = {}
    parse_paths(paths, cache_dir=cache, digests=digests)
    assert set(digests) == {str(p) for p in paths}
    assert build_key(paths, {"top_k": 50}, files={"registry": None}, cache_dir=cache, read=digests) == key
    paths[0].write_bytes(paths[0].read_bytes() + b" ")
    assert build_key(paths, {"top_k": 50}, files={"registry": None}, cache_dir=cache) is None
    # edited after it was read: the build remembers what it read, the next build's key finds the edit
    assert build_key(paths, {"top_k": 50}, files={"registry": None}, cache_dir=cache, read=digests) == key
    assert build_key([*paths, tmp_path / "absent.txt"], {"top_k": 50}, files={"registry": None}, cache_dir=cache,
                     read=digests) is None  # (a path it did not read: looked at, and missing)


# what `irgraph build` remembers a build by, with its default options
_BUILD_OPTIONS = {"level": "entity", "since": None, "until": None, "types": None, "top_k": 50, "explorer_top": 300,
                  "betweenness_k": None, "seed": 42, "xlsx": True, "parquet": True, "xlsx_max_rows": 20_000}
_NO_FILES = {"registry": None, "overrides": None, "companies": None}


def test_a_build_of_other_input_files_is_told_apart_without_stating_them(tmp_path: Path,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """The remembered build names its input listing: a build with a file more, less or in another
    order is not up to date, found without computing a key (a year's 30,000 stats); a remembered
    entry without the listing (an older irgraph) still decides by its key."""
    import shutil

    import irgraph.cache
    from irgraph.pipeline import up_to_date
    from irgraph.read import iter_input_files

    inputs = tmp_path / "records"
    shutil.copytree(SAMPLES, inputs)
    out, cache = tmp_path / "out", tmp_path / "out" / ".irgraph-cache"
    run("build", str(inputs), "-o", str(out))
    paths = iter_input_files([inputs])
    check = {"cache_dir": cache, "options": _BUILD_OPTIONS, "files": _NO_FILES}
    assert up_to_date(paths, out, **check) is not None
    assert irgraph.cache.has_stored_build(cache, out, paths)

    def no_key(*args: object, **kwargs: object) -> None:
        raise AssertionError("a key was computed")

    with monkeypatch.context() as m:
        m.setattr(irgraph.cache, "build_key", no_key)
        for other in (paths[1:], paths[::-1], [*paths, tmp_path / "new.txt"]):
            assert up_to_date(other, out, **check) is None
    builds = json.loads((cache / "builds.json").read_text(encoding="utf-8"))
    for entry in builds["builds"].values():
        del entry["inputs"]
    (cache / "builds.json").write_text(json.dumps(builds), encoding="utf-8")
    assert irgraph.cache.has_stored_build(cache, out, paths[1:])  # no listing: the key decides
    assert up_to_date(paths[1:], out, **check) is None and up_to_date(paths, out, **check) is not None


def contract_extension_columns() -> dict[str, list[str]]:
    """File name -> the extra columns of the "Extra columns" table in docs/outputs.md."""
    section = CONTRACT.split("Extra columns:", 1)[1].split("Extra files:", 1)[0]
    files: dict[str, list[str]] = {}
    for line in section.splitlines():
        m = re.match(r"^\| `([^`]+)` \| (.+) \|$", line)
        if m:
            listed = re.split(r"[(:]", m.group(2), maxsplit=1)[0]  # the names, before any note
            files[m.group(1)] = [c for c in re.findall(r"[a-z_]+", listed) if c != "none"]
    return files


def test_build_writes_the_contract_extension_columns(built: Path) -> None:
    extra = contract_extension_columns()
    assert {"records.csv", "attendees.csv", "unparsed.csv", "centrality.csv", "company_overlap.csv",
            "institution_overlap.csv"} <= set(extra)
    assert "n_unparsed" in extra["records.csv"] and "group_id" in extra["attendees.csv"]
    for name, cols in extra.items():
        with open(built / name, encoding="utf-8-sig", newline="") as f:
            header = next(csv.reader(f))
        missing = [c for c in cols if c not in header]
        assert not missing, f"{name} lacks {missing}"


def test_generic_participants_are_attendee_rows_without_institution(tmp_path: Path) -> None:
    record = (SAMPLES / "002_160fa047d8decc1a.txt").read_text(encoding="utf-8-sig")
    anchor = "参与单位名称及人员姓名\n"
    assert anchor in record
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "r.txt").write_text(record.replace(anchor, anchor + "个人投资者\n", 1), encoding="utf-8")
    out = tmp_path / "out"
    run("build", str(tmp_path / "in"), "-o", str(out), "--no-xlsx", "--no-parquet", "--no-cache", "-q")
    with open(out / "attendees.csv", encoding="utf-8-sig", newline="") as f:
        rows = list(csv.DictReader(f))
    generic = [r for r in rows if r["method"] == "generic"]
    assert [r["raw_institution"] for r in generic] == ["个人投资者"]
    assert not generic[0]["institution_id"] and not generic[0]["institution"]
    with open(out / "institutions.csv", encoding="utf-8-sig", newline="") as f:
        assert all("个人投资者" not in r["variants"].split(";") for r in csv.DictReader(f))


def test_a_build_without_xlsx_or_parquet_removes_an_earlier_builds(tmp_path: Path) -> None:
    """OUT never mixes two builds: the workbook and Parquet files of an earlier build are removed
    when this one does not write them, and the workbook's about sheet names only files written."""
    out = tmp_path / "out"
    run("build", str(SAMPLES), "-o", str(out))
    assert (out / "irgraph.xlsx").exists() and (out / "parquet" / "records.parquet").exists()
    (out / "peer_gap_688787.csv").write_text("kept\n", encoding="utf-8")
    run("build", str(SAMPLES), "-o", str(out), "--no-parquet")
    assert not (out / "parquet").exists()
    about = list(load_workbook(out / "irgraph.xlsx")["about"].iter_rows(values_only=True))
    assert about[1][3] == "records.csv" and not any("parquet" in str(row) for row in about)
    run("build", str(SAMPLES), "-o", str(out), "--no-xlsx")
    assert not (out / "irgraph.xlsx").exists() and (out / "parquet" / "records.parquet").exists()
    assert (out / "peer_gap_688787.csv").read_text(encoding="utf-8") == "kept\n"  # not ours to remove


def test_overlap_on_a_build_folder_refuses_filters_it_cannot_apply(built: Path) -> None:
    result = CliRunner().invoke(main, ["overlap", str(built), "--company", "688787", "--since", "2030-01-01"])
    assert result.exit_code == 2
    assert result.output.strip().splitlines() == [
        f"irgraph: error: {built} is a build folder: its graph is used as built; --since, --until, --types and "
        "--level need the record files (or build again with them)"]


def test_a_closed_pipe_ends_quietly_and_keeps_the_report(tmp_path: Path) -> None:
    """`irgraph … | head -c 1`: no error message when the reader stops early (the output is larger
    than a pipe holds); overlap's CSV is written before its table is printed."""
    import shutil
    import subprocess
    import sys

    many = tmp_path / "many"
    many.mkdir()
    for k in range(12):  # ~0.5 MB of JSON lines
        for f in sorted((ROOT / "tests" / "data" / "dev").glob("*.txt")):
            shutil.copyfile(f, many / f"{k:02d}_{f.name}")
    code = "import sys; from irgraph.cli import main; sys.argv[0] = 'irgraph'; main()"
    gap = tmp_path / "gap.csv"
    for args in (["parse", str(many), "--format", "json"],
                 ["overlap", str(SAMPLES), "--company", "688787", "--limit", "100", "-o", str(gap)]):
        proc = subprocess.run(f"{sys.executable} -c \"{code}\" {' '.join(args)} | head -c 1",
                              shell=True, capture_output=True, cwd=ROOT, timeout=300)
        err = proc.stderr.decode("utf-8", "replace")
        assert "Broken pipe" not in err and "Traceback" not in err, err
    assert gap.read_text(encoding="utf-8-sig").startswith("institution_id,")


def test_the_console_script_flushes_its_output_and_keeps_exit_codes(tmp_path: Path) -> None:
    """`irgraph` (cli.run) ends the process without Python's teardown: what was printed still
    arrives whole, written files are complete, and exit codes are main's."""
    import subprocess
    import sys

    def script(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-c", "from irgraph.cli import run; run()", *args],
                              capture_output=True, text=True, cwd=ROOT, timeout=300)

    parsed = script("parse", str(SAMPLES), str(ROOT / "tests" / "data" / "dev"), "--format", "json")
    assert parsed.returncode == 0, parsed.stderr
    assert len(parsed.stdout) > 32_000  # several buffers of output when piped: all of it arrives
    assert [json.loads(line)["kind"] for line in parsed.stdout.splitlines()].count("ir_record") == 16
    built = script("build", str(SAMPLES), "-o", str(tmp_path / "out"))
    assert built.returncode == 0 and built.stderr.strip().splitlines()[-1].startswith("irgraph: wrote ")
    assert (tmp_path / "out" / "explorer.html").read_text(encoding="utf-8").rstrip().endswith("</html>")
    assert script("build", str(tmp_path / "nope"), "-o", str(tmp_path / "o")).returncode == 2
    assert script("--version").stdout.startswith("irgraph, version ")
