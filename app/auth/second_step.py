"""The second step of signing in, and of confirming a change, as server-side state.

A right password alone signs nobody in (SECURITY.md C5): it starts a `SecondStep` row, named
by a random token in a cookie of its own (SECOND_STEP_COOKIE_NAME: HttpOnly, SameSite=Lax,
`__Host-` and Secure in production) and only the token's SHA-256 stored. The browser has no
session yet — `current_user` is anonymous, every page but the step's own sends it to sign in
— until a code passes; then the step is deleted and `complete_sign_in` starts the session
with a new token (app/auth/sessions.py `start`, ASVS 7.2.4). A step ends by itself after
SECOND_STEP_MINUTES; Flask's cookie never holds any of it.

The gate (`require_second_factor`) holds the rule for sessions that exist already: a user who
must use an authenticator app and has none (made a case manager while signed in, or
SULH_REQUIRE_TOTP switched on) is signed out, and sets one up at the next sign-in.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import datetime, timedelta

from flask import Flask, Response, current_app, flash, g, redirect, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from sqlalchemy import delete, select

from app.auth import security_log, sessions
from app.auth.second_factor import requires_totp
from app.extensions import db
from app.i18n import gettext as _
from app.models import SecondStep, User
from app.models.types import utcnow

_TOKEN = re.compile(r"[A-Za-z0-9_-]{43}")  # secrets.token_urlsafe(32)
PURGE_BATCH = 100
# Endpoints a signed-in user who still lacks a required authenticator app may reach.
_GATE_OPEN = frozenset({"auth.logout", "static"})


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def begin(user: User, purpose: str, *, next_url: str | None = None,
          email_proven: bool = False, totp_secret: str | None = None) -> SecondStep:
    """A new step for `user` on this browser (whatever step it had ends); its token goes to
    the browser in this response's cookie. Expired steps of everyone are purged on the way."""
    end()
    now = utcnow()
    _purge(now)
    token = secrets.token_urlsafe(32)
    step = SecondStep(id=_hash(token), user_id=user.id, purpose=purpose, created_at=now,
                      expires_at=now + timedelta(
                          minutes=current_app.config["SECOND_STEP_MINUTES"]),
                      email_proven=email_proven, totp_secret=totp_secret,
                      next_url=next_url if next_url and len(next_url) <= 500 else None)
    db.session.add(step)
    db.session.flush()
    g.sulh_step_token = token
    g.sulh_step = step
    g.pop("sulh_step_clear", None)
    return step


def current(*purposes: str) -> SecondStep | None:
    """This browser's step, if it has one of these purposes and has not expired."""
    step: SecondStep | None
    if "sulh_step" in g:
        step = g.sulh_step
    else:
        step = None
        token = request.cookies.get(current_app.config["SECOND_STEP_COOKIE_NAME"], "")
        if _TOKEN.fullmatch(token):
            step = db.session.scalar(select(SecondStep).where(SecondStep.id == _hash(token)))
        elif token:
            g.sulh_step_clear = True
        if step is not None and step.expires_at <= utcnow():
            step = None
            g.sulh_step_clear = True
        g.sulh_step = step
    if step is None or step.purpose not in purposes:
        return None
    return step


def end() -> None:
    """This browser's step ends (its row deleted, its cookie cleared)."""
    step = current("sign_in", "reauth", "enrol")
    if step is not None:
        db.session.execute(delete(SecondStep).where(SecondStep.id == step.id))
    g.sulh_step = None
    g.pop("sulh_step_token", None)
    g.sulh_step_clear = True


def _purge(now: datetime) -> None:
    """Steps past their end, a batch at each new one; rows another request is purging at
    the same moment are skipped (PostgreSQL's SKIP LOCKED) rather than waited for."""
    ended = list(db.session.scalars(
        select(SecondStep.id).where(SecondStep.expires_at < now).limit(PURGE_BATCH)
        .with_for_update(skip_locked=True)))
    if ended:
        db.session.execute(delete(SecondStep).where(SecondStep.id.in_(ended)))


def step_user(step: SecondStep) -> User | None:
    user = db.session.get(User, step.user_id)
    return user if user is not None and user.is_active else None


def complete_sign_in(step: SecondStep, user: User, method: str) -> str:
    """Both factors passed: the step ends, the session starts with a new token, the security
    log says how. Returns where the browser goes next."""
    next_url = step.next_url
    end()
    record = sessions.start(user)
    security_log.record("sign_in", "success", user_id=user.id, session_ref=record.handle,
                        second_factor=method)
    return next_url or url_for("main.dashboard")


def write_cookie(response: Response) -> Response:
    config = current_app.config
    token = g.get("sulh_step_token")
    if token:
        response.set_cookie(config["SECOND_STEP_COOKIE_NAME"], token, path="/",
                            secure=config["SIGN_IN_COOKIE_SECURE"], httponly=True,
                            samesite=config["SIGN_IN_COOKIE_SAMESITE"])
    elif g.get("sulh_step_clear") and config["SECOND_STEP_COOKIE_NAME"] in request.cookies:
        response.delete_cookie(config["SECOND_STEP_COOKIE_NAME"], path="/",
                               secure=config["SIGN_IN_COOKIE_SECURE"], httponly=True,
                               samesite=config["SIGN_IN_COOKIE_SAMESITE"])
    return response


def require_second_factor() -> ResponseReturnValue | None:
    """A signed-in session of a user who must have an authenticator app and has none ends:
    the next sign-in sets one up. The API is left alone (a token is a factor of its own)."""
    if request.endpoint is None or request.blueprint == "api" or request.endpoint in _GATE_OPEN:
        return None
    view = current_app.view_functions.get(request.endpoint)
    if getattr(view, "is_public", False):
        return None
    if not current_user.is_authenticated or sessions.current_session() is None:
        return None
    user = current_user._get_current_object()
    if user.has_totp or not requires_totp(user):
        return None
    security_log.record("sign_in", "refused", user_id=user.id, reason="second_factor_required")
    sessions.end_current()
    db.session.commit()
    flash(_("Your account now needs an authenticator app. Sign in again to set it up."),
          "info")
    return redirect(url_for("auth.login"))


def init_app(app: Flask) -> None:
    app.before_request(require_second_factor)
    app.after_request(write_cookie)
