"""What an account's owner does alone: reset a forgotten password, change the password or the
email address, confirm the address, choose their name, language and emails.

Each function is a domain verb: it changes the rows, writes the security log and the emails
(outbox rows) of the change, flushes and never commits — the caller does, so that the change,
its log line and its messages are one transaction.

Every link emailed here is an `AccountToken`: a random 256-bit token, stored as its SHA-256,
good once, for a limited time, and only for the address it was sent to.
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from flask import current_app
from sqlalchemy import delete, select, update

from app.auth import security_log, sessions
from app.extensions import db
from app.links import external_url
from app.models import AccountToken, User
from app.models.account_token import EMAIL_CHANGE, EMAIL_VERIFICATION, PASSWORD_RESET
from app.models.types import utcnow
from app.services import notify, passwords


# --------------------------------------------------------------------------- the tokens
def _lifetime(purpose: str) -> timedelta:
    config = current_app.config
    if purpose == PASSWORD_RESET:
        return timedelta(minutes=config["PASSWORD_RESET_MINUTES"])
    if purpose == EMAIL_CHANGE:
        return timedelta(hours=config["EMAIL_CHANGE_HOURS"])
    return timedelta(hours=config["EMAIL_VERIFICATION_HOURS"])


def issue_token(user: User, purpose: str, email: str | None = None) -> str:
    """A new one-time link token for `user` (returned once, stored only as its hash). The
    account's spent and expired tokens of the same purpose are removed on the way, so the
    table holds what may still be used."""
    now = utcnow()
    db.session.execute(delete(AccountToken).where(
        AccountToken.user_id == user.id, AccountToken.purpose == purpose,
        (AccountToken.used_at.is_not(None)) | (AccountToken.expires_at <= now)))
    token = secrets.token_urlsafe(32)  # 256 bits (ASVS 6.4.1 asks for 128 at least)
    db.session.add(AccountToken(user_id=user.id, purpose=purpose,
                                token_hash=AccountToken.hash_token(token),
                                email=email or user.email, created_at=now,
                                expires_at=now + _lifetime(purpose)))
    db.session.flush()
    return token


def find_token(purpose: str, token: str) -> AccountToken | None:
    """The usable token of this purpose that `token` names, or None (unknown, used, expired,
    or sent to an address the account no longer has)."""
    if not token or len(token) > 100:
        return None
    row = db.session.scalar(select(AccountToken).where(
        AccountToken.token_hash == AccountToken.hash_token(token),
        AccountToken.purpose == purpose))
    if row is None or not row.usable(utcnow()):
        return None
    return row


def _spend(row: AccountToken) -> None:
    """Use the token, and with it every other unused token of the same purpose for the
    account: after a reset, an older reset link must not work either."""
    now = utcnow()
    db.session.execute(update(AccountToken).where(
        AccountToken.user_id == row.user_id, AccountToken.purpose == row.purpose,
        AccountToken.used_at.is_(None)).values(used_at=now))


# ------------------------------------------------------------------------ password reset
def request_password_reset(email: str, locale: str) -> None:
    """Email a reset link to the account with this address — or, when there is none (or it
    is deactivated), a message saying so. Returns nothing: the page after is the same either
    way, and both ways write one message, so the answer's time does not tell either (ASVS
    6.3.8)."""
    email = User.normalise_email(email)
    user = db.session.scalar(select(User).where(User.email == email))
    if user is None or not user.active:
        security_log.record("password_reset_requested", "refused",
                            user_id=user.id if user else None,
                            reason="unknown" if user is None else "inactive")
        notify.email(email, "password_reset_no_account", locale=locale, address=email)
        return
    token = issue_token(user, PASSWORD_RESET)
    security_log.record("password_reset_requested", "success", user_id=user.id)
    notify.email(user.email, "password_reset", locale=user.locale, user=user,
                 link=external_url("auth.reset_password", token=token),
                 minutes=current_app.config["PASSWORD_RESET_MINUTES"])


def reset_password(row: AccountToken, password: str) -> User:
    """Set the new password and spend the link; every session of the account ends (ASVS
    7.4.3), and nobody is signed in: the owner signs in afterwards, through the sign-in and
    whatever second factor it asks for. Following the link proves the address is theirs."""
    user = row.user
    _spend(row)
    user.set_password(password)
    if user.email_verified_at is None:
        user.email_verified_at = utcnow()
    sessions.end_other_sessions(user, keep=None, reason="password_reset")
    security_log.record("password_reset", "success", user_id=user.id)
    notify.email(user.email, "password_changed", locale=user.locale, user=user)
    return user


# ----------------------------------------------------------------------- password change
def change_password(user: User, password: str) -> int:
    """The owner, signed in and having typed the current password, chooses a new one: every
    other session ends (ASVS 7.4.3), this one gets a new token. Returns how many ended."""
    user.set_password(password)
    ended = sessions.end_other_sessions(user, keep=sessions.current_session(),
                                        reason="password_changed")
    sessions.renew()
    security_log.record("password_changed", "success", user_id=user.id)
    notify.email(user.email, "password_changed", locale=user.locale, user=user)
    return ended


def upgrade_password_hash(user: User, password: str) -> None:
    """After a password verified at sign-in: a hash of the old kind (scrypt) or with other
    parameters than the configured ones is replaced with a current argon2id hash."""
    if passwords.needs_rehash(user.password_hash):
        user.set_password(password)


# -------------------------------------------------------------------------- email change
def request_email_change(user: User, new_email: str) -> None:
    """Send a confirmation link to the new address; the account's address changes only when
    it is followed. When the new address already has an account, that address is told so
    instead (no link), and the person asking sees the same page: asking does not tell who has
    an account."""
    new_email = User.normalise_email(new_email)
    taken = db.session.scalar(select(User.id).where(User.email == new_email))
    if taken is not None:
        security_log.record("email_change_requested", "refused", user_id=user.id,
                            reason="taken")
        notify.email(new_email, "email_change_taken", locale=user.locale, address=new_email)
        return
    token = issue_token(user, EMAIL_CHANGE, new_email)
    security_log.record("email_change_requested", "success", user_id=user.id)
    notify.email(new_email, "email_change_confirm", locale=user.locale, user=user,
                 link=external_url("auth.confirm_email_change", token=token),
                 hours=current_app.config["EMAIL_CHANGE_HOURS"], address=new_email)


class AddressTaken(Exception):
    """The new address was given to another account since the link was sent."""


def confirm_email_change(row: AccountToken) -> User:
    """The new address's owner followed the link: it becomes the account's (verified), the
    link is spent, and the old address is told — whoever changed it, its owner learns."""
    user = row.user
    new_email = row.email
    if db.session.scalar(select(User.id).where(User.email == new_email, User.id != user.id)):
        raise AddressTaken(new_email)
    old_email = user.email
    _spend(row)
    user.email = new_email
    user.email_verified_at = utcnow()
    db.session.flush()
    security_log.record("email_changed", "success", user_id=user.id)
    notify.email(old_email, "email_changed", locale=user.locale, user=user,
                 old_address=old_email, new_address=new_email)
    return user


# -------------------------------------------------------------------- email verification
def send_verification(user: User) -> None:
    """(Again) email the link that confirms the account's address."""
    token = issue_token(user, EMAIL_VERIFICATION)
    notify.email(user.email, "verify_email", locale=user.locale, user=user,
                 link=verification_link(token),
                 hours=current_app.config["EMAIL_VERIFICATION_HOURS"])


def verification_link(token: str) -> str:
    return external_url("auth.verify_email", token=token)


def verify_email(row: AccountToken) -> User:
    user = row.user
    _spend(row)
    if user.email_verified_at is None:
        user.email_verified_at = utcnow()
    security_log.record("email_verified", "success", user_id=user.id)
    return user


def mark_verified(user: User) -> None:
    """The address is proven another way (a service link sent to it was followed)."""
    if user.email_verified_at is None:
        user.email_verified_at = utcnow()


# ------------------------------------------------------------------- profile and emails
def update_profile(user: User, name: str, locale: str) -> None:
    user.name = name.strip()
    user.locale = locale


def update_notifications(user: User, *, case_updates: bool, messages: bool,
                         deadline_reminders: bool) -> None:
    user.notify_case_updates = case_updates
    user.notify_messages = messages
    user.notify_deadline_reminders = deadline_reminders
