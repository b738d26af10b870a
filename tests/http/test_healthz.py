"""/healthz checks the database, the document store and the job queue for real, and names each
component that is down. The failures here are real ones: a database nobody listens for, a
storage root that cannot be created, a disk with less free space than the minimum, a Redis
port with no server."""

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
    assert body["checks"] == {"database": "ok", "storage": "ok",
                              "jobs": "ok (in-process, 0 waiting)"}


def test_redis_up_when_jobs_go_through_rq(app):
    app.config["JOBS_MODE"] = "rq"
    status, body = health(app)
    if not body["checks"]["jobs"].startswith("ok"):  # pragma: no cover - CI runs Redis
        pytest.skip("Redis is not running on 127.0.0.1:6379")
    assert status == 200 and body["checks"]["jobs"] == "ok (rq, 0 waiting)"


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


def test_disk_below_the_free_space_minimum(app):
    """This machine's disk has less free than a minimum set absurdly high: alert before
    uploads start failing."""
    app.config["MIN_FREE_MB"] = 10**9  # a petabyte
    status, body = health(app)
    assert status == 503 and body["status"] == "error"
    assert "below the minimum of 1000000000 MiB" in body["checks"]["storage"]


def test_job_queue_unreachable_degrades_but_serves(app):
    """Requests still work without Redis (jobs wait in the database), so the web workers
    stay in the load balancer: 200, "degraded"."""
    app.config.update(JOBS_MODE="rq", REDIS_URL=f"redis://127.0.0.1:{dead_port()}/1")
    status, body = health(app)
    assert status == 200 and body["status"] == "degraded"
    assert body["checks"]["jobs"].startswith("degraded: ConnectionError")
    assert body["checks"]["database"] == "ok" and body["checks"]["storage"] == "ok"
