"""The institution registry (``data/institutions.csv``, see ``docs/registry.md``), indexed for matching."""

from __future__ import annotations

import csv
import hashlib
import io
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from irgraph._resources import data_path
from irgraph.errors import RegistryError
from irgraph.models import Institution
from irgraph.normalize import NameInfo, analyze_name, type_tail

COLUMNS = (
    "institution_id",
    "name",
    "short_names",
    "former_names",
    "english_names",
    "type",
    "group",
    "source",
    "as_of",
)
REQUIRED = ("institution_id", "name", "type")
TYPES = (
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
)
_ID = re.compile(r"^[a-z]+-[0-9A-Za-z]+$")
_SPACES = re.compile(r"\s+")


def exact_key(name: str) -> str:
    """Key of an *exact* name comparison: NFKC, trimmed, inner whitespace collapsed, case-folded."""
    return _SPACES.sub(" ", unicodedata.normalize("NFKC", name or "")).strip().casefold()


def group_id(group: str) -> str:
    """Stable id of a group name: ``g-`` + first 10 hex digits of its SHA-1."""
    return "g-" + hashlib.sha1(group.encode("utf-8")).hexdigest()[:10]


@dataclass(frozen=True)
class Registry:
    """Canonical institutions plus the lookup tables the resolver uses.

    ``exact``: exact key of a legal name, short, former or English name -> ids;
    ``legal``: exact key of a current legal name -> id;
    ``by_norm``: normalised key of every name -> ids;
    ``by_virtual``: bare short name + the type word of its entity (中金 -> 中金证券) -> ids;
    ``by_core``: region + brand (+ qualifiers) of every name -> ids (for bare brands like 景顺长城);
    ``alias_infos``: (name, analysed name, id) for every name, for fuzzy candidates.
    """

    path: str
    institutions: Mapping[str, Institution]
    exact: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    legal: Mapping[str, str] = field(default_factory=dict)
    by_norm: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    by_virtual: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    by_core: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    alias_infos: tuple[tuple[str, NameInfo, str], ...] = ()

    def __len__(self) -> int:
        return len(self.institutions)

    def __contains__(self, institution_id: object) -> bool:
        return institution_id in self.institutions

    def get(self, institution_id: str) -> Institution | None:
        return self.institutions.get(institution_id)

    def names_of(self, institution_id: str) -> tuple[str, ...]:
        """All names of an institution: legal, short, former, English."""
        inst = self.institutions[institution_id]
        return (inst.name, *inst.short_names, *(n for n, _ in inst.former_names), *inst.english_names)

    def lookup_name(self, name: str) -> tuple[str, ...]:
        """Ids whose some name equals ``name`` exactly (see :func:`exact_key`)."""
        return self.exact.get(exact_key(name), ())


def read_text(path: Path, what: str) -> str:
    """Read a UTF-8 table; :class:`RegistryError` names the file (and the line of a bad byte)."""
    try:
        data = path.read_bytes()
    except OSError as e:
        raise RegistryError(f"{path}: cannot read {what}: {e.strerror or e}") from e
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = data[: e.start].count(b"\n") + 1
        raise RegistryError(f"{path}:{line}: not UTF-8 ({e.reason})") from e


def _split(cell: str) -> tuple[str, ...]:
    return tuple(p.strip() for p in (cell or "").split(";") if p.strip())


def _former(cell: str, where: str) -> tuple[tuple[str, int | None], ...]:
    out: list[tuple[str, int | None]] = []
    for part in _split(cell):
        name, sep, year = part.rpartition("@")
        if not sep:
            out.append((part, None))
            continue
        if not name.strip() or not re.fullmatch(r"\d{4}", year.strip()):
            raise RegistryError(f"{where}: former name {part!r} is not name@year")
        out.append((name.strip(), int(year)))
    return tuple(out)


