"""Training data: HAM10000 (split by lesion_id) and PH2 (external validation), pre-processed once and cached.

The cache (``/tmp/derm_cache`` by default) holds, per set, ``net`` uint8 (N, 72, 96, 3) network crops,
``desc`` float32 (N, D) descriptors, ``lesion_found`` bool (N,) and the labels, so that training and evaluation
never decode a JPEG twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.model_selection import StratifiedGroupKFold

from iasante.core.config import get_settings
from iasante.core.errors import ConfigError
from iasante.core.progress import track
from iasante.derm.features import compute_descriptors
from iasante.derm.io import read_image
from iasante.derm.preprocess import prepare

DIAGNOSES = ("akiec", "bcc", "bkl", "df", "mel", "nv", "vasc")
MELANOMA_INDEX = DIAGNOSES.index("mel")
DEFAULT_CACHE = Path("/tmp/derm_cache")


@dataclass
class CachedSet:
    """Pre-processed images of one data set (arrays aligned on the first axis)."""

    net: np.ndarray  # uint8 (N, 72, 96, 3)
    desc: np.ndarray  # float32 (N, D)
    lesion_found: np.ndarray  # bool (N,)
    frame: pd.DataFrame  # one row per image: labels and grouping


def _dermoscopy_dir() -> Path:
    data_dir = get_settings().data_dir
    if data_dir is None or not (data_dir / "dermoscopy").is_dir():
        raise ConfigError("dermoscopy data not found: set IASANTE_DATA_DIR to the folder holding dermoscopy/")
    return data_dir / "dermoscopy"


def load_ham_labels() -> pd.DataFrame:
    """HAM10000 labels with columns lesion_id, image_id, dx, y (index in :data:`DIAGNOSES`), path."""
    root = _dermoscopy_dir() / "ham10000"
    frame = pd.read_csv(root / "labels.csv")
    frame["y"] = frame["dx"].map({d: i for i, d in enumerate(DIAGNOSES)}).astype(int)
    frame["path"] = [str(root / f) for f in frame["file"]]
    return frame.reset_index(drop=True)


def load_ph2_labels() -> pd.DataFrame:
    """PH2 labels with columns image, diagnosis, melanoma (0/1), path."""
    root = _dermoscopy_dir() / "ph2"
    frame = pd.read_csv(root / "labels.csv")
    frame["melanoma"] = (frame["diagnosis"] == "melanoma").astype(int)
    frame["path"] = [str(root / "images" / f"{name}.jpg") for name in frame["image"]]
    return frame


def split_by_lesion(frame: pd.DataFrame, seed: int = 0, n_folds: int = 7) -> np.ndarray:
    """Assign each image to ``train``, ``val`` or ``test`` so that no lesion straddles two parts.

    Stratified on the diagnosis; one fold (~14 %) is the test set, one the validation set (calibration,
    threshold, ensemble weights), the rest is training. Returns an array of str (N,).
    """
    folds = StratifiedGroupKFold(n_splits=n_folds, shuffle=True, random_state=seed)
    split = np.full(len(frame), "train", dtype=object)
    for fold, (_, held) in enumerate(folds.split(frame, frame["y"], groups=frame["lesion_id"])):
        if fold == 0:
            split[held] = "test"
        elif fold == 1:
            split[held] = "val"
    return split


def _build(paths: list[str], description: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    nets, descs, found = [], [], []
    for path in track(paths, description):
        prepared = prepare(read_image(path))
        nets.append(prepared["net"])
        descs.append(compute_descriptors(prepared["clean"], prepared["mask"]))  # type: ignore[arg-type]
        found.append(prepared["lesion_found"])
    return np.stack(nets), np.stack(descs), np.asarray(found, bool)


def load_cached(name: str, cache_dir: Path = DEFAULT_CACHE) -> CachedSet:
    """Load (building it on first call) the cache of ``ham10000`` or ``ph2``."""
    frame = load_ham_labels() if name == "ham10000" else load_ph2_labels()
    file = cache_dir / f"{name}.npz"
    if not file.exists():
        cache_dir.mkdir(parents=True, exist_ok=True)
        net, desc, found = _build(list(frame["path"]), f"Pre-processing {name}")
        np.savez(file, net=net, desc=desc, found=found)
    arrays = np.load(file)
    if len(arrays["net"]) != len(frame):
        raise ConfigError(f"{file}: stale cache ({len(arrays['net'])} rows, {len(frame)} images); delete it")
    return CachedSet(arrays["net"], arrays["desc"], arrays["found"], frame)
