"""Parse/resolve cache and parallel parsing: hits, misses, invalidation, corruption, identity, no pickle."""

from __future__ import annotations

import ast
import contextlib
import hashlib
import json
import shutil
import sqlite3
from collections import Counter
from functools import partial
from pathlib import Path

import pytest

from irgraph import cache
from irgraph.models import Attendee, Record, Unparsed
from irgraph.parse import parse_document
from irgraph.read import read_path
from irgraph.resolve import resolve as real_resolve  # bound before any test patches it

ROOT = Path(__file__).resolve().parent.parent
DEV = sorted((ROOT / "tests" / "data" / "dev").glob("*.txt"))
SAMPLES = sorted((ROOT / "data" / "samples").glob("*.txt"))
FIXTURES = ROOT / "tests" / "fixtures"


@pytest.fixture()
def corpus(tmp_path: Path) -> list[Path]:
    """The dev records and seeds copied into a temp folder (so tests may edit them)."""
    out = []
    for p in DEV + SAMPLES:
        q = tmp_path / "in" / p.parent.name / p.name
        q.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(p, q)
        out.append(q)
    return out


def plain(paths: list[Path]) -> list[Record]:
    return [r for p in paths for r in parse_document(read_path(p))]


def as_json(records: list[Record]) -> str:
    return json.dumps([r.to_json() for r in records], ensure_ascii=False)


def db(cache_dir: Path) -> sqlite3.Connection:
    return sqlite3.connect(cache_dir / "parse.sqlite", isolation_level=None)


def entries(cache_dir: Path) -> list[str]:
    """The content hashes with a stored parse result."""
    with contextlib.closing(db(cache_dir)) as con:
        return sorted(r[0] for r in con.execute("SELECT sha256 FROM entries"))


# ------------------------------------------------------------------------------------------ parse cache


def test_no_cache_equals_plain_parse(corpus: list[Path]) -> None:
    assert cache.parse_paths(corpus) == plain(corpus)


def test_codec_round_trip_is_exact(corpus: list[Path]) -> None:
    recs = plain(corpus)
    back = cache.decode_records(json.loads(json.dumps(cache.encode_records(recs), ensure_ascii=False)))
    assert list(back) == recs and as_json(list(back)) == as_json(recs)
    odd = Record(source="x", activity_types=(), attendees=(Attendee("甲基金", None, 3, True, "2024-01-02"),),
                 unparsed=(Unparsed(1, "t", "r"),), receptionists=(("王明", None),), declared_institutions=0)
    assert cache.decode_records(json.loads(json.dumps(cache.encode_records([odd])))) == (odd,)


def test_entry_text_decodes_to_equal_records_and_bad_types_are_refused(corpus: list[Path]) -> None:
    recs = plain(corpus)
    text = json.dumps(cache.encode_records(recs), ensure_ascii=False, separators=(",", ":"))
    back = cache.decode_records_json(text)
    assert list(back) == recs and [r.to_json() for r in back] == [r.to_json() for r in recs]
    # fields the text leaves out (defaults) read as their defaults
    bare = cache.decode_records_json('[{"source": "a.txt", "attendees": [{"institution": "甲基金"}]}]')[0]
    assert (bare.kind, bare.dates, bare.attendees[0].person, bare.attendees[0].generic) == ("ir_record", (), None, False)
    assert bare.institution_rows == bare.attendees
    for bad in ('[{"source": "a.txt", "attendees": [{"institution": 5}]}]', '[{"source": "a.txt", "dates": "2024"}]',
                '[{"source": "a.txt", "receptionists": [["王明"]]}]', "{"):
        with pytest.raises(ValueError):
            cache.decode_records_json(bad)


def test_miss_then_hit(corpus: list[Path], tmp_path: Path) -> None:
    cdir = tmp_path / "cache"
    first = cache.parse_paths(corpus, cache_dir=cdir)
    assert cache.last_stats() == (len(corpus), 0, len(corpus))
    assert len(entries(cdir)) == len({p.read_bytes() for p in corpus})
    second = cache.parse_paths(corpus, cache_dir=cdir)
    assert cache.last_stats() == (len(corpus), len(corpus), 0)
    assert second == first == plain(corpus)
    assert as_json(second) == as_json(first)


