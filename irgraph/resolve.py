"""Resolve raw attendee institution names to canonical institutions.

Pipeline (``docs/resolution.md``): overrides -> registry exact / alias -> normalised exact ->
fuzzy candidates within blocks -> guard rules -> person evidence -> clusters of unregistered names.
A wrong merge is worse than a missed one: anything uncertain is left apart and queued for review.
"""

from __future__ import annotations

import csv
import hashlib
import io
import itertools
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from rapidfuzz import fuzz, process

from irgraph._io import collector_paused
from irgraph.errors import RegistryError
from irgraph.models import Institution, Match, Resolution, ReviewItem
from irgraph.normalize import (
    NameInfo,
    analyze_name,
    ends_generic,
    english_branch_base,
    families_compatible,
    family,
    infer_type,
    is_confusable,
    is_generic_brand,
    to_simplified,
)
from irgraph.registry import Registry, default_registry, exact_key, group_id, read_text

__all__ = [
    "Overrides",
    "ResolveMemo",
    "guard",
    "infer_type",
    "institutions_table",
    "load_overrides",
    "resolve",
    "review_rows",
]

MERGE, REVIEW, BLOCK = "merge", "review", "block"
ACTIONS = ("must_link", "cannot_link", "rename")
SCORE_NORMALIZED = 0.98
SCORE_VIRTUAL = 0.95
SCORE_BRAND = 0.9
BARE_BRAND_MIN = 4  # a bare brand (no type word) resolves alone only from 4 characters (景顺长城); else review
BRAND_CUTOFF = 50.0  # rapidfuzz ratio of brands below which no candidate is considered
EVIDENCE_MIN = 0.5  # two spellings are "fuzzy-similar" for person evidence from this ratio on
MAX_BLOCK = 4000  # blocks larger than this are skipped (their members meet in their other blocks)
MAX_REVIEW_PER_NAME = 3


# ---------------------------------------------------------------------------------------------- overrides


@dataclass(frozen=True)
class Overrides:
    """Manual decisions: ``must_link`` (raw -> id or name), ``cannot_link`` (raw never -> target),
    ``rename`` (institution id -> display name)."""

    must_link: tuple[tuple[str, str], ...] = ()
    cannot_link: tuple[tuple[str, str], ...] = ()
    rename: tuple[tuple[str, str], ...] = ()
    source: str = ""


def load_overrides(path: str | Path) -> Overrides:
    """Read overrides from CSV (``action,raw_name,target,note``) or TOML (``[[override]]`` tables).

    ``rename`` rows give the institution id in ``raw_name`` and the new display name in ``target``.
    A bad row raises :class:`RegistryError` naming file and line.
    """
    path = Path(path)
    rows: list[tuple[int, dict[str, str]]] = []
    if path.suffix.lower() == ".toml":
        rows = _toml_rows(path)
    else:
        with io.StringIO(read_text(path, "overrides"), newline="") as f:
            reader = csv.reader(f)
            try:
                header = [h.strip() for h in next(reader)]
            except StopIteration:
                raise RegistryError(
                    f"{path}:1: empty overrides file (expected action,raw_name,target,note)"
                ) from None
            if header[:3] != ["action", "raw_name", "target"]:
                raise RegistryError(f"{path}:1: expected header action,raw_name,target,note")
            for row in reader:
                if not row or not any(c.strip() for c in row) or row[0].strip().startswith("#"):
                    continue
                if len(row) < 3 or len(row) > len(header):
                    raise RegistryError(f"{path}:{reader.line_num}: expected action,raw_name,target,note")
                rows.append((reader.line_num, dict(zip(header, row, strict=False))))
    must: list[tuple[str, str]] = []
    cannot: list[tuple[str, str]] = []
    rename: list[tuple[str, str]] = []
    for line, row in rows:
        action = (row.get("action") or "").strip()
        raw = (row.get("raw_name") or "").strip()
        target = (row.get("target") or "").strip()
        if action not in ACTIONS:
            raise RegistryError(f"{path}:{line}: unknown action {action!r} (expected {', '.join(ACTIONS)})")
        if not raw or not target:
            raise RegistryError(f"{path}:{line}: {action} needs both raw_name and target")
        if action == "must_link":
            must.append((raw, target))
        elif action == "cannot_link":
            if raw == target:
                raise RegistryError(f"{path}:{line}: cannot_link of a name with itself")
            cannot.append((raw, target))
        else:
            rename.append((raw, target))
    seen: dict[str, str] = {}
    for raw, target in must:
        if seen.setdefault(raw, target) != target:
            raise RegistryError(f"{path}: must_link of {raw!r} to two targets ({seen[raw]!r}, {target!r})")
    return Overrides(tuple(must), tuple(cannot), tuple(rename), source=str(path))


def _toml_rows(path: Path) -> list[tuple[int, dict[str, str]]]:
    try:
        import tomllib
    except ModuleNotFoundError as e:  # Python 3.10
        raise RegistryError(f"{path}: TOML overrides need Python 3.11+; use the CSV format") from e
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as e:
        raise RegistryError(f"{path}: {e}") from e
    items = data.get("override", [])
    if not isinstance(items, list):
        raise RegistryError(f"{path}: expected [[override]] tables")
    out = []
    for i, item in enumerate(items, start=1):
        if not isinstance(item, dict):
            raise RegistryError(f"{path}: override #{i} is not a table")
        out.append((i, {k: str(v) for k, v in item.items()}))
    return out


# ---------------------------------------------------------------------------------------------- guards


def _subsequence(short: tuple[str, ...], long: tuple[str, ...]) -> bool:
    it = iter(long)
    return all(t in it for t in short)


def _hamming1(a: str, b: str) -> tuple[str, str] | None:
    if len(a) != len(b):
        return None
    diff = [(x, y) for x, y in zip(a, b, strict=False) if x != y]
    return diff[0] if len(diff) == 1 else None


def _lev1(a: str, b: str) -> bool:
    """True when a and b differ by exactly one insertion, deletion or substitution."""
    if a == b or abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        return _hamming1(a, b) is not None
    if len(a) > len(b):
        a, b = b, a
    i = 0
    while i < len(a) and a[i] == b[i]:
        i += 1
    return a[i:] == b[i + 1 :]


