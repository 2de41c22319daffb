"""Writers for the graph (GraphML, GEXF) and the report tables (Parquet, xlsx).

Every file is written atomically (``irgraph._io.atomic_open``) and byte-deterministically: the
same input gives identical bytes (no timestamps: GEXF's ``lastmodifieddate`` is left out, the
xlsx document properties and zip entry times are fixed).
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import io
import math
import re
import zipfile
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import networkx as nx
import numpy as np
import pandas as pd

from irgraph._io import atomic_open, safe_cell
from irgraph.errors import OutputError

if TYPE_CHECKING:
    import pyarrow as pa

__all__ = ["write_gexf", "write_graphml", "write_parquet", "write_xlsx"]

_FIXED_TIME = _dt.datetime(2000, 1, 1, 0, 0, 0)
_ZIP_TIME = (2000, 1, 1, 0, 0, 0)
_XLSX_MAX_ROWS = 1_048_576
_SHEET_BAD = re.compile(r"[\[\]:*?/\\]")


def _scalar(v: object) -> str | int | float | None:
    """A GraphML/GEXF-safe value: str/int/float kept, bools to int, sequences joined, None dropped."""
    if v is None:
        return None
    if isinstance(v, (bool, np.bool_)):
        return int(v)
    if isinstance(v, (int, np.integer)):
        return int(v)
    if isinstance(v, (float, np.floating)):
        return float(v)
    if isinstance(v, str):
        return v
    if isinstance(v, (list, tuple, set, frozenset)):
        return ";".join(sorted(str(x) for x in v) if isinstance(v, (set, frozenset)) else map(str, v))
    return str(v)


def _clean(d: Mapping[str, object]) -> dict[str, str | int | float]:
    out = {}
    for k, v in d.items():
        s = _scalar(v)
        if s is not None:
            out[str(k)] = s
    return out


@contextlib.contextmanager
def _output_file(path: str | Path, mode: str = "wb") -> Iterator[IO[Any]]:
    """``atomic_open(path, mode)``, with an OS error turned into an :class:`OutputError` naming the file."""
    try:
        with atomic_open(path, mode, encoding=None if "b" in mode else "utf-8") as f:
            yield f
    except OSError as e:
        raise OutputError(f"cannot write {path}: {e.strerror or e}") from e


def write_bytes(path: str | Path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically; an OS error becomes an :class:`OutputError` naming the file."""
    with _output_file(path) as f:
        f.write(data)


_NOT_XML = "\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff"  # characters XML cannot hold (a class body)
_BAD_XML = re.compile(f"[{_NOT_XML}]")
_XLSX_BAD = re.compile(f"[{_NOT_XML}\ud800-\udfff]")  # and lone surrogates: the workbook is encoded


_XML_SPECIAL = re.compile(f'[&<>"{_NOT_XML}]')


def _x(value: object) -> str:
    """XML-escaped text (also for attribute values); characters XML cannot hold are dropped."""
    text = value if isinstance(value, str) else repr(value) if isinstance(value, float) else str(value)
    if not _XML_SPECIAL.search(text):
        return text  # the usual case, checked in one pass
    text = _BAD_XML.sub("", text)
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


_PLAIN = frozenset((str, int, float))
_CHUNK = 20_000  # elements formatted per write: the file is streamed, never held whole
_CHUNK_CHARS = 1 << 22  # ... and at most about this many characters held before a write


def _attrs(d: Mapping[str, object], *, edge: bool = False) -> Mapping[str, str | int | float]:
    """``d`` with only str/int/float values (:func:`_clean`), and ``weight = visits`` on edges without
    a ``weight`` (Gephi reads ``weight`` as the edge weight); ``d`` itself when nothing changes."""
    if not _PLAIN.issuperset(map(type, d.values())):
        d = _clean(d)
    return _with_weight(d) if edge else d  # type: ignore[arg-type,return-value]


