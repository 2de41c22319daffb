"""Normalise institution names for matching.

:func:`normalize_name` gives the matching key of a raw attendee institution name;
:func:`analyze_name` gives the parts the resolver's guards look at (leading region, brand,
institution-type words, distinguishing qualifiers, desk suffix).  Every word list lives in
``data/name_rules.csv`` (see ``docs/resolution.md``); nothing here is an if-chain of names.

Steps, in order: NFKC -> OpenCC ``t2s`` -> character fixes and bracket unification -> desk suffix
(自营, 研究所, 上海分公司 ...) -> legal suffixes (股份有限公司, Ltd ...) -> bracket contents
(mainland regions dropped, foreign qualifiers kept apart) -> punctuation -> type words at the end
(证券, 基金管理 -> 基金, 资产管理 -> 资产 ...) -> leading region (上海, 深圳市前海 ...).
"""

from __future__ import annotations

import csv
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from irgraph._resources import data_path
from irgraph.errors import RegistryError

_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_SPACE = re.compile(r"\s+")
_BRACKET_GROUP = re.compile(r"\(([^()]*)\)")
_NON_WORD = re.compile(r"[\W_]+")
_EN_TOKEN = re.compile(r"[a-z0-9]+")
_PUNCT_KEEP_BRACKETS = re.compile(r"[^\w()]|_")
# the longest person's name (characters) stripped before an unclosed bracket (李宁(天风证券)
PERSON_NAME_MAX = 4
# dotted initials (L.P., L.L.C., S.A., J.P.): one token, so legal forms and brands stay whole
_DOTTED = re.compile(r"(?<![a-z0-9])[a-z](?:\.[a-z])+\.?(?![a-z0-9])")


DESK_DESCRIPTOR_MAX = 6  # 经济与金融研究院: at most this many characters between the firm's type word and the desk


@dataclass(frozen=True)
class NameRules:
    """The compiled content of ``name_rules.csv``."""

    chars: tuple[tuple[str, str], ...]
    brackets: dict[str, str]
    legal: dict[str, tuple[tuple[str, str], ...]]
    legal_en: frozenset[str]
    bracket_drop: frozenset[str]
    qualifiers: dict[str, str]
    regions: frozenset[str]
    bracket_regions: frozenset[str]
    region_re: re.Pattern[str]
    generic_brands: frozenset[str]
    desks: dict[str, tuple[tuple[str, str], ...]]
    branch_region_re: re.Pattern[str]
    branches: frozenset[str]
    branch_cut: re.Pattern[str]
    desk_cuts: frozenset[str]
    licensed: tuple[str, ...]
    tails: dict[str, tuple[tuple[str, str], ...]]
    families: dict[str, str]
    family_compat: frozenset[frozenset[str]]
    type_tails: dict[str, str]
    abbr_en: tuple[tuple[re.Pattern[str], str], ...]
    weak_en: frozenset[str]
    branch_en: frozenset[str]
    tail_en: dict[str, str]
    types: tuple[tuple[re.Pattern[str], str], ...]
    confusables: frozenset[frozenset[str]]


@dataclass(frozen=True)
class NameInfo:
    """The parts of one raw name that matching and the guards use.

    ``key``, ``norm`` and ``core`` are made from the fields when the object is made (the resolver
    reads them for nearly every name; a ``cached_property`` cost ~2 µs on its first read)."""

    raw: str
    clean: str  # NFKC + t2s + brackets unified, no whitespace (lower-case ASCII)
    region: str  # leading mainland region, canonical ('' if none)
    brand: str  # identifying core: no region, type words, legal or desk suffix
    tails: tuple[str, ...]  # canonical institution-type words at the end, in reading order
    quals: tuple[str, ...]  # distinguishing qualifiers, sorted: ('香港',) for 高盛资产管理(香港)
    desk: str = ""  # stripped desk/branch suffix ('' if none)
    legal: bool = False  # a legal suffix was stripped
    english: bool = False
    # region + brand + type words: equal keys (and equal qualifiers) denote one entity
    key: str = field(init=False, repr=False, compare=False)
    # the matching key including qualifiers: what :func:`normalize_name` returns
    norm: str = field(init=False, repr=False, compare=False)
    # brand plus region: the part that must agree for two names to be one firm
    core: str = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        core = self.region + self.brand
        key = core + "".join(self.tails) if self.tails else core
        object.__setattr__(self, "core", core)
        object.__setattr__(self, "key", key)
        object.__setattr__(self, "norm", key + "(" + "/".join(self.quals) + ")" if self.quals else key)


