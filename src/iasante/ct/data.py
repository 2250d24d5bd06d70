"""The training catalogue: every slice of ../shared/data/ct with its source, patient group and two labels.

Labels per slice (``-1`` = unknown, masked out of that head's loss):

===================  ============  ==========  ======================================================
source               ``y_abn``     ``y_covid``  why
===================  ============  ==========  ======================================================
UCSD COVID           1             1           COVID-19 pneumonia
UCSD NonCOVID        -1            0           mixes normal lungs and other disease: not "normal"
LUNA16 screening     0             0           lung-cancer screening CT (may hold small nodules)
COVID-CT-MD normal   0             0           normal patient
COVID-CT-MD cap      1             0           community-acquired pneumonia
COVID-CT-MD covid    1             1           COVID-19 patient
===================  ============  ==========  ======================================================

COVID-CT-MD labels are per patient; slices with almost no aerated lung (above the apices, below the
bases) are dropped because they cannot show the disease.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from iasante.core.config import get_settings
from iasante.core.errors import ConfigError

MD_MIN_LUNG_FRACTION = 0.10
MD_SLICE_STEP = 2  # adjacent 2 mm slices are near copies; every 2nd keeps the patient from dominating


@dataclass(frozen=True)
class Catalogue:
    """Slice table with columns ``path, source, group, y_abn, y_covid`` (one row per slice)."""

    table: pd.DataFrame


def ct_data_dir() -> Path:
    """``<data_dir>/ct``, or :class:`ConfigError` when the shared data is absent."""
    data_dir = get_settings().data_dir
    if data_dir is None or not (data_dir / "ct").is_dir():
        raise ConfigError("CT training data not found: set IASANTE_DATA_DIR to the folder holding ct/")
    return data_dir / "ct"


def build_catalogue(root: Path | None = None) -> Catalogue:
    """List all training slices; ``root`` defaults to :func:`ct_data_dir`."""
    root = root or ct_data_dir()
    rows: list[dict[str, object]] = []
    ucsd = pd.read_csv(root / "covid_ct" / "labels.csv")
    for r in ucsd.itertuples():
        covid = r.label == "COVID"
        rows.append(
            {
                "path": str(root / "covid_ct" / r.file),
                "source": "ucsd_covid" if covid else "ucsd_noncovid",
                "group": f"ucsd:{str(r.patient_id).strip()}",
                "y_abn": 1 if covid else -1,
                "y_covid": int(covid),
            }
        )
    luna = pd.read_csv(root / "luna16_slices" / "labels.csv")
    for r in luna.itertuples():
        rows.append(
            {
                "path": str(root / "luna16_slices" / r.file),
                "source": "luna16",
                "group": f"luna:{r.seriesuid}",
                "y_abn": 0,
                "y_covid": 0,
            }
        )
    md = pd.read_csv(root / "covid_ct_md" / "labels.csv").sort_values(["patient_id", "slice_index_sorted"])
    for r in md.itertuples():
        if r.slice_index_sorted % MD_SLICE_STEP:
            continue
        rows.append(
            {
                "path": str(root / "covid_ct_md" / r.file),
                "source": f"md_{r.label}",
                "group": f"md:{r.patient_id}",
                "y_abn": int(r.label != "normal"),
                "y_covid": int(r.label == "covid"),
            }
        )
    return Catalogue(pd.DataFrame(rows))


def split_test_groups(table: pd.DataFrame, test_frac: float = 0.2, seed: int = 0) -> np.ndarray:
    """Boolean mask of the held-out test rows: ``test_frac`` of UCSD and LUNA16 patients per source.

    COVID-CT-MD's three patients stay out of the test split (there is one per class); they are judged
    out-of-fold in cross-validation instead.
    """
    rng = np.random.default_rng(seed)
    test_groups: set[str] = set()
    for source in ("ucsd_covid", "ucsd_noncovid", "luna16"):
        groups = sorted(set(table.loc[table.source == source, "group"]))
        rng.shuffle(groups)
        test_groups.update(groups[: int(round(test_frac * len(groups)))])
    return table.group.isin(test_groups).to_numpy()


def assign_folds(groups: pd.Series, n_folds: int, seed: int = 0) -> np.ndarray:
    """Fold index per row, whole groups per fold (patient-disjoint), groups shuffled with ``seed``."""
    rng = np.random.default_rng(seed)
    unique = np.array(sorted(set(groups)))
    rng.shuffle(unique)
    fold_of = {g: i % n_folds for i, g in enumerate(unique)}
    # spread the three COVID-CT-MD patients over different folds so each is judged by a model blind to it
    md = sorted(g for g in unique if g.startswith("md:"))
    fold_of.update({g: i % n_folds for i, g in enumerate(md)})
    return groups.map(fold_of).to_numpy()
