"""Writers for the graph (GraphML, GEXF) and the report tables (Parquet, xlsx).

Every file is written atomically (``irgraph._io.atomic_open``) and byte-deterministically: the
same input gives identical bytes (no timestamps: GEXF's ``lastmodifieddate`` is left out, the
xlsx document properties and zip entry times are fixed).
"""

from __future__ import annotations

import contextlib
import ctypes
import datetime as _dt
import io
import math
import re
import zipfile
from collections.abc import Callable, Iterable, Iterator, Mapping
from itertools import chain, compress, pairwise
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import networkx as nx
import numpy as np
import pandas as pd

from irgraph._io import atomic_open, safe_cell
from irgraph.errors import OutputError
from irgraph.graph import EDGE_ATTRIBUTES, GraphColumns

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
_MIN_RUN = 64  # fewer consecutive elements of one shape are written one by one
_ADJACENCY_READ = (nx.Graph, nx.DiGraph)  # the edges of these read from the adjacency, not G.edges()
# _XML_SPECIAL in RE2's syntax (Arrow's regular expressions)
_RE2_SPECIAL = '[&<>"\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\x{fffe}\\x{ffff}]'


def _attrs(d: Mapping[str, object], *, edge: bool = False) -> Mapping[str, str | int | float]:
    """``d`` with only str/int/float values (:func:`_clean`), and ``weight = visits`` on edges without
    a ``weight`` (Gephi reads ``weight`` as the edge weight); ``d`` itself when nothing changes."""
    if not _PLAIN.issuperset(map(type, d.values())):
        d = _clean(d)
    return _with_weight(d) if edge else d  # type: ignore[arg-type,return-value]


def _with_weight(d: Mapping[str, str | int | float]) -> Mapping[str, str | int | float]:
    return {**d, "weight": d["visits"]} if "visits" in d and "weight" not in d else d


def _key_types(items: Iterable[Mapping[str, str | int | float]], skip: str = "") -> dict[str, str]:
    """Attribute name -> XML type (string wins over double over long), in first-seen order."""
    kinds: dict[str, set[type]] = {}
    for d in items:
        for k, v in d.items():
            if k != skip:
                kinds.setdefault(k, set()).add(type(v))
    return _kinds(kinds)


def _kinds(kinds: Mapping[Any, set[type]]) -> dict[Any, str]:
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
    a line of text, or UTF-8 bytes made by Arrow (many lines, each ending with a newline), written as
    they are."""
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
                continue
            chunk.append(p)
            size += len(p)
            if len(chunk) >= _CHUNK or size >= _CHUNK_CHARS:
                lines(chunk)
                chunk, size = [], 0
        lines(chunk)
        lines(tail)


# ---- nodes and edges as columns. A year's 16k nodes and 350k edges come in a few runs of consecutive
# elements with the same attribute names (the graphs build_graph makes: one run of institutions, one
# of companies, one of edges); a run's values are read once for both files, each distinct text
# escaped once, and the XML lines joined by Arrow (~3 s of f-strings per file before). Elements
# outside long runs, or with values other than str/int/float, are written one by one. The text is
# the same either way (tested).


class _Run:
    """Elements ``start:stop`` of an :class:`_Elements`: the same attribute names (``keys``, with
    ``weight`` on edges), every value a str, int or float. ``cols``: per attribute, each element's
    number among the distinct values (objects, first seen first) and those values."""

    def __init__(self, start: int, stop: int, keys: tuple[Any, ...], cols: dict[Any, tuple[np.ndarray, list[Any]]]
                 ) -> None:
        self.start, self.stop, self.keys, self.cols = start, stop, keys, cols
        self.types = {k: set(map(type, distinct)) for k, (_, distinct) in cols.items()}
        self._texts: dict[tuple[int, str], pa.Array] = {}

    def texts(self, key: Any, kind: str, lo: int, hi: int) -> pa.Array:
        """The XML texts of ``key``'s values ``lo:hi`` (run positions) in an attribute of ``kind``;
        kind "string" gives each value's own text (:func:`_x`), as in GEXF labels and weights."""
        import pyarrow as pa

        codes, distinct = self.cols[key]
        types = self.types[key]
        if types == {str}:
            mode = "str"
        elif types == {int}:
            mode = "float" if kind == "double" else "int"
        elif types == {float}:
            mode = "repr"
        else:
            mode = kind
        memo = (id(distinct), mode)
        texts = self._texts.get(memo)
        if texts is None:
            texts = self._texts[memo] = _texts(distinct, mode)
        return texts.take(pa.array(codes[lo:hi]))


