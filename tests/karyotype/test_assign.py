"""Hungarian cell-level assignment and ISCN strings."""

from __future__ import annotations

import numpy as np
import pytest

from iasante.karyotype.assign import assign_classes, iscn_numerical
from iasante.karyotype.io import CLASSES


def _cell(classes: list[int], confidence: float = 0.95) -> np.ndarray:
    proba = np.full((len(classes), 24), (1 - confidence) / 23)
    proba[np.arange(len(classes)), classes] = confidence
    return proba


def _normal(sex: tuple[str, ...] = ("X", "Y")) -> list[int]:
    return [k for k in range(22) for _ in range(2)] + [CLASSES.index(s) for s in sex]


def test_normal_cell_is_kept() -> None:
    labels = assign_classes(_cell(_normal()))
    assert iscn_numerical([CLASSES[k] for k in labels]) == "46,XY"


def test_weak_third_copy_is_moved_to_the_missing_class() -> None:
    truth = _normal(("X", "X"))
    proba = _cell(truth)
    wrong = truth.index(CLASSES.index("22"))  # one chromosome 22 looks like a 21, weakly
    proba[wrong] = 0.01 / 22
    proba[wrong, CLASSES.index("21")], proba[wrong, CLASSES.index("22")] = 0.6, 0.39
    assert int(np.argmax(proba[wrong])) == CLASSES.index("21")
    labels = assign_classes(proba)
    assert labels[wrong] == CLASSES.index("22")
    assert iscn_numerical([CLASSES[k] for k in labels]) == "46,XX"


def test_strong_trisomy_is_kept() -> None:
    labels = assign_classes(_cell(_normal() + [CLASSES.index("21")], confidence=0.99))
    assert iscn_numerical([CLASSES[k] for k in labels]) == "47,XY,+21"


def test_debris_is_discarded() -> None:
    proba = _cell(_normal() + [0])
    other = np.zeros(len(proba))
    other[-1] = 0.999
    labels = assign_classes(proba, other)
    assert labels[-1] == -1 and iscn_numerical([CLASSES[k] for k in labels if k >= 0]) == "46,XY"


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
