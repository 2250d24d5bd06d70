"""Selection-aware check of the detector design: the variant is chosen inside each held-out fold.

``iasante iot train`` reports the committed design under leave-one-participant-out, but that design was picked
among a few variants by looking at those same held-out results. This check repeats the whole choice blind:
for each held-out participant, every variant of :data:`VARIANTS` is scored by an inner 5-fold (by participant)
cross-validation on the *other* participants (sensitivity first, then fewer false alerts), the winner gets its
threshold from the others only, and only then is the held-out participant scored. The result estimates what
the selection procedure itself achieves, without the optimism of choosing on the evaluation.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from iasante.iot.evaluate import evaluate_alerts, per_participant, summarise
from iasante.iot.features import HR_POOLED
from iasante.iot.model import STATISTICS, EarlyWarningDetector
from iasante.iot.train import SEED, ScoreFn, _groups, _healthy, _oof_threshold, load_cohort, welltory_dir

_TWO_HR = ("rhr_bpm", "hr_avg_bpm")
_SUFFIX = "__2"  # columns of the heart-rate statistics pooled from resting and average heart rate only
_HR_STATS = ("hr_z", "cusum_hr")
_OTHER = ("z_spo2_pct", "z_temp_c", "z_sleep_h")
VARIANTS: dict[str, tuple[str, ...]] = {
    "1.0.0 (heart rate of 2 signals + steps)": (*(s + _SUFFIX for s in _HR_STATS), "z_steps", *_OTHER),
    "heart rate of 2 signals": (*(s + _SUFFIX for s in _HR_STATS), *_OTHER),
    "1.1.0 (heart rate of 3 signals)": STATISTICS,
    "heart rate of 3 signals + steps": (*STATISTICS, "z_steps"),
    "heart rate of 3 signals + 3-day steps": (*STATISTICS, "steps_3d"),
}


def _scores(statistics: tuple[str, ...]) -> ScoreFn:
    def score(train: pd.DataFrame, test: pd.DataFrame, _all: pd.DataFrame) -> np.ndarray:
        return EarlyWarningDetector(statistics=statistics).fit(_healthy(train)).predict_proba_features(test)

    return score


def _inner_merit(frame: pd.DataFrame, statistics: tuple[str, ...], seed: int) -> tuple[float, float]:
    """(sensitivity, −false alerts per month) of a variant under 5-fold by-participant CV of ``frame``."""
    rng = np.random.default_rng(seed)
    alerts = np.zeros(len(frame), dtype=int)
    score_fn = _scores(statistics)
    for fold in np.array_split(rng.permutation(_groups(frame)), 5):
        test_mask = frame["user_code"].isin(fold).to_numpy()
        train = frame[~test_mask].reset_index(drop=True)
        threshold = _oof_threshold(train, score_fn, seed)
        alerts[test_mask] = (score_fn(train, frame[test_mask], frame) >= threshold).astype(int)
    stats = summarise(per_participant(frame.assign(alert=alerts)))
    sensitivity = stats["sensitivity"] if stats["sensitivity"] == stats["sensitivity"] else 0.0
    return float(sensitivity), -float(stats["false_alerts_per_month"])


def nested_selection(
    folder: Path | None = None,
    seed: int = SEED,
    n_boot: int = 2000,
    on_progress: Callable[[float, str], None] | None = None,
) -> dict[str, Any]:
    """Leave-one-participant-out metrics of "choose the best variant on the others, then apply it".

    Returns:
        The metrics of :func:`iasante.iot.evaluate.evaluate_alerts` plus ``chosen`` (variant → outer folds).
    """
    folder = folder or welltory_dir()
    frame = load_cohort(folder, HR_POOLED)
    two = load_cohort(folder, _TWO_HR)
    for name in _HR_STATS:
        frame[name + _SUFFIX] = two[name].to_numpy()
    users = frame["user_code"].unique()
    alerts = np.zeros(len(frame), dtype=int)
    chosen: Counter[str] = Counter()
    for i, user in enumerate(users):
        if on_progress:
            on_progress(i / len(users), f"participant {i + 1}/{len(users)}")
        test_mask = (frame["user_code"] == user).to_numpy()
        train = frame[~test_mask].reset_index(drop=True)
        best = max(VARIANTS, key=lambda name: _inner_merit(train, VARIANTS[name], seed))
        chosen[best] += 1
        score_fn = _scores(VARIANTS[best])
        threshold = _oof_threshold(train, score_fn, seed)
        alerts[test_mask] = (score_fn(train, frame[test_mask], frame) >= threshold).astype(int)
    return {**evaluate_alerts(frame.assign(alert=alerts), seed=seed, n_boot=n_boot), "chosen": dict(chosen)}
