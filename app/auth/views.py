"""Sign-up, sign-in, sign-out, and joining a case from a service link."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user, logout_user
from sqlalchemy import select

from app.auth.forms import JoinForm, LoginForm, RegisterForm
from app.auth.service import InvitationError, accept_invitation, find_invitation
from app.extensions import db
from app.i18n import gettext as _
from app.links import local_target
from app.models import User
from app.web import public

bp = Blueprint("auth", __name__)


def _safe_next(default: str) -> str:
    return local_target(request.args.get("next")) or default


def _sign_in(user: User) -> None:
    lang = session.get("lang")
    session.clear()  # a fresh session at sign-in: no fixation
    if lang:
        session["lang"] = lang
    login_user(user)


@bp.route("/login", methods=["GET", "POST"])
@public
def login():
    form = LoginForm()
    if form.validate_on_submit():
        user = db.session.scalar(
            select(User).where(User.email == User.normalise_email(form.email.data)))
        if user is not None and user.active and user.check_password(form.password.data):
            _sign_in(user)
            return redirect(_safe_next(url_for("main.dashboard")))
        form.password.errors.append(_("Wrong email or password."))
    return render_template("auth/login.html", form=form), 200 if request.method == "GET" else 422


@bp.route("/register", methods=["GET", "POST"])
@public
def register():
    form = RegisterForm(locale=session.get("lang", "en"))
    if form.validate_on_submit():
        email = User.normalise_email(form.email.data)
        if db.session.scalar(select(User.id).where(User.email == email)):
            form.email.errors.append(_("An account with this email exists. Sign in instead."))
        else:
            user = User(email=email, name=form.name.data.strip(), locale=form.locale.data)
            user.set_password(form.password.data)
            db.session.add(user)
            db.session.commit()
            _sign_in(user)
            flash(_("Welcome to Sulh. You can now file a complaint."), "success")
            return redirect(url_for("main.dashboard"))
    status = 422 if form.errors else 200
    return render_template("auth/register.html", form=form), status


@bp.post("/logout")
def logout():
    logout_user()
    session.clear()
    return redirect(url_for("main.index"))


@bp.route("/join/<token>", methods=["GET", "POST"])
@public
def join(token: str):
    """The respondent's service link: set a password (or sign in) and join the case."""
    invitation = find_invitation(token)
    if invitation is None:
        return render_template("auth/join_invalid.html"), 404
    existing = db.session.scalar(select(User).where(User.email == invitation.email))
    form = JoinForm(name=invitation.name)
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
    db.session.commit()
    if new_user is not None:
        _sign_in(new_user)
    flash(_("You have joined case %(number)s.", number=case.number), "success")
    return redirect(url_for("cases.show", number=case.number))
