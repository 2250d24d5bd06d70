"""Submissions: validate at once, store encrypted, score as a job, and never leave one stuck.

A rejected file says why and costs no quota. Scoring runs as a job (:func:`score_submission_job`) with a
time limit and retries. :func:`reconcile` runs on every read: a failed job fails its submission with the
reason, and a job that never started is dispatched again, then failed with a message asking to resubmit.
"""

from __future__ import annotations

import math
from datetime import timedelta
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from iasante.challenge.db import Challenge, Member, Phase, Submission, Team
from iasante.challenge.io import Predictions, TruthTable, read_submission
from iasante.challenge.ranking import CLASSIFICATION, N_BOOTSTRAP, bootstrap_indices, bootstrap_values
from iasante.challenge.schemas import SubmissionPublic
from iasante.challenge.scoring import check_metrics, metric_input, score_arrays
from iasante.challenge.store import (
    ORGANISER_ROLES,
    aware,
    board_context,
    get_challenge_row,
    is_organiser,
    load_truth,
    pack,
    phase_named,
    phases_of,
    subset_mask,
    unpack,
    visible_scores,
)
from iasante.challenge.teams import count_today, ensure_team
from iasante.core import audit, files, jobs
from iasante.core.auth import Principal, check_roles
from iasante.core.db import session_scope, utcnow
from iasante.core.errors import AccessDeniedError, InputDataError, NotFoundError
from iasante.core.models import Job, JobStatus

SCORE_TARGET = "iasante.challenge.submissions:score_submission_job"
SCORE_TIMEOUT_S = 120
SCORE_ATTEMPTS = 2
MAX_DISPATCHES = 2
NOT_STARTED_AFTER = timedelta(seconds=180)
ACTIVE = ("queued", "scoring")


def submission_public(session: Session, sub: Submission) -> SubmissionPublic:
    phase = session.get_one(Phase, sub.phase_id)
    challenge = session.get_one(Challenge, phase.challenge_id)
    team = session.get(Team, sub.team_id) if sub.team_id else None
    return SubmissionPublic(
        id=sub.id,
        challenge=challenge.slug,
        phase=phase.name,
        team=team.name if team else "baseline",
        username=sub.username,
        label=sub.label,
        is_baseline=sub.is_baseline,
        filename=sub.filename,
        status=sub.status,
        error=sub.error,
        scores=visible_scores(phase, sub),
        created_at=aware(sub.created_at),
        scored_at=aware(sub.scored_at) if sub.scored_at else None,
        counts_against_quota=sub.status != "rejected" and not sub.is_baseline,
    )


def submit(
    slug: str,
    who: Principal,
    data: bytes,
    filename: str,
    label: str = "",
    *,
    phase_name: str | None = None,
    baseline: bool = False,
    run_inline: bool = False,
    on_progress: jobs.ProgressCallback | None = None,
) -> SubmissionPublic:
    """Validate and record a submission, then score it as a job.

    Args:
        baseline: an organiser's reference row (highlighted, outside teams and quotas).
        run_inline: score in this process (CLI, demo loading) instead of on the Dask cluster.

    Returns:
        the submission; ``status`` is ``rejected`` (with ``error``) or ``queued`` / ``scored``.
    """
    if baseline:
        check_roles(who, ORGANISER_ROLES, "challenge.baseline")
    with session_scope() as session:
        challenge = get_challenge_row(session, slug)
        phase = phase_named(session, challenge, phase_name)
        now = utcnow()
        if not baseline and not (aware(phase.starts_at) <= now < aware(phase.ends_at)):
            raise InputDataError(
                f"phase {phase.name!r} of {slug!r} is not open "
                f"({aware(phase.starts_at):%Y-%m-%d %H:%M} to {aware(phase.ends_at):%Y-%m-%d %H:%M} UTC)"
            )
        team = None if baseline else ensure_team(session, challenge, who.username)
        sub = Submission(
            phase_id=phase.id,
            team_id=team.id if team else None,
            username=who.username,
            label=label[:200],
            is_baseline=baseline,
            filename=filename[:255],
            status="queued",
            dispatches=0,
        )
        try:
            predictions = read_submission(data, filename, load_truth(challenge))
            if team is not None and count_today(session, phase, team.id) >= phase.daily_quota:
                raise AccessDeniedError(
                    f"daily quota reached: {phase.daily_quota} submission(s) per day in "
                    f"phase {phase.name!r}; try again after 00:00 UTC"
                )
            stored = files.store_upload(
                session,
                data,
                files.check_filename(filename),
                owner=who.username,
                allowed=[".csv"],
                content_type="text/csv",
                ip=who.ip,
            )
            sub.file_id, sub.aligned = stored.id, pack(predictions)
        except InputDataError as exc:
            sub.status, sub.error, sub.aligned = "rejected", str(exc), None
        session.add(sub)
        audit.record(
            session,
            who.username,
            "create",
            "challenge_submission",
            f"{slug}/{phase.name}",
            ip=who.ip,
            detail=f"{filename}: {sub.status}",
        )
        session.flush()
        submission_id = sub.id
    if sub.status == "queued":
        dispatch(submission_id, who.username, run_inline, on_progress)
    return get_submission(submission_id, who)


