"""The "case_update" message: what a case's participants (or the Centre) are told when an
action moves the case, written once for `take_action` and for the deadline sweep, which tells
them after its batch commits, from the audit events it recorded."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from app.models import AuditEvent, Case, OutboxEmail, User
from app.services import notify
from workflows.engine import Action, Transition, procedure_for

TEMPLATE = "case_update"


@dataclass(frozen=True)
class CaseUpdate:
    """What the message says: the action done, the stage the case is at now, and the time
    limit that action set running (or extended), if any."""

    action: Action
    stage_to: str
    due_date: date | None

    @classmethod
    def of(cls, transition: Transition) -> CaseUpdate:
        due = transition.deadline.due_date if transition.deadline else None
        return cls(transition.action, transition.stage_to, due)

    @classmethod
    def of_event(cls, case: Case, event: AuditEvent) -> CaseUpdate | None:
        """The same facts read back from the event the engine recorded (None: an action the
        case's procedure no longer defines)."""
        action = procedure_for(case).action(event.action)
        if action is None:
            return None
        detail = event.detail or {}
        due = (detail.get("extension") or detail.get("deadline") or {}).get("due_date")
        return cls(action, event.stage_to, date.fromisoformat(due) if due else None)


def send(users: Iterable[User], case: Case, transition: Transition) -> None:
    """Tell `users` now (one outbox row and one delivery job each)."""
    notify.email_users(users, TEMPLATE, case=case, update=CaseUpdate.of(transition))


def message(user: User, case: Case, update: CaseUpdate) -> OutboxEmail:
    """The message for one user, not yet added (the sweep writes them in bulk)."""
    return notify.render(user.email, TEMPLATE, locale=user.locale, case=case, user=user,
                         update=update)
