"""Fit and measure the cell-context classifier (:mod:`.cellclass`) on BioImLab, split by cell.

Both use the single-chromosome protocol of :func:`iasante.karyotype.train.evaluate_single`: each stored crop is
turned by a seeded random angle, so the band model sees crops aligned the way the classifier aligns new images.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from iasante.karyotype.cellclass import N_FEATURES, BandModel, cell_features
from iasante.karyotype.io import CLASSES, read_gray
from iasante.karyotype.metrics import summarise
from iasante.karyotype.model import ChromosomeClassifier
from iasante.karyotype.preprocess import align_chromosome, rotate, to_bright_on_dark, wrap_deg


def turned_images(table: pd.DataFrame, random_state: int = 0) -> tuple[list[np.ndarray], list[float], list[float]]:
    """Each crop of ``table`` (in order) turned by a random angle in [-180, 180).

    Returns:
        images (bright-on-dark float32), truth angles (turn minus the crop's principal rotation: the angle
        from the upright chromosome), and the turns themselves (deg, counter-clockwise).
    """
    rng = np.random.default_rng(random_state)
    images, truth, turns = [], [], []
    for path in table["path"]:
        raw = to_bright_on_dark(read_gray(path))
        _, rho = align_chromosome(raw, dark_on_light=False)
        turn = float(rng.uniform(-180.0, 180.0))
        images.append(rotate(np.pad(raw, 4), turn))
        truth.append(float(wrap_deg(turn - rho)))
        turns.append(turn)
    return images, truth, turns


def fit_band_model(
    clf: ChromosomeClassifier, table: pd.DataFrame, cells: list[int], random_state: int = 0
) -> BandModel:
    """Fit the :class:`BandModel` on the chromosomes of ``cells`` (the training cells), p-arm set by ``clf``."""
    sub = table[table["cell"].isin(cells)].reset_index(drop=True)
    images, _, _ = turned_images(sub, random_state)
    x = np.zeros((len(sub), N_FEATURES))
    for cell in sub["cell"].unique():
        rows = np.flatnonzero(sub["cell"].to_numpy() == cell)
        canvases, _, _, p_up, _ = clf.score_images([images[i] for i in rows], dark_on_light=False)
        x[rows] = cell_features(canvases, p_up)
    return BandModel(random_state=random_state).fit(x, sub["y"].to_numpy())


def evaluate_cells(clf: ChromosomeClassifier, table: pd.DataFrame, random_state: int = 0) -> dict[str, Any]:
    """ClassifErrors when each cell's chromosomes are classified together (:meth:`predict_cell`).

    Same turned images as :func:`evaluate_single`; returns the metric with its cell-bootstrap 95% CI and the
    per-image predictions.
    """
    images, _, _ = turned_images(table, random_state)
    cells = table["cell"].to_numpy()
    pred = np.empty(len(table), dtype=object)
    for cell in np.unique(cells):
        rows = np.flatnonzero(cells == cell)
        preds = clf.predict_cell([images[i] for i in rows], dark_on_light=False)
        pred[rows] = [p.chromosome for p in preds]
    err = np.array([CLASSES.index(p) for p in pred]) != table["y"].to_numpy()
    return {
        "classif_errors_cell": summarise("ClassifErrors (whole cell classified together)", err.astype(float), cells),
        "pred_cell": list(pred),
    }
