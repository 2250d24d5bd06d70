"""Stored dermoscopy analyses (one row per uploaded image), linked to the encrypted upload in core_file."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, DateTime, Float, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from iasante.core.db import Base, utcnow


class DermAnalysis(Base):
    """Calibrated probabilities, decision and ABCD values of one image; the image itself stays encrypted."""

    __tablename__ = "derm_analysis"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    owner: Mapped[str] = mapped_column(String(64), index=True)
    patient: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    file_id: Mapped[str] = mapped_column(ForeignKey("core_file.id", ondelete="CASCADE"))
    image_name: Mapped[str] = mapped_column(String(255))
    p_melanoma: Mapped[float] = mapped_column(Float)
    prediction: Mapped[str] = mapped_column(String(16))
    probabilities: Mapped[dict[str, Any]] = mapped_column(JSON)
    abcd: Mapped[dict[str, Any]] = mapped_column(JSON)
    lesion_found: Mapped[bool] = mapped_column(Boolean, default=True)
    model_version: Mapped[str] = mapped_column(String(32))
    demo: Mapped[bool] = mapped_column(Boolean, default=False)
