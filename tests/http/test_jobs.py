"""Background jobs: retried with backoff, applied once, and visible to case managers when they
keep failing. Every test runs twice: with the in-process runner (the embedded default) and with
a real RQ worker on the Redis of this machine (database 1; a queue of this test run's own,
emptied before and after each test)."""

from __future__ import annotations

import socket
from datetime import timedelta
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller

from app.extensions import db
from app.models import Deadline, Decision, JobFailure, OutboxEmail
from app.models.types import utcnow
from app.services import jobs
from tests.http.filing_steps import file_complaint
from tests.http.test_lifecycle import act, case, into_mediation, served_case


class FlakyInbox:
    """An SMTP server that refuses the first `failures` messages to each address (451, try
    again later), then accepts."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.refused: dict[str, int] = {}
        self.messages: list[tuple[list[str], bytes]] = []

    async def handle_DATA(self, server, session, envelope):
        key = ",".join(envelope.rcpt_tos)
        if self.refused.get(key, 0) < self.failures:
            self.refused[key] = self.refused.get(key, 0) + 1
            return "451 Requested action aborted: try again later"
        self.messages.append((envelope.rcpt_tos, envelope.content))
        return "250 OK"

    def to(self, address: str) -> list[bytes]:
        return [content for rcpt, content in self.messages if address in rcpt]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def smtp(failures: int):
    inbox = FlakyInbox(failures)
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    return inbox, port, controller


class Runner:
    """Runs what was queued: nothing to do in-process (jobs ran after the commit); with RQ,
    a SimpleWorker in burst mode drains the queue, retries included."""

    def __init__(self, app, mode: str) -> None:
        self.app, self.mode = app, mode

    def work(self) -> None:
        if self.mode == "rq":
            from rq import SimpleWorker

            with self.app.app_context():
                connection = jobs.redis_connection(self.app)
                SimpleWorker([jobs.queue(self.app)], connection=connection).work(burst=True)
        db.session.expire_all()


@pytest.fixture(params=["inprocess", "rq"])
def runner_mode(request, app):
    mode = request.param
    app.config["JOBS_MODE"] = mode
    if mode == "rq":
        try:
            jobs.redis_connection(app).ping()
        except OSError as exc:  # pragma: no cover - CI runs Redis
            pytest.skip(f"Redis not reachable at {app.config['REDIS_URL']}: {exc}")
        clear_queue(app)
    yield Runner(app, mode)
    if mode == "rq":
        clear_queue(app)


def clear_queue(app) -> None:
    """This run's queue only (TestConfig names it per process), with its jobs' records."""
    queue = jobs.queue(app)
    queue.empty()
    for registry in (queue.failed_job_registry, queue.finished_job_registry,
                     queue.scheduled_job_registry):
        for job_id in registry.get_job_ids():
            registry.remove(job_id, delete_job=True)


def test_email_failing_twice_is_retried_and_delivered_once(app, people, runner_mode):
    inbox, port, controller = smtp(failures=2)
    try:
        app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=port, MAIL_USE_TLS=False)
        number = file_complaint(people.client("claimant"))
        if runner_mode.mode == "rq":
            assert inbox.messages == [] and inbox.refused == {}  # queued, not yet run
        runner_mode.work()
    finally:
        controller.stop()
    assert inbox.refused["claimant@example.test"] == 2
    receipts = inbox.to("claimant@example.test")
    assert len(receipts) == 1 and number.encode() in receipts[0]
    row = db.session.scalar(db.select(OutboxEmail).where(
        OutboxEmail.to_addr == "claimant@example.test"))
    assert row.sent_at is not None and row.attempts == 3 and row.last_error is None
    assert db.session.scalar(db.select(db.func.count()).select_from(JobFailure)) == 0


def test_email_that_keeps_failing_is_shown_to_case_managers_and_can_be_retried(
        app, people, runner_mode, runner):
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=free_port(), MAIL_USE_TLS=False)
    manager = people.client("manager")
    file_complaint(people.client("claimant"))
    runner_mode.work()
    row = db.session.scalar(db.select(OutboxEmail).where(
        OutboxEmail.to_addr == "claimant@example.test"))
    assert row.sent_at is None and row.attempts == 4  # the first try and three retries
    failures = db.session.scalars(db.select(JobFailure)).all()
    failure = next(f for f in failures if f.kwargs == {"email_id": row.id})
    assert failure.status == "failed" and failure.attempts == 4
    assert "ConnectionRefusedError" in failure.error

    # Visible on the console and on the page listing failures, with the error.
    assert "Background jobs failing" in manager.get("/manage/").get_data(as_text=True)
    page = manager.get("/manage/jobs").get_data(as_text=True)
    assert f"email_id={row.id}" in page and "ConnectionRefusedError" in page
    listed = runner.invoke(args=["jobs", "failures"]).output
    assert f"#{failure.id} failed app.services.notify.deliver" in listed
    # Parties never see it.
    assert people.client("claimant").get("/manage/jobs").status_code == 404

    # The mail server is back: the manager retries and the message goes out once.
    inbox, port, controller = smtp(failures=0)
    try:
        app.config["MAIL_PORT"] = port
        response = manager.post(f"/manage/jobs/{failure.id}/retry")
        assert response.status_code == 302
        runner_mode.work()
    finally:
        controller.stop()
    assert len(inbox.to("claimant@example.test")) == 1
    failure = db.session.get(JobFailure, failure.id)
    assert failure.status == "resolved" and failure.resolved_at is not None
    assert db.session.get(OutboxEmail, row.id).sent_at is not None


def test_pdf_render_failing_twice_is_retried_and_issued_once(app, people, runner_mode,
                                                              monkeypatch):
    from app.services import pdf

    real_render = pdf.render_decision
    calls = {"n": 0}

    def flaky_render(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] <= 2:
            raise OSError("font cache locked")
        return real_render(*args, **kwargs)

    monkeypatch.setattr(pdf, "render_decision", flaky_render)
    number = into_mediation(app, people)
    act(people.client("respondent"), number, "propose_settlement",
        {"terms": "The respondent withdraws all listings within 7 days."})
    act(people.client("claimant"), number, "accept_settlement")
    runner_mode.work()
    assert calls["n"] == 3
    decisions = db.session.scalars(db.select(Decision).where(
        Decision.case_id == case(number).id)).all()
    assert len(decisions) == 1
    assert decisions[0].status == "issued" and decisions[0].sha256
    storage = Path(app.config["STORAGE_URL"].removeprefix("file://"))
    assert len(list((storage / f"decisions/{case(number).id}").glob("*.pdf"))) == 1
    assert db.session.scalar(db.select(db.func.count()).select_from(JobFailure)) == 0


def test_deadline_sweep_runs_as_a_job(app, people, runner_mode):
    number, _respondent = served_case(app, people)
    deadline = db.session.scalar(db.select(Deadline).where(
        Deadline.case_id == case(number).id, Deadline.status == "open"))
    deadline.due_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    with app.app_context():
        jobs.submit(jobs.SWEEP_JOB, {})
    runner_mode.work()
    swept = case(number)
    assert db.session.get(Deadline, deadline.id).status == "expired"
    assert swept.stage != "response"
    assert swept.events[-1].action == deadline.on_expiry


@pytest.mark.parametrize("runner_mode", ["rq"], indirect=True)  # in-process: a plain loop
def test_the_scheduler_enqueues_the_sweep_for_the_workers(app, people, runner_mode):
    number, _respondent = served_case(app, people)
    deadline = db.session.scalar(db.select(Deadline).where(
        Deadline.case_id == case(number).id, Deadline.status == "open"))
    deadline.due_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    scheduler = jobs.cron_scheduler(app, every=60)
    queued = jobs.queue(app).count
    assert [job.func_name for job in scheduler.enqueue_jobs()] == ["app.services.jobs.execute"]
    assert jobs.queue(app).count == queued + 1
    runner_mode.work()
    assert db.session.get(Deadline, deadline.id).status == "expired"


def test_the_worker_command_refuses_to_start_when_jobs_run_in_process(app, runner):
    result = runner.invoke(args=["jobs", "worker", "--burst"])
    assert result.exit_code != 0 and "SULH_JOBS=rq" in result.output
