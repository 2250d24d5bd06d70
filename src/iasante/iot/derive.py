"""Scores derived from stored readings: NEWS2 on each new vital set, daily early-warning alerts, COVID suspicion.

Called after every ingested batch with the patients it touched, in the same transaction, so a reading and the
alert it causes commit together.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from itertools import groupby
from typing import Any

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from iasante.iot.db import Alert, Patient, Reading, Score
from iasante.iot.ingest import IngestResult, Message, store_batch
from iasante.iot.model import EarlyWarningDetector
from iasante.iot.news2 import VitalSet, parameter_scores, risk_band

NEWS2_METRICS = ("resp_rate", "spo2_pct", "systolic_bp", "hr_bpm", "temp_c", "on_oxygen", "consciousness")
REQUIRED_NEWS2 = ("resp_rate", "spo2_pct", "systolic_bp", "hr_bpm", "temp_c")
# A new vital set is taken when one of these is measured (heart rate alone streams continuously from wearables
# and is then taken as the latest value, so a 1 Hz pulse stream does not re-score NEWS2 every second).
SET_TRIGGERS = frozenset(NEWS2_METRICS) - {"hr_bpm"}
VITAL_SET_WINDOW = timedelta(hours=4)  # a vital set = latest value of each parameter in the past 4 h
DAILY_AGG = {"rhr_bpm": "avg", "hr_bpm": "avg", "steps": "sum", "spo2_pct": "avg", "temp_c": "avg", "sleep_h": "sum"}
HISTORY_DAYS = 45  # daily history fed to the detector (baseline window 30 d + margin)
ACVPU = "ACVPU"


def _aware(ts: datetime) -> datetime:
    return ts if ts.tzinfo else ts.replace(tzinfo=UTC)


def news2_for(session: Session, patient: Patient, since: datetime) -> list[Score]:
    """Score every complete vital set with a reading at or after ``since``; alert when risk is not low."""
    rows = session.execute(
        select(Reading.ts, Reading.metric, Reading.value)
        .where(
            Reading.patient_id == patient.id, Reading.metric.in_(NEWS2_METRICS), Reading.ts >= since - VITAL_SET_WINDOW
        )
        .order_by(Reading.ts)
    ).all()
    if not set(REQUIRED_NEWS2) <= {r.metric for r in rows}:
        return []  # no complete vital set possible: skip the scan (high-rate heart-rate streams)
    latest: dict[str, tuple[datetime, float]] = {}
    complete: dict[datetime, dict[str, float]] = {}
    for raw_ts, group in groupby(rows, key=lambda r: r.ts):  # one pass, a reading time at a time
        ts, metrics = _aware(raw_ts), set()
        for r in group:
            latest[r.metric] = (ts, r.value)
            metrics.add(r.metric)
        if ts >= since and metrics & SET_TRIGGERS:
            current = {m: v for m, (t, v) in latest.items() if ts - VITAL_SET_WINDOW <= t}
            if all(m in current for m in REQUIRED_NEWS2):
                complete[ts] = current
    scores = []
    for ts, values in list(complete.items())[-50:]:
        assumed = [m for m in ("on_oxygen", "consciousness") if m not in values]
        vitals = VitalSet(
            values["resp_rate"],
            values["spo2_pct"],
            patient.spo2_scale,
            bool(values.get("on_oxygen", 0)),
            values["systolic_bp"],
            values["hr_bpm"],
            ACVPU[int(values.get("consciousness", 0))],
            values["temp_c"],
        )
        parts = parameter_scores(vitals)
        total = sum(parts.values())
        risk = risk_band(total, 3 in parts.values())
        detail: dict[str, Any] = {"parameters": parts, "vitals": vitals.__dict__, "assumed": assumed}
        scores.append(_upsert_score(session, patient.id, "news2", ts, total, risk, detail))
        if risk != "low":
            moved = ", ".join(f"{k} {v}" for k, v in parts.items() if v)
            _upsert_alert(session, patient.id, "news2", ts, float(total), f"NEWS2 {total} ({risk}): {moved}")
    return scores


def daily_frame(session: Session, patient_id: int, since_day: datetime) -> pd.DataFrame:
    """Daily summaries (``day`` + signal columns in detector units) of one patient from ``since_day``."""
    day = func.date(Reading.ts)
    value = Reading.value
    rows = session.execute(
        select(day.label("day"), Reading.metric, func.avg(value), func.sum(value), func.min(value))
        .where(Reading.patient_id == patient_id, Reading.metric.in_(DAILY_AGG), Reading.ts >= since_day)
        .group_by(day, Reading.metric)
    ).all()
    records: dict[str, dict[str, float]] = {}
    for d, metric, avg, total, low in rows:
        record = records.setdefault(str(d), {})
        record[metric] = float(total if DAILY_AGG[metric] == "sum" else avg)
        if metric == "hr_bpm":
            record["hr_min_bpm"] = float(low)  # the day's lowest heart rate, mostly asleep (night-time proxy)
    frame = pd.DataFrame([{"day": k, **v} for k, v in records.items()])
    if frame.empty:
        return frame
    frame["day"] = pd.to_datetime(frame["day"])
    frame = frame.rename(columns={"hr_bpm": "hr_avg_bpm"})
    return frame.sort_values("day").reset_index(drop=True)


def early_alerts_for(
    session: Session, patient_id: int, since: datetime, detector: EarlyWarningDetector
) -> pd.DataFrame:
    """Run the detector on the patient's recent daily history; store alerts for days ≥ ``since``'s day."""
    first_day = datetime(since.year, since.month, since.day, tzinfo=UTC)
    daily = daily_frame(session, patient_id, first_day - timedelta(days=HISTORY_DAYS))
    if daily.empty:
        return daily
    result = detector.detect(daily.assign(user_code=str(patient_id)))
    for row in result.itertuples():
        day = row.day.to_pydatetime().replace(tzinfo=UTC)
        if row.alert and day >= first_day:
            _upsert_alert(session, patient_id, "presymptomatic", day, float(row.score), row.explanation)
    return result


class EarlyAlertThrottle:
    """Runs the daily detector for a patient at most once every ``interval_s``.

    Its inputs are daily summaries, so re-running it on every batch of a 1 Hz heart-rate stream is wasted work;
    deferred runs are remembered and done by :meth:`run_pending` when the stream goes quiet.
    """

    def __init__(self, interval_s: float = 5.0) -> None:
        self.interval_s = interval_s
        self._last: dict[int, float] = {}
        self._pending: dict[int, datetime] = {}

    def due(self, patient_id: int, since: datetime) -> bool:
        """True if the detector should run now; otherwise the run is deferred (earliest ``since`` kept)."""
        now = time.monotonic()
        if now - self._last.get(patient_id, -1e9) >= self.interval_s:
            self._last[patient_id] = now
            self._pending.pop(patient_id, None)
            return True
        self._pending[patient_id] = min(since, self._pending.get(patient_id, since))
        return False

    @property
    def pending(self) -> bool:
        return bool(self._pending)

    def run_pending(self, session: Session, detector: EarlyWarningDetector) -> int:
        """Run every deferred detection; returns how many patients were updated."""
        pending, self._pending = self._pending, {}
        for patient_id, since in pending.items():
            self._last[patient_id] = time.monotonic()
            early_alerts_for(session, patient_id, since, detector)
        return len(pending)


def update_patients(
    session: Session,
    result: IngestResult,
    detector: EarlyWarningDetector | None,
    throttle: EarlyAlertThrottle | None = None,
) -> None:
    """Recompute NEWS2 (new vital sets) and early alerts (new daily data) for the patients of a batch."""
    if result.since is None:
        return
    for patient in session.scalars(select(Patient).where(Patient.id.in_(result.patients))):
        metrics = result.metrics.get(patient.id, set())
        if metrics & SET_TRIGGERS:
            news2_for(session, patient, result.since)
        if (
            detector is not None
            and metrics & set(DAILY_AGG)
            and (throttle is None or throttle.due(patient.id, result.since))
        ):
            early_alerts_for(session, patient.id, result.since, detector)


def process_batch(
    session: Session,
    messages: list[Message],
    devices: dict[str, int] | None,
    detector: EarlyWarningDetector | None,
    throttle: EarlyAlertThrottle | None = None,
) -> IngestResult:
    """Store a batch of messages and recompute what they change, in the caller's transaction."""
    result = store_batch(session, messages, devices)
    update_patients(session, result, detector, throttle)
    return result


