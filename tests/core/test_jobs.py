"""Jobs on the embedded Dask cluster: submit, progress, cancel, stale sweep."""

from __future__ import annotations

import time
from datetime import timedelta

from sqlalchemy import text

from iasante.core import jobs
from iasante.core.db import session_scope
from iasante.core.models import JobStatus


def slow_steps(ctx: jobs.JobContext, steps: int, pause_s: float) -> dict[str, int]:
    for i in range(steps):
        time.sleep(pause_s)
        ctx.progress((i + 1) / steps, f"{i + 1}/{steps}")
    return {"steps": steps}


def test_submit_runs_on_dask(iasante_home) -> None:  # type: ignore[no-untyped-def]
    job_id = jobs.submit("test.slow", "tests.core.test_jobs:slow_steps", {"steps": 3, "pause_s": 0.05},
                         owner="marie")
    job = jobs.wait(job_id, 60)
    assert job.status == JobStatus.succeeded and job.result == {"steps": 3} and job.attempts == 1


def test_cancel_stops_a_running_job(iasante_home) -> None:  # type: ignore[no-untyped-def]
    job_id = jobs.submit("test.slow", "tests.core.test_jobs:slow_steps", {"steps": 200, "pause_s": 0.6})
    deadline = time.monotonic() + 30
    while jobs.get(job_id).status != JobStatus.running and time.monotonic() < deadline:
        time.sleep(0.05)
    jobs.cancel(job_id)
    assert jobs.wait(job_id, 30).status == JobStatus.cancelled


def test_timeout_fails_the_job(iasante_home) -> None:  # type: ignore[no-untyped-def]
    job_id = jobs.submit("test.slow", "tests.core.test_jobs:slow_steps", {"steps": 50, "pause_s": 0.1},
                         timeout_s=1)
    job = jobs.wait(job_id, 30)
    assert job.status == JobStatus.failed and "time limit" in (job.error or "")


def test_sweep_fails_jobs_without_heartbeat(iasante_home) -> None:  # type: ignore[no-untyped-def]
    job_id = jobs.create("test.slow", "tests.core.test_jobs:slow_steps", {"steps": 1, "pause_s": 0})
    with session_scope() as session:
        session.execute(text("UPDATE core_job SET status='running', attempts=1, heartbeat_at=NULL WHERE id=:i"),
                        {"i": job_id})
    jobs.sweep_stale_jobs(timedelta(seconds=-1))
    job = jobs.get(job_id)
    assert job.status == JobStatus.failed and "heartbeat" in (job.error or "")