def _by_last(items: list[tuple[str, str]]) -> dict[str, tuple[tuple[str, str], ...]]:
    """Suffix patterns grouped by their last character, longest first (fast ``endswith`` tests)."""
    out: dict[str, list[tuple[str, str]]] = {}
    for p, v in sorted(items, key=lambda pv: len(pv[0]), reverse=True):
        if p:
            out.setdefault(p[-1], []).append((p, v))
    return {k: tuple(v) for k, v in out.items()}


def _read_rules(path: Path) -> list[tuple[int, str, str, str]]:
    out: list[tuple[int, str, str, str]] = []
    with open(path, encoding="utf-8", newline="") as f:
        reader = csv.reader(f)
        header = next(reader, None)
        if header is None or [h.strip() for h in header[:3]] != ["kind", "pattern", "value"]:
            raise RegistryError(f"{path}:1: expected header kind,pattern,value,note")
        for row in reader:
            if not row or not any(c.strip() for c in row):
                continue
            if len(row) < 2:
                raise RegistryError(f"{path}:{reader.line_num}: expected kind,pattern,value,note")
            kind, pattern = row[0].strip(), row[1]
            value = row[2] if len(row) > 2 else ""
            out.append((reader.line_num, kind, pattern, value))
    return out


def _compile_rules(path: Path) -> NameRules:
    rows = _read_rules(path)
    by: dict[str, list[tuple[int, str, str]]] = {}
    for line, kind, pattern, value in rows:
        by.setdefault(kind, []).append((line, pattern, value))

    def pairs(kind: str) -> list[tuple[str, str]]:
        return [(p, v) for _, p, v in by.get(kind, [])]

    regions = frozenset(p for p, _ in pairs("region"))
    districts = sorted((p for p, _ in pairs("district")), key=len, reverse=True)
    region_alt = "|".join(re.escape(r) for r in sorted(regions, key=len, reverse=True))
    district_alt = "|".join(re.escape(d) for d in districts) or "(?!)"
    region_re = re.compile(
        rf"^(?P<r>{region_alt})(?:省|市|自治区|特别行政区)?(?:(?:{district_alt})(?:新区|区)?)?"
    )
    types: list[tuple[re.Pattern[str], str]] = []
    for line, p, v in by.get("type", []):
        try:
            types.append((re.compile(p), v))
        except re.error as e:
            raise RegistryError(f"{path}:{line}: bad type pattern {p!r}: {e}") from e
    abbr: list[tuple[re.Pattern[str], str]] = []
    for p, v in pairs("abbr_en"):
        abbr.append((re.compile(r"(?<![a-z0-9])" + re.escape(p) + r"(?![a-z0-9])"), f" {v} "))
    anchors = "|".join(re.escape(p) for p, _ in pairs("branch_anchor")) or "(?!)"
    compat = frozenset(frozenset(p.split("|")) for p, _ in pairs("family_compat"))
    return NameRules(
        chars=tuple(pairs("char")),
        brackets=dict(pairs("bracket")),
        legal=_by_last(pairs("legal")),
        legal_en=frozenset(p for p, _ in pairs("legal_en")),
        bracket_drop=frozenset(p for p, _ in pairs("bracket_drop")),
        qualifiers=dict(pairs("qualifier")),
        regions=regions,
        bracket_regions=frozenset(p for p, v in pairs("region") if v != "country"),
        region_re=region_re,
        generic_brands=frozenset(p for p, _ in pairs("generic_brand")),
        desks=_by_last(pairs("desk")),
        # a branch's place: a city, maybe with a district descriptor (北京经济开发区, 上海自贸区)
        branch_region_re=re.compile(rf"({region_alt})(?:省|市)?(?:{_CJK.pattern}{{1,7}}?区)?$"),
        branches=frozenset(p for p, _ in pairs("branch")),
        branch_cut=re.compile(rf"^(.*(?:{anchors}))(?!.*(?:{anchors}))[^()]+$"),
        desk_cuts=frozenset(p for p, _ in pairs("desk_cut")),
        licensed=tuple(p for p, _ in pairs("licensed")),
        tails=_by_last(pairs("tail")),
        families=dict(pairs("family")),
        family_compat=compat,
        type_tails=dict(pairs("type_tail")),
        abbr_en=tuple(abbr),
        weak_en=frozenset(p for p, _ in pairs("weak_en")),
        branch_en=frozenset(p for p, _ in pairs("branch_en")),
        tail_en=dict(pairs("tail_en")),
        types=tuple(types),
        confusables=frozenset(frozenset(p) for p, _ in pairs("confusable") if len(p) == 2),
    )


