"""Fixtures: an app per test with a clean database (in-memory SQLite by default, PostgreSQL when
TEST_DATABASE_URL is set), a client per user, and helpers that read like what a user does."""

from __future__ import annotations

import contextvars
import os
import re
import secrets
import shutil
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import text
from werkzeug.serving import make_server

import config
from app import create_app
from app.extensions import db
from app.models import OutboxEmail, User
from app.services import relay

ON_POSTGRES = os.environ.get("TEST_DATABASE_URL", "").startswith(("postgres", "postgresql"))
PASSWORD = "correct horse battery"
# Test accounts' authenticator key: People.make enrols every account with it (a real second
# factor, as in production); login() computes the current code from it with pyotp.
TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
# Test accounts share one hash, made with TestConfig's cheap argon2id parameters (so signing
# in does not replace it): the production parameters cost ~50 ms per hash and per sign-in,
# which would dominate tests that sign in several roles. Tests of the hashes themselves and
# of sign-in timing set the production parameters (tests/helpers.py).
_TEST_HASH = None


def _test_password_hash() -> str:
    global _TEST_HASH
    if _TEST_HASH is None:
        from argon2 import PasswordHasher

        settings = config.TestConfig
        _TEST_HASH = PasswordHasher(time_cost=settings.PASSWORD_ARGON2_TIME_COST,
                                    memory_cost=settings.PASSWORD_ARGON2_MEMORY_KIB,
                                    parallelism=settings.PASSWORD_ARGON2_PARALLELISM,
                                    hash_len=32, salt_len=16).hash(PASSWORD)
    return _TEST_HASH
_schema_ready = False


class IsolatedClient(FlaskClient):
    """Each request runs in its own app context, as in production. Flask reuses an app
    context that is already pushed (the test's), which would share `g` — and with it the
    signed-in user and the locale — between requests of different users.

    After each request the jobs it committed are handed out, as the relay thread would (tests
    run without one: TestConfig.JOBS_BACKGROUND): in-process they run here and now, so a test
    reads their effects on its next line; with RQ they are enqueued for the test's worker."""

    def open(self, *args, **kwargs):
        kwargs.setdefault("buffered", True)  # streamed bodies finish inside that context
        response = contextvars.Context().run(super().open, *args, **kwargs)
        contextvars.Context().run(run_jobs, self.application)
        return response


def run_jobs(app: Flask) -> int:
    """Hand out every job that is due (in-process: run them), in a context of their own."""
    with app.app_context():
        return relay.drain()


@pytest.fixture
def app(tmp_path) -> Iterator[Flask]:
    global _schema_ready
    settings = config.TestConfig()
    settings.STORAGE_URL = f"file://{tmp_path / 'storage'}"
    app = create_app(settings)
    app.test_client_class = IsolatedClient
    with app.app_context():
        if ON_POSTGRES:
            if not _schema_ready:
                db.drop_all()
                db.create_all()
                _schema_ready = True
            else:
                tables = ", ".join(f'"{t.name}"' for t in db.metadata.sorted_tables)
                # The audit trail's trigger refuses TRUNCATE; as the superuser the tests run
                # as, this transaction fires no triggers.
                db.session.execute(text("SET LOCAL session_replication_role = replica"))
                db.session.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
                db.session.commit()
        else:
            db.create_all()
        yield app
        db.session.remove()
        if not ON_POSTGRES:
            db.drop_all()
        db.engine.dispose()


@pytest.fixture
def client(app) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


