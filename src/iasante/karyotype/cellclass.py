"""Classify the chromosomes of one known cell together: cytogenetic features, a banding model, cell assignment.

A whole cell carries context that a single crop lacks: each chromosome's length, area and brightness relative
to the cell's median (condensation differs from cell to cell), and the constraint that a cell holds about two
of each autosome. :class:`BandModel` (gradient boosting on hand-crafted features: length, area, centromere
index from the width profile, banding profile along the long axis; all p-arm up by the network's polarity,
plus the three cell-relative sizes) is trained on the training cells; its log-probabilities are added, with a
weight, to the network's; the cell is then assigned by :func:`iasante.karyotype.assign.assign_karyotype`
(Hungarian matching to karyotype hypotheses). The weight (0.2) was chosen on the validation cells and by
5-fold cell-grouped cross-validation on the training + validation cells.
"""

from __future__ import annotations

import gzip
import pickle
from pathlib import Path

import numpy as np
from scipy import ndimage

from iasante.core.errors import ModelNotReadyError
from iasante.karyotype.assign import assign_karyotype

BAND_MODEL_FILE = "band_model.pkl.gz"
N_BANDS = 24
N_WIDTHS = 8
N_FEATURES = 6 + N_BANDS + N_WIDTHS + 3
"""Columns of :func:`cell_features`."""
FUSION_WEIGHT = 0.2
"""Weight of the band model's log-probabilities added to the network's (chosen on validation cells)."""


def hand_features(canvas: np.ndarray, p_up: float) -> np.ndarray:
    """Cytogenetic features of one upright-aligned crop.

    Args:
        canvas: float32 (112, 56) crop in [0, 1], long axis vertical (see :func:`.preprocess.align_chromosome`).
        p_up: probability that the p-arm is at the top; the crop is turned 180 degrees when below 0.5.

    Returns:
        (6 + 24 + 8,) float: length (canvas rows), area, integrated and mean intensity, centromere index
        (narrowest point of the width profile between 15% and 85% of the length, from the p end), maximum
        width; the banding profile (mean intensity per row, resampled to 24 points, p end first, divided by
        its mean); the width profile resampled to 8 points (divided by its mean).
    """
    crop = canvas if p_up >= 0.5 else canvas[::-1, ::-1]
    mask = crop > 0.05
    rows = np.flatnonzero(mask.any(1))
    if len(rows) < 3:
        return np.zeros(6 + N_BANDS + N_WIDTHS)
    r0, r1 = rows[0], rows[-1] + 1
    length = r1 - r0
    area = float(mask.sum())
    intensity = float(crop[mask].sum())
    width = mask[r0:r1].sum(1).astype(float)
    profile = np.where(width > 0, (crop[r0:r1] * mask[r0:r1]).sum(1) / np.maximum(width, 1.0), 0.0)
    smooth_width = ndimage.uniform_filter1d(width, max(3, length // 10))
    low, high = int(0.15 * length), max(int(0.85 * length), int(0.15 * length) + 1)
    centromere = (low + int(np.argmin(smooth_width[low:high]))) / length
    along = np.arange(length)
    bands = np.interp(
        np.linspace(0, length - 1, N_BANDS), along, ndimage.uniform_filter1d(profile, max(1, length // N_BANDS))
    )
    widths = np.interp(np.linspace(0, length - 1, N_WIDTHS), along, smooth_width)
    return np.concatenate(
        [
            [length, area, intensity, intensity / max(area, 1.0), centromere, width.max()],
            bands / (bands.mean() + 1e-6),
            widths / (widths.mean() + 1e-6),
        ]
    )


def cell_features(canvases: np.ndarray, p_up: np.ndarray) -> np.ndarray:
    """(N, 41) features of one cell's (N, 112, 56) aligned crops: :func:`hand_features` plus length, area and
    integrated intensity relative to the cell's median."""
    features = np.stack([hand_features(c, u) for c, u in zip(canvases, p_up, strict=True)])
    relative = features[:, :3] / np.maximum(np.median(features[:, :3], axis=0), 1e-6)
    return np.hstack([features, relative])


class BandModel:
    """Gradient boosting (LightGBM, one thread, seeded) over :func:`cell_features`, 24 classes.

    Args:
        random_state: seed of the bagging and feature subsampling.

    Attributes:
        model_: the fitted ``lightgbm.LGBMClassifier`` (set by :meth:`fit`).
    """

    def __init__(self, random_state: int = 0):
        self.random_state = random_state

    def fit(self, features: np.ndarray, y: np.ndarray) -> BandModel:
        """Fit on (N, 41) cell features and labels (N,) in 0..23 (every class must occur)."""
        import lightgbm as lgb

        self.model_ = lgb.LGBMClassifier(
            n_estimators=300,
            learning_rate=0.05,
            num_leaves=15,
            min_child_samples=10,
            subsample=0.8,
            subsample_freq=1,
            colsample_bytree=0.5,
            reg_lambda=1.0,
            n_jobs=1,
            verbose=-1,
            random_state=self.random_state,
        ).fit(features, y)
        return self

    def predict_proba(self, features: np.ndarray) -> np.ndarray:
        """(N, 24) class probabilities for (N, 41) cell features."""
        return np.asarray(self.model_.predict_proba(features))

    def save(self, weights_dir: Path) -> Path:
        """Gzipped pickle into ``weights_dir/band_model.pkl.gz`` (trees are text: gzip shrinks them; mtime 0 keeps
        the bytes reproducible)."""
        path = weights_dir / BAND_MODEL_FILE
        with path.open("wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=9, mtime=0) as handle:
            pickle.dump(self, handle)
        return path

    @staticmethod
    def load(weights_dir: Path) -> BandModel:
        """Unpickle the committed model (our own file, written by :meth:`save`)."""
        with gzip.open(weights_dir / BAND_MODEL_FILE, "rb") as handle:
            model = pickle.load(handle)  # noqa: S301 - our own weights file
        if not isinstance(model, BandModel):
            raise ModelNotReadyError(f"{weights_dir / BAND_MODEL_FILE}: not a BandModel")
        return model


def fuse(proba: np.ndarray, band_proba: np.ndarray, weight: float = FUSION_WEIGHT) -> np.ndarray:
    """(N, 24) renormalised exp(log p_network + weight * log p_band)."""
    logit = np.log(np.clip(proba, 1e-6, 1.0)) + weight * np.log(np.clip(band_proba, 1e-6, 1.0))
    out = np.exp(logit - logit.max(1, keepdims=True))
    return np.asarray(out / out.sum(1, keepdims=True))


def classify_cell(
    canvases: np.ndarray,
    proba: np.ndarray,
    p_up: np.ndarray,
    p_other: np.ndarray,
    band_model: BandModel | None,
) -> tuple[np.ndarray, np.ndarray]:
    """Classes of the chromosomes of one cell, given the network's outputs.

    Args:
        canvases: (N, 112, 56) aligned crops; proba: (N, 24); p_up, p_other: (N,).
        band_model: the fitted :class:`BandModel`; without it only the cell assignment is applied.

    Returns:
        labels (N,) in 0..23 (an object the assignment discards keeps its most likely class) and the
        fused probabilities (N, 24).
    """
    fused = proba
    if band_model is not None:
        fused = fuse(proba, band_model.predict_proba(cell_features(canvases, p_up)))
    labels = assign_karyotype(fused, p_other).labels
    return np.where(labels >= 0, labels, fused.argmax(1)), fused