@lru_cache(maxsize=4)
def load_rules(path: str | None = None) -> NameRules:
    """Load (and cache) the name rules; default: the bundled ``name_rules.csv``."""
    return _compile_rules(Path(path) if path else data_path("name_rules.csv"))


@lru_cache(maxsize=1)
def _converter():
    import opencc

    return opencc.OpenCC("t2s")


def to_simplified(text: str) -> str:
    """Traditional -> simplified Chinese with OpenCC ``t2s`` (the converter is built once)."""
    if not _CJK.search(text):
        return text
    return _converter().convert(text)


def clean_text(raw: str) -> str:
    """NFKC, t2s, character fixes, brackets unified to ``()``, whitespace removed, ASCII lower-cased.

    English names keep single spaces between words.
    """
    rules = load_rules()
    s = unicodedata.normalize("NFKC", raw or "")
    s = to_simplified(s)
    for a, b in rules.chars:
        if a in s:
            s = s.replace(a, b)
    if any(c in rules.brackets for c in s):
        s = "".join(rules.brackets.get(c, c) for c in s)
    s = s.lower().strip()
    if _CJK.search(s):
        return _SPACE.sub("", s)
    return _SPACE.sub(" ", s)


def _strip_legal(s: str, rules: NameRules) -> tuple[str, bool]:
    stripped = False
    changed = True
    while changed:
        changed = False
        m = re.search(r"\(([^()]*)\)$", s)
        if m and m.group(1) in rules.bracket_drop and len(s) - len(m.group(0)) >= 2:
            s = s[: m.start()]
            changed = stripped = True
            continue
        for suf, _ in rules.legal.get(s[-1:], ()):
            if s.endswith(suf) and len(s) - len(suf) >= 2:
                s = s[: -len(suf)]
                changed = stripped = True
                break
    return s, stripped


def _legal_end(s: str, rules: NameRules) -> int:
    """End of the last legal suffix inside ``s`` that has at least two characters before it (-1: none)."""
    end = -1
    for pats in rules.legal.values():
        for pat, _ in pats:
            i = s.rfind(pat)
            if i >= 2:
                end = max(end, i + len(pat))
    return end


