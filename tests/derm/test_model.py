"""Network shapes, augmentation, ONNX round trip, metrics and calibration helpers."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnxruntime as ort
import pytest
import torch

from iasante.derm.metrics import (
    apply_vector_scaling,
    bootstrap_ci,
    fit_vector_scaling,
    threshold_for_sensitivity,
)
from iasante.derm.model import DermNet, augment, normalise
from iasante.derm.train import export_onnx


@pytest.mark.parametrize("shape", [(1, 3, 72, 96), (4, 3, 72, 96), (2, 3, 150, 200)])
def test_dermnet_gives_seven_logits(shape: tuple[int, ...]) -> None:
    assert DermNet().eval()(torch.zeros(shape)).shape == (shape[0], 7)


def test_normalise_and_augment_keep_shapes() -> None:
    crops = np.random.default_rng(0).integers(0, 256, (5, 72, 96, 3), dtype=np.uint8)
    batch = normalise(crops)
    assert batch.shape == (5, 3, 72, 96) and batch.dtype == torch.float32
    out = augment(batch, torch.Generator().manual_seed(0))
    assert out.shape == batch.shape and not torch.equal(out, batch)


def test_onnx_export_matches_pytorch(tmp_path: Path) -> None:
    torch.manual_seed(0)
    net = DermNet().eval()
    export_onnx(net, tmp_path / "net.onnx")
    x = torch.randn(3, 3, 72, 96)
    session = ort.InferenceSession(str(tmp_path / "net.onnx"), providers=["CPUExecutionProvider"])
    onnx_out = session.run(["logits"], {"image": x.numpy()})[0]
    with torch.no_grad():
        assert np.allclose(onnx_out, net(x).numpy(), atol=1e-4)


def test_vector_scaling_recovers_an_overconfident_temperature() -> None:
    rng = np.random.default_rng(0)
    true_logits = rng.normal(0, 1.5, (3000, 3))
    labels = np.array([rng.choice(3, p=np.exp(r) / np.exp(r).sum()) for r in true_logits])
    temperature, biases = fit_vector_scaling(true_logits * 3.0, labels)
    assert 2.5 < temperature < 3.5 and np.abs(biases - biases.mean()).max() < 0.2
    probs = apply_vector_scaling(true_logits, 1.0, np.zeros(3))
    assert np.allclose(probs.sum(1), 1.0)


def test_threshold_reaches_the_asked_sensitivity_and_bootstrap_brackets_the_point() -> None:
    rng = np.random.default_rng(1)
    positive = (rng.random(400) < 0.2).astype(int)
    scores = rng.random(400) * 0.6 + positive * 0.4
    threshold = threshold_for_sensitivity(scores, positive, 0.85)
    assert (scores[positive == 1] >= threshold).mean() >= 0.85
    point, low, high = bootstrap_ci(lambda i: float(scores[i].mean()), np.arange(400), n_boot=200)
    assert low <= point <= high and high - low < 0.1
