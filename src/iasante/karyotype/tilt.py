"""How far BioImLab crops are from upright, and whether that tilt can be learned (it cannot, measurably).

BioImLab single-chromosome crops keep the chromosome's tilt from the cut-out (median 16.6 degrees off the
principal axis, a quarter beyond 30 degrees) on a pure-black background, so a rotated crop carries no trace
of its original frame. This module measures, on cell-disjoint data, whether the raw-crop frame could serve
as the "upright" reference of ``angle_deg``: a regressor trained to predict each crop's tilt (its residual
from the principal axis) from the aligned chromosome is compared with predicting no tilt.
"""

from __future__ import annotations

from typing import Any

import lightgbm as lgb
import numpy as np
from scipy import ndimage

from iasante.karyotype.metrics import ANGLE_TOLERANCE_DEG, angle_error_deg, summarise


def tilt_features(canvases: np.ndarray) -> np.ndarray:
    """(N, 504) features of aligned canvases (N, 112, 56): the 4x-reduced image and each row's centroid offset.

    The centroid profile encodes bending, the one shape cue that could tie the cut-out frame to the axis.
    """
    c = np.asarray(canvases, dtype=np.float32)
    small = ndimage.zoom(c, (1, 0.25, 0.25), order=1).reshape(len(c), -1)
    cols = np.arange(c.shape[2], dtype=np.float32) - (c.shape[2] - 1) / 2
    centroid = (c * cols).sum(2) / (c.sum(2) + 1e-6)
    return np.concatenate([small, centroid], 1)


def fit_tilt_regressor(canvases: np.ndarray, tilt_deg: np.ndarray, random_state: int = 0) -> lgb.LGBMRegressor:
    """LightGBM regressor of tilt (deg) from aligned canvases, with mirrored copies (mirror negates tilt)."""
    x = np.concatenate([tilt_features(canvases), tilt_features(canvases[:, :, ::-1])])
    y = np.concatenate([tilt_deg, -np.asarray(tilt_deg)])
    model = lgb.LGBMRegressor(
        n_estimators=400,
        learning_rate=0.03,
        num_leaves=15,
        subsample=0.8,
        subsample_freq=1,
        colsample_bytree=0.5,
        n_jobs=1,
        verbose=-1,
        random_state=random_state,
    )
    return model.fit(x, y)


def raw_frame_study(
    canvases: np.ndarray,
    tilt_deg: np.ndarray,
    cells: np.ndarray,
    train_cells: list[int],
    test_cells: list[int],
    random_state: int = 0,
) -> dict[str, Any]:
    """AngleError > 7.5 deg % on test cells if the raw crop frame were "upright", with and without a learned tilt.

    Args:
        canvases: (N, 112, 56) aligned, p-arm-up canvases of the raw crops.
        tilt_deg: (N,) principal-axis rotation of each raw crop (deg, CCW, in (-90, 90]); zero for a crop
            whose long axis is already vertical.
        cells: (N,) cell id of each crop; train_cells / test_cells: disjoint cell lists.

    Returns:
        JSON-ready dict: tilt percentiles, the error rate with no tilt model (what the principal-axis
        convention scores against the raw frame), with the learned tilt, and the learned tilt's correlation.
    """
    train, test = np.isin(cells, train_cells), np.isin(cells, test_cells)
    model = fit_tilt_regressor(canvases[train], tilt_deg[train], random_state)
    predicted = model.predict(tilt_features(canvases[test]))
    truth = tilt_deg[test]
    quartiles = np.round(np.percentile(np.abs(tilt_deg), [25, 50, 75, 90]), 1).tolist()
    out: dict[str, Any] = {
        "abs_tilt_deg_percentiles": dict(zip(("p25", "p50", "p75", "p90"), quartiles, strict=True)),
        "learned_tilt_corr": round(float(np.corrcoef(predicted, truth)[0, 1]), 3) if np.std(predicted) > 0 else 0.0,
    }
    for name, guess in (("no_tilt_model", np.zeros_like(truth)), ("learned_tilt", predicted)):
        bad = (angle_error_deg(guess, truth) > ANGLE_TOLERANCE_DEG).astype(float)
        out[name] = summarise("AngleError>7.5deg (raw-crop frame)", bad, cells[test], random_state)
    return out
