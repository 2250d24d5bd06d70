"""LAG tables: review cases and their classified variants with the biologist's decisions."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, DateTime, Float, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from iasante.core.db import Base, utcnow


class LagCase(Base):
    """One analysed sample: the uploaded VCF/BED (encrypted in core_file), build, status and counts."""

    __tablename__ = "lag_case"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    owner: Mapped[str] = mapped_column(String(64), index=True)
    name: Mapped[str] = mapped_column(String(200))
    patient: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)  # pseudonym only
    genome: Mapped[str] = mapped_column(String(8))
    file_id: Mapped[str | None] = mapped_column(ForeignKey("core_file.id", ondelete="SET NULL"), nullable=True)
    source_name: Mapped[str] = mapped_column(String(255), default="")
    status: Mapped[str] = mapped_column(String(16), default="queued")  # queued/running/done/failed
    job_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    n_variants: Mapped[int] = mapped_column(Integer, default=0)
    errors: Mapped[list[str]] = mapped_column(JSON, default=list)
    demo: Mapped[bool] = mapped_column(Boolean, default=False)
    signed_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    signed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)

    variants: Mapped[list[LagVariant]] = relationship(
        back_populates="case", cascade="all, delete-orphan", order_by="LagVariant.rank"
    )


class LagVariant(Base):
    """A classified variant of a case; ``rank`` 1 is the most likely pathogenic (AI score order)."""

    __tablename__ = "lag_variant"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("lag_case.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)  # 0-based order in the input file
    rank: Mapped[int] = mapped_column(Integer, index=True)
    var_id: Mapped[str] = mapped_column(String(200))
    in_chrom: Mapped[str] = mapped_column(String(32))
    in_start: Mapped[str] = mapped_column(String(32))
    in_end: Mapped[str] = mapped_column(String(32))
    chrom: Mapped[str] = mapped_column(String(4), index=True)
    start: Mapped[int] = mapped_column(Integer)  # 0-based, case genome
    end: Mapped[int] = mapped_column(Integer)  # exclusive
    svtype: Mapped[str] = mapped_column(String(8))
    size_bp: Mapped[int] = mapped_column(Integer)
    acmg_points: Mapped[float] = mapped_column(Float)
    acmg_class: Mapped[str] = mapped_column(String(20), index=True)
    rank_score: Mapped[float] = mapped_column(Float)
    genes: Mapped[str] = mapped_column(Text, default="")
    iscn: Mapped[str] = mapped_column(String(200), default="")
    cytoband: Mapped[str] = mapped_column(String(40), default="")
    evidence: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # criteria + annotation summary
    contributions: Mapped[dict[str, float]] = mapped_column(JSON, default=dict)
    decision_class: Mapped[str | None] = mapped_column(String(20), nullable=True)
    decision_comment: Mapped[str] = mapped_column(Text, default="")
    decision_criteria: Mapped[list[str]] = mapped_column(JSON, default=list)  # section 5 codes, e.g. ["5A"]
    decision_report: Mapped[bool] = mapped_column(Boolean, default=False)
    decided_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)

    case: Mapped[LagCase] = relationship(back_populates="variants")

    @property
    def final_class(self) -> str:
        """The biologist's class when set, else the automatic ACMG class."""
        return self.decision_class or self.acmg_class

    @property
    def total_points(self) -> float:
        """Automatic points plus the biologist's section 5 criteria."""
        from iasante.lag.acmg import with_section5

        return with_section5(self.acmg_points, list(self.decision_criteria or []))

    @property
    def total_class(self) -> str:
        """The ACMG class of :attr:`total_points`."""
        from iasante.lag.acmg import class_of

        return class_of(self.total_points)
