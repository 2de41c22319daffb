"""Text columns for pandas made by Arrow: a year's tables hold millions of str cells, and pandas'
own conversion of Python lists to its (Arrow-backed, from pandas 3 on) text dtype was ~1.5 s of a
build. Each function gives exactly the column a DataFrame of the values would hold."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

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
