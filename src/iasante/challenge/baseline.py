"""The demo challenges' baseline: logistic regression on simple image statistics, stored as plain arrays.

Features (all from the image files of ``/work/shared/data``, read with Pillow):

* ``gray_histogram``: 32-bin histogram of 8-bit gray levels, as fractions of pixels (CT slices);
* ``color_statistics``: per RGB channel a 16-bin histogram (fractions) plus mean and standard deviation
  scaled to [0, 1] (dermoscopy, 3 x 18 = 54 values);
* ``chromosome_shape``: height and width in pixels, their ratio, fraction and mean of bright pixels, a 16-bin
  gray histogram and the 16-point mean intensity profile along the long axis (Q-banded chromosomes).

The model is ``StandardScaler`` + ``LogisticRegression`` (scikit-learn), saved as its arrays in ``.npz`` so
that prediction needs only numpy (:class:`LinearBaseline`).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from iasante.core.errors import InputDataError, ModelNotReadyError

FeatureFn = Callable[[Path], np.ndarray]


def _open(path: Path, mode: str) -> np.ndarray:
    try:
        with Image.open(path) as image:
            return np.asarray(image.convert(mode), dtype=np.float64)
    except (OSError, UnidentifiedImageError) as exc:
        raise InputDataError(f"{path.name}: not a readable image ({exc})") from exc


def gray_histogram(path: Path) -> np.ndarray:
    """Shape (32,): fraction of pixels per gray-level bin of width 8."""
    pixels = _open(path, "L")
    return np.histogram(pixels, bins=32, range=(0, 256))[0] / pixels.size


def color_statistics(path: Path) -> np.ndarray:
    """Shape (54,): for R, G, B a 16-bin histogram (fractions), mean / 255 and std / 255."""
    pixels = _open(path, "RGB").reshape(-1, 3)
    parts = []
    for channel in range(3):
        values = pixels[:, channel]
        parts += [
            np.histogram(values, bins=16, range=(0, 256))[0] / values.size,
            np.array([values.mean() / 255.0, values.std() / 255.0]),
        ]
    return np.concatenate(parts)


def chromosome_shape(path: Path) -> np.ndarray:
    """Shape (37,): size in pixels, aspect, bright fraction and mean, histogram, long-axis profile."""
    pixels = _open(path, "L")
    if pixels.shape[0] < pixels.shape[1]:
        pixels = pixels.T  # long axis first
    height, width = pixels.shape
    bright = pixels > 30
    profile = pixels.mean(axis=1)
    sampled = np.interp(np.linspace(0, height - 1, 16), np.arange(height), profile) / 255.0
    histogram = np.histogram(pixels, bins=16, range=(0, 256))[0] / pixels.size
    mean_bright = pixels[bright].mean() / 255.0 if bright.any() else 0.0
    head = [height / 100.0, width / 100.0, height / max(width, 1), bright.mean(), mean_bright]
    return np.concatenate([head, histogram, sampled])


FEATURES: dict[str, FeatureFn] = {
    "gray_histogram": gray_histogram,
    "color_statistics": color_statistics,
    "chromosome_shape": chromosome_shape,
}


class LinearBaseline:
    """Standardised logistic regression held as arrays.

    Args:
        feature: name in :data:`FEATURES`.
        C: inverse L2 strength for :meth:`fit`.
        random_state: seed of the solver.

    Attributes (after :meth:`fit` or :meth:`load`):
        mean_, scale_: shape (n_features,); coef_: (n_classes or 1, n_features);
        intercept_: (n_classes or 1,); classes_: class names, shape (n_classes,).
    """

    def __init__(self, feature: str = "gray_histogram", C: float = 1.0, random_state: int = 0) -> None:
        self.feature = feature
        self.C = C
        self.random_state = random_state

    def fit(self, X: np.ndarray, y: np.ndarray) -> LinearBaseline:
        """Fit on features ``X`` (n, n_features) and labels ``y`` (n,) of str; balanced class weights."""
        from sklearn.linear_model import LogisticRegression
        from sklearn.preprocessing import StandardScaler

        scaler = StandardScaler().fit(X)
        model = LogisticRegression(C=self.C, class_weight="balanced", max_iter=5000, random_state=self.random_state)
        model.fit(scaler.transform(X), y)
        self.mean_, self.scale_ = scaler.mean_, scaler.scale_
        self.coef_, self.intercept_ = model.coef_, model.intercept_
        self.classes_ = np.asarray(model.classes_, dtype=str)
        return self

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        """Class probabilities, shape (n, n_classes), columns in ``classes_`` order."""
        if not hasattr(self, "coef_"):
            raise ModelNotReadyError("baseline: not fitted nor loaded")
        logits = ((X - self.mean_) / self.scale_) @ self.coef_.T + self.intercept_
        if self.coef_.shape[0] == 1:
            positive = 1.0 / (1.0 + np.exp(-logits[:, 0]))
            return np.stack([1.0 - positive, positive], axis=1)
        logits -= logits.max(axis=1, keepdims=True)
        weights = np.exp(logits)
        return np.asarray(weights / weights.sum(axis=1, keepdims=True), dtype=np.float64)

    def predict(self, X: np.ndarray) -> np.ndarray:
        """Most likely class name per row, shape (n,)."""
        return np.asarray(self.classes_[np.argmax(self.predict_proba(X), axis=1)])

    def save(self, path: Path) -> None:
        np.savez(
            path,
            feature=self.feature,
            C=self.C,
            mean=self.mean_,
            scale=self.scale_,
            coef=self.coef_,
            intercept=self.intercept_,
            classes=self.classes_,
        )

    @classmethod
    def load(cls, path: Path) -> LinearBaseline:
        if not path.exists():
            raise ModelNotReadyError(f"baseline weights {path.name} missing; run `iasante challenge train`")
        with np.load(path, allow_pickle=False) as data:
            model = cls(str(data["feature"]), float(data["C"]))
            model.mean_, model.scale_ = data["mean"], data["scale"]
            model.coef_, model.intercept_ = data["coef"], data["intercept"]
            model.classes_ = data["classes"].astype(str)
        return model


def extract(feature: str, paths: list[Path], on_item: Callable[[], None] | None = None) -> np.ndarray:
    """Feature matrix of shape (len(paths), n_features)."""
    function = FEATURES[feature]
    rows = []
    for path in paths:
        rows.append(function(path))
        if on_item:
            on_item()
    return np.vstack(rows)
