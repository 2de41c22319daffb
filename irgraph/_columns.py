"""Text columns for pandas made by Arrow: a year's tables hold millions of str cells, and pandas'
own conversion of Python lists to its (Arrow-backed, from pandas 3 on) text dtype was ~1.5 s of a
build. Each function gives exactly the column a DataFrame of the values would hold."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from irgraph._io import FORMULA_START

_STR = pd.Series(["x"]).dtype  # what a DataFrame of str values holds: Arrow-backed from pandas 3 on
_ARROW_STR = isinstance(_STR, pd.StringDtype) and _STR.storage == "pyarrow"


def _arrow_text(values: list[Any]) -> pa.Array | None:
    """``values`` (str or None) as an Arrow string array; None when something else is among them."""
    try:
        return pa.array(values, type=pa.large_string())
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return None


def text_column(values: list[Any]) -> Any:
    """A column of str/None values as pandas' default text array (what a DataFrame of the list
    holds), made by Arrow in one pass; the list itself (for pandas to infer) when it holds something
    else or only missing values (pandas leaves those object)."""
    arr = _arrow_text(values) if _ARROW_STR else None
    return values if arr is None or arr.null_count == len(arr) else pd.array(arr, dtype=_STR)


def taken_text(table: list[Any], index: np.ndarray) -> Any:
    """The column ``[table[i] for i in index]``, as :func:`text_column` makes it, taken by Arrow
    (no per-row objects: rows repeat a few thousand distinct values)."""
    arr = _arrow_text(table) if _ARROW_STR else None
    if arr is None or arr.null_count == len(arr):
        return np.array(table, dtype=object)[index].tolist()
    taken = arr.take(pa.array(index))
    return taken.to_pylist() if taken.null_count == len(taken) else pd.array(taken, dtype=_STR)


# ------------------------------------------------------------------------------------------ CSV text
# A year's attendees.csv is ~500k rows: the csv module spent ~3 s formatting them. The text below is
# made by Arrow's compute functions and is byte for byte what csv.writer (QUOTE_MINIMAL, "\n" line
# ends) writes for the cells pipeline._csv_column makes; a column it cannot make (bool, object with
# other things than str) sends the table back to the csv module.


def _needs_quotes() -> str:
    """The characters that make this Python's csv.writer quote a field (with "\\n" line ends)."""
    import csv
    import io

    out = []
    for c in ',"\n\r':
        buf = io.StringIO()
        csv.writer(buf, lineterminator="\n").writerow(["a" + c + "b", "x"])
        if buf.getvalue().startswith('"'):
            out.append(c)
    return "".join(out)


_QUOTE_CHARS = _needs_quotes()


def _bytes_of(cells: pa.Array) -> bytes:
    """The UTF-8 bytes of all the cells together (of a slice's cells only, not its parent's)."""
    _, offsets, data = cells.buffers()
    if data is None or not len(cells):
        return b""
    if not pa.types.is_large_string(cells.type):
        return data.to_pybytes()  # (more than the cells, never less: a false alarm costs a search)
    ends = np.frombuffer(offsets, dtype=np.int64)  # (large_string: 64-bit offsets)
    start, stop = int(ends[cells.offset]), int(ends[cells.offset + len(cells)])
    return data.slice(start, stop - start).to_pybytes()


def _quoted(cells: pa.Array) -> pa.Array:
    """Cells (str, no nulls) as CSV fields: quoted, quotes doubled, where csv.writer would."""
    data = _bytes_of(cells)
    chars = [c for c in _QUOTE_CHARS if c.encode() in data]  # most columns hold none: one scan each
    if not chars:
        return cells
    needs = pc.match_substring(cells, chars[0])
    for c in chars[1:]:
        needs = pc.or_(needs, pc.match_substring(cells, c))
    quote, empty = pa.scalar('"', pa.large_string()), pa.scalar("", pa.large_string())
    quoted = pc.binary_join_element_wise(quote, pc.replace_substring(cells, '"', '""'), quote, empty)
    return pc.if_else(needs, quoted, cells)


def _inert(cells: pa.Array, safe: Any) -> pa.Array:
    """``safe(cell)`` for the few cells that start like a spreadsheet formula."""
    data = _bytes_of(cells)
    firsts = [c for c in FORMULA_START if c.encode() in data]
    if not firsts:
        return cells
    starts = pc.starts_with(cells, firsts[0])
    for c in firsts[1:]:
        starts = pc.or_(starts, pc.starts_with(cells, c))
    where = np.flatnonzero(pc.fill_null(starts, False).to_numpy(zero_copy_only=False))
    if not len(where):
        return cells
    values = cells.to_pylist()
    for i in where:
        values[i] = safe(values[i])
    return pa.array(values, type=pa.large_string())


def _float_cells(values: np.ndarray) -> pa.Array:
    """repr(round(v, 8)) of each float ("" for NaN), formatted once per distinct value."""
    uniq, inverse = np.unique(values, return_inverse=True)
    texts = ["" if u != u else repr(round(float(u), 8)) for u in uniq.tolist()]
    return pa.array(texts, type=pa.large_string()).take(pa.array(inverse.ravel()))


def _column_cells(col: pd.Series, safe: Any) -> pa.Array | None:
    """A column's CSV cells as Arrow strings (None: leave this table to the csv module)."""
    dtype = col.dtype
    if isinstance(dtype, pd.StringDtype) or pd.api.types.is_object_dtype(dtype):
        arr = (_arrow_text(col.tolist()) if pd.api.types.is_object_dtype(dtype)
               else pa.array(col.array, type=pa.large_string()))
        if arr is None:
            return None
        if isinstance(arr, pa.ChunkedArray):  # (a column read from Parquet or concatenated)
            arr = arr.combine_chunks()
        return _quoted(_inert(pc.fill_null(arr, ""), safe))
    if pd.api.types.is_float_dtype(dtype) and not pd.api.types.is_extension_array_dtype(dtype):
        return _float_cells(col.to_numpy())
    if pd.api.types.is_integer_dtype(dtype):
        arr = pa.array(col.array if pd.api.types.is_extension_array_dtype(dtype) else col.to_numpy())
        return pc.fill_null(pc.cast(arr, pa.large_string()), "")
    return None


def csv_bytes(df: pd.DataFrame, safe: Any) -> bytes | None:
    """The CSV lines (no header, each ending in "\\n") of ``df``'s rows, in UTF-8 (as Arrow makes
    them: never decoded to str); None when a column is of a kind only the csv module formats.
    ``safe`` makes a formula-looking text cell inert."""
    if not _ARROW_STR or not len(df.columns):
        return None
    cells = []
    for c in df.columns:
        col = _column_cells(df[c], safe)
        if col is None:
            return None
        cells.append(col)
    if not len(df):
        return b""
    rows = pc.binary_join_element_wise(*cells, pa.scalar(",", pa.large_string()))
    lines = pa.ListArray.from_arrays(pa.array([0, len(rows)], type=pa.int32()), rows)
    text = pc.binary_join(lines, pa.scalar("\n", pa.large_string()))
    return text[0].as_buffer().to_pybytes() + b"\n"