def _strip_desk(s: str, rules: NameRules) -> tuple[str, str, str]:
    """Remove one trailing desk suffix (and the city before a branch suffix)."""
    for suf, implied in rules.desks.get(s[-1:], ()):
        if s.endswith(suf) and len(s) - len(suf) >= 2:
            rest = s[: -len(suf)]
            if suf in rules.branches:
                m = rules.branch_region_re.search(rest)
                # a branch's place: 东北证券上海分公司, 招商银行深圳福田支行, 中信证券北京望京营业部
                cut = rules.branch_cut.match(rest)
                legal_end = _legal_end(rest, rules)
                if cut and len(cut.group(1)) >= 4:
                    rest = cut.group(1)
                elif legal_end > 0 and 0 < len(rest) - legal_end <= DESK_DESCRIPTOR_MAX:
                    # the branch's own name after the legal name: 天风证券股份有限公司上海证券自营分公司
                    rest = rest[:legal_end]
                elif m and len(rest) - len(m.group(0)) >= 2:
                    rest = rest[: m.start()]
            elif suf in rules.desk_cuts:
                # a research desk with a descriptor: 广发证券发展研究中心, 兴业证券经济与金融研究院
                cut = rules.branch_cut.match(rest)
                if cut and len(cut.group(1)) >= 4:
                    extra = rest[len(cut.group(1)) :]
                    if len(extra) <= DESK_DESCRIPTOR_MAX and not any(
                        pat in extra for pats in rules.tails.values() for pat, _ in pats
                    ):
                        rest = cut.group(1)
            return rest, suf, implied
    return s, "", ""


def _brackets(s: str, rules: NameRules) -> tuple[str, list[str], str]:
    """Remove bracket groups: legal forms dropped, a mainland region returned, the rest are qualifiers."""
    quals: list[str] = []
    region = ""
    while True:
        m = _BRACKET_GROUP.search(s)
        if not m:
            break
        content = _NON_WORD.sub("", m.group(1))
        base = re.sub(r"(省|市|自治区)$", "", content)
        if base in rules.bracket_regions and not s[: m.start()].endswith(rules.licensed):
            region = region or base
        elif content and content not in rules.bracket_drop:
            quals.append(rules.qualifiers.get(content, content))
        s = s[: m.start()] + s[m.end() :]
    return s.replace("(", "").replace(")", ""), quals, region


def _split_tails(s: str, rules: NameRules) -> tuple[str, tuple[str, ...]]:
    tails: list[str] = []
    while True:
        for pat, canon in rules.tails.get(s[-1:], ()):
            if s.endswith(pat) and len(s) > len(pat):
                s = s[: -len(pat)]
                tails.insert(0, canon)
                break
        else:
            break
    # 私募 swallows what follows it: 私募基金管理, 私募证券基金 ... are one type word
    if "私募基金" in tails:
        i = tails.index("私募基金")
        tails = tails[: i + 1]
    dedup: list[str] = []
    for t in tails:
        if not dedup or dedup[-1] != t:
            dedup.append(t)
    return s, tuple(dedup)


def _branch_base_length(words: Sequence[str], rules: NameRules) -> int:
    """How many leading ``words`` (lower-case) name the firm when they end in an English branch
    suffix: a trailing ``branch_en`` word and the place qualifiers in front of it (hong kong,
    singapore, london ..., one word or two written apart), at least two words kept; ``len(words)``
    when there is no such suffix.

    Like a Chinese 分公司/分行 suffix, a branch has no legal personality: the name denotes the firm.
    """
    if len(words) < 3 or words[-1] not in rules.branch_en:
        return len(words)
    n = len(words) - 1
    while n > 2:
        if words[n - 1] in rules.qualifiers:
            n -= 1
        elif n > 3 and words[n - 2] + words[n - 1] in rules.qualifiers:
            n -= 2
        else:
            break
    return n


def _strip_branch_en(tokens: list[str], rules: NameRules) -> tuple[list[str], str]:
    """Drop an English branch suffix and its place: ``UBS AG Singapore Branch`` -> ``UBS AG``
    (:func:`_branch_base_length`). Returns the tokens left and the stripped branch word ('' if none)."""
    n = _branch_base_length(tokens, rules)
    return (tokens, "") if n == len(tokens) else (tokens[:n], tokens[-1])


