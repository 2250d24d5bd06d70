"""Ligand-based potency model: a censored (Tobit) LightGBM ensemble and a Tanimoto-kernel SVR, combined.

Why two parts. A third of the Moonshot measurements are "> 99.5 µM" (pIC50 ≤ 4). Dropping them biases a model
towards actives; setting them to 4.0 fakes a value. The Tobit loss (Tobin 1958) scores a bound by the probability
that the prediction lies on the right side of it: for pIC50 ≤ b, loss = -log Φ((b - f) / σ); exact values keep
the Gaussian loss (f - y)² / 2σ². LightGBM gets its gradient and Hessian from that loss. Its latent mean μ gives
p = Φ((μ - 4) / σ), the probability that a compound reads above the assay floor. But a latent mean fitted to
many inactives sits ~0.6 log units below the measured value of compounds of a *new* series that turn out
measurable, so their potency comes from a second model fitted on the measured compounds only: support-vector
regression with the Tanimoto kernel on count fingerprints (ECFP6 and atom pairs, Ralaivola et al. 2005), which
ranks new series better than trees on inner series validation. The two combine as a hurdle model:
``pIC50 = m - γ (1 - p) (m - 4)``: γ = 1 is the expected read-out with inactives at the floor,
γ = 0 the potency if measurable; γ = 0.5 (their mean) was chosen on inner series validation (model card).

Uncertainty: ``n_members`` pairs (booster on a row/column subsample, SVR on a subsample of the measured
compounds) with different seeds give a spread ``s``; a split-conformal factor ``q`` (Vovk et al. 2005;
normalised scores |y - μ| / (s + s0)) measured on held-out *chemical series* turns it into an interval
μ ± q (s + s0) with the requested coverage.
Applicability domain: nearest-neighbour Tanimoto (Morgan, 2048 bits) to the training compounds.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
from scipy.special import log_ndtr, ndtr

from iasante.core.errors import ModelNotReadyError
from iasante.drugs import chem
from iasante.drugs.io import ASSAY_FLOOR_PIC50

__all__ = ["PotencyModel", "kernel_features", "tanimoto_kernel", "tobit_objective"]


def kernel_features(X: np.ndarray) -> np.ndarray:
    """The count-fingerprint blocks :data:`chem.KERNEL_BLOCKS` of :func:`chem.features`, side by side.

    Args:
        X: float (n, chem.N_FEATURES).

    Returns:
        float32 (n, len(chem.KERNEL_BLOCKS) * chem.FP_BITS).
    """
    return np.hstack([np.asarray(X[:, block], np.float32) for block in chem.KERNEL_BLOCKS])


def tanimoto_kernel(A: np.ndarray, B: np.ndarray) -> np.ndarray:
    """Mean over fingerprint blocks of the Tanimoto similarity of count vectors, a·b / (a·a + b·b - a·b).

    Args:
        A: (n_a, d) and B: (n_b, d) from :func:`kernel_features` (blocks of ``chem.FP_BITS`` columns).

    Returns:
        float32 (n_a, n_b) kernel in [0, 1], positive semi-definite (Ralaivola et al. 2005).
    """
    out = np.zeros((len(A), len(B)), dtype=np.float32)
    n_blocks = A.shape[1] // chem.FP_BITS
    for k in range(n_blocks):
        cols = slice(k * chem.FP_BITS, (k + 1) * chem.FP_BITS)
        a, b = np.asarray(A[:, cols], np.float32), np.asarray(B[:, cols], np.float32)
        ab = a @ b.T
        out += ab / np.maximum((a * a).sum(1)[:, None] + (b * b).sum(1)[None, :] - ab, 1e-9)
    out /= n_blocks
    return out


def tobit_objective(censor: np.ndarray, sigma: float):  # type: ignore[no-untyped-def]
    """LightGBM custom objective for censored targets.

    Args:
        censor: int array (n,): 0 exact, -1 upper bound (y ≤ label), +1 lower bound (y ≥ label).
        sigma: noise scale of the Tobit likelihood, pIC50 units.

    Returns:
        ``fn(preds, dataset) -> (grad, hess)``, both float arrays (n,).
    """
    censor = np.asarray(censor)

    def objective(preds: np.ndarray, dataset: Any) -> tuple[np.ndarray, np.ndarray]:
        labels = dataset.get_label()
        grad = (preds - labels) / sigma**2
        hess = np.full_like(preds, 1.0 / sigma**2)
        bounded = censor != 0
        # z is the standardised margin by which the prediction sits on the allowed side of the bound
        z = censor[bounded] * (preds[bounded] - labels[bounded]) / sigma
        mills = np.exp(-0.5 * z**2 - 0.5 * np.log(2 * np.pi) - log_ndtr(z))  # φ(z)/Φ(z)
        grad[bounded] = -censor[bounded] * mills / sigma
        hess[bounded] = np.maximum(mills * (mills + z), 1e-6) / sigma**2
        return grad, hess

    return objective


class PotencyModel:
    """pIC50 regressor with intervals and an applicability domain.

    Args:
        n_members: (booster, SVR) pairs in the ensemble.
        sigma: Tobit noise scale (pIC50 units).
        n_estimators, learning_rate, num_leaves, min_child_samples, feature_fraction: LightGBM settings.
        svr_c, svr_epsilon: SVR penalty and insensitive-tube half-width (pIC50 units).
        svr_subsample: fraction of the measured compounds each member's SVR sees.
        floor_weight: γ of the combination (0 = potency if measurable, 1 = expected read-out).
        coverage: target coverage of the conformal interval (e.g. 0.9).
        domain_threshold: minimum nearest-neighbour Tanimoto to the training set to be "in domain".
        random_state: base seed (member k uses ``random_state + k``).

    Attributes (after ``fit``):
        boosters_: list of ``lightgbm.Booster``; offset_: constant added to their output (training mean);
        svr_x_: :func:`kernel_features` of the measured training compounds, uint16 (n_measured, 4096);
        svr_coef_: dual coefficients, float (n_members, n_measured) (0 outside a member's subsample);
        svr_intercept_: float (n_members,); train_fps_: packed training fingerprints, uint8 (n_train, 256);
        conformal_q_: interval factor.

    Examples:
        >>> import numpy as np
        >>> m = PotencyModel(n_members=2, n_estimators=20)
        >>> X = np.random.default_rng(0).random((60, chem.N_FEATURES), dtype=np.float32)
        >>> y = X[:, 0] * 3 + 4
        >>> m.fit(X, y, np.zeros(60, dtype=int)).predict(X).shape
        (60,)
    """

    spread_floor = 0.1  # s0 of the normalised conformal score, pIC50 units

    def __init__(self, n_members: int = 5, sigma: float = 0.5, n_estimators: int = 400,
                 learning_rate: float = 0.05, num_leaves: int = 31, min_child_samples: int = 10,
                 feature_fraction: float = 0.3, svr_c: float = 20.0, svr_epsilon: float = 0.1,
                 svr_subsample: float = 0.9, floor_weight: float = 0.5, coverage: float = 0.9,
                 domain_threshold: float = 0.35, random_state: int = 0) -> None:
        self.n_members = n_members
        self.sigma = sigma
        self.n_estimators = n_estimators
        self.learning_rate = learning_rate
        self.num_leaves = num_leaves
        self.min_child_samples = min_child_samples
        self.feature_fraction = feature_fraction
        self.svr_c = svr_c
        self.svr_epsilon = svr_epsilon
        self.svr_subsample = svr_subsample
        self.floor_weight = floor_weight
        self.coverage = coverage
        self.domain_threshold = domain_threshold
        self.random_state = random_state

    def get_params(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in (
            "n_members", "sigma", "n_estimators", "learning_rate", "num_leaves", "min_child_samples",
            "feature_fraction", "svr_c", "svr_epsilon", "svr_subsample", "floor_weight", "coverage",
            "domain_threshold", "random_state")}

    def fit(self, X: np.ndarray, y: np.ndarray, censor: np.ndarray, fps: np.ndarray | None = None
            ) -> PotencyModel:
        """Fit the ensemble.

        Args:
            X: float32 (n, chem.N_FEATURES) from :func:`chem.features`.
            y: pIC50 value or bound (n,); censor: int (n,) as in :func:`tobit_objective`.
            fps: packed fingerprints (n, 256) for the applicability domain (optional).
        """
        import lightgbm as lgb

        y = np.asarray(y, dtype=float)
        self.offset_ = float(y.mean())
        self.boosters_ = []
        for k in range(self.n_members):
            params = {
                "objective": tobit_objective(censor, self.sigma), "learning_rate": self.learning_rate,
                "num_leaves": self.num_leaves, "min_child_samples": self.min_child_samples,
                "feature_fraction": self.feature_fraction, "bagging_fraction": 0.8, "bagging_freq": 1,
                "lambda_l2": 1.0, "seed": self.random_state + k, "num_threads": 1, "verbosity": -1,
                "deterministic": True, "force_col_wise": True,
            }
            data = lgb.Dataset(X[:, chem.TREE_COLUMNS], label=y - self.offset_, free_raw_data=True)
            self.boosters_.append(lgb.train(params, data, num_boost_round=self.n_estimators))
        self._fit_svr(X, y, censor)
        self.train_fps_ = fps if fps is not None else np.zeros((0, chem.FP_BITS // 8), dtype=np.uint8)
        self.conformal_q_ = float("nan")
        return self

    def _fit_svr(self, X: np.ndarray, y: np.ndarray, censor: np.ndarray) -> None:
        """Fit one Tanimoto SVR per member on a seeded subsample of the measured (not upper-bounded) compounds."""
        from sklearn.svm import SVR

        measured = np.flatnonzero(np.asarray(censor) >= 0)
        self.svr_x_ = np.clip(kernel_features(X[measured]), 0, 65535).astype(np.uint16)
        gram = tanimoto_kernel(self.svr_x_, self.svr_x_)
        self.svr_coef_ = np.zeros((self.n_members, len(measured)))
        self.svr_intercept_ = np.zeros(self.n_members)
        for k in range(self.n_members):
            rng = np.random.default_rng(self.random_state + k)
            size = max(2, int(round(self.svr_subsample * len(measured))))
            rows = np.sort(rng.choice(len(measured), size, replace=False))
            svr = SVR(kernel="precomputed", C=self.svr_c, epsilon=self.svr_epsilon)
            svr.fit(gram[np.ix_(rows, rows)], y[measured][rows])
            self.svr_coef_[k, rows[svr.support_]] = svr.dual_coef_[0]
            self.svr_intercept_[k] = float(svr.intercept_[0])

    def _check_fitted(self) -> None:
        if not getattr(self, "boosters_", None):
            raise ModelNotReadyError("drugs potency model is not fitted or loaded")

    def predict_members(self, X: np.ndarray) -> np.ndarray:
        """Member predictions of the combined pIC50, float array (n_members, n)."""
        self._check_fitted()
        if len(X) == 0:
            return np.zeros((len(self.boosters_), 0))
        latent = np.stack([b.predict(X[:, chem.TREE_COLUMNS], num_threads=1) + self.offset_
                           for b in self.boosters_])
        p_measurable = ndtr((latent - ASSAY_FLOOR_PIC50) / self.sigma)
        gram = tanimoto_kernel(kernel_features(X), self.svr_x_)
        potency = self.svr_coef_ @ gram.T.astype(np.float64) + self.svr_intercept_[:, None]
        combined: np.ndarray = potency - self.floor_weight * (1.0 - p_measurable) * (potency - ASSAY_FLOOR_PIC50)
        return combined

    def predict(self, X: np.ndarray) -> np.ndarray:
        """Ensemble mean pIC50, float array (n,)."""
        return self.predict_members(X).mean(axis=0)

    def calibrate(self, y: np.ndarray, mean: np.ndarray, spread: np.ndarray) -> float:
        """Set the conformal factor from held-out exact measurements (y, mean, spread all shape (n,))."""
        scores = np.abs(np.asarray(y) - mean) / (spread + self.spread_floor)
        level = min(1.0, np.ceil((len(scores) + 1) * self.coverage) / len(scores))
        self.conformal_q_ = float(np.quantile(scores, level, method="higher"))
        return self.conformal_q_

    def predict_interval(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(mean, low, high) pIC50 arrays (n,), the interval at ``coverage`` for compounds of new series."""
        members = self.predict_members(X)
        mean, spread = members.mean(axis=0), members.std(axis=0)
        if not np.isfinite(getattr(self, "conformal_q_", float("nan"))):
            raise ModelNotReadyError("drugs potency model has no conformal calibration")
        half = self.conformal_q_ * (spread + self.spread_floor)
        return mean, mean - half, mean + half

    def domain(self, fps: list) -> tuple[np.ndarray, np.ndarray]:
        """(nearest training Tanimoto (n,), in-domain bool (n,)) for Morgan bit vectors ``fps``."""
        self._check_fitted()
        sims, _ = chem.max_similarity(fps, self.reference_fps)
        return sims, sims >= self.domain_threshold

    @property
    def reference_fps(self) -> list:
        if getattr(self, "_reference_cache", None) is None:
            self._reference_cache = chem.array_to_fingerprints(self.train_fps_)
        return self._reference_cache

    def save(self, folder: Path, extra: dict[str, Any] | None = None) -> None:
        """Write ``potency_<k>.txt`` boosters, ``potency_svr.npz``, ``potency.json`` (params, offset, q) and
        ``train_fps.npz``."""
        self._check_fitted()
        folder.mkdir(parents=True, exist_ok=True)
        for k, booster in enumerate(self.boosters_):
            booster.save_model(str(folder / f"potency_{k}.txt"))
        meta = {"params": self.get_params(), "offset": self.offset_, "conformal_q": self.conformal_q_,
                "n_features": chem.N_FEATURES, "descriptors": list(chem.DESCRIPTOR_NAMES), **(extra or {})}
        (folder / "potency.json").write_text(json.dumps(meta, indent=2))
        np.savez_compressed(folder / "train_fps.npz", fps=self.train_fps_)
        np.savez_compressed(folder / "potency_svr.npz", x=self.svr_x_, coef=self.svr_coef_,
                            intercept=self.svr_intercept_)

    @classmethod
    def load(cls, folder: Path) -> PotencyModel:
        """Load what :meth:`save` wrote; ModelNotReadyError if files are missing or do not match."""
        import lightgbm as lgb

        meta_path = folder / "potency.json"
        if not meta_path.is_file():
            raise ModelNotReadyError(f"{meta_path}: potency weights missing; run `iasante drugs train`")
        meta = json.loads(meta_path.read_text())
        if meta.get("n_features") != chem.N_FEATURES:
            raise ModelNotReadyError(f"{meta_path}: weights expect {meta.get('n_features')} features, "
                                     f"code makes {chem.N_FEATURES}; retrain")
        model = cls(**meta["params"])
        model.offset_ = float(meta["offset"])
        model.conformal_q_ = float(meta["conformal_q"])
        model.boosters_ = [lgb.Booster(model_file=str(folder / f"potency_{k}.txt"))
                           for k in range(model.n_members)]
        model.train_fps_ = np.load(folder / "train_fps.npz")["fps"]
        svr = np.load(folder / "potency_svr.npz")
        model.svr_x_, model.svr_coef_, model.svr_intercept_ = svr["x"], svr["coef"], svr["intercept"]
        model.meta_ = meta
        return model
