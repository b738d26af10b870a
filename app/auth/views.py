"""Sign-up, sign-in, sign-out, the account page (its sessions), and joining a case from a
service link. The account's self-service pages (password, email, profile, notifications) are
in app/auth/account_views.py, on the same blueprint."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_login import current_user
from sqlalchemy import select

from app.auth import factor_views, security_log, service, sessions, throttle
from app.auth.agents import browser_summary
from app.auth.forms import (
    EndOtherSessionsForm,
    JoinForm,
    LoginForm,
    RegisterForm,
    RevokeSessionForm,
)
from app.auth.service import InvitationError, accept_invitation, find_invitation
from app.extensions import db
from app.i18n import gettext as _
from app.i18n import ngettext
from app.links import local_target
from app.models import User
from app.request_info import client_ip
from app.services import notify
from app.web import public

bp = Blueprint("auth", __name__)


def _safe_next(default: str) -> str:
    return local_target(request.args.get("next")) or default


@bp.route("/login", methods=["GET", "POST"])
@public
def login():
    """Sign-in. Throttled before the password is looked at (failures per account and per
    address); an email without an account costs the same password check as one with, and
    gets the same answer."""
    form = LoginForm()
    if form.validate_on_submit():
        email = User.normalise_email(form.email.data)
        account, address = throttle.email_key(email), client_ip()
        user = db.session.scalar(select(User).where(User.email == email))
        wait = max(throttle.SIGN_IN_PER_ACCOUNT.wait(account),
                   throttle.SIGN_IN_PER_ADDRESS.wait(address))
        if wait:
            security_log.record("sign_in", "refused", user_id=user and user.id,
                                reason="throttled")
            db.session.commit()
            form.password.errors.append(" ".join((
                _("Too many failed attempts to sign in to this account or from this network."),
                throttle.wait_message(wait))))
            return render_template("auth/login.html", form=form), 429, {
                "Retry-After": str(wait), "Cache-Control": "no-store"}
        refusal = service.password_refusal(user, form.password.data)
        if user is not None and refusal is None:
            # Not signed in yet: the second step comes first (SECURITY.md C5).
            return factor_views.start_sign_in(user, next_url=_safe_next(""))
        locked = throttle.SIGN_IN_PER_ACCOUNT.count(account)
        throttle.SIGN_IN_PER_ADDRESS.count(address)
        security_log.record("sign_in", "failure", user_id=user and user.id, reason=refusal)
        if locked and user is not None:
            _tell_owner_of_lock(user)
        db.session.commit()
        form.password.errors.append(_("Wrong email or password."))
    return render_template("auth/login.html", form=form), 200 if request.method == "GET" else 422


def _tell_owner_of_lock(user: User) -> None:
    """Once per lock: the failure that used up the account's limit emails its owner."""
    item = throttle.SIGN_IN_PER_ACCOUNT.item()
    security_log.record("sign_in_locked", "refused", user_id=user.id)
    notify.email(user.email, "sign_in_locked", locale=user.locale, user=user,
                 attempts=item.amount, minutes=item.get_expiry() // 60, ip=client_ip())


@bp.route("/register", methods=["GET", "POST"])
@public
@throttle.guarded(
    (throttle.REGISTRATION_PER_ADDRESS, client_ip),
    (throttle.REGISTRATION_PER_EMAIL, lambda: throttle.email_key(request.form.get("email", ""))),
    counts_when=lambda response: response.status_code in (302, 303))
def register():
    """The same answer whether or not the email has an account: the new account, or the
    existing one, is told by email what happened (a new account then signs in)."""
    form = RegisterForm(locale=session.get("lang", "en"))
    if form.validate_on_submit():
        email = User.normalise_email(form.email.data)
        service.register(email, form.name.data, form.locale.data, form.password.data)
        db.session.commit()
        flash(_("Thank you. We have sent a message to %(email)s that says what to do next.",
                email=email), "success")
        return redirect(url_for("auth.login"))
    status = 422 if form.errors else 200
    return render_template("auth/register.html", form=form), status


@bp.post("/logout")
def logout():
    current = sessions.current_session()
    if current is not None:
        security_log.record("sign_out", "success", user_id=current.user_id,
                            session_ref=current.handle)
    sessions.end_current()
    db.session.commit()
    return redirect(url_for("main.index"))


@bp.get("/account")
def account():
    """The account page: name and language, the emails received, links to change the
    password and the address, the second factor, and the sessions this account has open, to
    end any of them."""
    return render_template("auth/account.html", **account_page())


def account_page(**forms) -> dict:
    """What the account page shows, each section's form given anew unless `forms` holds the
    one just submitted with its errors (`factor_form`: the second factor's)."""
    factor_form = forms.pop("factor_form", None)
    return {**_sessions_page(),
            **factor_views.account_section(current_user, factor_form),
            **account_views.sections(**forms)}


def _sessions_page() -> dict:
    current = sessions.current_session()
    rows = [{"handle": s.handle, "browser": browser_summary(s.user_agent), "ip": s.ip,
             "created_at": s.created_at, "last_seen_at": s.last_seen_at,
             "current": current is not None and s.id == current.id}
            for s in sessions.active_sessions(current_user)]
    return {"rows": rows, "others": sum(not r["current"] for r in rows),
            "end_others": EndOtherSessionsForm()}


@bp.post("/account/sessions/revoke")
def revoke_session():
    """End one of the account's sessions (a lost phone, a shared computer)."""
    form = RevokeSessionForm()
    if not form.validate_on_submit():
        flash(_("Choose a session from the list."), "error")
        return render_template("auth/account.html", **account_page()), 422
    if not sessions.end_session(current_user, form.handle.data):
        flash(_("That session has already ended."), "info")
        return redirect(url_for("auth.account"))
    db.session.commit()
    flash(_("The session was signed out."), "success")
    return redirect(url_for("auth.account") if current_user.is_authenticated
                    else url_for("auth.login"))


@bp.post("/account/sessions/end-others")
def end_other_sessions():
    """"Sign out everywhere else": every other session of the account ends now."""
    form = EndOtherSessionsForm()
    if not form.validate_on_submit():
        return render_template("auth/account.html", **account_page()), 422
    ended = sessions.end_other_sessions(current_user, keep=sessions.current_session())
    db.session.commit()
    flash(ngettext("Signed out everywhere else: %(num)d session ended.",
                   "Signed out everywhere else: %(num)d sessions ended.", ended) if ended
          else _("There was no other session to sign out."), "success")
    return redirect(url_for("auth.account"))


@bp.route("/join/<token>", methods=["GET", "POST"])
@public
def join(token: str):
    """The respondent's service link: set a password (or sign in) and join the case."""
    invitation = find_invitation(token)
    if invitation is None:
        return render_template("auth/join_invalid.html"), 404
    existing = db.session.scalar(select(User).where(User.email == invitation.email))
    form = JoinForm(name=invitation.name)
    form.personal = (invitation.email,)
    if existing is not None:
        if not current_user.is_authenticated or current_user.id != existing.id:
            flash(_("You already have an account: sign in to join the case."), "info")
            return redirect(url_for("auth.login", next=request.path))
        if request.method == "POST":
            return _finish_join(token, existing, None)
        return render_template("auth/join.html", form=None, invitation=invitation)
    if form.validate_on_submit():
        user = User(email=invitation.email, name=form.name.data.strip(),
                    locale=session.get("lang") or invitation.case.language)
        user.set_password(form.password.data)
        db.session.add(user)
        db.session.flush()
        return _finish_join(token, user, user)
    status = 422 if form.errors else 200
    return render_template("auth/join.html", form=form, invitation=invitation), status


def _finish_join(token: str, user: User, new_user: User | None):
    try:
        case = accept_invitation(token, user)
    except InvitationError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return redirect(url_for("main.dashboard" if current_user.is_authenticated
                                else "auth.login"))
    if new_user is not None:
        # The service link proved the mailbox; the new account still gets a second step
        # (an app to set up, or codes by email to choose) before any session (C5).
        db.session.flush()
        response = factor_views.start_sign_in(
            new_user, next_url=url_for("cases.show", number=case.number), email_proven=True)
        flash(_("You have joined case %(number)s.", number=case.number), "success")
        return response
    sessions.renew()  # a role in one more case: a new token for the session (ASVS 7.2.4)
    db.session.commit()
    flash(_("You have joined case %(number)s.", number=case.number), "success")
    return redirect(url_for("cases.show", number=case.number))


from app.auth import account_views  # noqa: E402  (its routes join this blueprint)