def _texts(values: list[Any], mode: str) -> pa.Array:
    """The XML texts of ``values`` (large_string): ``mode`` "str" (texts, escaped), "int" (ints),
    "float" (ints written as floats), "repr" (floats), or the attribute's kind for values of mixed
    types."""
    import pyarrow as pa

    if mode == "str":
        return _escaped(values)
    if mode == "int":
        try:
            return pa.array(np.array(values, dtype=np.int64)).cast(pa.large_string())
        except OverflowError:
            texts = list(map(str, values))
    elif mode == "float":
        texts = list(map(repr, map(float, values)))
    elif mode == "repr":
        texts = list(map(repr, values))
    else:
        texts = list(map(_converter(mode), values))
    return pa.array(texts, type=pa.large_string())


def _escaped(texts: list[str]) -> pa.Array:
    """``[_x(t) for t in texts]`` as Arrow large_string, :func:`_x` run only on texts that need it."""
    import pyarrow as pa
    import pyarrow.compute as pc

    arr = pa.array(texts, type=pa.large_string())
    special = np.flatnonzero(pc.match_substring_regex(arr, _RE2_SPECIAL).to_numpy(zero_copy_only=False))
    if not len(special):
        return arr
    for k in special.tolist():
        texts[k] = _x(texts[k])
    return pa.array(texts, type=pa.large_string())


