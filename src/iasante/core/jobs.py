"""Long work as jobs: state, progress, log and result in the database; execution on Dask distributed.

A job's ``target`` is ``"package.module:function"`` with signature ``fn(ctx: JobContext, **params) -> dict``;
the returned dict (JSON) becomes ``Job.result``. By default an embedded ``LocalCluster`` runs jobs inside the
server process; ``IASANTE_DASK_SCHEDULER`` sends them to a real cluster whose workers share the database.

Nothing is lost silently: a job interrupted by a restart is resubmitted when it is ``resumable`` (its target must
then be idempotent) or marked failed with the reason, and :func:`sweep_stale_jobs` fails or retries jobs whose
heartbeat stopped or whose ``timeout_s`` passed.
"""

from __future__ import annotations

import importlib
import threading
import time
import traceback
from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from iasante.core.config import get_settings
from iasante.core.db import get_engine, session_scope, utcnow
from iasante.core.errors import IASanteError, InputDataError, NotFoundError
from iasante.core.models import Job, JobStatus

ProgressCallback = Callable[[float, str], None]
_ACTIVE = (JobStatus.queued, JobStatus.running)
_client_lock = threading.Lock()
_client: Any = None
STALE_AFTER = timedelta(minutes=10)


class JobCancelled(Exception):
    """Raised inside a job when its cancellation was requested."""


class JobContext:
    """Handle given to a running job to report progress, write log lines and honour cancellation."""

    def __init__(self, job_id: int, db_url: str | None = None, on_progress: ProgressCallback | None = None):
        self.job_id = job_id
        self._db_url = db_url
        self._on_progress = on_progress
        self._last_write = 0.0
        self._pending_log: list[str] = []
        self._deadline: float | None = None

    def _update(self, **values: Any) -> Job:
        from sqlalchemy.orm import Session

        with Session(get_engine(self._db_url), expire_on_commit=False) as session:
            job = session.get(Job, self.job_id)
            if job is None:
                raise NotFoundError(f"job {self.job_id} vanished")
            for name, value in values.items():
                setattr(job, name, value)
            if self._pending_log:
                job.log = (job.log + "".join(line + "\n" for line in self._pending_log))[-200_000:]
                self._pending_log.clear()
            job.heartbeat_at = utcnow()
            session.commit()
            return job

    def progress(self, fraction: float, message: str = "") -> None:
        """Report progress in [0, 1]; written at most twice a second; raises if cancelled or timed out."""
        fraction = min(max(fraction, 0.0), 1.0)
        if self._on_progress:
            self._on_progress(fraction, message)
        now = time.monotonic()
        if now - self._last_write >= 0.5 or fraction >= 1.0:
            self._last_write = now
            job = self._update(progress=fraction, message=message[:500])
            if job.cancel_requested:
                raise JobCancelled(f"job {self.job_id} cancelled")
        self._check_deadline()

    def log(self, line: str) -> None:
        """Append a line to the job's log (flushed with the next progress report or at the end)."""
        self._pending_log.append(line)

    def check_cancelled(self) -> None:
        """Raise :class:`JobCancelled` if a user asked to cancel this job."""
        job = self._update()
        if job.cancel_requested:
            raise JobCancelled(f"job {self.job_id} cancelled")
        self._check_deadline()

    def _check_deadline(self) -> None:
        if self._deadline is not None and time.monotonic() > self._deadline:
            raise TimeoutError(f"job {self.job_id} exceeded its time limit")


def resolve_target(target: str) -> Callable[..., dict[str, Any]]:
    """Import ``module:function``."""
    module_name, _, function_name = target.partition(":")
    return getattr(importlib.import_module(module_name), function_name)  # type: ignore[no-any-return]


def execute(job_id: int, db_url: str | None = None, on_progress: ProgressCallback | None = None) -> str:
    """Run one job to its end and store the outcome; this is what a Dask worker executes."""
    ctx = JobContext(job_id, db_url, on_progress)
    job = ctx._update()
    if job.status not in _ACTIVE:
        return job.status
    if job.cancel_requested:
        ctx._update(status=JobStatus.cancelled, finished_at=utcnow(), message="cancelled before start")
        return JobStatus.cancelled
    job = ctx._update(status=JobStatus.running, started_at=utcnow(), attempts=job.attempts + 1, error=None)
    if job.timeout_s:
        ctx._deadline = time.monotonic() + job.timeout_s
    try:
        result = resolve_target(job.target)(ctx, **(job.params or {}))
    except JobCancelled:
        ctx._update(status=JobStatus.cancelled, finished_at=utcnow(), message="cancelled")
        return JobStatus.cancelled
    except Exception as exc:  # a job's failure is data, stored for the user, never raised into Dask
        reason = str(exc) if isinstance(exc, IASanteError | TimeoutError) else f"{type(exc).__name__}: {exc}"
        ctx.log(traceback.format_exc())
        retry = job.attempts < job.max_attempts and not isinstance(exc, InputDataError)
        if retry:
            ctx._update(status=JobStatus.queued, message=f"retrying after: {reason}"[:500])
            return execute(job_id, db_url, on_progress)
        ctx._update(status=JobStatus.failed, error=reason, finished_at=utcnow(), message="failed")
        return JobStatus.failed
    ctx._update(status=JobStatus.succeeded, result=result or {}, progress=1.0, finished_at=utcnow(),
                message="done")
    return JobStatus.succeeded


