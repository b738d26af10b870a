"""Pooled connections are pinged only after sitting idle (app/services/connections.py): a
connection the database dropped while it sat in the pool is replaced before a request uses
it, and a connection in steady use costs no extra round trip. A request that only read ends
its transaction with COMMIT (psycopg keeps its prepared statements); one that wrote without
committing, or failed, is rolled back."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, event, text

import config
from app import create_app
from app.extensions import db
from tests.conftest import ON_POSTGRES, IsolatedClient, People

needs_postgres = pytest.mark.skipif(not ON_POSTGRES, reason="needs PostgreSQL")


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


@needs_postgres
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


@needs_postgres
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


@needs_postgres
def test_the_statements_of_a_page_stay_prepared_across_requests(app, people):
    """psycopg forgets its prepared statements on ROLLBACK; a read-only request now ends with
    COMMIT, so the statements a page runs on every request are parsed and planned once."""
    client = people.client("claimant")
    for _ in range(8):  # psycopg prepares a statement on its fifth execution
        assert client.get("/dashboard").status_code == 200
    assert prepared_statements(app) >= 3  # the user, the drafts, the page


def ends(app) -> list[str]:
    """How each transaction on the app's engine ends, as they happen."""
    seen: list[str] = []
    with app.app_context():
        engine = db.engine
    event.listen(engine, "commit", lambda conn: seen.append("commit"))
    event.listen(engine, "rollback", lambda conn: seen.append("rollback"))
    return seen


def test_a_request_that_only_read_ends_with_commit(app, people):
    client = people.client("claimant")
    seen = ends(app)
    assert client.get("/dashboard").status_code == 200
    assert "commit" in seen and "rollback" not in seen


def test_a_request_that_wrote_without_committing_is_rolled_back(app, people):
    """Whatever a request wrote and did not commit — ORM changes flushed, or a plain
    statement — is undone when the request ends, as is everything of a request that failed."""
    from app.models import User
    from app.web import public

    people.make("claimant")

    @app.get("/_test/flush-and-leave")
    @public
    def flush_and_leave():
        db.session.add(User(email="never@example.test", name="Never", locale="en",
                            country="EG", password_hash="x"))
        db.session.flush()
        return "left"

    @app.get("/_test/statement-and-leave")
    @public
    def statement_and_leave():
        db.session.execute(text("UPDATE users SET name = 'Changed'"))
        return "left"

    @app.get("/_test/read-then-fail")
    @public
    def read_then_fail():
        db.session.execute(text("UPDATE users SET name = 'Changed'"))
        raise RuntimeError("boom")

    client = app.test_client()
    seen = ends(app)
    for path in ("/_test/flush-and-leave", "/_test/statement-and-leave"):
        assert client.get(path).status_code == 200
    with pytest.raises(RuntimeError):
        client.get("/_test/read-then-fail")
    assert "rollback" in seen
    db.session.expire_all()
    assert db.session.scalar(text("SELECT count(*) FROM users WHERE email = "
                                  "'never@example.test'")) == 0
    assert db.session.scalar(text("SELECT name FROM users")) == "Claimant"


@needs_postgres
def test_a_failed_read_is_rolled_back(app, people):
    people.make("claimant")
    with pytest.raises(Exception, match="division by zero"):
        db.session.execute(text("SELECT 1 / 0"))
    db.session.rollback()
    assert db.session.scalar(text("SELECT count(*) FROM users")) == 1
