"""Accounts: registering without telling who has one, deactivating, and joining a case
through a one-time service link. Each function flushes and never commits (the caller does)."""

from __future__ import annotations

from flask import current_app
from sqlalchemy import select

from app.auth import self_service, sessions
from app.extensions import db
from app.i18n import gettext as _
from app.models import Case, Invitation, Participant, User
from app.models.account_token import EMAIL_VERIFICATION
from app.models.types import utcnow
from app.services import notify, passwords
from workflows.engine import Actor


def password_refusal(user: User | None, password: str) -> str | None:
    """Why `password` does not sign `user` in — "unknown" (no such account), "password",
    "inactive" — or None when it does. Costs one password check whether or not the account
    exists (a dummy hash for none), so that timing tells nothing (ASVS 6.3.8). When it signs
    in, a hash of an older kind (scrypt) or with other parameters is replaced by a current
    argon2id hash (app/services/passwords.py)."""
    if user is None or not user.password_hash:
        passwords.spend_a_check(password)
        return "unknown" if user is None else "password"
    if not user.check_password(password):
        return "password"
    if not user.is_active:
        return "inactive"
    self_service.upgrade_password_hash(user, password)
    return None


def register(email: str, name: str, locale: str, password: str) -> None:
    """Create an account — or, when the email has one already, email its owner instead.
    Returns nothing: the caller's answer must be the same either way (costing the same
    password hash), so that registering never reveals who has an account. The new account's
    message carries the link that confirms the address (needed before filing a complaint)."""
    email = User.normalise_email(email)
    existing = db.session.scalar(select(User).where(User.email == email))
    if existing is not None:
        passwords.spend_a_hash(password)
        notify.email(existing.email, "account_exists", locale=existing.locale, user=existing)
        return
    user = User(email=email, name=name.strip(), locale=locale)
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    token = self_service.issue_token(user, EMAIL_VERIFICATION)
    notify.email(user.email, "account_created", locale=user.locale, user=user,
                 link=self_service.verification_link(token),
                 hours=current_app.config["EMAIL_VERIFICATION_HOURS"])


def deactivate(user: User, *, actor: User | None = None) -> int:
    """Switch the account off: it can no longer sign in, and every session it has ends now
    (ASVS 7.4.2). Returns how many sessions ended."""
    user.active = False
    return sessions.end_other_sessions(user, keep=None, reason="deactivated", actor=actor)


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
    self_service.mark_verified(user)  # the link was sent to this address
    join_case(invitation.case, user, invitation.role)
    return invitation.case


def join_case(case: Case, user: User, role: str) -> None:
    if not any(p.user_id == user.id and p.role == role for p in case.participants):
        case.participants.append(Participant(user_id=user.id, role=role, user=user))
    case.record_event(action="join", actor=Actor(user.id, user.name, frozenset({role})),
                      stage_from=case.stage, stage_to=case.stage, detail={"role": role},
                      visibility="participants", at=utcnow())
