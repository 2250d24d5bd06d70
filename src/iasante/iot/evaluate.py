"""The issue's target, measured per participant: alerts near symptom onset and false alerts away from it.

Definitions (relative day = day − symptom onset, in calendar days):

* **onset**: the participant's ``symptoms_onset``; a date before ``FIRST_POSSIBLE_ONSET`` (the first reported
  COVID-19 cases, December 2019) is a data-entry error (several are birth dates) and is treated as unknown;
* **window**: relative days −7 … +3 (Alavi et al. 2022, Nat Med 28:175, alert window around onset);
* **away**: relative days < −14 or > +28 (healthy periods; the days between are neither, as symptoms may have
  started earlier than reported and heart rate stays up during recovery);
* **enough data** (the same rule for every participant and signal set): at least ``MIN_BASELINE_DAYS`` days
  with the signal in the ``BASELINE_SPAN`` days before the window (relative days −35 … −8, so a personal baseline
  exists when the window opens; the detector itself needs 4) and at least ``MIN_WINDOW_DAYS`` days with it
  inside the 11-day window (a detector cannot alert on days without data);
* **evaluable** (primary): enough *heart-rate* data (resting, average or lowest heart rate). RHR-Diff, CuSum
  (Mishra et al. 2020, Nat Biomed Eng 4:1208) and NightSignal (Alavi et al. 2022) are heart-rate detectors, so
  they can only act on participants whose device records heart rate before and around onset;
  ``evaluable_any`` also counts participants with enough heart-rate *or* step data (phone pedometers only);
* **sensitivity**: share of evaluable participants with ≥ 1 alert day in the window (``sensitivity_any``: the
  same among ``evaluable_any``);
* **false-alert rate**: alert days on away days per 30 away days with data (person-months), pooled.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

FIRST_POSSIBLE_ONSET = pd.Timestamp("2019-12-01")
WINDOW = (-7, 3)
AWAY_BEFORE, AWAY_AFTER = -14, 28
BASELINE_SPAN = 28
MIN_BASELINE_DAYS = 7
MIN_WINDOW_DAYS = 3
TARGET_SENSITIVITY = 0.80
TARGET_FALSE_PER_MONTH = 1.2


def label_days(scored: pd.DataFrame, participants: pd.DataFrame) -> pd.DataFrame:
    """Add ``rel_day``, ``in_window`` and ``away`` (bool) to user-day rows; rows of users without onset get NaN."""
    frame = scored.merge(participants[["user_code", "onset"]], on="user_code", how="left")
    frame["onset"] = frame["onset"].where(frame["onset"] >= FIRST_POSSIBLE_ONSET)
    frame["rel_day"] = (frame["day"] - frame["onset"]).dt.days
    frame["in_window"] = frame["rel_day"].between(*WINDOW)
    frame["away"] = (frame["rel_day"] < AWAY_BEFORE) | (frame["rel_day"] > AWAY_AFTER)
    return frame


HR_COLUMNS = ("rhr_bpm", "hr_avg_bpm", "hr_min_bpm")


def has_data(daily: pd.DataFrame) -> pd.Series:
    """True for user-days with at least one heart-rate, steps, SpO2 or temperature value."""
    cols = [c for c in (*HR_COLUMNS, "steps", "spo2_pct", "temp_c") if c in daily]
    return daily[cols].notna().any(axis=1)


def has_heart_rate(daily: pd.DataFrame) -> pd.Series:
    """True for user-days with a resting, average or lowest heart rate."""
    return daily[[c for c in HR_COLUMNS if c in daily]].notna().any(axis=1)


def per_participant(labelled: pd.DataFrame) -> pd.DataFrame:
    """One row per user with an onset: evaluable, detected, first alert day, away days, away alert days.

    Args:
        labelled: output of :func:`label_days` with ``alert`` (0/1), ``has_data`` and ``has_hr`` (bool) columns
            (``has_hr``: the day has heart rate; ``has_data`` days without heart rate are counted as step data).
    """
    rows = []
    for user, g in labelled[labelled["onset"].notna()].groupby("user_code"):
        data = g[g["has_data"]]
        window = data[data["in_window"]]
        alerts_in_window = window[window["alert"] == 1]
        away = data[data["away"]]
        rows.append(
            {
                "user_code": user,
                "evaluable": _enough(data[data["has_hr"]]),
                "evaluable_any": _enough(data),
                "detected": bool(len(alerts_in_window)),
                "first_alert_rel_day": float(alerts_in_window["rel_day"].min()) if len(alerts_in_window) else np.nan,
                "away_days": int(len(away)),
                "away_alert_days": int(away["alert"].sum()),
            }
        )
    return pd.DataFrame(
        rows,
        columns=[
            "user_code",
            "evaluable",
            "evaluable_any",
            "detected",
            "first_alert_rel_day",
            "away_days",
            "away_alert_days",
        ],
    )


def _enough(days: pd.DataFrame) -> bool:
    """``MIN_BASELINE_DAYS`` days in the ``BASELINE_SPAN`` days before the window, ``MIN_WINDOW_DAYS`` inside it."""
    before = days["rel_day"].between(WINDOW[0] - BASELINE_SPAN, WINDOW[0] - 1).sum()
    return bool(before >= MIN_BASELINE_DAYS and days["in_window"].sum() >= MIN_WINDOW_DAYS)


def summarise(per_user: pd.DataFrame) -> dict[str, float]:
    """Sensitivity, false alerts per person-month and median lead (relative day of the first window alert)."""
    ev = per_user[per_user["evaluable"]]
    ev_any = per_user[per_user["evaluable_any"]]
    away_days = per_user["away_days"].sum()
    return {
        "n_evaluable": int(len(ev)),
        "sensitivity": float(ev["detected"].mean()) if len(ev) else float("nan"),
        "n_evaluable_any": int(len(ev_any)),
        "sensitivity_any": float(ev_any["detected"].mean()) if len(ev_any) else float("nan"),
        "false_alerts_per_month": float(per_user["away_alert_days"].sum() / away_days * 30) if away_days else 0.0,
        "median_first_alert_rel_day": float(ev["first_alert_rel_day"].median())
        if ev["detected"].any()
        else float("nan"),
        "away_person_months": float(away_days / 30),
    }


def bootstrap_ci(per_user: pd.DataFrame, n_boot: int = 2000, seed: int = 0) -> dict[str, list[float]]:
    """95 % percentile CIs of :func:`summarise`'s rates, resampling participants with replacement."""
    rng = np.random.default_rng(seed)
    draws: dict[str, list[float]] = {"sensitivity": [], "sensitivity_any": [], "false_alerts_per_month": []}
    for _ in range(n_boot):
        stats = summarise(per_user.iloc[rng.integers(0, len(per_user), len(per_user))])
        for name, values in draws.items():
            if not np.isnan(stats[name]):
                values.append(stats[name])
    return {name: _percentiles(values) for name, values in draws.items()}


