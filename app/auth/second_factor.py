"""The second factor: who must have one, authenticator codes (TOTP), recovery codes and
codes by email, and the verbs that set one up, replace, remove or reset it.

SECURITY.md C5 (ASVS 6.3.3, 6.5.1, 6.5.5) and issue 12 item 2:

- Case managers, neutrals and admins must use an authenticator app (`requires_totp`);
  parties may use one or a six-digit code by email; SULH_REQUIRE_TOTP asks it of everyone.
- A code from the app is accepted for the current 30-second step or the one either side of
  it (clocks drift; RFC 6238 §5.2), and only once: the user's row keeps the last step a code
  was accepted for, and a code for that step or an earlier one is refused. The step is
  claimed by one conditional UPDATE, so two requests with the same code cannot both pass.
- Ten recovery codes, shown once, stored as SHA-256 (78 bits of randomness each: a digest
  cannot be reversed by trying), each good once.
- An emailed code lives on the browser's second step (app/models/second_factor.py): it works
  once, for EMAIL_CODE_MINUTES, only in the browser that asked for it.

Every function takes domain values, flushes and never commits (the caller does); what
changes the factor writes its security-log event (issue 12 item 10) in the same transaction.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import unicodedata
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import pyotp
import segno
from flask import current_app
from markupsafe import Markup
from sqlalchemy import delete, func, or_, select, update

from app.auth import security_log, sessions
from app.extensions import db
from app.models import RecoveryCode, SecondStep, User
from app.models.types import utcnow
from app.services import notify

if TYPE_CHECKING:
    from app.auth.sessions import SessionRecord

PERIOD = 30  # seconds per step: what every authenticator app assumes
DIGITS = 6
RECOVERY_CODES = 10
# No 0/O, 1/I/L or U: a code copied from paper is read back without doubt. 16 of these 30
# characters carry 78 bits.
RECOVERY_ALPHABET = "ABCDEFGHJKMNPQRSTVWXYZ23456789"
RECOVERY_LENGTH = 16
_SIX_DIGITS = re.compile(r"[0-9]{6}")
_SEPARATORS = re.compile(r"[\s\-]+")


def ascii_digits(text: str) -> str:
    """Digits typed in any script as ASCII: an Arabic keyboard types ١٢٣٤٥٦ for 123456."""
    return "".join(str(unicodedata.decimal(c)) if c.isdecimal() else c for c in text)


# --------------------------------------------------------------------------- who and how
def requires_totp(user: User) -> bool:
    """Whether `user` must use an authenticator app (no codes by email): the Centre's people,
    who see every case or decide them, and everyone when SULH_REQUIRE_TOTP is set. `is_admin`
    is read when the model has it (the admin role is added by issue 12 item 6)."""
    return bool(current_app.config.get("REQUIRE_TOTP") or user.is_case_manager
                or user.is_neutral or getattr(user, "is_admin", False))


def method_of(user: User) -> str:
    """'totp', 'email', or 'none' (must set up an authenticator app, has not yet)."""
    if user.has_totp:
        return "totp"
    return "none" if requires_totp(user) else "email"


# ------------------------------------------------------------------------------ TOTP keys
def new_secret() -> str:
    """A new authenticator key: 160 random bits in base32 (RFC 4226 §4 asks for 128 at least,
    recommends 160)."""
    return pyotp.random_base32(32)


def provisioning_uri(user: User, secret: str) -> str:
    """The otpauth:// URI an authenticator app reads from the QR code."""
    return pyotp.TOTP(secret).provisioning_uri(name=user.email,
                                               issuer_name=current_app.config["TOTP_ISSUER"])


def qr_svg(uri: str, title: str) -> Markup:
    """The URI as an inline SVG QR code (no script, no style attribute: the page's CSP allows
    neither), dark on white so that a phone reads it on a dark theme too."""
    svg = segno.make(uri, error="m").svg_inline(scale=5, border=4, dark="#000", light="#fff",
                                                title=title, svgclass="qr-code")
    return Markup(svg)  # noqa: S704 - segno's own markup; the title is escaped by segno


def grouped(secret: str) -> str:
    """The key in groups of four, for typing it into an app by hand."""
    return " ".join(secret[i:i + 4] for i in range(0, len(secret), 4))


