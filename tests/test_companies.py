"""The bundled A-share table (data/companies.csv) and its use as the last source of missing stock codes."""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

import irgraph.parse as parse_mod
from irgraph.lexicon import nkey
from irgraph.models import Record
from irgraph.parse import load_companies, parse_document, parse_text, recover_stock_codes
from irgraph.read import read_path

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "data" / "samples"
TABLE = ROOT / "data" / "companies.csv"
SEED = SAMPLES / "001_5384b618997184ac.txt"  # 北京海天瑞声科技股份有限公司, prints no 证券代码


def parse_file(path: Path) -> Record:
    (rec,) = parse_document(read_path(path))
    return rec


def record(code_line: str) -> Record:
    """A small record whose title names 测试股份有限公司 (not a listed company) and whose first line is ``code_line``."""
    text = (f"{code_line}\n测试股份有限公司投资者关系活动记录表\n编号：2025-001\n投资者关系活动类别\n☑特定对象调研\n"
            "参与单位名称及人员姓名\n中信证券 张三\n时间 2025年3月5日\n地点 公司会议室\n"
            "上市公司接待人员姓名\n董事会秘书 王明\n投资者关系活动主要内容介绍\n1、问：经营情况？\n答：良好。\n")
    return parse_text(text, "fixture.txt")


@pytest.fixture()
def no_run_cache() -> Iterator[None]:
    """Read the bundled table anew in this test (the module keeps it once read), and after it."""
    parse_mod._bundled_companies.cache_clear()
    yield
    parse_mod._bundled_companies.cache_clear()


def test_single_seed_file_gets_its_code_from_the_bundled_table() -> None:
    rec = parse_file(SEED)
    assert rec.stock_code is None and rec.short_name is None
    (fixed,) = recover_stock_codes([rec])
    assert (fixed.stock_code, fixed.short_name, fixed.stock_code_source) == ("688787", "海天瑞声", "bundled_companies")


def test_another_record_of_the_run_comes_first() -> None:
    records = recover_stock_codes([parse_file(p) for p in sorted(SAMPLES.glob("*.txt"))])
    rec = next(r for r in records if Path(r.source).name == SEED.name)
    assert (rec.stock_code, rec.stock_code_source) == ("688787", "recovered")


def test_user_companies_table_wins_over_the_bundled_one(tmp_path: Path) -> None:
    user = tmp_path / "companies.csv"
    user.write_text("code,company\n600001,北京海天瑞声科技股份有限公司\n", encoding="utf-8")
    (fixed,) = recover_stock_codes([parse_file(SEED)], load_companies(user))
    assert (fixed.stock_code, fixed.stock_code_source) == ("600001", "companies_csv")


def test_short_name_when_the_full_name_is_unknown() -> None:
    (fixed,) = recover_stock_codes([record("证券简称：海天瑞声")])
    assert fixed.company == "测试股份有限公司"
    assert (fixed.stock_code, fixed.short_name, fixed.stock_code_source) == ("688787", "海天瑞声", "bundled_companies")


def test_ambiguous_short_name_gives_no_code() -> None:
    _full, short = parse_mod._bundled_companies()
    assert short[nkey("东风股份")] is None  # 600006's name now, 601515's before: two codes
    (fixed,) = recover_stock_codes([record("证券简称：东风股份")])
    assert (fixed.stock_code, fixed.stock_code_source) == (None, None)


def test_unknown_company_gets_no_code() -> None:
    (fixed,) = recover_stock_codes([record("")])
    assert (fixed.company, fixed.stock_code) == ("测试股份有限公司", None)


@pytest.mark.usefixtures("no_run_cache")
def test_missing_bundled_table_does_not_break_parsing(monkeypatch: pytest.MonkeyPatch) -> None:
    def missing(name: str) -> Path:
        raise FileNotFoundError(name)

    monkeypatch.setattr("irgraph._resources.data_path", missing)
    (fixed,) = recover_stock_codes([parse_file(SEED)])
    assert fixed.stock_code is None


@pytest.mark.usefixtures("no_run_cache")
def test_broken_bundled_table_does_not_break_parsing(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    broken = tmp_path / "companies.csv"
    broken.write_bytes(b"code,short_name,company\n688787,\xff\xfe\x00broken")
    monkeypatch.setattr("irgraph._resources.data_path", lambda name: broken)
    (fixed,) = recover_stock_codes([parse_file(SEED)])
    assert fixed.stock_code is None


def test_table_shape() -> None:
    with open(TABLE, encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f)
        assert {"code", "short_name", "company", "former_short_names"} <= set(reader.fieldnames or ())
        rows = list(reader)
    assert len(rows) > 5000
    codes = [r["code"] for r in rows]
    assert all(re.fullmatch(r"\d{6}", c) for c in codes)
    assert len(set(codes)) == len(codes)
    prefix = {"SSE": r"6", "SZSE": r"[03]", "BSE": r"[489]"}
    assert all(re.match(prefix[r["exchange"]], r["code"]) for r in rows)
    assert not any(c.startswith(("200", "900")) for c in codes)  # no B-shares
    for r in rows:
        assert r["short_name"].strip() and r["short_name"] == r["short_name"].strip()
        for col in ("former_short_names", "former_companies"):
            assert not r[col] or all(n and n == n.strip() for n in r[col].split(";"))
    listed = [r for r in rows if r["status"] == "L"]
    assert sum(1 for r in listed if not r["company"]) <= 5  # listed rows nearly all have a full name
    assert all("公司" in r["company"] for r in rows if r["company"])
