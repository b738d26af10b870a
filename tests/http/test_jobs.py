"""Background jobs are rows committed with their cause, retried with backoff, run once, never
inside a request, and visible to the case managers (who are told by email) when they keep
failing. Most tests run twice: with the in-process runner and with a real RQ worker on this
machine's Redis (`runner_mode` in tests/conftest.py)."""

from __future__ import annotations

import socket
import subprocess
import time
from datetime import timedelta
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller

import config
from app import create_app
from app.extensions import db
from app.models import Deadline, Decision, Document, Job, Message, OutboxEmail
from app.models.types import utcnow
from app.services import jobs, notify, relay
from tests.conftest import ON_POSTGRES, login
from tests.helpers import act, case, file_complaint, into_mediation, served_case


class FlakyInbox:
    """An SMTP server that refuses the first `failures` messages to each address (451, try
    again later), then accepts; it may also take `delay` seconds to answer."""

    def __init__(self, failures: int, delay: float = 0.0) -> None:
        self.failures, self.delay = failures, delay
        self.refused: dict[str, int] = {}
        self.messages: list[tuple[list[str], bytes]] = []

    async def handle_DATA(self, server, session, envelope):
        if self.delay:
            import asyncio

            await asyncio.sleep(self.delay)
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


def smtp(failures: int, delay: float = 0.0):
    inbox = FlakyInbox(failures, delay)
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    return inbox, port, controller


def queued_email(to: str = "claimant@example.test") -> OutboxEmail:
    message = OutboxEmail(to_addr=to, subject="Hello", body="Hello.\n")
    db.session.add(message)
    db.session.flush()
    jobs.defer(notify.deliver, email_id=message.id)
    return message


def job_rows(status: str | None = None) -> list[Job]:
    db.session.expire_all()
    query = db.select(Job).order_by(Job.id)
    if status:
        query = query.where(Job.status == status)
    return list(db.session.scalars(query))


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
    assert job_rows("failed") == []
    assert {j.status for j in job_rows()} == {"done"}


def test_email_that_keeps_failing_is_shown_and_told_to_the_centre_and_can_be_retried(
        app, people, runner_mode, runner):
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=free_port(), MAIL_USE_TLS=False)
    manager = people.client("manager")
    file_complaint(people.client("claimant"))
    runner_mode.work()
    row = db.session.scalar(db.select(OutboxEmail).where(
        OutboxEmail.to_addr == "claimant@example.test"))
    assert row.sent_at is None and row.attempts == 4  # the first try and three retries
    failed = next(j for j in job_rows("failed") if j.kwargs == {"email_id": row.id})
    assert failed.attempts == 4 and "ConnectionRefusedError" in failed.last_error

    # The Centre is told by email (which cannot go out either, and raises no alert itself).
    alert = db.session.scalar(db.select(OutboxEmail).where(
        OutboxEmail.to_addr == "manager@example.test",
        OutboxEmail.dedupe_key.like(f"job-failed:{failed.id}:%")))
    assert alert is not None and "deliver" in alert.body
    alert_job = next(j for j in job_rows() if j.kwargs == {"email_id": alert.id})
    assert alert_job.name == "app.services.notify.deliver_alert"
    assert not db.session.scalar(db.select(OutboxEmail).where(
        OutboxEmail.dedupe_key.like(f"job-failed:{alert_job.id}:%")))

    # Visible on the console and on the page listing failures, with the error.
    assert "Background jobs failing" in manager.get("/manage/").get_data(as_text=True)
    page = manager.get("/manage/jobs").get_data(as_text=True)
    assert f"email_id={row.id}" in page and "ConnectionRefusedError" in page
    listed = runner.invoke(args=["jobs", "failures"]).output
    assert f"#{failed.id} failed app.services.notify.deliver" in listed
    # Parties never see it.
    assert people.client("claimant").get("/manage/jobs").status_code == 404

    # The mail server is back: the manager retries and the message goes out once.
    inbox, port, controller = smtp(failures=0)
    try:
        app.config["MAIL_PORT"] = port
        response = manager.post(f"/manage/jobs/{failed.id}/retry")
        assert response.status_code == 302
        runner_mode.work()
    finally:
        controller.stop()
    assert len(inbox.to("claimant@example.test")) == 1
    assert db.session.get(Job, failed.id).status == "done"
    assert db.session.get(OutboxEmail, row.id).sent_at is not None


