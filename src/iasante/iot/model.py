"""The pre-symptomatic detector: heart-rate statistics calibrated on healthy days, combined by their tail probability.

The alert rests on the two heart-rate statistics of :mod:`iasante.iot.features`: the day's heart-rate z-score
vs the personal baseline (RHR-Diff; resting, average and lowest heart rate pooled) and the leaky CuSum of that
residual (Mishra et al. 2020). SpO2, temperature and sleep z-scores join them when a device measures them. Each
statistic is turned into an empirical tail probability ``p = P(statistic ≥ x | healthy day)``, learned from the
training participants' days away from symptom onset. The day's score is ``1 − min p`` (the most surprising
statistic wins), and the explanation names the statistics with the smallest ``p`` plus the step-count change.

Why steps are context, not a trigger: daily step z-scores of phone pedometers are heavy-tailed on healthy days
(phone left at home); as a third trigger they cost more false alerts than they found onsets, and in
leave-one-participant-out evaluation the heart-rate-only rule detected 5 of 8 participants vs 4 of 8 with steps.
Why not a discriminative classifier: a logistic model over the same statistics detected the same 5 (2 features)
or fewer (7 features) at the same false-alert budget, and is harder to explain.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from iasante.core.errors import ModelNotReadyError
from iasante.iot.features import SIGNALS, cohort_features

WEIGHTS_FILE = Path(__file__).resolve().parent / "weights" / "detector.json"
STATISTICS = ("hr_z", "cusum_hr", "z_spo2_pct", "z_temp_c", "z_sleep_h")
STEPS_CONTEXT_SD = 1.0  # a step drop this large (SD) is named in the explanation
MIN_REFERENCE = 20  # non-zero healthy values needed to use the empirical tail
_QUANTILES = np.linspace(0.0, 1.0, 401)


class EarlyWarningDetector:
    """Scores user-days for "within 7 days before to 3 days after symptom onset".

    Args:
        statistics: feature columns combined (each: larger = worse).
        threshold: alert when the score ``1 − min p`` is ≥ this (set by ``train.py`` from the false-alert target).
        watch_threshold: the lower tier (two-tier alerting, Alavi et al. 2022): a score ≥ this but below
            ``threshold`` marks the day "watch" — shown to clinicians, never counted as an alert.

    Attributes:
        reference_: per statistic, 401 quantiles of its healthy-day distribution (shape (401,)), or absent.

    Examples:
        >>> import pandas as pd
        >>> days = pd.date_range("2020-03-01", periods=40)
        >>> rhr = [60.0, 61.0, 59.0, 62.0] * 9 + [60.0, 70.0, 72.0, 75.0]
        >>> feats = cohort_features(pd.DataFrame({"user_code": "u1", "day": days, "rhr_bpm": rhr}))
        >>> det = EarlyWarningDetector(threshold=0.95).fit(feats.iloc[:36])
        >>> det.predict_proba_features(feats)[-1] > 0.95
        True
    """

    def __init__(
        self, statistics: tuple[str, ...] = STATISTICS, threshold: float = 0.99, watch_threshold: float = 0.95
    ) -> None:
        self.statistics = statistics
        self.threshold = threshold
        self.watch_threshold = watch_threshold

    def fit(self, healthy: pd.DataFrame) -> EarlyWarningDetector:
        """Learn each statistic's tail from feature rows of healthy days (shape (n_days, n_features))."""
        self.reference_: dict[str, np.ndarray] = {}
        for name in self.statistics:
            values = healthy[name].to_numpy(dtype=float)
            if np.count_nonzero(values) >= MIN_REFERENCE:
                self.reference_[name] = np.quantile(values, _QUANTILES)
        return self

    def _check(self) -> None:
        if not hasattr(self, "reference_"):
            raise ModelNotReadyError("iot detector: not fitted; run `iasante iot train` or load the weights")

    def tail_probabilities(self, features: pd.DataFrame) -> np.ndarray:
        """``P(statistic ≥ x | healthy)`` per row and statistic, shape (n_rows, n_statistics); 1 when x ≤ 0."""
        self._check()
        out = np.ones((len(features), len(self.statistics)))
        for j, name in enumerate(self.statistics):
            x = features[name].to_numpy(dtype=float)
            ref = self.reference_.get(name)
            if ref is None:
                p = np.array([0.5 * math.erfc(v / math.sqrt(2)) for v in x])
            else:
                rank = np.searchsorted(ref, x, side="left")
                p = (len(ref) - rank + 1) / (len(ref) + 1)
            out[:, j] = np.where(x > 0, p, 1.0)
        return out

    def predict_proba_features(self, features: pd.DataFrame) -> np.ndarray:
        """Score ``1 − min p`` in [0, 1) of each feature row, shape (n_rows,)."""
        if len(features) == 0:
            return np.zeros(0)
        return 1.0 - self.tail_probabilities(features).min(axis=1)

    def detect(self, daily: pd.DataFrame) -> pd.DataFrame:
        """Score every user-day of a daily frame (``user_code``, ``day``, signal columns).

        Returns:
            ``user_code, day, score, alert, tier, explanation`` sorted by user then day (tier "alert", "watch" or
            ""; explanations for both tiers); each row uses only that user's days up to and including its own.
        """
        feats = cohort_features(daily)
        score = self.predict_proba_features(feats)
        alert = (score >= self.threshold).astype(int)
        tier = np.where(alert == 1, "alert", np.where(score >= self.watch_threshold, "watch", ""))
        tails = self.tail_probabilities(feats) if len(feats) else np.ones((0, len(self.statistics)))
        explanation = [
            self.explain(row, p) if t else "" for (_, row), p, t in zip(feats.iterrows(), tails, tier, strict=True)
        ]
        return pd.DataFrame(
            {
                "user_code": feats["user_code"],
                "day": feats["day"],
                "score": score,
                "alert": alert,
                "tier": tier,
                "explanation": explanation,
            }
        )

    def explain(self, row: pd.Series, tails: np.ndarray, top: int = 2) -> str:
        """Plain words for the statistics that moved most, e.g.

        ``"resting heart rate vs baseline 56 bpm (+2.9 SD, p=0.004); sustained heart-rate excess (CuSum) 3.1"``.
        """
        parts = []
        for j in np.argsort(tails)[:top]:
            if tails[j] >= 0.2:
                break
            parts.append(f"{_describe(self.statistics[j], row)} (p={tails[j]:.3f})")
        if row.get("z_steps", 0.0) >= STEPS_CONTEXT_SD:
            parts.append(_describe("z_steps", row))
        return "; ".join(parts)

    def to_dict(self) -> dict[str, Any]:
        self._check()
        return {
            "statistics": list(self.statistics),
            "threshold": self.threshold,
            "watch_threshold": self.watch_threshold,
            "reference": {k: [round(float(v), 5) for v in ref] for k, ref in self.reference_.items()},
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> EarlyWarningDetector:
        det = cls(
            statistics=tuple(data["statistics"]),
            threshold=float(data["threshold"]),
            watch_threshold=float(data.get("watch_threshold", data["threshold"])),
        )
        det.reference_ = {k: np.asarray(v, dtype=float) for k, v in data["reference"].items()}
        return det

    def save(self, path: Path = WEIGHTS_FILE) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(self.to_dict()) + "\n")


