"""Landing page, the user's dashboard, the language switcher and the health check."""

from __future__ import annotations

import shutil
from pathlib import Path

from flask import (
    Blueprint,
    current_app,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user
from sqlalchemy import text

from app.cases import listing
from app.cases.listing import as_case_rows
from app.extensions import db
from app.links import local_target
from app.services import queries, relay
from app.services.paging import keyset_page, page_size
from app.services.storage import get_storage
from app.web import public

bp = Blueprint("main", __name__)
DRAFTS_SHOWN = 20


@bp.get("/")
@public
def index():
    if current_user.is_authenticated:
        return redirect(url_for("main.dashboard"))
    return render_template("main/index.html")


@bp.get("/dashboard")
def dashboard():
    """The user's cases, most recent activity first, a keyset page at a time; their own
    drafts above them."""
    drafts = as_case_rows(queries.rows(listing.drafts_of_user(DRAFTS_SHOWN),
                                       {"user_id": current_user.id}))
    size = page_size()
    if current_user.is_case_manager:
        page = keyset_page(listing.all_cases(size, in_stage=False), request.args.get("after"),
                           size=size, rows=as_case_rows)
    else:
        page = keyset_page(listing.cases_of_user(size), request.args.get("after"), size=size,
                           params={"user_id": current_user.id}, rows=as_case_rows,
                           at="listed_at", unique="id")
    from app.filing.service import DEFAULT_PROCEDURE, procedure_choices

    return render_template("main/dashboard.html", drafts=drafts, page=page,
                           procedures=procedure_choices(), default=DEFAULT_PROCEDURE)


@bp.post("/language")
@public
def set_language():
    """A signed-in user's choice, kept on the account (a form with a CSRF token)."""
    lang = request.form.get("lang", "en")
    if lang in current_app.config["LANGUAGES"]:
        session["lang"] = lang
        if current_user.is_authenticated:
            current_user.locale = lang
            db.session.commit()
    return _back(request.form.get("next"))


@bp.get("/language/<lang>")
@public
def choose_language(lang: str):
    """A visitor's choice, for this browser session only (a link: it changes no account)."""
    if lang in current_app.config["LANGUAGES"]:
        session["lang"] = lang
    return _back(request.args.get("next"))


def _back(target: str | None):
    return redirect(local_target(target) or url_for("main.index"))


@bp.get("/healthz")
@public
def healthz():
    """Each component this process needs, checked for real. 503 when the database or the
    document store cannot be used — including a disk with less than MIN_FREE_MB left, so an
    alert fires before uploads start failing; 200 "degraded" when only the job queue is
    unreachable: requests still work, and the jobs wait in the database until it is back.
    Error types only: this page is public."""
    checks: dict[str, str] = {}
    try:
        db.session.execute(text("SELECT 1"))
        checks["database"] = "ok"
    except Exception as exc:
        db.session.rollback()
        checks["database"] = f"error: {type(exc).__name__}"
    checks["storage"] = _storage_health()
    checks["jobs"] = _jobs_health()
    if any(v.startswith("error") for v in checks.values()):
        status = "error"
    elif any(v.startswith("degraded") for v in checks.values()):
        status = "degraded"
    else:
        status = "ok"
    return jsonify(status=status, checks=checks), 503 if status == "error" else 200


def _storage_health() -> str:
    try:
        storage = get_storage()
        storage.check()
    except Exception as exc:
        return f"error: {type(exc).__name__}"
    minimum = current_app.config["MIN_FREE_MB"] * 1024 * 1024
    free = [space for space in (storage.free_bytes(), _database_free_bytes())
            if space is not None]
    if free and min(free) < minimum:
        return (f"error: {min(free) // 1024} KiB free, below the minimum of "
                f"{current_app.config['MIN_FREE_MB']} MiB")
    return "ok"


def _database_free_bytes() -> int | None:
    """Free space beside an SQLite database file (PostgreSQL watches its own disk)."""
    database = db.engine.url.database
    if db.engine.dialect.name != "sqlite" or not database or database == ":memory:":
        return None
    return shutil.disk_usage(Path(database).resolve().parent).free


def _jobs_health() -> str:
    try:
        waiting, _since = relay.backlog()
    except Exception:
        db.session.rollback()
        waiting = 0
    if current_app.config["JOBS_MODE"] != "rq":
        return f"ok (in-process, {waiting} waiting)"
    try:
        relay.redis_connection().ping()
    except Exception as exc:
        return f"degraded: {type(exc).__name__}; {waiting} jobs wait in the database"
    return f"ok (rq, {waiting} waiting)"
