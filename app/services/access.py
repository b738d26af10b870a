"""Who may see what. One loader decides whether a user sees a case; hidden is 404.

Case managers see every case; anyone else sees a case only through a Participant row.
Within a case, each piece of material carries a visibility, checked here and nowhere else.
"""

from __future__ import annotations

from typing import Any

from flask import abort
from flask_login import current_user
from sqlalchemy import Select, select

from app.extensions import db
from app.models import Case, Participant, User
from workflows.engine import Actor
from workflows.procedures.roles import ARBITRATOR, CASE_MANAGER, MEDIATOR, side_of


def case_roles(case: Case, user: User) -> frozenset[str]:
    roles = {p.role for p in case.participants if p.user_id == user.id}
    if user.is_case_manager:
        roles.add(CASE_MANAGER)
    return frozenset(roles)


def actor_for(case: Case, user: User) -> Actor:
    return Actor(user_id=user.id, name=user.name, roles=case_roles(case, user))


def load_case(number: str) -> Case:
    """The case the current user may see, or 404 — never 403, which would confirm it exists."""
    case: Case | None = db.session.scalar(select(Case).where(Case.number == number))
    if case is None or not current_user.is_authenticated or not case_roles(case, current_user):
        abort(404)
    return case


def load_draft(draft_id: int) -> Case:
    """A draft is visible only to its filer, and only while it is a draft or being cured."""
    case = db.session.get(Case, draft_id)
    if case is None or case.filer_id != current_user.id or case.stage not in ("draft", "deficient"):
        abort(404)
    return case


def can_see(visibility: str, roles: frozenset[str]) -> bool:
    """Visibility of an audit event, message or document.

    Mediation material is never shown to the arbitrator (WIPO Mediation Rules art. 17: it
    may not be relied on in a later arbitration). Caucus material is for one side and the
    mediator only: not the other side, not the tribunal, and not the case managers either
    (what is said in a separate meeting is not disclosed without consent).
    """
    if visibility == "participants":
        return bool(roles)
    if visibility == "mediation":
        return bool(roles - {ARBITRATOR})
    if visibility == "tribunal":
        return bool(roles & {ARBITRATOR, CASE_MANAGER})
    if visibility == "institution":
        return CASE_MANAGER in roles
    if visibility.startswith("caucus:"):
        side = visibility.split(":", 1)[1]
        return MEDIATOR in roles or side_of(roles - {CASE_MANAGER}) == side
    return False


def message_visibility(channel: str) -> str:
    return "mediation" if channel == "joint" else channel


def case_ids_visible_to(user: User) -> Select[Any]:
    """A select of the ids of the cases a user takes part in (for list pages)."""
    return select(Participant.case_id).where(Participant.user_id == user.id)
