"""Held-out vendor exports (tests/data/tables/heldout/, written by an examiner before reading the reader).

Each ``NAME.expected.json`` gives the records a file must yield, in order: stock_code, short_name,
dates, attendee rows [institution, person] in file order (generic participants such as 个人投资者
are left out of the comparison), optionally declared_institutions; or ``{"error": true}``: the
file gives exactly one record with status ``error`` and a message. How rows group into records
and how the files were made: ``make_heldout.py``.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from irgraph.parse import parse_document
from irgraph.read import read_path

HELDOUT = Path(__file__).parent / "data" / "tables" / "heldout"
FILES = sorted(p for p in HELDOUT.iterdir() if p.suffix in (".csv", ".xlsx"))

# file name -> observed root cause (strict: a fix makes the test fail until the entry is removed)
KNOWN_FAILURES: dict[str, str] = {}


def _got(path: Path) -> dict:
    records = parse_document(read_path(path))
    if len(records) == 1 and records[0].status == "error":
        return {"error": True, "message": records[0].message}
    out = []
    for r in records:
        row = {
            "stock_code": r.stock_code,
            "short_name": r.short_name,
            "dates": list(r.dates),
            "attendees": [[a.institution, a.person] for a in r.attendees if not a.generic],
        }
        out.append(row)
    return {"records": out, "_records": records}


@pytest.mark.parametrize("path", FILES, ids=[p.name for p in FILES])
def test_heldout_table(path: Path, request: pytest.FixtureRequest) -> None:
    if path.name in KNOWN_FAILURES:
        request.applymarker(pytest.mark.xfail(strict=True, reason=KNOWN_FAILURES[path.name]))
    want = json.loads(path.with_name(path.stem + ".expected.json").read_text("utf-8"))
    got = _got(path)
    if want.get("error"):
        assert got.get("error"), f"expected an error record, got {got.get('records')}"
        assert got["message"]
        return
    assert "error" not in got, got.get("message")
    records = got.pop("_records")
    assert len(got["records"]) == len(want["records"]), [(r["stock_code"], r["dates"]) for r in got["records"]]
    for g, w, rec in zip(got["records"], want["records"], records, strict=True):
        for key in ("stock_code", "short_name", "dates", "attendees"):
            assert g[key] == w[key], key
        if "declared_institutions" in w:
            assert rec.declared_institutions == w["declared_institutions"]
    for rec in records:  # missing values never become the string "nan"
        assert "'nan'" not in repr(rec.to_json()).lower()


def test_every_file_has_expectations() -> None:
    assert len(FILES) >= 10
    for p in FILES:
        assert p.with_name(p.stem + ".expected.json").exists(), p.name
