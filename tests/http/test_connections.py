"""Pooled connections are pinged only after sitting idle (app/services/connections.py): a
connection the database dropped while it sat in the pool is replaced before a request uses
it, and a connection in steady use costs no extra round trip."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text

import config
from app import create_app
from app.extensions import db
from tests.conftest import ON_POSTGRES, IsolatedClient, People

pytestmark = pytest.mark.skipif(not ON_POSTGRES, reason="needs PostgreSQL")


def app_pinging_after(seconds: float, tmp_path):
    settings = config.TestConfig()
    settings.STORAGE_URL = f"file://{tmp_path / 'storage'}"
    settings.DB_PING_IDLE_SECONDS = seconds
    other = create_app(settings)
    other.test_client_class = IsolatedClient
    return other


def count_pings(app) -> list[int]:
    with app.app_context():
        dialect = db.engine.dialect
    pings, original = [0], dialect.do_ping

    def counting(dbapi_connection):
        pings[0] += 1
        return original(dbapi_connection)

    dialect.do_ping = counting
    return pings


def kill_pooled_backends(app) -> int:
    """Terminate, from outside, every server process holding one of the app's pooled
    connections (what a database restart or failover does to them)."""
    with app.app_context():
        pool, url = db.engine.pool, db.engine.url
    pids = [record.dbapi_connection.info.backend_pid for record in list(pool._pool.queue)
            if record.dbapi_connection is not None]
    outsider = create_engine(url)
    with outsider.begin() as conn:
        for pid in pids:
            conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    outsider.dispose()
    return len(pids)


def test_a_connection_dropped_while_idle_is_replaced(app, people, tmp_path):
    people.make("claimant")
    other = app_pinging_after(0, tmp_path)
    client = People(other).client("claimant")
    assert client.get("/dashboard").status_code == 200
    assert kill_pooled_backends(other) >= 1
    pings = count_pings(other)
    response = client.get("/dashboard")
    assert response.status_code == 200  # the dead connection was pinged, dropped, replaced
    assert pings[0] >= 1


def test_a_connection_in_steady_use_is_not_pinged(app, people):
    client = people.client("claimant")
    pings = count_pings(app)
    for _ in range(5):
        assert client.get("/dashboard").status_code == 200
    assert pings[0] == 0


def prepared_statements(app) -> int:
    with app.app_context():
        pool = db.engine.pool
    return sum(len(record.dbapi_connection._prepared._names)
               for record in list(pool._pool.queue) if record.dbapi_connection is not None)


def test_the_statements_of_a_page_stay_prepared_across_requests(app, people):
    """psycopg forgets its prepared statements on ROLLBACK; a read-only request now ends with
    COMMIT, so the statements a page runs on every request are parsed and planned once."""
    client = people.client("claimant")
    for _ in range(8):  # psycopg prepares a statement on its fifth execution
        assert client.get("/dashboard").status_code == 200
    assert prepared_statements(app) >= 3  # the user, the drafts, the page


def test_a_transaction_that_wrote_is_still_rolled_back(app, people):
    """Only a transaction that read is ended with COMMIT: whatever wrote — through the ORM or
    a plain statement — and was not committed is undone when the session closes."""
    from app.models import User

    user = people.make("claimant")
    db.session.add(User(email="never@example.test", name="Never", locale="en", country="EG",
                        password_hash="x"))
    db.session.flush()
    db.session.execute(text("UPDATE users SET name = 'Changed' WHERE id = :id"), {"id": user.id})
    db.session.close()
    assert db.session.scalar(text("SELECT count(*) FROM users WHERE email = "
                                  "'never@example.test'")) == 0
    assert db.session.scalar(text("SELECT name FROM users WHERE id = :id"),
                             {"id": user.id}) == "Claimant"


def test_a_failed_read_is_rolled_back(app, people):
    people.make("claimant")
    with pytest.raises(Exception, match="division by zero"):
        db.session.execute(text("SELECT 1 / 0"))
    db.session.rollback()
    assert db.session.scalar(text("SELECT count(*) FROM users")) == 1
