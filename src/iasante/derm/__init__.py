"""Melanoma detection from dermoscopic images (``iasante derm``).

Pre-processing as in the field (Shades of Gray colour constancy, DullRazor hair removal, Otsu lesion
segmentation), a compact MONAI CNN blended with a LightGBM model on ABCD/colour descriptors, calibrated on
lesion-disjoint validation data, with Grad-CAM heat-maps. Heavy modules load on first use.
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = ["MelanomaClassifier", "Analysis", "predict_files", "router", "app"]

_WHERE = {"MelanomaClassifier": "predictor", "Analysis": "predictor", "predict_files": "service",
          "router": "web", "app": "cli"}


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        return getattr(importlib.import_module(f"iasante.derm.{_WHERE[name]}"), name)
    raise AttributeError(f"module 'iasante.derm' has no attribute {name!r}")
