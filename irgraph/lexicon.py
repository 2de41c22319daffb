"""The parser's word lists, loaded from ``data/parse_lexicon.csv`` and the registry.

Everything the parser knows about Chinese IR records that is data rather than logic lives in
the lexicon: field labels, activity categories, check-box glyphs, institution name endings,
surnames, places, generic participants, platform names, job titles and session words.
"""

from __future__ import annotations

import csv
import re
import unicodedata
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path

from irgraph._resources import data_path


@lru_cache(maxsize=262_144)
def nkey(text: str) -> str:
    """Comparison key: NFKC, all whitespace removed (cached: names repeat across records)."""
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
    name_starts: frozenset[str] = frozenset()  # endings that also begin names (中心, 国际 …)
    box_words: tuple[tuple[str, str], ...] = ()  # (word, checked|unchecked): a 「是否」 column (特定对象调研 是)

    @cached_property
    def labels_by_first(self) -> dict[str, tuple[tuple[str, str], ...]]:
        """Labels indexed by their first character (the parser tries only those that can match)."""
        index: dict[str, list[tuple[str, str]]] = {}
        for lab, fld in self.labels:
            index.setdefault(lab[:1], []).append((lab, fld))
        return {k: tuple(v) for k, v in index.items()}

    @cached_property
    def label_prefixes(self) -> dict[str, tuple[tuple[str, ...], int]]:
        """Per first character: the labels starting with it (for one ``startswith``) and their longest length."""
        return {c: (tuple(lab for lab, _ in labs), max(len(lab) for lab, _ in labs))
                for c, labs in self.labels_by_first.items()}

    # The indexes below are made on first use and then read as plain attributes (cached_property
    # stores them in the instance's __dict__): the parser consults them for every token.

    def _cached(self, name: str, make):  # type: ignore[no-untyped-def]
        value = self.__dict__.get(name)
        if value is None:
            value = make()
            object.__setattr__(self, name, value)
        return value

    def _ends_index(self, kind: str) -> tuple[tuple[int, frozenset[str]], ...]:
        values = self.inst_suffixes if kind == "inst" else self.strong_suffixes
        by_len: dict[int, set[str]] = {}
        for v in values:
            by_len.setdefault(len(v), set()).add(v)
        return tuple(sorted(((n, frozenset(vs)) for n, vs in by_len.items()), reverse=True))

    @cached_property
    def _inst_ends(self) -> tuple[tuple[int, frozenset[str]], ...]:
        return self._ends_index("inst")

    @cached_property
    def _strong_ends(self) -> tuple[tuple[int, frozenset[str]], ...]:
        return self._ends_index("strong")

    @cached_property
    def label_fragments(self) -> frozenset[str]:
        """Every piece of a label a line break can leave on a line (substrings of the labels)."""
        return frozenset(lab[i:j] for lab, _ in self.labels for i in range(len(lab)) for j in range(i + 2, len(lab) + 1))

    @cached_property
    def suffix_heads(self) -> frozenset[str]:
        """The first two characters of the institution endings of two or more."""
        return frozenset(s[:2] for s in self.inst_suffixes if len(s) >= 2)

    @cached_property
    def session_set(self) -> frozenset[str]:
        return frozenset(self.sessions)

    @cached_property
    def platform_set(self) -> frozenset[str]:
        return frozenset(self.platforms)

    @cached_property
    def inst_suffix_set(self) -> frozenset[str]:
        return frozenset(self.inst_suffixes)

    @cached_property
    def _inst_ends_upto(self) -> tuple[tuple[tuple[int, frozenset[str]], ...], ...]:
        return _ends_upto(self._inst_ends)

    @cached_property
    def _strong_ends_upto(self) -> tuple[tuple[tuple[int, frozenset[str]], ...], ...]:
        return _ends_upto(self._strong_ends)

    def ends_with_suffix(self, key: str, *, strong: bool = False, proper: bool = True) -> bool:
        """Does ``key`` end with an institution ending (longer than the ending itself when ``proper``)?"""
        upto = self._strong_ends_upto if strong else self._inst_ends_upto
        longest = len(key) - 1 if proper else len(key)  # the longest ending that can count
        if longest < 0:
            return False
        for n, vs in upto[min(longest, len(upto) - 1)]:  # noqa: SIM110 - a loop: the hot path
            if key[-n:] in vs:
                return True
        return False

    @cached_property
    def _inside_re(self) -> re.Pattern[str]:
        return re.compile("|".join(map(re.escape, sorted(
            (s for s in self.inst_suffixes if len(s) >= 2 and re.match(r"[\u4e00-\u9fff]", s)
             and s not in ("中心", "国际", "健康", "策略")), key=len, reverse=True))))

    def suffix_inside(self, key: str) -> bool:
        """Does ``key`` contain a Chinese institution word anywhere (证券, 基金, 资产管理 …)?"""
        return bool(self._inside_re.search(key))

    @cached_property
    def _title_re(self) -> re.Pattern[str]:
        return re.compile("|".join(map(re.escape, [t for t in self.titles_longest_first if re.match(r"[\u4e00-\u9fff]", t)])))

    def title_inside(self, key: str) -> bool:
        """Does ``key`` contain a Chinese job title anywhere (分析师, 研究员 …)?"""
        return bool(self._title_re.search(key))

    @cached_property
    def generic_endings(self) -> tuple[str, ...]:
        """The last characters of generic participants (投资者, 股东 …), for a quick first test."""
        return tuple(sorted({g[-2:] for g in self.generic if len(g) >= 2}))

    @cached_property
    def _not_person_re(self) -> re.Pattern[str]:
        return re.compile("|".join(map(re.escape, sorted((w for w in self.not_person if len(w) >= 2), key=len, reverse=True))))

    def not_person_inside(self, key: str) -> bool:
        """Does ``key`` contain a word no person's name contains (管理, 基金, 研究 …)?"""
        return bool(self._not_person_re.search(key))

    @cached_property
    def _title_first(self) -> dict[str, tuple[str, ...]]:
        return _by_first(self.titles_longest_first)

    def title_at_start(self, key: str) -> list[str]:
        """Titles ``key`` starts with, longest first."""
        return [t for t in self._title_first.get(key[:1], ()) if key.startswith(t)]

    @cached_property
    def _title_last(self) -> dict[str, tuple[str, ...]]:
        return _by_last([v for t in self.titles_longest_first for v in (t, f"({t})")])

    def title_at_end(self, key: str) -> list[str]:
        """Titles (bare or in brackets) ``key`` ends with, longest first."""
        return [t for t in self._title_last.get(key[-1:], ()) if key.endswith(t)]

    @cached_property
    def _cut_index(self) -> tuple[tuple[tuple[int, dict[str, tuple[str, ...]]], ...], frozenset[str]]:
        return _cut_index(_cut_pairs(self.inst_suffixes, keep_weak=False))

    @cached_property
    def _cut_index_weak(self) -> tuple[tuple[tuple[int, dict[str, tuple[str, ...]]], ...], frozenset[str]]:
        return _cut_index(_cut_pairs(self.inst_suffixes, keep_weak=True))

    def cut_suffix(self, tail: str, head: str, *, weak: bool = False) -> bool:
        """Does an institution ending start at the end of ``tail`` and finish at the start of ``head``?

        ``weak`` also accepts the cuts that end person names too (「基」「金」): for lists of institutions.
        """
        index, rest_starts = self._cut_index_weak if weak else self._cut_index
        if head[:1] not in rest_starts:
            return False
        for n, firsts in index:
            if n > len(tail):
                break  # (shortest first)
            rests = firsts.get(tail[-n:])
            if rests and head.startswith(rests):
                return True
        return False

    @cached_property
    def titles_longest_first(self) -> tuple[str, ...]:
        """Job titles, longest first (the parser strips the longest that fits)."""
        return tuple(sorted(self.titles, key=lambda t: (-len(t), t)))

    @cached_property
    def glyphs(self) -> frozenset[str]:
        return self.checked | self.unchecked


