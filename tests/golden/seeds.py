"""Records and a resolution for the seed documents, built from the gold files only.

Used by tests/test_graph.py, test_report.py and test_export.py so the graph and report tests do
not depend on the parser or the resolver.  ``institution_id`` is the gold entity name.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

from irgraph.models import Attendee, Match, Record, Resolution

GOLD = Path(__file__).resolve().parent.parent / "data" / "gold"


def seed_records() -> tuple[Record, ...]:
    """One Record per seed file, in file-name order (the results deck has kind ``other``)."""
    data = json.loads((GOLD / "seed_records.json").read_text(encoding="utf-8"))
    out = []
    for source in sorted(data):
        d = data[source]
        out.append(
            Record(
                source=source,
                kind="ir_record" if d["kind"] == "ir_record" else "other",
                stock_code=d.get("stock_code"),
                short_name=d.get("short_name"),
                company=d.get("company"),
                record_no=d.get("record_no"),
                activity_types=tuple(d["activity_types"]) if d.get("activity_types") else None,
                dates=tuple(d.get("dates") or ()),
                attendees=tuple(
                    Attendee(institution=inst, person=person, line_no=i)
                    for i, (inst, person) in enumerate(d.get("attendees") or [], start=1)
                ),
            )
        )
    return tuple(out)


def seed_resolution() -> Resolution:
    """raw name -> Match from seed_institutions.csv (institution_id = entity name)."""
    matches = {}
    with (GOLD / "seed_institutions.csv").open(encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            matches[row["raw_name"]] = Match(
                raw_name=row["raw_name"],
                institution_id=row["entity"],
                institution=row["entity"],
                group=row["group"],
                type=row["type"],
                method="registry",
                score=1.0,
                group_id=row["group"],
            )
    return Resolution(matches=matches)