def guard(a: NameInfo, b: NameInfo) -> tuple[str, str]:
    """Decide whether two *different* normalised names may denote one entity.

    Returns ``(outcome, reason)`` with outcome ``merge`` (safe to merge), ``review`` (maybe: left
    apart, queued for a human, person evidence may merge it) or ``block`` (never merge).
    """
    if a.english != b.english:
        return BLOCK, "a Chinese and an English name are matched through the registry only"
    reviews: list[str] = []
    if a.quals != b.quals:
        qa, qb = "/".join(a.quals) or "-", "/".join(b.quals) or "-"
        if a.quals and b.quals:
            return BLOCK, f"different qualifiers ({qa} vs {qb})"
        reviews.append(f"qualifier ({qa if a.quals else qb}) on one side only: maybe a local entity")
    if a.region and b.region and a.region != b.region:
        return BLOCK, f"different regions ({a.region} vs {b.region})"
    if a.tails != b.tails:
        ta, tb = "".join(a.tails) or "-", "".join(b.tails) or "-"
        if not a.tails or not b.tails:
            reviews.append(f"bare brand vs brand + type word ({ta} vs {tb})")
        elif (_subsequence(a.tails, b.tails) or _subsequence(b.tails, a.tails)) and a.tails[-1] == b.tails[-1]:
            # 天风证券资管 vs 天风资管: the parent's type word inside the name, same final type
            reviews.append(f"extra type word inside the name ({ta} vs {tb})")
        elif _subsequence(a.tails, b.tails) or _subsequence(b.tails, a.tails):
            return BLOCK, f"extra institution-type word ({ta} vs {tb}): a different entity"
        else:
            fa, fb = family(a.tails[-1]), family(b.tails[-1])
            if not families_compatible(fa, fb):
                return BLOCK, f"type conflict ({ta} vs {tb})"
            reviews.append(f"different type words ({ta} vs {tb})")
    soft = len(reviews)  # differences that alone only call for a review
    merge_reason = ""
    ba, bb = a.brand, b.brand
    if ba == bb:
        if a.region != b.region:
            if is_generic_brand(ba):
                reviews.append(f"generic brand {ba} with a region on one side only")
            else:
                merge_reason = f"same name apart from the region prefix {a.region or b.region}"
        else:
            merge_reason = "same normalised name"
    elif a.english:
        short = min(len(ba), len(bb))
        if _lev1(ba, bb) and short >= 7:
            merge_reason = "one-letter spelling difference"
        elif short >= 5 and (ba in bb or bb in ba):
            reviews.append(f"English brand {ba if len(ba) < len(bb) else bb} is part of the other")
        elif fuzz.ratio(ba, bb) >= 85:
            reviews.append("similar English names")
        else:
            return BLOCK, "different English names"
    else:
        short, long_ = (ba, bb) if len(ba) <= len(bb) else (bb, ba)
        sub = _hamming1(ba, bb)
        if short in long_:
            if len(long_) - len(short) == 1 and len(short) >= 4:
                reviews.append(f"brand {long_} has one character more than {short}")
            else:
                return BLOCK, f"brand {short} is part of {long_}: a different entity of the family"
        elif sub is not None:
            if len(short) >= 4 and (is_confusable(*sub) or len(short) >= 6):
                merge_reason = f"one-character typo ({sub[0]}/{sub[1]})"
            elif len(short) <= 2 and not is_confusable(*sub):
                return BLOCK, f"different 2-character brands ({ba} vs {bb})"
            else:
                reviews.append(f"brands differ in one character ({sub[0]}/{sub[1]})")
        elif _lev1(ba, bb) and len(short) >= 4:
            reviews.append(f"brands differ by one character ({ba} vs {bb})")
        elif len(short) >= 4 and fuzz.ratio(ba, bb) >= 75:
            reviews.append(f"similar brands ({ba} vs {bb})")
        else:
            return BLOCK, f"different brands ({ba} vs {bb})"
    if len(reviews) >= 2 and (soft < len(reviews) or soft >= 2):
        # two independent differences (brand + type words, qualifier + type words ...): another firm
        return BLOCK, "; ".join(reviews)
    if reviews:
        return REVIEW, "; ".join(reviews)
    return MERGE, merge_reason


def _score(a: NameInfo, b: NameInfo) -> float:
    return round(fuzz.ratio(a.norm, b.norm) / 100.0, 3)


# ---------------------------------------------------------------------------------------------- resolve


def _uid(norm: str) -> str:
    return "u-" + hashlib.sha1(norm.encode("utf-8")).hexdigest()[:10]


Outcome = tuple[str, str, float]  # (merge/review/block, reason, score)


@dataclass
class ResolveMemo:
    """Comparisons remembered between :func:`resolve` calls: they make a call faster, never different.

    ``blocks``: a block's brands (:func:`_block_key`) -> the (query, member) index pairs the fuzzy
    scorer kept; ``pairs``: (raw, raw) of two compared names -> the guard's outcome and the score;
    ``evidence``: a person, the sorted names they appeared under and those names' nodes (unit,
    registry entry or None) -> the pairs of them that the person promotes (:func:`_person_pairs`);
    ``lookups``: a raw name -> the exact keys the registry is searched by
    (:func:`_lookup_keys`); ``types``: a raw name -> its :func:`infer_type`. Each is a pure function
    of its key (given the resolver's code and rules, which ``irgraph.cache`` keys the stored memo
    by; never of the registry or overrides). After ``resolve(..., memo=m)``, ``m`` holds exactly
    what that call used, so a stored memo does not grow with every build.

    ``fuzzy``: the whole fuzzy stage of the last call, ``(nodes, units, outcomes)``: the digest of
    the registry's nodes (:func:`_nodes_digest`), each unit -> the name it is analysed by, and the
    outcome of every pair of nodes the blocks met. A call whose registry nodes are the same and whose
    units include those (analysed by the same names) meets those pairs again, and new pairs only
    with its new units (:func:`_pairs_of_new_units`): it compares those alone. ``persons``: the person
    stage of the last call, ``(names, pairs, nodes, promotions, lone)``: its distinct names, its
    evidence pairs of those names, each name's node, each node pair some person promotes -> (the last
    such person, reason, score), and each person of one spelling -> it (the persons of several are
    in ``evidence``); a call with those names and pairs among its own and the names in the same
    nodes redoes only the persons of its new pairs (:func:`_persons_since`).
    """

    blocks: dict[str, tuple[tuple[int, ...], tuple[int, ...]]] = field(default_factory=dict)
    pairs: dict[tuple[str, str], Outcome] = field(default_factory=dict)
    evidence: dict[tuple[str, tuple[str, ...], tuple[str | None, ...]], tuple[tuple[int, int, str, float], ...]] = (
        field(default_factory=dict))
    lookups: dict[str, tuple[str, str]] = field(default_factory=dict)
    types: dict[str, str] = field(default_factory=dict)
    fuzzy: tuple[str, dict[str, str], dict[frozenset[str], Outcome]] | None = None
    persons: tuple[frozenset[str], frozenset[tuple[str | None, ...]], dict[str, str],
                   dict[frozenset[str], tuple[str, str, float]], dict[str, str]] | None = None


