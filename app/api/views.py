"""The JSON API, version 1: read a case and take an action on it.

Authentication: a bearer token (`Authorization: Bearer sulh_…`, issued with
`flask api token <email>`), or the browser session. Only bearer requests skip CSRF (a cross-site
page cannot set that header); a session POST must send the CSRF token (`X-CSRFToken`).

Concurrency: `GET` returns the case `version` (also as `ETag`); send it back as `If-Match` or
`expected_version` and an action on a case that changed since is refused with 409, as is the
loser of two simultaneous actions.
"""

from __future__ import annotations

from flask import Blueprint, g, jsonify, request
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import TooManyRequests

from app import idempotency
from app.auth import throttle
from app.cases import forms
from app.cases.service import take_action
from app.errors import problem
from app.extensions import csrf, db
from app.i18n import gettext as _
from app.models import ApiToken, Case
from app.models.types import utcnow
from app.request_info import client_ip
from app.services.access import actor_for, load_case
from app.services.locking import expect_version
from workflows.engine import ActionRefused, available_actions, procedure_for, refusal

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)  # bearer requests only; session requests are checked in authenticate()


def error(status: int, code: str, message: str, **extra):
    return problem(status, code, message, **extra)


@bp.before_request
def authenticate():
    header = request.headers.get("Authorization", "")
    if header:
        # Token guesses are counted per address and refused (429) once too many failed,
        # before the token is looked at: a right token then waits too.
        throttle.API_TOKEN_PER_ADDRESS.check(client_ip())
        scheme, _sep, token = header.partition(" ")
        row = db.session.scalar(select(ApiToken).options(joinedload(ApiToken.user)).where(
            ApiToken.token_hash == ApiToken.hash_token(token.strip()),
            ApiToken.revoked_at.is_(None))) if scheme.lower() == "bearer" else None
        if row is None or not row.user.is_active:
            throttle.API_TOKEN_PER_ADDRESS.count(client_ip())
            return error(401, "unauthorized", _("The API token is not valid."))
        g._login_user = row.user  # flask-login's current user, for this request only
        return idempotency.begin()
    if not current_user.is_authenticated:
        return error(401, "unauthorized", _("Sign in or send an API token."))
    if request.method not in ("GET", "HEAD", "OPTIONS"):
        csrf.protect()
    return idempotency.begin()


@bp.errorhandler(StaleDataError)
def conflict(exc):
    db.session.rollback()
    duplicate = idempotency.duplicate_response()  # the same request sent twice at once
    if duplicate is not None:
        return duplicate
    current = getattr(exc, "current_version", None)
    if current is None and request.view_args and "number" in request.view_args:
        current = db.session.scalar(select(Case.version).where(
            Case.number == request.view_args["number"]))
    return error(409, "conflict",
                 _("This case changed while you were working — please review it and try "
                   "again."), version=current)


bp.register_error_handler(TooManyRequests, throttle.too_many_requests)  # JSON, Retry-After


def case_json(case: Case) -> dict:
    actor = actor_for(case, current_user)
    return {
        "number": case.number,
        "title": case.title,
        "procedure": case.procedure_key,
        "rules_version": case.rules_version,
        "stage": case.stage,
        "version": case.version,
        "language": case.language,
        "roles": sorted(actor.roles),
        "available_actions": [a.name for a in available_actions(case, actor, now=utcnow())],
        "deadlines": [{"key": d.key, "label": d.label, "addressee": d.addressee,
                       "due_at": d.due_at.isoformat(), "due_date": d.due_date.isoformat()}
                      for d in case.open_deadlines()],
        "last_activity_at": case.last_activity_at.isoformat(),
    }


def with_etag(response, case: Case):
    response.headers["ETag"] = f'"{case.version}"'
    return response


@bp.get("/cases/<number>")
def show_case(number: str):
    case = load_case(number)
    return with_etag(jsonify(case_json(case)), case)


@bp.post("/cases/<number>/actions/<name>")
def take(number: str, name: str):
    case = load_case(number)
    payload = request.get_json(silent=True)
    if payload is None:
        payload = request.form.to_dict()
    if not isinstance(payload, dict):
        return error(400, "bad_request", _("Send a JSON object."))
    expect_version(case, request.headers.get("If-Match") or payload.pop("expected_version",
                                                                        None))
    actor = actor_for(case, current_user)
    definition = procedure_for(case).action(name)
    if definition is None:
        return error(404, "not_found", _("This procedure has no such action."))
    if not (actor.roles & definition.roles):
        return error(403, "forbidden", _("Your role in this case does not allow this action."))
    reason = refusal(case, name, actor, {}, now=utcnow())
    if reason is not None:
        return error(422, "refused", _(reason))
    form = forms.form_for(name, case, actor)
    if "csrf_token" in form:
        del form["csrf_token"]  # checked once for the request, above
    form.process(formdata=forms.formdata_from_json(payload))
    if not form.validate():
        return error(422, "invalid", _("Some fields are missing or invalid."),
                     fields={k: [str(m) for m in v] for k, v in form.errors.items()})
    try:
        take_action(case, name, current_user, forms.action_data(name, case, form))
    except ActionRefused as refused:
        db.session.rollback()
        return error(422, "refused", _(refused.reason))
    db.session.commit()
    return with_etag(jsonify(case_json(case)), case)
