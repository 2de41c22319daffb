"""Schema checks for the curated institution registry ``data/institutions.csv``.

The rules are those of ``docs/registry.md``. Only the standard library and pytest are used,
and the CSV is read with :mod:`csv` (not through ``irgraph.registry``), so that these checks
hold for the file itself whatever the loader does.
"""

from __future__ import annotations

import csv
import re
import unicodedata
from collections import defaultdict
from datetime import date
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
REGISTRY = ROOT / "data" / "institutions.csv"
SEED = ROOT / "tests" / "data" / "gold" / "seed_institutions.csv"

HEADER = [
    "institution_id",
    "name",
    "short_names",
    "former_names",
    "english_names",
    "type",
    "group",
    "source",
    "as_of",
]

PREFIX_TYPE = {
    "sec": "证券公司",
    "fund": "基金管理公司",
    "ins": "保险公司",
    "insam": "保险资产管理公司",
    "pen": "养老金管理公司",
    "am": "资产管理公司",
    "wm": "理财公司",
    "bank": "银行",
    "trust": "信托公司",
    "fut": "期货公司",
    "pe": "私募基金",
    "inv": "投资公司",
    "for": "海外机构",
    "other": "其它",
}

TYPES = {
    "证券公司",
    "基金管理公司",
    "保险公司",
    "保险资产管理公司",
    "养老金管理公司",
    "资产管理公司",
    "理财公司",
    "私募基金",
    "投资公司",
    "信托公司",
    "银行",
    "期货公司",
    "海外机构",
    "上市公司",
    "其它",
}

ID_RE = re.compile(r"^(sec|fund|ins|insam|pen|am|wm|bank|trust|fut|pe|inv|for|other)-\d{4}$")
FORMER_RE = re.compile(r"^(?P<name>\S(?:.*\S)?)@(?P<year>\d{4})$")
SINGLE = "single-source"
# Types whose seed institutions must all be covered by the registry.
COVERED_TYPES = {"证券公司", "基金管理公司", "保险资产管理公司", "养老金管理公司", "保险公司", "信托公司"}
MIN_ENTRIES = 400


def key(text: str) -> str:
    """The comparison key of a name: NFKC, no whitespace, ASCII letters case-folded."""
    folded = unicodedata.normalize("NFKC", text)
    folded = folded.replace("（", "(").replace("）", ")")
    return re.sub(r"\s+", "", folded).casefold()


def split(cell: str) -> list[str]:
    return [part for part in cell.split(";") if part.strip()]


def former_name(part: str) -> str:
    match = FORMER_RE.match(part)
    return match.group("name") if match else part


def load_rows() -> list[dict[str, str]]:
    with REGISTRY.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def rows() -> list[dict[str, str]]:
    return load_rows()


def test_file_is_utf8_without_bom_and_lf_line_ends() -> None:
    raw = REGISTRY.read_bytes()
    assert not raw.startswith(b"\xef\xbb\xbf"), "UTF-8 BOM at the start of the file"
    raw.decode("utf-8")
    assert b"\r" not in raw, "CR line ends: write with lineterminator='\\n'"
    assert raw.endswith(b"\n")


def test_header_is_exactly_the_documented_one() -> None:
    with REGISTRY.open(encoding="utf-8", newline="") as handle:
        header = next(csv.reader(handle))
    assert header == HEADER


def test_every_row_has_every_column(rows: list[dict[str, str]]) -> None:
    for row in rows:
        assert None not in row, f"extra cells in {row}"
        assert all(row[column] is not None for column in HEADER), f"missing cells in {row}"
        for column in HEADER:
            assert row[column] == row[column].strip(), f"{row['institution_id']}: {column} padded"
        for column in ("institution_id", "name", "type", "group", "source", "as_of"):
            assert row[column], f"{row['institution_id']}: empty {column}"


def test_enough_entries(rows: list[dict[str, str]]) -> None:
    assert len(rows) >= MIN_ENTRIES


def test_ids_are_unique_well_formed_and_match_the_type(rows: list[dict[str, str]]) -> None:
    ids = [row["institution_id"] for row in rows]
    assert len(ids) == len(set(ids)), "duplicate institution_id"
    for row in rows:
        ident = row["institution_id"]
        assert ID_RE.match(ident), f"malformed id {ident!r}"
        prefix = ident.split("-")[0]
        assert PREFIX_TYPE[prefix] == row["type"], f"{ident}: prefix {prefix} but type {row['type']}"


def test_rows_are_sorted_by_id(rows: list[dict[str, str]]) -> None:
    ids = [row["institution_id"] for row in rows]
    assert ids == sorted(ids)


def test_types_are_documented(rows: list[dict[str, str]]) -> None:
    for row in rows:
        assert row["type"] in TYPES, f"{row['institution_id']}: unknown type {row['type']!r}"


def test_as_of_is_an_iso_date(rows: list[dict[str, str]]) -> None:
    for row in rows:
        date.fromisoformat(row["as_of"])


def test_names_are_unique(rows: list[dict[str, str]]) -> None:
    seen: dict[str, str] = {}
    for row in rows:
        k = key(row["name"])
        assert k not in seen, f"{row['institution_id']} and {seen[k]} share the name {row['name']}"
        seen[k] = row["institution_id"]


