"""Writers for the graph (GraphML, GEXF) and the report tables (Parquet, xlsx).

Every file is written atomically (``irgraph._io.atomic_open``) and byte-deterministically: the
same input gives identical bytes (no timestamps: GEXF's ``lastmodifieddate`` is left out, the
xlsx document properties and zip entry times are fixed).
"""

from __future__ import annotations

import datetime as _dt
import io
import math
import re
import zipfile
from collections.abc import Mapping
from pathlib import Path

import networkx as nx
import numpy as np
import pandas as pd

from irgraph._io import atomic_open, safe_cell
from irgraph.errors import OutputError

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


def _sanitized(G: nx.Graph) -> nx.Graph:
    """A copy of ``G`` with only str/int/float attributes (``G`` is not changed).

    Edges with ``visits`` and no ``weight`` get ``weight = visits``: Gephi reads ``weight`` as
    the edge weight (layouts, edge thickness).
    """
    H = G.__class__()
    H.graph.update(_clean(G.graph))
    for n, d in G.nodes(data=True):
        H.add_node(n, **_clean(d))
    for u, v, d in G.edges(data=True):
        attrs = _clean(d)
        if "visits" in attrs and "weight" not in attrs:
            attrs["weight"] = attrs["visits"]
        H.add_edge(u, v, **attrs)
    return H


def _write_bytes(path: str | Path, data: bytes) -> None:
    try:
        with atomic_open(path, "wb") as f:
            f.write(data)
    except OSError as e:
        raise OutputError(f"cannot write {path}: {e.strerror or e}") from e


def write_graphml(G: nx.Graph, path: str | Path) -> None:
    """Write ``G`` as GraphML (opens in Gephi, yEd, networkx ``read_graphml``)."""
    H = _sanitized(G)
    text = "\n".join(nx.generate_graphml(H, encoding="utf-8", prettyprint=True)) + "\n"
    _write_bytes(path, text.encode("utf-8"))


def write_gexf(G: nx.Graph, path: str | Path) -> None:
    """Write ``G`` as GEXF 1.2 (Gephi's format), without the ``lastmodifieddate`` timestamp.

    networkx uses the node attribute ``label`` as the GEXF node label; all other attributes
    (``bipartite``, ``type``, ``visits`` ...) become GEXF attributes.
    """
    from networkx.readwrite.gexf import GEXFWriter

    H = _sanitized(G)
    writer = GEXFWriter(encoding="utf-8", prettyprint=True, version="1.2draft")
    meta = writer.xml.find("meta")
    if meta is not None:
        meta.attrib.pop("lastmodifieddate", None)
        creator = meta.find("creator")
        if creator is not None:
            creator.text = "irgraph"
    writer.add_graph(H)
    buf = io.BytesIO()
    writer.write(buf)
    _write_bytes(path, buf.getvalue())


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
        buf = pa.BufferOutputStream()
        pq.write_table(table, buf, compression="zstd")
        path = out / f"{_check_name(name)}.parquet"
        _write_bytes(path, buf.getvalue().to_pybytes())
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
    return safe_cell(str(v))


def _fix_zip(data: bytes) -> bytes:
    """Re-pack an xlsx zip with constant entry times and a constant ``dcterms:modified``.

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
            zi = zipfile.ZipInfo(info.filename, date_time=_ZIP_TIME)
            zi.compress_type = zipfile.ZIP_DEFLATED
            zi.external_attr = 0o600 << 16
            dst.writestr(zi, body)
    return out.getvalue()


def write_xlsx(frames: Mapping[str, pd.DataFrame], path: str | Path) -> None:
    """Write one sheet per frame (in the mapping's order) to an xlsx workbook.

    The header row is bold and frozen; text cells that would start a formula (``=``, ``+``,
    ``-``, ``@``) are prefixed with ``'`` so they stay inert text; NaN/None become empty cells.
    """
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    wb.remove(wb.active)
    used: set[str] = set()
    bold = Font(bold=True)
    for name, df in frames.items():
        if len(df) + 1 > _XLSX_MAX_ROWS:
            raise OutputError(
                f"report {name!r} has {len(df)} rows, more than an Excel sheet holds; "
                "use Parquet or CSV for it"
            )
        ws = wb.create_sheet(_sheet_name(name, used))
        ws.append([_cell(str(c)) for c in df.columns])
        for c in ws[1]:
            c.font = bold
        for row in df.itertuples(index=False, name=None):
            ws.append([_cell(v) for v in row])
        ws.freeze_panes = "A2"
    if not wb.worksheets:
        wb.create_sheet("empty")
    wb.properties.creator = "irgraph"
    wb.properties.created = _FIXED_TIME
    buf = io.BytesIO()
    wb.save(buf)
    _write_bytes(path, _fix_zip(buf.getvalue()))
