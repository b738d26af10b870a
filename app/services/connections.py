"""Two things about pooled PostgreSQL connections that every request pays for.

*Pinged only after sitting idle.*
SQLAlchemy's `pool_pre_ping` costs a round trip on every checkout, that is on every request:
under load a sixth of the database's work for a list page. A connection that served a
request a moment ago is alive; one left idle may have been cut by a database restart, a
failover or a firewall's idle timeout, and only that one is pinged before use (the
"pessimistic" recipe of SQLAlchemy's pooling docs, with a time condition). A dead one is
replaced transparently: the pool retries the checkout with a new connection.

*A request that only read ends its transaction with COMMIT.* psycopg forgets every prepared
statement on ROLLBACK (a rolled-back DDL statement could leave them pointing at nothing), and
Flask-SQLAlchemy ends each request's session by closing it, which rolls back: the statements a
page runs on every request were parsed and planned again every time, half of the database's
CPU on a list page. A transaction that only read has nothing to undo, and COMMIT ends it the
same way while the statements stay prepared. So at the end of a request whose session neither
flushed nor executed anything but a SELECT (the session's own events say so: `wrote`), and that
raised nothing, the session is committed before it is closed. Whatever wrote and was not
committed is still rolled back by the close.
"""

from __future__ import annotations

import time
from typing import Any

from flask import Flask
from sqlalchemy import event, exc
from sqlalchemy.engine import Engine
from sqlalchemy.orm import ORMExecuteState, Session, SessionTransaction

IDLE_SINCE = "sulh_idle_since"


def ping_when_idle(engine: Engine, after_seconds: float) -> None:
    @event.listens_for(engine, "checkin")
    def idle_from_now(dbapi_connection: Any, record: Any) -> None:
        record.info[IDLE_SINCE] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def ping_if_idle(dbapi_connection: Any, record: Any, proxy: Any) -> None:
        since = record.info.get(IDLE_SINCE)
        if since is None or time.monotonic() - since < after_seconds:
            return  # new, or in use a moment ago
        try:
            alive = engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error as error:
            raise exc.DisconnectionError(str(error)) from error
        if not alive:
            raise exc.DisconnectionError("the connection did not answer")


WROTE = "sulh_wrote"  # session.info: this transaction flushed or ran a statement that writes


@event.listens_for(Session, "after_flush")
def _flushed(session: Session, flush_context: Any) -> None:
    session.info[WROTE] = True


@event.listens_for(Session, "do_orm_execute")
def _executed(state: ORMExecuteState) -> None:
    if not state.is_select:  # an UPDATE, DELETE, INSERT or raw text: count it as a write
        state.session.info[WROTE] = True


@event.listens_for(Session, "after_transaction_end")
def _ended(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:  # the outermost: a new transaction starts clean
        session.info.pop(WROTE, None)


def wrote(session: Session) -> bool:
    """Whether this transaction changed anything, or is about to (pending ORM changes)."""
    return bool(session.info.get(WROTE) or session.new or session.dirty or session.deleted)


def end_read_only(session: Session) -> None:
    """Commit the session's transaction if all it did was read (see the module docstring)."""
    if session.in_transaction() and not wrote(session):
        # Loaded objects stay as they are: a streamed response may still read them after
        # the request (a bundle's manifest), as it could before the session closed.
        expire, session.expire_on_commit = session.expire_on_commit, False
        try:
            session.commit()
        except Exception:
            session.rollback()
        finally:
            session.expire_on_commit = expire


def init_app(app: Flask) -> None:
    from app.extensions import db

    with app.app_context():
        ping_when_idle(db.engine, app.config["DB_PING_IDLE_SECONDS"])

    @app.teardown_appcontext
    def commit_reads(error: BaseException | None) -> None:
        # Runs before Flask-SQLAlchemy's own teardown (registered first, so called last),
        # which closes the session.
        if error is None:
            end_read_only(db.session())