def _ends_upto(index: tuple[tuple[int, frozenset[str]], ...]) -> tuple[tuple[tuple[int, frozenset[str]], ...], ...]:
    """For each length m (the last for every longer one): the groups of endings at most m long, longest first."""
    longest = max((n for n, _ in index), default=0)
    return tuple(tuple((n, vs) for n, vs in index if n <= m) for m in range(longest + 1))


def _by_first(values: tuple[str, ...] | list[str]) -> dict[str, tuple[str, ...]]:
    index: dict[str, list[str]] = {}
    for v in values:
        index.setdefault(v[:1], []).append(v)
    return {k: tuple(sorted(vs, key=len, reverse=True)) for k, vs in index.items()}


def _by_last(values: list[str]) -> dict[str, tuple[str, ...]]:
    index: dict[str, list[str]] = {}
    for v in values:
        index.setdefault(v[-1:], []).append(v)
    return {k: tuple(sorted(vs, key=len, reverse=True)) for k, vs in index.items()}


# 「投」「资」「管」「基」 end person names too often to count as the first piece of a cut ending
_WEAK_CUTS = frozenset({("投", "资"), ("资", "产"), ("资", "本"), ("管", "理"), ("基", "金")})


def _cut_pairs(suffixes: tuple[str, ...], *, keep_weak: bool = False) -> tuple[tuple[str, tuple[str, ...]], ...]:
    pairs: dict[str, set[str]] = {}
    for s in suffixes:
        if len(s) < 2 or not re.match(r"[\u4e00-\u9fff]", s):
            continue
        for cut in range(1, len(s)):
            a, b = s[:cut], s[cut:]
            if (a, b) in _WEAK_CUTS and len(s) == 2 and not keep_weak:
                continue
            pairs.setdefault(a, set()).add(b)
    return tuple((a, tuple(sorted(bs))) for a, bs in sorted(pairs.items()))


