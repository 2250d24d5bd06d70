"""Training pieces on tiny synthetic data: seeded, deterministic, and they learn an easy signal."""

from __future__ import annotations

import numpy as np
import torch

from iasante.derm.data import split_by_lesion
from iasante.derm.train import predict_cnn, train_cnn, train_descriptor_model


def _toy_crops(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Dark crops are class 4 (mel), light crops class 5 (nv); the other classes get a few random crops."""
    rng = np.random.default_rng(seed)
    labels = np.where(np.arange(n) % 2 == 0, 4, 5)
    labels[:7] = np.arange(7)
    crops = np.where(labels[:, None, None, None] == 4, 60, 190) + rng.integers(-20, 20, (n, 72, 96, 3))
    return crops.clip(0, 255).astype(np.uint8), labels


def test_train_cnn_is_seeded_and_learns_an_easy_signal() -> None:
    torch.set_num_threads(1)
    x, y = _toy_crops(48, 0)
    first = train_cnn(x, y, x, y, seed=3, epochs=2, log=lambda _line: None)
    second = train_cnn(x, y, x, y, seed=3, epochs=2, log=lambda _line: None)
    probs_a, probs_b = predict_cnn(first, x, tta=False), predict_cnn(second, x, tta=True)
    assert probs_a.shape == (48, 7) and np.allclose(np.exp(probs_a).sum(1), 1, atol=1e-6)
    assert np.allclose(probs_a, predict_cnn(second, x, tta=False))
    assert np.exp(probs_b[y == 4, 4]).mean() > np.exp(probs_b[y == 5, 4]).mean()


def test_descriptor_model_and_lesion_split() -> None:
    import pandas as pd

    rng = np.random.default_rng(0)
    y = np.repeat(np.arange(7), 30)
    desc = rng.normal(0, 1, (len(y), 51)).astype(np.float32) + y[:, None] * 0.5
    booster = train_descriptor_model(desc, y, desc, y, seed=0)
    assert (np.asarray(booster.predict(desc)).argmax(1) == y).mean() > 0.8
    frame = pd.DataFrame({"lesion_id": np.repeat(np.arange(105), 2), "y": y})
    split = split_by_lesion(frame, seed=0)
    for lesion, parts in frame.assign(split=split).groupby("lesion_id")["split"]:
        assert parts.nunique() == 1, lesion
    assert set(split) == {"train", "val", "test"}
