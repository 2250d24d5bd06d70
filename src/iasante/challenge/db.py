"""Challenge tables: challenges (with encrypted hidden truth), phases, teams, invitations, submissions."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from iasante.core.db import Base, utcnow


class Challenge(Base):
    """A challenge; ``truth_blob`` is the truth CSV encrypted with AES-GCM and is never served."""

    __tablename__ = "challenge_challenge"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True, index=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    task: Mapped[str] = mapped_column(String(16))
    primary_metric: Mapped[str] = mapped_column(String(32))
    secondary_metrics: Mapped[list[str]] = mapped_column(JSON, default=list)
    classes: Mapped[list[str]] = mapped_column(JSON, default=list)
    truth_blob: Mapped[bytes] = mapped_column(LargeBinary)
    truth_sha256: Mapped[str] = mapped_column(String(64))
    n_test: Mapped[int] = mapped_column(Integer)
    public_fraction: Mapped[float] = mapped_column(Float, default=0.5)
    split_salt: Mapped[str] = mapped_column(String(32))
    participant_data: Mapped[str] = mapped_column(Text, default="")
    train_file_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    test_ids_file_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Phase(Base):
    """A phase: ``development`` scores the public subset (live board), ``final`` the private one."""

    __tablename__ = "challenge_phase"
    __table_args__ = (UniqueConstraint("challenge_id", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    challenge_id: Mapped[int] = mapped_column(ForeignKey("challenge_challenge.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(32))
    subset: Mapped[str] = mapped_column(String(8))  # "public" or "private"
    starts_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    ends_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    daily_quota: Mapped[int] = mapped_column(Integer, default=5)
    rule: Mapped[str] = mapped_column(String(8), default="best")  # "best" or "last"
    revealed: Mapped[bool] = mapped_column(Boolean, default=False)


class Team(Base):
    __tablename__ = "challenge_team"
    __table_args__ = (UniqueConstraint("challenge_id", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    challenge_id: Mapped[int] = mapped_column(ForeignKey("challenge_challenge.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(64))
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Member(Base):
    """One user's membership; a user belongs to at most one team per challenge."""

    __tablename__ = "challenge_member"
    __table_args__ = (UniqueConstraint("challenge_id", "username"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    challenge_id: Mapped[int] = mapped_column(ForeignKey("challenge_challenge.id", ondelete="CASCADE"), index=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("challenge_team.id", ondelete="CASCADE"), index=True)
    username: Mapped[str] = mapped_column(String(64), index=True)


class Invitation(Base):
    __tablename__ = "challenge_invitation"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("challenge_team.id", ondelete="CASCADE"), index=True)
    invitee: Mapped[str] = mapped_column(String(64), index=True)
    invited_by: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending, accepted, declined
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Submission(Base):
    """A prediction file and its life: rejected | queued | scoring | scored | failed.

    ``aligned`` holds the validated predictions aligned to the truth order (``.npz`` bytes) so that
    leaderboards bootstrap without re-reading files; ``scores`` are on the phase's subset only.
    """

    __tablename__ = "challenge_submission"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    phase_id: Mapped[int] = mapped_column(ForeignKey("challenge_phase.id", ondelete="CASCADE"), index=True)
    team_id: Mapped[int | None] = mapped_column(ForeignKey("challenge_team.id", ondelete="CASCADE"), nullable=True)
    username: Mapped[str] = mapped_column(String(64))
    label: Mapped[str] = mapped_column(String(200), default="")
    is_baseline: Mapped[bool] = mapped_column(Boolean, default=False)
    filename: Mapped[str] = mapped_column(String(255))
    file_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    status: Mapped[str] = mapped_column(String(16), index=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    job_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    dispatches: Mapped[int] = mapped_column(Integer, default=0)
    aligned: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    scores: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    scored_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