def dispatch(
    submission_id: int, owner: str, run_inline: bool = False, on_progress: jobs.ProgressCallback | None = None
) -> None:
    """Start (or restart) the scoring job of a submission: on Dask, or in this process when ``run_inline``."""
    with session_scope() as session:
        sub = session.get_one(Submission, submission_id)
        sub.dispatches, sub.status, sub.error = sub.dispatches + 1, "queued", None
    options: dict[str, Any] = {
        "owner": owner,
        "resumable": True,
        "timeout_s": SCORE_TIMEOUT_S,
        "max_attempts": SCORE_ATTEMPTS,
    }
    params = {"submission_id": submission_id}
    if run_inline:
        job_id = jobs.run_now("challenge.score", SCORE_TARGET, params, on_progress=on_progress, **options).id
    else:
        job_id = jobs.submit("challenge.score", SCORE_TARGET, params, **options)
    with session_scope() as session:
        session.get_one(Submission, submission_id).job_id = job_id


def score_submission_job(ctx: jobs.JobContext, submission_id: int) -> dict[str, Any]:
    """Job target: score one submission on its phase's subset (idempotent, so safe to retry)."""
    with session_scope() as session:
        sub = session.get_one(Submission, submission_id)
        phase = session.get_one(Phase, sub.phase_id)
        challenge = session.get_one(Challenge, phase.challenge_id)
        sub.status = "scoring"
        blob = sub.aligned
    if blob is None:
        raise InputDataError(f"submission {submission_id}: no validated predictions stored")
    truth = load_truth(challenge)
    predictions = unpack(blob)
    mask = subset_mask(challenge, truth.ids, phase.subset)
    part = TruthTable(truth.task, truth.ids[mask], truth.y[mask], truth.classes)
    chosen = Predictions(
        None if predictions.score is None else predictions.score[mask],
        None if predictions.prediction is None else predictions.prediction[mask],
    )
    metrics = check_metrics([challenge.primary_metric, *challenge.secondary_metrics], challenge.task)
    scores: dict[str, float | None] = {}
    samples = bootstrap_indices(part.y, N_BOOTSTRAP, phase.id, stratified=challenge.task in CLASSIFICATION)
    for i, metric in enumerate(metrics):
        value = score_arrays(part, chosen, [metric])[metric.name]
        scores[metric.name] = None if math.isnan(value) else value
        # warm the leaderboard's bootstrap cache now, so that boards stay fast to read
        key = (board_context(challenge, phase), str(submission_id), metric.name, phase.id)
        bootstrap_values(metric, part.y, metric_input(metric, part, chosen), samples, key)
        ctx.progress((i + 1) / len(metrics), metric.name)
    with session_scope() as session:
        sub = session.get_one(Submission, submission_id)
        sub.scores, sub.status, sub.error, sub.scored_at = scores, "scored", None, utcnow()
    return {"submission_id": submission_id, "phase": phase.name, "n_rows": int(mask.sum())}


def reconcile(session: Session, sub: Submission) -> None:
    """Bring an active submission in line with its job, so that none stays stuck (see module docstring)."""
    if sub.status not in ACTIVE:
        return
    job = session.get(Job, sub.job_id) if sub.job_id else None
    age = utcnow() - aware(sub.created_at)
    if job is not None and job.status == JobStatus.succeeded:
        session.refresh(sub)
    elif job is not None and job.status in (JobStatus.failed, JobStatus.cancelled):
        sub.status, sub.error = "failed", f"scoring {job.status}: {job.error or job.message}"
    elif (job is None or job.status == JobStatus.queued) and age > NOT_STARTED_AFTER * max(sub.dispatches, 1):
        if sub.dispatches < MAX_DISPATCHES:
            session.commit()
            dispatch(sub.id, sub.username)
            session.refresh(sub)
        else:
            sub.status, sub.error = "failed", "scoring never started (workers unavailable); please resubmit"


def get_submission(submission_id: int, who: Principal) -> SubmissionPublic:
    with session_scope() as session:
        sub = session.get(Submission, submission_id)
        if sub is None or not can_see(session, sub, who):
            raise NotFoundError(f"submission {submission_id} not found")
        reconcile(session, sub)
        return submission_public(session, sub)


def can_see(session: Session, sub: Submission, who: Principal) -> bool:
    if is_organiser(who) or sub.is_baseline or sub.username == who.username:
        return True
    return (
        sub.team_id is not None
        and session.scalar(select(Member).where(Member.team_id == sub.team_id, Member.username == who.username))
        is not None
    )


def list_submissions(slug: str, who: Principal, limit: int = 100) -> list[SubmissionPublic]:
    """The caller's and their team's submissions (organisers: all, baselines included), newest first."""
    with session_scope() as session:
        challenge = get_challenge_row(session, slug)
        phase_ids = [p.id for p in phases_of(session, challenge)]
        query = select(Submission).where(Submission.phase_id.in_(phase_ids))
        if not is_organiser(who):
            teams = select(Member.team_id).where(Member.challenge_id == challenge.id, Member.username == who.username)
            query = query.where(or_(Submission.username == who.username, Submission.team_id.in_(teams)))
        rows = list(session.scalars(query.order_by(Submission.id.desc()).limit(limit)))
        for sub in rows:
            reconcile(session, sub)
        return [submission_public(session, s) for s in rows]
