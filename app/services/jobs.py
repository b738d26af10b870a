"""Background jobs: rows written in the transaction of the change that causes them.

`defer(func, **ids)` adds a `Job` row to the current transaction. It commits with the change
or not at all, so a rollback sends nothing and a Redis outage loses nothing; the session's
commit wakes the relay (app/services/relay.py), which hands committed rows to the runner chosen
by `SULH_JOBS` — this process's background thread (`inprocess`, the embedded default) or the
Redis workers (`rq`, production). No caller has to remember anything but `db.session.commit()`.

A job function is registered with `@job`, takes ids only and must be idempotent: a run may be
repeated after a crash or a lost lease. `run(job_id)` is one attempt, claimed first so that
one job never runs twice at once. A failed attempt is retried after the waits its policy names
(`JOBS_RETRY_INTERVALS`, or `MAIL_RETRY_INTERVALS` for email: backing off to a day); when they
are used up the row stays `failed` for the case managers (/manage/jobs), who are told by email.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, TypeVar

from flask import Flask, current_app, has_app_context
from sqlalchemy import event, select, update
from sqlalchemy.orm import Session

from app.extensions import db
from app.models import Job, User
from app.models.types import utcnow

log = logging.getLogger(__name__)
F = TypeVar("F", bound=Callable[..., Any])
_WAKE = "sulh_jobs_written"  # session.info flag: this transaction wrote job rows


@dataclass(frozen=True)
class JobSpec:
    func: Callable[..., Any]
    retry: str  # the config key naming the waits (seconds) between attempts
    alert: bool  # tell the case managers when it fails for good


_REGISTRY: dict[str, JobSpec] = {}


def job_name(func: Callable[..., Any]) -> str:
    return f"{func.__module__}.{func.__qualname__}"


def job(*, retry: str = "JOBS_RETRY_INTERVALS", alert: bool = True) -> Callable[[F], F]:
    """Register a function as a job. Only registered functions can be deferred or run, so a
    row naming anything else (a typo, a tampered row) runs nothing."""

    def register(func: F) -> F:
        _REGISTRY[job_name(func)] = JobSpec(func=func, retry=retry, alert=alert)
        return func

    return register


def spec_of(name: str) -> JobSpec | None:
    """The registered job of that name, importing its module first (a worker process may not
    have imported it yet)."""
    if name not in _REGISTRY and name.startswith("app."):
        module = name.rpartition(".")[0]
        try:
            importlib.import_module(module)
        except ImportError:
            return None
    return _REGISTRY.get(name)


def defer(func: Callable[..., Any], **kwargs: Any) -> Job:
    """Run `func(**kwargs)` once the current transaction commits."""
    name = job_name(func)
    if name not in _REGISTRY:
        raise ValueError(f"{name} is not a registered job (decorate it with @job)")
    row = Job(name=name, kwargs=kwargs, status="pending", run_after=utcnow())
    db.session.add(row)
    db.session.info[_WAKE] = True
    return row


def intervals(spec: JobSpec | None) -> list[int]:
    """The waits between attempts: as many retries as waits."""
    key = spec.retry if spec else "JOBS_RETRY_INTERVALS"
    return [int(s) for s in current_app.config[key]]


# --------------------------------------------------------------------------- one attempt
def run(job_id: int) -> str:
    """One attempt of a job: claim it, run it, record the outcome. Returns what happened
    ("done", "retry", "failed", or "skipped" when it was not this runner's to run)."""
    now = utcnow()
    claimed = db.session.execute(
        update(Job).where(Job.id == job_id, Job.status.in_(("pending", "queued")))
        .values(status="running", attempts=Job.attempts + 1,
                lease_until=now + timedelta(seconds=running_lease()))
        .returning(Job.name, Job.kwargs, Job.attempts)).first()
    db.session.commit()
    if claimed is None:
        return "skipped"  # done, failed, or running elsewhere
    name, kwargs, attempt = claimed
    spec = spec_of(name)
    if spec is None:
        return _failed(job_id, None, attempt, LookupError(f"no registered job {name}"))
    if attempt > len(intervals(spec)) + 1:  # its runners kept dying before they could record
        return _failed(job_id, spec, attempt, RuntimeError("the job's runner was lost"))
    try:
        spec.func(**kwargs)
        db.session.execute(update(Job).where(Job.id == job_id).values(
            status="done", finished_at=utcnow(), lease_until=None, last_error=None))
        db.session.commit()
    except Exception as exc:
        db.session.rollback()
        return _failed(job_id, spec, attempt, exc)
    return "done"


def running_lease() -> int:
    """Seconds a running job may take before its runner is presumed lost."""
    return int(current_app.config["JOBS_TIMEOUT"]) + 60


def _failed(job_id: int, spec: JobSpec | None, attempt: int, exc: BaseException) -> str:
    waits = intervals(spec)
    row = db.session.get(Job, job_id)
    assert row is not None
    row.last_error = f"{type(exc).__name__}: {exc}"[:4000]
    row.lease_until = None
    if spec is not None and attempt <= len(waits):
        row.status = "pending"
        row.run_after = utcnow() + timedelta(seconds=waits[attempt - 1])
        log.warning("job %s(%s) failed on attempt %s, retried in %s s: %s", row.name,
                    row.kwargs, attempt, waits[attempt - 1], row.last_error)
        outcome = "retry"
    else:
        row.status = "failed"
        row.finished_at = utcnow()
        log.error("job %s(%s) failed after %s attempts: %s", row.name, row.kwargs, attempt,
                  row.last_error)
        if spec is None or spec.alert:
            _tell_the_centre(row)
        outcome = "failed"
    db.session.commit()
    return outcome


def _tell_the_centre(row: Job) -> None:
    """Email every case manager that a job gave up (the console shows it as well). The
    alert's own delivery never raises another alert."""
    from app.services import notify

    for user in db.session.scalars(select(User).where(User.is_case_manager.is_(True))):
        message = notify.render(user.email, "job_failed", locale=user.locale, job=row,
                                user=user)
        message.dedupe_key = f"job-failed:{row.id}:{row.attempts}:{user.id}"
        db.session.add(message)
        db.session.flush()
        defer(notify.deliver_alert, email_id=message.id)


def retry(job_id: int) -> bool:
    """A case manager's retry of a failed job: a fresh set of attempts, once committed."""
    row = db.session.get(Job, job_id)
    if row is None or row.status != "failed":
        return False
    row.status, row.attempts, row.run_after, row.finished_at = "pending", 0, utcnow(), None
    db.session.info[_WAKE] = True
    return True


# ------------------------------------------------------------------------------ RQ entries
def execute(job_id: int) -> None:
    """What an RQ worker runs for a job row."""
    with _worker_app().app_context():
        run(job_id)


def execute_periodic(name: str) -> None:
    """What an RQ worker runs for RQ's cron scheduler (the deadline sweep): a registered job
    called directly. It needs no row: the scheduler asks again next period."""
    with _worker_app().app_context():
        spec = spec_of(name)
        if spec is None:
            raise LookupError(f"no registered job {name}")
        spec.func()


_APP: Flask | None = None  # the app a worker process runs jobs in (use_app, or made once)


def _worker_app() -> Flask:
    global _APP
    if has_app_context():
        app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
        return app
    if _APP is None:
        from app import create_app

        _APP = create_app()
    return _APP


def use_app(app: Flask | None) -> None:
    """The app a worker process runs jobs in (`flask jobs worker` sets its own)."""
    global _APP
    _APP = app


@event.listens_for(Session, "after_commit")
def _wake_relay(session: Session) -> None:
    if session.info.pop(_WAKE, False) and has_app_context():
        from app.services import relay

        relay.wake(current_app._get_current_object())  # type: ignore[attr-defined]


@event.listens_for(Session, "after_soft_rollback")
def _forget_on_rollback(session: Session, previous_transaction: Any) -> None:
    session.info.pop(_WAKE, None)
