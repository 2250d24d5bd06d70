"""Geometry conventions: polarity, principal-axis rotation direction, angle wrapping."""

from __future__ import annotations

import numpy as np
import pytest

from iasante.karyotype.preprocess import (
    CANVAS_HW,
    align_chromosome,
    is_dark_on_light,
    principal_rotation,
    rotate,
    to_bright_on_dark,
    wrap_deg,
)


def _bar(height: int = 40, width: int = 6) -> np.ndarray:
    img = np.zeros((64, 64), np.float32)
    img[32 - height // 2 : 32 + height // 2, 32 - width // 2 : 32 + width // 2] = 0.8
    return img


def test_rotate_is_counter_clockwise_on_screen() -> None:
    turned = rotate(_bar(), 30.0)
    rows, cols = np.nonzero(turned > 0.4)
    assert cols[np.argmin(rows)] < turned.shape[1] / 2  # the top end moved left


@pytest.mark.parametrize("turn", [-80.0, -30.0, 0.0, 25.0, 70.0])
def test_principal_rotation_undoes_a_turn(turn: float) -> None:
    turned = rotate(_bar(), turn)
    assert principal_rotation(turned, turned > 0.4) == pytest.approx(-turn, abs=1.5)


def test_polarity_detection_and_normalisation() -> None:
    bright = (_bar() * 255).astype(np.uint8)
    dark = 255 - bright
    assert not is_dark_on_light(bright)
    assert is_dark_on_light(dark)
    normalised = to_bright_on_dark(dark)
    assert normalised.max() == pytest.approx(0.8, abs=0.01) and normalised[0, 0] == 0.0


def test_align_gives_vertical_canvas() -> None:
    canvas, rho = align_chromosome((rotate(_bar(), 50.0) * 255).astype(np.uint8))
    assert canvas.shape == CANVAS_HW and rho == pytest.approx(-50.0, abs=1.5)
    rows, cols = np.nonzero(canvas > 0.3)
    assert np.ptp(rows) > 3 * np.ptp(cols)


def test_wrap_deg() -> None:
    assert wrap_deg(190.0) == pytest.approx(-170.0)
    assert wrap_deg(-180.0) == pytest.approx(180.0)
    assert wrap_deg(45.0) == pytest.approx(45.0)
