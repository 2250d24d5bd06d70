"""Detector: online features, tail calibration, committed weights, seeded training reproduces itself."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from iasante.core.errors import ModelNotReadyError
from iasante.iot.evaluate import choose_threshold, label_days, per_participant, summarise
from iasante.iot.features import FEATURES, person_features
from iasante.iot.model import WEIGHTS_FILE, EarlyWarningDetector, load_detector
from iasante.iot.train import train

DEMO = Path(__file__).resolve().parents[2] / "src" / "iasante" / "iot" / "demo"


def test_features_shape_and_causality() -> None:
    days = pd.date_range("2020-01-01", periods=20)
    daily = pd.DataFrame({"day": days, "rhr_bpm": [60.0] * 15 + [70, 72, np.nan, 75, 76], "steps": 5000.0})
    feats = person_features(daily)
    assert len(feats) == 20 and set(FEATURES) <= set(feats.columns)
    truncated = person_features(daily.iloc[:16])
    np.testing.assert_allclose(feats[list(FEATURES)].iloc[:16].to_numpy(), truncated[list(FEATURES)].to_numpy())
    assert feats["z_rhr_bpm"].iloc[15] > 3 and feats["cusum_hr"].iloc[19] > feats["cusum_hr"].iloc[15]
    assert feats["z_rhr_bpm"].iloc[:4].eq(0).all()  # no baseline yet


def test_committed_weights_load_and_are_small() -> None:
    det = load_detector()
    assert WEIGHTS_FILE.stat().st_size < 1_000_000 and 0.5 < det.watch_threshold < det.threshold < 1.0
    assert set(det.reference_) >= {"hr_z", "cusum_hr"} and "z_steps" not in det.statistics


def test_unfitted_and_missing_weights_raise(tmp_path: Path) -> None:
    with pytest.raises(ModelNotReadyError):
        EarlyWarningDetector().predict_proba_features(pd.DataFrame({f: [0.0] for f in FEATURES}))
    with pytest.raises(ModelNotReadyError):
        load_detector(tmp_path / "none.json")
    (tmp_path / "bad.json").write_text("{")
    with pytest.raises(ModelNotReadyError):
        load_detector(tmp_path / "bad.json")


def test_threshold_respects_false_alert_budget() -> None:
    frame = pd.DataFrame({"away": [True] * 300 + [False] * 10, "has_data": True, "onset": pd.Timestamp("2020")})
    scores = np.r_[np.linspace(0, 1, 300), np.ones(10)]
    threshold = choose_threshold(scores, frame, max_false_per_month=1.0)  # 10 allowed on 300 days
    assert int((scores[:300] >= threshold).sum()) == 10


def test_metrics_per_participant() -> None:
    rows = []
    for rel in range(-40, 10):
        rows.append(
            {
                "user_code": "u1",
                "rel_day": rel,
                "in_window": -7 <= rel <= 3,
                "away": rel < -14,
                "has_data": True,
                "has_hr": True,
                "alert": int(rel in (-3, -30)),
                "onset": pd.Timestamp("2020-04-01"),
            }
        )
    per_user = per_participant(pd.DataFrame(rows))
    stats = summarise(per_user)
    assert stats["sensitivity"] == 1.0 and stats["median_first_alert_rel_day"] == -3
    assert stats["n_evaluable"] == stats["n_evaluable_any"] == 1
    assert stats["false_alerts_per_month"] == pytest.approx(1 / 26 * 30)


def _days(user: str, rel_days: list[int], has_hr: bool) -> list[dict[str, object]]:
    onset = pd.Timestamp("2020-04-01")
    return [
        {
            "user_code": user,
            "rel_day": rel,
            "in_window": -7 <= rel <= 3,
            "away": rel < -14,
            "has_data": True,
            "has_hr": has_hr,
            "alert": 0,
            "onset": onset,
        }
        for rel in rel_days
    ]


def test_enough_data_rule_is_the_same_for_everyone() -> None:
    """≥ 7 days in the 28 days before the window and ≥ 3 in it; heart rate for the primary rule."""
    rows = (
        _days("hr_ok", [*range(-35, -28), -5, 0, 2], has_hr=True)
        + _days("steps_only", [*range(-20, -13), -5, 0, 2], has_hr=False)
        + _days("short_baseline", [*range(-14, -8), -5, 0, 2], has_hr=True)  # 6 days
        + _days("old_baseline", [*range(-60, -40), -5, 0, 2], has_hr=True)  # before the 28 days
        + _days("sparse_window", [*range(-20, -10), -5, 0], has_hr=True)  # 2 window days
    )
    per_user = per_participant(pd.DataFrame(rows)).set_index("user_code")
    assert per_user["evaluable"].to_dict() == {
        "hr_ok": True,
        "old_baseline": False,
        "short_baseline": False,
        "sparse_window": False,
        "steps_only": False,
    }
    assert per_user["evaluable_any"].sum() == 2 and per_user.loc["steps_only", "evaluable_any"]


def test_impossible_onset_dates_are_unknown() -> None:
    days = pd.DataFrame({"user_code": ["a", "b"], "day": pd.to_datetime(["2020-04-01", "2020-04-01"])})
    participants = pd.DataFrame({"user_code": ["a", "b"], "onset": pd.to_datetime(["1967-01-30", "2020-04-03"])})
    labelled = label_days(days, participants)
    assert labelled["onset"].isna().tolist() == [True, False] and labelled["rel_day"].iloc[1] == -2


def test_training_is_seeded_and_reproducible(tmp_path: Path) -> None:
    first = train(tmp_path / "a" / "detector.json", folder=DEMO, n_boot=50)
    second = train(tmp_path / "b" / "detector.json", folder=DEMO, n_boot=50)
    assert (tmp_path / "a" / "detector.json").read_text() == (tmp_path / "b" / "detector.json").read_text()
    assert first["model"]["sensitivity"] == second["model"]["sensitivity"]
    metrics = json.loads((tmp_path / "a" / "metrics.json").read_text())
    assert {"model", "rhr_diff", "cusum", "final_threshold"} <= set(metrics)


def test_alert_explains_heart_rate_and_names_the_step_drop() -> None:
    days = pd.date_range("2020-03-01", periods=40)
    daily = pd.DataFrame(
        {
            "user_code": "u1",
            "day": days,
            "rhr_bpm": [60.0, 61.0, 59.0, 62.0] * 9 + [60.0, 70.0, 72.0, 75.0],
            "hr_min_bpm": [50.0, 51.0, 49.0, 52.0] * 9 + [50.0, 58.0, 60.0, 62.0],
            "steps": [8000.0, 9000.0, 8500.0, 7500.0] * 9 + [8000.0, 3000.0, 2000.0, 1500.0],
        }
    )
    det = EarlyWarningDetector(threshold=0.95).fit(person_features(daily.iloc[:36].drop(columns="user_code")))
    result = det.detect(daily)
    last = result.iloc[-1]
    assert last["alert"] == 1 and "heart" in last["explanation"] and "steps" in last["explanation"]


def test_selection_check_runs_blind_per_fold() -> None:
    from iasante.iot.selection import VARIANTS, nested_selection

    report = nested_selection(folder=DEMO, n_boot=20)
    assert set(report["chosen"]) <= set(VARIANTS) and sum(report["chosen"].values()) == 3
    assert 0.0 <= report["false_alerts_per_month"] and "per_participant" in report