def _with_weight(d: Mapping[str, str | int | float]) -> Mapping[str, str | int | float]:
    return {**d, "weight": d["visits"]} if "visits" in d and "weight" not in d else d


def _as_is(d: Mapping[str, str | int | float]) -> Mapping[str, str | int | float]:
    return d


def _attribute_plan(items: Callable[[], Iterable[Mapping[str, object]]], *, edge: bool = False, skip: str = ""
                    ) -> tuple[dict[str, str], Callable[[Mapping[str, object]], Mapping[str, str | int | float]]]:
    """Attribute name -> XML type (string wins over double over long, in first-seen order) of the
    attribute dicts ``items()`` yields, and the function that gives an element's attributes as
    written (:func:`_attrs`, or cheaper when every value is already a str/int/float)."""
    # the distinct (names, value types) shapes, in first-seen order: a year has 400k edges but a
    # handful of shapes
    shapes: dict[tuple[tuple[str, ...], tuple[type, ...]], None] = {}
    for d in items():
        shapes.setdefault((tuple(d), tuple(map(type, d.values()))), None)
    if not all(_PLAIN.issuperset(types) for _, types in shapes):
        return _key_types((_attrs(d, edge=edge) for d in items()), skip), (
            (lambda d: _attrs(d, edge=True)) if edge else _attrs)
    kinds: dict[str, set[type]] = {}
    for names, types in shapes:
        if edge and "visits" in names and "weight" not in names:
            names, types = (*names, "weight"), (*types, types[names.index("visits")])
        for k, t in zip(names, types, strict=True):
            if k != skip:
                kinds.setdefault(k, set()).add(t)
    return _kinds(kinds), _with_weight if edge else _as_is


def _key_types(items: Iterable[Mapping[str, str | int | float]], skip: str = "") -> dict[str, str]:
    """Attribute name -> XML type (string wins over double over long), in first-seen order."""
    kinds: dict[str, set[type]] = {}
    for d in items:
        for k, v in d.items():
            if k != skip:
                kinds.setdefault(k, set()).add(type(v))
    return _kinds(kinds)


def _kinds(kinds: dict[str, set[type]]) -> dict[str, str]:
    return {k: "string" if str in ts else "double" if float in ts else "long" for k, ts in kinds.items()}


def _needs_escape(d: Mapping[str, str | int | float]) -> bool:
    """Does any value of ``d`` hold a character XML text must escape (or cannot hold)? One search
    per element: escaping value by value is what made writing a year slow."""
    return _XML_SPECIAL.search("".join(map(str, d.values()))) is not None


def _double(v: str | int | float) -> str:
    return _x(v) if isinstance(v, str) else repr(float(v))


def _converter(kind: str) -> Callable[[str | int | float], str]:
    """XML text of a value of an attribute of this type (a long attribute only holds ints)."""
    return str if kind == "long" else _double if kind == "double" else _x


def _stream(path: str | Path, head: list[str], parts: Iterable[str | pa.Buffer], tail: list[str]) -> None:
    """Write ``head``, every part and ``tail`` as lines (UTF-8), atomically, in chunks. A part is
    text, or UTF-8 bytes made by Arrow (many elements), written as they are."""
    with _output_file(path, "wb") as f:
        def lines(texts: list[str]) -> None:
            if texts:
                f.write(("\n".join(texts) + "\n").encode("utf-8"))

        lines(head)
        chunk: list[str] = []
        size = 0
        for p in parts:
            if not isinstance(p, str):
                lines(chunk)
                chunk, size = [], 0
                f.write(p)
                f.write(b"\n")
                continue
            chunk.append(p)
            size += len(p)
            if len(chunk) >= _CHUNK or size >= _CHUNK_CHARS:
                lines(chunk)
                chunk, size = [], 0
        lines(chunk)
        lines(tail)