class _Elements:
    """Attribute dicts of a graph's nodes (``G.nodes(data=True)``'s order) or edges (``G.edges``'), in
    runs (:class:`_Run`, at least ``_MIN_RUN`` elements) and stretches written one by one.

    ``names``: the nodes, in ``G``'s order (of the nodes; for edges, the order ``ends`` numbers them in:
    each edge's source and target as positions in ``names``)."""

    def __init__(self, dicts: list[Mapping[Any, Any]], names: list[Any], *,
                 ends: tuple[np.ndarray, np.ndarray] | None = None) -> None:
        self.dicts, self.names, self.ends = dicts, names, ends
        self.edge = edge = ends is not None
        self.segments: list[_Run | tuple[int, int]] = []
        # attribute -> types of its values, as written (weight added, values cleaned), first seen first
        self.types: dict[Any, set[type]] = {}
        n = len(dicts)
        same = _same_keys(dicts)
        bounds = [0, *(np.flatnonzero(~same[1:]) + 1).tolist(), n] if n else []
        columns = set(map(type, dicts)) == {dict}  # (what dict.values reads)
        for start, stop in pairwise(bounds):
            run = self._run(start, stop, tuple(dicts[start])) if columns and stop - start >= _MIN_RUN else None
            if run is None:
                if self.segments and isinstance(self.segments[-1], tuple):
                    start = self.segments.pop()[0]  # type: ignore[index]
                self.segments.append((start, stop))
                for d in dicts[start:stop]:
                    for k, v in _attrs(d, edge=edge).items():
                        self.types.setdefault(k, set()).add(type(v))
            else:
                self.segments.append(run)
                for k in run.keys:
                    self.types.setdefault(k, set()).update(run.types[k])

    def _run(self, start: int, stop: int, keys: tuple[Any, ...]) -> _Run | None:
        """Elements ``start:stop`` (the same keys) as a run, or None when a value is no str/int/float."""
        # the values by identity: most repeat (a record's date and source on each of its edges), and
        # their ids are read from the object array without touching the objects
        dicts = self.dicts[start:stop]
        values = _objects(lambda: chain.from_iterable(map(dict.values, dicts)), len(dicts) * len(keys))
        values = values.reshape(len(dicts), len(keys))
        ids = _ids(values)
        cols = {}
        for j, k in enumerate(keys):
            codes, _ = pd.factorize(np.ascontiguousarray(ids[:, j]))
            top = np.maximum.accumulate(codes)
            first = np.flatnonzero(np.concatenate(([True], top[1:] > top[:-1])))  # of each code, in order
            cols[k] = (codes, values[first, j].tolist())
        run = _Run(start, stop, keys, cols)
        if not all(_PLAIN.issuperset(t) for t in run.types.values()):
            return None
        if self.edge and "visits" in keys and "weight" not in keys:  # what _with_weight adds
            run.keys = (*keys, "weight")
            run.cols["weight"], run.types["weight"] = cols["visits"], run.types["visits"]
        return run

    def kinds(self, skip: str = "") -> dict[Any, str]:
        """Attribute name -> XML type (string wins over double over long), in first-seen order."""
        return _kinds({k: t for k, t in self.types.items() if k != skip})

    @classmethod
    def nodes(cls, G: nx.Graph) -> _Elements:
        return cls([d for _, d in G.nodes(data=True)], list(G))

    @classmethod
    def column_nodes(cls, C: GraphColumns) -> _Elements:
        """:meth:`nodes` of the graph of ``C``."""
        return cls(list(C.node_attrs), list(C.nodes))

    @classmethod
    def column_edges(cls, C: GraphColumns) -> _Elements:
        """:meth:`edges` of the graph of ``C``: one run made from the columns (its dicts are never made)."""
        ends = (C.source, C.target)
        if C.n_edges < _MIN_RUN:  # (written one by one, as the graph's)
            return cls([C.edge_attrs(k) for k in range(C.n_edges)], list(C.nodes), ends=ends)
        elements = cls([], list(C.nodes), ends=ends)
        codes, distinct = pd.factorize(C.visits)
        cols = {"visits": (codes, distinct.tolist())}
        for name in EDGE_ATTRIBUTES[1:]:
            codes, values = C.text[name]
            cols[name] = (codes, list(values))  # (a copy: _Run.texts escapes in place)
        run = _Run(0, C.n_edges, EDGE_ATTRIBUTES, cols)
        if not all(_PLAIN.issuperset(t) for t in run.types.values()):  # pragma: no cover - build_graph's are
            return cls([C.edge_attrs(k) for k in range(C.n_edges)], list(C.nodes), ends=ends)
        run.keys = (*EDGE_ATTRIBUTES, "weight")  # what _with_weight adds
        run.cols["weight"], run.types["weight"] = cols["visits"], run.types["visits"]
        elements.segments.append(run)
        for k in run.keys:
            elements.types.setdefault(k, set()).update(run.types[k])
        return elements

    @classmethod
    def edges(cls, G: nx.Graph) -> _Elements:
        """``G.edges(data=True)`` as :class:`_Elements`, read from the adjacency of a plain Graph or
        DiGraph (an edge u-v of a Graph is given once, where u comes first in the node order)."""
        adj = G._adj
        if type(G) in _ADJACENCY_READ and type(adj) is dict:
            names = list(adj)
            position = dict(zip(names, range(len(names)), strict=True))
            counts = np.fromiter(map(len, adj.values()), dtype=np.int64, count=len(adj))
            source = np.repeat(np.arange(len(names), dtype=np.int64), counts)
            target = np.fromiter(map(position.__getitem__, chain.from_iterable(adj.values())), dtype=np.int64,
                                 count=len(source))
            dicts = list(chain.from_iterable(map(dict.values, adj.values())))
            if not G.is_directed():
                keep = target >= source
                dicts = list(compress(dicts, keep.tolist()))
                source, target = source[keep], target[keep]
            return cls(dicts, names, ends=(source, target))
        names = list(G)
        position = dict(zip(names, range(len(names)), strict=True))
        us: list[int] = []
        vs: list[int] = []
        dicts = []
        for u, v, d in G.edges(data=True):
            us.append(position[u])
            vs.append(position[v])
            dicts.append(d)
        return cls(dicts, names, ends=(np.array(us, dtype=np.int64), np.array(vs, dtype=np.int64)))

    def chunks(self, ids: Mapping[Any, str]) -> Iterator[tuple[_Run | None, int, int, Any, Any]]:
        """``(run, start, stop, first, second)`` per chunk of at most ``_CHUNK`` elements, in order: ``run``
        None for elements written one by one (then ``first``/``second`` are their ids' texts, for edges
        both ends), else Arrow arrays of those (``second`` None for nodes)."""
        import pyarrow as pa

        ends = self.ends
        texts = [ids[n] for n in self.names]
        column: pa.Array | None = None
        for seg in self.segments:
            start, stop = (seg.start, seg.stop) if isinstance(seg, _Run) else seg
            for lo in range(start, stop, _CHUNK):
                hi = min(lo + _CHUNK, stop)
                if not isinstance(seg, _Run):
                    if ends is None:
                        yield None, lo, hi, texts[lo:hi], None
                    else:
                        yield None, lo, hi, _take(texts, ends[0][lo:hi]), _take(texts, ends[1][lo:hi])
                    continue
                if column is None:
                    column = pa.array(texts, type=pa.large_string())
                if ends is None:
                    yield seg, lo, hi, column.slice(lo, hi - lo), None
                else:
                    yield seg, lo, hi, column.take(pa.array(ends[0][lo:hi])), column.take(pa.array(ends[1][lo:hi]))


