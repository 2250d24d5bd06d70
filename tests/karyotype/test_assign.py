"""Hungarian cell-level assignment and ISCN strings."""

from __future__ import annotations

import numpy as np
import pytest

from iasante.karyotype.assign import assign_karyotype, iscn_numerical
from iasante.karyotype.io import CLASSES


def _cell(classes: list[int], confidence: float = 0.95) -> np.ndarray:
    proba = np.full((len(classes), 24), (1 - confidence) / 23)
    proba[np.arange(len(classes)), classes] = confidence
    return proba


def _normal(sex: tuple[str, ...] = ("X", "Y")) -> list[int]:
    return [k for k in range(22) for _ in range(2)] + [CLASSES.index(s) for s in sex]


def _iscn(proba: np.ndarray, other: np.ndarray | None = None) -> str:
    return assign_karyotype(proba, other).iscn


def test_normal_cell_is_kept() -> None:
    result = assign_karyotype(_cell(_normal()))
    assert result.iscn == "46,XY" and (result.labels >= 0).all() and result.runner_up_margin > 0


def test_weak_third_copy_is_moved_to_the_missing_class() -> None:
    truth = _normal(("X", "X"))
    proba = _cell(truth)
    wrong = truth.index(CLASSES.index("22"))  # one chromosome 22 looks like a 21, weakly
    proba[wrong] = 0.01 / 22
    proba[wrong, CLASSES.index("21")], proba[wrong, CLASSES.index("22")] = 0.6, 0.39
    assert int(np.argmax(proba[wrong])) == CLASSES.index("21")
    result = assign_karyotype(proba)
    assert result.labels[wrong] == CLASSES.index("22") and result.iscn == "46,XX"


def test_misnamed_pair_does_not_invent_a_trisomy_and_a_monosomy() -> None:
    """Two confident errors (a 13 called 15, a 15 called 14) keep 46 chromosomes: one change at most."""
    truth = _normal()
    proba = _cell(truth, confidence=0.97)
    for index, (src, dst) in enumerate(((12, 14), (14, 13))):
        row = truth.index(src) + index
        proba[row] = 0.01 / 22
        proba[row, dst], proba[row, src] = 0.8, 0.19
    assert _iscn(proba) == "46,XY"


def test_strong_trisomy_is_kept() -> None:
    assert _iscn(_cell(_normal() + [CLASSES.index("21")], confidence=0.99)) == "47,XY,+21"


def test_sex_aneuploidies_are_found() -> None:
    assert _iscn(_cell(_normal(("X", "X", "Y")), confidence=0.99)) == "47,XXY"
    assert _iscn(_cell(_normal(("X",)), confidence=0.99)) == "45,X"


def test_debris_is_discarded() -> None:
    proba = _cell(_normal() + [0])
    other = np.zeros(len(proba))
    other[-1] = 0.999
    result = assign_karyotype(proba, other)
    assert result.labels[-1] == -1 and result.iscn == "46,XY"


def test_hidden_autosome_is_an_empty_slot_not_a_monosomy() -> None:
    """One chromosome 3 missing (hidden under a neighbour): an empty slot is cheaper than calling 45,-3."""
    cell = _normal()
    cell.remove(2)
    result = assign_karyotype(_cell(cell))
    assert result.iscn == "46,XY" and result.counts[2] == 2


@pytest.mark.parametrize(
    ("sex", "extra", "expected"),
    [
        (("X",), [], "45,X"),
        (("X", "X", "Y"), [], "47,XXY"),
        (("X", "X"), ["18"], "47,XX,+18"),
        (("X", "Y", "Y"), [], "47,XYY"),
    ],
)
def test_iscn_strings(sex: tuple[str, ...], extra: list[str], expected: str) -> None:
    names = [str(k) for k in range(1, 23) for _ in range(2)] + list(sex) + extra
    assert iscn_numerical(names) == expected


def test_iscn_monosomy_and_order() -> None:
    names = [str(k) for k in range(1, 23) for _ in range(2)] + ["X", "Y"]
    names.remove("7")
    names += ["21"]
    assert iscn_numerical(names) == "46,XY,-7,+21"
