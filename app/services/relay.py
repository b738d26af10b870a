"""The relay: hands committed job rows to a runner, and catches up on whatever was left.

Each process that commits jobs (web workers, `flask jobs worker`) runs one relay thread. A
commit that wrote job rows wakes it at once; otherwise it looks every `JOBS_POLL_SECONDS`, so
rows left by a process that died, or kept back while Redis was down, are picked up by any
other. Never inside a request: a slow mail server or a Redis outage costs the thread time,
never a user.

- `inprocess` (embedded default): the relay runs each due job itself (`jobs.run`).
- `rq` (production): the relay marks due rows `queued` and enqueues their ids on Redis for
  `flask jobs worker`. If Redis does not answer, the rows go back to `pending` and wait; they
  are enqueued when it answers again.

A queued or running job whose lease has passed (a worker killed mid-job, a Redis restarted
without its queue) is handed out again. `jobs.run` claims a row before running it, so a job
handed out twice still runs once at a time, and jobs are idempotent.

With `JOBS_BACKGROUND` off no thread is started: jobs wait until `drain()` runs them (tests
do, and the commands that defer jobs when there is no server to run them).
"""

from __future__ import annotations

import logging
import os
import threading
import time
from datetime import datetime, timedelta

from flask import Flask, current_app
from redis import Redis
from rq import Queue
from rq.cron import CronScheduler
from sqlalchemy import delete, or_, select, update

from app.extensions import db
from app.models import Job, SubmissionKey
from app.models.types import utcnow
from app.services import jobs

log = logging.getLogger(__name__)
BATCH = 100  # jobs handed out per pass; the next pass follows at once while work is due
KEEP_DONE = timedelta(days=7)  # finished jobs are kept this long (to see what ran), then purged
KEEP_KEYS = timedelta(days=1)  # a duplicate submission arrives within seconds, not days
HOUSEKEEPING_EVERY = 3600.0


