"""Errors say what happened: a lost or unreachable database is 503 with Retry-After (a read is
first retried once on a fresh connection), a full disk 507 with nothing kept, and every error
under /api is JSON. The failures are real: a database port nobody listens on, backends
terminated from outside, a 1 MiB file system."""

from __future__ import annotations

import io
import shutil
import socket
import subprocess
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

import config
from app import create_app
from app.extensions import db
from app.models import Document
from tests.conftest import ON_POSTGRES, IsolatedClient, People
from tests.helpers import documents, served_case


def dead_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def app_without_database(tmp_path):
    settings = config.TestConfig()
    settings.SQLALCHEMY_DATABASE_URI = (
        f"postgresql+psycopg://postgres@127.0.0.1:{dead_port()}/sulh?connect_timeout=2")
    settings.SQLALCHEMY_ENGINE_OPTIONS = {}
    settings.STORAGE_URL = f"file://{tmp_path / 'storage'}"
    return create_app(settings)


def test_a_database_that_cannot_be_reached_is_503_with_retry_after(app_without_database):
    client = app_without_database.test_client()
    page = client.get("/verify/ABCD-EFGH-JKMN")
    assert page.status_code == 503 and page.headers["Retry-After"] == "5"
    assert "cannot be reached" in page.get_data(as_text=True)
    sent = client.post("/login", data={"email": "a@example.test", "password": "x" * 12})
    assert sent.status_code == 503
    assert "may not have been saved" in sent.get_data(as_text=True)
    api = client.get("/api/v1/cases/SULH-2026-000001", headers={"Authorization": "Bearer x"})
    assert api.status_code == 503 and api.get_json()["error"] == "unavailable"


@pytest.mark.skipif(not ON_POSTGRES, reason="terminates PostgreSQL backends")
def test_a_read_on_a_dropped_connection_is_retried_once_and_succeeds(app, people, tmp_path):
    settings = config.TestConfig()
    settings.STORAGE_URL = f"file://{tmp_path / 'storage'}"
    settings.DB_PING_IDLE_SECONDS = 3600  # no ping before use: the request meets the dead one
    other = create_app(settings)
    other.test_client_class = IsolatedClient
    people.make("claimant")
    client = People(other).client("claimant")
    assert client.get("/dashboard").status_code == 200
    with other.app_context():
        pool, url = db.engine.pool, db.engine.url
    pids = [r.dbapi_connection.info.backend_pid for r in list(pool._pool.queue)
            if r.dbapi_connection is not None]
    outsider = create_engine(url)
    with outsider.begin() as conn:
        for pid in pids:
            conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    outsider.dispose()
    assert pids
    assert client.get("/dashboard").status_code == 200


def test_every_error_under_the_api_is_json(app, people):
    client = people.client("claimant")
    for response, status in ((client.get("/api/v1/no/such/thing"), 404),
                             (client.delete("/api/v1/cases/SULH-2026-000001"), 405),
                             (client.get("/api/v1/cases/SULH-2099-999999"), 404),
                             (app.test_client().get("/api/v1/cases/X"), 401)):
        assert response.status_code == status
        assert response.is_json and response.get_json()["error"], response.data[:200]


def test_a_forbidden_page_is_ours_not_werkzeugs(app, people):
    number, respondent = served_case(app, people)
    claimant = people.client("claimant")
    from tests.helpers import pdf_bytes, upload

    upload(claimant, number, [("invoice.pdf", pdf_bytes())], title="Invoice")
    [document] = documents()
    response = respondent.post(f"/cases/{number}/documents/{document.id}/withdraw")
    assert response.status_code == 403
    page = response.get_data(as_text=True)
    assert 'dir="' in page and "Your role does not allow this." in page


@pytest.fixture
def tiny_disk(tmp_path):
    """A real 1 MiB file system for the document store."""
    mount = tmp_path / "tiny"
    mount.mkdir()
    if shutil.which("mount") is None or subprocess.run(
            ["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mount)],
            capture_output=True).returncode:
        pytest.skip("cannot mount a tmpfs here (needs root)")
    yield mount
    subprocess.run(["umount", "-l", str(mount)], check=False)


def test_a_full_disk_is_507_and_keeps_nothing(app, people, tiny_disk):
    number, _ = served_case(app, people)
    app.config["STORAGE_URL"] = f"file://{tiny_disk}"
    claimant = people.client("claimant")
    big = b"evidence " * (256 * 1024)  # 2.25 MiB of plain text: more than the disk holds
    response = claimant.post(f"/cases/{number}/documents/upload", data={
        "scope": "participants", "confirm": "y", "files-0-title": "Too big",
        "files-0-kind": "exhibit", "files-0-file": (io.BytesIO(big), "big.txt")},
        content_type="multipart/form-data")
    assert response.status_code == 507, response.get_data(as_text=True)[:300]
    assert "no space left" in response.get_data(as_text=True)
    assert db.session.scalar(db.select(db.func.count()).select_from(Document)) == 0
    assert [p for p in Path(tiny_disk).rglob("*") if p.is_file()] == []
    # The disk has room again: the same upload goes through.
    app.config["STORAGE_URL"] = f"file://{tiny_disk.parent / 'roomy'}"
    again = claimant.post(f"/cases/{number}/documents/upload", data={
        "scope": "participants", "confirm": "y", "files-0-title": "Now fits",
        "files-0-kind": "exhibit", "files-0-file": (io.BytesIO(b"small text"), "small.txt")},
        content_type="multipart/form-data")
    assert again.status_code == 302
