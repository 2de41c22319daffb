"""The parser's word lists, loaded from ``data/parse_lexicon.csv`` and the registry.

Everything the parser knows about Chinese IR records that is data rather than logic lives in
the lexicon: field labels, activity categories, check-box glyphs, institution name endings,
surnames, places, generic participants, platform names, job titles and session words.
"""

from __future__ import annotations

import csv
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from irgraph._resources import data_path


def nkey(text: str) -> str:
    """Comparison key: NFKC, all whitespace removed."""
    return "".join(unicodedata.normalize("NFKC", text).split())


@dataclass(frozen=True)
class Lexicon:
    labels: tuple[tuple[str, str], ...]  # (label key, field), longest first
    activities: tuple[str, ...]  # longest first
    checked: frozenset[str]
    unchecked: frozenset[str]
    inst_suffixes: tuple[str, ...]  # keys, longest first
    strong_suffixes: tuple[str, ...]  # endings that make a whole institution name (证券, 基金 …)
    not_person: frozenset[str]
    places: frozenset[str]
    surnames: frozenset[str]
    compound_surnames: frozenset[str]
    generic: tuple[str, ...]  # keys, longest first
    platforms: tuple[str, ...]
    titles: frozenset[str]
    sessions: tuple[str, ...]  # longest first
    known_names: frozenset[str]  # institution names and short names (keys)
    glyph_aliases: tuple[tuple[str, str], ...] = ()  # (letter, checked|unchecked[-adjacent])
    latin_surnames: frozenset[str] = frozenset()  # Wang, Chen, Lee … (English names of persons)

    @property
    def labels_by_first(self) -> dict[str, tuple[tuple[str, str], ...]]:
        """Labels indexed by their first character (the parser tries only those that can match)."""
        cached = self.__dict__.get("_labels_by_first")
        if cached is None:
            index: dict[str, list[tuple[str, str]]] = {}
            for lab, fld in self.labels:
                index.setdefault(lab[:1], []).append((lab, fld))
            cached = {k: tuple(v) for k, v in index.items()}
            object.__setattr__(self, "_labels_by_first", cached)
        return cached

    @property
    def glyphs(self) -> frozenset[str]:
        return self.checked | self.unchecked


def _longest_first(values: list[str]) -> tuple[str, ...]:
    return tuple(sorted(dict.fromkeys(values), key=lambda v: (-len(v), v)))


def _registry_names(path: Path) -> set[str]:
    names: set[str] = set()
    try:
        with open(path, encoding="utf-8", newline="") as f:
            for row in csv.DictReader(f):
                for col in ("name", "short_names", "former_names", "english_names"):
                    for v in (row.get(col) or "").split(";"):
                        v = nkey(v.split("@")[0])
                        if len(v) >= 2:
                            names.add(v)
    except (OSError, csv.Error):
        pass
    return names


@lru_cache(maxsize=4)
def load_lexicon(path: str | None = None, registry: str | None = None) -> Lexicon:
    """Load the parse lexicon (default: the bundled ``parse_lexicon.csv`` and ``institutions.csv``)."""
    lex_path = Path(path) if path else data_path("parse_lexicon.csv")
    by_kind: dict[str, list[tuple[str, str]]] = {}
    with open(lex_path, encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            by_kind.setdefault(row["kind"], []).append((row["value"], row.get("extra") or ""))

    def values(kind: str, keyed: bool = True) -> list[str]:
        return [nkey(v) if keyed else v for v, _ in by_kind.get(kind, [])]

    labels = sorted(((nkey(v).lower(), e) for v, e in by_kind.get("label", [])), key=lambda t: (-len(t[0]), t[0]))
    known: set[str] = set()
    try:
        reg = Path(registry) if registry else data_path("institutions.csv")
        known = _registry_names(reg)
    except FileNotFoundError:
        pass
    known.update(values("known_name"))
    return Lexicon(
        labels=tuple(labels),
        activities=_longest_first([unicodedata.normalize("NFKC", v) for v in values("activity", keyed=False)]),
        checked=frozenset(v for v, e in by_kind.get("glyph", []) if e == "checked"),
        unchecked=frozenset(v for v, e in by_kind.get("glyph", []) if e == "unchecked"),
        inst_suffixes=_longest_first(values("inst_suffix")),
        strong_suffixes=_longest_first(values("strong_suffix")),
        not_person=frozenset(values("not_person")),
        places=frozenset(values("place")),
        surnames=frozenset(v for v, e in by_kind.get("surname", []) if not e),
        compound_surnames=frozenset(v for v, e in by_kind.get("surname", []) if e == "compound"),
        generic=_longest_first(values("generic")),
        platforms=_longest_first(values("platform")),
        titles=frozenset([*values("title"), *(v.lower() for v in values("title"))]),
        sessions=_longest_first(values("session")),
        known_names=frozenset(known),
        glyph_aliases=tuple((v, e) for v, e in by_kind.get("glyph_alias", [])),
        latin_surnames=frozenset(v for v, _ in by_kind.get("latin_surname", [])),
    )
