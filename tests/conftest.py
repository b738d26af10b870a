"""Fixtures: an app per test with a clean database (in-memory SQLite by default, PostgreSQL when
TEST_DATABASE_URL is set), a client per user, and helpers that read like what a user does."""

from __future__ import annotations

import contextvars
import os
import re
import secrets
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import text

import config
from app import create_app
from app.extensions import db
from app.models import OutboxEmail, User
from app.services import relay

ON_POSTGRES = os.environ.get("TEST_DATABASE_URL", "").startswith(("postgres", "postgresql"))
PASSWORD = "correct horse battery"
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
             locale: str = "en", country: str = "EG", verified: bool = True,
             **flags) -> User:
        """An account with the test password; its address confirmed unless `verified` is
        False (a complaint is filed only from a confirmed address)."""
        from app.models.types import utcnow

        user = User(email=email or f"{key}@example.test", name=name or key.title(),
                    locale=locale, country=country,
                    email_verified_at=utcnow() if verified else None, **flags)
        user.password_hash = _test_password_hash()
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
    response = client.post("/login", data={"email": email, "password": password})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return response


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