def _cut_index(pairs: tuple[tuple[str, tuple[str, ...]], ...],
               ) -> tuple[tuple[tuple[int, dict[str, tuple[str, ...]]], ...], frozenset[str]]:
    """Cut pairs (first part, its possible rests) grouped by the first part's length, shortest first,
    and the first characters of the rests."""
    out: dict[int, dict[str, tuple[str, ...]]] = {}
    for a, bs in pairs:
        out.setdefault(len(a), {})[a] = bs
    return tuple(sorted(out.items())), frozenset(b[0] for _, bs in pairs for b in bs)


def _with_traditional(values: list[str]) -> list[str]:
    """The endings in traditional characters too (證券, 資產管理, 有限責任公司), for 「國金證券郑楠轩」."""
    try:
        import opencc

        s2t = opencc.OpenCC("s2t").convert
    except Exception:  # pragma: no cover - OpenCC is a dependency; tolerate a broken install
        return values
    return [*values, *(s2t(v) for v in values)]


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
        inst_suffixes=_longest_first(_with_traditional(values("inst_suffix"))),
        strong_suffixes=_longest_first(_with_traditional(values("strong_suffix"))),
        not_person=frozenset(values("not_person")),
        places=frozenset(values("place")),
        surnames=frozenset(v for v, e in by_kind.get("surname", []) if not e),
        compound_surnames=frozenset(v for v, e in by_kind.get("surname", []) if e == "compound"),
        generic=_longest_first(values("generic")),
        platforms=_longest_first(values("platform")),
        titles=frozenset([*values("title"), *(v.lower() for v in values("title"))]),
        sessions=_longest_first(values("session")),
        known_names=frozenset(_with_traditional(sorted(known))),  # 「中信證券」 as printed in Hong Kong
        glyph_aliases=tuple((v, e) for v, e in by_kind.get("glyph_alias", [])),
        latin_surnames=frozenset(v for v, _ in by_kind.get("latin_surname", [])),
        name_starts=frozenset(values("name_start")),
        box_words=tuple((v, e) for v, e in by_kind.get("box_word", [])),
    )
