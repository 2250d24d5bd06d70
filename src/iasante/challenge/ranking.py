"""Leaderboard statistics: paired bootstrap CIs, ranks with ties, rank stability and the QI score.

QI (by analogy with IQ): ``QI = 100 + 15 z``, where ``z`` standardises a submission's primary metric against
the phase's reference distribution, signed so that better is higher:

* the reference is the metric of **every valid scored submission of the phase** (all teams, all their
  submissions, baselines included) when there are at least :data:`MIN_POPULATION` values with a spread;
* otherwise (a young challenge) it is the **bootstrap distribution of the baseline's metric**, so QI 115 then
  means "one bootstrap standard error better than the baseline";
* with neither, QI is undefined (``None``).

So QI 100 is a typical competing AI, 115 one standard deviation better, 85 one worse, as for IQ.
"""

from __future__ import annotations

import math
import threading
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np

from iasante.challenge.metrics import Metric

MIN_POPULATION = 5
CLASSIFICATION = ("binary", "multiclass")  # tasks whose bootstrap is stratified by class
N_BOOTSTRAP = 200
_BOOT_CACHE_SIZE = 20_000  # bootstrap vectors of 200 floats: at most ~32 MB
_boot_cache: OrderedDict[tuple[str, str, str, int], np.ndarray] = OrderedDict()
_cache_lock = threading.Lock()


@dataclass(frozen=True)
class Candidate:
    """One row to rank: a team's counted submission or a baseline, with its metric input of shape (n,)."""

    key: str
    name: str
    is_baseline: bool
    values: np.ndarray


@dataclass(frozen=True)
class BoardRow:
    """A ranked row; ``ci_*`` is the 95% percentile bootstrap CI of the metric, ``rank_*`` that of the rank.

    ``stability`` is the fraction of bootstrap resamples in which the row keeps its observed rank.
    """

    rank: int
    key: str
    name: str
    is_baseline: bool
    value: float | None
    ci_low: float | None
    ci_high: float | None
    rank_low: int
    rank_high: int
    stability: float
    tied: bool
    qi: float | None


def bootstrap_indices(y_true: np.ndarray, n_boot: int, seed: int, stratified: bool) -> np.ndarray:
    """Resampled row indices, shape (n_boot, n), int64; stratified keeps each class's count (for AUC)."""
    rng = np.random.default_rng(seed)
    n = y_true.shape[0]
    if not stratified:
        return rng.integers(0, n, size=(n_boot, n))
    parts = []
    for label in np.unique(y_true):
        members = np.flatnonzero(y_true == label)
        parts.append(members[rng.integers(0, members.size, size=(n_boot, members.size))])
    return np.concatenate(parts, axis=1)


def rank_values(values: np.ndarray, higher_is_better: bool) -> np.ndarray:
    """Competition ranks ("1224"): equal values share the best rank; ``nan`` ranks last. Shape (k,), int."""
    signed = np.where(np.isnan(values), -np.inf, values if higher_is_better else -values)
    return np.asarray(1 + (signed[None, :] > signed[:, None]).sum(axis=1), dtype=np.int64)


def qi_scores(
    values: np.ndarray, metric: Metric, population: np.ndarray, baseline_boot: np.ndarray | None
) -> tuple[np.ndarray, str]:
    """QI for ``values`` (shape (k,)) and a phrase naming the reference used (see the module docstring)."""
    population = population[np.isfinite(population)]
    if population.size >= MIN_POPULATION and np.std(population) > 0:
        reference, label = population, f"all {population.size} valid submissions of the phase"
    elif baseline_boot is not None and np.nanstd(baseline_boot) > 0:
        reference, label = baseline_boot[np.isfinite(baseline_boot)], "bootstrap of the baseline"
    else:
        return np.full(values.shape, np.nan), "none yet (too few submissions and no baseline)"
    z = (values - reference.mean()) / reference.std(ddof=1)
    return 100.0 + 15.0 * (z if metric.higher_is_better else -z), label


def build_board(
    metric: Metric,
    y_true: np.ndarray,
    candidates: list[Candidate],
    population: np.ndarray,
    stratified: bool,
    seed: int = 0,
    n_boot: int = N_BOOTSTRAP,
    context: str = "",
) -> tuple[list[BoardRow], str]:
    """Rank candidates on one metric with paired bootstrap CIs, rank intervals and QI.

    Args:
        y_true: truth of the phase's rows, shape (n,).
        candidates: rows to rank; each ``values`` is aligned to ``y_true``.
        population: metric values of every valid submission of the phase (QI reference), shape (m,).
        stratified: resample within classes (classification) rather than over all rows.
        context: names the phase and truth; when given, each candidate's bootstrap values are cached under
            (context, key, metric), so a board with one new submission costs one candidate's bootstrap.

    Returns:
        rows sorted by rank, and the QI reference phrase.
    """
    if not candidates:
        return [], "none yet"
    observed = np.array([metric.fn(y_true, c.values) for c in candidates], dtype=np.float64)
    ranks = rank_values(observed, metric.higher_is_better)
    samples = bootstrap_indices(y_true, n_boot, seed, stratified)
    boot = np.array(
        [bootstrap_values(metric, y_true, c.values, samples, (context, c.key, metric.name, seed)) for c in candidates]
    )
    boot_ranks = np.stack([rank_values(boot[:, b], metric.higher_is_better) for b in range(n_boot)], axis=1)
    baseline_rows = [i for i, c in enumerate(candidates) if c.is_baseline]
    baseline_boot = boot[baseline_rows[0]] if baseline_rows else None
    qi, reference = qi_scores(observed, metric, population, baseline_boot)
    rows = []
    for i, candidate in enumerate(candidates):
        finite = boot[i][np.isfinite(boot[i])]
        low, high = np.percentile(finite, [2.5, 97.5]) if finite.size else (math.nan, math.nan)
        rank_low, rank_high = np.percentile(boot_ranks[i], [2.5, 97.5])
        rows.append(
            BoardRow(
                rank=int(ranks[i]),
                key=candidate.key,
                name=candidate.name,
                is_baseline=candidate.is_baseline,
                value=_finite_or_none(observed[i]),
                ci_low=_finite_or_none(low),
                ci_high=_finite_or_none(high),
                rank_low=int(round(rank_low)),
                rank_high=int(round(rank_high)),
                stability=float(np.mean(boot_ranks[i] == ranks[i])),
                tied=int(np.sum(ranks == ranks[i])) > 1,
                qi=_finite_or_none(qi[i]),
            )
        )
    rows.sort(key=lambda r: (r.rank, r.is_baseline, r.name))
    return rows, reference


def bootstrap_values(
    metric: Metric, y_true: np.ndarray, values: np.ndarray, samples: np.ndarray, key: tuple[str, str, str, int]
) -> np.ndarray:
    """The metric of ``values`` on each resample, shape (n_boot,); cached when ``key[0]`` names a context.

    ``key`` is (context, candidate key, metric name, seed); ``samples`` has shape (n_boot, n).
    """
    with _cache_lock:
        cached = _boot_cache.get(key) if key[0] else None
    if cached is not None and cached.shape[0] == samples.shape[0]:
        return cached
    boot = np.array([metric.fn(y_true[idx], values[idx]) for idx in samples], dtype=np.float64)
    if key[0]:
        with _cache_lock:
            _boot_cache[key] = boot
            while len(_boot_cache) > _BOOT_CACHE_SIZE:
                _boot_cache.popitem(last=False)
    return boot


def _finite_or_none(value: float) -> float | None:
    return float(value) if math.isfinite(value) else None