def test_email_backs_off_to_a_day_in_production():
    """The production schedule: minutes first, then hours, the last wait a day."""
    waits = list(config.Config.MAIL_RETRY_INTERVALS)
    assert waits == sorted(waits) and waits[0] <= 60 and waits[-1] == 86400
    assert 24 * 3600 < sum(waits) <= 3 * 24 * 3600


def test_a_failed_attempt_waits_its_turn(app, people):
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=free_port(), MAIL_USE_TLS=False,
                      MAIL_RETRY_INTERVALS=(60, 300))
    people.client("claimant")
    message = queued_email()
    db.session.commit()
    [row] = job_rows()
    started = utcnow()
    assert jobs.run(row.id) == "retry"
    row = db.session.get(Job, row.id)
    assert row.status == "pending" and row.attempts == 1
    assert timedelta(seconds=59) < row.run_after - started < timedelta(seconds=62)
    assert relay.dispatch() == 0  # not due yet
    assert relay.dispatch(now=utcnow() + timedelta(seconds=61)) == 1
    assert db.session.get(Job, row.id).attempts == 2
    assert db.session.get(OutboxEmail, message.id).attempts == 2


def test_a_job_deferred_by_a_rolled_back_change_never_runs(app, people):
    people.client("claimant")
    queued_email()
    db.session.rollback()
    assert job_rows() == [] and relay.drain() == 0


def test_a_job_whose_runner_died_is_handed_out_again(app, people):
    people.client("claimant")
    message = queued_email()
    db.session.commit()
    [row] = job_rows()
    # A worker claimed it, then was killed (SIGKILL) before it could record anything.
    row.status, row.attempts = "running", 1
    row.lease_until = utcnow() + timedelta(seconds=jobs.running_lease())
    db.session.commit()
    assert relay.drain() == 0  # its lease still runs: maybe it is just slow
    assert relay.dispatch(now=row.lease_until + timedelta(seconds=1)) == 1
    assert db.session.get(Job, row.id).status == "done"
    assert db.session.get(Job, row.id).attempts == 2
    assert db.session.get(OutboxEmail, message.id).attempts == 0  # no MAIL_SERVER: logged


def test_a_job_is_claimed_once(app, people):
    """Two runners handed the same job (a re-enqueued one): only one runs it."""
    people.client("claimant")
    queued_email()
    db.session.commit()
    [row] = job_rows()
    assert jobs.run(row.id) == "done"
    assert jobs.run(row.id) == "skipped"


def test_only_registered_functions_are_jobs(app):
    with pytest.raises(ValueError, match="not a registered job"):
        jobs.defer(print, text="hello")
    db.session.add(Job(name="os.system", kwargs={"command": "true"}, status="pending"))
    db.session.commit()
    [row] = job_rows()
    assert jobs.run(row.id) == "failed"
    assert "no registered job os.system" in db.session.get(Job, row.id).last_error


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
    assert job_rows("failed") == []


def test_deadline_sweep_runs_as_a_periodic_job(app, people, runner_mode):
    number, _respondent = served_case(app, people)
    deadline = db.session.scalar(db.select(Deadline).where(
        Deadline.case_id == case(number).id, Deadline.status == "open"))
    deadline.due_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    if runner_mode.mode == "rq":
        relay.rq_queue(app).enqueue(jobs.execute_periodic, relay.SWEEP_JOB)
    else:
        jobs.execute_periodic(relay.SWEEP_JOB)
    runner_mode.work()
    swept = case(number)
    assert db.session.get(Deadline, deadline.id).status == "expired"
    assert swept.stage != "response"
    assert swept.events[-1].action == deadline.on_expiry
    # The notices of what the sweep did are jobs too, and went out.
    notices = [j for j in job_rows() if j.name.endswith("send_notices")]
    assert notices and {j.status for j in notices} == {"done"}


