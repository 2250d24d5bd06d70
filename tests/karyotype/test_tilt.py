"""The angle convention, checked absolutely, and the raw-frame tilt study on synthetic canvases."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from iasante.karyotype.io import read_gray
from iasante.karyotype.metrics import angle_error_deg
from iasante.karyotype.preprocess import CANVAS_HW, rotate
from iasante.karyotype.synth import upright_source
from iasante.karyotype.tilt import raw_frame_study, tilt_features


def _pil_rotate(img: np.ndarray, ccw_deg: float) -> np.ndarray:
    """PIL's rotate is counter-clockwise for positive angles, like the CLI contract."""
    pil = Image.fromarray(np.clip(img * 255, 0, 255).astype(np.uint8))
    return np.asarray(pil.rotate(ccw_deg, resample=Image.BILINEAR, expand=True), dtype=np.float32) / 255.0


@pytest.mark.parametrize("turn", [30.0, -60.0, 135.0])
@pytest.mark.parametrize("rotator", [rotate, _pil_rotate], ids=["scipy", "pil"])
def test_angle_is_the_ccw_turn_applied_to_an_upright_chromosome(classifier, demo_chromosomes, turn, rotator) -> None:  # type: ignore[no-untyped-def]
    """Contract sign check: an upright p-arm-up chromosome turned CCW by ``turn`` reads angle_deg == turn."""
    uprights = [np.pad(upright_source(read_gray(p)), 6) for p, _ in demo_chromosomes]
    preds = classifier.predict_images([rotator(up, turn) for up in uprights], dark_on_light=False)
    errors = angle_error_deg(np.array([p.angle_deg for p in preds]), turn)
    assert np.median(errors) < 3.0
    assert np.mean(errors < 7.5) >= 0.75
    # and the undone turn is upright: rotating the input by -angle_deg gives back ~0
    assert np.median(angle_error_deg(np.array([p.angle_deg for p in preds]) - turn, 0.0)) < 3.0


def _bent_canvases(tilts: np.ndarray) -> np.ndarray:
    """Vertical bars whose top half is shifted sideways in proportion to the tilt (a learnable bend)."""
    out = np.zeros((len(tilts), *CANVAS_HW), np.float32)
    for i, tilt in enumerate(tilts):
        shift = int(round(tilt / 4.0))
        out[i, 20:56, 24 + shift : 32 + shift] = 1.0
        out[i, 56:92, 24:32] = 1.0
    return out


def test_tilt_study_learns_a_visible_tilt_and_not_an_invisible_one() -> None:
    rng = np.random.default_rng(0)
    tilts = rng.uniform(-40.0, 40.0, 240)
    cells = np.repeat(np.arange(24), 10)
    train, test = list(range(16)), list(range(16, 24))
    visible = raw_frame_study(_bent_canvases(tilts), tilts, cells, train, test)
    assert visible["learned_tilt"]["value_pct"] < visible["no_tilt_model"]["value_pct"] - 30
    assert visible["learned_tilt_corr"] > 0.9
    hidden = raw_frame_study(_bent_canvases(rng.uniform(-40.0, 40.0, 240)), tilts, cells, train, test)
    assert hidden["learned_tilt"]["value_pct"] > 50 and abs(hidden["learned_tilt_corr"]) < 0.5


def test_tilt_features_mirror_the_centroid_profile() -> None:
    canv = _bent_canvases(np.array([20.0]))
    plain, mirrored = tilt_features(canv), tilt_features(canv[:, :, ::-1])
    assert plain.shape == (1, 28 * 14 + CANVAS_HW[0])
    np.testing.assert_allclose(plain[0, -CANVAS_HW[0] :], -mirrored[0, -CANVAS_HW[0] :], atol=1e-4)


def test_evaluate_single_scores_both_frames(classifier, demo_chromosomes) -> None:  # type: ignore[no-untyped-def]
    """The two truths differ exactly by each crop's own tilt; the model is scored well only in the axis frame."""
    import pandas as pd

    from iasante.karyotype.io import CLASSES
    from iasante.karyotype.preprocess import align_chromosome, wrap_deg
    from iasante.karyotype.train import evaluate_single

    table = pd.DataFrame(
        {
            "path": [str(p) for p, _ in demo_chromosomes],
            "file": [p.name for p, _ in demo_chromosomes],
            "cell": [int(p.name[4:7]) for p, _ in demo_chromosomes],
            "chromosome": [c for _, c in demo_chromosomes],
            "y": [CLASSES.index(c) for _, c in demo_chromosomes],
        }
    )
    result = evaluate_single(classifier, table)
    rows = result["rows"]
    tilts = np.array([align_chromosome(read_gray(p))[1] for p in table["path"]])
    np.testing.assert_allclose(wrap_deg(rows["turn_deg"] - rows["angle_true"]), tilts, atol=1e-6)
    assert result["angle_errors"]["value_pct"] <= 25.0
    tilted = float(np.mean(np.abs(tilts) > 7.5)) * 100
    assert result["angle_errors_raw_crop_frame"]["value_pct"] >= tilted - 25.0
