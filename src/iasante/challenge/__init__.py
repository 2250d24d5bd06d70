"""IA Santé Challenge: datathon platform with hidden test sets, scoring jobs, QI and leaderboards.

Organisers create challenges (task, metrics, encrypted truth, phases, quotas); participants submit CSV
predictions that are validated at once and scored as jobs; leaderboards rank teams with bootstrap CIs, rank
stability and the QI score (100 + 15 z). Heavy modules are imported lazily.
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = ["METRICS", "score_files", "service", "router", "app"]

_LAZY = {
    "METRICS": "iasante.challenge.metrics",
    "score_files": "iasante.challenge.scoring",
    "router": "iasante.challenge.web",
    "app": "iasante.challenge.cli",
}


def __getattr__(name: str) -> Any:
    if name == "service":
        return importlib.import_module("iasante.challenge.service")
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'iasante.challenge' has no attribute {name!r}")
