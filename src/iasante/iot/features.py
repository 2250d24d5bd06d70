"""Online per-person baselines on daily wearable summaries: z-scores, RHR-Diff and CuSum.

In the spirit of Mishra et al. 2020 (*Pre-symptomatic detection of COVID-19 from smartwatch data*, Nat Biomed
Eng 4:1208): each person is their own reference. For day ``t`` every signal is compared with the same person's
median and robust spread over the calendar window ``[t - BASELINE_DAYS, t - BASELINE_GAP]``, so a rise that
started one or two days ago is not yet absorbed into the baseline. Everything on day ``t`` uses only days ≤ t.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

BASELINE_DAYS = 30  # calendar days looked back for the personal baseline
BASELINE_GAP = 3  # the last 2 days before t are left out of the baseline
MIN_BASELINE = 4  # days with a value needed before a z-score is computed
CUSUM_K = 0.5  # CuSum allowance, in SD (Page 1954; Mishra et al. 2020 use a CuSum on residual RHR)
CUSUM_LEAK = 0.7  # per calendar day: a leaky CuSum forgets an excursion within about a week
Z_CLIP = 6.0


@dataclass(frozen=True)
class Signal:
    """One daily signal: its column, the direction that means "worse", and the smallest believable SD.

    ``log`` signals (steps) are compared as log1p(value) because activity varies multiplicatively.
    """

    name: str
    label: str
    unit: str
    direction: float
    sd_floor: float
    log: bool = False


SIGNALS = (
    Signal("rhr_bpm", "resting heart rate", "bpm", +1.0, 2.0),
    Signal("hr_avg_bpm", "average heart rate", "bpm", +1.0, 3.0),
    Signal("hr_min_bpm", "lowest heart rate", "bpm", +1.0, 2.0),
    Signal("steps", "steps", "steps/day", -1.0, 0.25, log=True),
    Signal("spo2_pct", "SpO2", "%", -1.0, 0.7),
    Signal("temp_c", "body temperature", "°C", +1.0, 0.15),
    Signal("sleep_h", "sleep", "h", +1.0, 0.5),
)
SIGNAL_NAMES = tuple(s.name for s in SIGNALS)
HR_POOLED = ("rhr_bpm", "hr_avg_bpm", "hr_min_bpm")  # z-scores averaged into ``hr_z`` (RHR-Diff)
FEATURES = (
    "z_rhr_bpm",
    "z_hr_avg_bpm",
    "z_hr_min_bpm",
    "z_steps",
    "z_spo2_pct",
    "z_temp_c",
    "z_sleep_h",
    "hr_z",
    "rhr_diff_3d",
    "cusum_hr",
    "steps_3d",
)


def _robust_center_sd(values: np.ndarray, sd_floor: float) -> tuple[float, float]:
    """Median and MAD-based SD (×1.4826), floored so a flat baseline does not explode the z-score."""
    center = float(np.median(values))
    mad = float(np.median(np.abs(values - center))) * 1.4826
    return center, max(mad, sd_floor)


def person_features(daily: pd.DataFrame, hr_pooled: tuple[str, ...] = HR_POOLED) -> pd.DataFrame:
    """Online features of one person.

    Args:
        daily: one row per calendar day (``day`` as datetime64, sorted or not) with any of the columns in
            ``SIGNAL_NAMES`` (NaN = not measured). Units: bpm, steps/day, %, °C, hours.
        hr_pooled: the heart-rate signals whose z-scores are averaged into ``hr_z``.

    Returns:
        Frame indexed like the sorted input with ``day``, the columns of ``FEATURES`` (z in SD, direction-adjusted
        so that positive = "worse"; missing → 0), and per signal ``base_<name>``,
        ``lo_<name>``, ``hi_<name>`` (baseline median ± 2 robust SD in signal units, NaN if too little
        history) for explanations and plots.
    """
    daily = daily.sort_values("day").reset_index(drop=True)
    day_num = (daily["day"] - pd.Timestamp("1970-01-01")).dt.days.to_numpy()
    n = len(daily)
    out: dict[str, np.ndarray] = {"day": daily["day"].to_numpy()}
    z_dir: dict[str, np.ndarray] = {}
    for sig in SIGNALS:
        raw = daily[sig.name].to_numpy(dtype=float) if sig.name in daily else np.full(n, np.nan)
        values = np.log1p(np.clip(raw, 0, None)) if sig.log else raw
        z = np.full(n, np.nan)
        band = np.full((3, n), np.nan)  # median, median − 2 SD, median + 2 SD (transformed scale)
        for i in range(n):
            if math.isnan(values[i]):
                continue
            window = (day_num >= day_num[i] - BASELINE_DAYS) & (day_num <= day_num[i] - BASELINE_GAP)
            history = values[window & ~np.isnan(values)]
            if len(history) < MIN_BASELINE:
                continue
            center, sd = _robust_center_sd(history, sig.sd_floor)
            z[i] = np.clip(sig.direction * (values[i] - center) / sd, -Z_CLIP, Z_CLIP)
            band[:, i] = [center, center - 2 * sd, center + 2 * sd]
        z_dir[sig.name] = z
        out[f"z_{sig.name}"] = np.nan_to_num(z)
        band = np.expm1(band) if sig.log else band
        out[f"base_{sig.name}"], out[f"lo_{sig.name}"], out[f"hi_{sig.name}"] = band
    hr_stack = np.vstack([z_dir[name] for name in hr_pooled])
    counts = (~np.isnan(hr_stack)).sum(axis=0)
    has_hr = counts > 0
    hr_z = np.where(has_hr, np.nansum(hr_stack, axis=0) / np.maximum(counts, 1), np.nan)
    out["hr_z"] = np.nan_to_num(hr_z)
    out["rhr_diff_3d"] = _trailing_mean(day_num, hr_z, 3)
    out["steps_3d"] = _trailing_mean(day_num, z_dir["steps"], 3)
    out["cusum_hr"] = _cusum(day_num, hr_z)
    return pd.DataFrame(out)


def _trailing_mean(day_num: np.ndarray, values: np.ndarray, days: int) -> np.ndarray:
    """Mean of the non-missing values over the calendar days ``[t - days + 1, t]`` (0 if none)."""
    result = np.zeros(len(values))
    for i in range(len(values)):
        window = (day_num > day_num[i] - days) & (day_num <= day_num[i]) & ~np.isnan(values)
        if window.any():
            result[i] = float(values[window].mean())
    return result


def _cusum(day_num: np.ndarray, z: np.ndarray) -> np.ndarray:
    """Leaky one-sided CuSum ``S_t = max(0, S_prev·leak^gap + z_t − k)`` on the residual heart-rate z-score.

    The leak keeps a slow drift after an illness (absorbed later by the baseline) from piling up for weeks.
    """
    result = np.zeros(len(z))
    s, last = 0.0, None
    for i in range(len(z)):
        if last is not None:
            s *= CUSUM_LEAK ** max(int(day_num[i] - last), 1)
        if not math.isnan(z[i]):
            s = max(0.0, s + float(z[i]) - CUSUM_K)
        last = day_num[i]
        result[i] = s
    return result


def cohort_features(daily: pd.DataFrame, hr_pooled: tuple[str, ...] = HR_POOLED) -> pd.DataFrame:
    """:func:`person_features` for every ``user_code`` of a daily frame (one row per user-day)."""
    parts = []
    for user, group in daily.groupby("user_code", sort=True):
        feats = person_features(group.drop(columns="user_code"), hr_pooled)
        feats.insert(0, "user_code", user)
        parts.append(feats)
    if not parts:
        return pd.DataFrame(columns=["user_code", "day", *FEATURES])
    return pd.concat(parts, ignore_index=True)
