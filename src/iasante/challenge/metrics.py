"""Challenge metrics in plain numpy: fast (10,000 rows in milliseconds) and equal to scikit-learn/scipy.

Inputs are 1-D arrays of equal length ``n``:

* ``y_true`` binary truth as ``int`` in {0, 1} (1 = positive, e.g. melanoma), or integer-coded classes
  (multiclass), or real values (regression, ranking);
* ``y_score`` a real score, higher = more likely positive (any scale; AUC-type metrics use only its order);
* ``y_pred`` integer-coded predicted classes, or real predicted values.

Each function documents the reference it matches; ``tests/challenge/test_metrics.py`` checks them against
scikit-learn and scipy to 1e-9 with hypothesis. Undefined values (one class only for AUC, constant input for
Spearman, chance agreement of 1 for kappa) are ``nan``, as in the references.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from iasante.core.errors import look_up_option

__all__ = ["METRICS", "Metric", "get_metric", "roc_auc", "partial_auc_above_tpr", "spearman"]

MetricFn = Callable[[np.ndarray, np.ndarray], float]


def average_ranks(values: np.ndarray) -> np.ndarray:
    """1-based ranks with ties given their average rank (as ``scipy.stats.rankdata(method="average")``)."""
    n = values.shape[0]
    order = np.argsort(values, kind="mergesort")
    ordered = values[order]
    new_group = np.empty(n, dtype=bool)
    new_group[:1] = True
    np.not_equal(ordered[1:], ordered[:-1], out=new_group[1:])
    starts = np.flatnonzero(new_group)
    ends = np.append(starts[1:], n)
    group_rank = (starts + ends + 1) / 2.0
    ranks = np.empty(n, dtype=np.float64)
    ranks[order] = group_rank[np.cumsum(new_group) - 1]
    return ranks


def roc_auc(y_true: np.ndarray, y_score: np.ndarray) -> float:
    """Area under the ROC curve (Mann-Whitney U / n1 n0, ties count 1/2) = ``sklearn roc_auc_score``."""
    positive = y_true == 1
    n_pos = int(positive.sum())
    n_neg = y_true.shape[0] - n_pos
    if n_pos == 0 or n_neg == 0:
        return math.nan
    rank_sum = float(average_ranks(np.asarray(y_score, dtype=np.float64))[positive].sum())
    return float((rank_sum - n_pos * (n_pos + 1) / 2.0) / (n_pos * n_neg))


def roc_points(y_true: np.ndarray, y_score: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """True and false positive counts at every distinct threshold, from the strictest (0, 0) down.

    Returns:
        (tps, fps): int arrays of shape (n_thresholds + 1,), both starting at 0 and non-decreasing.
    """
    order = np.argsort(-np.asarray(y_score, dtype=np.float64), kind="mergesort")
    ordered_score = np.asarray(y_score, dtype=np.float64)[order]
    cut = np.append(np.flatnonzero(np.diff(ordered_score)), ordered_score.shape[0] - 1)
    tps = np.cumsum(y_true[order] == 1)[cut]
    fps = cut + 1 - tps
    return np.append(0, tps), np.append(0, fps)


def partial_auc_above_tpr(y_true: np.ndarray, y_score: np.ndarray, min_tpr: float = 0.80) -> float:
    """Partial AUC above ``min_tpr`` as scored in the ISIC 2024 challenge (range 0 to 1 - min_tpr = 0.2).

    The area of the ROC region where TPR >= min_tpr: labels and scores are flipped (``1 - y``, ``1 - s``,
    exactly as the ISIC reference code does), so the region becomes FPR <= 1 - min_tpr of the flipped curve,
    whose area is integrated with the linear interpolation at the cut used by ``roc_auc_score(max_fpr=...)``.
    Reference: Kaggle "ISIC 2024 - Skin Cancer Detection with 3D-TBP", evaluation metric ``score()``; a
    perfect model scores 0.2, a random one 0.02.
    """
    flipped_true = 1 - y_true
    n_pos = int(flipped_true.sum())
    if n_pos == 0 or n_pos == y_true.shape[0]:
        return math.nan
    max_fpr = abs(1 - min_tpr)
    tps, fps = roc_points(flipped_true, 1.0 - np.asarray(y_score, dtype=np.float64))
    tpr = tps / tps[-1]
    fpr = fps / fps[-1]
    stop = int(np.searchsorted(fpr, max_fpr, "right"))
    cut_tpr = np.interp(max_fpr, fpr[stop - 1 : stop + 1], tpr[stop - 1 : stop + 1])
    xs = np.append(fpr[:stop], max_fpr)
    ys = np.append(tpr[:stop], cut_tpr)
    return float(np.sum(np.diff(xs) * (ys[1:] + ys[:-1]) / 2.0))


def sensitivity_at_specificity(y_true: np.ndarray, y_score: np.ndarray, specificity: float) -> float:
    """Highest sensitivity of any threshold whose specificity is at least ``specificity``.

    Read off the ROC curve (``sklearn.metrics.roc_curve``): max TPR over points with TN / N >= specificity.
    """
    n_pos = int((y_true == 1).sum())
    n_neg = y_true.shape[0] - n_pos
    if n_pos == 0 or n_neg == 0:
        return math.nan
    tps, fps = roc_points(y_true, y_score)
    admissible = (n_neg - fps) >= specificity * n_neg - 1e-9
    return float(tps[admissible].max() / n_pos)


def _confusion(y_true: np.ndarray, y_pred: np.ndarray) -> np.ndarray:
    """Confusion matrix (rows truth, columns prediction) over the labels present in either array."""
    labels, codes = np.unique(np.concatenate([y_true, y_pred]), return_inverse=True)
    k = labels.shape[0]
    n = y_true.shape[0]
    return np.bincount(codes[:n] * k + codes[n:], minlength=k * k).reshape(k, k)


def balanced_accuracy(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """Mean recall over the classes present in the truth = ``sklearn.metrics.balanced_accuracy_score``."""
    matrix = _confusion(y_true, y_pred)
    support = matrix.sum(axis=1)
    present = support > 0
    return float(np.mean(np.diag(matrix)[present] / support[present]))


def accuracy(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """Fraction of exact matches = ``sklearn.metrics.accuracy_score``."""
    return float(np.mean(y_true == y_pred))


def f1(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """F1 of class 1 when both arrays are binary 0/1, else the macro average over classes seen in either.

    Same as ``sklearn.metrics.f1_score`` (``average="binary"`` or ``"macro"``, ``zero_division=0``).
    """
    labels = np.unique(np.concatenate([y_true, y_pred]))
    if np.isin(labels, (0, 1)).all():
        tp = float(np.sum((y_true == 1) & (y_pred == 1)))
        wrong = float(np.sum(y_true != y_pred))
        return 2 * tp / (2 * tp + wrong) if tp > 0 else 0.0
    matrix = _confusion(y_true, y_pred).astype(np.float64)
    hits = np.diag(matrix)
    denominator = matrix.sum(axis=0) + matrix.sum(axis=1)
    return float(np.mean(np.where(denominator > 0, 2 * hits / np.maximum(denominator, 1), 0.0)))


def cohen_kappa(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """Unweighted Cohen's kappa = ``sklearn.metrics.cohen_kappa_score`` (nan when chance agreement is 1)."""
    matrix = _confusion(y_true, y_pred).astype(np.float64)
    n = matrix.sum()
    expected = np.outer(matrix.sum(axis=1), matrix.sum(axis=0)) / n
    disagreement_expected = n - np.trace(expected)
    if disagreement_expected <= 0:
        return math.nan
    return float(1.0 - (n - np.trace(matrix)) / disagreement_expected)


