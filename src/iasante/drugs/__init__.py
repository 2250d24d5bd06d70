"""COVIDrug-19: in-silico repositioning and lead finding against SARS-CoV-2 main protease (Mpro).

A censored (Tobit) LightGBM ensemble and a Tanimoto-kernel SVR on count fingerprints, combined as a hurdle
model, predict Moonshot pIC50 with conformal intervals and an applicability domain; AutoDock Vina docks
ligands (meeko preparation, Dask-parallel); DrugCentral's approved drugs are screened and ranked; Moonshot
actives are grouped into series and analogues of a hit proposed. Heavy imports (RDKit, LightGBM, Vina)
happen on first use only.
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = ["PotencyModel", "predict_file", "screen", "dock_record", "app", "router"]

_WHERE = {"PotencyModel": "model", "predict_file": "service", "screen": "service", "dock_record": "service",
          "app": "cli", "router": "web"}


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        return getattr(importlib.import_module(f"iasante.drugs.{_WHERE[name]}"), name)
    raise AttributeError(f"module 'iasante.drugs' has no attribute {name!r}")
