"""The committed baseline weights: shapes, refusal before loading, and the shipped demo predictions."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from iasante.challenge.baseline import FEATURES, LinearBaseline, extract
from iasante.challenge.metrics import get_metric
from iasante.challenge.train import DEMO_DIR, DEMOS, WEIGHTS_DIR, model_heldout_groups
from iasante.core.config import get_settings
from iasante.core.errors import InputDataError, ModelNotReadyError


@pytest.mark.parametrize(
    ("feature", "size"), [("gray_histogram", 32), ("color_statistics", 54), ("chromosome_shape", 37)]
)
def test_feature_shapes_on_synthetic_images(tmp_path: Path, feature: str, size: int) -> None:
    image = tmp_path / "x.png"
    rng = np.random.default_rng(0)
    Image.fromarray(rng.integers(0, 255, (40, 24, 3), dtype=np.uint8)).save(image)
    values = FEATURES[feature](image)
    assert values.shape == (size,) and np.isfinite(values).all()
    (tmp_path / "bad.png").write_bytes(b"not an image")
    with pytest.raises(InputDataError, match="bad.png"):
        FEATURES[feature](tmp_path / "bad.png")


def test_refuses_before_fit_and_loads_committed_weights() -> None:
    with pytest.raises(ModelNotReadyError):
        LinearBaseline().predict_proba(np.zeros((1, 32)))
    with pytest.raises(ModelNotReadyError, match="iasante challenge train"):
        LinearBaseline.load(WEIGHTS_DIR / "absent.npz")
    sizes = {d.slug: (WEIGHTS_DIR / f"{d.slug}.npz").stat().st_size for d in DEMOS}
    assert sum(sizes.values()) < 20 * 1024 * 1024
    karyotype = LinearBaseline.load(WEIGHTS_DIR / "karyotype.npz")
    assert len(karyotype.classes_) == 24
    probabilities = karyotype.predict_proba(np.zeros((3, karyotype.mean_.shape[0])))
    assert probabilities.shape == (3, 24) and np.allclose(probabilities.sum(axis=1), 1)


@pytest.mark.parametrize("slug", ["covid-ct", "karyotype"])
def test_committed_weights_reproduce_shipped_baseline_rows(slug: str) -> None:
    data_dir = get_settings().data_dir
    if data_dir is None or not (data_dir / "ct").is_dir():
        pytest.skip("shared data folder not available")
    demo = next(d for d in DEMOS if d.slug == slug)
    model = LinearBaseline.load(WEIGHTS_DIR / f"{slug}.npz")
    test_ids = pd.read_csv(DEMO_DIR / slug / "test_ids.csv").head(25)
    shipped = pd.read_csv(DEMO_DIR / slug / "baseline.csv", dtype={"prediction": str}).set_index("id")
    features = extract(demo.feature, [data_dir / f for f in test_ids["file"]])
    if demo.task == "binary":
        expected = shipped.loc[test_ids["id"], "score"].to_numpy()
        assert np.allclose(model.predict_proba(features)[:, 1], expected, atol=1e-6)
    else:
        assert (model.predict(features) == shipped.loc[test_ids["id"], "prediction"].to_numpy()).all()


@pytest.mark.parametrize("slug", ["covid-ct", "melanoma", "karyotype"])
def test_model_baseline_row_scores_only_images_the_model_never_saw(slug: str) -> None:
    """The hidden test groups are among the model's held-out groups; the row covers every test id."""
    data_dir = get_settings().data_dir
    if data_dir is None or not data_dir.is_dir():
        pytest.skip("shared data folder not available")
    demo = next(d for d in DEMOS if d.slug == slug)
    folder = DEMO_DIR / slug
    labels = pd.read_csv(data_dir / demo.folder / "labels.csv")
    group_of = dict(zip(demo.folder + "/" + labels["file"], labels[demo.group].astype(str).str.strip(), strict=True))
    test = pd.read_csv(folder / "test_ids.csv")
    train = pd.read_csv(folder / "train.csv")
    test_groups = {group_of[f] for f in test["file"]}
    heldout = model_heldout_groups(slug)
    assert heldout is not None and test_groups <= heldout
    assert not test_groups & {group_of[f] for f in train["file"]}
    summary = json.loads((folder / "model_baseline.json").read_text())
    rows = pd.read_csv(folder / summary["file"], dtype={"prediction": str}).set_index("id")
    assert sorted(rows.index) == sorted(test["id"]) and summary["n_scored"] == len(test)
    truth = pd.read_csv(folder / "truth.csv", dtype={"label": str}).set_index("id").loc[rows.index, "label"]
    primary = demo.primary
    if demo.task == "binary":
        value = get_metric(primary).fn(truth.astype(int).to_numpy(), rows["score"].to_numpy())
    else:
        classes = sorted(truth.unique().tolist() + rows["prediction"].unique().tolist())
        codes = {c: i for i, c in enumerate(sorted(set(classes)))}
        value = get_metric(primary).fn(truth.map(codes).to_numpy(), rows["prediction"].map(codes).to_numpy())
    assert value == pytest.approx(summary["metrics"][primary]["value"], abs=1e-4)
