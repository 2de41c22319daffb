"""irgraph: investor-relations activity records -> institution–company attendance network."""

from __future__ import annotations

__version__ = "0.1.0"
