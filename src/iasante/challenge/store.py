"""Shared row-level helpers: look-ups, the encrypted truth, the public/private split, packed predictions."""

from __future__ import annotations

import hashlib
import io
from datetime import datetime

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from iasante.challenge.db import Challenge, Phase, Submission
from iasante.challenge.io import Predictions, TruthTable, read_truth
from iasante.challenge.schemas import ChallengePublic, PhasePublic
from iasante.core import crypto
from iasante.core.auth import Principal
from iasante.core.db import utcnow
from iasante.core.errors import NotFoundError
from iasante.core.models import Role

ORGANISER_ROLES = (Role.data_scientist,)


def aware(moment: datetime) -> datetime:
    """SQLite hands back naive datetimes; every stored time is UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=utcnow().tzinfo)


def is_organiser(who: Principal) -> bool:
    return who.role in (Role.admin, *ORGANISER_ROLES)


def get_challenge_row(session: Session, slug: str) -> Challenge:
    challenge = session.scalar(select(Challenge).where(Challenge.slug == slug))
    if challenge is None:
        known = session.scalars(select(Challenge.slug)).all()
        raise NotFoundError(f"challenge {slug!r} not found; known: {', '.join(known) or '(none)'}")
    return challenge


def phases_of(session: Session, challenge: Challenge) -> list[Phase]:
    return list(session.scalars(select(Phase).where(Phase.challenge_id == challenge.id).order_by(Phase.starts_at)))


def phase_named(session: Session, challenge: Challenge, name: str | None) -> Phase:
    """The phase called ``name``, else the open one, else the last that started, else the first."""
    phases = phases_of(session, challenge)
    if name:
        for phase in phases:
            if phase.name == name:
                return phase
        raise NotFoundError(f"phase {name!r} not found; valid: {', '.join(p.name for p in phases)}")
    now = utcnow()
    started = [p for p in phases if aware(p.starts_at) <= now]
    open_now = [p for p in started if now < aware(p.ends_at)]
    return (open_now or started or phases)[-1 if (open_now or started) else 0]


def to_public(session: Session, challenge: Challenge) -> ChallengePublic:
    now = utcnow()
    phases = [
        PhasePublic(
            name=p.name,
            subset=p.subset,
            starts_at=aware(p.starts_at),
            ends_at=aware(p.ends_at),
            daily_quota=p.daily_quota,
            rule=p.rule,
            revealed=p.revealed,
            is_open=aware(p.starts_at) <= now < aware(p.ends_at),
        )
        for p in phases_of(session, challenge)
    ]
    return ChallengePublic(
        slug=challenge.slug,
        title=challenge.title,
        description=challenge.description,
        task=challenge.task,
        primary_metric=challenge.primary_metric,
        secondary_metrics=list(challenge.secondary_metrics),
        classes=list(challenge.classes),
        n_test=challenge.n_test,
        participant_data=challenge.participant_data,
        has_train_file=challenge.train_file_id is not None,
        has_test_ids_file=challenge.test_ids_file_id is not None,
        created_by=challenge.created_by,
        phases=phases,
    )


def load_truth(challenge: Challenge) -> TruthTable:
    """Decrypt and parse the hidden truth (never leaves the server)."""
    data = crypto.decrypt(challenge.truth_blob, associated=f"challenge:{challenge.slug}".encode())
    return read_truth(data, "truth", challenge.task, tuple(challenge.classes))


def subset_mask(challenge: Challenge, ids: np.ndarray, subset: str) -> np.ndarray:
    """Rows of the public (or private) part: a keyed hash of each id, stable, unguessable without the salt."""
    cut = challenge.public_fraction * 2**32
    draws = np.array(
        [int.from_bytes(hashlib.sha256(f"{challenge.split_salt}:{i}".encode()).digest()[:4], "big") for i in ids],
        dtype=np.float64,
    )
    public = draws < cut
    return public if subset == "public" else ~public


def board_context(challenge: Challenge, phase: Phase) -> str:
    """Names a phase's scoring context (truth, split, phase) for the bootstrap cache of its leaderboards."""
    return f"{challenge.truth_sha256}:{challenge.split_salt}:{phase.id}"


def pack(predictions: Predictions) -> bytes:
    buffer = io.BytesIO()
    arrays = {k: v for k, v in (("score", predictions.score), ("prediction", predictions.prediction)) if v is not None}
    np.savez_compressed(buffer, **arrays)  # type: ignore[arg-type]  # numpy stub quirk with **kwargs
    return buffer.getvalue()


def unpack(blob: bytes) -> Predictions:
    with np.load(io.BytesIO(blob)) as data:
        return Predictions(
            data["score"] if "score" in data else None, data["prediction"] if "prediction" in data else None
        )


def visible_scores(phase: Phase, sub: Submission) -> dict[str, float | None] | None:
    """Private-phase scores stay hidden until the phase ends or is revealed."""
    if sub.scores is None or (phase.subset == "private" and not phase_is_revealed(phase)):
        return None
    return dict(sub.scores)


def phase_is_revealed(phase: Phase) -> bool:
    return phase.subset == "public" or phase.revealed or utcnow() >= aware(phase.ends_at)
