"""Committed weights: size budget, model card consistent with the measured metrics, predictor contract."""

from __future__ import annotations

import hashlib
import json

import numpy as np
import pytest
import yaml

from iasante.core.errors import ModelNotReadyError
from iasante.derm.predictor import CONFIG_NAME, WEIGHTS_DIR, MelanomaClassifier


def test_weights_fit_the_20_mb_budget() -> None:
    assert sum(f.stat().st_size for f in WEIGHTS_DIR.iterdir()) <= 20 * 1024 * 1024


def test_model_card_front_matter_matches_the_measured_config() -> None:
    text = (WEIGHTS_DIR / "MODEL_CARD.md").read_text()
    assert text.startswith("---\n")
    card = yaml.safe_load(text.split("---\n")[1])
    config = json.loads((WEIGHTS_DIR / CONFIG_NAME).read_text())
    for key in ("name", "version", "intended_use", "metrics", "weights_sha256", "failure_modes", "licence"):
        assert key in card
    assert card["metrics"]["ham10000_test"]["auc_melanoma"] == config["metrics"]["ham10000_test"]["auc_melanoma"]
    assert card["metrics"]["ph2_external"]["auc_melanoma"] == config["metrics"]["ph2_external"]["auc_melanoma"]
    for name, digest in card["weights_sha256"].items():
        assert hashlib.sha256((WEIGHTS_DIR / name).read_bytes()).hexdigest() == digest, name


def test_predict_prepared_gives_probability_rows() -> None:
    classifier = MelanomaClassifier().load()
    crops = np.random.default_rng(0).integers(0, 256, (3, 72, 96, 3), dtype=np.uint8)
    descriptors = np.zeros((3, classifier.booster_.num_feature()), np.float32)
    probs = classifier.predict_prepared(crops, descriptors)
    assert probs.shape == (3, 7) and np.allclose(probs.sum(1), 1)
    assert 0 < classifier.threshold < 1 and classifier.diagnoses[4] == "mel"


def test_unloaded_or_missing_weights_refuse_clearly(tmp_path) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ModelNotReadyError, match="before load"):
        MelanomaClassifier().predict_prepared(np.zeros((1, 72, 96, 3), np.uint8), np.zeros((1, 51)))
    with pytest.raises(ModelNotReadyError, match="weights missing"):
        MelanomaClassifier(tmp_path).load()
