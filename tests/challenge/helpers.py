"""Tiny synthetic challenges for the tests (no patient data)."""

from __future__ import annotations

import numpy as np

N_TEST = 40


def binary_truth(n: int = N_TEST, seed: int = 0) -> tuple[list[str], np.ndarray]:
    rng = np.random.default_rng(seed)
    ids = [f"case{i:03d}" for i in range(n)]
    y = rng.integers(0, 2, n)
    y[:2] = (0, 1)
    return ids, y


def truth_csv(ids: list[str], labels: np.ndarray) -> bytes:
    return ("id,label\n" + "".join(f"{i},{v}\n" for i, v in zip(ids, labels, strict=True))).encode()


def scores_csv(ids: list[str], scores: np.ndarray, column: str = "score") -> bytes:
    return (f"id,{column}\n" + "".join(f"{i},{v}\n" for i, v in zip(ids, scores, strict=True))).encode()


def noisy_scores(y: np.ndarray, noise: float, seed: int) -> np.ndarray:
    """Probabilities that separate the classes better as ``noise`` shrinks, shape (n,), in [0, 1]."""
    rng = np.random.default_rng(seed)
    return np.clip(0.5 + (y - 0.5) * 0.6 + rng.normal(0, noise, y.shape[0]), 0, 1).round(4)


def spec(slug: str = "toy", quota: int = 3, rule: str = "best", task: str = "binary") -> dict[str, object]:
    return {
        "slug": slug,
        "title": "Toy challenge",
        "task": task,
        "primary_metric": "auc",
        "secondary_metrics": ["pauc", "balanced_accuracy"],
        "public_fraction": 0.5,
        "phases": [
            {"name": "development", "subset": "public", "days": 10, "daily_quota": quota, "rule": rule},
            {"name": "final", "subset": "private", "days": 5, "daily_quota": quota, "rule": "last"},
        ],
    }