def _nodes_digest(reg_nodes: Mapping[str, tuple[NameInfo, tuple[str, ...]]]) -> str:
    """A digest of the registry's nodes and the names they are analysed by (all that the fuzzy stage
    reads of the registry)."""
    text = "\x1e".join([f"{node}\x1f{info.raw}" for node, (info, _) in reg_nodes.items()])
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _compared_parts(info: NameInfo) -> tuple[bool, str, str, tuple[str, ...], tuple[str, ...]]:
    """The parts of a name that the fuzzy stage reads (its blocks, :func:`guard`, :func:`_score`)."""
    return info.english, info.region, info.brand, info.tails, info.quals


def _units_alike(old_units: Mapping[str, str], unit_info: Mapping[str, NameInfo]) -> bool:
    """Is every unit of ``old_units`` (unit -> the name it was analysed by) among ``unit_info``, with
    the parts the fuzzy stage reads alike? (A new spelling of a unit may become the name it is
    analysed by: 南京茂竹悦投资管理 after 南京茂竹悅投資管理有限公司.)"""
    now = {u: info.raw for u, info in unit_info.items()}
    for u, raw in old_units.items() - now.items():  # (the units analysed by another name, or gone)
        info = unit_info.get(u)
        if info is None or _compared_parts(analyze_name(raw)) != _compared_parts(info):
            return False
    return True


def _pairs_of_new_units(
    added: set[str], keys: Iterable[tuple[str, str]], blocks: Mapping[tuple[str, str], list[str]],
    n_queries: Mapping[tuple[str, str], int], block_brands: Mapping[tuple[str, str], list[str]],
    *, stale: set[str] | None = None,
) -> list[tuple[str, str]] | None:
    """The pairs the blocks ``keys`` (those of the new units ``added``) meet that have a new unit, each
    once, in the order the full stage meets it (see :func:`_block_hits`: two units (i, j), i < j, as
    (i, j) when the scorer finds i's brand like j's, else as (j, i); a unit and a registry node with
    the unit first); None when a block that the last call compared now has too many members to be
    compared (its old pairs would be left out: the caller compares everything again). ``stale``
    gets the memo keys (:func:`_block_key`) these blocks had before the new units joined."""
    met: dict[frozenset[str], tuple[str, str]] = {}
    for key in sorted(keys):
        members, nq, cb = blocks[key], n_queries[key], block_brands[key]
        rows = [i for i in range(nq) if members[i] in added]
        old_size = len(members) - len(rows) if len(rows) < nq else 0  # (registry nodes join units only)
        if 2 <= old_size <= MAX_BLOCK < len(members):
            return None
        if stale is not None and old_size:
            new_rows = set(rows)
            stale.add(_block_key(nq - len(rows), [b for i, b in enumerate(cb) if i not in new_rows]))
        if len(members) < 2 or len(members) > MAX_BLOCK:
            continue
        brands = [cb[i] for i in rows]
        ahead = process.cdist(brands, cb, scorer=fuzz.ratio, score_cutoff=BRAND_CUTOFF, workers=1)
        back = process.cdist(cb[:nq], brands, scorer=fuzz.ratio, score_cutoff=BRAND_CUTOFF, workers=1)
        for r, i in enumerate(rows):
            for j in sorted(set(ahead[r].nonzero()[0].tolist()) | set(back[:, r].nonzero()[0].tolist())):
                if j == i:
                    continue
                if j >= nq:
                    a, b = i, j
                elif i < j:
                    a, b = (i, j) if ahead[r, j] > 0 else (j, i)
                else:
                    a, b = (j, i) if back[j, r] > 0 else (i, j)
                met.setdefault(frozenset((members[a], members[b])), (members[a], members[b]))
    return list(met.values())


def _persons_since(
    persons: tuple[frozenset[str], frozenset[tuple[str | None, ...]], dict[str, str],
                   Mapping[frozenset[str], tuple[str, str, float]], dict[str, str]] | None,
    counts: Mapping[str, int], distinct: set[tuple[str | None, ...]], node_map: Mapping[str, str],
) -> tuple[set[str], frozenset[tuple[str | None, ...]]] | None:
    """When the last call's person stage (``ResolveMemo.persons``) holds for this one (its names are
    among these, its pairs of those names among these pairs, and each of its names has the same node
    or none again), the persons with new pairs and those pairs; else None. The other persons have the
    same spellings in the same nodes: they promote what they did."""
    if persons is None:
        return None
    names, pairs, nodes = persons[:3]
    if not (counts.keys() >= names and nodes.items() <= node_map.items() and len(node_map.keys() & names) == len(nodes)):
        return None
    new_pairs = distinct - pairs
    if len(distinct) - len(new_pairs) != len(pairs):  # (some of the last call's pairs are not among these)
        return None
    added = frozenset(e for e in new_pairs if e[0] in counts)
    changed = {p for e in added if len(e) > 1 and e[1] and len(p := e[1].strip()) >= 2}  # type: ignore[union-attr]
    return changed, added


