"""Hand-crafted lung texture model: a second, non-CNN view of stage 2 (COVID-19 vs anything else).

Ground-glass opacity raises mid-grey intensities and changes fine texture inside the lung box; a gradient-
boosted model on intensity histograms, edge and local-binary-pattern statistics learns that from a few
hundred slices where a CNN trained from scratch over-fits. Its score is stacked with the CNN's COVID logit
(:class:`iasante.ct.model.TriageConfig` ``stack_*``), both fitted on out-of-fold predictions: on the 5-fold
patient-grouped CV this raised the COVID AUC (UCSD + LUNA16 rows) above either view alone.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from scipy import ndimage

TEXTURE_FILE = "texture_lgbm.json"
_LUNG_GREY = 0.55  # -525 HU in the lung window: aerated and ground-glass lung below
_GGO_RANGE = (0.35, 0.60)  # about -825..-450 HU: the ground-glass band
_LGBM_PARAMS: dict[str, object] = {
    "n_estimators": 300,
    "learning_rate": 0.03,
    "num_leaves": 7,
    "min_child_samples": 20,
    "subsample": 0.8,
    "subsample_freq": 1,
    "colsample_bytree": 0.7,
    "n_jobs": 1,
    "verbose": -1,
    "deterministic": True,
}


def texture_features(x_u8: np.ndarray) -> np.ndarray:
    """Features ``(N, 36)`` float64 of lung-crop network inputs ``(N, 1, S, S)`` uint8 (S = 128).

    Per slice, on the central 75% of the lung box: a 16-bin grey histogram, mean, spread, Sobel gradient
    mean and spread, mean |Laplacian of Gaussian|, dark-lung and ground-glass fractions, 10/50/90th
    percentiles, and the 10 uniform LBP(8, 1) codes over lung pixels.
    """
    from skimage.feature import local_binary_pattern

    rows = []
    for u8 in x_u8[:, 0]:
        im = u8.astype(np.float32) / 255.0
        m = im.shape[0] // 8
        core = im[m:-m, m:-m]
        grad = np.hypot(ndimage.sobel(im, 0), ndimage.sobel(im, 1))[m:-m, m:-m]
        log = np.abs(ndimage.laplace(ndimage.gaussian_filter(im, 1.0)))[m:-m, m:-m]
        lung = core < _LUNG_GREY
        lbp = local_binary_pattern(u8, 8, 1, "uniform")[m:-m, m:-m][lung].astype(int)
        rows.append(
            np.concatenate(
                [
                    np.histogram(core, bins=16, range=(0.0, 1.0))[0] / core.size,
                    [core.mean(), core.std(), grad.mean(), grad.std(), log.mean(), lung.mean()],
                    [((core > _GGO_RANGE[0]) & (core < _GGO_RANGE[1])).mean()],
                    np.percentile(core, [10, 50, 90]),
                    np.bincount(lbp, minlength=10)[:10] / max(lung.sum(), 1),
                ]
            )
        )
    return np.stack(rows) if rows else np.zeros((0, 36))


class TextureModel:
    """Mean raw score (log-odds) of LightGBM boosters, one per CV fold, on :func:`texture_features`.

    Args:
        model_strings: LightGBM text dumps, as saved by :meth:`save` (empty before :meth:`fit_fold`).
    """

    def __init__(self, model_strings: list[str] | None = None):
        import lightgbm as lgb

        self.boosters_ = [lgb.Booster(model_str=s) for s in (model_strings or [])]

    def fit_fold(self, features: np.ndarray, y: np.ndarray, seed: int) -> TextureModel:
        """Add one booster fitted (seeded, one thread) on ``features`` ``(N, F)`` and 0/1 ``y`` ``(N,)``."""
        import lightgbm as lgb

        clf = lgb.LGBMClassifier(**_LGBM_PARAMS, random_state=seed).fit(features, y)  # type: ignore[arg-type]
        self.boosters_.append(clf.booster_)
        return self

    def raw_score(self, features: np.ndarray, members: list[int] | None = None) -> np.ndarray:
        """Mean log-odds ``(N,)`` of the boosters (all, or those indexed by ``members``)."""
        picked = [self.boosters_[i] for i in members] if members is not None else self.boosters_
        return np.mean([b.predict(features, raw_score=True, num_threads=1) for b in picked], axis=0)

    def save(self, path: Path) -> None:
        path.write_text(json.dumps([b.model_to_string() for b in self.boosters_]) + "\n")

    @classmethod
    def load(cls, path: Path) -> TextureModel:
        return cls(json.loads(path.read_text()))
