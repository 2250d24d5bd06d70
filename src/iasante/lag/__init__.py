"""LAG: structural-variant and CNV interpretation for whole-genome sequencing.

Part 1 (``workflow/``, ``calling``) calls SVs/CNVs; part 2 annotates them (genes, ClinGen dosage, genomic
disorders, gnomAD-SV, ClinVar, cytobands/ISCN), classifies CNVs with the ACMG/ClinGen points system, ranks
them with a calibrated gradient-boosting model and serves the biologist's review page and report.
Imports stay light: heavy modules load on first use.
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = ["CnvRanker", "classify", "classify_file", "app", "router"]

_WHERE = {
    "CnvRanker": "iasante.lag.ranker",
    "classify": "iasante.lag.acmg",
    "classify_file": "iasante.lag.pipeline",
    "app": "iasante.lag.cli",
    "router": "iasante.lag.web",
}


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        return getattr(importlib.import_module(_WHERE[name]), name)
    raise AttributeError(f"module 'iasante.lag' has no attribute {name!r}")
