"""Metrics with patient-level (cluster) bootstrap confidence intervals, and series aggregation.

Slices of one patient are correlated, so CIs resample whole patients, not slices.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from sklearn.metrics import roc_auc_score


def auc(y: np.ndarray, score: np.ndarray) -> float:
    """ROC AUC, or NaN when only one class is present."""
    return float(roc_auc_score(y, score)) if len(np.unique(y)) == 2 else float("nan")


def balanced_accuracy(y: np.ndarray, score: np.ndarray, threshold: float = 0.5) -> float:
    """Mean of sensitivity and specificity at ``threshold`` on probabilities."""
    pred = score >= threshold
    pos, neg = y == 1, y == 0
    if not pos.any() or not neg.any():
        return float("nan")
    return float(0.5 * (pred[pos].mean() + (~pred[neg]).mean()))


def cluster_bootstrap(
    metric: Callable[[np.ndarray, np.ndarray], float],
    y: np.ndarray,
    score: np.ndarray,
    groups: np.ndarray,
    n_boot: int = 1000,
    seed: int = 0,
) -> dict[str, float]:
    """Point estimate and 95% percentile CI of ``metric(y, score)`` resampling whole ``groups``.

    Args:
        y: ``(n,)`` 0/1 labels; score: ``(n,)`` probabilities; groups: ``(n,)`` patient ids.
    """
    rng = np.random.default_rng(seed)
    unique, inverse = np.unique(groups, return_inverse=True)
    members = [np.flatnonzero(inverse == g) for g in range(len(unique))]
    values = []
    for _ in range(n_boot):
        pick = np.concatenate([members[g] for g in rng.integers(0, len(unique), len(unique))])
        value = metric(y[pick], score[pick])
        if not np.isnan(value):
            values.append(value)
    low, high = np.percentile(values, [2.5, 97.5]) if values else (float("nan"), float("nan"))
    return {
        "value": round(metric(y, score), 4),
        "ci95_low": round(float(low), 4),
        "ci95_high": round(float(high), 4),
        "n_slices": int(len(y)),
        "n_patients": int(len(unique)),
    }


def aggregate_series(
    p_abnormal: np.ndarray,
    p_covid: np.ndarray,
    lung_frac: np.ndarray,
    top_frac: float = 0.25,
    min_lung_frac: float = 0.10,
) -> tuple[float, float, list[int]]:
    """Series-level probabilities from slice probabilities and the slices that drove them.

    Slices with little aerated lung (``lung_frac < min_lung_frac``: above the apices, below the bases) are
    left out unless none remain. The series ``p_abnormal`` is the mean of the top ``top_frac`` slices by
    ``p_abnormal`` (disease is often in a few slices; a mean over all would dilute it, a max would follow one
    noisy slice); ``p_covid`` is the ``p_abnormal``-weighted mean over those same slices.

    Args:
        p_abnormal, p_covid, lung_frac: ``(n_slices,)`` arrays.

    Returns:
        ``(p_abnormal, p_covid, driver_indices)`` with indices into the input, most abnormal first.
    """
    keep = np.flatnonzero(lung_frac >= min_lung_frac)
    if keep.size == 0:
        keep = np.arange(len(p_abnormal))
    k = max(1, int(np.ceil(top_frac * keep.size)))
    top = keep[np.argsort(-p_abnormal[keep], kind="stable")[:k]]
    weights = p_abnormal[top] + 1e-6
    return (
        float(p_abnormal[top].mean()),
        float(np.average(p_covid[top], weights=weights)),
        [int(i) for i in top],
    )