def get_client() -> Any:
    """The process's Dask client: a real scheduler if configured, else an embedded in-process cluster."""
    global _client
    with _client_lock:
        if _client is None:
            from distributed import Client, LocalCluster

            settings = get_settings()
            if settings.dask_scheduler:
                _client = Client(settings.dask_scheduler, timeout=10)
            else:
                cluster = LocalCluster(
                    n_workers=settings.dask_workers,
                    threads_per_worker=settings.dask_threads_per_worker,
                    processes=False,
                    dashboard_address=None,
                )
                _client = Client(cluster)
        return _client


def close_client() -> None:
    """Shut the embedded cluster down (server stop, tests)."""
    global _client
    with _client_lock:
        if _client is not None:
            cluster = getattr(_client, "cluster", None)
            _client.close()
            if cluster is not None:
                cluster.close()
            _client = None


def _dispatch(job_id: int, attempt: int) -> None:
    from distributed import fire_and_forget

    future = get_client().submit(
        execute, job_id, get_settings().db_url, key=f"iasante-job-{job_id}-{attempt}", pure=False
    )
    fire_and_forget(future)


def create(
    kind: str,
    target: str,
    params: dict[str, Any] | None = None,
    *,
    owner: str = "system",
    resumable: bool = False,
    timeout_s: int | None = None,
    max_attempts: int = 1,
) -> int:
    """Record a queued job and return its id (it runs once :func:`submit` or :func:`run_now` is called)."""
    with session_scope() as session:
        job = Job(kind=kind, target=target, params=params or {}, owner=owner, resumable=resumable,
                  timeout_s=timeout_s, max_attempts=max_attempts, status=JobStatus.queued)
        session.add(job)
        session.flush()
        return job.id


def submit(kind: str, target: str, params: dict[str, Any] | None = None, **options: Any) -> int:
    """Create a job and hand it to Dask; returns at once with the job id."""
    job_id = create(kind, target, params, **options)
    _dispatch(job_id, 0)
    return job_id


def run_now(
    kind: str,
    target: str,
    params: dict[str, Any] | None = None,
    on_progress: ProgressCallback | None = None,
    **options: Any,
) -> Job:
    """Create a job and run it in this process (the CLI does this, showing a Rich bar via ``on_progress``)."""
    job_id = create(kind, target, params, **options)
    execute(job_id, None, on_progress)
    return get(job_id)


def get(job_id: int) -> Job:
    with session_scope() as session:
        job = session.get(Job, job_id)
        if job is None:
            raise NotFoundError(f"job {job_id} not found")
        return job


def list_jobs(limit: int = 50, owner: str | None = None, status: str | None = None) -> Sequence[Job]:
    with session_scope() as session:
        query = select(Job).order_by(Job.id.desc()).limit(limit)
        if owner:
            query = query.where(Job.owner == owner)
        if status:
            query = query.where(Job.status == status)
        return session.scalars(query).all()


def cancel(job_id: int) -> Job:
    """Ask a job to stop: a queued job is cancelled at once, a running one at its next progress report."""
    with session_scope() as session:
        job = session.get(Job, job_id)
        if job is None:
            raise NotFoundError(f"job {job_id} not found")
        if job.status in _ACTIVE:
            job.cancel_requested = True
            if job.status == JobStatus.queued:
                job.status = JobStatus.cancelled
                job.finished_at = utcnow()
        return job


def wait(job_id: int, timeout_s: float = 60.0, poll_s: float = 0.1) -> Job:
    """Block until the job ends (for the CLI and tests)."""
    deadline = time.monotonic() + timeout_s
    while True:
        job = get(job_id)
        if job.status not in _ACTIVE or time.monotonic() > deadline:
            return job
        time.sleep(poll_s)


def recover_interrupted(reason: str = "interrupted by a server restart") -> list[int]:
    """At start-up: resubmit resumable jobs left queued/running, mark the others failed with the reason.

    Only valid with the embedded cluster, whose jobs all died with the previous process; with a real cluster
    the jobs may still be running, and :func:`sweep_stale_jobs` judges them by heartbeat instead.
    """
    if get_settings().dask_scheduler:
        return sweep_stale_jobs()
    resumed: list[int] = []
    with session_scope() as session:
        for job in session.scalars(select(Job).where(Job.status.in_(list(_ACTIVE)))):
            if job.resumable and not job.cancel_requested:
                job.status = JobStatus.queued
                job.message = f"resumed after: {reason}"
                resumed.append(job.id)
            else:
                job.status = JobStatus.failed
                job.error = reason
                job.finished_at = utcnow()
    for job_id in resumed:
        _dispatch(job_id, int(time.time()))
    return resumed


def sweep_stale_jobs(now_stale_after: timedelta = STALE_AFTER) -> list[int]:
    """Retry or fail running jobs whose heartbeat stopped or whose time limit passed; returns retried ids."""
    retried: list[int] = []
    now = utcnow()
    with session_scope() as session:
        for job in session.scalars(select(Job).where(Job.status == JobStatus.running)):
            beat = job.heartbeat_at or job.started_at or job.created_at
            if beat.tzinfo is None:
                beat = beat.replace(tzinfo=now.tzinfo)
            started = job.started_at or beat
            if started.tzinfo is None:
                started = started.replace(tzinfo=now.tzinfo)
            timed_out = job.timeout_s is not None and now - started > timedelta(seconds=job.timeout_s * 2)
            if not timed_out and now - beat <= now_stale_after:
                continue
            reason = "time limit exceeded" if timed_out else "no heartbeat (worker lost)"
            if job.attempts < job.max_attempts and not job.cancel_requested:
                job.status = JobStatus.queued
                job.message = f"retrying after: {reason}"
                retried.append(job.id)
            else:
                job.status = JobStatus.failed
                job.error = reason
                job.finished_at = now
    for job_id in retried:
        _dispatch(job_id, int(time.time()))
    return retried