class People:
    """Users by role, each with their own signed-in client."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.clients: dict[str, FlaskClient] = {}

    def make(self, key: str, *, name: str | None = None, email: str | None = None,
             locale: str = "en", country: str = "EG", totp: bool = True,
             verified: bool = True, **flags) -> User:
        """An account with the tests' password and, unless `totp=False` (a party that gets
        codes by email, or someone who has still to set up an app), TOTP_SECRET; its address
        confirmed unless `verified` is False (a complaint is filed only from a confirmed
        address)."""
        from app.models.types import utcnow

        user = User(email=email or f"{key}@example.test", name=name or key.title(),
                    locale=locale, country=country,
                    email_verified_at=utcnow() if verified else None, **flags)
        user.password_hash = _test_password_hash()
        if totp:
            user.totp_secret, user.totp_enrolled_at = TOTP_SECRET, datetime.now(UTC)
        db.session.add(user)
        db.session.commit()
        return user

    def client(self, key: str) -> FlaskClient:
        if key not in self.clients:
            user = db.session.scalar(db.select(User).where(User.email == f"{key}@example.test"))
            if user is None:
                flags = {"manager": {"is_case_manager": True},
                         "mediator": {"is_neutral": True},
                         "arbitrator": {"is_neutral": True}}.get(key, {})
                user = self.make(key, **flags)
            c = self.app.test_client()
            login(c, user.email)
            self.clients[key] = c
        return self.clients[key]

    def user(self, key: str) -> User:
        self.client(key)
        return db.session.scalar(db.select(User).where(User.email == f"{key}@example.test"))


def login(client: FlaskClient, email: str, password: str = PASSWORD):
    """Sign in as a person does: the password, then the second step (a code from the app, the
    code emailed, or setting up an app). Returns the last answer."""
    response = client.post("/login", data={"email": email, "password": password})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return pass_second_step(client, email, response)


def pass_second_step(client: FlaskClient, email: str, response, **request):
    """The second step the password led to, passed with a right code: the account's current
    TOTP code (the last step used is forgotten first, so that a test may sign one account in
    several times within 30 s — the refusal of a replayed code is C5's own test), the code
    last emailed, or a new app set up with the key the step shows. `request` goes with the
    code (headers, environ_base: the browser and address the session records)."""
    from app.auth import second_factor
    from app.models import SecondStep

    where = response.location or ""
    if not where.startswith(("/login/enrol", "/login/code")):
        return response
    # The client's own app (a test may drive a second app with a database of its own).
    from contextlib import nullcontext

    from flask import current_app, has_app_context

    same = has_app_context() and current_app._get_current_object() is client.application
    with nullcontext() if same else client.application.app_context():
        db.session.expire_all()
        user = db.session.scalar(db.select(User).where(
            User.email == User.normalise_email(email)))
        if where.startswith("/login/enrol"):
            step = db.session.scalar(db.select(SecondStep).where(SecondStep.user_id == user.id)
                                     .order_by(SecondStep.created_at.desc()).limit(1))
            code = second_factor.code_at(step.totp_secret, second_factor.time_step())
        elif user.has_totp:
            user.totp_last_step = None
            db.session.commit()
            code = second_factor.code_at(user.totp_secret, second_factor.time_step())
        else:
            code = emailed_code(user.email)
    if where.startswith("/login/enrol"):
        done = client.post("/login/enrol", data={"code": code}, **request)
        assert done.status_code == 200 and "recovery" in done.get_data(as_text=True), \
            done.get_data(as_text=True)[:500]
        return done
    done = client.post("/login/code", data={"code": code}, **request)
    assert done.status_code == 302, done.get_data(as_text=True)[:500]
    return done


def emailed_code(address: str) -> str:
    """The six digits of the last second-factor code emailed to `address`."""
    db.session.expire_all()
    for message in reversed(outbox_to(address)):
        match = re.search(r"^ {4}(\d{6})$", message.body, re.MULTILINE)
        if match:
            return match.group(1)
    raise AssertionError(f"no code was emailed to {address}")


@pytest.fixture
def people(app) -> People:
    return People(app)


class Clock:
    """The time the whole app reads — `utcnow()`, and `time.time()` under the rate limiter —
    frozen at a known moment and moved on by the test (time-machine; monotonic clocks, which
    only measure durations, keep running)."""

    def __init__(self, traveller) -> None:
        self._traveller = traveller

    def advance(self, **delta: float) -> datetime:
        self._traveller.shift(timedelta(**delta))
        return self.now

    @property
    def now(self) -> datetime:
        return datetime.now(UTC)


@pytest.fixture
def clock() -> Iterator[Clock]:
    import time_machine

    with time_machine.travel(datetime(2026, 12, 1, 9, 0, tzinfo=UTC), tick=False) as traveller:
        yield Clock(traveller)


@pytest.fixture(params=["database", "redis"])
def session_store(request, app) -> Iterator[str]:
    """Each test runs with sessions in the database and in this machine's Redis (database 1,
    under a prefix of its own, removed afterwards)."""
    store = request.param
    if store == "redis":
        from redis import Redis

        prefix = f"sulh-test-{os.getpid()}-{secrets.token_hex(4)}:"
        redis = Redis.from_url(app.config["REDIS_URL"], socket_connect_timeout=2)
        try:
            redis.ping()
        except Exception as exc:  # pragma: no cover - CI runs Redis
            pytest.skip(f"Redis not reachable at {app.config['REDIS_URL']}: {exc}")
        app.config.update(SESSION_STORE="redis", SESSION_REDIS_PREFIX=prefix)
        app.extensions.pop("sulh_session_store", None)
        yield store
        keys = list(redis.scan_iter(f"{prefix}*"))
        if keys:
            redis.delete(*keys)
    else:
        yield store


def outbox_to(address: str) -> list[OutboxEmail]:
    return list(db.session.scalars(
        db.select(OutboxEmail).where(OutboxEmail.to_addr == address).order_by(OutboxEmail.id)))


class Inbox:
    """What a real SMTP server (aiosmtpd, on a free local port) received."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], bytes]] = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((envelope.mail_from, envelope.rcpt_tos, envelope.content))
        return "250 OK"