def _objects(items: Callable[[], Iterable[Any]], count: int) -> np.ndarray:
    """The ``count`` objects ``items()`` yields, as an object array."""
    try:
        return np.fromiter(items(), dtype=object, count=count)
    except ValueError:  # numpy < 1.23 makes no object arrays from iterators
        out = np.empty(count, dtype=object)
        for i, x in enumerate(items()):
            out[i] = x
        return out


def _ids(objects: np.ndarray) -> np.ndarray:
    """``id()`` of each object of an object array (its pointers: no int object made per element)."""
    objects = np.ascontiguousarray(objects)
    if not objects.size:
        return np.zeros(objects.shape, dtype=np.uintp)
    raw = (ctypes.c_size_t * objects.size).from_address(objects.ctypes.data)
    return np.frombuffer(raw, dtype=np.uintp).copy().reshape(objects.shape)


def _same_keys(dicts: list[Mapping[Any, Any]]) -> np.ndarray:
    """Per dict, does it have the keys of the one before, in the same order? (False for the first.)"""
    n = len(dicts)
    lens = np.fromiter(map(len, dicts), dtype=np.int64, count=n)
    same = np.zeros(n, dtype=bool)
    if n < 2:
        return same
    key_ids = _ids(_objects(lambda: chain.from_iterable(dicts), int(lens.sum())))
    if lens.min() == lens.max():  # (one length: the usual case) each dict's key ids against the last's
        by_dict = key_ids.reshape(n, int(lens[0]))
        same[1:] = (by_dict[1:] == by_dict[:-1]).all(axis=1)
    else:  # each key's id against the id of the key in its place in the dict before (of equal length)
        offsets = np.concatenate(([0], np.cumsum(lens)))
        before = np.arange(len(key_ids)) - np.repeat(lens, lens)
        equal = np.zeros(len(key_ids), dtype=bool)
        valid = before >= 0
        equal[valid] = key_ids[valid] == key_ids[before[valid]]
        unequal = np.concatenate(([0], np.cumsum(~equal)))
        same[1:] = (lens[1:] == lens[:-1]) & (unequal[offsets[2:]] == unequal[offsets[1:-1]])
    # equal keys need not be the same objects
    for i in np.flatnonzero(~same[1:] & (lens[1:] == lens[:-1])).tolist():
        same[i + 1] = tuple(dicts[i + 1]) == tuple(dicts[i])
    return same