# ---- the edges of a year as columns: one pass over the graph, the XML text made by Arrow (a year's
# 350k edges were ~3 s of f-strings per file). Only for graphs whose edges all carry the same
# attributes, of one plain type each, in one order (the graphs build_graph makes); any other graph is
# written element by element as before. The text is the same either way (tested).


class _EdgeTable:
    """Every edge's ends and attribute values as columns (edges of one shape only: see above)."""

    def __init__(self, us: list[Any], vs: list[Any], cols: dict[str, list[Any]]) -> None:
        self.us, self.vs = us, vs
        if "visits" in cols and "weight" not in cols:  # what _with_weight adds to each edge
            cols = {**cols, "weight": cols["visits"]}
        self.cols = cols
        # attribute -> XML type, as _attribute_plan gives it for one shape
        self.kinds = _kinds({k: {type(v[0])} for k, v in cols.items()})

    @classmethod
    def of(cls, G: nx.Graph) -> _EdgeTable | None:
        """The table of ``G``'s edges, or None when they differ in attributes, their order or types."""
        us: list[Any] = []
        vs: list[Any] = []
        rows: list[tuple[Any, ...]] = []
        keys: tuple[str, ...] | None = None
        seen: set[Any] = set()
        # G.edges(data=True)'s order, read from the adjacency directly (its view costs ~0.5 s a year)
        for u, nbrs in G._adj.items():
            for v, d in nbrs.items():
                if v in seen:
                    continue
                if keys is None:
                    keys = tuple(d)
                elif tuple(d) != keys:
                    return None
                us.append(u)
                vs.append(v)
                rows.append(tuple(d.values()))
            seen.add(u)
        if not keys:
            return None
        cols = [list(values) for values in zip(*rows, strict=True)]
        del rows
        for values in cols:
            if type(values[0]) not in _PLAIN or len(set(map(type, values))) != 1:
                return None
        return cls(us, vs, dict(zip(keys, cols, strict=True)))

    def elements(self, ids: Mapping[Any, str], pieces: Callable[[Any, Any, dict[str, Any], Any], list[Any]]
                 ) -> Iterator[pa.Buffer]:
        """The edges' elements (UTF-8), ``_CHUNK`` lines at a time: ``pieces(src, tgt, texts, index)`` gives the
        literals and Arrow columns each line is joined from, in order (texts made a chunk at a time,
        so a year's edges never exist as text all at once)."""
        import pyarrow as pa
        import pyarrow.compute as pc

        empty, newline = pa.scalar("", pa.large_string()), pa.scalar("\n", pa.large_string())
        for start in range(0, len(self.us), _CHUNK):
            stop = start + _CHUNK
            texts = {k: _xml_texts(v[start:stop], self.kinds[k]) for k, v in self.cols.items()}
            src = pa.array([ids[u] for u in self.us[start:stop]], type=pa.large_string())
            tgt = pa.array([ids[v] for v in self.vs[start:stop]], type=pa.large_string())
            index = pa.array(np.arange(start, start + len(src), dtype=np.int64)).cast(pa.large_string())
            args = pieces(src, tgt, texts, index)
            rows = pc.binary_join_element_wise(*[pa.scalar(a, pa.large_string()) if isinstance(a, str) else a
                                                 for a in args], empty)
            lines = pa.ListArray.from_arrays(pa.array([0, len(rows)], type=pa.int32()), rows)
            yield pc.binary_join(lines, newline)[0].as_buffer()  # (UTF-8, never decoded here)


def _xml_texts(values: list[Any], kind: str) -> Any:
    """The XML text of each value, as the element writers write a value of an attribute of ``kind``."""
    import pyarrow as pa

    first = values[0]
    if isinstance(first, str):
        arr = pa.array(values, type=pa.large_string())
        data = arr.buffers()[2]
        if data is not None and _XML_SPECIAL.search(data.to_pybytes().decode("utf-8")):
            arr = pa.array([_x(v) for v in values], type=pa.large_string())
        return arr
    if kind == "long":
        return pa.array(values, type=pa.int64()).cast(pa.large_string())
    texts = {v: repr(float(v)) for v in dict.fromkeys(values)}
    return pa.array([texts[v] for v in values], type=pa.large_string())