def _upsert_score(
    session: Session, patient_id: int, kind: str, ts: datetime, value: float, risk: str, detail: dict[str, Any]
) -> Score:
    score = session.scalar(select(Score).where(Score.patient_id == patient_id, Score.kind == kind, Score.ts == ts))
    if score is None:
        score = Score(patient_id=patient_id, kind=kind, ts=ts)
        session.add(score)
    score.value, score.risk, score.detail = value, risk, detail
    return score


def _upsert_alert(session: Session, patient_id: int, kind: str, ts: datetime, score: float, text: str) -> None:
    alert = session.scalar(select(Alert).where(Alert.patient_id == patient_id, Alert.kind == kind, Alert.ts == ts))
    if alert is None:
        session.add(Alert(patient_id=patient_id, kind=kind, ts=ts, score=score, explanation=text[:500]))
        session.flush()
    elif alert.acknowledged_at is None:
        alert.score, alert.explanation = max(alert.score, score), text[:500]


def covid_suspicion(latest: dict[str, float], recent_early_alert: bool) -> tuple[int, list[str]]:
    """A transparent 0–10 COVID-19 suspicion score from the latest vitals and the symptom survey.

    Points: reported symptoms (``symptom_score`` count, up to 4: Menni et al. 2020, Nat Med 26:1037, symptom
    reports predict positivity), fever ≥ 37.8 °C (+2), SpO2 ≤ 94 % (+2), heart rate ≥ 100 bpm (+1), respiration
    ≥ 21 /min (+1, NEWS2 band), a pre-symptomatic wearable alert in the last 3 days (+2). Capped at 10. A triage
    aid, not a validated diagnostic.
    """
    points, reasons = 0, []
    rules = [
        ("symptom_score", lambda v: min(int(v), 4), "symptoms reported"),
        ("temp_c", lambda v: 2 if v >= 37.8 else 0, "fever"),
        ("spo2_pct", lambda v: 2 if v <= 94 else 0, "low SpO2"),
        ("hr_bpm", lambda v: 1 if v >= 100 else 0, "tachycardia"),
        ("resp_rate", lambda v: 1 if v >= 21 else 0, "fast breathing"),
    ]
    for metric, rule, label in rules:
        if metric in latest and (p := rule(latest[metric])):
            points += p
            reasons.append(f"{label} (+{p})")
    if recent_early_alert:
        points += 2
        reasons.append("wearable early alert (+2)")
    return min(points, 10), reasons
