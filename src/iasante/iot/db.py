"""CoIoT-19 tables: monitored patients, registered devices, readings, dead letters, NEWS2 scores and alerts.

Readings are unique on (device_id, metric, ts): a message delivered twice (MQTT QoS 1 re-delivery, a replayed
file) is stored once. Nothing invalid is dropped silently: it lands in ``iot_dead_letter`` with the reason.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, DateTime, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from iasante.core.db import Base, utcnow


class Patient(Base):
    """A monitored person, known only by pseudonym; ``spo2_scale`` 2 is prescribed for hypercapnic failure."""

    __tablename__ = "iot_patient"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    pseudo: Mapped[str] = mapped_column(String(64), unique=True, index=True)
    label: Mapped[str] = mapped_column(String(100), default="")
    ward: Mapped[str] = mapped_column(String(64), default="")
    spo2_scale: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Device(Base):
    """A connected device allowed to publish only under ``iasante/devices/<device_id>/#``."""

    __tablename__ = "iot_device"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    device_id: Mapped[str] = mapped_column(String(64), unique=True, index=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("iot_patient.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(32), default="wearable")
    password_hash: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Reading(Base):
    """One measurement: ``metric`` in :data:`iasante.iot.ingest.METRICS` (unit in the name), UTC timestamp."""

    __tablename__ = "iot_reading"
    __table_args__ = (UniqueConstraint("device_id", "metric", "ts", name="uq_iot_reading_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("iot_patient.id", ondelete="CASCADE"), index=True)
    device_id: Mapped[str] = mapped_column(String(64))
    metric: Mapped[str] = mapped_column(String(32))
    ts: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    value: Mapped[float] = mapped_column(Float)
    source: Mapped[str] = mapped_column(String(16), default="mqtt")
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class DeadLetter(Base):
    """A rejected message or reading, kept with why it was rejected."""

    __tablename__ = "iot_dead_letter"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    source: Mapped[str] = mapped_column(String(16))
    topic: Mapped[str] = mapped_column(String(200), default="")
    device_id: Mapped[str] = mapped_column(String(64), default="")
    payload: Mapped[str] = mapped_column(Text)
    reason: Mapped[str] = mapped_column(String(500))


class Score(Base):
    """A NEWS2 (or COVID suspicion) score computed on a complete vital set at ``ts``."""

    __tablename__ = "iot_score"
    __table_args__ = (UniqueConstraint("patient_id", "kind", "ts", name="uq_iot_score_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("iot_patient.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    ts: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    value: Mapped[float] = mapped_column(Float)
    risk: Mapped[str] = mapped_column(String(16), default="")
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class Alert(Base):
    """An alert (``presymptomatic`` day, or ``news2`` medium/high) with its explanation and acknowledgement."""

    __tablename__ = "iot_alert"
    __table_args__ = (UniqueConstraint("patient_id", "kind", "ts", name="uq_iot_alert_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("iot_patient.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    ts: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    score: Mapped[float] = mapped_column(Float)
    explanation: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    acknowledged_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    acknowledged_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