def _block_key(n_queries: int, brands: list[str]) -> str:
    """The memo key of a fuzzy block: its members' brands, the first ``n_queries`` of them queried."""
    return f"{n_queries}\x1e" + "\x1f".join(brands)


def _block_hits(n_queries: int, brands: list[str]) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """The (query, member) index pairs of a block whose brands the fuzzy scorer finds alike, the
    queries being the first ``n_queries`` members; in the scorer's order (by query, then member), less
    the pairs the resolver would skip: a name with itself, and two queries met the other way round
    before (the later of (i, j) and (j, i))."""
    sims = process.cdist(brands[:n_queries], brands, scorer=fuzz.ratio, score_cutoff=BRAND_CUTOFF, workers=1)
    qi, ci = sims.nonzero()
    seen_before = (ci < qi) & (ci < n_queries)
    seen_before[seen_before] = sims[ci[seen_before], qi[seen_before]] > 0
    keep = (qi != ci) & ~seen_before
    return tuple(qi[keep].tolist()), tuple(ci[keep].tolist())


def _lookup_keys(raw: str, info: NameInfo) -> tuple[str, str]:
    """The exact keys stage 1 looks ``raw`` up by: its own and the fallback one (the simplified script
    of a Chinese name, the base name of an English branch; '' for other English names)."""
    if not info.english:
        return exact_key(raw), exact_key(to_simplified(raw))
    return exact_key(raw), exact_key(english_branch_base(raw)) if info.desk else ""


_BLOCKED: Outcome = (BLOCK, "", 0.0)  # the outcome of a blocked pair: its reason and score are never read


def _compare(a: NameInfo, b: NameInfo) -> Outcome:
    """The guard's outcome, reason and the pair's score (one outcome for all blocked pairs: ~80% of
    the compared pairs, kept apart whatever their reason)."""
    outcome, reason = guard(a, b)
    return _BLOCKED if outcome == BLOCK else (outcome, reason, _score(a, b))


def _evidence_outcome(a: NameInfo, b: NameInfo) -> Outcome | None:
    """The guard's outcome for two spellings one person appeared under; None when not alike enough
    (the better of whole-key and core (region + brand) similarity below ``EVIDENCE_MIN``)."""
    if a.norm == b.norm:
        return None
    score = _score(a, b)  # (_similarity's first part, and _compare's score: made once)
    if max(score, fuzz.ratio(a.core, b.core) / 100.0) < EVIDENCE_MIN:
        return None
    outcome, reason = guard(a, b)
    return _BLOCKED if outcome == BLOCK else (outcome, reason, score)


def _person_pairs(raws: tuple[str, ...], nodes: tuple[str | None, ...]) -> tuple[tuple[int, int, str, float], ...]:
    """The pairs of the sorted spellings ``raws`` one person appeared under (their nodes: ``nodes``)
    that person evidence promotes to a merge: ``(i, j, reason, score)``, in (i, j) order, for the pairs
    of two nodes, not both registry entries, that the guard finds review-level."""
    out = []
    for (i, x), (j, y) in itertools.combinations(enumerate(raws), 2):
        nx, ny = nodes[i], nodes[j]
        if nx is None or ny is None or nx == ny or (nx.startswith("id:") and ny.startswith("id:")):
            continue
        judged = _evidence_outcome(analyze_name(x), analyze_name(y))
        if judged is not None and judged[0] == REVIEW:
            out.append((i, j, judged[1], judged[2]))
    return tuple(out)


def _override_cluster(tid: str, name: str) -> Institution:
    """An unregistered cluster that an override creates, named ``name``."""
    return Institution(
        institution_id=tid,
        name=name,
        type=infer_type(name),
        group=name,
        group_id=group_id(name),
        registered=False,
        source="override",
    )


class _DSU:
    def __init__(self) -> None:
        self.parent: dict[str, str] = {}

    def find(self, x: str) -> str:
        p = self.parent.setdefault(x, x)
        while p != self.parent[p]:
            self.parent[p] = self.parent[self.parent[p]]
            p = self.parent[p]
        self.parent[x] = p
        return p

    def union(self, a: str, b: str) -> str:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            if rb < ra:
                ra, rb = rb, ra
            self.parent[rb] = ra
        return ra


