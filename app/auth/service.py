"""Joining a case through a one-time service link."""

from __future__ import annotations

from sqlalchemy import select

from app.extensions import db
from app.i18n import gettext as _
from app.models import Case, Invitation, Participant, User
from app.models.types import utcnow
from workflows.engine import Actor


class InvitationError(Exception):
    pass


def find_invitation(token: str) -> Invitation | None:
    invitation = db.session.scalar(
        select(Invitation).where(Invitation.token_hash == Invitation.hash_token(token)))
    if invitation is None or invitation.used_at is not None or invitation.expires_at < utcnow():
        return None
    return invitation


def accept_invitation(token: str, user: User) -> Case:
    invitation = find_invitation(token)
    if invitation is None:
        raise InvitationError(_("This link has expired or was already used."))
    if invitation.email != user.email:
        raise InvitationError(_("This link was sent to another email address."))
    invitation.used_at = utcnow()
    invitation.used_by_id = user.id
    join_case(invitation.case, user, invitation.role)
    return invitation.case


def join_case(case: Case, user: User, role: str) -> None:
    if not any(p.user_id == user.id and p.role == role for p in case.participants):
        case.participants.append(Participant(user_id=user.id, role=role, user=user))
    case.record_event(action="join", actor=Actor(user.id, user.name, frozenset({role})),
                      stage_from=case.stage, stage_to=case.stage, detail={"role": role},
                      visibility="participants", at=utcnow())
