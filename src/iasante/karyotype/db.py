"""Stored karyotype analyses (one per uploaded metaphase) and the biologist's audited corrections."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, DateTime, Float, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from iasante.core.db import Base, utcnow


class KaryotypeAnalysis(Base):
    """The automatic result and the current (possibly corrected) one; the image stays encrypted in core_file.

    ``chromosomes`` holds one record per object (see ``pipeline.ChromosomeRecord``) with corrections applied;
    ``iscn_auto`` is what the model said, ``iscn`` what the corrected layout gives.
    """

    __tablename__ = "karyotype_analysis"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    owner: Mapped[str] = mapped_column(String(64), index=True)
    patient: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    file_id: Mapped[str] = mapped_column(ForeignKey("core_file.id", ondelete="CASCADE"))
    image_name: Mapped[str] = mapped_column(String(255))
    iscn_auto: Mapped[str] = mapped_column(String(64))
    iscn: Mapped[str] = mapped_column(String(64))
    dark_on_light: Mapped[bool] = mapped_column(Boolean, default=False)
    chromosomes: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    model_version: Mapped[str] = mapped_column(String(32))
    demo: Mapped[bool] = mapped_column(Boolean, default=False)


class KaryotypeCorrection(Base):
    """One change by a biologist: a chromosome moved to another class and/or turned."""

    __tablename__ = "karyotype_correction"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    analysis_id: Mapped[int] = mapped_column(ForeignKey("karyotype_analysis.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    actor: Mapped[str] = mapped_column(String(64))
    chromosome_index: Mapped[int] = mapped_column(Integer)
    old_class: Mapped[str | None] = mapped_column(String(4), nullable=True)
    new_class: Mapped[str | None] = mapped_column(String(4), nullable=True)
    old_angle_deg: Mapped[float] = mapped_column(Float)
    new_angle_deg: Mapped[float] = mapped_column(Float)
