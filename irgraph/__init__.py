"""irgraph: investor-relations activity records -> institution–company attendance network.

The public API mirrors the command line::

    import irgraph
    result = irgraph.build(["data/samples"])          # like `irgraph build data/samples -o out`
    result.tables["centrality"].head()                # pandas DataFrames of every report
    result.graph                                      # the networkx bipartite graph
    result.write("out")                               # the files of docs/outputs.md

Stage by stage: :func:`read_path` → :func:`parse_document` → :func:`resolve` →
:func:`build_graph` → :func:`centrality` / :func:`company_overlap` / :func:`institution_overlap` /
:func:`peer_gap` → :func:`render_explorer`. Names are imported lazily, so ``import irgraph`` is cheap.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

_API = {
    "build": "irgraph.pipeline",
    "BuildResult": "irgraph.pipeline",
    "read_records": "irgraph.pipeline",
    "iter_input_files": "irgraph.read",
    "read_path": "irgraph.read",
    "parse_document": "irgraph.parse",
    "parse_text": "irgraph.parse",
    "recover_stock_codes": "irgraph.parse",
    "load_companies": "irgraph.parse",
    "resolve": "irgraph.resolve",
    "load_overrides": "irgraph.resolve",
    "normalize_name": "irgraph.normalize",
    "load_registry": "irgraph.registry",
    "build_graph": "irgraph.graph",
    "project_institutions": "irgraph.graph",
    "project_companies": "irgraph.graph",
    "centrality": "irgraph.report",
    "company_overlap": "irgraph.report",
    "institution_overlap": "irgraph.report",
    "peer_gap": "irgraph.report",
    "render_explorer": "irgraph.explore",
    "Document": "irgraph.models",
    "Record": "irgraph.models",
    "Attendee": "irgraph.models",
    "Unparsed": "irgraph.models",
    "Institution": "irgraph.models",
    "Match": "irgraph.models",
    "ReviewItem": "irgraph.models",
    "Resolution": "irgraph.models",
    "IrgraphError": "irgraph.errors",
    "InputError": "irgraph.errors",
    "NoInputError": "irgraph.errors",
    "OutputError": "irgraph.errors",
    "RegistryError": "irgraph.errors",
    "OptionError": "irgraph.errors",
}

__all__ = ["__version__", *_API]

# ``irgraph.resolve`` is both a submodule and an API function: bind the function now, after the
# submodule is loaded, so a later ``import irgraph.resolve`` cannot leave the module in its place.
from irgraph.resolve import resolve  # noqa: E402, F401


def __getattr__(name: str) -> Any:
    module = _API.get(name)
    if module is None:
        raise AttributeError(f"module 'irgraph' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
