"""Downloading decisions, and the public authenticity check."""

from __future__ import annotations

from flask import Blueprint, abort, redirect, render_template, request, session, url_for
from flask_login import current_user
from sqlalchemy import bindparam, select

from app.auth import throttle
from app.decisions.service import normalise_code
from app.extensions import db
from app.i18n import current_language
from app.models import Case, Decision
from app.models.types import utcnow
from app.request_info import client_ip
from app.services import queries
from app.services.access import actor_for, load_case
from app.services.downloads import attachment
from app.services.fragments import app_cache
from app.services.storage import get_storage
from app.web import public

bp = Blueprint("decisions", __name__)


@bp.get("/cases/<number>/decisions/<int:decision_id>.pdf")
def download(number: str, decision_id: int):
    case = load_case(number)
    decision = db.session.get(Decision, decision_id)
    if decision is None or decision.case_id != case.id or decision.status != "issued":
        abort(404)
    case.record_event(action="download_decision", actor=actor_for(case, current_user),
                      stage_from=case.stage, stage_to=case.stage,
                      detail={"decision": decision.verification_code},
                      visibility="institution", at=utcnow())
    db.session.commit()
    return attachment(get_storage().iter_chunks(decision.storage_key), decision.filename,
                      "application/pdf", decision.size, inline=request.args.get("inline") == "1")


@bp.get("/verify")
@public
def verify_form():
    code = request.args.get("code", "").strip()
    if code:
        return redirect(url_for("decisions.verify", code=normalise_code(code)))
    return render_template("decisions/verify_form.html")


@bp.get("/verify/<code>")
@public
def verify(code: str):
    """Anyone may check a code. An issued decision never changes, so a visitor's page for it is
    kept per code and language and served again without a query (a signed-in user's page
    carries their own header, and a "not found" may become found: neither is kept)."""
    visitor = not current_user.is_authenticated and "_flashes" not in session
    key = ("verify", code, current_language())
    if visitor and (kept := app_cache("pages").get(key)) is not None:
        return kept
    # Codes that do not exist are counted per address: guessing them is refused (429) after
    # a few; a page kept above is a code that exists, and costs no count.
    throttle.VERIFY_PER_ADDRESS.check(client_ip())
    decision = queries.rows(_ISSUED_BY_CODE, {"code": normalise_code(code)}).first()
    page = render_template("decisions/verify.html", decision=decision, code=code)
    if decision is None:
        throttle.VERIFY_PER_ADDRESS.count(client_ip())
        return page, 404
    return app_cache("pages").put(key, page) if visitor else page


# The public page anyone can hit: one indexed lookup of just what it shows, built once.
_ISSUED_BY_CODE = (
    select(Decision.verification_code, Decision.kind, Decision.issued_at, Decision.sha256,
           Case.number.label("case_number"))
    .join(Case, Case.id == Decision.case_id)
    .where(Decision.verification_code == bindparam("code"), Decision.status == "issued"))


