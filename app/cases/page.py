"""What one user sees of a case: every list filtered by the visibility rules in one place."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from app.cases.forms import form_for
from app.documents.service import visible_documents
from app.models import Case, User
from app.services.access import actor_for, can_see, case_roles, message_visibility
from workflows.engine import available_actions, procedure_for


def page_key(case: Case, user: User, now: datetime) -> tuple[Any, ...]:
    """What a kept case page depends on: the case's version (every change bumps it), the
    viewer, and how many of its running time limits have ended by `now` — time alone makes
    some actions available (proceeding in default once the response period is over) before
    the sweep records anything, and the page must offer them as soon as it does."""
    ended = sum(1 for deadline in case.open_deadlines() if deadline.due_at <= now)
    return ("case", case.id, case.version, user.id, ended)


def case_page(case: Case, user: User, now: datetime) -> dict[str, Any]:
    roles = case_roles(case, user)
    procedure = procedure_for(case)
    actor = actor_for(case, user)
    actions = available_actions(case, actor, now=now)
    return {
        "case": case,
        "procedure": procedure,
        "stage": procedure.stage(case.stage),
        "roles": roles,
        "actions": actions,
        "message_form": (form_for("send_message", case, actor)
                         if any(a.name == "send_message" for a in actions) else None),
        "events": [e for e in case.events if can_see(e.visibility, roles)],
        "messages": [m for m in case.messages
                     if can_see(message_visibility(m.channel), roles)],
        "offers": case.offers if can_see("mediation", roles) else [],
        "current_offer": case.current_offer() if can_see("mediation", roles) else None,
        "submissions": case.submissions,
        "documents": visible_documents(case, user),
        "decisions": [d for d in case.decisions if d.status == "issued"],
        "pending_decisions": [d for d in case.decisions if d.status != "issued"],
        "deadlines": case.deadlines,
        "participants": case.participants,
    }
