"""Network shapes, the not-loaded refusal, and the committed weights on shipped real chromosomes."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from iasante.core.errors import ModelNotReadyError
from iasante.karyotype.io import read_gray
from iasante.karyotype.metrics import angle_error_deg
from iasante.karyotype.model import ChromosomeClassifier, ChromosomeNet
from iasante.karyotype.preprocess import CANVAS_HW, rotate, to_bright_on_dark


def test_net_shapes() -> None:
    logits, polarity = ChromosomeNet().eval()(torch.rand(3, 1, *CANVAS_HW))
    assert logits.shape == (3, 25) and polarity.shape == (3,)


def test_refuses_before_load(tmp_path) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ModelNotReadyError):
        ChromosomeClassifier().predict_canvases(np.zeros((1, *CANVAS_HW), np.float32))
    with pytest.raises(ModelNotReadyError, match="weights missing"):
        ChromosomeClassifier().load(tmp_path)


def test_weights_classify_real_held_out_chromosomes(classifier, demo_chromosomes) -> None:  # type: ignore[no-untyped-def]
    preds = classifier.predict_images([read_gray(p) for p, _ in demo_chromosomes])
    correct = [p.chromosome == truth for p, (_, truth) in zip(preds, demo_chromosomes, strict=True)]
    assert np.mean(correct) >= 0.75
    assert all(0.0 <= p.confidence <= 1.0 for p in preds)


@pytest.mark.parametrize("turn", [-120.0, 75.0, 170.0])
def test_angle_follows_a_known_turn(classifier, demo_chromosomes, turn: float) -> None:  # type: ignore[no-untyped-def]
    """Turning the input by ``turn`` must move angle_deg by ``turn`` (polarity included)."""
    errors = []
    for path, _ in demo_chromosomes:
        raw = to_bright_on_dark(read_gray(path))
        base = classifier.predict_images([raw], dark_on_light=False)[0].angle_deg
        turned = classifier.predict_images([rotate(np.pad(raw, 4), turn)], dark_on_light=False)[0].angle_deg
        errors.append(float(angle_error_deg(turned, base + turn)))
    assert np.median(errors) < 7.5


def test_dark_on_light_input_gives_same_class(classifier, demo_chromosomes) -> None:  # type: ignore[no-untyped-def]
    images = [read_gray(p) for p, _ in demo_chromosomes]
    bright = classifier.predict(images)
    dark = classifier.predict([255 - img for img in images])
    assert np.mean([a == b for a, b in zip(bright, dark, strict=True)]) >= 0.8