def english_branch_base(raw: str) -> str:
    """The firm's name of an English branch name, as printed: ``UBS AG, Singapore Branch`` -> ``UBS AG``.

    The rule of :func:`_strip_branch_en` on the raw words, so that the base can be looked up
    exactly; '' when the name has no English branch suffix.
    """
    words = [w for w in re.split(r"[\s,]+", unicodedata.normalize("NFKC", raw or "").strip()) if w]
    if _CJK.search(raw or ""):
        return ""
    n = _branch_base_length([w.casefold() for w in words], load_rules())
    return "" if n == len(words) else " ".join(words[:n])


def _person_before_bracket(s: str, rules: NameRules) -> str:
    """``李宁(天风证券`` -> ``天风证券``: a person's name and an unclosed bracket printed before a firm.

    Applies only when the name has one opening bracket and no closing one, the part before it is
    2 to :data:`PERSON_NAME_MAX` characters without a type word, region or generic word (a
    person's name), and the part after it names a firm (it ends in a type word). Otherwise the
    name is returned unchanged.
    """
    if s.count("(") != 1 or ")" in s:
        return s
    before, _, after = s.partition("(")
    if not 2 <= len(before) <= PERSON_NAME_MAX or not all(_CJK.match(c) for c in before):
        return s
    if len(after) < 4:
        return s
    if _split_tails(before, rules)[1] or rules.region_re.match(before) or is_generic_brand(before):
        return s
    if before in rules.qualifiers or not _split_tails(_NON_WORD.sub("", after), rules)[1]:
        return s
    return after


def _analyze_english(raw: str, s: str, rules: NameRules) -> NameInfo:
    quals: list[str] = []
    legal = False
    work = s
    for m in list(_BRACKET_GROUP.finditer(work)):
        inner = " ".join(_EN_TOKEN.findall(m.group(1)))
        for pat, rep in rules.abbr_en:
            inner = pat.sub(rep, inner)
        inner = inner.replace(" ", "")
        if inner in rules.qualifiers:
            quals.append(rules.qualifiers[inner])
        elif inner and inner not in rules.legal_en:
            quals.append(inner)
    work = _DOTTED.sub(lambda m: m.group(0).replace(".", ""), work)
    work = _BRACKET_GROUP.sub(" ", work).replace("&", " and ")
    work = " " + " ".join(_EN_TOKEN.findall(work)) + " "
    for pat, rep in rules.abbr_en:
        work = pat.sub(rep, work)
    tokens = work.split()
    if tokens and tokens[0] == "the" and len(tokens) > 1:
        tokens = tokens[1:]
    tokens, desk = _strip_branch_en(tokens, rules)
    tails: list[str] = []
    while len(tokens) > 1:
        t = tokens[-1]
        if t in rules.legal_en:
            legal = True
            if t in ("co", "company") and len(tokens) > 2 and tokens[-2] == "and":
                tokens.pop(-2)  # "& Co." is one legal form: D. E. Shaw & Co. = D. E. Shaw
        elif t in rules.qualifiers and not tails and tokens[-2] != "of":  # Bank of China keeps China
            quals.append(rules.qualifiers[t])
        elif t in rules.weak_en:
            pass
        elif t in rules.tail_en:
            tails.insert(0, t)
        else:
            break
        tokens.pop()
    brand = "".join(tokens)
    return NameInfo(
        raw=raw,
        clean=s,
        region="",
        brand=brand,
        tails=tuple(tails),
        quals=tuple(sorted(set(quals))),
        desk=desk,
        legal=legal,
        english=True,
    )


_PRIMED: dict[str, NameInfo] = {}


def prime_name_infos(infos: Iterable[NameInfo]) -> None:
    """Hand :func:`analyze_name` results made earlier by the same code and rules (the caller keys
    them so: ``irgraph.cache``); a name's first call takes its primed result instead of computing it.
    The primed set is replaced; ``prime_name_infos(())`` drops what was not used."""
    _PRIMED.clear()
    _PRIMED.update((info.raw, info) for info in infos)