def _take(texts: list[str], positions: np.ndarray) -> list[str]:
    return [texts[i] for i in positions.tolist()]


def _joined_lines(pieces: list[Any]) -> pa.Buffer:
    """The UTF-8 of the lines joined from ``pieces`` (literals and Arrow columns, in order, the last
    piece ending each line with a newline), one line per row of the columns."""
    import pyarrow as pa
    import pyarrow.compute as pc

    merged: list[Any] = []
    for p in pieces:  # adjacent literals as one
        if isinstance(p, str) and merged and isinstance(merged[-1], str):
            merged[-1] += p
        else:
            merged.append(p)
    rows = pc.binary_join_element_wise(*[pa.scalar(p, pa.large_string()) if isinstance(p, str) else p
                                         for p in merged], pa.scalar("", pa.large_string()))
    offsets = np.frombuffer(rows.buffers()[1], dtype=np.int64, count=len(rows) + 1, offset=8 * rows.offset)
    return rows.buffers()[2].slice(int(offsets[0]), int(offsets[-1] - offsets[0]))


def write_graph_files(G: nx.Graph | GraphColumns, graphml: str | Path, gexf: str | Path) -> None:
    """:func:`write_graphml` and :func:`write_gexf`, reading ``G``'s nodes and edges once for both.

    ``G`` may be the graph's :class:`irgraph.graph.GraphColumns` (the same files)."""
    if isinstance(G, GraphColumns):
        nodes, edges = _Elements.column_nodes(G), _Elements.column_edges(G)
        _graphml(G.graph, False, graphml, nodes, edges)
        _gexf(False, gexf, nodes, edges)
        return
    nodes, edges = _Elements.nodes(G), _Elements.edges(G)
    _graphml(G.graph, G.is_directed(), graphml, nodes, edges)
    _gexf(G.is_directed(), gexf, nodes, edges)


def write_graphml(G: nx.Graph, path: str | Path, *, clean: bool = False) -> None:
    """Write ``G`` as GraphML (opens in Gephi, yEd, networkx ``read_graphml``).

    A streaming writer (networkx' ElementTree writer needs ~40 s and GBs for a year); the
    output follows networkx' layout, and ``nx.read_graphml`` reads back the same graph. Values
    that are not str/int/float are written as :func:`_scalar` turns them; ``G`` is not copied.
    ``clean`` is accepted for compatibility and has no effect.
    """
    _graphml(G.graph, G.is_directed(), path, _Elements.nodes(G), _Elements.edges(G))


