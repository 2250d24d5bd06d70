"""What the CLI and the web call: challenges here; submissions, teams and leaderboards re-exported.

Also the platform hooks :func:`system_status` and :func:`load_demo`.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from pathlib import Path

import yaml
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError

from iasante.challenge.boards import leaderboard
from iasante.challenge.db import Challenge, Phase, Submission
from iasante.challenge.io import read_truth
from iasante.challenge.schemas import ChallengePublic, ChallengeSpec
from iasante.challenge.store import ORGANISER_ROLES, get_challenge_row, is_organiser, phase_named, to_public
from iasante.challenge.submissions import get_submission, list_submissions, submit
from iasante.challenge.teams import answer_invitation, invite, join, team_of
from iasante.core import audit, crypto, files
from iasante.core.auth import Principal, check_roles
from iasante.core.db import session_scope
from iasante.core.errors import InputDataError, NotFoundError
from iasante.core.models import Role

BASELINE_LABEL = "Baseline: logistic regression on image statistics"

__all__ = [
    "answer_invitation",
    "create_challenge",
    "get_challenge",
    "get_submission",
    "invite",
    "is_organiser",
    "leaderboard",
    "list_challenges",
    "list_submissions",
    "load_demo",
    "participant_file",
    "reveal_phase",
    "submit",
    "system_status",
    "team_of",
    "join",
]


def create_challenge(
    spec: ChallengeSpec,
    truth_csv: bytes,
    who: Principal,
    truth_name: str = "truth.csv",
    train_csv: bytes | None = None,
    test_ids_csv: bytes | None = None,
) -> ChallengePublic:
    """Create a challenge; the truth is validated, then stored encrypted (bound to the slug)."""
    check_roles(who, ORGANISER_ROLES, "challenge.create")
    truth = read_truth(truth_csv, truth_name, spec.task, tuple(spec.classes))
    windows = spec.phase_windows()
    with session_scope() as session:
        if session.scalar(select(Challenge).where(Challenge.slug == spec.slug)) is not None:
            raise InputDataError(f"challenge {spec.slug!r} already exists")
        challenge = Challenge(
            slug=spec.slug,
            title=spec.title,
            description=spec.description,
            task=spec.task,
            primary_metric=spec.primary_metric,
            secondary_metrics=spec.secondary_metrics,
            classes=list(truth.classes) if spec.task == "multiclass" else [],
            truth_blob=crypto.encrypt(truth_csv, associated=f"challenge:{spec.slug}".encode()),
            truth_sha256=hashlib.sha256(truth_csv).hexdigest(),
            n_test=int(truth.ids.shape[0]),
            public_fraction=spec.public_fraction,
            split_salt=secrets.token_hex(8),
            participant_data=spec.participant_data,
            created_by=who.username,
        )
        for name, data, attr in (
            ("train.csv", train_csv, "train_file_id"),
            ("test_ids.csv", test_ids_csv, "test_ids_file_id"),
        ):
            if data is not None:
                stored = files.store_upload(
                    session,
                    data,
                    name,
                    owner=who.username,
                    allowed=[".csv"],
                    content_type="text/csv",
                    ip=who.ip,
                )
                setattr(challenge, attr, stored.id)
        session.add(challenge)
        session.flush()
        for phase, start, end in windows:
            session.add(
                Phase(
                    challenge_id=challenge.id,
                    name=phase.name,
                    subset=phase.subset,
                    starts_at=start,
                    ends_at=end,
                    daily_quota=phase.daily_quota,
                    rule=phase.rule,
                    revealed=False,
                )
            )
        audit.record(
            session,
            who.username,
            "create",
            "challenge",
            spec.slug,
            ip=who.ip,
            detail=f"task={spec.task} n_test={challenge.n_test}",
        )
        session.flush()
        return to_public(session, challenge)


def list_challenges() -> list[ChallengePublic]:
    with session_scope() as session:
        return [to_public(session, c) for c in session.scalars(select(Challenge).order_by(Challenge.id))]


def get_challenge(slug: str) -> ChallengePublic:
    with session_scope() as session:
        return to_public(session, get_challenge_row(session, slug))


def participant_file(slug: str, which: str, who: Principal) -> tuple[str, bytes]:
    """The public participant files (``train`` labels or ``test_ids``); never the truth."""
    with session_scope() as session:
        challenge = get_challenge_row(session, slug)
        file_id = {"train": challenge.train_file_id, "test_ids": challenge.test_ids_file_id}.get(which)
        if file_id is None:
            raise NotFoundError(f"challenge {slug!r} has no {which!r} file")
        stored, data = files.read_stored(session, file_id, actor=who.username, ip=who.ip)
        return f"{slug}_{which}.csv", data


def reveal_phase(slug: str, phase_name: str, who: Principal) -> None:
    """Organisers reveal a private leaderboard before its phase ends."""
    check_roles(who, ORGANISER_ROLES, "challenge.reveal")
    with session_scope() as session:
        phase = phase_named(session, get_challenge_row(session, slug), phase_name)
        phase.revealed = True
        audit.record(
            session,
            who.username,
            "update",
            "challenge_phase",
            f"{slug}/{phase_name}",
            ip=who.ip,
            detail="revealed",
        )


def system_status() -> dict[str, str]:
    """``ready`` when the baselines' weights are present; the detail counts challenges and submissions."""
    from iasante.challenge.train import DEMOS, WEIGHTS_DIR

    missing = [d.slug for d in DEMOS if not (WEIGHTS_DIR / f"{d.slug}.npz").exists()]
    if missing:
        return {"state": "no_model", "detail": f"baseline weights missing for {', '.join(missing)}"}
    try:
        with session_scope() as session:
            n_challenges = session.scalar(select(func.count(Challenge.id))) or 0
            n_scored = session.scalar(select(func.count(Submission.id)).where(Submission.status == "scored")) or 0
    except SQLAlchemyError:
        return {"state": "error", "detail": "database not upgraded: run `iasante db upgrade`"}
    return {"state": "ready", "detail": f"{n_challenges} challenge(s), {n_scored} scored submission(s)"}