# Our own test data is provenance, not independent public evidence.
PRIVATE_PREFIXES = ("gold:", "dev:")
# References by one author count as one source (docs/registry.md, "References in `source`").
SAME_SOURCE = {
    "repo:DiamonWoo/Laosheng.top/fuwu/jinrong.md": "laosheng",
    "repo:DiamonWoo/Laosheng.top/fuwu/jinrong-2023.md": "laosheng",
    "index:48158063077": "hxjob",
    "index:48055527538": "hxjob",
    "repo:wangcheng/china-wealth-data/README.md": "china-wealth-data",
    "repo:wangcheng/china-wealth-data/docs/abc/README.md": "china-wealth-data",
    "repo:wangcheng/china-wealth-data/docs/ccb/examples/getProducts.json": "china-wealth-data",
}


def test_sources_two_or_marked_single_source(rows: list[dict[str, str]]) -> None:
    """Two independent public references, or the ``single-source`` mark.

    ``gold:``/``dev:`` references (this repository's test data) may be listed as provenance but
    never count as a source; an entry whose public references come from fewer than two
    independent origins must be marked ``single-source`` and then lists at most one public
    reference.
    """
    for row in rows:
        parts = split(row["source"])
        refs = [part for part in parts if part != SINGLE]
        assert len(refs) == len(set(refs)), f"{row['institution_id']}: a source listed twice"
        assert refs, f"{row['institution_id']}: no source at all"
        for ref in refs:
            assert re.match(r"^[a-z]+:\S", ref), f"{row['institution_id']}: odd reference {ref!r}"
        public = [ref for ref in refs if not ref.startswith(PRIVATE_PREFIXES)]
        origins = {SAME_SOURCE.get(ref, ref) for ref in public}
        if SINGLE in parts:
            assert len(public) <= 1, f"{row['institution_id']}: marked single-source but has {public}"
            assert len(origins) < 2, f"{row['institution_id']}: two sources but marked {SINGLE}"
        else:
            assert len(origins) >= 2, (
                f"{row['institution_id']}: fewer than two independent public sources "
                f"({public}), not marked {SINGLE}"
            )


def test_bare_china_life_means_the_listed_insurer(rows: list[dict[str, str]]) -> None:
    """``中国人寿`` in an IR record is the listed insurer, never the unlisted group."""
    owners = {
        row["name"]
        for row in rows
        for alias in [row["name"], *split(row["short_names"])]
        if key(alias) == key("中国人寿")
    }
    assert owners == {"中国人寿保险股份有限公司"}


def test_former_names_are_name_at_year(rows: list[dict[str, str]]) -> None:
    for row in rows:
        for part in split(row["former_names"]):
            match = FORMER_RE.match(part)
            assert match, f"{row['institution_id']}: former name {part!r} is not name@YYYY"
            assert 1980 <= int(match.group("year")) <= int(row["as_of"][:4])


def test_no_alias_is_shared_by_two_entities(rows: list[dict[str, str]]) -> None:
    owners: dict[str, set[str]] = defaultdict(set)
    for row in rows:
        names = [row["name"], *split(row["short_names"]), *split(row["english_names"])]
        names += [former_name(part) for part in split(row["former_names"])]
        for name in names:
            owners[key(name)].add(row["institution_id"])
    shared = {name: sorted(ids) for name, ids in owners.items() if len(ids) > 1}
    assert not shared, f"aliases of more than one entity: {shared}"


def test_no_empty_alias_parts(rows: list[dict[str, str]]) -> None:
    for row in rows:
        for column in ("short_names", "former_names", "english_names", "source"):
            cell = row[column]
            if cell:
                assert all(part.strip() == part and part for part in cell.split(";")), (
                    f"{row['institution_id']}: empty or padded part in {column}: {cell!r}"
                )


def test_seed_institutions_of_licensed_types_are_covered(rows: list[dict[str, str]]) -> None:
    known: set[str] = set()
    for row in rows:
        known.add(key(row["name"]))
        known.update(key(part) for part in split(row["short_names"]))
        known.update(key(former_name(part)) for part in split(row["former_names"]))
    with SEED.open(encoding="utf-8", newline="") as handle:
        seeds = [seed for seed in csv.DictReader(handle) if seed["type"] in COVERED_TYPES]
    assert seeds
    missing = [
        (seed["raw_name"], seed["entity"])
        for seed in seeds
        if key(seed["raw_name"]) not in known and key(seed["entity"]) not in known
    ]
    assert not missing, f"seed institutions without a registry entry: {missing}"


DOC = ROOT / "docs" / "registry.md"
TABLE_ROW = re.compile(r"^\| (?P<type>[^|]+?) \| `(?P<prefix>[a-z]+)` \| (?P<entries>\d+)[^|]*\| (?P<two>\d+) \| (?P<single>\d+) \|$")
TOTAL_ROW = re.compile(r"^\| \*\*total\*\* \| \| \*\*(?P<entries>\d+)\*\* \| \*\*(?P<two>\d+)\*\* \| \*\*(?P<single>\d+)\*\* \|$")


def test_coverage_table_matches_the_file(rows: list[dict[str, str]]) -> None:
    """The coverage table of ``docs/registry.md`` states the file's true counts."""
    counted: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    for row in rows:
        prefix = row["institution_id"].split("-")[0]
        single = SINGLE in split(row["source"])
        counted[prefix][0] += 1
        counted[prefix][2 if single else 1] += 1
    stated: dict[str, list[int]] = {}
    total = None
    for line in DOC.read_text(encoding="utf-8").splitlines():
        if match := TABLE_ROW.match(line):
            stated[match["prefix"]] = [int(match["entries"]), int(match["two"]), int(match["single"])]
            assert PREFIX_TYPE[match["prefix"]] == match["type"], line
        elif match := TOTAL_ROW.match(line):
            total = [int(match["entries"]), int(match["two"]), int(match["single"])]
    assert stated == dict(counted)
    assert total == [len(rows), sum(v[1] for v in counted.values()), sum(v[2] for v in counted.values())]