def time_step(at: datetime | None = None) -> int:
    return int((at or utcnow()).timestamp()) // PERIOD


def code_at(secret: str, step: int) -> str:
    """The code an authenticator app shows during `step` (tests and `flask demo totp`)."""
    return pyotp.TOTP(secret).generate_otp(step)


def matching_step(secret: str, code: str, at: datetime | None = None) -> int | None:
    """The step of `code` among the current one and one either side, else None. Compared in
    constant time; a code that is not six digits matches nothing."""
    if not _SIX_DIGITS.fullmatch(code):
        return None
    now = time_step(at)
    found = None
    for step in (now - 1, now, now + 1):
        if hmac.compare_digest(code_at(secret, step), code):
            found = step
    return found


def check_totp(user: User, code: str) -> bool:
    """A code of the user's app, for a step later than the last one accepted — claimed now,
    atomically, so that the code never works again (replay, or two requests at once)."""
    if not user.has_totp or user.totp_secret is None:
        return False
    step = matching_step(user.totp_secret, code)
    if step is None:
        return False
    claimed = db.session.execute(
        update(User).where(User.id == user.id,
                           or_(User.totp_last_step.is_(None), User.totp_last_step < step))
        .values(totp_last_step=step).execution_options(synchronize_session=False))
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        return False
    user.totp_last_step = step
    return True


# ------------------------------------------------------------------------ recovery codes
def _recovery_hash(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


def normalise_recovery_code(text: str) -> str | None:
    """A recovery code as typed (any case, with or without dashes and spaces), or None when
    it cannot be one."""
    code = _SEPARATORS.sub("", text).upper()
    if len(code) != RECOVERY_LENGTH or any(c not in RECOVERY_ALPHABET for c in code):
        return None
    return code


def new_recovery_codes(user: User) -> list[str]:
    """Ten new codes for `user`, replacing any before; returned once, to be shown once."""
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    now = utcnow()
    codes = ["".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(RECOVERY_LENGTH))
             for _ in range(RECOVERY_CODES)]
    db.session.add_all(RecoveryCode(user_id=user.id, code_hash=_recovery_hash(code),
                                    created_at=now) for code in codes)
    db.session.flush()
    return ["-".join(code[i:i + 4] for i in range(0, RECOVERY_LENGTH, 4)) for code in codes]


def use_recovery_code(user: User, text: str) -> bool:
    """Spend one of the user's unused recovery codes (atomically: a code works once)."""
    code = normalise_recovery_code(text)
    if code is None or not user.has_totp:
        return False
    used = db.session.execute(
        update(RecoveryCode).where(RecoveryCode.user_id == user.id,
                                   RecoveryCode.code_hash == _recovery_hash(code),
                                   RecoveryCode.used_at.is_(None))
        .values(used_at=utcnow()).execution_options(synchronize_session=False))
    if used.rowcount != 1:  # type: ignore[attr-defined]
        return False
    security_log.record("recovery_code_used", "success", user_id=user.id,
                        left=recovery_codes_left(user))
    return True


def recovery_codes_left(user: User) -> int:
    return db.session.scalar(select(func.count()).select_from(RecoveryCode).where(
        RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))) or 0


# ------------------------------------------------------------------------- codes by email
def _email_code_hash(step: SecondStep, code: str) -> str:
    """Keyed with the app's secret: six digits alone would be found by trying them all."""
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, f"{step.id}:{step.user_id}:{code}".encode(), hashlib.sha256).hexdigest()


def send_email_code(step: SecondStep, user: User) -> None:
    """A new six-digit code for this step, emailed through the outbox; any code sent before
    for the step stops working."""
    code = f"{secrets.randbelow(10 ** DIGITS):0{DIGITS}d}"
    minutes = current_app.config["EMAIL_CODE_MINUTES"]
    step.email_code_hash = _email_code_hash(step, code)
    step.email_code_expires_at = utcnow() + timedelta(minutes=minutes)
    step.expires_at = max(step.expires_at, step.email_code_expires_at)
    notify.email(user.email, "second_factor_code", locale=user.locale, user=user, code=code,
                 minutes=minutes, purpose=step.purpose)
    db.session.flush()


