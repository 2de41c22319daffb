"""The year snapshot (irgraph.snapshot): what a build makes of records taken from it equals what
the plain functions make of the records read and parsed, whatever was added, removed, changed or
reordered since it was written."""

from __future__ import annotations

import random
import shutil
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from irgraph import cache, snapshot
from irgraph.graph import graph_rows
from irgraph.models import Record
from irgraph.pipeline import build, read_records, records_table, row_columns, unparsed_table

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
SOURCES = sorted([*(ROOT / "tests" / "data" / "dev").glob("*.txt"), *(ROOT / "data" / "samples").glob("*.txt"),
                  *(ROOT / "tests" / "data").glob("hard*/*.txt"), *(ROOT / "tests" / "data" / "tables").rglob("*.csv"),
                  *(ROOT / "tests" / "data" / "tables").rglob("*.xlsx"),
                  *(SHARED / "seeds").glob("*.txt"), *(SHARED / "dev").glob("*.txt")])
SAMPLE = ROOT / "data" / "samples" / "000_370e009666ed327e.txt"


def copy_in(paths: list[Path], folder: Path) -> list[Path]:
    out = []
    for k, p in enumerate(paths):
        q = folder / f"{k:04d}_{p.parent.name}_{p.name}"
        q.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(p, q)
        out.append(q)
    return out


def same(x: Any, y: Any, what: str = "") -> None:
    """Equal values of the same types (DataFrames: same dtypes and arrays; dataclasses field by field)."""
    if isinstance(x, pd.DataFrame):
        pd.testing.assert_frame_equal(x, y, check_exact=True)
        assert list(x.columns) == list(y.columns) and list(x.dtypes) == list(y.dtypes), what
        for c in x.columns:
            assert type(x[c].array) is type(y[c].array), (what, c)
    elif isinstance(x, np.ndarray):
        assert isinstance(y, np.ndarray) and x.dtype == y.dtype and np.array_equal(x, y), what
    elif isinstance(x, dict):
        assert isinstance(y, dict) and list(x) == list(y), what
        for k in x:
            same(x[k], y[k], f"{what}.{k}")
    elif isinstance(x, list):
        assert type(y) is list and x == y, what
    elif hasattr(x, "__dataclass_fields__"):
        assert type(x) is type(y), what
        for f in x.__dataclass_fields__:
            same(getattr(x, f), getattr(y, f), f"{what}.{f}")
    else:
        assert type(x) is type(y), (what, type(x), type(y))
        assert x.dtype == y.dtype and pd.Series(x).equals(pd.Series(y)), what


def plain(inputs: list[Path], companies: dict[str, str] | None = None) -> tuple[Any, list[Record]]:
    problems: list[Record] = []
    recs = read_records(inputs, companies=companies, on_problem=problems.append)
    rows = [(a.institution, a.person) for r in recs for a in r.institution_rows]
    return (records_table(recs), unparsed_table(recs), row_columns(recs), graph_rows(recs),
            [n for n, _ in rows], [(n, p) for n, p in rows if p]), problems


_COUNTED: list[bool] = []


def spliced(inputs: list[Path], cdir: Path, companies: dict[str, str] | None = None) -> tuple[Any, list[Record]]:
    problems: list[Record] = []
    given: list[Any] = []
    digests: dict[str, str] = {}
    read = snapshot.read_columns(inputs, companies=companies, on_problem=problems.append, cache_dir=cdir,
                                 on_names=lambda n, e, c: given.append((n, e, c)), digests=digests)
    assert read is not None
    p = read.products
    assert len(given) == 1  # the rows go to the resolution once (in any order)
    names, evidence, counted = given[0]
    assert Counter(names) == Counter(p.names) and Counter(evidence) == Counter(p.evidence)
    if counted is not None:  # (counted from the codes: what the resolution would count of the lists)
        name_counts, pairs, pair_counts = counted
        assert list(name_counts.items()) == list(Counter(names).items())  # (first seen first)
        assert pairs == set(evidence)
        assert pair_counts == Counter(evidence)
    _COUNTED.append(counted is not None)
    assert set(digests) <= set(_files(inputs))
    read.store()
    return (p.records_table, p.unparsed_table, p.row_columns, p.graph_rows, p.names, p.evidence), problems


def _files(inputs: list[Path]) -> list[str]:
    from irgraph.read import iter_input_files

    return [str(p) for p in iter_input_files(inputs)]


def check(inputs: list[Path], cdir: Path, companies: dict[str, str] | None = None) -> int:
    """The spliced products equal the plain ones; how many files came from the snapshot."""
    got, got_problems = spliced(inputs, cdir, companies)
    reused = snapshot.last_reused()
    assert not reused or _COUNTED[-1]  # (files from the snapshot: the rows were counted from codes)
    want, want_problems = plain(inputs, companies)
    for name, a, b in zip(("records", "unparsed", "row_columns", "graph_rows", "names", "evidence"), want, got,
                          strict=True):
        same(a, b, name)
    assert got_problems == want_problems
    return reused


