"""ScanCovid-IA: chest CT triage (normal / pathological / COVID-19) from slices, DICOM series, NIfTI.

A two-stage cascade (stage 1 abnormal vs normal lungs from body-crop CNNs, stage 2 COVID-19 vs other from
lung-crop CNNs stacked with a lung-texture model), calibrated ensembles of small MONAI residual CNNs, with
series-level aggregation and Grad-CAM. Names load lazily: importing the package does not import PyTorch.
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = ["CovidTriageNet", "CtTriage", "load", "load_input", "app", "router"]

_WHERE = {
    "CovidTriageNet": "iasante.ct.model",
    "CtTriage": "iasante.ct.predict",
    "load": "iasante.ct.predict",
    "load_input": "iasante.ct.io",
    "app": "iasante.ct.cli",
    "router": "iasante.ct.web",
}


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        return getattr(importlib.import_module(_WHERE[name]), name)
    raise AttributeError(f"module 'iasante.ct' has no attribute {name!r}")
