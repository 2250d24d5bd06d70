"""What the CLI and the web pages call: patients and devices, HTTP/file ingestion, ward list, patient view,
alert acknowledgement, status and demo. Imports neither FastAPI nor Typer.

Patient identifiers are pseudonymised (``iasante.core.crypto.pseudonymise``) before anything is stored; every
read or write of a patient's data is audited with the pseudonym only.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from iasante.core import audit
from iasante.core.auth import Principal, hash_password
from iasante.core.crypto import pseudonymise
from iasante.core.db import session_scope, utcnow
from iasante.core.errors import AccessDeniedError, InputDataError, ModelNotReadyError, NotFoundError
from iasante.iot import broker
from iasante.iot.db import Alert, DeadLetter, Device, Patient, Reading, Score
from iasante.iot.derive import covid_suspicion, process_batch
from iasante.iot.ingest import Message
from iasante.iot.model import EarlyWarningDetector, load_detector

DEMO_DIR = Path(__file__).resolve().parent / "demo"
RISK_ORDER = {"high": 3, "medium": 2, "low-medium": 1, "low": 0, "": -1}
PLOT_METRICS = ("hr_bpm", "spo2_pct", "temp_c", "steps")
DEVICE_ROLE = "device"
_HASHER = PasswordHasher()
_NO_DEVICE_HASH = _HASHER.hash("no-such-device")  # verified against too, so unknown ids take as long


@lru_cache(maxsize=1)
def get_detector() -> EarlyWarningDetector:
    """The committed detector, loaded once per process."""
    return load_detector()


def detector_or_none() -> EarlyWarningDetector | None:
    """The detector, or ``None`` (readings are still stored and NEWS2 still computed without weights)."""
    try:
        return get_detector()
    except ModelNotReadyError:
        return None


def system_status() -> dict[str, str]:
    try:
        det = get_detector()
    except ModelNotReadyError as exc:
        return {"state": "no_model", "detail": str(exc)}
    return {
        "state": "ready",
        "detail": f"NEWS2 (RCP 2017) + early-warning detector, alert threshold "
        f"{det.threshold:.4f} (≤ 0.9 false alerts/person-month on training)",
    }


# ---------------------------------------------------------------- patients and devices
def add_patient(
    session: Session, who: Principal, patient_id: str, label: str = "", ward: str = "", spo2_scale: int = 1
) -> Patient:
    """Register a monitored patient (idempotent on the pseudonym of ``patient_id``)."""
    if spo2_scale not in (1, 2):
        raise InputDataError(f"spo2_scale {spo2_scale!r}: must be 1 or 2")
    pseudo = pseudonymise(patient_id)
    patient = session.scalar(select(Patient).where(Patient.pseudo == pseudo))
    if patient is None:
        patient = Patient(pseudo=pseudo, label=label[:100], ward=ward[:64], spo2_scale=spo2_scale)
        session.add(patient)
        session.flush()
        audit.record(session, who.username, "create", "iot_patient", patient.id, patient=pseudo, ip=who.ip)
    return patient


def add_device(
    session: Session,
    who: Principal,
    device_id: str,
    patient: Patient,
    kind: str = "wearable",
    update_broker: bool = True,
) -> str:
    """Register (or re-key) a device for ``patient``; returns its new password (shown once, stored hashed).

    The broker's password file gets the same credentials and a running broker reloads them.
    """
    password = secrets.token_urlsafe(18)
    device = session.scalar(select(Device).where(Device.device_id == device_id))
    if update_broker:
        broker.set_password(device_id, password)
    if device is None:
        device = Device(device_id=device_id, patient_id=patient.id, kind=kind, password_hash="")
        session.add(device)
    elif device.patient_id != patient.id:
        raise InputDataError(f"device {device_id!r} already belongs to another patient")
    device.password_hash, device.active = hash_password(password), True
    if update_broker:
        broker.reload_broker()
    audit.record(session, who.username, "create", "iot_device", device_id, patient=patient.pseudo, ip=who.ip)
    return password


def authenticate_device(session: Session, device_id: str, token: str, ip: str = "") -> Principal:
    """The device itself, from its own credentials (the password of ``device-add``) sent as a bearer token.

    A token opens only its own device's endpoint, like the broker's per-device ACL; a wrong, revoked or
    foreign token is refused (:class:`AccessDeniedError`) and audited.
    """
    device = session.scalar(select(Device).where(Device.device_id == device_id))
    known = device is not None and device.active and bool(device.password_hash)
    try:
        _HASHER.verify(device.password_hash if known and device else _NO_DEVICE_HASH, token)
    except (VerificationError, InvalidHashError):
        known = False
    if not known:
        audit.record(
            None,
            f"device:{device_id}",
            "denied",
            "iot_reading",
            device_id,
            ip=ip,
            outcome="denied",
            detail="invalid device token",
        )
        raise AccessDeniedError(f"device {device_id!r}: invalid device token")
    return Principal(f"device:{device_id}", DEVICE_ROLE, ip)


def find_patient(session: Session, pseudo: str) -> Patient:
    patient = session.scalar(select(Patient).where(Patient.pseudo == pseudo))
    if patient is None:
        raise NotFoundError(f"patient {pseudo!r} not found")
    return patient


# ---------------------------------------------------------------- ingestion (HTTP API and files)
def ingest_payload(
    session: Session, who: Principal, device_id: str, payload: bytes, kind: str = "readings", source: str = "http"
) -> dict[str, int]:
    """Store one JSON or FHIR payload for a registered device (HTTP API), returning the batch counters."""
    topic = f"iasante/devices/{device_id}/{kind}"
    result = process_batch(session, [Message(source, topic, device_id, payload)], None, detector_or_none())
    audit.record(
        session,
        who.username,
        "create",
        "iot_reading",
        device_id,
        ip=who.ip,
        detail=f"stored={result.stored} duplicates={result.duplicates} dead={result.dead}",
    )
    return {"stored": result.stored, "duplicates": result.duplicates, "dead": result.dead}


# ---------------------------------------------------------------- ward list and patient view
def _latest_values(session: Session, patient_id: int, since: datetime) -> dict[str, float]:
    sub = (
        select(Reading.metric, func.max(Reading.ts).label("ts"))
        .where(Reading.patient_id == patient_id, Reading.ts >= since)
        .group_by(Reading.metric)
        .subquery()
    )
    rows = session.execute(
        select(Reading.metric, Reading.value)
        .join(sub, (Reading.metric == sub.c.metric) & (Reading.ts == sub.c.ts))
        .where(Reading.patient_id == patient_id)
    ).all()
    return {metric: value for metric, value in rows}


def ward_list(session: Session, who: Principal) -> list[dict[str, Any]]:
    """Every monitored patient with latest NEWS2, open alerts and COVID suspicion, highest risk first."""
    rows = []
    for patient in session.scalars(select(Patient)):
        last_ts = session.scalar(select(func.max(Reading.ts)).where(Reading.patient_id == patient.id))
        news = session.scalar(
            select(Score)
            .where(Score.patient_id == patient.id, Score.kind == "news2")
            .order_by(Score.ts.desc())
            .limit(1)
        )
        open_alerts = (
            session.scalar(
                select(func.count(Alert.id)).where(Alert.patient_id == patient.id, Alert.acknowledged_at.is_(None))
            )
            or 0
        )
        latest = _latest_values(session, patient.id, last_ts - timedelta(days=3)) if last_ts else {}
        early = bool(
            last_ts
            and session.scalar(
                select(func.count(Alert.id)).where(
                    Alert.patient_id == patient.id,
                    Alert.kind == "presymptomatic",
                    Alert.ts >= last_ts - timedelta(days=3),
                )
            )
        )
        suspicion, reasons = covid_suspicion(latest, early)
        rows.append(
            {
                "pseudo": patient.pseudo,
                "label": patient.label,
                "ward": patient.ward,
                "news2": int(news.value) if news else None,
                "risk": news.risk if news else "",
                "open_alerts": int(open_alerts),
                "suspicion": suspicion,
                "reasons": reasons,
                "last_reading": last_ts,
                "latest": latest,
            }
        )
    rows.sort(key=lambda r: (RISK_ORDER[r["risk"]], r["news2"] or 0, r["open_alerts"], r["suspicion"]), reverse=True)
    audit.record(session, who.username, "read", "iot_ward", None, ip=who.ip, detail=f"{len(rows)} patients")
    return rows


def patient_view(session: Session, who: Principal, pseudo: str, days: int = 60) -> dict[str, Any]:
    """Series (for plots), baseline bands, NEWS2 history and alerts of one patient over its last ``days``."""
    patient = find_patient(session, pseudo)
    last_ts = session.scalar(select(func.max(Reading.ts)).where(Reading.patient_id == patient.id))
    since = (last_ts or utcnow()) - timedelta(days=days)
    readings = session.execute(
        select(Reading.metric, Reading.ts, Reading.value)
        .where(Reading.patient_id == patient.id, Reading.metric.in_(PLOT_METRICS), Reading.ts >= since)
        .order_by(Reading.ts)
    ).all()
    series: dict[str, list[tuple[datetime, float]]] = {m: [] for m in PLOT_METRICS}
    for metric, ts, value in readings:
        series[metric].append((ts, value))
    alerts = session.scalars(
        select(Alert).where(Alert.patient_id == patient.id, Alert.ts >= since).order_by(Alert.ts.desc())
    ).all()
    scores = session.scalars(
        select(Score).where(Score.patient_id == patient.id, Score.ts >= since).order_by(Score.ts.desc()).limit(50)
    ).all()
    audit.record(session, who.username, "read", "iot_patient", patient.id, patient=pseudo, ip=who.ip)
    return {
        "patient": patient,
        "series": series,
        "alerts": alerts,
        "scores": scores,
        "last_reading": last_ts,
        "since": since,
    }


def baseline_bands(session: Session, patient: Patient, since: datetime) -> dict[str, list[tuple]]:
    """Per plotted metric, daily ``(day, median, low, high)`` personal baseline (median ± 2 robust SD)."""
    from iasante.iot.derive import HISTORY_DAYS, daily_frame
    from iasante.iot.features import person_features

    daily = daily_frame(session, patient.id, since - timedelta(days=HISTORY_DAYS))
    if daily.empty:
        return {}
    feats = person_features(daily)
    bands: dict[str, list[tuple]] = {}
    for metric, signal in {
        "hr_bpm": "hr_avg_bpm",
        "steps": "steps",
        "spo2_pct": "spo2_pct",
        "temp_c": "temp_c",
    }.items():
        rows = zip(feats["day"], feats[f"base_{signal}"], feats[f"lo_{signal}"], feats[f"hi_{signal}"], strict=True)
        bands[metric] = [
            (d.to_pydatetime().replace(tzinfo=UTC), b, lo, hi)
            for d, b, lo, hi in rows
            if b == b and d.to_pydatetime().replace(tzinfo=UTC) >= since
        ]
    return bands


def acknowledge(session: Session, who: Principal, alert_id: int, note: str = "") -> Alert:
    """Mark an alert seen by ``who`` (audited); acknowledging twice keeps the first acknowledgement."""
    alert = session.get(Alert, alert_id)
    if alert is None:
        raise NotFoundError(f"alert {alert_id} not found")
    patient = session.get(Patient, alert.patient_id)
    if alert.acknowledged_at is None:
        alert.acknowledged_by, alert.acknowledged_at = who.username, utcnow()
        audit.record(
            session,
            who.username,
            "update",
            "iot_alert",
            alert_id,
            patient=patient.pseudo if patient else None,
            ip=who.ip,
            detail=f"acknowledged {note}"[:500],
        )
    return alert


def patient_of_alert(session: Session, alert: Alert) -> Patient:
    patient = session.get(Patient, alert.patient_id)
    if patient is None:
        raise NotFoundError(f"patient of alert {alert.id} not found")
    return patient


def alert_public(alert: Alert) -> dict[str, Any]:
    """The fields of an alert that leave the API."""
    return {
        "id": alert.id,
        "kind": alert.kind,
        "ts": alert.ts.isoformat(),
        "score": alert.score,
        "explanation": alert.explanation,
        "acknowledged_by": alert.acknowledged_by,
        "acknowledged_at": alert.acknowledged_at.isoformat() if alert.acknowledged_at else None,
    }


def last_dead_reason(session: Session) -> str:
    return session.scalar(select(DeadLetter.reason).order_by(DeadLetter.id.desc()).limit(1)) or ""


def dead_letters(session: Session, who: Principal, limit: int = 100) -> list[DeadLetter]:
    audit.record(session, who.username, "read", "iot_dead_letter", None, ip=who.ip)
    return list(session.scalars(select(DeadLetter).order_by(DeadLetter.id.desc()).limit(limit)))


# ---------------------------------------------------------------- demo
def load_demo(owner: str) -> str:
    """Load the shipped demo (3 Welltory participants with symptom surveys, 1 PhysioNet ICU stay) once."""
    from iasante.iot.files import import_physionet, import_welltory, import_welltory_surveys

    who = Principal(owner, "admin", "demo")
    with session_scope() as session:
        wt = import_welltory(session, who, DEMO_DIR / "wearables.csv", ward="Demo COVID ward", demo=True)
        surveys = import_welltory_surveys(session, who, DEMO_DIR / "surveys.csv", ward="Demo COVID ward", demo=True)
        icu = import_physionet(
            session,
            who,
            DEMO_DIR / "physionet_stay.csv",
            ward="Demo ICU",
            start=datetime(2020, 4, 1, tzinfo=UTC),
            demo=True,
        )
    new = wt["stored"] + surveys["stored"] + icu["stored"]
    old = wt["duplicates"] + surveys["duplicates"] + icu["duplicates"]
    return f"iot: {wt['patients'] + icu['patients']} demo patient(s), {new} new reading(s), {old} already present"
