"""Score compounds with the ligand model: potency with interval, applicability domain, similarity to known
Moonshot actives and drug-likeness. Shared by ``predict``, ``screen``, lead finding and the web pages."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from iasante.core.errors import InputDataError, ModelNotReadyError
from iasante.drugs import chem
from iasante.drugs.io import ASSAY_FLOOR_PIC50
from iasante.drugs.model import PotencyModel

WEIGHTS_DIR = Path(__file__).resolve().parent / "weights"
PREDICTION_COLUMNS = ("pIC50_pred", "pIC50_low", "pIC50_high", "in_domain")


# Interval ends below pIC50 2 (IC50 > 10 mM) carry no meaning; exact Moonshot values are all ≥ 4, so clipping
# there leaves the measured coverage unchanged.
LOWEST_PIC50 = 2.0


@dataclass(frozen=True)
class Actives:
    """Moonshot compounds with IC50 ≤ 10 µM: frame (smiles, ids, pic50, censor) and their fingerprints."""

    frame: pd.DataFrame
    fps: list


@lru_cache(maxsize=1)
def load_model(folder: Path = WEIGHTS_DIR) -> PotencyModel:
    """The committed potency model (cached per process)."""
    return PotencyModel.load(folder)


@lru_cache(maxsize=1)
def load_actives(folder: Path = WEIGHTS_DIR) -> Actives:
    path = folder / "moonshot_actives.csv.gz"
    if not path.is_file():
        raise ModelNotReadyError(f"{path}: missing; run `iasante drugs train`")
    frame = pd.read_csv(path)
    return Actives(frame, [chem.fingerprint(chem.parse_smiles(s)) for s in frame.smiles])


def standardise_all(smiles: Sequence[object]) -> tuple[list[int], list, list[tuple[int, str]]]:
    """Standardise every SMILES; returns (indices of good rows, their molecules, [(row, error message)])."""
    good, mols, errors = [], [], []
    for i, text in enumerate(smiles):
        try:
            mols.append(chem.standardise(text))
            good.append(i)
        except InputDataError as exc:
            errors.append((i, str(exc)))
    return good, mols, errors


def score_mols(mols: list, with_details: bool = True) -> pd.DataFrame:
    """Score standardised molecules.

    Returns:
        one row per molecule: ``smiles_std``, ``pIC50_pred``/``pIC50_low``/``pIC50_high`` (pIC50 units, interval
        at the model's coverage), ``in_domain`` (bool), ``score`` (unfloored pIC50 for ranking), and with
        ``with_details`` also ``max_sim_train``, ``max_sim_active``, ``nearest_active``, ``nearest_active_pIC50``,
        ``qed``, ``lipinski_violations``, ``pains``.
    """
    model = load_model()
    if not mols:
        return pd.DataFrame(columns=["smiles_std", *PREDICTION_COLUMNS, "score"])
    mean, low, high = model.predict_interval(chem.features(mols))
    fps = [chem.fingerprint(m) for m in mols]
    sims, in_domain = model.domain(fps)
    table = pd.DataFrame({
        "smiles_std": [chem.canonical(m) for m in mols],
        "pIC50_pred": np.round(np.maximum(mean, ASSAY_FLOOR_PIC50), 3),
        "pIC50_low": np.round(np.maximum(low, LOWEST_PIC50), 3),
        "pIC50_high": np.round(np.maximum(high, ASSAY_FLOOR_PIC50), 3),
        "in_domain": in_domain.astype(bool),
        "score": np.round(mean, 4),
    })
    if with_details:
        actives = load_actives()
        act_sims, nearest = chem.max_similarity(fps, actives.fps)
        table["max_sim_train"] = np.round(sims, 3)
        table["max_sim_active"] = np.round(act_sims, 3)
        table["nearest_active"] = actives.frame.ids.to_numpy()[nearest]
        table["nearest_active_pIC50"] = actives.frame.pic50.to_numpy()[nearest]
        likeness = pd.DataFrame([chem.drug_likeness(m) for m in mols])
        table = pd.concat([table, likeness], axis=1)
    return table


def score_smiles(smiles: Sequence[object], with_details: bool = True
                 ) -> tuple[pd.DataFrame, list[tuple[int, str]]]:
    """Standardise and score; the returned frame is indexed by the input position of each good SMILES."""
    good, mols, errors = standardise_all(smiles)
    table = score_mols(mols, with_details)
    table.index = good
    return table, errors