def _graphml(graph: Mapping[Any, Any], is_directed: bool, path: str | Path, nodes: _Elements, edges: _Elements
             ) -> None:
    """GraphML of a graph with the attributes ``graph`` and these nodes and edges."""
    graph_attrs = _clean(graph)
    keys: dict[tuple[str, Any], tuple[str, str]] = {}  # (domain, name) -> (id, type)
    head = [
        "<?xml version='1.0' encoding='utf-8'?>",
        '<graphml xmlns="http://graphml.graphdrawing.org/xmlns" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
        'xsi:schemaLocation="http://graphml.graphdrawing.org/xmlns '
        'http://graphml.graphdrawing.org/xmlns/1.0/graphml.xsd">',
    ]
    for domain, kinds in (("graph", _key_types([graph_attrs])), ("node", nodes.kinds()), ("edge", edges.kinds())):
        for name, kind in kinds.items():
            kid = f"d{len(keys)}"
            keys[(domain, name)] = (kid, kind)
            head.append(f'  <key id="{kid}" for="{domain}" attr.name="{_x(name)}" attr.type="{kind}" />')
    # per domain: name -> (opening tag, type, converter)
    opening = {dom: {name: (f'<data key="{kid}">', kind, _converter(kind))
                     for (d2, name), (kid, kind) in keys.items() if d2 == dom}
               for dom in ("graph", "node", "edge")}

    def data(domain: str, d: Mapping[str, str | int | float], indent: str) -> str:
        tags = opening[domain]
        if _needs_escape(d):
            return "\n".join([f"{indent}{tags[k][0]}{tags[k][2](v)}</data>" for k, v in d.items()])
        return "\n".join([f"{indent}{tags[k][0]}{v if type(v) is str else tags[k][2](v)}</data>"
                          for k, v in d.items()])

    directed = "directed" if is_directed else "undirected"
    head.append(f'  <graph edgedefault="{directed}">')
    if graph_attrs:
        head.append(data("graph", graph_attrs, "    "))

    def run_lines(domain: str, run: _Run, lo: int, hi: int, opening_tag: list[Any]) -> pa.Buffer:
        pieces = opening_tag
        if not run.keys:
            return _joined_lines([*pieces, " />\n"])
        pieces.append(">")
        tags = opening[domain]
        for k in run.keys:
            pieces += [f"\n      {tags[k][0]}", run.texts(k, tags[k][1], lo - run.start, hi - run.start), "</data>"]
        return _joined_lines([*pieces, f"\n    </{domain}>\n"])

    def parts() -> Iterator[str | pa.Buffer]:
        ids = {n: _x(n) for n in nodes.names}
        for run, lo, hi, node_ids, _ in nodes.chunks(ids):
            if run is not None:
                yield run_lines("node", run, lo, hi, ['    <node id="', node_ids, '"'])
                continue
            for n, d in zip(node_ids, nodes.dicts[lo:hi], strict=True):
                attrs = _attrs(d)
                if attrs:
                    yield f'    <node id="{n}">\n{data("node", attrs, "      ")}\n    </node>'
                else:
                    yield f'    <node id="{n}" />'
        for run, lo, hi, us, vs in edges.chunks(ids):
            if run is not None:
                yield run_lines("edge", run, lo, hi, ['    <edge source="', us, '" target="', vs, '"'])
                continue
            for u, v, d in zip(us, vs, edges.dicts[lo:hi], strict=True):
                attrs = _attrs(d, edge=True)
                if attrs:
                    yield f'    <edge source="{u}" target="{v}">\n{data("edge", attrs, "      ")}\n    </edge>'
                else:
                    yield f'    <edge source="{u}" target="{v}" />'

    _stream(path, head, parts(), ["  </graph>", "</graphml>"])


def write_gexf(G: nx.Graph, path: str | Path, *, clean: bool = False) -> None:
    """Write ``G`` as GEXF 1.2 (Gephi's format), with no ``lastmodifieddate`` timestamp.

    The node attribute ``label`` becomes the GEXF node label, the edge attribute ``weight``
    (= visits) the GEXF edge weight; every other attribute (``bipartite``, ``type``,
    ``visits`` ...) is a GEXF attribute.  A streaming writer in networkx' layout;
    ``nx.read_gexf`` reads back the same graph (plus an edge ``id``). ``G`` is not copied;
    ``clean`` is accepted for compatibility and has no effect.
    """
    _gexf(G.is_directed(), path, _Elements.nodes(G), _Elements.edges(G))