@pytest.fixture
def smtp_server():
    import socket

    from aiosmtpd.controller import Controller

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield inbox, port
    controller.stop()


def link_in(body: str, path_prefix: str) -> str:
    match = re.search(rf"https?://[^\s]+({re.escape(path_prefix)}[^\s]+)", body)
    assert match, body
    return match.group(1)


class JobRunner:
    """Runs what was committed, as the production runner would. In-process the test client
    already ran it (after each request); with RQ, the relay enqueues the due rows and a
    SimpleWorker in burst mode runs them, again until nothing is due (retries included)."""

    def __init__(self, app: Flask, mode: str) -> None:
        self.app, self.mode = app, mode

    def work(self) -> None:
        if self.mode == "rq":
            from rq import SimpleWorker

            for _ in range(50):
                with self.app.app_context():
                    handed = relay.drain()
                    queue = relay.rq_queue(self.app)
                    if not handed and not queue.count:
                        break
                    SimpleWorker([queue], connection=relay.redis_connection(self.app)
                                 ).work(burst=True)
        else:
            contextvars.Context().run(run_jobs, self.app)
        db.session.expire_all()


@pytest.fixture(params=["inprocess", "rq"])
def runner_mode(request, app) -> Iterator[JobRunner]:
    """Each test runs with the in-process runner and with a real RQ worker on this machine's
    Redis (database 1; a queue of this test run's own, emptied before and after)."""
    mode = request.param
    app.config["JOBS_MODE"] = mode
    if mode == "rq":
        try:
            relay.redis_connection(app).ping()
        except Exception as exc:  # pragma: no cover - CI runs Redis
            pytest.skip(f"Redis not reachable at {app.config['REDIS_URL']}: {exc}")
        clear_queue(app)
    yield JobRunner(app, mode)
    if mode == "rq":
        clear_queue(app)


def clear_queue(app: Flask) -> None:
    """This run's queue only (TestConfig names it per process), with its jobs' records."""
    queue = relay.rq_queue(app)
    queue.empty()
    for registry in (queue.failed_job_registry, queue.finished_job_registry,
                     queue.scheduled_job_registry):
        for job_id in registry.get_job_ids():
            registry.remove(job_id, delete_job=True)


# ------------------------------------------------------------------------------ the browser
# A real browser (Debian's chromium, driven by Playwright) against the app served on a free
# local port, for tests marked e2e (tests/e2e, and the security checks that need a browser).
# Without chromium they skip with a reason — except in CI, where SULH_REQUIRE_BROWSER=1 turns a
# missing browser into a failure. Here, not in tests/e2e/conftest.py: one browser per session
# for every directory that uses it.
CHROMIUM = "/usr/bin/chromium"
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
               "--disable-component-update", "--no-first-run", "--disable-sync",
               "--disable-quic"]


def pytest_collection_modifyitems(config, items):
    if os.path.exists(CHROMIUM) and shutil.which("chromium"):
        return
    if os.environ.get("SULH_REQUIRE_BROWSER") == "1":
        raise pytest.UsageError(f"{CHROMIUM} is required (SULH_REQUIRE_BROWSER=1)")
    skip = pytest.mark.skip(reason=f"Debian chromium not installed at {CHROMIUM}: "
                                   "apt-get install chromium to run the browser tests")
    for item in items:
        if "e2e" in item.keywords:
            item.add_marker(skip)


@pytest.fixture
def live_server(app) -> Iterator[str]:
    server = make_server("127.0.0.1", 0, app, threaded=False)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=5)


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True,
                                             args=LAUNCH_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(locale="en-GB")
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()
