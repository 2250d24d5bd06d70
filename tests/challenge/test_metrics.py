"""Every challenge metric equals its scikit-learn / scipy reference to 1e-9 on hypothesis-generated data."""

from __future__ import annotations

import math
import time
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import spearmanr
from sklearn import metrics as skm

from iasante.challenge import metrics as m

TOL = 1e-9
thorough = settings(max_examples=100, deadline=None)

_scores = st.one_of(
    st.floats(0, 1, allow_nan=False, width=64),
    st.sampled_from([0.0, 0.1, 0.25, 0.5, 0.75, 1.0]),  # many ties
)


@st.composite
def binary_case(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray]:
    n = draw(st.integers(2, 60))
    y = np.array(draw(st.lists(st.integers(0, 1), min_size=n, max_size=n)), dtype=np.int64)
    y[0], y[1] = 0, 1  # both classes, as the truth reader guarantees
    s = np.array(draw(st.lists(_scores, min_size=n, max_size=n)), dtype=np.float64)
    return y, s


@st.composite
def label_case(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray]:
    n = draw(st.integers(1, 60))
    k = draw(st.integers(2, 6))
    y = np.array(draw(st.lists(st.integers(0, k - 1), min_size=n, max_size=n)), dtype=np.int64)
    p = np.array(draw(st.lists(st.integers(0, k - 1), min_size=n, max_size=n)), dtype=np.int64)
    return y, p


@st.composite
def value_case(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray]:
    n = draw(st.integers(2, 60))
    values = st.one_of(st.floats(-1e6, 1e6, allow_nan=False), st.integers(-3, 3).map(float))
    a = np.array(draw(st.lists(values, min_size=n, max_size=n)))
    b = np.array(draw(st.lists(values, min_size=n, max_size=n)))
    return a, b


def _close(ours: float, reference: float) -> bool:
    if math.isnan(reference):
        return math.isnan(ours)
    return abs(ours - reference) <= TOL


def _isic_pauc(y: np.ndarray, s: np.ndarray, min_tpr: float = 0.80) -> float:
    """The ISIC 2024 Kaggle scoring code, verbatim in substance."""
    v_gt = abs(y - 1)
    v_pred = np.array([1.0 - x for x in s])
    max_fpr = abs(1 - min_tpr)
    scaled = skm.roc_auc_score(v_gt, v_pred, max_fpr=max_fpr)
    return 0.5 * max_fpr**2 + (max_fpr - 0.5 * max_fpr**2) / (1.0 - 0.5) * (scaled - 0.5)


def _sens_at_spec(y: np.ndarray, s: np.ndarray, spec: float) -> float:
    fpr, tpr, _ = skm.roc_curve(y, s, drop_intermediate=False)
    return float(tpr[(1 - fpr) >= spec - 1e-12].max())


@thorough
@given(binary_case())
def test_auc_matches_sklearn(case: tuple[np.ndarray, np.ndarray]) -> None:
    y, s = case
    assert _close(m.roc_auc(y, s), skm.roc_auc_score(y, s))


@thorough
@given(binary_case())
def test_partial_auc_matches_isic_2024(case: tuple[np.ndarray, np.ndarray]) -> None:
    y, s = case
    ours = m.partial_auc_above_tpr(y, s)
    assert _close(ours, _isic_pauc(y, s))
    assert 0.0 <= ours <= 0.2 + TOL


@thorough
@given(binary_case(), st.sampled_from([0.8, 0.9, 0.95]))
def test_sensitivity_at_specificity_matches_roc_curve(case: tuple[np.ndarray, np.ndarray], spec: float) -> None:
    y, s = case
    assert _close(m.sensitivity_at_specificity(y, s, spec), _sens_at_spec(y, s, spec))


@thorough
@given(label_case())
def test_label_metrics_match_sklearn(case: tuple[np.ndarray, np.ndarray]) -> None:
    y, p = case
    binary = set(np.unique(np.concatenate([y, p]))) <= {0, 1}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert _close(m.balanced_accuracy(y, p), skm.balanced_accuracy_score(y, p))
        assert _close(m.accuracy(y, p), skm.accuracy_score(y, p))
        f1_reference = skm.f1_score(y, p, average="binary" if binary else "macro", zero_division=0)
        assert _close(m.f1(y, p), f1_reference)
        assert _close(m.cohen_kappa(y, p), skm.cohen_kappa_score(y, p))


@thorough
@given(value_case())
def test_value_metrics_match_sklearn_and_scipy(case: tuple[np.ndarray, np.ndarray]) -> None:
    a, b = case
    assert abs(m.mae(a, b) - skm.mean_absolute_error(a, b)) <= TOL * max(1.0, skm.mean_absolute_error(a, b))
    rmse_ref = skm.root_mean_squared_error(a, b)
    assert abs(m.rmse(a, b) - rmse_ref) <= TOL * max(1.0, rmse_ref)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert _close(m.spearman(a, b), float(spearmanr(a, b).statistic))


def test_partial_auc_known_values() -> None:
    y = np.array([0, 0, 1, 1])
    assert m.partial_auc_above_tpr(y, np.array([0.1, 0.2, 0.8, 0.9])) == pytest.approx(0.2)
    assert m.partial_auc_above_tpr(y, np.array([0.9, 0.8, 0.2, 0.1])) == pytest.approx(0.0)
    assert math.isnan(m.roc_auc(np.array([1, 1]), np.array([0.2, 0.3])))


def test_unknown_metric_suggests_nearest() -> None:
    from iasante.core.errors import InputDataError

    with pytest.raises(InputDataError, match="Did you mean 'auc'"):
        m.get_metric("acu")
    assert m.get_metric("sens_at_spec85").fn(np.array([0, 1]), np.array([0.1, 0.9])) == 1.0


def test_ten_thousand_rows_all_metrics_fast() -> None:
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 10_000)
    s = rng.random(10_000)
    start = time.perf_counter()
    for name in ("auc", "pauc", "sens_at_spec90", "balanced_accuracy", "f1", "kappa"):
        metric = m.get_metric(name)
        metric.fn(y, s if metric.needs == "score" else (s >= 0.5).astype(np.int64))
    for name in ("mae", "rmse", "spearman"):
        m.get_metric(name).fn(s, y.astype(float))
    assert time.perf_counter() - start < 0.5