@collector_paused()  # ~40k names make ~1M small acyclic objects
def resolve(
    names: Iterable[str],
    *,
    registry: Registry | None = None,
    overrides: Overrides | None = None,
    evidence: Iterable[tuple[str, str | None]] = (),
    memo: ResolveMemo | None = None,
    counts: Mapping[str, int] | None = None,
) -> Resolution:
    """Resolve raw institution names; every distinct input name gets a :class:`Match`.

    ``evidence``: ``(raw_institution, person)`` pairs; the same person (>= 2 characters) under two
    fuzzy-similar, guard-compatible spellings merges a pair that would otherwise only be reviewed.
    ``memo``: comparisons of earlier calls to reuse (:class:`ResolveMemo`; the result is the same
    with or without it); on return it holds this call's.
    ``counts``: ``Counter(names)`` (of str names) when the caller has counted them already; then
    ``names`` is not read (the names' order is that of ``counts``: their first occurrences).
    """
    old = memo if memo is not None else ResolveMemo()
    new = ResolveMemo()
    if counts is None:
        counts = Counter(n if isinstance(n, str) else str(n) for n in names)
    order = list(counts)
    reg = registry if registry is not None else default_registry()
    ov = overrides or Overrides()
    insts: dict[str, Institution] = dict(reg.institutions)

    # ---- overrides: targets to ids
    def target_ids(target: str) -> tuple[str, ...]:
        if target in reg.institutions:
            return (target,)
        ids = reg.lookup_name(target)
        return ids

    must: dict[str, str] = dict(ov.must_link)
    forbidden: dict[str, set[str]] = defaultdict(set)  # raw -> registry ids it must not get
    cannot_raw: set[frozenset[str]] = set()
    for raw, target in ov.cannot_link:
        ids = target_ids(target)
        if ids:
            forbidden[raw].update(ids)
        else:
            cannot_raw.add(frozenset((raw, target)))
    special = set(must) | set(forbidden) | {r for pair in cannot_raw for r in pair}

    # ---- stage 1: override, exact, alias, normalised
    direct: dict[str, tuple[str, str, float]] = {}  # raw -> (id, method, score)
    deferred: dict[str, str] = {}  # raw -> must_link target that is no registry id/name
    review: list[ReviewItem] = []
    review_keys: set[tuple[str, str]] = set()

    def add_review(raw: str, cid: str, cname: str, score: float, reason: str) -> None:
        if (raw, cid) not in review_keys:
            review_keys.add((raw, cid))
            review.append(ReviewItem(raw, cid, cname, round(float(score), 3), reason))

    def allowed(raw: str, ids: tuple[str, ...]) -> tuple[str, ...]:
        bad = forbidden.get(raw)
        if bad:
            return tuple(i for i in ids if i not in bad)
        return ids if type(ids) is tuple else tuple(ids)

    unresolved: list[str] = []
    exact = reg.exact
    old_lookups, lookups = old.lookups, new.lookups
    for raw in sorted(order):
        if raw in must:
            ids = target_ids(must[raw])
            if len(ids) == 1:
                direct[raw] = (ids[0], "override", 1.0)
            else:
                deferred[raw] = must[raw]
            continue
        info = analyze_name(raw)
        keys = old_lookups.get(raw)
        if keys is None:
            keys = _lookup_keys(raw, info)
        lookups[raw] = keys
        ek, fallback = keys
        ids = allowed(raw, exact.get(ek, ()))
        if not ids and not info.english and fallback != ek:
            # a name in traditional script (中國人壽保險股份有限公司) is the registry name it converts to:
            # the registry is in simplified script, and t2s changes nothing else
            ek = fallback
            ids = allowed(raw, exact.get(ek, ()))
        if not ids and info.english and info.desk:
            # an English branch (UBS AG, Singapore Branch) is the firm: look its base name up exactly
            ids = allowed(raw, exact.get(fallback, ()))
        if len(ids) == 1:
            method = "registry" if reg.legal.get(ek) == ids[0] else "alias"
            direct[raw] = (ids[0], method, 1.0)
            continue
        steps = (
            (reg.by_norm.get(info.norm, ()), SCORE_NORMALIZED, "normalised name"),
            (reg.by_virtual.get(info.norm, ()), SCORE_VIRTUAL, "short name + type word"),
        )
        if len(ids) > 1:
            for i in ids:
                add_review(
                    raw, i, insts[i].name, 1.0, f"ambiguous: {raw} is a name of {len(ids)} registry entries"
                )
            unresolved.append(raw)
            continue
        done = False
        for cand, score, what in steps:
            cand = allowed(raw, cand)
            if len(cand) == 1:
                direct[raw] = (cand[0], "normalized", score)
                done = True
                break
            if len(cand) > 1:
                for i in cand:
                    add_review(
                        raw, i, insts[i].name, score, f"ambiguous {what}: {len(cand)} registry entries"
                    )
                done = True
                unresolved.append(raw)
                break
        if done:
            continue
        if not info.tails and not info.quals and not info.english and len(info.core) >= 3:
            core = allowed(raw, reg.by_core.get(info.core, ()))
            # a bare brand ending in a generic word (中银国际 vs 中银国际证券, 交银国际 vs 交银国际信托), or a
            # region + generic word (上海国际: 上海国际信托 or 上海国际集团?), is as often another entity of
            # the family: review, never resolved alone
            generic = ends_generic(info.brand) or is_generic_brand(info.brand)
            if len(core) == 1 and len(info.core) >= BARE_BRAND_MIN and not generic:
                direct[raw] = (core[0], "normalized", SCORE_BRAND)
                continue
            for i in core[:5]:
                add_review(
                    raw,
                    i,
                    insts[i].name,
                    SCORE_BRAND,
                    f"bare brand {info.brand} of {len(core)} registry entries",
                )
        unresolved.append(raw)

    # ---- stage 2: fuzzy candidates between unresolved names (grouped by normalised key) and registry names
    unit_of: dict[str, str] = {}
    unit_raws: dict[str, list[str]] = defaultdict(list)
    frozen: set[str] = set()  # units whose normalised name is ambiguous in the registry: never merged
    for raw in unresolved:
        norm = analyze_name(raw).norm
        ambiguous_norm = len(reg.by_norm.get(norm, ())) > 1
        u = ("raw:" + raw) if raw in special or ambiguous_norm else ("n:" + norm)
        unit_of[raw] = u
        unit_raws[u].append(raw)
        if ambiguous_norm:
            frozen.add(u)
    unit_info = {u: analyze_name(rs[0]) for u, rs in unit_raws.items()}

    reg_nodes: dict[str, tuple[NameInfo, tuple[str, ...]]] = {}
    reg_norm_ids: dict[str, set[str]] = defaultdict(set)
    for _name, info, iid in reg.alias_infos:
        reg_norm_ids[info.norm].add(iid)
        reg_nodes.setdefault("r:" + info.norm, (info, ()))
    for norm, ids in reg_norm_ids.items():
        reg_nodes["r:" + norm] = (reg_nodes["r:" + norm][0], tuple(sorted(ids)))

    blocks: dict[tuple[str, str], list[str]] = defaultdict(list)
    block_brands: dict[tuple[str, str], list[str]] = defaultdict(list)  # the brands of a block's members

    def block_keys(info: NameInfo) -> list[tuple[str, str]]:
        b = info.brand
        if not b:
            return []
        n = 3 if info.english else 2
        keys = {("e" if info.english else "c", "^" + b[:n]), ("e" if info.english else "c", b[-n:] + "$")}
        if len(b) >= 3:
            keys.add(("fl", b[0] + b[-1]))
        return sorted(keys)

    for u in sorted(unit_info):
        info = unit_info[u]
        for k in block_keys(info):
            blocks[k].append(u)
            block_brands[k].append(info.brand)
    n_queries = {k: len(us) for k, us in blocks.items()}  # a block's units come first: its queries
    for node in sorted(reg_nodes):
        info = reg_nodes[node][0]
        for k in block_keys(info):
            if k in n_queries:
                blocks[k].append(node)
                block_brands[k].append(info.brand)

    info_of = {**unit_info, **{n: i for n, (i, _) in reg_nodes.items()}}
    outcomes: dict[frozenset[str], tuple[str, str, float]] = {}
    old_blocks, new_blocks, old_pairs, new_pairs = old.blocks, new.blocks, old.pairs, new.pairs
    nodes_digest = _nodes_digest(reg_nodes)
    unit_names = {u: info.raw for u, info in unit_info.items()}
    since = None
    if old.fuzzy is not None and old.fuzzy[0] == nodes_digest and _units_alike(old.fuzzy[1], unit_info):
        # the last call's units are among these, analysed alike, and the registry's nodes are the same:
        # its pairs are met again (a pair's outcome depends on the two nodes only), and new ones only
        # in the blocks of new units
        added = set(unit_names.keys() - old.fuzzy[1].keys())
        stale: set[str] = set()
        since = _pairs_of_new_units(added, {k for u in added for k in block_keys(unit_info[u])}, blocks,
                                    n_queries, block_brands, stale=stale)
    if since is not None:
        outcomes.update(old.fuzzy[2])  # type: ignore[index]
        new_pairs.update(old_pairs)  # (what the last call compared: these units compare it again)
        new_blocks.update((k, v) for k, v in old_blocks.items() if k not in stale)  # (blocks of new units: not compared)
        for a, b in since:
            ia, ib = info_of[a], info_of[b]
            raws = (ia.raw, ib.raw)
            known = old_pairs.get(raws)
            outcomes[frozenset((a, b))] = new_pairs[raws] = _compare(ia, ib) if known is None else known
    for key in sorted(blocks) if since is None else ():
        members = blocks[key]
        if len(members) < 2 or len(members) > MAX_BLOCK:
            continue
        nq = n_queries[key]
        cb = block_brands[key]
        block = _block_key(nq, cb)
        hits = old_blocks.get(block)
        if hits is None:
            hits = _block_hits(nq, cb)
        new_blocks[block] = hits
        for qi, ci in zip(*hits, strict=True):
            if qi == ci:  # (a node is in a block once)
                continue
            a, b = members[qi], members[ci]
            pair = frozenset((a, b))
            if pair in outcomes:
                continue
            ia, ib = info_of[a], info_of[b]
            raws = (ia.raw, ib.raw)
            known = old_pairs.get(raws)
            outcomes[pair] = new_pairs[raws] = _compare(ia, ib) if known is None else known

    new.fuzzy = (nodes_digest, unit_names, dict(outcomes))

    # ---- stage 3: person evidence promotes review-level pairs
    if type(evidence) is set and all(type(e) is tuple for e in evidence):
        distinct: set[tuple[str | None, ...]] = evidence
    else:
        distinct = {tuple(e) for e in evidence}  # a year's ~370k pairs repeat: ~80k distinct
    node_map = {**{raw: "id:" + d[0] for raw, d in direct.items()}, **unit_of}  # every raw with a node
    node_get = node_map.get
    since = _persons_since(old.persons, counts, distinct, node_map)
    # each pair of nodes some person's spellings promote -> (the last such person, reason, score)
    promotions: dict[frozenset[str], tuple[str, str, float]] = {}
    items: Iterable[tuple[str | None, ...]] = distinct
    old_evidence, new_evidence = old.evidence, new.evidence
    if since is not None:
        # the last call's persons and nodes are among these: only the persons of new pairs are redone
        changed, added = since
        promotions.update(old.persons[3])  # type: ignore[index]
        new_evidence.update((g, p) for g, p in old_evidence.items() if g[0] not in changed)
        items = added
    by_person: dict[str, set[str]] = defaultdict(set)
    if since is not None:  # a changed person's spellings: the last call's (in its groups, or alone) and new ones
        lone = old.persons[4]  # type: ignore[index]
        for (person, raws, _), _promoted in old_evidence.items() if changed else ():
            if person in changed:
                by_person[person].update(raws)
        for person in changed:
            if person in lone:
                by_person[person].add(lone[person])
    for item in items:
        raw, person = item[0], item[1] if len(item) > 1 else None
        if raw in counts and person and len(person := person.strip()) >= 2:
            by_person[person].add(raw)
    several = sorted(p for p, rs in by_person.items() if len(rs) > 1)  # (one spelling makes no pair)

    for person in several:
        raws = tuple(sorted(by_person[person]))
        nodes = tuple(map(node_get, raws))
        group = (person, raws, nodes)
        promoted = old_evidence.get(group)
        if promoted is None:
            promoted = _person_pairs(raws, nodes)
        new_evidence[group] = promoted
        mine = {frozenset((nodes[i], nodes[j])): (person, reason, score) for i, j, reason, score in promoted}
        if since is None:
            promotions.update(mine)
        else:  # (the persons of old pairs are not redone: a pair goes to the later person)
            for pair, by in mine.items():
                if pair not in promotions or promotions[pair][0] <= person:
                    promotions[pair] = by
    for pair, (person, reason, score) in promotions.items():
        outcomes[pair] = (MERGE, f"same person {person} under both names ({reason})", score)
    person_pairs = set(promotions)
    names_now = frozenset(counts)
    alone = {p: next(iter(rs)) for p, rs in by_person.items() if len(rs) == 1}
    if since is None:
        new.persons = (names_now, frozenset(e for e in distinct if e[0] in counts), node_map, dict(promotions), alone)
    else:
        alone.update((p, r) for p, r in old.persons[4].items() if p not in since[0])  # type: ignore[index]
        new.persons = (names_now, old.persons[1] | since[1], node_map, dict(promotions), alone)  # type: ignore[index]

    # ---- stage 4: constrained clustering
    dsu = _DSU()
    reg_of_root: dict[str, str] = {}  # root -> registry id in the cluster
    members_of: dict[str, set[str]] = {}
    blocked: set[frozenset[str]] = {p for p, (o, _, _) in outcomes.items() if o == BLOCK}
    for pair in cannot_raw:
        a, b = tuple(pair)
        na, nb = node_get(a), node_get(b)
        if na and nb:
            blocked.add(frozenset((na, nb)))
    joined: dict[str, tuple[str, float, str]] = {}  # unit -> (method, score, reason)

    def ids_of_node(n: str) -> tuple[str, ...]:
        if n.startswith("r:"):
            return reg_nodes[n][1]
        if n.startswith("id:"):
            return (n[3:],)
        return ()

    def members(root: str) -> set[str]:
        return members_of.get(root, {root})

    edges = sorted(
        ((p, o) for p, o in outcomes.items() if o[0] == MERGE), key=lambda po: (-po[1][2], sorted(po[0]))
    )
    # a unit with merge edges to two different registry entries is ambiguous: review, not merge
    reg_targets: dict[str, set[str]] = defaultdict(set)
    for pair, _ in edges:
        for n in pair:
            other = next(iter(pair - {n})) if len(pair) == 2 else n
            if not n.startswith(("r:", "id:")):
                for i in ids_of_node(other):
                    reg_targets[n].add(i)
    # a unit that would merge with two names a guard keeps apart (明达资产 ~ 上海明达资产, 北京明达资产)
    # is ambiguous: its merges become review items
    partners: dict[str, set[str]] = defaultdict(set)
    for pair, _ in edges:
        x, y = sorted(pair)
        partners[x].add(y)
        partners[y].add(x)
    ambiguous: set[str] = set()
    for n in sorted(partners):
        if n.startswith(("r:", "id:")):
            continue  # two typo variants may both belong to one registry entry
        ps = sorted(partners[n])
        if any(frozenset((p, q)) in blocked for i, p in enumerate(ps) for q in ps[i + 1 :]):
            ambiguous.add(n)
    for pair, (_, reason, score) in list(edges):
        if pair & ambiguous:
            outcomes[pair] = (
                REVIEW,
                reason + "; ambiguous: also close to a name kept apart from this one",
                score,
            )
    edges = [(p, o) for p, o in edges if not (p & ambiguous) and not (p & frozen)]
    for pair, (_, reason, score) in edges:
        a, b = sorted(pair)
        if a.startswith(("r:", "id:")):
            a, b = b, a
        ids = ids_of_node(b)
        if len(reg_targets.get(a, ())) > 1 or len(ids) > 1:
            for i in sorted(reg_targets.get(a, set()) | set(ids)):
                for raw in unit_raws.get(a, ()):
                    add_review(raw, i, insts[i].name, score, "close to several registry entries")
            continue
        if ids and any(i in forbidden.get(raw, ()) for raw in unit_raws.get(a, ()) for i in ids):
            continue
        ra, rb = dsu.find(a), dsu.find(b)
        if ra == rb:
            continue
        rb_reg = reg_of_root.get(rb, ids[0]) if ids else reg_of_root.get(rb)
        ra_reg = reg_of_root.get(ra)
        if ra_reg and rb_reg and ra_reg != rb_reg:
            continue
        ma, mb = members(ra), members(rb)
        if any(frozenset((x, y)) in blocked for x in ma for y in mb):
            tgt = rb_reg or ("unit:" + b)
            for raw in unit_raws.get(a, ()):
                add_review(
                    raw,
                    tgt,
                    insts[tgt].name if tgt in insts else "",
                    score,
                    f"{reason}, but a guard blocks another name of that cluster",
                )
            continue
        if len(ma) * len(mb) <= 64:
            bad = False
            for x in ma:
                for y in mb:
                    if x.startswith(("r:", "id:")) or y.startswith(("r:", "id:")):
                        continue
                    if frozenset((x, y)) not in outcomes and guard(info_of[x], info_of[y])[0] == BLOCK:
                        bad = True
            if bad:
                continue
        root = dsu.union(ra, rb)
        members_of[root] = ma | mb
        for r in (ra, rb):
            if r != root:
                members_of.pop(r, None)
        reg_id = ra_reg or rb_reg
        if reg_id:
            reg_of_root[root] = reg_id
        method = "person" if pair in person_pairs else "fuzzy"
        for u in (a, b):
            if not u.startswith(("r:", "id:")) and u not in joined:
                joined[u] = (method, score, reason)

    # review-level pairs become review items
    for pair, (_, reason, score) in sorted(((p, o) for p, o in outcomes.items() if o[0] == REVIEW),
                                           key=lambda po: sorted(po[0])):
        a, b = sorted(pair, key=lambda n: (n.startswith(("r:", "id:")), len(unit_raws.get(n, ())), n))
        if a.startswith(("r:", "id:")):
            continue
        if b.startswith(("r:", "id:")):
            for i in ids_of_node(b):
                for raw in unit_raws.get(a, ()):
                    add_review(raw, i, insts[i].name, score, reason)
        else:
            for raw in unit_raws.get(a, ()):
                add_review(raw, "unit:" + b, "", score, reason)

    # ---- stage 5: build matches
    result: dict[str, tuple[str, str, float]] = dict(direct)
    clusters: dict[str, list[str]] = defaultdict(list)
    for u in sorted(unit_raws):
        clusters[dsu.find(u)].append(u)
    used_ids: set[str] = set()
    unit_id: dict[str, str] = {}
    old_types, types = old.types, new.types

    def type_of(raw: str) -> str:
        t = old_types.get(raw)
        if t is None:
            t = infer_type(raw)
        types[raw] = t
        return t

    # a cluster is named by its most frequent spelling, a legal name before others, the longer first
    rep_order = {r: (-counts.get(r, 0), not analyze_name(r).legal, -len(r.strip()), r) for r in unit_of}
    for root in sorted(clusters):
        units = clusters[root]
        raws = [r for u in units for r in unit_raws[u]]
        if len(raws) > 1:
            raws.sort(key=rep_order.__getitem__)
        reg_id = reg_of_root.get(root)
        if reg_id:
            cid = reg_id
        else:
            rep = raws[0]
            rep_info = analyze_name(rep)
            # the id hashes the name without its region (so it survives a new regional variant);
            # twins that differ only by region fall back to the full key, then to the variants
            bare = rep_info.brand + "".join(rep_info.tails)
            if rep_info.quals:
                bare += "".join(f"({q})" for q in rep_info.quals)
            full = rep_info.norm or rep
            for key in (bare or rep, full, None):  # (None: the full key and the variants, made if needed)
                cid = _uid(key if key is not None else full + "|" + "|".join(raws))
                if cid not in used_ids and cid not in insts:
                    break
            itype = type_of(rep)
            if itype == "其它":
                itype = next((t for t in (type_of(r) for r in raws) if t != "其它"), "其它")
            name = unicodedata.normalize("NFKC", rep).strip() or rep
            insts[cid] = Institution(
                institution_id=cid,
                name=name,
                type=itype,
                group=name,
                group_id=group_id(name),
                registered=False,
                source="cluster",
            )
        used_ids.add(cid)
        rep_info = analyze_name(raws[0])
        for u in units:
            unit_id[u] = cid
            method, score, _ = joined.get(u, ("cluster", 1.0, ""))
            for raw in unit_raws[u]:
                if reg_id:
                    result[raw] = (cid, method, score)
                else:
                    info = analyze_name(raw)
                    sc = 1.0 if info.norm == rep_info.norm else _score(info, rep_info)
                    result[raw] = (cid, "person" if method == "person" else "cluster", sc)

    # deferred must_link: to a raw name of this call, a cluster id, or a new named cluster
    for raw in sorted(deferred):
        target = deferred[raw]
        if target in result and target not in deferred:
            result[raw] = (result[target][0], "override", 1.0)
        elif target in insts:
            result[raw] = (target, "override", 1.0)
        else:
            tid = _uid(analyze_name(target).norm or target)
            if tid not in insts:
                insts[tid] = _override_cluster(tid, target)
            result[raw] = (tid, "override", 1.0)

    # cannot_link between two raw names that still share an id: the raw_name side gets its own cluster
    for raw, target in sorted(ov.cannot_link):
        if raw in result and target in result and result[raw][0] == result[target][0]:
            tid = _uid("cannot_link|" + raw)
            insts[tid] = _override_cluster(tid, raw)
            result[raw] = (tid, "override", 1.0)

    for iid, display in ov.rename:
        if iid in insts:
            insts[iid] = replace(insts[iid], name=display)

    matches: dict[str, Match] = {}
    for raw in order:
        iid, method, score = result[raw]
        inst = insts[iid]
        matches[raw] = Match(
            raw_name=raw,
            institution_id=iid,
            institution=inst.name,
            group=inst.group,
            type=inst.type,
            method=method,
            score=float(score),
            group_id=inst.group_id,
        )

    # finish review items: unit candidates -> cluster ids; drop settled ones; keep the best few per name
    final: list[ReviewItem] = []
    for item in review:
        cid, cname = item.candidate_id, item.candidate
        if cid.startswith("unit:"):
            u = cid[5:]
            cid = unit_id.get(u, "")
            if not cid:
                continue
            cname = insts[cid].name
        elif cid in insts:
            cname = insts[cid].name
        m = matches.get(item.raw_institution)
        if m is None or m.institution_id == cid or m.method == "override":
            continue
        final.append(replace(item, candidate_id=cid, candidate=cname))
    final.sort(key=lambda r: (r.raw_institution, -r.score, r.candidate_id))
    kept: list[ReviewItem] = []
    per: Counter[str] = Counter()
    seen_pairs: set[tuple[str, str]] = set()
    for item in final:
        if (
            per[item.raw_institution] >= MAX_REVIEW_PER_NAME
            or (item.raw_institution, item.candidate_id) in seen_pairs
        ):
            continue
        per[item.raw_institution] += 1
        seen_pairs.add((item.raw_institution, item.candidate_id))
        kept.append(item)

    used = {m.institution_id for m in matches.values()} | {r.candidate_id for r in kept}
    if memo is not None:
        memo.blocks, memo.pairs, memo.evidence = new.blocks, new.pairs, new.evidence
        memo.lookups, memo.types, memo.fuzzy, memo.persons = new.lookups, new.types, new.fuzzy, new.persons
    return Resolution(matches=matches, review=tuple(kept), institutions={i: insts[i] for i in sorted(used)})


