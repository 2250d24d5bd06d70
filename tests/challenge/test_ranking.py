"""Ranks with ties, stratified bootstrap, QI reference choice and formula."""

from __future__ import annotations

import numpy as np
import pytest

from iasante.challenge.metrics import get_metric
from iasante.challenge.ranking import Candidate, bootstrap_indices, build_board, qi_scores, rank_values


def test_competition_ranks_with_ties_and_nan_last() -> None:
    values = np.array([0.9, 0.7, 0.9, np.nan, 0.5])
    assert rank_values(values, higher_is_better=True).tolist() == [1, 3, 1, 5, 4]
    assert rank_values(np.array([2.0, 1.0, 1.0]), higher_is_better=False).tolist() == [3, 1, 1]


def test_stratified_bootstrap_keeps_class_counts() -> None:
    y = np.array([0] * 30 + [1] * 5)
    samples = bootstrap_indices(y, 50, seed=0, stratified=True)
    assert samples.shape == (50, 35)
    assert (y[samples].sum(axis=1) == 5).all()
    assert np.array_equal(samples, bootstrap_indices(y, 50, seed=0, stratified=True))


def test_qi_uses_population_then_baseline_bootstrap() -> None:
    auc, mae = get_metric("auc"), get_metric("mae")
    population = np.array([0.6, 0.7, 0.8, 0.9, 0.75])
    qi, reference = qi_scores(np.array([0.75, 0.9]), auc, population, None)
    sd = population.std(ddof=1)
    assert reference.startswith("all 5") and qi == pytest.approx([100.0, 100 + 15 * 0.15 / sd])
    qi_mae, _ = qi_scores(np.array([1.0]), mae, np.array([1.0, 2.0, 3.0, 4.0, 5.0]), None)
    assert qi_mae[0] > 100  # lower error is better
    qi, reference = qi_scores(np.array([0.8]), auc, population[:2], np.array([0.7, 0.8, 0.9]))
    assert reference == "bootstrap of the baseline" and qi[0] == pytest.approx(100.0)
    assert np.isnan(qi_scores(np.array([0.8]), auc, population[:2], None)[0][0])


def test_board_orders_rows_and_marks_clear_winner_stable() -> None:
    rng = np.random.default_rng(0)
    y = np.array([0, 1] * 100)
    perfect = y + 0.0
    noisy = np.clip(y * 0.2 + rng.random(200) * 0.8, 0, 1)
    rows, _ = build_board(
        get_metric("auc"),
        y,
        [Candidate("2", "noisy", False, noisy), Candidate("1", "perfect", True, perfect)],
        np.array([1.0, 0.6]),
        stratified=True,
        n_boot=100,
    )
    assert [r.name for r in rows] == ["perfect", "noisy"]
    assert rows[0].stability == 1.0 and rows[0].rank_low == rows[0].rank_high == 1