def test_content_change_invalidates_one_entry(corpus: list[Path], tmp_path: Path) -> None:
    cdir = tmp_path / "cache"
    cache.parse_paths(corpus, cache_dir=cdir)
    target = corpus[0]
    target.write_text(target.read_text(encoding="utf-8").replace("国海证券徐萌", "国海证券李雷"), encoding="utf-8")
    got = cache.parse_paths(corpus, cache_dir=cdir)
    assert cache.last_stats() == (len(corpus), len(corpus) - 1, 1)
    assert got == plain(corpus)
    assert ("国海证券", "李雷") in [(a.institution, a.person) for a in got[0].attendees]


def test_same_size_same_mtime_edit_is_still_seen(corpus: list[Path], tmp_path: Path) -> None:
    """The stat index never hides an edit: ctime (which tools cannot set back) changes too."""
    import os

    cdir = tmp_path / "cache"
    cache.parse_paths(corpus, cache_dir=cdir)
    target = corpus[0]
    st = target.stat()
    text = target.read_text(encoding="utf-8")
    target.write_text(text.replace("国海证券徐萌", "国海证券李萌"), encoding="utf-8")  # same byte length
    os.utime(target, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert target.stat().st_size == st.st_size and target.stat().st_mtime_ns == st.st_mtime_ns
    got = cache.parse_paths(corpus, cache_dir=cdir)
    assert cache.last_stats().parsed == 1
    assert got == plain(corpus)


@pytest.mark.parametrize("damage", ["wrong-hash", "deleted"])
def test_a_wrong_or_lost_file_index_is_harmless(corpus: list[Path], tmp_path: Path, damage: str) -> None:
    cdir = tmp_path / "cache"
    cache.parse_paths(corpus, cache_dir=cdir)
    with contextlib.closing(db(cdir)) as con:
        con.execute("UPDATE files SET sha256 = '0000'" if damage == "wrong-hash" else "DELETE FROM files")
    assert cache.parse_paths(corpus, cache_dir=cdir) == plain(corpus)
    if damage == "deleted":
        assert cache.last_stats().hits == len(corpus)  # entries found by hashing the files instead
    cache.parse_paths(corpus, cache_dir=cdir)
    assert cache.last_stats().hits == len(corpus)
    with contextlib.closing(db(cdir)) as con:
        stored = dict(con.execute("SELECT path, sha256 FROM files"))
    assert stored == {str(p.resolve()): hashlib.sha256(p.read_bytes()).hexdigest() for p in corpus}


@pytest.mark.parametrize("garbage", [b"", b"not a database", b"SQLite format 3\x00" + b"\xff" * 200, b"\x00" * 4096])
def test_a_damaged_database_is_replaced(corpus: list[Path], tmp_path: Path, garbage: bytes) -> None:
    cdir = tmp_path / "cache"
    cache.parse_paths(corpus, cache_dir=cdir)
    (cdir / "parse.sqlite").write_bytes(garbage)
    for suffix in ("-wal", "-shm"):
        (cdir / f"parse.sqlite{suffix}").unlink(missing_ok=True)
    assert cache.parse_paths(corpus, cache_dir=cdir) == plain(corpus)
    cache.parse_paths(corpus, cache_dir=cdir)
    assert cache.last_stats().hits == len(corpus)


def test_a_cache_folder_that_cannot_be_written_is_not_used(corpus: list[Path], tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    assert cache.parse_paths(corpus, cache_dir=blocker / "cache") == plain(corpus)
    assert cache.last_stats().hits == 0


def test_moved_files_hit_and_carry_their_new_source(corpus: list[Path], tmp_path: Path) -> None:
    cdir = tmp_path / "cache"
    cache.parse_paths(corpus, cache_dir=cdir)
    moved = tmp_path / "moved"
    shutil.copytree(tmp_path / "in", moved)
    new_paths = [moved / p.parent.name / p.name for p in corpus]
    got = cache.parse_paths(new_paths, cache_dir=cdir)
    assert cache.last_stats().hits == len(corpus)
    assert [r.source for r in got] == [str(p) for p in new_paths]
    assert got == plain(new_paths)


def test_vendor_table_sources_keep_their_row_suffix() -> None:
    rec = Record(source="/old/a.csv#rows 2-5")
    assert cache._with_source(rec, "/old/a.csv", "/new/a.csv").source == "/new/a.csv#rows 2-5"
    assert cache._with_source(Record(source="/old/a.csv"), "/old/a.csv", "b.csv").source == "b.csv"


def test_parser_fingerprint_change_invalidates_everything(corpus: list[Path], tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    cdir = tmp_path / "cache"
    cache.parse_paths(corpus, cache_dir=cdir)
    monkeypatch.setattr(cache, "parser_fingerprint", lambda: "0" * 64)
    cache.parse_paths(corpus, cache_dir=cdir)
    assert cache.last_stats().hits == 0
    cache.parse_paths(corpus, cache_dir=cdir)
    assert cache.last_stats().hits == len(corpus)


def _fake_package(tmp_path: Path) -> Path:
    pkg = tmp_path / "pkg"
    shutil.copytree(ROOT / "irgraph", pkg, ignore=shutil.ignore_patterns("__pycache__"))
    return pkg


def _fake_install(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    """A copy of the package and of its bundled tables that the fingerprints read (pkg, data)."""
    import irgraph._resources as resources

    pkg = _fake_package(tmp_path)
    data = tmp_path / "data"
    data.mkdir()
    for name in ("parse_lexicon.csv", "institutions.csv", "name_rules.csv", "companies.csv"):
        shutil.copyfile(ROOT / "data" / name, data / name)
    monkeypatch.setattr(cache, "_PKG", pkg)
    monkeypatch.setattr(resources, "data_path", lambda name: data / name)
    return pkg, data


def test_fingerprints_follow_the_import_closure() -> None:
    parser_src, parser_data = cache.source_closure(cache._PARSER_ROOTS)
    for rel in ("parse.py", "attendees.py", "lexicon.py", "models.py", "normalize.py", "read/__init__.py",
                "read/docx.py", "read/pdf.py", "read/tables.py"):
        assert rel in parser_src
    assert "cache.py" not in parser_src and "pipeline.py" not in parser_src
    assert {"parse_lexicon.csv", "institutions.csv"} <= set(parser_data)
    resolver_src, resolver_data = cache.source_closure(cache._RESOLVER_ROOTS)
    assert {"resolve.py", "normalize.py", "registry.py"} <= set(resolver_src)
    assert "attendees.py" not in resolver_src and "name_rules.csv" in resolver_data


def test_fingerprint_covers_parser_sources_lexicon_and_registry_names(tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    pkg, data = _fake_install(tmp_path, monkeypatch)

    def fps() -> tuple[str, str]:
        cache.parser_fingerprint.cache_clear()
        cache.resolver_fingerprint.cache_clear()
        return cache.parser_fingerprint(), cache.resolver_fingerprint()

    try:
        base = fps()
        (pkg / "attendees.py").write_text((pkg / "attendees.py").read_text(encoding="utf-8") + "\n# change\n",
                                          encoding="utf-8")
        p1 = fps()
        assert p1[0] != base[0] and p1[1] == base[1]  # parser code: parse cache only
        with open(data / "parse_lexicon.csv", "a", encoding="utf-8") as f:
            f.write("known_name,新机构投资,\n")
        p2 = fps()
        assert p2[0] != p1[0]
        reg = (data / "institutions.csv").read_text(encoding="utf-8")
        (data / "institutions.csv").write_text(reg.replace(",2026-12-01", ",2027-01-01"), encoding="utf-8")
        assert fps()[0] == p2[0]  # as_of is no name: the parser is unaffected
        (data / "institutions.csv").write_text(reg.replace("东方红资管", "东方红资产管理公司"), encoding="utf-8")
        assert fps()[0] != p2[0]  # a registry name the parser knows changed
        (pkg / "resolve.py").write_text((pkg / "resolve.py").read_text(encoding="utf-8") + "\n# change\n",
                                        encoding="utf-8")
        p3 = fps()
        assert p3[1] != p1[1]
        with open(data / "name_rules.csv", "a", encoding="utf-8") as f:
            f.write("\n")
        assert fps()[1] != p3[1]
    finally:
        monkeypatch.undo()
        cache.parser_fingerprint.cache_clear()
        cache.resolver_fingerprint.cache_clear()


@pytest.mark.parametrize("garbage", ["", "{not json", "[1, 2]", '{"format": 1}', '[{"no_such_field": 1}]',
                                     '[{"source": 3, "attendees": "x"}]', "[]",
                                     '[{"source": "a.txt", "attendees": [{"institution": 5}]}]',
                                     '[{"source": "a.txt", "declared_institutions": true}]'])
@pytest.mark.parametrize("with_rows", [False, True], ids=["", "on_rows"])
def test_corrupt_entries_are_ignored_and_rewritten(corpus: list[Path], tmp_path: Path, garbage: str,
                                                   with_rows: bool) -> None:
    cdir = tmp_path / "cache"
    cache.parse_paths(corpus, cache_dir=cdir)
    with contextlib.closing(db(cdir)) as con:
        con.execute("UPDATE entries SET records = ?", (garbage,))
    got = cache.parse_paths(corpus, cache_dir=cdir, on_rows=(lambda rows: None) if with_rows else None)
    assert got == plain(corpus)
    assert cache.last_stats().hits == 0
    cache.parse_paths(corpus, cache_dir=cdir)
    assert cache.last_stats().hits == len(corpus)  # rewritten


def test_prune_drops_other_fingerprints_and_old_formats(corpus: list[Path], tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    cdir = tmp_path / "cache"
    (cdir / "parse" / "0123456789abcdef" / "ab").mkdir(parents=True)  # format 1: a JSON file per entry
    (cdir / "parse" / "0123456789abcdef" / "ab" / "ab00.json").write_text("{}")
    cache.parse_paths(corpus[:3], cache_dir=cdir)
    with monkeypatch.context() as m:
        m.setattr(cache, "parser_fingerprint", lambda: "f" * 64)
        cache.parse_paths(corpus, cache_dir=cdir)
    assert cache.prune(cdir) == 2  # the old folder and the other fingerprint
    assert not (cdir / "parse").exists()
    with contextlib.closing(db(cdir)) as con:
        assert {r[0] for r in con.execute("SELECT fingerprint FROM entries")} == {cache.parser_fingerprint()}
    cache.parse_paths(corpus[:3], cache_dir=cdir)
    assert cache.last_stats().hits == 3


def test_jobs_2_is_byte_identical_to_jobs_1(corpus: list[Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cache, "_MIN_PARALLEL", 1)  # use the pool even for a few files
    one = cache.parse_paths(corpus, jobs=1)
    two = cache.parse_paths(corpus, jobs=2)
    assert two == one and as_json(two) == as_json(one)
    cdir = tmp_path / "cache"
    cold = cache.parse_paths(corpus, jobs=2, cache_dir=cdir)  # workers parse, this process stores
    warm = cache.parse_paths(corpus, jobs=2, cache_dir=cdir)
    assert cache.last_stats().hits == len(corpus)
    assert as_json(cold) == as_json(warm) == as_json(one)


def test_order_is_the_input_order(corpus: list[Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cache, "_MIN_PARALLEL", 1)
    rev = corpus[::-1]
    assert [r.source for r in cache.parse_paths(rev, jobs=2)] == [str(p) for p in rev]
    cdir = tmp_path / "cache"
    cache.parse_paths(corpus[:5], cache_dir=cdir)  # some hits, some misses, interleaved
    got = cache.parse_paths(rev, jobs=2, cache_dir=cdir)
    assert got == plain(rev)


def test_unreadable_file_is_an_error_record_and_not_cached(tmp_path: Path) -> None:
    missing = tmp_path / "gone.txt"
    (tmp_path / "empty.txt").write_bytes(b"")
    got = cache.parse_paths([missing, tmp_path / "empty.txt"], cache_dir=tmp_path / "cache")
    assert [r.status for r in got] == ["error", "error"]
    assert got == plain([missing, tmp_path / "empty.txt"])


def test_module_never_pickles() -> None:
    src = Path(cache.__file__).read_text(encoding="utf-8")
    tree = ast.parse(src)
    banned = {"pickle", "cPickle", "_pickle", "marshal", "shelve", "dill", "cloudpickle", "joblib"}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            assert not {a.name.split(".")[0] for a in node.names} & banned
        elif isinstance(node, ast.ImportFrom):
            assert (node.module or "").split(".")[0] not in banned
        elif isinstance(node, ast.Name | ast.Attribute):
            name = node.id if isinstance(node, ast.Name) else node.attr
            assert name not in banned | {"loads_pickle", "Unpickler"}


# ------------------------------------------------------------------------------------------ resolve cache


def _rows(paths: list[Path]) -> tuple[list[str], list[tuple[str, str | None]]]:
    rows = [(a.institution, a.person) for r in plain(paths) for a in r.institution_rows]
    return [n for n, _ in rows], [(n, p) for n, p in rows if p]


@pytest.fixture()
def spy(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    import importlib

    mod = importlib.import_module("irgraph.resolve")  # `irgraph.resolve` the attribute is the function
    calls: list[int] = []
    real = mod.resolve

    def counting(*a, **k):  # type: ignore[no-untyped-def]
        calls.append(1)
        return real(*a, **k)

    monkeypatch.setattr(mod, "resolve", counting)
    return calls


def _same(a, b) -> None:  # type: ignore[no-untyped-def]
    assert a == b
    assert list(a.matches) == list(b.matches) and list(a.institutions) == list(b.institutions)


def test_resolve_cached_hits_and_equals_resolve(tmp_path: Path, spy: list[int]) -> None:
    resolve = real_resolve
    names, ev = _rows(DEV + SAMPLES)
    ref = resolve(names, evidence=ev)
    rnames, rev = names[::-1], ev[::-1]
    ref_rev = resolve(rnames, evidence=rev)
    spy.clear()
    kw = {"registry_path": None, "overrides_path": None, "cache_dir": tmp_path / "c"}
    _same(cache.resolve_cached(names, ev, **kw), ref)
    _same(cache.resolve_cached(names, ev, **kw), ref)
    assert len(spy) == 1
    # the same multiset in another order hits, and matches follow the new order
    got = cache.resolve_cached(rnames, rev, **kw)
    assert len(spy) == 1
    _same(got, ref_rev)
    # one more occurrence of a name, or one more evidence pair: a different key
    cache.resolve_cached([*names, names[0]], ev, **kw)
    cache.resolve_cached(names, [*ev, (names[0], "王明")], **kw)
    assert len(spy) == 3
    assert cache.resolve_cached(names, ev, cache_dir=None, registry_path=None, overrides_path=None) == ref


def test_registry_and_overrides_changes_invalidate(tmp_path: Path, spy: list[int]) -> None:
    from irgraph.registry import load_registry
    from irgraph.resolve import load_overrides

    resolve = real_resolve

    names, ev = _rows(DEV)
    reg = tmp_path / "reg.csv"
    ov = tmp_path / "ov.csv"
    shutil.copyfile(FIXTURES / "registry_small.csv", reg)
    shutil.copyfile(FIXTURES / "overrides_basic.csv", ov)
    kw = {"registry_path": reg, "overrides_path": ov, "cache_dir": tmp_path / "c"}
    spy.clear()
    first = cache.resolve_cached(names, ev, **kw)
    _same(first, resolve(names, registry=load_registry(reg), overrides=load_overrides(ov), evidence=ev))
    cache.resolve_cached(names, ev, **kw)
    assert len(spy) == 1
    reg.write_text(reg.read_text(encoding="utf-8") + "sec-9001,国海证券股份有限公司,国海证券,,,证券公司,国海证券,test,"
                   "2026-01-01\n", encoding="utf-8")
    got = cache.resolve_cached(names, ev, **kw)
    assert len(spy) == 2
    assert got["国海证券"].institution_id == "sec-9001"
    ov.write_text(ov.read_text(encoding="utf-8") + "cannot_link,国海证券,sec-9001,test\n", encoding="utf-8")
    got = cache.resolve_cached(names, ev, **kw)
    assert len(spy) == 3 and got["国海证券"].institution_id != "sec-9001"
    _same(got, resolve(names, registry=load_registry(reg), overrides=load_overrides(ov), evidence=ev))
    cache.resolve_cached(names, ev, **{**kw, "overrides_path": None})
    assert len(spy) == 4


def test_corrupt_resolution_entry_is_recomputed(tmp_path: Path, spy: list[int]) -> None:
    names, ev = _rows(SAMPLES)
    kw = {"registry_path": None, "overrides_path": None, "cache_dir": tmp_path / "c"}
    ref = cache.resolve_cached(names, ev, **kw)
    for garbage in (b"", b"{", b'{"format": 1, "key": "x"}', b"\xff\xfe"):
        for e in (tmp_path / "c" / "resolve").glob("*.json"):
            e.write_bytes(garbage)
        _same(cache.resolve_cached(names, ev, **kw), ref)
    n = len(spy)
    cache.resolve_cached(names, ev, **kw)
    assert len(spy) == n  # rewritten and hit again


def test_resolver_memo_is_reused_and_never_changes_a_result(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A miss reuses the comparisons of the last resolution kept in the cache (resolve/memo.msgpack):
    one more name compares only what it touches, and the result equals an uncached resolve. A memo
    of other code, or one that does not decode, is ignored."""
    import importlib

    mod = importlib.import_module("irgraph.resolve")
    names, ev = _rows(DEV + SAMPLES)
    kw = {"registry_path": None, "overrides_path": None, "cache_dir": tmp_path / "c"}
    more = [*names, "宏道投资管理有限公司", "鸿道投资"]
    ref, ref_more = real_resolve(names, evidence=ev), real_resolve(more, evidence=ev)
    compared: list[int] = []
    real_compare = mod._compare
    monkeypatch.setattr(mod, "_compare", lambda a, b: compared.append(1) or real_compare(a, b))
    _same(cache.resolve_cached(names, ev, **kw), ref)
    memo_file = tmp_path / "c" / "resolve" / "memo.msgpack"
    cold = len(compared)
    assert memo_file.is_file() and cold > 0
    compared.clear()
    _same(cache.resolve_cached(more, ev, **kw), ref_more)
    assert 0 < len(compared) < cold / 4
    for spoil in ("fingerprint", "garbage"):
        if spoil == "fingerprint":
            monkeypatch.setattr(cache, "resolver_fingerprint", lambda: "other code")
        else:
            memo_file.write_bytes(b"\x93\x01")
        for e in (tmp_path / "c" / "resolve").glob("*.json"):
            e.unlink()
        compared.clear()
        _same(cache.resolve_cached(more, ev, **kw), ref_more)
        assert len(compared) >= cold


def test_entry_sizes_spare_the_key_and_never_make_a_hit(tmp_path: Path, spy: list[int],
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """Entries are named by the sizes of their multisets, then the key: a lookup with sizes no entry
    has is a miss without hashing the key (store() hashes it after the result is handed over); one
    with an entry of equal sizes hashes it, and hits only on the same multisets."""
    from collections import Counter

    names, ev = _rows(DEV)
    key = cache.resolution_key(names, ev, registry_path=None, overrides_path=None)
    kw = {"registry_path": None, "overrides_path": None, "cache_dir": tmp_path / "c"}
    hashed: list[int] = []
    real_key = cache._counted_key
    monkeypatch.setattr(cache, "_counted_key", lambda *a, **k: hashed.append(1) or real_key(*a, **k))
    res, store = cache.resolve_and_store(names, ev, **kw)
    assert hashed == [] and len(spy) == 1
    store()
    assert hashed == [1]
    [entry] = (tmp_path / "c" / "resolve").glob("*.json")
    assert entry.name == f"{len(names)}-{len(set(names))}-{len(ev)}-{len(set(ev))}-{key}.json"
    _same(cache.resolve_cached(names[::-1], ev[::-1], **kw), real_resolve(names[::-1], evidence=ev[::-1]))
    assert len(spy) == 1 and hashed == [1, 1]  # same sizes: hashed, and a hit
    # another multiset of the same sizes (one occurrence of a repeated name given to another name)
    counts = Counter(names)
    twice = next(n for n in names if counts[n] > 1)
    i = names.index(twice)
    same_sizes = [*names[:i], next(n for n in names if n != twice), *names[i + 1:]]
    hashed.clear()
    _same(cache.resolve_cached(same_sizes, ev, **kw), real_resolve(same_sizes, evidence=ev))
    assert len(spy) == 2 and hashed == [1]  # hashed for the lookup (a miss), and that key stored
    hashed.clear()
    more = [*names, "另一家投资管理有限公司"]
    res, store = cache.resolve_and_store(more, ev, **kw)
    assert hashed == [] and len(spy) == 3
    _same(res, real_resolve(more, evidence=ev))


def test_rows_counted_once_give_the_keys_of_the_plain_ones() -> None:
    """_count_rows counts the names and the (name, person) pairs as the key and resolve need them,
    whatever shape the pairs come in (lists, tuples of a tuple subclass); the key is resolution_key's."""
    from collections import Counter, namedtuple

    names, ev = _rows(SAMPLES)
    pair = namedtuple("pair", "name person")
    for given in (ev, [list(e) for e in ev], [pair(*e) for e in ev], [*ev, (names[0], None)]):
        nc, pc = cache._count_rows(names, given)
        assert nc == Counter(names) and list(nc) == list(dict.fromkeys(names))
        assert pc == Counter((n, p) for n, p in given) and all(type(e) is tuple for e in pc)
        assert cache._counted_key(nc, pc, registry_path=None, overrides_path=None) == cache.resolution_key(
            names, [tuple(e) for e in given], registry_path=None, overrides_path=None)
    with pytest.raises(ValueError):
        cache._count_rows(names, [(names[0], "王明", "x")])


def test_resolve_and_store_hands_the_result_over_before_storing(tmp_path: Path) -> None:
    """resolve_and_store: the resolution first, then the function that writes the entry and the memo
    (a forked resolution sends the result before storing); resolve_cached then hits."""
    names, ev = _rows(SAMPLES)
    kw = {"registry_path": None, "overrides_path": None, "cache_dir": tmp_path / "c"}
    res, store = cache.resolve_and_store(names, ev, **kw)
    assert not (tmp_path / "c" / "resolve").exists() or not list((tmp_path / "c" / "resolve").iterdir())
    store()
    assert sorted(p.suffix for p in (tmp_path / "c" / "resolve").iterdir()) == [".json", ".msgpack"]
    again, nothing = cache.resolve_and_store(names, ev, **kw)
    _same(again, res)
    nothing()
    _same(res, real_resolve(names, evidence=ev))


def test_resolve_and_store_given_the_counts_resolves_and_stores_the_same(tmp_path: Path) -> None:
    """counted=(Counter(names), set(evidence)) (what a build counts from the rows' codes) gives the
    resolution, entry and memo of counting the lists here."""
    from collections import Counter

    names, ev = _rows(SAMPLES)
    outs = []
    for counted in (None, (Counter(names), set(ev))):
        cdir = tmp_path / ("counted" if counted else "plain")
        res, store = cache.resolve_and_store(names, ev, registry_path=None, overrides_path=None, cache_dir=cdir,
                                             counted=counted)
        store()
        outs.append((res, {p.name: p.read_bytes() for p in (cdir / "resolve").iterdir()}))
    _same(outs[0][0], outs[1][0])
    assert outs[0][1] == outs[1][1]


def _parse_into(args: tuple[list[str], str]) -> int:
    paths, cdir = args
    return len(cache.parse_paths(paths, cache_dir=cdir))


def test_two_builds_can_share_a_cache_at_the_same_time(corpus: list[Path], tmp_path: Path) -> None:
    """Both write their entries (SQLite waits for the other's transaction); nothing is lost or damaged."""
    import concurrent.futures as cf

    cdir = str(tmp_path / "cache")
    paths = [str(p) for p in corpus]
    with cf.ProcessPoolExecutor(max_workers=2) as ex:
        counts = list(ex.map(_parse_into, [(paths, cdir), (paths[::-1], cdir)]))
    assert counts == [len(plain(corpus))] * 2
    assert cache.parse_paths(corpus, cache_dir=cdir) == plain(corpus)
    assert cache.last_stats().hits == len(corpus)
    assert len(entries(Path(cdir))) == len({p.read_bytes() for p in corpus})


def test_on_rows_gets_every_institution_row_before_the_records(corpus: list[Path], tmp_path: Path) -> None:
    """What build starts resolving early: the institution rows of the records parse_paths returns
    (as a multiset), whether they come from the parser or from stored entries."""
    from collections import Counter

    cdir = tmp_path / "cache"
    for _ in ("cold", "warm"):
        seen: list[list[tuple[str, str | None]]] = []
        got = cache.parse_paths(corpus, cache_dir=cdir, on_rows=seen.append)
        assert got == plain(corpus) and len(seen) == 1
        rows = [(a.institution, a.person) for r in got for a in r.institution_rows]
        assert rows and Counter(seen[0]) == Counter(rows)
    assert cache.last_stats().hits == len(corpus)


def _ast_references(text: str) -> tuple[set[str], set[str]]:
    """What Python's parser says a module imports and names in data_path("...") (the reference)."""
    import ast

    mods: set[str] = set()
    data: set[str] = set()
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.Import):
            mods |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            mods |= {node.module} | {f"{node.module}.{a.name}" for a in node.names}
        elif (isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", "")) == "data_path"
              and node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)):
            data.add(node.args[0].value)
    return mods, data


def test_module_references_find_every_import_the_parser_finds() -> None:
    """The text scan behind the fingerprints misses nothing Python's parser sees, in every module of
    the package and in the import forms Python allows."""
    sources = sorted((ROOT / "irgraph").rglob("*.py"))
    assert len(sources) >= 20
    tricky = (
        "import os, irgraph.graph as g\n"
        "from irgraph.read import (\n    docx,  # a comment\n    pdf as p,\n)\n"
        "if True: import irgraph.export; from irgraph import report\n"
        "from irgraph.models \\\n    import Record\n"
        "def f():\n    from irgraph import explore\n    return data_path('a.csv'), data_path(\"b.csv\")\n"
        "from . import relative\n"
    )
    for text in [p.read_text(encoding="utf-8") for p in sources] + [tricky]:
        mods, data = cache.module_references(text)
        want_mods, want_data = _ast_references(text)
        irgraph_mods = {m for m in want_mods if m == "irgraph" or m.startswith("irgraph.")}
        assert irgraph_mods <= set(mods)
        assert want_data <= set(data)
    mods, data = cache.module_references(tricky)
    assert {"irgraph.graph", "irgraph.read.docx", "irgraph.read.pdf", "irgraph.export", "irgraph.report",
            "irgraph.models", "irgraph.explore"} <= set(mods)
    assert set(data) == {"a.csv", "b.csv"} and "relative" not in " ".join(mods)


def test_build_fingerprint_covers_every_package_file_and_bundled_table(tmp_path: Path,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """Any module, template or bundled table the modules name changes the key of a whole build."""
    pkg, data = _fake_install(tmp_path, monkeypatch)

    def fp() -> str:
        cache.build_fingerprint.cache_clear()
        return cache.build_fingerprint()

    seen = {fp()}
    for path in (pkg / "report.py", pkg / "templates" / sorted(p.name for p in (pkg / "templates").iterdir())[0],
                 data / "institutions.csv"):
        path.write_bytes(path.read_bytes() + b"\n")
        seen.add(fp())
    assert len(seen) == 4
    cache.build_fingerprint.cache_clear()


def test_stored_memo_loads_as_the_memo_resolve_left(tmp_path: Path) -> None:
    """store_memo then load_memo gives back every table of the memo a resolution left, its fuzzy stage
    (registry nodes' digest, units, outcomes of the node pairs) included; a memo without a fuzzy
    stage loads without one."""
    from irgraph.normalize import prime_name_infos
    from irgraph.registry import default_registry
    from irgraph.resolve import ResolveMemo

    names, ev = _rows(DEV + SAMPLES)
    memo = ResolveMemo()
    res = real_resolve(names, evidence=ev, memo=memo)
    assert memo.fuzzy is not None and memo.fuzzy[1] and memo.fuzzy[2]
    path = tmp_path / "memo.msgpack"
    try:
        for stored in (memo, ResolveMemo(memo.blocks, memo.pairs, memo.evidence, memo.lookups, memo.types)):
            cache.store_memo(path, stored, res.matches, default_registry())
            assert cache.load_memo(path) == stored
    finally:
        prime_name_infos(())


def test_a_prepared_resolution_equals_the_plain_one(tmp_path: Path) -> None:
    """A forked child that loaded the registry and memo before it knew the names (what a warm
    build forks while it reads) resolves them as resolve_and_store does, in a cache with a memo."""
    from irgraph._io import PreparedCall

    names = ["兴业证券", "兴业证券股份有限公司", "兴业银行", "中金公司", "长江证券(上海)资产", "某某投资", "某某投资"]
    ev = [("兴业证券", "张三"), ("某某投资", "李四"), ("某某投资", "李四")]
    cdir = tmp_path / "c"
    plain, store = cache.resolve_and_store(names, ev, registry_path=None, overrides_path=None, cache_dir=cdir)
    store()  # (a memo now: what the prepared child loads)
    assert cache.has_resolver_memo(cdir)
    setup = cache.load_resolver(registry_path=None, overrides_path=None, cache_dir=cdir)
    here, _ = cache.resolve_prepared(setup, len(names), len(ev), Counter(names), Counter(ev))
    assert here == plain and list(here.matches) == list(plain.matches)
    call = PreparedCall.start(partial(cache.load_resolver, registry_path=None, overrides_path=None, cache_dir=cdir),
                              cache.resolve_prepared)
    if call is None:  # (no fork here)
        return
    forked = call.give(len(names), len(ev), Counter(names), Counter(ev)).result(lambda: None)
    assert forked == plain and list(forked.matches) == list(plain.matches)
    bad = PreparedCall.start(partial(cache.load_resolver, registry_path=tmp_path / "missing.csv",
                                     overrides_path=None, cache_dir=cdir), cache.resolve_prepared)
    assert bad is not None
    assert bad.give(len(names), len(ev), Counter(names), Counter(ev)).result(lambda: "fallback") == "fallback"