def _gexf(is_directed: bool, path: str | Path, nodes: _Elements, edges: _Elements) -> None:
    """GEXF of a graph with these nodes and edges."""
    import pyarrow as pa

    head = [
        "<?xml version='1.0' encoding='utf-8'?>",
        '<gexf xmlns="http://www.gexf.net/1.2draft" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
        'xsi:schemaLocation="http://www.gexf.net/1.2draft http://www.gexf.net/1.2draft/gexf.xsd" version="1.2">',
        "  <meta>",
        "    <creator>irgraph</creator>",
        "  </meta>",
        f'  <graph defaultedgetype="{"directed" if is_directed else "undirected"}" mode="static" name="">',
    ]
    n_ids = 0
    # per class: name -> (opening of its attvalue, type, converter)
    opening: dict[str, dict[Any, tuple[str, str, Callable[[str | int | float], str]]]] = {"node": {}, "edge": {}}
    for cls, keys in (("node", nodes.kinds(skip="label")), ("edge", edges.kinds(skip="weight"))):
        if not keys:
            continue
        head.append(f'    <attributes mode="static" class="{cls}">')
        for name, kind in keys.items():
            aid = str(n_ids)
            n_ids += 1
            opening[cls][name] = (f'          <attvalue for="{aid}" value="', kind, _converter(kind))
            head.append(f'      <attribute id="{aid}" title="{_x(name)}" type="{kind}" />')
        head.append("    </attributes>")

    def attvalues(cls: str, d: Mapping[str, str | int | float], skip: str) -> str:
        tags = opening[cls]
        if _needs_escape(d):
            vals = [f'{tags[k][0]}{tags[k][2](v)}" />' for k, v in d.items() if k != skip]
        else:
            vals = [f'{tags[k][0]}{v if type(v) is str else tags[k][2](v)}" />' for k, v in d.items() if k != skip]
        return "\n".join(["        <attvalues>", *vals, "        </attvalues>"]) if vals else ""

    def run_lines(cls: str, run: _Run, lo: int, hi: int, pieces: list[Any], skip: str) -> pa.Buffer:
        body = [k for k in run.keys if k != skip]
        if not body:
            return _joined_lines([*pieces, '" />\n'])
        pieces.append('">\n        <attvalues>')
        tags = opening[cls]
        for k in body:
            pieces += ["\n" + tags[k][0], run.texts(k, tags[k][1], lo - run.start, hi - run.start), '" />']
        return _joined_lines([*pieces, f"\n        </attvalues>\n      </{cls}>\n"])

    def parts() -> Iterator[str | pa.Buffer]:
        ids = {n: _x(n) for n in nodes.names}
        yield "    <nodes>"
        for run, lo, hi, node_ids, _ in nodes.chunks(ids):
            if run is not None:
                label = run.texts("label", "string", lo - run.start, hi - run.start) if "label" in run.keys else node_ids
                yield run_lines("node", run, lo, hi, ['      <node id="', node_ids, '" label="', label], "label")
                continue
            for nid, d in zip(node_ids, nodes.dicts[lo:hi], strict=True):
                attrs = _attrs(d)
                label = _x(attrs["label"]) if "label" in attrs else nid
                body = attvalues("node", attrs, "label")
                if body:
                    yield f'      <node id="{nid}" label="{label}">\n{body}\n      </node>'
                else:
                    yield f'      <node id="{nid}" label="{label}" />'
        yield "    </nodes>"
        yield "    <edges>"
        for run, lo, hi, us, vs in edges.chunks(ids):
            if run is not None:
                index = pa.array(np.arange(lo, hi, dtype=np.int64)).cast(pa.large_string())
                pieces = ['      <edge source="', us, '" target="', vs, '" id="', index]
                if "weight" in run.keys:
                    pieces += ['" weight="', run.texts("weight", "string", lo - run.start, hi - run.start)]
                yield run_lines("edge", run, lo, hi, pieces, "weight")
                continue
            for i, u, v, d in zip(range(lo, hi), us, vs, edges.dicts[lo:hi], strict=True):
                attrs = _attrs(d, edge=True)
                w = f' weight="{_x(attrs["weight"])}"' if "weight" in attrs else ""
                body = attvalues("edge", attrs, "weight")
                head_ = f'      <edge source="{u}" target="{v}" id="{i}"{w}'
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
