"""File import and replay sources: Welltory CSV, PhysioNet 2012 long-format vitals, FHIR bundles.

Each source is turned into the same device messages as MQTT (one JSON payload per device and time), so files,
the HTTP API and the broker share one validation path, one idempotency key and one dead-letter table.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from iasante.core.auth import Principal
from iasante.core.errors import InputDataError
from iasante.iot.db import DeadLetter, Device
from iasante.iot.derive import process_batch
from iasante.iot.ingest import Message
from iasante.iot.io import read_csv, read_wearables
from iasante.iot.service import add_device, add_patient, detector_or_none, ingest_payload

# PhysioNet 2012 parameter → metric (invasive systolic BP preferred; the non-invasive one fills gaps).
PHYSIONET_METRICS = {
    "HR": "hr_bpm",
    "RespRate": "resp_rate",
    "Temp": "temp_c",
    "SaO2": "spo2_pct",
    "SysABP": "systolic_bp",
    "NISysABP": "systolic_bp",
    "GCS": "consciousness",
    "FiO2": "on_oxygen",
    "MechVent": "on_oxygen",
}
WELLTORY_TO_METRIC = {
    "rhr_bpm": "rhr_bpm",
    "hr_avg_bpm": "hr_bpm",
    "steps": "steps",
    "spo2_pct": "spo2_pct",
    "temp_c": "temp_c",
}


@dataclass(frozen=True)
class Replay:
    """One timed device message of a replayed source: patient id (real, pseudonymised on import)."""

    at: datetime
    patient_id: str
    device_id: str
    payload: dict[str, Any]


def gcs_to_acvpu(gcs: float) -> int:
    """Glasgow Coma Scale → ACVPU code 0–4 (A 15, C 13–14, V 9–12, P 4–8, U 3): an approximation for replay."""
    if gcs >= 15:
        return 0
    if gcs >= 13:
        return 1
    if gcs >= 9:
        return 2
    return 3 if gcs >= 4 else 4


def welltory_replay(path: Path, users: list[str] | None = None) -> Iterator[Replay]:
    """Daily messages (noon UTC) of a Welltory ``wearables.csv``; user-days without any signal are skipped."""
    daily = read_wearables(path)
    if users:
        daily = daily[daily["user_code"].isin(users)]
    for row in daily.sort_values(["day", "user_code"]).itertuples(index=False):
        values = {
            WELLTORY_TO_METRIC[k]: float(getattr(row, k)) for k in WELLTORY_TO_METRIC if pd.notna(getattr(row, k))
        }
        if values:
            at = row.day.to_pydatetime().replace(hour=12, tzinfo=UTC)
            yield Replay(
                at, f"WELLTORY-{row.user_code}", f"wt-{row.user_code}", {"ts": at.isoformat(), "values": values}
            )


def welltory_survey_replay(path: Path) -> Iterator[Replay]:
    """Daily ``symptom_score`` messages (18:00 UTC) from a Welltory ``surveys.csv``: the number of COVID-19
    symptom scales (``S_COVID_*`` except OVERALL; 1 = no symptom … 6 = extremely severe) rated ≥ 2 that day."""
    frame = read_csv(path, ("user_code", "scale", "created_at", "value"), "surveys")
    frame = frame[frame["scale"].str.startswith("S_COVID_") & (frame["scale"] != "S_COVID_OVERALL")]
    days = pd.to_datetime(frame["created_at"].str[:10], format="%Y-%m-%d", errors="coerce")
    values = pd.to_numeric(frame["value"], errors="coerce")
    if days.isna().any() or values.isna().any():
        raise InputDataError(f"{path}: created_at must be YYYY-MM-DD and value a number on every row")
    present = frame.assign(day=days, present=(values >= 2).astype(int))
    for (user, day), group in present.groupby(["user_code", "day"], sort=True):
        at = day.to_pydatetime().replace(hour=18, tzinfo=UTC)
        yield Replay(
            at,
            f"WELLTORY-{user}",
            f"wt-{user}",
            {"ts": at.isoformat(), "values": {"symptom_score": float(group["present"].sum())}},
        )


def physionet_replay(path: Path, start: datetime, records: list[str] | None = None) -> Iterator[Replay]:
    """Messages of PhysioNet 2012 long-format vitals (``RecordID,Time,Parameter,Value``, Time HH:MM since
    admission), one per record and time, shifted so that admission is ``start``. Missing values (−1) are
    skipped; implausible ones are sent as recorded (and dead-lettered by ingestion)."""
    frame = read_csv(path, ("RecordID", "Time", "Parameter", "Value"), "PhysioNet vitals")
    frame = frame[frame["Parameter"].isin(PHYSIONET_METRICS)]
    if records:
        frame = frame[frame["RecordID"].isin(records)]
    values = pd.to_numeric(frame["Value"], errors="coerce")
    frame = frame.assign(value=values)[values.notna() & (values != -1)]
    hours_minutes = frame["Time"].str.split(":", expand=True).astype(int) if len(frame) else None
    frame = frame.assign(minutes=hours_minutes[0] * 60 + hours_minutes[1]) if hours_minutes is not None else frame
    for (minutes, record), group in frame.sort_values("minutes").groupby(["minutes", "RecordID"], sort=True):
        vals: dict[str, float] = {}
        for parameter, value in zip(group["Parameter"], group["value"], strict=True):
            metric = PHYSIONET_METRICS[parameter]
            if metric == "on_oxygen":
                value = float(value > (0.21 if parameter == "FiO2" else 0))
                value = max(value, vals.get("on_oxygen", 0.0))
            elif metric == "consciousness":
                value = float(gcs_to_acvpu(value))
            elif metric == "systolic_bp" and parameter == "NISysABP" and "systolic_bp" in vals:
                continue
            vals[metric] = float(value)
        at = start + timedelta(minutes=int(minutes))
        yield Replay(at, f"PHYSIONET-{record}", f"icu-{record}", {"ts": at.isoformat(), "values": vals})


def _import(session: Session, who: Principal, replays: Iterator[Replay], ward: str, demo: bool) -> dict[str, int]:
    by_device: dict[str, list[Replay]] = {}
    for replay in replays:
        by_device.setdefault(replay.device_id, []).append(replay)
    totals = {"patients": 0, "stored": 0, "duplicates": 0, "dead": 0}
    detector = detector_or_none()
    for device_id, items in by_device.items():
        patient = add_patient(
            session,
            who,
            items[0].patient_id,
            label=("Demo " if demo else "") + items[0].patient_id.split("-", 1)[0].title(),
            ward=ward,
        )
        if session.scalar(select(Device).where(Device.device_id == device_id)) is None:
            add_device(session, who, device_id, patient, update_broker=False)
        messages = [
            Message("file", f"iasante/devices/{device_id}/readings", device_id, json.dumps(r.payload).encode())
            for r in items
        ]
        result = process_batch(session, messages, None, detector)
        totals["patients"] += 1
        totals["stored"] += result.stored
        totals["duplicates"] += result.duplicates
        totals["dead"] += result.dead
    return totals


def import_welltory(session: Session, who: Principal, path: Path, ward: str = "", demo: bool = False) -> dict[str, int]:
    """Import a Welltory ``wearables.csv`` (one patient and device per ``user_code``)."""
    return _import(session, who, welltory_replay(path), ward, demo)


def import_welltory_surveys(
    session: Session, who: Principal, path: Path, ward: str = "", demo: bool = False
) -> dict[str, int]:
    """Import a Welltory ``surveys.csv`` as daily symptom counts (feeds the COVID-19 suspicion score)."""
    return _import(session, who, welltory_survey_replay(path), ward, demo)


def import_physionet(
    session: Session, who: Principal, path: Path, start: datetime, ward: str = "", demo: bool = False
) -> dict[str, int]:
    """Import PhysioNet 2012 long-format vitals (one patient and device per ``RecordID``)."""
    return _import(session, who, physionet_replay(path, start), ward, demo)


def import_fhir(session: Session, who: Principal, path: Path, device_id: str) -> dict[str, Any]:
    """Import a FHIR R4 Bundle (or Observation) JSON file for a registered device.

    Returns:
        The batch counters, plus ``reason`` when the file was rejected (it is then kept as a dead letter).
    """
    path = Path(path)
    if not path.is_file():
        raise InputDataError(f"{path}: FHIR file not found")
    data = path.read_bytes()
    if not data.strip():
        raise InputDataError(f"{path}: empty FHIR file")
    result: dict[str, Any] = ingest_payload(session, who, device_id, data, kind="fhir", source="file")
    if result["dead"]:
        result["reason"] = session.scalar(select(DeadLetter.reason).order_by(DeadLetter.id.desc()).limit(1))
    return result