def mae(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """Mean absolute error = ``sklearn.metrics.mean_absolute_error`` (units of the target)."""
    return float(np.mean(np.abs(np.asarray(y_true, np.float64) - y_pred)))


def rmse(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """Root mean squared error = ``sklearn.metrics.root_mean_squared_error`` (units of the target)."""
    return float(np.sqrt(np.mean((np.asarray(y_true, np.float64) - y_pred) ** 2)))


def spearman(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """Spearman's rho: Pearson correlation of average ranks = ``scipy.stats.spearmanr`` (nan if constant)."""
    a = average_ranks(np.asarray(y_true, np.float64))
    b = average_ranks(np.asarray(y_pred, np.float64))
    a -= a.mean()
    b -= b.mean()
    denominator = math.sqrt(float(np.dot(a, a)) * float(np.dot(b, b)))
    if denominator == 0.0:
        return math.nan
    return float(np.clip(np.dot(a, b) / denominator, -1.0, 1.0))


@dataclass(frozen=True)
class Metric:
    """A named metric and what it needs.

    Attributes:
        name: identifier used on the CLI and in challenge definitions.
        fn: ``fn(y_true, y) -> float``.
        needs: ``"score"`` (a continuous score for class 1), ``"label"`` (a predicted class; binary scores are
            thresholded at 0.5) or ``"value"`` (a real prediction).
        tasks: task types the metric applies to.
        higher_is_better: direction, used for ranking and QI.
        title: human-readable name for leaderboards.
    """

    name: str
    fn: MetricFn
    needs: str
    tasks: tuple[str, ...]
    higher_is_better: bool
    title: str


_BINARY, _MULTI, _REG, _RANK = "binary", "multiclass", "regression", "ranking"
METRICS: dict[str, Metric] = {
    m.name: m
    for m in (
        Metric("auc", roc_auc, "score", (_BINARY,), True, "ROC AUC"),
        Metric("pauc", partial_auc_above_tpr, "score", (_BINARY,), True, "pAUC above 80% TPR (ISIC 2024)"),
        Metric(
            "sens_at_spec90",
            lambda t, s: sensitivity_at_specificity(t, s, 0.90),
            "score",
            (_BINARY,),
            True,
            "Sensitivity at 90% specificity",
        ),
        Metric(
            "sens_at_spec95",
            lambda t, s: sensitivity_at_specificity(t, s, 0.95),
            "score",
            (_BINARY,),
            True,
            "Sensitivity at 95% specificity",
        ),
        Metric("balanced_accuracy", balanced_accuracy, "label", (_BINARY, _MULTI), True, "Balanced accuracy"),
        Metric("accuracy", accuracy, "label", (_BINARY, _MULTI), True, "Accuracy"),
        Metric("f1", f1, "label", (_BINARY, _MULTI), True, "F1 (class 1; macro for multiclass)"),
        Metric("kappa", cohen_kappa, "label", (_BINARY, _MULTI), True, "Cohen's kappa"),
        Metric("mae", mae, "value", (_REG,), False, "Mean absolute error"),
        Metric("rmse", rmse, "value", (_REG,), False, "Root mean squared error"),
        Metric("spearman", spearman, "value", (_REG, _RANK), True, "Spearman's rho"),
    )
}
_SENS_AT_SPEC = re.compile(r"^sens_at_spec(\d{2})$")


def get_metric(name: str) -> Metric:
    """The metric called ``name``; ``sens_at_specNN`` works for any NN in 50..99 (specificity NN %)."""
    match = _SENS_AT_SPEC.match(name)
    if match and name not in METRICS and 50 <= int(match.group(1)) <= 99:
        spec = int(match.group(1)) / 100.0
        return Metric(
            name,
            lambda t, s: sensitivity_at_specificity(t, s, spec),
            "score",
            (_BINARY,),
            True,
            f"Sensitivity at {match.group(1)}% specificity",
        )
    return METRICS[look_up_option(name, METRICS, "metric")]
