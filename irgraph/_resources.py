"""Locate the data tables that ship with irgraph (registry, parse lexicon, name rules)."""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def data_path(name: str) -> Path:
    """Path of a bundled data file: ``irgraph/_data`` in a wheel, the repo's ``data/`` in a checkout."""
    for base in (_PACKAGE / "_data", _PACKAGE.parent / "data"):
        candidate = base / name
        if candidate.exists():
            return candidate
    raise FileNotFoundError(f"bundled data file {name!r} not found (looked in irgraph/_data and data/)")
