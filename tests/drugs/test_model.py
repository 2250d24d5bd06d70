"""Censored potency model: Tobit gradients, Tanimoto kernel, censoring respected, save/load, refusal before fit."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from scipy.special import log_ndtr

from iasante.core.errors import ModelNotReadyError
from iasante.drugs import chem
from iasante.drugs.model import PotencyModel, kernel_features, tanimoto_kernel, tobit_objective


def _loss(f: np.ndarray, y: np.ndarray, c: np.ndarray, s: float) -> np.ndarray:
    exact = 0.5 * (f - y) ** 2 / s**2
    bound = -log_ndtr(c * (f - y) / s)
    return np.where(c == 0, exact, bound)


def test_tobit_gradient_matches_finite_differences() -> None:
    y = np.array([5.0, 4.0, 4.0, 7.3, 7.3])
    c = np.array([0, -1, -1, 1, 1])
    f = np.array([5.4, 3.0, 5.5, 8.0, 6.0])
    grad, hess = tobit_objective(c, 0.5)(f, SimpleNamespace(get_label=lambda: y))
    eps = 1e-5
    numeric = (_loss(f + eps, y, c, 0.5) - _loss(f - eps, y, c, 0.5)) / (2 * eps)
    numeric2 = (_loss(f + eps, y, c, 0.5) - 2 * _loss(f, y, c, 0.5) + _loss(f - eps, y, c, 0.5)) / eps**2
    np.testing.assert_allclose(grad, numeric, rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(hess, numeric2, rtol=1e-2, atol=1e-4)
    assert (hess > 0).all()


def _toy(n: int = 120) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Potency carried by a descriptor column (trees) and by one-hot fingerprint bins (kernel)."""
    rng = np.random.default_rng(0)
    x = np.zeros((n, chem.N_FEATURES), dtype=np.float32)
    x[:, : chem.TREE_COLUMNS.stop] = rng.random((n, chem.TREE_COLUMNS.stop), dtype=np.float32)
    truth = 3.0 + 4.0 * x[:, 0]
    for block in chem.KERNEL_BLOCKS:
        x[np.arange(n), block.start + np.floor(x[:, 0] * 8).astype(int)] = 1.0
        x[:, block.stop - 1] = 1.0
    censor = np.where(truth < 4.5, -1, 0)
    y = np.where(censor == -1, 4.5, truth)  # values under 4.5 only known as "≤ 4.5"
    return x, y, censor


def test_tanimoto_kernel_of_counts() -> None:
    a = np.zeros((2, chem.N_FEATURES), dtype=np.float32)
    a[0, chem.KERNEL_BLOCKS[0].start] = 2.0
    a[1, chem.KERNEL_BLOCKS[0].start] = 1.0
    a[:, chem.KERNEL_BLOCKS[1].start] = 1.0
    gram = tanimoto_kernel(kernel_features(a), kernel_features(a))
    np.testing.assert_allclose(np.diag(gram), 1.0)
    np.testing.assert_allclose(gram[0, 1], (2 / (4 + 1 - 2) + 1.0) / 2, rtol=1e-6)


def test_fit_respects_censoring_and_round_trips(tmp_path: Path) -> None:
    x, y, censor = _toy()
    model = PotencyModel(n_members=2, n_estimators=60, learning_rate=0.2, random_state=1).fit(x, y, censor)
    pred = model.predict(x)
    assert pred[censor == -1].mean() < pred[censor == 0].mean() - 0.5  # bounded compounds pulled to the floor
    assert np.corrcoef(pred[censor == 0], y[censor == 0])[0, 1] > 0.8
    members = model.predict_members(x)
    q = model.calibrate(y[censor == 0], members.mean(0)[censor == 0], members.std(0)[censor == 0])
    assert q > 0
    mean, low, high = model.predict_interval(x)
    assert (low <= mean).all() and (mean <= high).all()
    model.save(tmp_path)
    loaded = PotencyModel.load(tmp_path)
    np.testing.assert_allclose(loaded.predict(x), pred)


def test_refuses_before_fit_or_without_weights(tmp_path: Path) -> None:
    with pytest.raises(ModelNotReadyError):
        PotencyModel().predict(np.zeros((1, chem.N_FEATURES), dtype=np.float32))
    with pytest.raises(ModelNotReadyError, match="train"):
        PotencyModel.load(tmp_path)


def test_committed_weights_rank_a_known_potent_series_above_aspirin() -> None:
    from iasante.drugs.scoring import score_smiles

    table, errors = score_smiles(["O=C(Nc1cncc2ccccc12)[C@@H]1CCOc2ccc(Cl)cc21", "CC(=O)Oc1ccccc1C(=O)O"])
    assert not errors
    assert table.score.iloc[0] > table.score.iloc[1] + 1.0
    assert bool(table.in_domain.iloc[0]) and not bool(table.in_domain.iloc[1])
    assert (table.pIC50_low <= table.pIC50_pred).all() and (table.pIC50_pred <= table.pIC50_high).all()
