"""Karyotype AI: chromosome classification and orientation, metaphase segmentation, karyogram and ISCN.

Public names load lazily (no PyTorch at import), as truvari does:
``ChromosomeClassifier`` (single chromosomes), ``analyze_metaphase`` (whole spreads), ``iscn_numerical``,
``router``/``api_router`` (web) and ``app`` (CLI).
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = ["ChromosomeClassifier", "analyze_metaphase", "iscn_numerical", "router", "app"]

_WHERE = {
    "ChromosomeClassifier": "model",
    "analyze_metaphase": "pipeline",
    "iscn_numerical": "assign",
    "router": "web",
    "app": "cli",
}


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        return getattr(importlib.import_module(f"iasante.karyotype.{_WHERE[name]}"), name)
    raise AttributeError(f"module 'iasante.karyotype' has no attribute {name!r}")
