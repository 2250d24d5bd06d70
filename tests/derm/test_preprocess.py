"""Colour constancy, hair removal, segmentation and cropping on synthetic pictures."""

from __future__ import annotations

import numpy as np

from iasante.derm.preprocess import crop_to_lesion, prepare, remove_hair, segment_lesion, shades_of_gray

from .helpers import synthetic_lesion


def test_shades_of_gray_removes_a_colour_cast() -> None:
    image = synthetic_lesion()
    cast = np.clip(image * np.array([1.0, 0.7, 0.5], np.float32), 0, 1)
    corrected = shades_of_gray(cast)
    skin = corrected[5:20, 5:40].reshape(-1, 3).mean(0)
    assert corrected.shape == image.shape and corrected.dtype == np.float32
    assert skin.max() - skin.min() < np.ptp(cast[5:20, 5:40].reshape(-1, 3).mean(0))


def test_hair_lines_are_found_and_painted_over() -> None:
    hairy = synthetic_lesion(hair=True)
    clean, hair = remove_hair(hairy)
    assert hair[30:32, 10:190].mean() > 0.9 and hair[60:90, 10:50].mean() < 0.05
    assert clean[30, 20].mean() > 0.5 > hairy[30, 20].mean()
    untouched, no_hair = remove_hair(synthetic_lesion())
    assert not no_hair.any() and np.array_equal(untouched, synthetic_lesion())


def test_segmentation_finds_the_disc() -> None:
    mask, found = segment_lesion(synthetic_lesion(radius_px=35))
    yy, xx = np.mgrid[0:150, 0:200]
    truth = (yy - 75) ** 2 + (xx - 100) ** 2 < 35**2
    iou = (mask & truth).sum() / (mask | truth).sum()
    assert found and iou > 0.85


def test_uniform_picture_falls_back_to_a_central_ellipse() -> None:
    mask, found = segment_lesion(np.full((150, 200, 3), 0.7, np.float32))
    assert not found and mask[75, 100] and not mask[0, 0]


def test_crop_zooms_on_small_lesions_and_prepare_gives_the_network_frame() -> None:
    small = synthetic_lesion(radius_px=12)
    mask, _ = segment_lesion(small)
    crop = crop_to_lesion(small, mask)
    assert crop.shape[1] < 200 and abs(crop.shape[1] / crop.shape[0] - 4 / 3) < 0.05
    prepared = prepare(small)
    assert prepared["net"].shape == (72, 96, 3) and prepared["net"].dtype == np.uint8
