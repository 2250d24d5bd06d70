"""Read and validate inputs: the COVID Moonshot potency data, compound tables and the approved-drug library.

Potency is handled as pIC50 = 6 - log10(IC50 / µM). The Moonshot assay reports values out of its range as
censored: ``"> 99.5"`` µM means pIC50 ≤ 4.0 (an *upper* bound, ``censor = -1``) and ``"< 0.05"`` µM means
pIC50 ≥ 7.3 (a *lower* bound, ``censor = +1``). They are kept as bounds, never dropped nor replaced by a value.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from iasante.core.config import get_settings
from iasante.core.errors import ConfigError, InputDataError
from iasante.drugs.chem import canonical, standardise

MOONSHOT_FILE = "moonshot/cdd_noncovalent_dates_2023_10_18_filt.csv"
APPROVED_FILE = "drugcentral/approved_drugs_smiles.csv"
# Nothing below the assay floor was ever measured (IC50 > 99.5 µM ⇒ pIC50 ≤ 4.0): a lower prediction only
# says "inactive", so reported pIC50 values are floored there; rankings use the unfloored score.
ASSAY_FLOOR_PIC50 = 4.0
SMILES_CANDIDATES = ("smiles", "SMILES", "Smiles", "canonical_smiles", "suspected_SMILES")


@dataclass(frozen=True)
class PotencyData:
    """Merged potency table, one row per standardised compound.

    Attributes:
        frame: columns ``smiles`` (standardised canonical), ``ids`` (';'-joined Moonshot ids), ``pic50`` (value
            or bound, log units), ``censor`` (0 exact, -1 upper bound, +1 lower bound), ``n_measurements``.
        mols: the standardised RDKit molecules, same order as ``frame``.
    """

    frame: pd.DataFrame
    mols: list


def data_root() -> Path:
    """The shared ``drugs`` data folder; ConfigError if the deployment has none."""
    root = get_settings().data_dir
    if root is None or not (root / "drugs").is_dir():
        raise ConfigError("drugs data folder not found: set IASANTE_DATA_DIR to the folder holding drugs/")
    return root / "drugs"


def parse_ic50(text: object) -> tuple[float, int]:
    """One Moonshot IC50 cell (µM, maybe prefixed by '<' or '>') to (pIC50, censor).

    >>> parse_ic50("> 99.5")
    (4.0022, -1)
    """
    raw = str(text).strip()
    censor = -1 if raw.startswith(">") else (1 if raw.startswith("<") else 0)
    value = float(raw.lstrip("<>= "))
    if not value > 0:
        raise InputDataError(f"IC50 {raw!r}: must be a positive concentration in µM")
    return round(6.0 - math.log10(value), 4), censor


def _merge(group: pd.DataFrame) -> pd.Series:
    """Merge repeated measurements of one compound: mean of exact values, else the tightest bound."""
    exact = group[group.censor == 0]
    if len(exact):
        pic50, censor = exact.pic50.mean(), 0
    elif (group.censor == -1).all():
        pic50, censor = group.pic50.min(), -1
    elif (group.censor == 1).all():
        pic50, censor = group.pic50.max(), 1
    else:  # contradicting bounds (rare): the value lies between them
        pic50, censor = group.pic50.mean(), 0
    return pd.Series({"ids": ";".join(sorted(set(group.ids))), "pic50": round(float(pic50), 4),
                      "censor": int(censor), "n_measurements": len(group)})


def load_moonshot(path: Path | None = None) -> PotencyData:
    """Moonshot fluorescence IC50 data, standardised and with duplicates merged (≈1,850 compounds)."""
    path = path or data_root() / MOONSHOT_FILE
    raw = pd.read_csv(path)
    rows, mols = [], {}
    for smiles, ident, ic50 in zip(raw["suspected_SMILES"], raw["Canonical_PostEra_ID"], raw["IC50_(µM)"],
                                   strict=True):
        try:
            mol = standardise(smiles)
            pic50, censor = parse_ic50(ic50)
        except (InputDataError, ValueError):
            continue
        key = canonical(mol)
        mols.setdefault(key, mol)
        rows.append({"smiles": key, "ids": ident, "pic50": pic50, "censor": censor})
    long = pd.DataFrame(rows)
    frame = long.groupby("smiles", sort=True).apply(_merge, include_groups=False).reset_index()
    frame["censor"] = frame["censor"].astype(int)
    frame["n_measurements"] = frame["n_measurements"].astype(int)
    return PotencyData(frame, [mols[s] for s in frame.smiles])


def active_labels(pic50: np.ndarray, censor: np.ndarray, threshold: float = 6.0) -> np.ndarray:
    """Active (1) / inactive (0) at IC50 ≤ 1 µM; NaN where a bound cannot decide (e.g. '> 0.5 µM')."""
    labels = (pic50 >= threshold).astype(float)
    undecided = ((censor == -1) & (pic50 >= threshold)) | ((censor == 1) & (pic50 < threshold))
    labels[undecided] = np.nan
    return labels


def read_table(path: Path, smiles_column: str | None = None) -> tuple[pd.DataFrame, str]:
    """Read a compound CSV and find its SMILES column.

    Args:
        path: CSV file (comma or tab separated, UTF-8).
        smiles_column: column holding SMILES; guessed among common names when ``None``.

    Returns:
        (table with every column read as text, name of the SMILES column).

    Raises:
        InputDataError: missing, empty or unreadable file, or no such column.
    """
    if not path.is_file():
        raise InputDataError(f"{path}: file not found")
    if path.stat().st_size == 0:
        raise InputDataError(f"{path}: file is empty")
    try:
        with path.open(encoding="utf-8-sig") as handle:
            first = handle.readline()
        sep = "\t" if path.suffix.lower() == ".tsv" or ("\t" in first and "," not in first) else ","
        table = pd.read_csv(path, dtype=str, keep_default_na=False, sep=sep, encoding="utf-8-sig")
    except (UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError, ValueError) as exc:
        raise InputDataError(f"{path}: not a readable CSV table ({exc})") from exc
    if table.empty or len(table.columns) == 0:
        raise InputDataError(f"{path}: no rows")
    if smiles_column is None:
        found = [c for c in SMILES_CANDIDATES if c in table.columns]
        if not found:
            raise InputDataError(f"{path}: no SMILES column (tried {', '.join(SMILES_CANDIDATES)}); "
                                 f"columns are {', '.join(map(str, table.columns))}")
        smiles_column = found[0]
    if smiles_column not in table.columns:
        raise InputDataError(f"{path}: no column {smiles_column!r}; columns are "
                             f"{', '.join(map(str, table.columns))}")
    return table, smiles_column


def load_approved() -> pd.DataFrame:
    """DrugCentral 2023 approved small-molecule drugs: columns ID, name, agencies, INN, CAS_RN, SMILES."""
    path = data_root() / APPROVED_FILE
    if not path.is_file():
        raise ConfigError(f"{path}: approved-drug library missing")
    return pd.read_csv(path, dtype=str, keep_default_na=False)
