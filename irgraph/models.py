"""Plain, immutable data passed between the pipeline stages.

read -> :class:`Document`; parse -> :class:`Record`; resolve -> :class:`Resolution`;
graph/report/explore consume records plus a resolution.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

RECORD_KINDS = ("ir_record", "other")
STATUSES = ("ok", "count_mismatch", "no_attendees", "not_a_record", "error")


@dataclass(frozen=True, slots=True)
class Line:
    """One line of a document's text, with its 1-based line number in the extracted text."""

    no: int
    text: str


@dataclass(frozen=True)
class Document:
    """What the reader got out of one input file.

    ``text`` is the document as plain text (after decoding and Unicode clean-up); for
    structured vendor exports ``records`` holds records built directly from the table and
    ``text`` is empty.  ``error`` is a human message when the file could not be read.
    """

    source: str
    text: str = ""
    format: str = "text"  # text | docx | pdf | akshare | tushare
    encoding: str | None = None
    error: str | None = None
    records: tuple[Record, ...] | None = None

    @property
    def lines(self) -> tuple[Line, ...]:
        return tuple(Line(i, t) for i, t in enumerate(self.text.split("\n"), start=1))


@dataclass(frozen=True, slots=True)
class Attendee:
    """One attendee row as printed: institution name (never empty) and person (or None)."""

    institution: str
    person: str | None = None
    line_no: int = 0
    generic: bool = False  # a participant that is no institution (个人投资者, 投资者网上提问)
    date: str | None = None  # ISO date when the record lists attendees per date
    lines: tuple[int, ...] = ()  # every line the row was read from (wrapped names, table cells)


@dataclass(frozen=True, slots=True)
class Unparsed:
    """An attendee-section line that became no row, and why."""

    line_no: int
    text: str
    reason: str


@dataclass(frozen=True)
class Record:
    """One parsed investor-relations activity record (the fields of ``irgraph parse``)."""

    source: str
    kind: str = "ir_record"
    stock_code: str | None = None
    short_name: str | None = None
    company: str | None = None
    record_no: str | None = None
    activity_types: tuple[str, ...] | None = None
    activity_other: str | None = None
    dates: tuple[str, ...] = ()
    place: str | None = None
    receptionists: tuple[tuple[str, str | None], ...] = ()
    declared_institutions: int | None = None
    declared_persons: int | None = None
    attendees: tuple[Attendee, ...] = ()
    unparsed: tuple[Unparsed, ...] = ()
    warnings: tuple[str, ...] = ()
    error: str | None = None
    skipped: tuple[Unparsed, ...] = ()  # attendee-section lines understood as structure (headers, notes)
    format: str = "text"
    stock_code_source: str | None = None  # printed | recovered | companies_csv | bundled_companies | table

    @cached_property  # read by several tables and properties: made once per record
    def institution_rows(self) -> tuple[Attendee, ...]:
        """Attendee rows that name an institution (generic participants left out)."""
        return tuple(a for a in self.attendees if not a.generic)

    @property
    def n_institutions(self) -> int:
        return len({a.institution for a in self.institution_rows})

    @property
    def n_persons(self) -> int:
        return sum(1 for a in self.institution_rows if a.person)

    @property
    def status(self) -> str:
        if self.error:
            return "error"
        if self.kind != "ir_record":
            return "not_a_record"
        if not self.institution_rows:
            return "no_attendees"
        if any(w.startswith("declared") for w in self.warnings):
            return "count_mismatch"
        return "ok"

    @property
    def message(self) -> str:
        if self.error:
            return self.error
        if self.kind != "ir_record":
            return "not an investor-relations activity record; no attendees read"
        parts = list(self.warnings)
        if not self.institution_rows and not parts:
            parts.append("no attendee institutions named")
        if self.unparsed:
            parts.append(f"{len(self.unparsed)} attendee line(s) unparsed")
        return "; ".join(parts)

    def to_json(self) -> dict[str, Any]:
        """The JSON object of ``irgraph parse --format json`` (see docs/outputs.md)."""
        att: list[dict[str, Any]] = []
        for a in self.attendees:
            d: dict[str, Any] = {"institution": a.institution, "person": a.person}
            if a.generic:
                d["generic"] = True
            if a.date:
                d["date"] = a.date
            att.append(d)
        return {
            "source": self.source,
            "kind": self.kind,
            "stock_code": self.stock_code,
            "short_name": self.short_name,
            "company": self.company,
            "record_no": self.record_no,
            "activity_types": list(self.activity_types) if self.activity_types is not None else None,
            "activity_other": self.activity_other,
            "dates": list(self.dates),
            "place": self.place,
            "receptionists": [list(r) for r in self.receptionists],
            "declared_institutions": self.declared_institutions,
            "declared_persons": self.declared_persons,
            "attendees": att,
            "unparsed": [u.text for u in self.unparsed],
            "skipped": [{"line_no": u.line_no, "text": u.text, "reason": u.reason} for u in self.skipped],
            "warnings": list(self.warnings),
            "status": self.status,
            "error": self.error,
            "format": self.format,
            "stock_code_source": self.stock_code_source,
        }


@dataclass(frozen=True)
class Institution:
    """A canonical institution of the registry (or a cluster of unregistered names)."""

    institution_id: str
    name: str
    type: str
    group: str
    group_id: str = ""
    short_names: tuple[str, ...] = ()
    former_names: tuple[tuple[str, int | None], ...] = ()
    english_names: tuple[str, ...] = ()
    registered: bool = True
    source: str = ""
    as_of: str = ""


@dataclass(frozen=True)
class Match:
    """How one raw attendee institution name was resolved."""

    raw_name: str
    institution_id: str
    institution: str
    group: str
    type: str
    method: str  # registry | alias | normalized | fuzzy | person | cluster | override | generic
    score: float
    group_id: str = ""


@dataclass(frozen=True)
class ReviewItem:
    """An uncertain match left for a human: one row of ``review.csv``."""

    raw_institution: str
    candidate_id: str
    candidate: str
    score: float
    reason: str


@dataclass(frozen=True)
class Resolution:
    """Result of resolving a set of raw names: a match for every name, and the review queue."""

    matches: dict[str, Match] = field(default_factory=dict)
    review: tuple[ReviewItem, ...] = ()
    institutions: dict[str, Institution] = field(default_factory=dict)

    def __getitem__(self, raw_name: str) -> Match:
        return self.matches[raw_name]

    def get(self, raw_name: str) -> Match | None:
        return self.matches.get(raw_name)
