"""Storage behaviour on both SQLite and a real PostgreSQL server (``db_home`` runs each test twice)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select, text

from iasante.core import audit, jobs
from iasante.core.auth import add_user, authenticate
from iasante.core.db import current_revisions, get_engine, session_scope, upgrade_database
from iasante.core.errors import AccessDeniedError, InputDataError
from iasante.core.models import AuditEvent, JobStatus, User


def test_upgrade_is_repeatable(db_home: str) -> None:
    from sqlalchemy import inspect

    before = current_revisions()
    upgrade_database()
    assert before and current_revisions() == before
    tables = set(inspect(get_engine()).get_table_names())
    assert {"core_user", "core_session", "core_audit", "core_file", "core_job"} <= tables


def test_users_and_passwords(db_home: str) -> None:
    with session_scope() as session:
        add_user(session, "marie", "long-enough-pw", "clinician")
    with session_scope() as session:
        stored = session.scalar(select(User).where(User.username == "marie"))
        assert stored is not None and stored.password_hash.startswith("$argon2")
        assert authenticate(session, "marie", "long-enough-pw").role == "clinician"
    with pytest.raises(AccessDeniedError), session_scope() as session:
        authenticate(session, "marie", "wrong-password")
    with pytest.raises(InputDataError), session_scope() as session:
        add_user(session, "marie", "long-enough-pw", "clinician")


def test_audit_log_is_append_only(db_home: str) -> None:
    audit.record(None, "marie", "read", "ct_study", 7, patient="P-abc")
    with pytest.raises(PermissionError), session_scope() as session:
        session.delete(session.scalars(select(AuditEvent)).first())
    with pytest.raises(Exception, match="append-only"), get_engine().begin() as conn:
        conn.execute(text("UPDATE core_audit SET actor = 'mallory'"))
    with pytest.raises(Exception, match="append-only"), get_engine().begin() as conn:
        conn.execute(text("DELETE FROM core_audit"))
    with session_scope() as session:
        assert session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.actor == "marie")) == 1


def count_to(ctx: jobs.JobContext, n: int) -> dict[str, int]:
    """A tiny job target used by the tests."""
    for i in range(n):
        ctx.log(f"step {i}")
        ctx.progress((i + 1) / n, f"step {i + 1}/{n}")
    return {"counted": n}


def fail_with(ctx: jobs.JobContext, message: str) -> dict[str, int]:
    raise RuntimeError(message)


def test_job_runs_and_keeps_its_state(db_home: str) -> None:
    seen: list[float] = []
    job = jobs.run_now("test.count", "tests.core.test_storage:count_to", {"n": 3},
                       on_progress=lambda f, m: seen.append(f))
    assert job.status == JobStatus.succeeded and job.result == {"counted": 3}
    assert seen[-1] == 1.0 and "step 2" in jobs.get(job.id).log


def test_failed_job_keeps_reason_and_retries(db_home: str) -> None:
    job = jobs.run_now("test.fail", "tests.core.test_storage:fail_with", {"message": "disk full"}, max_attempts=2)
    assert job.status == JobStatus.failed and "disk full" in (job.error or "") and job.attempts == 2


def test_interrupted_jobs_are_never_lost(db_home: str) -> None:
    lost = jobs.create("test.count", "tests.core.test_storage:count_to", {"n": 1})
    resumable = jobs.create("test.count", "tests.core.test_storage:count_to", {"n": 2}, resumable=True)
    with session_scope() as session:
        for job_id in (lost, resumable):
            session.execute(text("UPDATE core_job SET status = 'running' WHERE id = :i"), {"i": job_id})
    assert jobs.recover_interrupted() == [resumable]
    assert jobs.get(lost).status == JobStatus.failed and "restart" in (jobs.get(lost).error or "")
    assert jobs.wait(resumable, 60).status == JobStatus.succeeded
    jobs.close_client()
