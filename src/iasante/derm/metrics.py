"""Metrics with bootstrap confidence intervals, and the probability calibration fitted on validation data.

Probabilities are float arrays (N, 7) over :data:`iasante.derm.data.DIAGNOSES`; labels are ints (N,).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from scipy.optimize import minimize
from scipy.special import log_softmax, softmax
from sklearn.metrics import balanced_accuracy_score, roc_auc_score


def fit_vector_scaling(log_probs: np.ndarray, labels: np.ndarray) -> tuple[float, np.ndarray]:
    """Fit a temperature and per-class biases minimising the validation negative log-likelihood.

    Temperature alone fixes over-confidence; the biases also undo the prior shift of the class-weighted
    training loss (Guo et al. 2017, "vector scaling" restricted to a shared temperature).

    Returns:
        (temperature > 0, biases (7,)).
    """
    n_classes = log_probs.shape[1]

    def nll(params: np.ndarray) -> float:
        scaled = log_probs / np.exp(params[0]) + params[1:]
        return float(-log_softmax(scaled, axis=1)[np.arange(len(labels)), labels].mean())

    result = minimize(nll, np.zeros(1 + n_classes), method="L-BFGS-B")
    return float(np.exp(result.x[0])), result.x[1:].astype(np.float64)


def apply_vector_scaling(log_probs: np.ndarray, temperature: float, biases: np.ndarray) -> np.ndarray:
    """Calibrated probabilities (N, 7) from log-probabilities or logits (N, 7)."""
    return softmax(log_probs / temperature + np.asarray(biases), axis=1)  # type: ignore[no-any-return]


def expected_calibration_error(p_positive: np.ndarray, positive: np.ndarray, n_bins: int = 10) -> float:
    """ECE of a binary probability over equal-width bins (Naeini et al. 2015)."""
    bins = np.minimum((p_positive * n_bins).astype(int), n_bins - 1)
    total = 0.0
    for b in range(n_bins):
        chosen = bins == b
        if chosen.any():
            total += chosen.mean() * abs(p_positive[chosen].mean() - positive[chosen].mean())
    return float(total)


def threshold_for_sensitivity(p_positive: np.ndarray, positive: np.ndarray, sensitivity: float) -> float:
    """Largest threshold whose sensitivity on (validation) data reaches ``sensitivity``."""
    scores = np.sort(p_positive[positive == 1])[::-1]
    index = int(np.ceil(sensitivity * len(scores))) - 1
    return float(scores[min(max(index, 0), len(scores) - 1)])


def bootstrap_ci(metric: Callable[[np.ndarray], float], groups: np.ndarray, n_boot: int = 1000,
                 seed: int = 0) -> tuple[float, float, float]:
    """Point estimate and 95 % percentile CI of ``metric(indices)``, resampling whole groups (lesions).

    ``groups`` (N,) holds each row's group id; resamples where the metric is undefined are skipped.
    """
    point = metric(np.arange(len(groups)))
    unique, inverse = np.unique(groups, return_inverse=True)
    members = [np.flatnonzero(inverse == g) for g in range(len(unique))]
    rng = np.random.default_rng(seed)
    values = []
    for _ in range(n_boot):
        picked = rng.integers(0, len(unique), len(unique))
        index = np.concatenate([members[g] for g in picked])
        try:
            values.append(metric(index))
        except ValueError:
            continue
    low, high = np.percentile(values, [2.5, 97.5])
    return float(point), float(low), float(high)


def summarise(probs: np.ndarray, labels: np.ndarray, melanoma_index: int, threshold: float,
              groups: np.ndarray | None = None, multiclass: bool = True) -> dict[str, list[float] | float | int]:
    """Melanoma-vs-rest AUC, sensitivity, specificity (and 7-class balanced accuracy / macro AUC when
    ``multiclass``), each as [point, ci_low, ci_high]."""
    groups = np.arange(len(labels)) if groups is None else groups
    p_mel = probs[:, melanoma_index]
    is_mel = (labels == melanoma_index).astype(int)
    called = p_mel >= threshold
    metrics: dict[str, Callable[[np.ndarray], float]] = {
        "auc_melanoma": lambda i: float(roc_auc_score(is_mel[i], p_mel[i])),
        "sensitivity": lambda i: float(called[i][is_mel[i] == 1].mean()),
        "specificity": lambda i: float(1 - called[i][is_mel[i] == 0].mean()),
        "brier_melanoma": lambda i: float(np.mean((p_mel[i] - is_mel[i]) ** 2)),
    }
    if multiclass:
        metrics["balanced_accuracy_7"] = lambda i: float(balanced_accuracy_score(labels[i], probs[i].argmax(1)))
        metrics["macro_auc_7"] = lambda i: float(roc_auc_score(labels[i], probs[i], multi_class="ovr",
                                                                 labels=list(range(probs.shape[1]))))
    out: dict[str, list[float] | float | int] = {name: [round(v, 4) for v in bootstrap_ci(fn, groups)]
                                                 for name, fn in metrics.items()}
    out["ece_melanoma"] = round(expected_calibration_error(p_mel, is_mel), 4)
    out["n_images"] = int(len(labels))
    out["n_melanoma"] = int(is_mel.sum())
    return out