def _percentiles(values: list[float]) -> list[float]:
    return [float(np.percentile(values, 2.5)), float(np.percentile(values, 97.5))] if values else [np.nan] * 2


def choose_threshold(scores: np.ndarray, labelled: pd.DataFrame, max_false_per_month: float) -> float:
    """Lowest threshold whose false-alert rate on ``labelled``'s away days stays ≤ ``max_false_per_month``.

    Args:
        scores: shape (n_rows,), aligned with ``labelled`` (which needs ``away``, ``has_data``, ``onset``).
    """
    mask = labelled["away"].to_numpy() & labelled["has_data"].to_numpy() & labelled["onset"].notna().to_numpy()
    away_scores = np.sort(scores[mask])[::-1]
    allowed = int(np.floor(max_false_per_month * len(away_scores) / 30))
    if len(away_scores) == 0:
        return 0.5
    if allowed >= len(away_scores):
        return float(away_scores[-1])
    return float(np.nextafter(away_scores[allowed], 1.0))


def evaluate_alerts(labelled: pd.DataFrame, seed: int = 0, n_boot: int = 2000) -> dict[str, Any]:
    """Summary and bootstrap CIs of a labelled frame with ``alert`` and ``has_data``."""
    per_user = per_participant(labelled)
    return {
        **summarise(per_user),
        "ci95": bootstrap_ci(per_user, n_boot=n_boot, seed=seed),
        "per_participant": per_user.to_dict(orient="records"),
    }
