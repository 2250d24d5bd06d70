"""Which reading of an object is right: one whole chromosome, or touching chromosomes cut into pieces.

The segmenter proposes cuts (:func:`iasante.karyotype.segment.neck_split`, :func:`split_candidates`); this
module scores each reading of an object from the chromosome network's outputs on its pieces and from their
sizes relative to the cell, with a gradient-boosted classifier trained on synthetic spreads of the training
cells, where the synthesiser's instance map says which reading is right (every piece matched one-to-one to
a true chromosome with IoU >= 0.5). The reading with the highest score is kept.
"""

from __future__ import annotations

import pickle
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from sklearn.ensemble import HistGradientBoostingClassifier

from iasante.core.errors import ModelNotReadyError

CHOOSER_FILE = "split_chooser.pkl"
CLASS_RELATIVE_AREA = np.array(
    [1.872, 1.864, 1.571, 1.476, 1.412, 1.338, 1.234, 1.111, 1.017, 1.021, 1.009, 1.019]
    + [0.86, 0.794, 0.767, 0.654, 0.618, 0.637, 0.438, 0.495, 0.361, 0.374, 1.15, 0.492]
)
"""Median area of each class (1..22, X, Y) over its cell's median chromosome area, BioImLab training cells
(the 90th percentile is only ~1.1x the median)."""
DOUBT_P_OTHER = 0.05
"""Objects above this "other" probability are offered cuts (on validation spreads this keeps every touching
pair that has a right cut while offering cuts to about a third of the objects)."""
DOUBT_AREA_RATIO = 1.1
"""Objects over this multiple of their argmax class's expected area are offered cuts too."""


@dataclass(frozen=True)
class Piece:
    """Network view of one piece: area over the cell's median object area, (24,) class probabilities, p_other."""

    area_ratio: float
    proba: np.ndarray
    p_other: float


def is_doubtful(piece: Piece) -> bool:
    """Whether an object is worth offering cuts: the network doubts it or it is too big for its class."""
    expected = CLASS_RELATIVE_AREA[int(np.argmax(piece.proba))]
    return piece.p_other > DOUBT_P_OTHER or piece.area_ratio > DOUBT_AREA_RATIO * expected


def reading_features(parts: list[Piece], whole: Piece, neck: bool) -> list[float]:
    """Features (12,) of one reading (``parts``; a single part = kept whole) of the object ``whole``."""
    other = -np.log(np.clip(1.0 - np.array([p.p_other for p in parts]), 1e-6, 1.0))
    top = -np.log(np.clip(np.array([p.proba.max() for p in parts]), 1e-6, 1.0))
    size = np.array([abs(np.log(p.area_ratio / CLASS_RELATIVE_AREA[int(np.argmax(p.proba))])) for p in parts])
    expected = sum(float(p.proba @ CLASS_RELATIVE_AREA) for p in parts)
    return [
        len(parts) - 1.0,
        float(other.sum()),
        float(top.sum()),
        float(other.max()),
        float(size.max()),
        float(size.mean()),
        float(np.log(min(p.area_ratio for p in parts))),
        float(np.log(whole.area_ratio)),
        float(neck),
        float(-np.log(max(1.0 - whole.p_other, 1e-6))),
        float(np.log(whole.area_ratio / expected)),
        float(other.mean()),
    ]


class SplitChooser:
    """Score readings of an object; :meth:`choose` returns the index of the best one.

    Args:
        max_iter, learning_rate: gradient boosting settings.
        random_state: seed of the boosting.

    Attributes:
        model_: the fitted ``HistGradientBoostingClassifier`` (probability that a reading is right).
    """

    def __init__(self, max_iter: int = 200, learning_rate: float = 0.05, random_state: int = 0):
        self.max_iter = max_iter
        self.learning_rate = learning_rate
        self.random_state = random_state

    def fit(self, features: np.ndarray, right: np.ndarray) -> SplitChooser:
        """Fit on (N, 12) reading features and (N,) booleans (the reading matches the truth)."""
        self.model_ = HistGradientBoostingClassifier(
            max_iter=self.max_iter, learning_rate=self.learning_rate, random_state=self.random_state
        ).fit(features, right)
        return self

    def choose(self, readings: list[list[float]]) -> int:
        """Index of the most probable reading among an object's readings (features from reading_features)."""
        if not hasattr(self, "model_"):
            raise ModelNotReadyError("split chooser not fitted: run `iasante karyotype train`")
        if len(readings) == 1:
            return 0
        return int(np.argmax(self.model_.predict_proba(np.asarray(readings))[:, 1]))

    def save(self, weights_dir: Path) -> Path:
        """Pickle the fitted model to ``weights_dir/split_chooser.pkl``."""
        path = weights_dir / CHOOSER_FILE
        path.write_bytes(pickle.dumps(self.model_, protocol=5))
        return path

    @classmethod
    def load(cls, weights_dir: Path) -> SplitChooser:
        """The committed chooser; ModelNotReadyError when absent."""
        path = weights_dir / CHOOSER_FILE
        if not path.is_file():
            raise ModelNotReadyError(f"split chooser missing at {path}: run `iasante karyotype train`")
        chooser = cls()
        chooser.model_ = pickle.loads(path.read_bytes())  # noqa: S301 - our own committed weights file
        return chooser
