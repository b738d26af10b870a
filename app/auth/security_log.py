"""Writing the security log (app/models/security_event.py): one function, so that every
event carries the request's id and source address the same way. The row joins the caller's
transaction, committed with what it records or not at all."""

from __future__ import annotations

from typing import Any

from app.extensions import db
from app.models import SecurityEvent
from app.models.types import utcnow
from app.request_info import client_ip, request_id


def record(event: str, outcome: str, *, user_id: int | None = None,
           actor_id: int | None = None, session_ref: str | None = None,
           **detail: Any) -> SecurityEvent:
    row = SecurityEvent(at=utcnow(), event=event, outcome=outcome, user_id=user_id,
                        actor_id=actor_id, ip=client_ip()[:45], request_id=request_id(),
                        session_ref=session_ref, detail=detail)
    db.session.add(row)
    return row
