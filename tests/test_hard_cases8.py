"""Eighth held-out set (tests/data/hard8): the form fields around the attendee list in the forms real records use —
activity-type blocks with '√', '■', '●/〇', '✓/☐', '（√）/（ ）' glyphs, a '是否' column, the categories written
in words, several checked items, 其他's text after two spaces, in brackets or on the next line after
'（请文字说明其他活动内容）' (with or without '：'), all glyphs lost or collapsed to one '?' (types null); dates as
2026/3/5, 2026.03.05, 2026-03-05, 二〇二六年三月五日, zero-padded, lists ('3月5日、3月12日', with weekdays), ranges
across months and years ('至', '-', dotted), a range plus a date, 上午/下午 sessions of one day; record numbers
'2026-临-003' and 'No.2026-003' or none; headers with '688981.SH', 'SH601012', '公司代码/公司简称', '股票代码/股票简称',
'*ST' and 'C' prefixes and a full name with '（集团）'; receptionists in several title forms; places; a declared
total that disagrees with the list.

Written by an examiner who did not read the parser; each record is compared with its hand-made gold like the
dev set, and also on the fields this set's gold adds (short name, full name, record number, place, an expected
warning). Records the parser gets wrong now are marked ``xfail(strict=True)`` with the root cause in
``KNOWN_FAILURES``; remove an entry once it is fixed.
``test_hard8_set_precision_recall`` prints the attendee-row precision/recall on the whole set and keeps it
from falling below what the parser reaches today.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from goldsets import check_complete, check_form_record, check_precision_recall, load, params

GOLD_PATHS = sorted((Path(__file__).resolve().parent / "data" / "hard8").glob("*.gold.json"))


# name -> root cause (one line). strict xfail: the test fails loudly once the record parses right.
KNOWN_FAILURES: dict[str, str] = {}

PRECISION_FLOOR = 1.0  # 115 of 115 parsed rows correct (first run: 115 of 116, 0.9914)
RECALL_FLOOR = 1.0  # 115 of 115 gold rows found (first run: 115 of 115)


def test_hard8_set_is_complete() -> None:
    check_complete(GOLD_PATHS, KNOWN_FAILURES, 18)


@pytest.mark.parametrize("gold_path", list(params(GOLD_PATHS, KNOWN_FAILURES)))
def test_hard8_record_matches_gold(gold_path: Path) -> None:
    check_form_record(*load(gold_path))


def test_hard8_set_precision_recall() -> None:
    check_precision_recall("hard8 set", GOLD_PATHS, (PRECISION_FLOOR, RECALL_FLOOR))
