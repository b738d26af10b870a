"""Side effects run after the commit that caused them, by id, so a rollback sends nothing.

`defer(func, **ids)` queues a job on the current transaction; `commit()` commits and then runs
the queued jobs. The embedded default runs them in-process right after the commit; a job that
fails is logged and retried by its own caller (PDFs keep a `failed` status visible to case
managers) rather than failing the request that already committed.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session

from app.extensions import db

log = logging.getLogger(__name__)
_KEY = "sulh_pending_jobs"


def defer(func: Callable[..., Any], **kwargs: Any) -> None:
    db.session.info.setdefault(_KEY, []).append((func, kwargs))


def commit() -> None:
    """Commit the unit of work, then run what it deferred."""
    db.session.commit()
    run_pending()


def run_pending() -> None:
    pending = db.session.info.pop(_KEY, [])
    for func, kwargs in pending:
        try:
            func(**kwargs)
        except Exception:
            db.session.rollback()
            log.exception("job %s(%s) failed", func.__name__, kwargs)


@event.listens_for(Session, "after_soft_rollback")
def _forget_on_rollback(session: Session, previous_transaction: Any) -> None:
    session.info.pop(_KEY, None)