def test_the_products_equal_the_plain_ones_under_random_changes(tmp_path: Path) -> None:
    rng = random.Random(8)
    pool = copy_in(SOURCES, tmp_path / "pool")
    files = pool[: len(pool) * 2 // 3]
    spare = pool[len(files):]
    cdir = tmp_path / "cache"
    assert check([tmp_path / "pool"], cdir) == 0  # (no snapshot yet)
    assert check([tmp_path / "pool"], cdir) == len(pool)  # all of it from the snapshot
    assert {r.status for r in plain([tmp_path / "pool"])[1]} == {"error", "count_mismatch"}  # (on_problem's, compared)
    held = {str(p): p.read_bytes() for p in pool}  # what the snapshot holds: path -> bytes
    spliced_steps = 0
    for step in range(8):
        folder = tmp_path / f"in{step}"
        chosen = [p for p in files if rng.random() > 0.1] + rng.sample(spare, 5)  # remove some, add some
        rng.shuffle(chosen)
        inputs = copy_in(chosen, folder) if step % 3 == 1 else chosen  # other paths: none reused
        for p in rng.sample(inputs, 3):  # change some
            p.write_bytes(p.read_bytes() + "\n会议时间：2024年1月1日\n".encode())
        args: list[Path] = [folder] if step % 3 == 1 else list(inputs) if step % 2 else list(reversed(inputs))
        expected = sum(held.get(p) == Path(p).read_bytes() for p in _files(args))
        reused = check(args, cdir)
        # 0: every file read again, when an old record's recovered code would change (here, once: a
        # record whose code came from a removed one gets it from the bundled table)
        assert reused in (expected, 0)
        spliced_steps += reused > 0
        assert step % 3 != 1 or expected == 0
        held = {p: Path(p).read_bytes() for p in _files(args)}
        files = list(inputs)
    assert spliced_steps >= 4
    assert check(args, cdir) == len(_files(args))  # the same inputs again: all from the snapshot
    written = (cdir / "snapshot.arrow").stat()
    assert check(args, cdir) == len(_files(args))
    assert (cdir / "snapshot.arrow").stat().st_ino == written.st_ino  # (nothing new: not written again)


def _company_file(path: Path, code: bool) -> Path:
    """A sample record of a company no table knows, with or without its stock code line."""
    text = SAMPLE.read_text(encoding="utf-8").replace("虹软科技股份有限公司", "虚构测试科技股份有限公司")
    lines = text.split("\n")
    lines[0] = "证券代码：900001                        证券简称：虚构测试" if code else ""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def test_a_new_record_that_gives_an_old_one_a_code_falls_back(tmp_path: Path) -> None:
    inputs = copy_in(SOURCES[:40], tmp_path / "in")
    old = _company_file(tmp_path / "in" / "zz_old.txt", code=False)
    cdir = tmp_path / "cache"
    check([tmp_path / "in"], cdir)
    assert check([tmp_path / "in"], cdir) == len(inputs) + 1
    recs = read_records([old])
    assert recs[0].stock_code is None and recs[0].company == "虚构测试科技股份有限公司"
    _company_file(tmp_path / "in" / "aa_new.txt", code=True)  # (sorts first: the old record is recovered)
    assert check([tmp_path / "in"], cdir) == 0  # (every file read again)
    recovered = [r for r in read_records([tmp_path / "in"]) if r.source == str(old)]
    assert recovered[0].stock_code == "900001" and recovered[0].stock_code_source == "recovered"
    assert check([tmp_path / "in"], cdir) == len(inputs) + 2


def test_parser_fingerprint_and_companies_invalidate_the_snapshot(tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    inputs = copy_in(SOURCES[:30], tmp_path / "in")
    _company_file(tmp_path / "in" / "zz_old.txt", code=False)
    cdir = tmp_path / "cache"
    check([tmp_path / "in"], cdir)
    assert check([tmp_path / "in"], cdir) == len(inputs) + 1
    companies = {"虚构测试科技股份有限公司": "900002"}
    assert check([tmp_path / "in"], cdir, companies) == 0
    assert check([tmp_path / "in"], cdir, companies) == len(inputs) + 1
    assert check([tmp_path / "in"], cdir) == 0
    monkeypatch.setattr(cache, "parser_fingerprint", lambda: "0" * 64)
    assert check([tmp_path / "in"], cdir) == 0
    assert check([tmp_path / "in"], cdir) == len(inputs) + 1


@pytest.mark.parametrize("garbage", [b"", b"IRGSNAP1", b"IRGSNAP1" + b"\xff" * 200])
def test_a_damaged_snapshot_is_ignored(tmp_path: Path, garbage: bytes) -> None:
    copy_in(SOURCES[:20], tmp_path / "in")
    cdir = tmp_path / "cache"
    check([tmp_path / "in"], cdir)
    path = cdir / "snapshot.arrow"
    data = path.read_bytes()
    path.write_bytes(garbage + data[len(garbage) + 16:] if garbage else data[: len(data) // 2])
    assert check([tmp_path / "in"], cdir) == 0
    assert check([tmp_path / "in"], cdir) == 20


def test_build_from_a_snapshot_equals_a_plain_build(tmp_path: Path) -> None:
    inputs = copy_in(SOURCES, tmp_path / "in")
    cdir = tmp_path / "cache"
    build([tmp_path / "in"], cache_dir=cdir, keep_records=False)
    for p in inputs[::7]:
        p.unlink()
    copy_in(SOURCES[:9], tmp_path / "in" / "new")
    got = build([tmp_path / "in"], cache_dir=cdir, keep_records=False)
    assert snapshot.last_reused() > len(inputs) // 2
    want = build([tmp_path / "in"])
    assert list(got.tables) == list(want.tables)
    for name in want.tables:
        same(want.tables[name], got.tables[name], name)
    assert list(got.graph.nodes(data=True)) == list(want.graph.nodes(data=True))
    assert list(got.graph.edges(data=True)) == list(want.graph.edges(data=True))
    assert got.input_digests and set(got.input_digests) == set(_files([tmp_path / "in"]))


def test_input_files_lists_what_iter_input_files_lists(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from irgraph.errors import NoInputError

    root = tmp_path / "in"
    for rel in ("b/2.txt", "b/1.txt", "a/x.docx", ".hidden/h.txt", "a/.h.txt", "a/~$lock.docx", "a/Thumbs.db",
                "c/d/e/deep.txt", "top.txt", "b/sub/z.txt"):
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text("x", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    cases: list[list[Any]] = [[root], [str(root) + "/"], [root / "b", root / "a"], [root / "top.txt", root],
                              ["in"], ["./in/b"], [Path("in") / "c"], ["."], [root, root / "b"],
                              [root / "missing.txt", root], [tmp_path / "in" / ".." / "in"]]
    for case in cases:
        assert snapshot.input_files(case) == _files(case), case
    for case in ([root / "missing"], [tmp_path / "empty"]):
        (tmp_path / "empty").mkdir(exist_ok=True)
        with pytest.raises(NoInputError):
            snapshot.input_files(case)


def _synthetic(rng: random.Random, n: int) -> list[Record]:
    """Records of every shape the products tell apart: kinds, errors, codes or none, generic rows,
    per-row dates, persons None / empty, unparsed and skipped lines, vendor-table sources."""
    from irgraph.models import Attendee, Unparsed

    names = [f"机构{k}" for k in range(12)] + ["个人投资者"]
    out = []
    for k in range(n):
        atts = tuple(Attendee(rng.choice(names), rng.choice([None, "", f"人{rng.randrange(6)}"]), line_no=j + 3,
                              generic=rng.random() < 0.15, date=rng.choice([None, "", "2024-03-0" + str(j % 9 + 1)]))
                     for j in range(rng.randrange(0, 6)))
        out.append(Record(
            source=f"/in/f{k // 2}.csv#rows {k % 2}" if k % 5 == 0 else f"/in/f{k}.txt",
            kind=rng.choice(["ir_record"] * 4 + ["other"]),
            stock_code=rng.choice([None, "", "600000", "000001"]), short_name=rng.choice([None, "浦发"]),
            company=rng.choice([None, "", "甲公司", "乙公司"]), dates=rng.choice([(), ("2024-01-02",), ("2024-01-03", "x")]),
            activity_types=rng.choice([None, (), ("特定对象调研",), ("a;b", "c")]), attendees=atts,
            unparsed=tuple(Unparsed(j, f" 行{j} ", "r") for j in range(rng.randrange(0, 3))),
            skipped=tuple(Unparsed(j, f" 跳{j} ", "s") for j in range(rng.randrange(0, 2))),
            error=rng.choice([None] * 5 + ["bad"]), declared_institutions=rng.choice([None, 3]),
            warnings=rng.choice([(), ("declared 3 institutions",)]), stock_code_source=rng.choice([None, "printed"])))
    return out


@pytest.mark.parametrize("seed", range(6))
def test_products_of_columns_equal_the_plain_functions_on_every_record_shape(seed: int) -> None:
    rng = random.Random(seed)
    recs = _synthetic(rng, rng.choice([0, 1, 40, 200]))
    cols = snapshot.columns_of(recs)
    order = list(range(len(recs)))
    for _ in range(3):
        rng.shuffle(order)
        part = order[: rng.randrange(0, len(order) + 1)]
        chosen = [recs[k] for k in part]
        got = snapshot.products(cols, np.array(part, dtype=np.int64))
        rows = [(a.institution, a.person) for r in chosen for a in r.institution_rows]
        for name, want, have in (("records", records_table(chosen), got.records_table),
                                 ("unparsed", unparsed_table(chosen), got.unparsed_table),
                                 ("row_columns", row_columns(chosen), got.row_columns),
                                 ("graph_rows", graph_rows(chosen), got.graph_rows),
                                 ("names", [n for n, _ in rows], got.names),
                                 ("evidence", [(n, p) for n, p in rows if p], got.evidence)):
            same(want, have, name)
