"""Side effects run after the commit that caused them, by id, so a rollback sends nothing.

`defer(func, **ids)` queues a job on the current transaction; `commit()` commits and then hands
the queued jobs to the runner chosen by `SULH_JOBS`:

- `inprocess` (the embedded default): each job runs right after the commit, in this process,
  without Redis;
- `rq` (production): each job is enqueued on Redis and run by `flask jobs worker`, inside an app
  context of its own.

Both runners share one policy: a job is a plain function taking ids only, it must be idempotent
(it may run again after a partial failure), it is retried `len(JOBS_RETRY_INTERVALS)` times
waiting those seconds between attempts, and when its last attempt fails a `JobFailure` row
records its error for the case managers (/manage/jobs), who can retry it.
"""

from __future__ import annotations

import importlib
import logging
import time
from collections.abc import Callable
from typing import Any

from flask import Flask, current_app, has_app_context
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from app.extensions import db

log = logging.getLogger(__name__)
_KEY = "sulh_pending_jobs"
SWEEP_JOB = "app.services.deadlines.sweep_job"
_worker_app: Flask | None = None


def job_name(func: Callable[..., Any]) -> str:
    return f"{func.__module__}.{func.__qualname__}"


def defer(func: Callable[..., Any], **kwargs: Any) -> None:
    db.session.info.setdefault(_KEY, []).append((job_name(func), kwargs))


def commit() -> None:
    """Commit the unit of work, then run (or enqueue) what it deferred."""
    db.session.commit()
    run_pending()


def run_pending() -> None:
    pending = db.session.info.pop(_KEY, [])
    for name, kwargs in pending:
        submit(name, kwargs)


def submit(name: str, kwargs: dict[str, Any], *, failure_id: int | None = None) -> None:
    """Hand one job to the configured runner."""
    if current_app.config["JOBS_MODE"] == "rq":
        enqueue(name, kwargs, failure_id=failure_id)
    else:
        run_inprocess(name, kwargs, failure_id=failure_id)


def intervals() -> list[int]:
    return [int(s) for s in current_app.config["JOBS_RETRY_INTERVALS"]]


# ------------------------------------------------------------------------ one attempt, both runners
def _attempt(name: str, kwargs: dict[str, Any], *, attempt: int, final: bool,
             failure_id: int | None) -> None:
    try:
        _resolve(name)(**kwargs)
        if failure_id is not None:
            _mark_resolved(failure_id)
        commit()
    except Exception as exc:
        db.session.rollback()
        log.warning("job %s(%s) failed on attempt %s: %s", name, kwargs, attempt, exc)
        if final:
            record_failure(name, kwargs, exc, attempts=attempt, failure_id=failure_id)
        raise


def _resolve(name: str) -> Callable[..., Any]:
    module, _, attr = name.rpartition(".")
    if not module.startswith("app."):
        raise ValueError(f"not a Sulh job: {name}")
    func = getattr(importlib.import_module(module), attr)
    return func


def record_failure(name: str, kwargs: dict[str, Any], exc: BaseException, *, attempts: int,
                   failure_id: int | None = None) -> None:
    """Keep the error where case managers see it; one open row per job and ids."""
    from app.models import JobFailure
    from app.models.types import utcnow

    log.error("job %s(%s) failed after %s attempts: %s", name, kwargs, attempts, exc)
    row = db.session.get(JobFailure, failure_id) if failure_id else None
    if row is None:
        row = next((f for f in db.session.scalars(select(JobFailure).where(
            JobFailure.job == name, JobFailure.status != "resolved")) if f.kwargs == kwargs),
            None)
    if row is None:
        row = JobFailure(job=name, kwargs=kwargs, attempts=0)
        db.session.add(row)
    row.status = "failed"
    row.error = f"{type(exc).__name__}: {exc}"[:4000]
    row.attempts = (row.attempts or 0) + attempts
    row.failed_at = utcnow()
    db.session.commit()


def _mark_resolved(failure_id: int) -> None:
    from app.models import JobFailure
    from app.models.types import utcnow

    row = db.session.get(JobFailure, failure_id)
    if row is not None:
        row.status = "resolved"
        row.resolved_at = utcnow()