def write_graph_files(G: nx.Graph, graphml: str | Path, gexf: str | Path) -> None:
    """:func:`write_graphml` and :func:`write_gexf`, reading ``G``'s edges once for both."""
    table = _EdgeTable.of(G)
    _graphml(G, graphml, table)
    _gexf(G, gexf, table)


def write_graphml(G: nx.Graph, path: str | Path, *, clean: bool = False) -> None:
    """Write ``G`` as GraphML (opens in Gephi, yEd, networkx ``read_graphml``).

    A streaming writer (networkx' ElementTree writer needs ~40 s and GBs for a year); the
    output follows networkx' layout, and ``nx.read_graphml`` reads back the same graph. Values
    that are not str/int/float are written as :func:`_scalar` turns them; ``G`` is not copied.
    ``clean`` is accepted for compatibility and has no effect.
    """
    _graphml(G, path, _EdgeTable.of(G))


def _graphml(G: nx.Graph, path: str | Path, table: _EdgeTable | None) -> None:
    graph_attrs = _clean(G.graph)
    keys: dict[tuple[str, str], tuple[str, str]] = {}  # (domain, name) -> (id, type)
    head = [
        "<?xml version='1.0' encoding='utf-8'?>",
        '<graphml xmlns="http://graphml.graphdrawing.org/xmlns" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
        'xsi:schemaLocation="http://graphml.graphdrawing.org/xmlns '
        'http://graphml.graphdrawing.org/xmlns/1.0/graphml.xsd">',
    ]
    node_keys, node_attrs = _attribute_plan(lambda: (d for _, d in G.nodes(data=True)))
    edge_keys, edge_attrs = (table.kinds, _with_weight) if table is not None else _attribute_plan(
        lambda: (d for *_, d in G.edges(data=True)), edge=True)
    for domain, kinds in (("graph", _key_types([graph_attrs])), ("node", node_keys), ("edge", edge_keys)):
        for name, kind in kinds.items():
            kid = f"d{len(keys)}"
            keys[(domain, name)] = (kid, kind)
            head.append(f'  <key id="{kid}" for="{domain}" attr.name="{_x(name)}" attr.type="{kind}" />')
    # per domain: name -> (opening tag, type)
    opening = {dom: {name: (f'<data key="{kid}">', _converter(kind))
                     for (d2, name), (kid, kind) in keys.items() if d2 == dom}
               for dom in ("graph", "node", "edge")}

    def data(domain: str, d: Mapping[str, str | int | float], indent: str) -> str:
        tags = opening[domain]
        if _needs_escape(d):
            return "\n".join([f"{indent}{tags[k][0]}{tags[k][1](v)}</data>" for k, v in d.items()])
        return "\n".join([f"{indent}{tags[k][0]}{v if type(v) is str else tags[k][1](v)}</data>"
                          for k, v in d.items()])

    directed = "directed" if G.is_directed() else "undirected"
    head.append(f'  <graph edgedefault="{directed}">')
    if graph_attrs:
        head.append(data("graph", graph_attrs, "    "))

    def edge_pieces(src: Any, tgt: Any, texts: dict[str, Any], _: Any) -> list[Any]:
        out: list[Any] = ['    <edge source="', src, '" target="', tgt, '">']
        for k, t in texts.items():
            out += [f"\n      {opening['edge'][k][0]}", t, "</data>"]
        return [*out, "\n    </edge>"]

    def parts() -> Iterator[str]:
        ids = {n: _x(n) for n in G}
        for n, d in G.nodes(data=True):
            attrs = node_attrs(d)
            if attrs:
                yield f'    <node id="{ids[n]}">\n{data("node", attrs, "      ")}\n    </node>'
            else:
                yield f'    <node id="{ids[n]}" />'
        if table is not None:
            yield from table.elements(ids, edge_pieces)
            return
        for u, v, d in G.edges(data=True):
            attrs = edge_attrs(d)
            if attrs:
                yield f'    <edge source="{ids[u]}" target="{ids[v]}">\n{data("edge", attrs, "      ")}\n    </edge>'
            else:
                yield f'    <edge source="{ids[u]}" target="{ids[v]}" />'

    _stream(path, head, parts(), ["  </graph>", "</graphml>"])


