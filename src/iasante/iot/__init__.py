"""CoIoT-19: monitoring suspected COVID-19 patients from connected devices (MQTT, FHIR), NEWS2 and early alerts.

Public names are imported on first access, so ``import iasante.iot`` stays light (no pandas, paho or sklearn).
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = ["EarlyWarningDetector", "load_detector", "score_news2", "VitalSet", "app"]

_WHERE = {
    "EarlyWarningDetector": "model",
    "load_detector": "model",
    "score_news2": "news2",
    "VitalSet": "news2",
    "app": "cli",
}


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        return getattr(importlib.import_module(f"iasante.iot.{_WHERE[name]}"), name)
    raise AttributeError(f"module 'iasante.iot' has no attribute {name!r}")
