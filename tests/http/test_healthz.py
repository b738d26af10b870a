"""/healthz checks the database, the document store and the job queue for real, and names each
component that is down. The failures here are real ones: a database nobody listens for, a
storage root that cannot be created, a Redis port with no server."""

from __future__ import annotations

import socket

import pytest

import config
from app import create_app


def dead_port() -> int:
    with socket.socket() as probe:  # bound then closed: nothing listens there
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def health(app) -> tuple[int, dict]:
    response = app.test_client().get("/healthz")
    return response.status_code, response.get_json()


def test_all_components_up(app):
    status, body = health(app)
    assert status == 200 and body["status"] == "ok"
    assert body["checks"] == {"database": "ok", "storage": "ok", "jobs": "ok (in-process)"}


def test_redis_up_when_jobs_go_through_rq(app):
    app.config["JOBS_MODE"] = "rq"
    status, body = health(app)
    if body["checks"]["jobs"].startswith("error"):  # pragma: no cover - CI runs Redis
        pytest.skip("Redis is not running on 127.0.0.1:6379")
    assert status == 200 and body["checks"]["jobs"] == "ok (rq)"


def test_database_down(tmp_path):
    settings = config.TestConfig()
    settings.SQLALCHEMY_DATABASE_URI = (
        f"postgresql+psycopg://postgres@127.0.0.1:{dead_port()}/sulh?connect_timeout=2")
    settings.SQLALCHEMY_ENGINE_OPTIONS = {}
    settings.STORAGE_URL = f"file://{tmp_path / 'storage'}"
    status, body = health(create_app(settings))
    assert status == 503 and body["status"] == "error"
    assert body["checks"]["database"] == "error: OperationalError"
    assert body["checks"]["storage"] == "ok" and body["checks"]["jobs"].startswith("ok")


def test_storage_not_writable(app, tmp_path):
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("a file where the storage root should be")
    app.config["STORAGE_URL"] = f"file://{blocker / 'storage'}"
    status, body = health(app)
    assert status == 503
    assert body["checks"]["storage"] == "error: NotADirectoryError"
    assert body["checks"]["database"] == "ok"


def test_job_queue_unreachable(app):
    app.config.update(JOBS_MODE="rq", REDIS_URL=f"redis://127.0.0.1:{dead_port()}/1")
    status, body = health(app)
    assert status == 503
    assert body["checks"]["jobs"] == "error: ConnectionError"
    assert body["checks"]["database"] == "ok" and body["checks"]["storage"] == "ok"
