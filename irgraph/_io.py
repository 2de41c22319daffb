"""Small helpers: atomic writes, spreadsheet-safe cells, and the context for worker processes."""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO

# A cell starting with one of these is run as a formula by Excel/LibreOffice (CSV injection).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> object:
    """Make a text cell inert in spreadsheets: prefix ``'`` when it would start a formula.

    Numbers are returned unchanged; so are strings like ``-0.5`` that are plain numbers.
    """
    if isinstance(value, str) and value.startswith(FORMULA_START):
        try:
            float(value)
            return value
        except ValueError:
            return "'" + value
    return value


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextlib.contextmanager
def atomic_open(path: str | Path, mode: str = "w", encoding: str | None = "utf-8") -> Iterator[IO]:
    """Open a temp file next to ``path`` and rename it over ``path`` only when the block succeeds."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        f = os.fdopen(fd, mode) if "b" in mode else os.fdopen(fd, mode, encoding=encoding, newline="")
        with f:
            yield f
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp's 0600 would make outputs private whatever the umask
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def fork_context() -> multiprocessing.context.BaseContext | None:
    """The ``fork`` start method on Linux, None elsewhere.

    Forked workers need no re-import of the caller's ``__main__`` (a spawned or forkserver one
    does, so an unguarded script calling ``build`` would run again in it) and inherit what the
    parent holds without pickling. Callers use the platform default (parse pool) or stay in-process
    (writers) when this is None.
    """
    return multiprocessing.get_context("fork") if sys.platform.startswith("linux") else None
