"""Shared by the gold-set tests: compare a parsed record with a hand-made gold file (dev-set format).

Attendee rows are compared as a multiset after NFKC, whitespace removal and bracket unification (like
``../shared/tools/score_dev.py``), then in document order.
"""

from __future__ import annotations

import json
import unicodedata
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path

import pytest

from irgraph.models import Record
from irgraph.parse import parse_document
from irgraph.read import read_path

BRACKETS = str.maketrans({"（": "(", "）": ")"})


def norm(s: str | None) -> str | None:
    if s is None:
        return None
    return "".join(unicodedata.normalize("NFKC", s).split()).translate(BRACKETS)


def rows(rec: Record) -> list[tuple[str, str | None]]:
    return [(a.institution, a.person) for a in rec.attendees if not a.generic]


def multiset(pairs: Iterable[tuple[str, str | None]]) -> Counter:
    return Counter((norm(i), norm(p) or None) for i, p in pairs)


def text_of(gold_path: Path) -> Path:
    return gold_path.with_name(gold_path.name.replace(".gold.json", ".txt"))


def load(gold_path: Path) -> tuple[dict, Record]:
    gold = json.loads(gold_path.read_text(encoding="utf-8"))
    (rec,) = parse_document(read_path(text_of(gold_path)))
    return gold, rec


def name_of(gold_path: Path) -> str:
    return gold_path.name.split(".")[0]


def params(gold_paths: Iterable[Path], known_failures: Mapping[str, str]) -> Iterator:
    """One pytest param a gold file; known failures are strict xfails with their root cause."""
    for p in gold_paths:
        reason = known_failures.get(name_of(p))
        marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
        yield pytest.param(p, id=name_of(p), marks=marks)


def check_complete(gold_paths: list[Path], known_failures: Mapping[str, str], minimum: int) -> None:
    assert len(gold_paths) >= minimum
    assert set(known_failures) <= {name_of(p) for p in gold_paths}
    for p in gold_paths:
        assert text_of(p).is_file(), p.name


def check_record(gold: dict, rec: Record) -> None:
    """Every field the gold states: code, types, 其他 text, dates, attendee rows (multiset and order), totals."""
    assert rec.kind == "ir_record"
    if gold.get("stock_code_printed") is False:
        assert rec.stock_code is None
    else:
        assert rec.stock_code == gold["stock_code"]
    types = gold["activity_types_checked"]
    assert rec.activity_types == (tuple(types) if types is not None else None)
    assert rec.activity_other == gold["activity_other"]
    assert list(rec.dates) == gold["dates"]
    assert multiset(rows(rec)) == multiset(gold["attendees"])
    assert [norm(i) for i, _ in rows(rec)] == [norm(a[0]) for a in gold["attendees"]]  # document order
    for g in gold["generic_attendees"]:
        assert all(norm(g) not in norm(i) for i, _ in rows(rec))
    if "declared_counts" in gold:
        declared = gold.get("declared_counts") or {}
        assert rec.declared_institutions == declared.get("institutions")
        assert rec.declared_persons == declared.get("persons")


def check_record_or_other(gold: dict, rec: Record) -> bool:
    """:func:`check_record`; for a ``kind: other`` gold, that the document is no record and gave no
    row. True when the gold is a record (its other fields are then worth checking)."""
    if gold.get("kind") == "other":
        assert rec.kind == "other"
        assert rows(rec) == []
        return False
    check_record(gold, rec)
    return True


def check_form_record(gold: dict, rec: Record) -> None:
    """:func:`check_record` plus the fields the later held-out sets' gold adds (short name, full name,
    record number, place, an expected warning); a ``kind: other`` gold wants no rows."""
    if not check_record_or_other(gold, rec):
        return
    assert norm(rec.short_name) == norm(gold["stock_name"])
    assert norm(rec.company) == norm(gold["company_full_name"])
    assert rec.record_no == gold["record_no"]
    assert norm(rec.place) == norm(gold["place"])
    if "expect_warning" in gold:
        assert any(gold["expect_warning"] in w for w in rec.warnings), rec.warnings


def check_precision_recall(label: str, paths: list[Path], floors: tuple[float, float]) -> None:
    """Attendee-row precision and recall over ``paths``: printed, and kept at or above ``floors``."""
    assert paths
    tp = n_pred = n_gold = 0
    for p in paths:
        gold, rec = load(p)
        want, got = multiset(gold["attendees"]), multiset(rows(rec))
        tp += sum((want & got).values())
        n_pred += sum(got.values())
        n_gold += sum(want.values())
    precision = tp / n_pred if n_pred else 1.0
    recall = tp / n_gold if n_gold else 1.0
    print(f"\n{label}: {len(paths)} records, {n_gold} gold rows, {n_pred} parsed rows, {tp} correct; "
          f"precision {precision:.4f} recall {recall:.4f}")
    assert precision >= floors[0]
    assert recall >= floors[1]