@lru_cache(maxsize=262144)
def analyze_name(raw: str) -> NameInfo:
    """Split a raw institution name into the parts the resolver compares (cached)."""
    primed = _PRIMED.pop(raw, None) if _PRIMED else None
    if primed is not None:
        return primed
    rules = load_rules()
    s = cleaned = clean_text(raw)
    if not _CJK.search(s):
        return _analyze_english(raw, s, rules)
    s = _PUNCT_KEEP_BRACKETS.sub("", s).replace("()", "")
    s = _person_before_bracket(s, rules)
    s, desk, implied = _strip_desk(s, rules)
    if desk and desk not in rules.branches:
        # a department of a branch is the firm: 工行北京分行投行部, 中信证券上海分公司研究部
        rest, desk2, implied2 = _strip_desk(s, rules)
        if desk2 in rules.branches:
            s, implied = rest, implied or implied2
    s, legal = _strip_legal(s, rules)
    s, quals, bracket_region = _brackets(s, rules)
    s, legal2 = _strip_legal(s, rules)
    if not desk and not (legal or legal2):
        # 高盛(亚洲)研究部: a desk after a bracket; never after a legal suffix (研究所有限公司 is a company)
        s, desk, implied = _strip_desk(s, rules)
    s = _NON_WORD.sub("", s)
    brand, tails = _split_tails(s, rules)
    if not tails and implied:
        tails = (implied,)
    # the region: a leading one (上海XX投资) or else one in brackets (XX投资(上海)); both name a place
    # of registration, so 上海XX投资 = XX投资(上海), and XX投资 without a region may be either
    region = ""
    m = rules.region_re.match(brand)
    if m and len(brand) - m.end() >= 2:
        region = m.group("r")
        brand = brand[m.end() :]
    region = region or bracket_region
    return NameInfo(
        raw=raw,
        clean=cleaned,
        region=region,
        brand=brand,
        tails=tails,
        quals=tuple(sorted(set(quals))),
        desk=desk,
        legal=legal or legal2,
    )


def normalize_name(raw: str) -> str:
    """The matching key of a raw name: ``國泰君安證券股份有限公司`` -> ``国泰君安证券``.

    Distinguishing qualifiers stay, in brackets at the end: ``高盛(亚洲)有限责任公司`` -> ``高盛(亚洲)``.
    """
    return analyze_name(raw).norm


def family(word: str) -> str:
    """Type family of a canonical type word (证券 -> sec, 基金 -> fund ...), '' when unknown."""
    rules = load_rules()
    return rules.families.get(word) or rules.tail_en.get(word, "")


def families_compatible(a: str, b: str) -> bool:
    """True when two different type families may still be one firm (review, not block)."""
    return a == b or frozenset((a, b)) in load_rules().family_compat


def is_confusable(a: str, b: str) -> bool:
    """True when two characters are a known look-alike / homophone typo pair."""
    return frozenset((a, b)) in load_rules().confusables


def is_generic_brand(brand: str) -> bool:
    """True for brands too generic to identify a firm without their region (国际, 金融 ...)."""
    return brand in load_rules().generic_brands or len(brand) < 2


def ends_generic(brand: str) -> bool:
    """True when a brand ends in a generic word of two or more characters (中银国际, 海通国际):
    X国际 / X金融 / X资本 is as often another entity of X's family as X itself."""
    generic = load_rules().generic_brands
    return any(brand.endswith(g) and len(brand) > len(g) for g in generic if len(g) >= 2)


def type_tail(inst_type: str) -> str:
    """The type word a bare short name of an entity of this type combines with (证券公司 -> 证券)."""
    return load_rules().type_tails.get(inst_type, "")


@lru_cache(maxsize=262144)
def infer_type(name: str) -> str:
    """Eastmoney 机构类型 of an unregistered name, from its words (rules in ``name_rules.csv``)."""
    s = clean_text(name)
    for pattern, value in load_rules().types:
        if pattern.search(s):
            return value
    return "其它"
