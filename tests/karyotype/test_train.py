"""Training pieces on tiny inputs: augmentation targets, a one-epoch fit, junk objects, cell split."""

from __future__ import annotations

import numpy as np
import torch

from iasante.karyotype.io import read_gray
from iasante.karyotype.preprocess import CANVAS_HW
from iasante.karyotype.synth import junk_examples, upright_source
from iasante.karyotype.train import augment, fit_net, split_cells


def test_split_is_cell_disjoint() -> None:
    parts = split_cells(np.repeat(np.arange(40), 3), n_test=8, n_val=4)
    assert len(parts["test"]) == 8 and len(parts["val"]) == 4 and len(parts["train"]) == 28
    assert not set(parts["test"]) & set(parts["train"]) and not set(parts["val"]) & set(parts["train"])


def test_augment_turn_sets_polarity_target() -> None:
    x = torch.zeros(64, 1, *CANVAS_HW)
    x[:, :, 10:30, 20:36] = 1.0  # bright blob at the top = "p-arm up"
    out, polarity = augment(x, torch.Generator().manual_seed(0))
    top = out[:, 0, : CANVAS_HW[0] // 2].sum((1, 2)) > out[:, 0, CANVAS_HW[0] // 2 :].sum((1, 2))
    assert torch.equal(top, polarity.bool())


def test_one_epoch_fit_and_junk(demo_chromosomes) -> None:  # type: ignore[no-untyped-def]
    sources = [upright_source(read_gray(p)) for p, _ in demo_chromosomes]
    junk = junk_examples(sources, 4, np.random.default_rng(0))
    assert len(junk) == 4 and all(j.ndim == 2 and j.max() > 0 for j in junk)
    canvases = np.random.default_rng(0).random((16, *CANVAS_HW)).astype(np.float32)
    net = fit_net(canvases, np.arange(16) % 25, epochs=1, batch_size=8, log=lambda _: None)
    logits, _ = net(torch.from_numpy(canvases[:2])[:, None])
    assert not net.training and torch.isfinite(logits).all()