def write_gexf(G: nx.Graph, path: str | Path, *, clean: bool = False) -> None:
    """Write ``G`` as GEXF 1.2 (Gephi's format), with no ``lastmodifieddate`` timestamp.

    The node attribute ``label`` becomes the GEXF node label, the edge attribute ``weight``
    (= visits) the GEXF edge weight; every other attribute (``bipartite``, ``type``,
    ``visits`` ...) is a GEXF attribute.  A streaming writer in networkx' layout;
    ``nx.read_gexf`` reads back the same graph (plus an edge ``id``). ``G`` is not copied;
    ``clean`` is accepted for compatibility and has no effect.
    """
    _gexf(G, path, _EdgeTable.of(G))


def _gexf(G: nx.Graph, path: str | Path, table: _EdgeTable | None) -> None:
    node_keys, node_attrs = _attribute_plan(lambda: (d for _, d in G.nodes(data=True)), skip="label")
    if table is not None and not any(k != "weight" for k in table.kinds):
        table = None  # no attvalues: the elements are written one by one
    if table is not None:
        edge_keys, edge_attrs = {k: t for k, t in table.kinds.items() if k != "weight"}, _with_weight
    else:
        edge_keys, edge_attrs = _attribute_plan(lambda: (d for *_, d in G.edges(data=True)), edge=True, skip="weight")
    head = [
        "<?xml version='1.0' encoding='utf-8'?>",
        '<gexf xmlns="http://www.gexf.net/1.2draft" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
        'xsi:schemaLocation="http://www.gexf.net/1.2draft http://www.gexf.net/1.2draft/gexf.xsd" version="1.2">',
        "  <meta>",
        "    <creator>irgraph</creator>",
        "  </meta>",
        f'  <graph defaultedgetype="{"directed" if G.is_directed() else "undirected"}" mode="static" name="">',
    ]
    n_ids = 0
    # per class: name -> (opening of its attvalue, type)
    opening: dict[str, dict[str, tuple[str, Callable[[str | int | float], str]]]] = {"node": {}, "edge": {}}
    for cls, keys in (("node", node_keys), ("edge", edge_keys)):
        if not keys:
            continue
        head.append(f'    <attributes mode="static" class="{cls}">')
        for name, kind in keys.items():
            aid = str(n_ids)
            n_ids += 1
            opening[cls][name] = (f'          <attvalue for="{aid}" value="', _converter(kind))
            head.append(f'      <attribute id="{aid}" title="{_x(name)}" type="{kind}" />')
        head.append("    </attributes>")

    def attvalues(cls: str, d: Mapping[str, str | int | float], skip: str) -> str:
        tags = opening[cls]
        if _needs_escape(d):
            vals = [f'{tags[k][0]}{tags[k][1](v)}" />' for k, v in d.items() if k != skip]
        else:
            vals = [f'{tags[k][0]}{v if type(v) is str else tags[k][1](v)}" />' for k, v in d.items() if k != skip]
        return "\n".join(["        <attvalues>", *vals, "        </attvalues>"]) if vals else ""

    def edge_pieces(src: Any, tgt: Any, texts: dict[str, Any], index: Any) -> list[Any]:
        out: list[Any] = ['      <edge source="', src, '" target="', tgt, '" id="', index]
        if "weight" in texts:
            out += ['" weight="', texts["weight"]]
        out.append('">\n        <attvalues>')
        for k, t in texts.items():
            if k != "weight":
                out += ["\n" + opening["edge"][k][0], t, '" />']
        return [*out, "\n        </attvalues>\n      </edge>"]

    def parts() -> Iterator[str]:
        ids = {n: _x(n) for n in G}
        yield "    <nodes>"
        for n, d in G.nodes(data=True):
            attrs = node_attrs(d)
            label = attrs.get("label", n)
            body = attvalues("node", attrs, "label")
            if body:
                yield f'      <node id="{ids[n]}" label="{_x(label)}">\n{body}\n      </node>'
            else:
                yield f'      <node id="{ids[n]}" label="{_x(label)}" />'
        yield "    </nodes>"
        yield "    <edges>"
        if table is not None:
            yield from table.elements(ids, edge_pieces)
            yield "    </edges>"
            return
        for i, (u, v, d) in enumerate(G.edges(data=True)):
            attrs = edge_attrs(d)
            w = f' weight="{_x(attrs["weight"])}"' if "weight" in attrs else ""
            body = attvalues("edge", attrs, "weight")
            head_ = f'      <edge source="{ids[u]}" target="{ids[v]}" id="{i}"{w}'
            yield f"{head_}>\n{body}\n      </edge>" if body else head_ + " />"
        yield "    </edges>"

    _stream(path, head, parts(), ["  </graph>", "</gexf>"])