def build_registry(institutions: Iterable[Institution], path: str = "") -> Registry:
    """Index institutions for matching (pure: the input is not modified)."""
    insts = {i.institution_id: i for i in institutions}
    exact: dict[str, set[str]] = {}
    legal: dict[str, str] = {}
    by_norm: dict[str, set[str]] = {}
    by_virtual: dict[str, set[str]] = {}
    by_core: dict[str, set[str]] = {}
    infos: list[tuple[str, NameInfo, str]] = []
    for iid in sorted(insts):
        inst = insts[iid]
        legal.setdefault(exact_key(inst.name), iid)
        names = (inst.name, *inst.short_names, *(n for n, _ in inst.former_names), *inst.english_names)
        for name in dict.fromkeys(names):
            exact.setdefault(exact_key(name), set()).add(iid)
            info = analyze_name(name)
            if not info.brand:
                continue
            infos.append((name, info, iid))
            by_norm.setdefault(info.norm, set()).add(iid)
            core = info.core + ("(" + "/".join(info.quals) + ")" if info.quals else "")
            by_core.setdefault(core, set()).add(iid)
            tail = type_tail(inst.type)
            if not info.tails and tail and not info.english:
                virtual = info.core + tail + ("(" + "/".join(info.quals) + ")" if info.quals else "")
                by_virtual.setdefault(virtual, set()).add(iid)

    def freeze(d: dict[str, set[str]]) -> dict[str, tuple[str, ...]]:
        return {k: tuple(sorted(v)) for k, v in d.items()}

    return Registry(
        path=path,
        institutions=insts,
        exact=freeze(exact),
        legal=legal,
        by_norm=freeze(by_norm),
        by_virtual=freeze(by_virtual),
        by_core=freeze(by_core),
        alias_infos=tuple(infos),
    )


def read_institutions(path: str | Path) -> list[Institution]:
    """Read and validate registry rows; :class:`RegistryError` names file and line of a bad row."""
    path = Path(path)
    text = read_text(path, "registry")
    out: list[Institution] = []
    seen: dict[str, int] = {}
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [h.strip() for h in next(reader)]
    except StopIteration:
        raise RegistryError(f"{path}:1: empty registry file (expected a header row)") from None
    except (csv.Error, UnicodeDecodeError) as e:
        raise RegistryError(f"{path}:1: {e}") from e
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise RegistryError(f"{path}:1: header lacks column(s) {', '.join(missing)}")
    col = {c: i for i, c in enumerate(header)}
    line = 1
    while True:
        try:
            row = next(reader)
        except StopIteration:
            break
        except (csv.Error, UnicodeDecodeError) as e:
            raise RegistryError(f"{path}:{reader.line_num}: {e}") from e
        line = reader.line_num
        if not row or not any(c.strip() for c in row):
            continue
        where = f"{path}:{line}"
        if len(row) != len(header):
            raise RegistryError(f"{where}: expected {len(header)} fields, got {len(row)}")

        def cell(name: str, row: list[str] = row) -> str:
            i = col.get(name)
            return row[i].strip() if i is not None else ""

        iid, name, itype = cell("institution_id"), cell("name"), cell("type")
        if not iid or not _ID.match(iid):
            raise RegistryError(f"{where}: bad institution_id {iid!r} (expected e.g. sec-0042)")
        if iid in seen:
            raise RegistryError(f"{where}: duplicate institution_id {iid} (first on line {seen[iid]})")
        seen[iid] = line
        if not name:
            raise RegistryError(f"{where}: empty name for {iid}")
        if itype not in TYPES:
            raise RegistryError(f"{where}: unknown type {itype!r} for {iid}")
        group = cell("group") or name
        out.append(
            Institution(
                institution_id=iid,
                name=name,
                type=itype,
                group=group,
                group_id=group_id(group),
                short_names=_split(cell("short_names")),
                former_names=_former(cell("former_names"), where),
                english_names=_split(cell("english_names")),
                registered=True,
                source=cell("source"),
                as_of=cell("as_of"),
            )
        )
    return out


def load_registry(path: str | Path | None = None) -> Registry:
    """Load the registry CSV (default: the bundled ``institutions.csv``) and index it."""
    if path is None:
        try:
            path = data_path("institutions.csv")
        except FileNotFoundError as e:
            raise RegistryError(str(e)) from e
    return build_registry(read_institutions(path), path=str(path))


_CACHE: dict[tuple[str, float, int], Registry] = {}


def default_registry() -> Registry:
    """The bundled registry, loaded once per file version (mtime and size)."""
    path = data_path("institutions.csv")
    st = path.stat()
    key = (str(path), st.st_mtime, st.st_size)
    if key not in _CACHE:
        _CACHE.clear()
        _CACHE[key] = load_registry(path)
    return _CACHE[key]