@pytest.mark.parametrize("runner_mode", ["rq"], indirect=True)  # in-process: a plain loop
def test_the_scheduler_enqueues_the_sweep_for_the_workers(app, people, runner_mode):
    number, _respondent = served_case(app, people)
    deadline = db.session.scalar(db.select(Deadline).where(
        Deadline.case_id == case(number).id, Deadline.status == "open"))
    deadline.due_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    scheduler = relay.cron_scheduler(app, every=60)
    queued = relay.rq_queue(app).count
    assert [job.func_name for job in scheduler.enqueue_jobs()] == [
        "app.services.jobs.execute_periodic"]
    assert relay.rq_queue(app).count == queued + 1
    runner_mode.work()
    assert db.session.get(Deadline, deadline.id).status == "expired"


def test_the_worker_command_refuses_to_start_when_jobs_run_in_process(app, runner):
    result = runner.invoke(args=["jobs", "worker", "--burst"])
    assert result.exit_code != 0 and "SULH_JOBS=rq" in result.output


# ------------------------------------------------------------------------- a Redis outage
class PrivateRedis:
    """A Redis of this test's own, to stop and start while the app runs."""

    def __init__(self) -> None:
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.1).close()
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(10)
            self.process = None


@pytest.fixture
def private_redis():
    if subprocess.run(["which", "redis-server"], capture_output=True).returncode:
        pytest.skip("redis-server is not installed")  # pragma: no cover - CI has it
    redis = PrivateRedis()
    redis.start()
    yield redis
    redis.stop()


def test_a_redis_outage_loses_nothing_and_fails_no_request(app, people, private_redis):
    """Redis goes down while parties upload and act: every request succeeds, nothing is
    half-done, and the mail goes out once Redis is back."""
    from tests.helpers import pdf_bytes, upload

    inbox, port, controller = smtp(failures=0)
    app.config.update(JOBS_MODE="rq", REDIS_URL=f"redis://127.0.0.1:{private_redis.port}/0",
                      MAIL_SERVER="127.0.0.1", MAIL_PORT=port, MAIL_USE_TLS=False,
                      JOBS_POLL_SECONDS=0)
    try:
        number = into_mediation(app, people)
        before = len(job_rows())
        assert "queued" in {j.status for j in job_rows()}  # on Redis, not yet run
        claimant = people.client("claimant")
        private_redis.stop()  # and what it held is gone with it (it keeps nothing on disk)

        # An upload through the web, and a message through the API, while Redis is down.
        response = upload(claimant, number, [("evidence.pdf", pdf_bytes())], title="Evidence")
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
        from app.models import ApiToken

        _row, token = ApiToken.issue(people.user("respondent"), "outage")
        db.session.commit()
        reply = app.test_client().post(
            f"/api/v1/cases/{number}/actions/send_message",
            json={"channel": "joint", "body": "A licence at 5 % would suit us."},
            headers={"Authorization": f"Bearer {token}"})
        assert reply.status_code == 200, reply.get_data(as_text=True)[:500]
        assert reply.is_json
        assert db.session.scalar(db.select(Message).where(Message.body.contains("5 %")))

        # Nothing lost, nothing half-done: the rows, the bytes and the audit events are there.
        [document] = db.session.scalars(db.select(Document).where(
            Document.title == "Evidence")).all()
        storage = Path(app.config["STORAGE_URL"].removeprefix("file://"))
        assert (storage / document.storage_key).is_file()
        assert any(e.action == "upload_document" for e in case(number).events)
        waiting = [j for j in job_rows() if j.status == "pending"]
        assert len(job_rows()) > before and waiting  # the jobs wait in the database
        assert inbox.messages == []

        # Redis is back: the relay hands the waiting jobs over and the mail goes out, once.
        private_redis.start()
        with app.app_context():
            from tests.conftest import JobRunner

            JobRunner(app, "rq").work()
        assert {j.status for j in job_rows()} == {"done"}
        outbox = db.session.scalars(db.select(OutboxEmail)).all()
        assert outbox and all(m.sent_at is not None for m in outbox)
        assert len(inbox.messages) == len(outbox)  # every message once, none twice
        assert any(b"Evidence" in m for m in inbox.to("respondent@example.test"))
        assert inbox.to("mediator@example.test")  # told of the respondent's message
    finally:
        controller.stop()