# ---------------------------------------------------------------------------------------------- outputs


def institutions_table(resolution: Resolution, attendee_rows: Iterable[tuple[str, str, str]]) -> list[dict]:
    """Rows of ``institutions.csv``: one per institution that some attendee row resolved to.

    ``attendee_rows``: ``(raw_institution, company_key, record_key)``. Sorted by visits, companies, id.
    """
    companies: dict[str, set[str]] = defaultdict(set)
    visits: dict[str, set[str]] = defaultdict(set)
    for raw, company, record in attendee_rows:
        m = resolution.get(raw)
        if m is None:
            continue
        companies[m.institution_id].add(company)
        visits[m.institution_id].add(record)
    return institution_rows(resolution, {iid: (len(companies[iid]), len(visits[iid])) for iid in visits})


def institution_rows(resolution: Resolution, counts: Mapping[str, tuple[int, int]]) -> list[dict]:
    """The rows of :func:`institutions_table` given each institution's (companies, visits) counts."""
    variants: dict[str, list[str]] = defaultdict(list)
    for raw, m in resolution.matches.items():
        variants[m.institution_id].append(raw)
    rows = []
    for iid, (n_companies, n_visits) in counts.items():
        inst = resolution.institutions.get(iid)
        m = None if inst is not None else next(mm for mm in resolution.matches.values() if mm.institution_id == iid)
        rows.append({
            "institution_id": iid,
            "institution": inst.name if inst else m.institution,  # type: ignore[union-attr]
            "group": inst.group if inst else m.group,  # type: ignore[union-attr]
            "type": inst.type if inst else m.type,  # type: ignore[union-attr]
            "n_companies": n_companies,
            "n_visits": n_visits,
            "variants": ";".join(sorted(set(variants[iid]))),
        })
    rows.sort(key=lambda r: (-r["n_visits"], -r["n_companies"], r["institution_id"]))
    return rows


def review_rows(resolution: Resolution) -> list[dict]:
    """Rows of ``review.csv`` (raw_institution, candidate_id, candidate, score, reason), sorted."""
    items = sorted(resolution.review, key=lambda r: (r.raw_institution, -r.score, r.candidate_id))
    return [
        {
            "raw_institution": r.raw_institution,
            "candidate_id": r.candidate_id,
            "candidate": r.candidate,
            "score": r.score,
            "reason": r.reason,
        }
        for r in items
    ]