def load_detector(path: Path = WEIGHTS_FILE) -> EarlyWarningDetector:
    """The committed detector, or :class:`ModelNotReadyError` if the weights are missing or unreadable."""
    if not path.is_file():
        raise ModelNotReadyError(f"iot detector weights not found at {path}; run `iasante iot train`")
    try:
        return EarlyWarningDetector.from_dict(json.loads(path.read_text()))
    except (ValueError, KeyError, TypeError) as exc:
        raise ModelNotReadyError(f"iot detector weights at {path} are unreadable: {exc}") from exc


_SIGNAL_OF_FEATURE = {f"z_{s.name}": s for s in SIGNALS}
_COMPOSITE = {
    "hr_z": ("heart rate vs personal baseline", "SD"),
    "rhr_diff_3d": ("3-day heart-rate rise", "SD"),
    "cusum_hr": ("sustained heart-rate excess (CuSum)", ""),
    "steps_3d": ("3-day activity drop", "SD"),
}


def _describe(name: str, row: pd.Series) -> str:
    sig = _SIGNAL_OF_FEATURE.get(name)
    if sig is not None:
        base = row.get(f"base_{sig.name}")
        digits = 1 if sig.unit in ("°C", "h") else 0
        base_txt = f" vs baseline {base:.{digits}f} {sig.unit}" if pd.notna(base) else ""
        return f"{sig.label}{base_txt} {sig.direction * row[name]:+.1f} SD"
    label, unit = _COMPOSITE[name]
    return f"{label} {row[name]:+.1f} {unit}".rstrip()
