"""Cell-context classification: hand features, band model, whole-cell grouping in `classify`."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import numpy as np
from typer.testing import CliRunner

from iasante.cli import app
from iasante.karyotype.cellclass import (
    N_BANDS,
    N_FEATURES,
    BandModel,
    cell_features,
    classify_cell,
    fuse,
    hand_features,
)
from iasante.karyotype.service import cell_key


def _toy_canvas(length: int, centromere: float) -> np.ndarray:
    canvas = np.zeros((112, 56), np.float32)
    top = (112 - length) // 2
    canvas[top : top + length, 22:34] = np.linspace(0.3, 1.0, length)[:, None]
    waist = top + int(centromere * length)
    canvas[waist - 1 : waist + 2, 22:25] = 0.0
    canvas[waist - 1 : waist + 2, 31:34] = 0.0
    return canvas


def test_hand_features_orient_by_polarity() -> None:
    canvas = _toy_canvas(60, 0.3)
    up, down = hand_features(canvas, 0.9), hand_features(canvas[::-1, ::-1].copy(), 0.1)
    assert up.shape == (N_FEATURES - 3,)
    np.testing.assert_allclose(up, down, atol=1e-5)
    assert up[0] == 60 and abs(up[4] - 0.3) < 0.06
    bands = up[6 : 6 + N_BANDS]
    assert bands[0] < bands[-1]  # brighter towards the q end of this toy crop


def test_cell_features_relative_sizes() -> None:
    canvases = np.stack([_toy_canvas(length, 0.4) for length in (30, 50, 70)])
    feats = cell_features(canvases, np.ones(3))
    assert feats.shape == (3, N_FEATURES)
    np.testing.assert_allclose(feats[:, -3], [0.6, 1.0, 1.4], atol=1e-6)


def test_fuse_and_assign_without_band_model() -> None:
    rng = np.random.default_rng(0)
    proba = rng.dirichlet(np.ones(24), size=5)
    fused = fuse(proba, proba, weight=0.0)
    np.testing.assert_allclose(fused, proba, atol=1e-6)
    labels, out = classify_cell(np.zeros((5, 112, 56), np.float32), proba, np.ones(5), np.zeros(5), None)
    assert labels.shape == (5,) and labels.min() >= 0 and out is proba


def test_band_model_round_trip(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    y = np.repeat(np.arange(24), 4)
    x = rng.normal(size=(len(y), N_FEATURES)) + y[:, None] * 0.5
    model = BandModel(random_state=0).fit(x, y)
    again = BandModel.load(model.save(tmp_path).parent)
    np.testing.assert_allclose(again.predict_proba(x[:3]), model.predict_proba(x[:3]))
    assert again.predict_proba(x[:3]).shape == (3, 24)


def test_cell_key_reads_cell_ids() -> None:
    assert cell_key("/a/cell012_05a.png") == cell_key("/a/Cell-12_x.png") == "/a/12"
    assert cell_key("/b/cell012_05a.png") != cell_key("/a/cell012_05a.png")
    assert cell_key("/a/chromosome_7.png") is None


def test_classify_whole_cell_group_keeps_contract(tmp_path: Path, demo_chromosomes) -> None:  # type: ignore[no-untyped-def]
    paths = []
    for i in range(42):
        target = tmp_path / f"cell900_{i:02d}.png"
        shutil.copy(demo_chromosomes[i % len(demo_chromosomes)][0], target)
        paths.append(str(target))
    loose = str(demo_chromosomes[0][0])
    out = tmp_path / "preds.csv"
    result = CliRunner().invoke(app, ["karyotype", "classify", loose, *paths, "--out", str(out)])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(out.open()))
    assert list(rows[0]) == ["input", "chromosome", "confidence", "angle_deg"]
    assert [r["input"] for r in rows] == [loose, *paths]
    assert all(0.0 <= float(r["confidence"]) <= 1.0 for r in rows)