def _check_name(name: str) -> str:
    if not name or not re.fullmatch(r"[A-Za-z0-9_.-]+", name) or name.startswith("."):
        raise OutputError(f"report name {name!r} is not a safe file name")
    return name


def write_parquet(frames: Mapping[str, pd.DataFrame], out_dir: str | Path) -> list[Path]:
    """Write each frame to ``out_dir/<name>.parquet`` (pyarrow, zstd; no index).

    ``DataFrame.attrs`` are not stored, so bytes depend on the data only.  Returns the paths.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    out = Path(out_dir)
    paths = []
    for name in sorted(frames):
        df = frames[name]
        plain = pd.DataFrame(df, copy=False)
        plain.attrs = {}
        table = pa.Table.from_pandas(plain, preserve_index=False)
        path = out / f"{_check_name(name)}.parquet"
        with _output_file(path) as f:
            pq.write_table(table, f, compression="zstd")
        del table
        paths.append(path)
    return paths


def _sheet_name(name: str, used: set[str]) -> str:
    base = _SHEET_BAD.sub("_", str(name)).strip("'")[:31] or "sheet"
    cand, i = base, 2
    while cand.lower() in used:
        suffix = f"_{i}"
        cand, i = base[: 31 - len(suffix)] + suffix, i + 1
    used.add(cand.lower())
    return cand


def _cell(v: object) -> object:
    if v is None:
        return None
    if isinstance(v, (bool, np.bool_)):
        return bool(v)
    if isinstance(v, (int, np.integer)):
        return int(v)
    if isinstance(v, (float, np.floating)):
        f = float(v)
        return None if math.isnan(f) else f
    if v is pd.NA or v is pd.NaT:
        return None
    # control characters (from vendor tables) are not allowed in xlsx: drop them
    return safe_cell(_XLSX_BAD.sub("", str(v)))


def _fix_zip(data: bytes, rows: Mapping[str, bytes]) -> bytes:
    """Re-pack an xlsx zip with constant entry times and a constant ``dcterms:modified``, and the
    data ``rows`` (by sheet part name) after each sheet's header row.

    openpyxl stamps the save time into docProps/core.xml and into every zip entry.
    """
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    stamp = _FIXED_TIME.isoformat() + "Z"
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            body = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                text = body.decode("utf-8")
                for tag in ("created", "modified"):
                    text = re.sub(
                        rf"(<dcterms:{tag}[^>]*>)[^<]*(</dcterms:{tag}>)", rf"\g<1>{stamp}\g<2>", text
                    )
                body = text.encode("utf-8")
            elif info.filename in rows:
                head, sep, tail = body.partition(b"</sheetData>")
                body = head + rows[info.filename] + sep + tail
            zi = zipfile.ZipInfo(info.filename, date_time=_ZIP_TIME)
            zi.compress_type = zipfile.ZIP_DEFLATED
            zi.external_attr = 0o600 << 16
            # zlib's fastest level: a year's sheets (72 MB of XML) in 0.25 s instead of 0.9 s at the
            # default level, for a file a third larger (7.4 -> 9.9 MB)
            dst.writestr(zi, body, compresslevel=1)
    return out.getvalue()


def _column_letters(n: int) -> list[str]:
    out = []
    for i in range(1, n + 1):
        name = ""
        while i:
            i, r = divmod(i - 1, 26)
            name = chr(65 + r) + name
        out.append(name)
    return out


def _cell_xml(ref: str, value: object) -> str:
    """One ``<c>`` element as openpyxl's write-only mode writes it (None: no element)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return f'<c r="{ref}" t="b"><v>{int(value)}</v></c>'
    if isinstance(value, (int, float)):
        text = "" if math.isinf(value) else f"{value:.16g}"
        return f'<c r="{ref}" t="n"><v>{text}</v></c>'
    assert isinstance(value, str)
    return f'<c r="{ref}"{_text_tail(value)}'


