"""Lab metrics for karyotype classifiers and cluster-bootstrap 95% confidence intervals.

The lab reports, per classifier version: ClassifErrors % (chromosomes given the wrong class), AngleError > 7.5
deg % (chromosomes whose upright angle is off by more than 7.5 degrees, polarity included), % of metaphases
with more than 10 errors, and the exact-ISCN rate.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

ANGLE_TOLERANCE_DEG = 7.5


def angle_error_deg(pred_deg: np.ndarray | float, true_deg: np.ndarray | float) -> np.ndarray:
    """Absolute circular difference in degrees, in [0, 180]."""
    diff = (np.asarray(pred_deg, dtype=float) - np.asarray(true_deg, dtype=float) + 180.0) % 360.0 - 180.0
    return np.abs(diff)


def bootstrap_ci(
    values: np.ndarray,
    groups: np.ndarray,
    statistic: Callable[[np.ndarray], float] = np.mean,
    n_boot: int = 1000,
    random_state: int = 0,
) -> tuple[float, float, float]:
    """Point estimate and 95% percentile CI, resampling whole groups (cells) with replacement.

    Args:
        values: (N,) per-item values (e.g. 1.0 for an error).
        groups: (N,) group id of each item; groups, not items, are resampled (items of a cell are correlated).
    """
    values, groups = np.asarray(values, dtype=float), np.asarray(groups)
    uniq = np.unique(groups)
    members = [np.flatnonzero(groups == g) for g in uniq]
    rng = np.random.default_rng(random_state)
    stats = []
    for _ in range(n_boot):
        pick = rng.integers(0, len(uniq), len(uniq))
        stats.append(statistic(values[np.concatenate([members[i] for i in pick])]))
    low, high = np.percentile(stats, [2.5, 97.5])
    return float(statistic(values)), float(low), float(high)


def summarise(name: str, values: np.ndarray, groups: np.ndarray, random_state: int = 0) -> dict[str, float | str]:
    """A metric as a JSON-ready dict with its cluster-bootstrap 95% CI, in percent."""
    point, low, high = bootstrap_ci(values, groups, random_state=random_state)
    return {
        "metric": name,
        "value_pct": round(100 * point, 2),
        "ci95_low_pct": round(100 * low, 2),
        "ci95_high_pct": round(100 * high, 2),
        "n": int(len(values)),
        "groups": int(len(np.unique(groups))),
    }
