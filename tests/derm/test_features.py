"""ABCD values behave as their definitions say."""

from __future__ import annotations

import numpy as np

from iasante.derm.features import N_DESCRIPTORS, compute_abcd, compute_descriptors, descriptor_names

from .helpers import synthetic_lesion


def _disc(radius: int) -> np.ndarray:
    yy, xx = np.mgrid[0:150, 0:200]
    return (yy - 75) ** 2 + (xx - 100) ** 2 < radius**2


def test_disc_is_symmetric_round_single_coloured_with_its_diameter() -> None:
    abcd = compute_abcd(synthetic_lesion(radius_px=30), _disc(30))
    assert abcd["asymmetry"] < 0.05
    assert 0.9 < abcd["border_irregularity"] < 1.25
    assert abcd["colour_count"] == 1 and abcd["colour_dark_brown"] > 0.9
    assert 58 <= abcd["diameter_px"] <= 62


def test_irregular_asymmetric_shape_scores_higher() -> None:
    mask = _disc(30)
    mask[75:105, 100:140] = True  # a lobe on one side
    yy, xx = np.mgrid[0:150, 0:200]
    mask &= ~((np.sin(np.arctan2(yy - 75, xx - 100) * 9) > 0.6) & ((yy - 75) ** 2 + (xx - 100) ** 2 > 24**2))
    abcd = compute_abcd(synthetic_lesion(), mask)
    round_abcd = compute_abcd(synthetic_lesion(), _disc(30))
    assert abcd["asymmetry"] > round_abcd["asymmetry"] + 0.05
    assert abcd["border_irregularity"] > round_abcd["border_irregularity"] + 0.3


def test_descriptor_vector_matches_its_names() -> None:
    vector = compute_descriptors(synthetic_lesion(), _disc(30))
    assert vector.shape == (N_DESCRIPTORS,) == (len(descriptor_names()),)
    assert np.isfinite(vector).all()
