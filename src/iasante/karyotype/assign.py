"""Cell-level karyotype inference: a likelihood-ratio choice among karyotype hypotheses, then the ISCN.

Each hypothesis is a full count vector: 46,XX or 46,XY by default, or one numerical change (a trisomy or a
monosomy of one autosome, or a sex-chromosome aneuploidy: 45,X, 47,XXY, 47,XXX, 47,XYY) at a prior cost in
nats. For each hypothesis the objects are matched to its chromosome slots by the Hungarian algorithm
(``scipy.optimize.linear_sum_assignment``) with cost -log p(class | object); an object may instead be
discarded (debris, a fragment of a bad split) and a slot may stay empty (a chromosome hidden by an overlap or
merged with a neighbour), each at a cost. The cheapest hypothesis, prior included, is the cell's karyotype:
an abnormal count is only reported when it explains the objects better than the normal cell by more than its
prior cost (a likelihood-ratio test across the whole cell), so single misclassified chromosomes cannot invent
trisomies.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import numpy as np
from scipy.optimize import linear_sum_assignment

from iasante.karyotype.io import CLASSES

EPS = 1e-6
_X, _Y = CLASSES.index("X"), CLASSES.index("Y")
SEX_COMPLEMENTS: dict[str, bool] = {"XX": False, "XY": False, "X": True, "XXY": True, "XXX": True, "XYY": True}
"""Sex chromosome complements considered; True marks an aneuploidy (costed)."""


@dataclass(frozen=True)
class CellAssignment:
    """Outcome of :func:`assign_karyotype`.

    Attributes:
        labels: (N,) class index per object (0..23), -1 for a discarded object.
        counts: (24,) chromosome counts of the chosen hypothesis (may exceed the objects given a class when
            slots stayed empty).
        iscn: ISCN numerical result of the chosen hypothesis.
        cost: total cost (nats) of the chosen hypothesis, prior included.
        runner_up_margin: cost gap (nats) to the best hypothesis with other counts (confidence of the call).
    """

    labels: np.ndarray
    counts: np.ndarray
    iscn: str
    cost: float
    runner_up_margin: float


def karyotype_hypotheses(trisomy_cost: float, monosomy_cost: float, sex_cost: float) -> list[tuple[np.ndarray, float]]:
    """Count vectors (24,) with their prior cost: normal cells, one autosomal change, or one sex aneuploidy."""
    out: list[tuple[np.ndarray, float]] = []
    for sex, abnormal in SEX_COMPLEMENTS.items():
        base = np.full(len(CLASSES), 2, dtype=int)
        base[_X], base[_Y] = sex.count("X"), sex.count("Y")
        out.append((base, sex_cost if abnormal else 0.0))
        if abnormal:
            continue
        for k in range(22):
            for delta, cost in ((1, trisomy_cost), (-1, monosomy_cost)):
                counts = base.copy()
                counts[k] += delta
                out.append((counts, cost))
    return out


def assign_karyotype(
    proba: np.ndarray,
    p_other: np.ndarray | None = None,
    trisomy_cost: float = 2.0,
    monosomy_cost: float = 8.0,
    sex_cost: float = 1.5,
    discard_cost: float = 3.0,
    missing_cost: float = 4.0,
) -> CellAssignment:
    """Most likely karyotype of one cell and the class of each object under it.

    Args:
        proba: (N, 24) class probabilities per object given it is one whole chromosome (rows sum to 1).
        p_other: (N,) probability that an object is not one whole chromosome (debris, broken piece, pair).
        trisomy_cost, monosomy_cost, sex_cost: prior cost (nats) of an autosomal trisomy, an autosomal
            monosomy, a sex-chromosome aneuploidy; the normal cell costs 0.
        discard_cost: cost (nats) of discarding an object, added to -log p_other.
        missing_cost: cost (nats) of a chromosome slot left without an object.

    The default costs were chosen on synthetic spreads of the validation cells (exact-ISCN rate, 120 spreads).
    """
    whole, discard = _object_costs(proba, p_other, discard_cost)
    scored = []
    for counts, prior in karyotype_hypotheses(trisomy_cost, monosomy_cost, sex_cost):
        total, labels = _match(whole, discard, counts, missing_cost)
        scored.append((total + prior, counts, labels))
    scored.sort(key=lambda item: item[0])
    total, counts, labels = scored[0]
    margin = next((t - total for t, c, _ in scored[1:] if not np.array_equal(c, counts)), float("inf"))
    names = [name for name, c in zip(CLASSES, counts, strict=True) for _ in range(int(c))]
    return CellAssignment(labels, counts, iscn_numerical(names), total, margin)


def _object_costs(proba: np.ndarray, p_other: np.ndarray | None, discard_cost: float) -> tuple[np.ndarray, np.ndarray]:
    """(N, 24) cost of each object as each class, and the (N, N) diagonal cost of discarding it."""
    n = len(proba)
    other = np.zeros(n) if p_other is None else np.asarray(p_other, dtype=float)
    whole = -np.log(np.clip(proba, EPS, 1.0)) - np.log(np.clip(1.0 - other, EPS, 1.0))[:, None]
    discard = np.full((n, n), np.inf)
    np.fill_diagonal(discard, discard_cost - np.log(np.clip(other, EPS, 1.0)))
    return whole, discard


def _match(whole: np.ndarray, discard: np.ndarray, counts: np.ndarray, missing_cost: float) -> tuple[float, np.ndarray]:
    """Hungarian matching of objects to the slots of ``counts``; returns the total cost and labels (N,)."""
    slots = np.repeat(np.arange(len(CLASSES)), counts)
    cost = np.concatenate([whole[:, slots] - missing_cost, discard], axis=1)
    rows, cols = linear_sum_assignment(cost)
    labels = np.full(len(whole), -1, dtype=int)
    used = cols < len(slots)
    labels[rows[used]] = slots[cols[used]]
    return float(cost[rows, cols].sum()) + missing_cost * len(slots), labels


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
