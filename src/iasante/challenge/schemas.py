"""Request and response schemas: what an organiser declares, and the only fields that leave the API.

Truth, split salt and stored predictions never appear in a ``*Public`` schema.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from pydantic import BaseModel, Field, ValidationError, field_validator, model_validator

from iasante.challenge.io import TASKS
from iasante.challenge.scoring import check_metrics
from iasante.core.db import utcnow
from iasante.core.errors import InputDataError

SLUG_PATTERN = r"^[a-z0-9][a-z0-9-]{1,62}$"


class PhaseSpec(BaseModel):
    """A phase: ``development`` scores the public subset, ``final`` the private one (revealed at the end)."""

    name: str = Field(pattern=r"^[a-z][a-z0-9_-]{0,31}$")
    subset: str = Field(pattern=r"^(public|private)$")
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    days: float = Field(30.0, gt=0, description="Length when ends_at is not given.")
    daily_quota: int = Field(5, ge=1, le=1000)
    rule: str = Field("best", pattern=r"^(best|last)$")


class ChallengeSpec(BaseModel):
    """What an organiser declares (YAML or JSON on the CLI, a form on the web)."""

    slug: str = Field(pattern=SLUG_PATTERN)
    title: str = Field(min_length=3, max_length=200)
    description: str = ""
    task: str
    primary_metric: str
    secondary_metrics: list[str] = []
    classes: list[str] = []
    public_fraction: float = Field(0.5, gt=0.0, lt=1.0)
    participant_data: str = ""
    phases: list[PhaseSpec] = Field(
        default_factory=lambda: [
            PhaseSpec(name="development", subset="public", days=30, daily_quota=5, rule="best"),
            PhaseSpec(name="final", subset="private", days=7, daily_quota=5, rule="best"),
        ]
    )

    @field_validator("task")
    @classmethod
    def _known_task(cls, value: str) -> str:
        if value not in TASKS:
            raise ValueError(f"task {value!r} unknown; valid: {', '.join(TASKS)}")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> ChallengeSpec:
        check_metrics([self.primary_metric, *self.secondary_metrics], self.task)
        names = [p.name for p in self.phases]
        if not names or len(set(names)) != len(names):
            raise ValueError("phases: give at least one phase, with distinct names")
        if self.task == "multiclass" and self.classes and len(set(self.classes)) < 2:
            raise ValueError("classes: a multiclass task needs at least two classes")
        return self

    def phase_windows(self, now: datetime | None = None) -> list[tuple[PhaseSpec, datetime, datetime]]:
        """(phase, start, end) with defaults: each phase starts when the previous one ends."""
        cursor = now or utcnow()
        windows = []
        for phase in self.phases:
            start = phase.starts_at or cursor
            end = phase.ends_at or start + timedelta(days=phase.days)
            if end <= start:
                raise InputDataError(f"phase {phase.name!r}: ends_at must be after starts_at")
            windows.append((phase, start, end))
            cursor = end
        return windows


def parse_spec(data: object, name: str) -> ChallengeSpec:
    """Validate a spec, turning pydantic's errors into one readable :class:`InputDataError`."""
    try:
        return ChallengeSpec.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'spec'}: {e['msg']}" for e in exc.errors())
        raise InputDataError(f"{name}: {problems}") from exc


class PhasePublic(BaseModel):
    name: str
    subset: str
    starts_at: datetime
    ends_at: datetime
    daily_quota: int
    rule: str
    revealed: bool
    is_open: bool


class ChallengePublic(BaseModel):
    slug: str
    title: str
    description: str
    task: str
    primary_metric: str
    secondary_metrics: list[str]
    classes: list[str]
    n_test: int
    participant_data: str
    has_train_file: bool
    has_test_ids_file: bool
    created_by: str
    phases: list[PhasePublic]


class SubmissionPublic(BaseModel):
    id: int
    challenge: str
    phase: str
    team: str
    username: str
    label: str
    is_baseline: bool
    filename: str
    status: str
    error: str | None
    scores: dict[str, float | None] | None
    created_at: datetime
    scored_at: datetime | None
    counts_against_quota: bool


class BoardRowPublic(BaseModel):
    rank: int
    name: str
    is_baseline: bool
    submission_id: int
    value: float | None
    ci_low: float | None
    ci_high: float | None
    rank_low: int
    rank_high: int
    stability: float
    tied: bool
    qi: float | None


class BoardPublic(BaseModel):
    metric: str
    title: str
    higher_is_better: bool
    primary: bool
    qi_reference: str
    rows: list[BoardRowPublic]


class LeaderboardPublic(BaseModel):
    challenge: str
    phase: str
    subset: str
    visible: bool
    note: str
    n_rows_scored: int
    boards: list[BoardPublic]


class TeamPublic(BaseModel):
    id: int
    challenge: str
    name: str
    members: list[str]
    pending_invitations: list[str]


class InvitationPublic(BaseModel):
    id: int
    challenge: str
    team: str
    invitee: str
    invited_by: str
    status: str
