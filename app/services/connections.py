"""Two things about pooled PostgreSQL connections that every request pays for.

*Pinged only after sitting idle.*
SQLAlchemy's `pool_pre_ping` costs a round trip on every checkout, that is on every request:
under load a sixth of the database's work for a list page. A connection that served a
request a moment ago is alive; one left idle may have been cut by a database restart, a
failover or a firewall's idle timeout, and only that one is pinged before use (the
"pessimistic" recipe of SQLAlchemy's pooling docs, with a time condition). A dead one is
replaced transparently: the pool retries the checkout with a new connection.

*Read-only transactions end with COMMIT.* psycopg forgets every prepared statement on
ROLLBACK (a rolled-back DDL statement could leave them pointing at nothing), and a request's
session ends its transaction with a rollback, so the statements a page runs on every request
were parsed and planned again every time: half of the database's CPU on a list page. A
transaction that only read has nothing to undo, and COMMIT ends it the same way while the
statements stay prepared. A transaction that wrote anything — or ran anything but a SELECT —
is rolled back as before. The app runs no DDL outside migrations (their own connection).
"""

from __future__ import annotations

import time
import weakref

from flask import Flask
from sqlalchemy import event, exc
from sqlalchemy.engine import Engine

IDLE_SINCE = "sulh_idle_since"
READ_ONLY = ("SELECT", "select")


def ping_when_idle(engine: Engine, after_seconds: float) -> None:
    @event.listens_for(engine, "checkin")
    def idle_from_now(dbapi_connection, record) -> None:
        record.info[IDLE_SINCE] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def ping_if_idle(dbapi_connection, record, proxy) -> None:
        since = record.info.get(IDLE_SINCE)
        if since is None or time.monotonic() - since < after_seconds:
            return  # new, or in use a moment ago
        try:
            alive = engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error as error:
            raise exc.DisconnectionError(str(error)) from error
        if not alive:
            raise exc.DisconnectionError("the connection did not answer")


def commit_when_read_only(engine: Engine) -> None:
    from psycopg.pq import TransactionStatus

    dialect = engine.dialect
    wrote: weakref.WeakSet = weakref.WeakSet()  # DBAPI connections whose transaction wrote
    rollback, commit = dialect.do_rollback, dialect.do_commit

    @event.listens_for(engine, "before_cursor_execute")
    def note_writes(conn, cursor, statement, parameters, context, executemany) -> None:
        if not statement.lstrip().startswith(READ_ONLY):
            wrote.add(conn.connection.dbapi_connection)

    def do_rollback(dbapi_connection) -> None:
        raw = getattr(dbapi_connection, "dbapi_connection", dbapi_connection)  # a pool fairy
        if raw in wrote or raw.info.transaction_status != TransactionStatus.INTRANS:
            wrote.discard(raw)
            rollback(dbapi_connection)
        else:
            commit(dbapi_connection)

    def do_commit(dbapi_connection) -> None:
        wrote.discard(getattr(dbapi_connection, "dbapi_connection", dbapi_connection))
        commit(dbapi_connection)

    dialect.do_rollback, dialect.do_commit = do_rollback, do_commit


def init_app(app: Flask) -> None:
    from app.extensions import db

    with app.app_context():
        engine = db.engine
        ping_when_idle(engine, app.config["DB_PING_IDLE_SECONDS"])
        if engine.dialect.driver == "psycopg":
            commit_when_read_only(engine)
