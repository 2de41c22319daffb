"""The held-out hard-case sets (tests/data/hard, hard2 … hard10): real-looking records in layouts the seeds
and the dev set do not show, each written with its hand-made gold by an examiner who did not read the
parser (each folder's README.md says what its set holds).

Every record is compared with its gold by the set's check (``goldsets``); a record the parser gets wrong
is listed in ``KNOWN_FAILURES`` as ``"set/name": "root cause"`` and runs as a strict xfail (remove the
entry once it parses right). Each set's attendee-row precision and recall are printed, on the whole set
and on its subsets (records named by a prefix), and kept at or above their floors.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from goldsets import (
    check_complete,
    check_form_record,
    check_precision_recall,
    check_record,
    check_record_or_other,
    load,
    name_of,
    params,
)

DATA = Path(__file__).resolve().parent / "data"


@dataclass(frozen=True)
class HeldOutSet:
    """One set: its folder under tests/data, how a record is checked, how many records it has at least,
    and the precision/recall floors of the whole set ("all") and of its subsets (a name prefix)."""

    folder: str
    check: Callable[[dict, Any], Any]
    minimum: int
    floors: dict[str, tuple[float, float]] = field(default_factory=lambda: {"all": (1.0, 1.0)})

    @property
    def gold_paths(self) -> list[Path]:
        return sorted((DATA / self.folder).glob("*.gold.json"))

    def known_failures(self) -> dict[str, str]:
        prefix = self.folder + "/"
        return {k.removeprefix(prefix): v for k, v in KNOWN_FAILURES.items() if k.startswith(prefix)}


# rows parsed right today in the comments; the first run's figures are in each folder's README.md
SETS = (
    HeldOutSet("hard", check_record, 30),  # 428 rows
    HeldOutSet("hard2", check_record, 35),  # 504 rows
    HeldOutSet("hard3", check_record, 40, {"all": (1.0, 1.0), "o": (1.0, 1.0), "x": (1.0, 1.0)}),  # 1372 = 828 + 544
    HeldOutSet("hard4", check_record, 40, {"all": (1.0, 1.0), "o": (1.0, 1.0), "x": (1.0, 1.0)}),  # 917 = 561 + 356
    HeldOutSet("hard5", check_record, 25),  # 669 rows
    HeldOutSet("hard6", check_record_or_other, 25),  # 619 rows
    HeldOutSet("hard7", check_record_or_other, 19),  # 140 rows
    HeldOutSet("hard8", check_form_record, 18),  # 115 rows
    HeldOutSet("hard9", check_form_record, 11),  # 59 rows
    HeldOutSet("hard10", check_form_record, 7),  # 48 rows
)

# "set/name" -> root cause (one line). strict xfail: the test fails loudly once the record parses right.
KNOWN_FAILURES: dict[str, str] = {}


def _records() -> Iterator[Any]:
    for s in SETS:
        for p in params(s.gold_paths, s.known_failures()):
            yield pytest.param(s, *p.values, id=f"{s.folder}/{p.id}", marks=p.marks)


def _subsets() -> Iterator[Any]:
    for s in SETS:
        for subset in s.floors:
            yield pytest.param(s, subset, id=f"{s.folder}[{subset}]")


@pytest.mark.parametrize("held_out", SETS, ids=lambda s: s.folder)
def test_set_is_complete(held_out: HeldOutSet) -> None:
    check_complete(held_out.gold_paths, held_out.known_failures(), held_out.minimum)
    assert (DATA / held_out.folder / "README.md").is_file()


def test_known_failures_name_a_set() -> None:
    assert {k.split("/", 1)[0] for k in KNOWN_FAILURES} <= {s.folder for s in SETS}


@pytest.mark.parametrize(("held_out", "gold_path"), list(_records()))
def test_record_matches_gold(held_out: HeldOutSet, gold_path: Path) -> None:
    held_out.check(*load(gold_path))


@pytest.mark.parametrize(("held_out", "subset"), list(_subsets()))
def test_set_precision_recall(held_out: HeldOutSet, subset: str) -> None:
    paths = [p for p in held_out.gold_paths if subset == "all" or name_of(p).startswith(subset)]
    check_precision_recall(f"{held_out.folder} [{subset}]", paths, held_out.floors[subset])