def _text_tail(value: str) -> str:
    """What follows ``<c r="A2"`` in the element of a cell holding the text ``value``."""
    if value == "":
        return ' t="inlineStr"></c>'
    text = value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\r", "&#13;")
    space = ' xml:space="preserve"' if value != value.strip() else ""
    return f' t="inlineStr"><is><t{space}>{text}</t></is></c>'


def _rows_xml(df: pd.DataFrame, chunk: int = 50_000, memo: dict[str, str] | None = None) -> bytes:
    """The data rows of a sheet (row 2 on), as openpyxl writes text: ASCII with character references.

    openpyxl's own cell writer needs ~10 µs a cell (~10 s for a year's workbook); this gives the
    same XML column by column: what follows each cell's reference (its "tail") is made once per
    distinct value (:func:`_column_tails`; ``memo`` keeps the tail of each text, across calls),
    and Arrow puts references, tails and rows together, ``chunk`` rows at a time.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    memo = {} if memo is None else memo
    letters = _column_letters(df.shape[1])
    text = pa.large_string()
    empty = pa.scalar("", text)
    parts = []
    for start in range(0, len(df), chunk):
        part = df.iloc[start:start + chunk]
        numbers = pa.array([str(i) for i in range(start + 2, start + 2 + len(part))], text)
        cells = []
        for j, letter in enumerate(letters):
            cell = pc.binary_join_element_wise(pa.scalar(f'<c r="{letter}', text), numbers, pa.scalar('"', text),
                                               _column_tails(part.iloc[:, j], memo), empty)
            cells.append(pc.fill_null(cell, empty))  # (null: an empty cell, no element)
        rows = pc.binary_join_element_wise(pc.binary_join_element_wise(pa.scalar('<row r="', text), numbers,
                                                                       pa.scalar('">', text), empty),
                                           *cells, pa.scalar("</row>", text), empty)
        _, offsets, data = rows.buffers()
        ends = np.frombuffer(offsets, dtype=np.int64)
        parts.append(data.slice(int(ends[0]), int(ends[len(rows)] - ends[0])).to_pybytes())
    return b"".join(parts)


def _column_tails(col: pd.Series, memo: dict[str, str]) -> pa.Array:
    """For each cell of the column, what follows ``<c r="A2"`` in its element (null: an empty cell),
    in ASCII with character references, made once per distinct value."""
    import pyarrow as pa

    text = pa.large_string()
    kind = col.dtype.kind if isinstance(col.dtype, np.dtype) else "?"  # ("" would be "in" any string)
    missing = None
    if kind == "?" and pd.api.types.is_integer_dtype(col.dtype):  # (nullable Int64: pd.NA is an empty cell)
        missing = col.isna().to_numpy(dtype=bool)
        col, kind = pd.Series(col.to_numpy(dtype=np.int64, na_value=0)), "i"
    if kind in "iub":
        uniq, inverse = np.unique(col.to_numpy(), return_inverse=True)
        form = ' t="b"><v>{:d}</v></c>' if kind == "b" else ' t="n"><v>{:.16g}</v></c>'
        return pa.array([form.format(int(v) if kind == "b" else v) for v in uniq.tolist()], text).take(
            pa.array(inverse.ravel(), mask=missing))
    if kind == "f":
        return pa.array([None if v != v else f' t="n"><v>{"" if math.isinf(v) else f"{v:.16g}"}</v></c>'
                         for v in col.tolist()], text)
    if isinstance(col.dtype, pd.StringDtype) or pd.api.types.infer_dtype(col, skipna=True) in ("string", "empty"):
        # str and missing values only (a mixed column's True and 1 would be one value to factorize)
        codes, uniques = pd.factorize(col, use_na_sentinel=True)
        tails = []
        for u in uniques.tolist():
            tail = memo.get(u)
            if tail is None:
                tail = memo[u] = _ascii(_text_tail(_cell(u)))  # type: ignore[arg-type]
            tails.append(tail)
        return pa.array(tails, text).take(pa.array(codes, mask=codes < 0))
    out: list[str | None] = []
    for v in col.tolist():
        element = _cell_xml("", _cell(v))
        out.append(_ascii(element.removeprefix('<c r=""')) if element else None)
    return pa.array(out, text)


def _ascii(xml: str) -> str:
    return xml.encode("ascii", "xmlcharrefreplace").decode("ascii")


def xlsx_bytes(frames: Mapping[str, pd.DataFrame]) -> bytes:
    """The xlsx workbook of :func:`write_xlsx`, as bytes."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    # openpyxl writes the workbook around the rows (styles, the bold frozen header, relations);
    # the data rows are spliced into each sheet's XML afterwards
    wb = Workbook(write_only=True)
    used: set[str] = set()
    bold = Font(bold=True)
    rows: dict[str, bytes] = {}
    memo: dict[str, str] = {}  # a text's cell tail, for every sheet (labels recur across reports)
    for name, df in frames.items():
        if len(df) + 1 > _XLSX_MAX_ROWS:
            raise OutputError(
                f"report {name!r} has {len(df)} rows, more than an Excel sheet holds; "
                "use Parquet or CSV for it"
            )
        ws = wb.create_sheet(_sheet_name(name, used))
        ws.freeze_panes = "A2"
        header = []
        for c in df.columns:
            cell = WriteOnlyCell(ws, value=_cell(str(c)))
            cell.font = bold
            header.append(cell)
        ws.append(header)
        rows[f"xl/worksheets/sheet{len(rows) + 1}.xml"] = _rows_xml(df, memo=memo)
    if not wb.worksheets:
        wb.create_sheet("empty")
    wb.properties.creator = "irgraph"
    wb.properties.created = _FIXED_TIME
    buf = io.BytesIO()
    wb.save(buf)
    return _fix_zip(buf.getvalue(), rows)


def write_xlsx(frames: Mapping[str, pd.DataFrame], path: str | Path) -> None:
    """Write one sheet per frame (in the mapping's order) to an xlsx workbook.

    The header row is bold and frozen; text cells that would start a formula (``=``, ``+``,
    ``-``, ``@``) are prefixed with ``'`` so they stay inert text; NaN/None become empty cells.
    """
    write_bytes(path, xlsx_bytes(frames))
