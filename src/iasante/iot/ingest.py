"""Parse, validate and store device readings: JSON or FHIR R4 Observations, idempotent, with dead letters.

Topic scheme (MQTT, QoS 1): ``iasante/devices/<device_id>/readings`` carries JSON; ``.../fhir`` carries a FHIR R4
Observation or Bundle of Observations (LOINC codes). JSON payloads are one object or a list of objects::

    {"ts": "2020-04-01T08:00:00Z", "metric": "hr_bpm", "value": 72}
    {"ts": "2020-04-01T08:00:00Z", "values": {"hr_bpm": 72, "spo2_pct": 97}}

A reading is keyed by (device_id, metric, ts): storing it twice is a no-op. A malformed message or an
out-of-range value goes to ``iot_dead_letter`` with the reason.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from iasante.core.db import utcnow
from iasante.core.errors import InputDataError
from iasante.iot.db import DeadLetter, Device, Reading

TOPIC_PREFIX = "iasante/devices"


@dataclass(frozen=True)
class Metric:
    """A measured quantity: LOINC code, UCUM unit and the plausible range (outside → dead letter)."""

    loinc: str
    unit: str
    low: float
    high: float


METRICS = {
    "hr_bpm": Metric("8867-4", "/min", 20, 250),
    "rhr_bpm": Metric("40443-4", "/min", 20, 220),
    "spo2_pct": Metric("59408-5", "%", 40, 100),
    "temp_c": Metric("8310-5", "Cel", 25, 45),
    "resp_rate": Metric("9279-1", "/min", 0, 80),
    "systolic_bp": Metric("8480-6", "mm[Hg]", 30, 300),
    "steps": Metric("55423-8", "{steps}", 0, 100_000),
    "sleep_h": Metric("93832-4", "h", 0, 24),
    "on_oxygen": Metric("3151-8", "{0/1}", 0, 1),  # inhaled O2 flow: any flow > 0 reads as on oxygen
    "consciousness": Metric("67775-7", "{ACVPU 0-4}", 0, 4),  # 0 A, 1 C, 2 V, 3 P, 4 U
    "symptom_score": Metric("75325-1", "{0-10}", 0, 10),  # self-reported symptom count (survey)
}
LOINC_TO_METRIC = {m.loinc: name for name, m in METRICS.items()} | {"2708-6": "spo2_pct", "8462-4": ""}


@dataclass(frozen=True)
class Message:
    """One received message (MQTT, HTTP or a file line), before parsing."""

    source: str
    topic: str
    device_id: str
    payload: bytes


def device_of_topic(topic: str) -> tuple[str, str]:
    """``iasante/devices/<id>/<kind>`` → (device_id, kind); raises on any other topic."""
    parts = topic.split("/")
    if len(parts) != 4 or "/".join(parts[:2]) != TOPIC_PREFIX or not parts[2] or parts[3] not in ("readings", "fhir"):
        raise InputDataError(f"topic {topic!r}: expected {TOPIC_PREFIX}/<device_id>/readings or .../fhir")
    return parts[2], parts[3]


def parse_time(text: Any) -> datetime:
    """ISO 8601 with offset (or ``Z``) → aware UTC datetime; naive times are refused (ambiguous)."""
    if isinstance(text, datetime):
        value = text
    else:
        try:
            value = datetime.fromisoformat(str(text).replace("Z", "+00:00"))
        except ValueError:
            raise InputDataError(f"ts {text!r} is not an ISO 8601 time") from None
    if value.tzinfo is None:
        raise InputDataError(f"ts {text!r} has no time zone (add Z or +hh:mm)")
    return value.astimezone(UTC)


def check_value(metric: str, value: Any) -> float:
    """The value as float, or :class:`InputDataError` for an unknown metric or an implausible value."""
    spec = METRICS.get(metric)
    if spec is None:
        raise InputDataError(f"unknown metric {metric!r}; valid: {', '.join(METRICS)}")
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InputDataError(f"{metric}: value {value!r} is not a number")
    number = float(value)
    if not spec.low <= number <= spec.high:
        raise InputDataError(f"{metric}={number:g} outside the plausible range [{spec.low:g}, {spec.high:g}]")
    return number


def parse_json(payload: Any) -> list[tuple[str, datetime, float]]:
    """Readings (metric, ts, value) of a decoded JSON payload; raises on the first problem."""
    items = payload if isinstance(payload, list) else [payload]
    readings = []
    for item in items:
        if not isinstance(item, dict) or "ts" not in item:
            raise InputDataError("each reading needs an object with 'ts' and 'metric'/'value' or 'values'")
        ts = parse_time(item["ts"])
        pairs = (
            item["values"].items()
            if isinstance(item.get("values"), dict)
            else [(item.get("metric"), item.get("value"))]
        )
        for metric, value in pairs:
            if metric == "on_oxygen" and isinstance(value, bool):
                value = int(value)
            readings.append((str(metric), ts, check_value(str(metric), value)))
    if not readings:
        raise InputDataError("no reading in payload")
    return readings


def parse_fhir(payload: Any) -> list[tuple[str, datetime, float]]:
    """Readings of a FHIR R4 Observation or Bundle of Observations, validated with ``fhir.resources`` (R4B)."""
    from fhir.resources.R4B.bundle import Bundle
    from fhir.resources.R4B.observation import Observation
    from pydantic import ValidationError

    if not isinstance(payload, dict):
        raise InputDataError("FHIR payload must be a JSON object")
    try:
        if payload.get("resourceType") == "Bundle":
            resources = [e.resource for e in (Bundle.model_validate(payload).entry or [])]
        else:
            resources = [Observation.model_validate(payload)]
    except ValidationError as exc:
        raise InputDataError(
            f"invalid FHIR resource: {str(exc).splitlines()[0]}; {' '.join(str(exc).splitlines()[1:3])}"
        ) from None
    readings = []
    for obs in resources:
        if getattr(obs, "__resource_type__", "") != "Observation":
            raise InputDataError(f"FHIR Bundle entry {getattr(obs, '__resource_type__', '?')}: only Observations")
        when = obs.effectiveDateTime or (obs.effectiveInstant if hasattr(obs, "effectiveInstant") else None)
        if when is None:
            raise InputDataError("FHIR Observation without effectiveDateTime")
        ts = parse_time(when)
        parts = [(obs.code, obs.valueQuantity)] + [(c.code, c.valueQuantity) for c in (obs.component or [])]
        for code, quantity in parts:
            loincs = [c.code for c in (code.coding or []) if (c.system or "").endswith("loinc.org")]
            metric = next((LOINC_TO_METRIC[c] for c in loincs if c in LOINC_TO_METRIC), None)
            if metric == "" or (metric is None and quantity is None and parts[1:]):
                continue  # diastolic BP, or a panel code whose values are in components
            if metric is None:
                raise InputDataError(f"FHIR Observation: no supported LOINC code in {loincs or 'coding'}")
            if quantity is None or quantity.value is None:
                raise InputDataError(f"FHIR Observation {metric}: valueQuantity missing")
            value = float(quantity.value)
            readings.append((metric, ts, check_value(metric, min(value, 1.0) if metric == "on_oxygen" else value)))
    if not readings:
        raise InputDataError("no Observation value in FHIR payload")
    return readings


def parse_message(message: Message) -> list[tuple[str, datetime, float]]:
    """Decode and validate one message; :class:`InputDataError` says why it is rejected."""
    kind = device_of_topic(message.topic)[1] if message.topic else "readings"
    try:
        payload = json.loads(message.payload)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputDataError(f"payload is not JSON ({exc.__class__.__name__}: {str(exc)[:80]})") from None
    fhir = kind == "fhir" or (isinstance(payload, dict) and "resourceType" in payload)
    return parse_fhir(payload) if fhir else parse_json(payload)


@dataclass
class IngestResult:
    """What one batch did: readings stored (new), duplicates ignored, dead letters, touched patients and the
    earliest reading time (where derived scores must be recomputed from)."""

    stored: int = 0
    duplicates: int = 0
    dead: int = 0
    patients: set[int] = field(default_factory=set)
    since: datetime | None = None
    metrics: dict[int, set[str]] = field(default_factory=dict)  # patient id → metrics it received


_COLUMNS = ("patient_id", "device_id", "metric", "ts", "value", "source", "received_at")
_PG_STAGING = """CREATE TEMP TABLE IF NOT EXISTS iot_reading_in (patient_id integer, device_id varchar(64),
    metric varchar(32), ts timestamptz, value double precision, source varchar(16), received_at timestamptz)
    ON COMMIT DELETE ROWS"""


def _insert_ignore(session: Session, rows: list[dict[str, Any]]) -> int:
    """INSERT skipping existing (device_id, metric, ts) keys; returns the number of new rows.

    PostgreSQL: COPY into a session-local staging table, then one ``INSERT … SELECT … ON CONFLICT DO NOTHING``
    (the fastest bulk path, ~10× a multi-row INSERT). SQLite: one cached statement over all rows.
    """
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        cursor = session.connection().connection.driver_connection.cursor()  # type: ignore[union-attr]
        cursor.execute(_PG_STAGING)
        with cursor.copy(f"COPY iot_reading_in ({', '.join(_COLUMNS)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(tuple(row[c] for c in _COLUMNS))
        cursor.execute(
            f"INSERT INTO iot_reading ({', '.join(_COLUMNS)}) SELECT {', '.join(_COLUMNS)} "
            "FROM iot_reading_in ON CONFLICT (device_id, metric, ts) DO NOTHING"
        )
        inserted = cursor.rowcount
        cursor.execute("TRUNCATE iot_reading_in")
        return int(inserted)
    if dialect != "sqlite":  # pragma: no cover - only SQLite and PostgreSQL are supported
        raise InputDataError(f"database dialect {dialect} not supported by iot ingestion")
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    table = Reading.__table__
    stmt = sqlite_insert(table).on_conflict_do_nothing(index_elements=["device_id", "metric", "ts"])
    return len(session.connection().execute(stmt.returning(table.c.id), rows).all())


def store_batch(session: Session, messages: list[Message], devices: dict[str, int] | None = None) -> IngestResult:
    """Parse and store a batch in the caller's transaction (so an MQTT ack can follow the commit).

    Args:
        devices: cache device_id → patient_id (filled from ``iot_device`` on a miss); inactive or unknown
            devices are dead-lettered.
    """
    devices = devices if devices is not None else {}
    rows, dead, patients = [], [], set()
    now = utcnow()
    for msg in messages:
        try:
            if msg.device_id not in devices:
                device = session.scalar(
                    select(Device).where(Device.device_id == msg.device_id, Device.active.is_(True))
                )
                if device is None:
                    raise InputDataError(f"device {msg.device_id!r} is not registered or not active")
                devices[msg.device_id] = device.patient_id
            patient_id = devices[msg.device_id]
            for metric, ts, value in parse_message(msg):
                rows.append(
                    {
                        "patient_id": patient_id,
                        "device_id": msg.device_id,
                        "metric": metric,
                        "ts": ts,
                        "value": value,
                        "source": msg.source,
                        "received_at": now,
                    }
                )
            patients.add(patient_id)
        except InputDataError as exc:
            dead.append(
                {
                    "received_at": now,
                    "source": msg.source,
                    "topic": msg.topic[:200],
                    "device_id": msg.device_id[:64],
                    "payload": msg.payload.decode("utf-8", "replace")[:20000],
                    "reason": str(exc)[:500],
                }
            )
    stored = _insert_ignore(session, rows) if rows else 0
    if dead:
        session.execute(insert(DeadLetter), dead)
    metrics: dict[int, set[str]] = {}
    for row in rows:
        metrics.setdefault(row["patient_id"], set()).add(row["metric"])
    return IngestResult(
        stored=stored,
        duplicates=len(rows) - stored,
        dead=len(dead),
        patients=patients,
        since=min((r["ts"] for r in rows), default=None),
        metrics=metrics,
    )