class Relay:
    """One per app and process: a daemon thread, woken by commits."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.woken = threading.Event()
        self.thread: threading.Thread | None = None
        self.pid = 0
        self.lock = threading.Lock()
        self.next_housekeeping = 0.0
        self.stopping = False

    def ensure_running(self) -> None:
        if not self.app.config["JOBS_BACKGROUND"]:
            return
        if self.thread is not None and self.pid == os.getpid() and self.thread.is_alive():
            return
        with self.lock:  # a forked worker inherits no thread: start its own
            if self.thread is None or self.pid != os.getpid() or not self.thread.is_alive():
                self.pid = os.getpid()
                self.thread = threading.Thread(target=self.loop, name="sulh-relay",
                                               daemon=True)
                self.thread.start()

    def wake(self) -> None:
        self.ensure_running()
        self.woken.set()

    def stop(self, timeout: float = 10.0) -> None:
        """Finish the pass under way and end the thread (a worker shutting down, a test)."""
        self.stopping = True
        self.woken.set()
        if self.thread is not None:
            self.thread.join(timeout)

    def loop(self) -> None:
        poll = float(self.app.config["JOBS_POLL_SECONDS"])
        while not self.stopping:
            self.woken.wait(poll)
            self.woken.clear()
            if self.stopping:
                break
            try:
                with self.app.app_context():
                    self.housekeeping()
                    while dispatch():
                        pass
            except Exception:  # a database outage: log, and try again at the next poll
                log.exception("the job relay's pass failed")
                time.sleep(poll)

    def housekeeping(self) -> None:
        if time.monotonic() >= self.next_housekeeping:
            self.next_housekeeping = time.monotonic() + HOUSEKEEPING_EVERY
            purge(utcnow())


def relay_of(app: Flask) -> Relay:
    relay = app.extensions.get("sulh_relay")
    if relay is None:
        relay = app.extensions["sulh_relay"] = Relay(app)
    return relay


def wake(app: Flask) -> None:
    relay_of(app).wake()


def init_app(app: Flask) -> None:
    """Every web process runs a relay, so rows nobody woke it for are found too."""

    @app.before_request
    def start_relay() -> None:
        relay_of(app).ensure_running()


# ------------------------------------------------------------------------------ one pass
def dispatch(now: datetime | None = None) -> int:
    """Hand out (or, in-process, run) the jobs due now; how many there were."""
    now = now or utcnow()
    recover_lost(now)
    due = db.session.scalars(
        select(Job.id).where(Job.status == "pending", Job.run_after <= now)
        .order_by(Job.run_after, Job.id).limit(BATCH)).all()
    db.session.commit()
    if not due:
        return 0
    if current_app.config["JOBS_MODE"] == "rq":
        return enqueue(list(due), now)
    for job_id in due:
        jobs.run(job_id)
    return len(due)


def drain(max_passes: int = 1000) -> int:
    """Run passes until nothing is due: every job, and the jobs they deferred, in this
    process (in-process mode) or handed to Redis (rq). Returns how many were handed out."""
    total = 0
    for _ in range(max_passes):
        count = dispatch()
        if not count:
            break
        total += count
    return total


def recover_lost(now: datetime) -> None:
    """Queued or running jobs whose lease has passed go back to pending; so do all queued
    ones when Redis has restarted (it keeps nothing on disk: its queue is gone)."""
    lost = or_(Job.lease_until < now, Job.status == "queued") if redis_restarted() else (
        Job.lease_until < now)
    found = db.session.scalars(
        update(Job).where(Job.status.in_(("queued", "running")), lost)
        .values(status="pending", lease_until=None).returning(Job.id)
        .execution_options(synchronize_session=False)).all()
    if found:
        log.warning("%s jobs whose runner was lost are handed out again", len(found))
    db.session.commit()


def redis_restarted() -> bool:
    """Whether the Redis server is another one than last time (its run id changed)."""
    if current_app.config["JOBS_MODE"] != "rq":
        return False
    try:
        run_id = redis_connection().info("server")["run_id"]
    except Exception:
        return False  # unreachable: nothing can be enqueued anyway
    seen = current_app.extensions.get("sulh_redis_run_id")
    current_app.extensions["sulh_redis_run_id"] = run_id
    return seen is not None and seen != run_id


def enqueue(ids: list[int], now: datetime) -> int:
    """Mark the rows queued, then put their ids on Redis. If Redis does not answer, they go
    back to pending (after a short wait) and nothing is lost."""
    lease = now + timedelta(seconds=queued_lease())
    claimed = db.session.scalars(
        update(Job).where(Job.id.in_(ids), Job.status == "pending")
        .values(status="queued", lease_until=lease)
        .returning(Job.id).execution_options(synchronize_session=False)).all()
    db.session.commit()
    try:
        timeout = current_app.config["JOBS_TIMEOUT"]
        rq_queue().enqueue_many([
            Queue.prepare_data(jobs.execute, args=(job_id,), job_id=f"sulh-job-{job_id}",
                               timeout=timeout, result_ttl=0, failure_ttl=86400,
                               description=f"job #{job_id}")
            for job_id in claimed])
    except Exception as exc:  # redis.exceptions.ConnectionError, TimeoutError, OSError...
        db.session.execute(
            update(Job).where(Job.id.in_(claimed), Job.status == "queued")
            .values(status="pending", lease_until=None,
                    run_after=utcnow() + timedelta(seconds=current_app.config[
                        "JOBS_POLL_SECONDS"]))
            .execution_options(synchronize_session=False))
        db.session.commit()
        log.warning("Redis did not take %s jobs (%s: %s); they wait in the database",
                    len(claimed), type(exc).__name__, exc)
        return 0
    return len(claimed)


def queued_lease() -> int:
    """Seconds a job may wait on Redis before it is presumed forgotten and enqueued again."""
    return 4 * int(current_app.config["JOBS_TIMEOUT"])


def purge(now: datetime) -> None:
    """Forget finished jobs and old submission keys."""
    db.session.execute(delete(Job).where(Job.status == "done", Job.finished_at < now - KEEP_DONE)
                       .execution_options(synchronize_session=False))
    db.session.execute(delete(SubmissionKey).where(SubmissionKey.created_at < now - KEEP_KEYS)
                       .execution_options(synchronize_session=False))
    db.session.commit()


def backlog() -> tuple[int, datetime | None]:
    """How many jobs wait to be handed out, and since when (the console and /healthz)."""
    from sqlalchemy import func

    count, oldest = db.session.execute(
        select(func.count(), func.min(Job.created_at))
        .where(Job.status.in_(("pending", "queued")))).one()
    return int(count), oldest


# ---------------------------------------------------------------------------------- Redis
def redis_connection(app: Flask | None = None) -> Redis:
    app = app or current_app
    connection = app.extensions.get("sulh_redis")
    if connection is None:
        connection = Redis.from_url(app.config["REDIS_URL"], socket_connect_timeout=2,
                                    socket_timeout=10)
        app.extensions["sulh_redis"] = connection
    return connection


def rq_queue(app: Flask | None = None) -> Queue:
    app = app or current_app
    return Queue(app.config["JOBS_QUEUE"], connection=redis_connection(app))


def run_worker(app: Flask, *, burst: bool = False) -> bool:
    """`flask jobs worker`: a forking RQ worker, with this process's relay handing it the
    committed rows (and any rows a dead web worker left behind)."""
    from rq import Worker

    from app.services import pdf

    jobs.use_app(app)
    pdf.preload()  # import WeasyPrint (~0.6 s) once here, not in every forked work horse
    db.engine.dispose()  # each work horse forks: it must open its own connections
    if not burst:
        relay_of(app).wake()
    worker = Worker([rq_queue(app)], connection=redis_connection(app))
    return worker.work(burst=burst, with_scheduler=False)


SWEEP_JOB = "app.cases.sweep.run.sweep_job"


def cron_scheduler(app: Flask, *, every: int = 60) -> CronScheduler:
    """RQ's cron scheduler with the periodic job: the deadline sweep (expiries, then
    reminders) every `every` seconds."""
    scheduler = CronScheduler(connection=redis_connection(app))
    # ttl: a sweep still queued after a few periods is dropped (a newer one is behind it).
    scheduler.register(jobs.execute_periodic, app.config["JOBS_QUEUE"], args=(SWEEP_JOB,),
                       interval=every, job_timeout=app.config["JOBS_TIMEOUT"], ttl=every * 5)
    return scheduler


def run_scheduler(app: Flask, *, every: int = 60) -> None:
    """`flask jobs scheduler`: the periodic sweep — RQ's cron scheduler when jobs go through
    Redis, else a plain loop sweeping in this process (its jobs run by this process's relay)."""
    if app.config["JOBS_MODE"] == "rq":
        cron_scheduler(app, every=every).start()
        return
    while True:  # pragma: no cover - a daemon loop
        with app.app_context():
            spec = jobs.spec_of(SWEEP_JOB)
            assert spec is not None
            spec.func()
            drain()
        time.sleep(every)
