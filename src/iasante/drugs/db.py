"""COVIDrug-19 tables: repositioning screens and docking runs (no patient data: compounds only)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, DateTime, Float, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from iasante.core.db import Base, utcnow


class DrugScreen(Base):
    """One ranked screen of a compound library; ``rows`` keeps the ranked table (JSON records)."""

    __tablename__ = "drugs_screen"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    owner: Mapped[str] = mapped_column(String(64), index=True)
    library: Mapped[str] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(16), default="queued")
    job_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    n_scored: Mapped[int] = mapped_column(Integer, default=0)
    n_errors: Mapped[int] = mapped_column(Integer, default=0)
    rows: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    errors: Mapped[list[str]] = mapped_column(JSON, default=list)
    model_version: Mapped[str] = mapped_column(String(32), default="")
    demo: Mapped[bool] = mapped_column(Boolean, default=False)


class DrugDocking(Base):
    """One ligand docked into Mpro: Vina scores (kcal/mol) and poses (SDF text, receptor frame)."""

    __tablename__ = "drugs_docking"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    owner: Mapped[str] = mapped_column(String(64), index=True)
    name: Mapped[str] = mapped_column(String(255), default="")
    smiles: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="queued")
    job_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    best_score_kcal: Mapped[float | None] = mapped_column(Float, nullable=True)
    scores_kcal: Mapped[list[float]] = mapped_column(JSON, default=list)
    sdf: Mapped[str] = mapped_column(Text, default="")
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    seconds: Mapped[float | None] = mapped_column(Float, nullable=True)
    demo: Mapped[bool] = mapped_column(Boolean, default=False)
