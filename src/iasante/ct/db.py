"""CT tables: one row per analysed study (an uploaded slice or zipped series), linked to its job and file."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, DateTime, Float, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from iasante.core.db import Base, utcnow


class CtStudy(Base):
    """An uploaded CT study and, once its job succeeds, the triage call.

    ``patient`` holds only the pseudonym; ``result`` is the full per-slice JSON; heat-maps are encrypted files
    under ``home/files/ct/<id>-<k>.bin``.
    """

    __tablename__ = "ct_study"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    owner: Mapped[str] = mapped_column(String(64), index=True)
    patient: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    file_id: Mapped[str | None] = mapped_column(ForeignKey("core_file.id", ondelete="SET NULL"), nullable=True)
    input_name: Mapped[str] = mapped_column(String(255))
    job_id: Mapped[int | None] = mapped_column(ForeignKey("core_job.id", ondelete="SET NULL"), nullable=True)
    status: Mapped[str] = mapped_column(String(16), default="queued")
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    n_slices: Mapped[int | None] = mapped_column(Integer, nullable=True)
    p_abnormal: Mapped[float | None] = mapped_column(Float, nullable=True)
    p_covid: Mapped[float | None] = mapped_column(Float, nullable=True)
    prediction: Mapped[str | None] = mapped_column(String(16), nullable=True)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    model_version: Mapped[str | None] = mapped_column(String(32), nullable=True)
    demo: Mapped[bool] = mapped_column(Boolean, default=False)
