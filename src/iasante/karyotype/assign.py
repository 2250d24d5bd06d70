"""Cell-level class assignment (Hungarian algorithm over class slots) and the ISCN numerical result.

Each class offers copy slots: autosomes two free slots, a third at a cost (trisomy only on strong evidence)
and a fourth at a higher cost; X two free slots (XX or XY cells) and a third at a cost; Y one nearly free slot
and a second at a cost. Objects that look like debris can go to a discard slot. The cost of putting object i
in a slot of class k is -log p(k | i) plus the slot cost; scipy's ``linear_sum_assignment`` finds the cheapest
layout. Missing copies (45,X; monosomies) cost nothing extra: they are what is left when objects run out.
"""

from __future__ import annotations

from collections import Counter

import numpy as np
from scipy.optimize import linear_sum_assignment

from iasante.karyotype.io import CLASSES

EPS = 1e-6


def _slots(extra_copy_cost: float) -> list[tuple[int, float]]:
    slots: list[tuple[int, float]] = []
    for k, name in enumerate(CLASSES):
        if name == "X":
            costs = [0.0, 0.0, extra_copy_cost]
        elif name == "Y":
            costs = [0.2, extra_copy_cost]
        else:
            costs = [0.0, 0.0, extra_copy_cost, 2.5 * extra_copy_cost]
        slots += [(k, c) for c in costs]
    return slots


def assign_classes(
    proba: np.ndarray,
    p_other: np.ndarray | None = None,
    extra_copy_cost: float = 3.0,
    discard_cost: float = 2.0,
) -> np.ndarray:
    """Globally consistent classes for the objects of one cell.

    Args:
        proba: (N, 24) class probabilities per object (rows sum to 1).
        p_other: (N,) probability that an object is not one whole chromosome (debris, broken piece);
            only objects above 0.85 may be discarded.
        extra_copy_cost: cost (nats) of a 3rd autosome / X copy or a 2nd Y; 2.5x for a 4th autosome copy.
        discard_cost: cost (nats) of discarding an object, added to -log p_other.

    Returns:
        (N,) class index per object, -1 for discarded objects.
    """
    n = len(proba)
    if n == 0:
        return np.zeros(0, dtype=int)
    slots = _slots(extra_copy_cost)
    logp = -np.log(np.clip(proba, EPS, 1.0))
    other = np.zeros(n) if p_other is None else np.asarray(p_other, dtype=float)
    cost = np.stack([logp[:, k] - np.log(np.clip(1.0 - other, EPS, 1.0)) + c for k, c in slots], axis=1)
    discard = np.full((n, n), np.inf)
    np.fill_diagonal(discard, np.where(other > 0.85, -np.log(np.clip(other, EPS, 1.0)) + discard_cost, np.inf))
    rows, cols = linear_sum_assignment(np.concatenate([cost, discard], axis=1))
    labels = np.full(n, -1, dtype=int)
    for r, c in zip(rows, cols, strict=True):
        labels[r] = slots[c][0] if c < len(slots) else -1
    return labels


def iscn_numerical(labels: list[str] | np.ndarray) -> str:
    """ISCN numerical karyotype from the class names of a cell's chromosomes (ISCN 2020 ordering).

    >>> iscn_numerical(["21"] * 3 + [str(k) for k in range(1, 23) if k != 21] * 2 + ["X", "Y"])
    '47,XY,+21'
    >>> iscn_numerical([str(k) for k in range(1, 23)] * 2 + ["X"])
    '45,X'
    """
    names = [str(x) for x in labels if str(x) in CLASSES]
    counts = Counter(names)
    sex = "X" * counts["X"] + "Y" * counts["Y"] or "-"
    changes: list[str] = []
    for k in range(1, 23):
        delta = counts[str(k)] - 2
        changes += [f"+{k}"] * max(delta, 0) + [f"-{k}"] * max(-delta, 0)
    return ",".join([str(len(names)), sex, *changes])
