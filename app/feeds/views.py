"""The user's calendar-feed settings and the feed itself (public, authenticated by token)."""

from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, render_template, url_for
from flask_login import current_user
from flask_wtf import FlaskForm

from app.extensions import db
from app.feeds import service
from app.i18n import gettext as _
from app.links import external_url
from app.web import public

bp = Blueprint("calendar", __name__, url_prefix="/calendar")


class TokenForm(FlaskForm):
    """Only the CSRF token."""


@bp.get("/")
def settings():
    return render_template("feeds/settings.html", form=TokenForm(), url=None,
                           active=current_user.calendar_token_hash is not None)


@bp.post("/rotate")
def rotate():
    if not TokenForm().validate_on_submit():
        abort(400)
    token = service.rotate_token(current_user)
    db.session.commit()
    # The address is shown once: only its hash is kept.
    return render_template("feeds/settings.html", form=TokenForm(), active=True,
                           url=external_url("calendar.feed", token=token))


@bp.post("/revoke")
def revoke():
    if not TokenForm().validate_on_submit():
        abort(400)
    service.revoke(current_user)
    db.session.commit()
    flash(_("Your calendar address no longer works."), "success")
    return redirect(url_for("calendar.settings"))


@bp.get("/feed/<token>.ics")
@public
def feed(token: str):
    user = service.user_for_token(token)
    if user is None:
        abort(404)
    return Response(service.feed(user), mimetype="text/calendar",
                    headers={"Cache-Control": "private, max-age=300",
                             "Content-Disposition": 'attachment; filename="sulh.ics"'})