# ---------------------------------------------------------------- never inside a request
def test_a_slow_mail_server_never_holds_up_a_request(tmp_path):
    """The embedded default: jobs run in the process's background thread, not the request.
    A mail server that takes 3 s per message: the request answers at once, the mail follows."""
    inbox, port, controller = smtp(failures=0, delay=3.0)
    settings = config.TestConfig()
    settings.SQLALCHEMY_DATABASE_URI = f"sqlite:///{tmp_path / 'sulh.db'}"
    settings.SQLALCHEMY_ENGINE_OPTIONS = {}
    settings.STORAGE_URL = f"file://{tmp_path / 'storage'}"
    settings.JOBS_BACKGROUND = True
    settings.JOBS_POLL_SECONDS = 0.2
    settings.MAIL_SERVER, settings.MAIL_PORT, settings.MAIL_USE_TLS = "127.0.0.1", port, False
    app = create_app(settings)
    try:
        with app.app_context():
            db.create_all()
            from tests.conftest import People

            people = People(app)
            people.make("claimant")
            client = app.test_client()
            login(client, "claimant@example.test")
            started = time.perf_counter()
            response = client.post("/file/new", data={"procedure": "med-arb"})
            assert response.status_code == 302
            number = file_complaint(client)
            took = time.perf_counter() - started
            assert took < 2.5, f"the filing waited for the mail server ({took:.1f} s)"
            for _ in range(100):
                if inbox.to("claimant@example.test"):
                    break
                time.sleep(0.1)
            receipts = inbox.to("claimant@example.test")
            assert len(receipts) == 1 and number.encode() in receipts[0]
    finally:
        relay.relay_of(app).stop()
        controller.stop()



def test_a_worker_process_runs_a_job_in_the_app_it_was_given(app, people):
    """What a forked RQ work horse does: no app context of its own, only the app that
    `flask jobs worker` gave the process."""
    import contextvars

    people.client("claimant")
    message = queued_email()
    db.session.commit()
    [row] = job_rows()
    jobs.use_app(app)
    try:
        contextvars.Context().run(jobs.execute, row.id)  # outside every app context
    finally:
        jobs.use_app(None)
    db.session.expire_all()
    assert db.session.get(Job, row.id).status == "done"
    assert db.session.get(OutboxEmail, message.id).last_error is None


@pytest.mark.skipif(not ON_POSTGRES, reason="a forked work horse needs a database it can "
                    "reach (the in-memory SQLite is the test process's own)")
@pytest.mark.parametrize("runner_mode", ["rq"], indirect=True)
def test_the_worker_command_runs_committed_jobs_in_forked_horses(app, people, runner_mode,
                                                                 runner):
    number = file_complaint(people.client("claimant"))
    assert {j.status for j in job_rows()} == {"queued"}  # handed to Redis by the relay
    result = runner.invoke(args=["jobs", "worker", "--burst"])
    assert result.exit_code == 0, result.output
    assert {j.status for j in job_rows()} == {"done"}
    assert number in outbox_subjects("claimant@example.test")


def outbox_subjects(address: str) -> str:
    return " ".join(m.subject for m in db.session.scalars(db.select(OutboxEmail).where(
        OutboxEmail.to_addr == address)))