def retry_failure(failure_id: int) -> None:
    """A case manager's retry: run the job again with a fresh set of attempts."""
    from app.models import JobFailure

    row = db.session.get(JobFailure, failure_id)
    if row is None or row.status == "resolved":
        return
    row.status = "retrying"
    db.session.commit()
    submit(row.job, dict(row.kwargs), failure_id=row.id)


# ------------------------------------------------------------------------------- in-process
def run_inprocess(name: str, kwargs: dict[str, Any], *, failure_id: int | None = None) -> bool:
    """Run a job now, retrying with the configured waits. A failure never propagates: the
    change that deferred the job is committed already."""
    waits = intervals()
    for attempt in range(1, len(waits) + 2):
        final = attempt > len(waits)
        try:
            _attempt(name, kwargs, attempt=attempt, final=final, failure_id=failure_id)
        except Exception:
            if final:
                return False
            time.sleep(waits[attempt - 1])
        else:
            return True
    return False  # pragma: no cover


# ---------------------------------------------------------------------------------------- RQ
def redis_connection(app: Flask | None = None):
    from redis import Redis

    app = app or current_app
    connection = app.extensions.get("sulh_redis")
    if connection is None:
        connection = Redis.from_url(app.config["REDIS_URL"], socket_connect_timeout=2,
                                    socket_timeout=10)
        app.extensions["sulh_redis"] = connection
    return connection


def queue(app: Flask | None = None):
    from rq import Queue

    app = app or current_app
    return Queue(app.config["JOBS_QUEUE"], connection=redis_connection(app))


def enqueue(name: str, kwargs: dict[str, Any], *, failure_id: int | None = None):
    from rq import Retry

    waits = intervals()
    return queue().enqueue(
        execute, name, kwargs, failure_id,
        retry=Retry(max=len(waits), interval=waits) if waits else None,
        job_timeout=current_app.config["JOBS_TIMEOUT"],
        description=f"{name}({kwargs})",
    )


def execute(name: str, kwargs: dict[str, Any], failure_id: int | None = None) -> None:
    """The function the RQ worker runs: one attempt, in an app context of its own."""
    from rq import get_current_job

    job = get_current_job()
    final = job is None or not job.retries_left
    attempt = 1
    app = current_app._get_current_object() if has_app_context() else _app()
    with app.app_context():
        if job is not None and job.retry_intervals is not None:
            attempt = len(intervals()) - (job.retries_left or 0) + 1
        _attempt(name, kwargs, attempt=attempt, final=final, failure_id=failure_id)


def _app() -> Flask:
    global _worker_app
    if _worker_app is None:
        from app import create_app

        _worker_app = create_app()
    return _worker_app


def run_worker(app: Flask, *, burst: bool = False) -> bool:
    """`flask jobs worker`: a forking RQ worker with its scheduler (for retry waits)."""
    from rq import Worker

    global _worker_app
    _worker_app = app
    from app.services import pdf

    pdf.preload()  # import WeasyPrint (~0.6 s) once here, not in every forked work horse
    db.engine.dispose()  # each work horse forks: it must open its own connections
    worker = Worker([queue(app)], connection=redis_connection(app))
    return worker.work(burst=burst, with_scheduler=True)


def cron_scheduler(app: Flask, *, every: int = 60):
    """RQ's cron scheduler with the periodic jobs: the deadline sweep (expiries, then
    reminders) every `every` seconds."""
    from rq.cron import CronScheduler

    scheduler = CronScheduler(connection=redis_connection(app))
    # ttl: a sweep still queued after a few periods is dropped (a newer one is behind it).
    scheduler.register(execute, app.config["JOBS_QUEUE"], args=(SWEEP_JOB, {}),
                       interval=every, job_timeout=app.config["JOBS_TIMEOUT"], ttl=every * 5)
    return scheduler


def run_scheduler(app: Flask, *, every: int = 60) -> None:
    """`flask jobs scheduler`: enqueue the periodic jobs — with RQ's own cron scheduler when
    jobs go through Redis, else a plain loop running them in-process."""
    if app.config["JOBS_MODE"] == "rq":
        cron_scheduler(app, every=every).start()
        return
    while True:  # pragma: no cover - a daemon loop
        run_inprocess(SWEEP_JOB, {})
        db.session.remove()
        time.sleep(every)


@event.listens_for(Session, "after_soft_rollback")
def _forget_on_rollback(session: Session, previous_transaction: Any) -> None:
    session.info.pop(_KEY, None)