def check_email_code(step: SecondStep, code: str) -> bool:
    """The code last emailed for this step, within its time: it works once (claimed by one
    conditional UPDATE)."""
    if not _SIX_DIGITS.fullmatch(code) or step.email_code_hash is None:
        return False
    digest = _email_code_hash(step, code)
    if not hmac.compare_digest(digest, step.email_code_hash):
        return False
    claimed = db.session.execute(
        update(SecondStep).where(SecondStep.id == step.id, SecondStep.email_code_hash == digest,
                                 SecondStep.email_code_expires_at > utcnow())
        .values(email_code_hash=None).execution_options(synchronize_session=False))
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        return False
    step.email_code_hash = None
    return True


# ------------------------------------------------------------------ checking the factor
def check_code(user: User, code: str, step: SecondStep | None) -> str | None:
    """The user's current second factor, checked: the method that passed ('totp',
    'recovery_code', 'email_code'), or None. An email code counts only from a step of this
    user's (the browser that asked for it). For re-authentication before a change too
    (SECURITY.md C8: a password and a current code)."""
    typed = code.strip()
    digits = _SEPARATORS.sub("", ascii_digits(typed))
    if user.has_totp:
        if check_totp(user, digits):
            return "totp"
        if use_recovery_code(user, typed):
            return "recovery_code"
        return None
    if requires_totp(user) or step is None or step.user_id != user.id:
        return None
    return "email_code" if check_email_code(step, digits) else None


def record_failure(user: User, *, purpose: str, method: str) -> None:
    security_log.record("second_factor", "failure", user_id=user.id, purpose=purpose,
                        method=method)


# --------------------------------------------------------------------------------- verbs
def enrol(user: User, secret: str, code: str, *, keep: SessionRecord | None = None,
          actor: User | None = None) -> list[str] | None:
    """Make `secret` the user's authenticator key once `code` shows their app has it; return
    the new recovery codes (None: the code did not match, nothing changed). Replacing a key,
    or codes by email, ends every other session of the user (ASVS 7.4.3), but `keep`."""
    step = matching_step(secret, code)
    if step is None:
        return None
    replacing = user.totp_enrolled_at is not None or not requires_totp(user)
    first = user.totp_enrolled_at is None
    user.totp_secret = secret
    user.totp_enrolled_at = utcnow()
    user.totp_last_step = step  # the code that confirmed the key is used
    codes = new_recovery_codes(user)
    security_log.record("second_factor_enrolled" if first else "second_factor_replaced",
                        "success", user_id=user.id, actor_id=(actor or user).id, method="totp")
    if replacing:
        sessions.end_other_sessions(user, keep=keep, reason="second_factor_changed",
                                    actor=actor)
    return codes


def regenerate_recovery_codes(user: User) -> list[str]:
    codes = new_recovery_codes(user)
    security_log.record("recovery_codes_regenerated", "success", user_id=user.id)
    return codes


def switch_to_email(user: User, *, keep: SessionRecord | None = None) -> None:
    """A party gives up the authenticator app for codes by email: key and recovery codes are
    deleted, every other session ends."""
    if requires_totp(user):
        raise ValueError("this account must keep an authenticator app")
    _forget_totp(user)
    security_log.record("second_factor_removed", "success", user_id=user.id, method="email")
    sessions.end_other_sessions(user, keep=keep, reason="second_factor_changed")


def reset(user: User, *, actor: User | None = None, reason: str = "") -> int:
    """The Centre resets a user's second factor (a lost phone and lost recovery codes): key
    and codes are deleted and every session of the user ends; at the next sign-in the user
    sets up a new app (or, a party, gets codes by email). Returns how many sessions ended."""
    _forget_totp(user)
    security_log.record("second_factor_reset", "success", user_id=user.id,
                        actor_id=actor.id if actor else None, reason=reason[:200])
    return sessions.end_other_sessions(user, keep=None, reason="second_factor_reset",
                                       actor=actor)


def _forget_totp(user: User) -> None:
    """Key and recovery codes go, and so does every second step of the user in progress
    (one begun before a reset must not carry on as if nothing happened)."""
    user.totp_secret = None
    user.totp_enrolled_at = None
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    db.session.execute(delete(SecondStep).where(SecondStep.user_id == user.id))
    db.session.flush()
