"""Lung crop, texture features, the texture model round trip, stacking and the LUNA16 window shift."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from iasante.ct.io import window_hu
from iasante.ct.model import TriageConfig, stack_covid
from iasante.ct.preprocess import crop_to_body, crop_to_lungs, lung_box, to_model_input, to_model_inputs
from iasante.ct.texture import TextureModel, texture_features
from tests.ct.conftest import chest_phantom_hu


def test_lung_box_frames_the_two_lungs() -> None:
    slice_01 = window_hu(np.pad(chest_phantom_hu(96), 30, constant_values=-1000.0))
    box = lung_box(slice_01)
    assert box is not None
    r0, r1, c0, c1 = box
    # phantom lungs: rows 0.28..0.72, columns 0.19..0.81 of the 96 px body, shifted by the 30 px pad
    assert abs(r0 - (30 + 0.28 * 96)) <= 3 and abs(r1 - (30 + 0.72 * 96)) <= 3
    assert abs(c0 - (30 + 0.19 * 96)) <= 3 and abs(c1 - (30 + 0.81 * 96)) <= 3
    crop = crop_to_lungs(slice_01)
    assert crop.shape[0] == crop.shape[1] and crop.shape[0] < 0.8 * 96
    assert to_model_input(slice_01, 64, crop="lung").shape == (1, 64, 64)
    both = np.concatenate([to_model_input(slice_01, 64), to_model_input(slice_01, 64, crop="lung")])
    np.testing.assert_array_equal(to_model_inputs(slice_01, 64), both)


def test_no_lungs_falls_back_to_the_body() -> None:
    solid = window_hu(np.pad(np.full((60, 60), 40.0, np.float32), 20, constant_values=-1000.0))
    assert lung_box(solid) is None
    assert crop_to_lungs(solid).shape == crop_to_body(solid).shape


def test_texture_features_and_model_roundtrip(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    x = rng.integers(0, 256, (60, 1, 64, 64), dtype=np.uint8)
    y = (x[:, 0, 16:48, 16:48].mean((1, 2)) > x[:, 0, 16:48, 16:48].mean()).astype(int)
    features = texture_features(x)
    assert features.shape == (60, 36) and np.isfinite(features).all()
    model = TextureModel().fit_fold(features, y, seed=0).fit_fold(features, y, seed=1)
    model.save(tmp_path / "t.json")
    again = TextureModel.load(tmp_path / "t.json")
    np.testing.assert_allclose(again.raw_score(features), model.raw_score(features))
    assert again.raw_score(features, [0]).shape == (60,)


def test_stack_covid_replaces_only_the_covid_column() -> None:
    logits = np.array([[1.0, 2.0], [-1.0, 0.5]])
    config = TriageConfig(stack_coef=[0.5, 2.0], stack_bias=-1.0)
    out = stack_covid(logits, np.array([1.0, -1.0]), config)
    np.testing.assert_allclose(out, [[1.0, 0.5 * 2.0 + 2.0 - 1.0], [-1.0, 0.25 - 2.0 - 1.0]])
    assert stack_covid(logits, None, config) is logits
    assert stack_covid(logits, np.zeros(2), TriageConfig()) is logits