def demo_baselines(folder: Path) -> list[tuple[str, str]]:
    """(file, label) of a demo's baseline rows: the logistic regression first (the QI reference), then the
    project's own model when ``model_baseline.json`` was shipped (see ``demo/make_model_baselines.py``)."""
    rows = [("baseline.csv", BASELINE_LABEL)]
    summary = folder / "model_baseline.json"
    if summary.exists():
        model = json.loads(summary.read_text())
        rows.append((str(model["file"]), str(model["label"])))
    return rows


def load_demo(owner: str) -> str:
    """Create the three shipped demo challenges with their baseline rows (idempotent); one-line summary."""
    from iasante.challenge.schemas import parse_spec
    from iasante.challenge.train import DEMO_DIR, DEMOS

    who = Principal(owner, Role.admin, "setup")
    created = []
    for demo in DEMOS:
        folder = DEMO_DIR / demo.slug
        with session_scope() as session:
            if session.scalar(select(Challenge).where(Challenge.slug == demo.slug)) is not None:
                continue
        spec = parse_spec(yaml.safe_load((folder / "challenge.yaml").read_text()), f"{demo.slug}/challenge.yaml")
        create_challenge(
            spec,
            (folder / "truth.csv").read_bytes(),
            who,
            "truth.csv",
            (folder / "train.csv").read_bytes(),
            (folder / "test_ids.csv").read_bytes(),
        )
        for name, label in demo_baselines(folder):
            for phase in spec.phases:
                submit(
                    demo.slug,
                    who,
                    (folder / name).read_bytes(),
                    name,
                    label,
                    phase_name=phase.name,
                    baseline=True,
                    run_inline=True,
                )
        created.append(demo.slug)
    total = len(list_challenges())
    return f"{len(created)} demo challenge(s) created ({', '.join(created) or 'already loaded'}); {total} in all"
