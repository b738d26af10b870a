"""The case managers' console: the review queue and every case by stage."""

from __future__ import annotations

import time

from flask import Blueprint, abort, current_app, render_template, request
from flask_babel import gettext
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from app.cases.listing import as_case_rows, case_rows
from app.extensions import db
from app.models import Case, Deadline, Decision
from app.services.paging import keyset_page
from workflows.engine import procedures

bp = Blueprint("manage", __name__, url_prefix="/manage")

QUEUE_SIZE = 10  # the oldest filings; the rest are a click away (stage=review)
OVERDUE_SHOWN = 10
# Counting a million cases by stage is a scan of an index; the per-stage totals in the filter
# are for orientation, so each worker keeps them for a minute instead of counting per request.
STAGE_COUNTS_TTL = 60.0


@bp.before_request
def case_managers_only():
    if not current_user.is_authenticated or not current_user.is_case_manager:
        abort(404)


def stage_counts() -> dict[str, int]:
    cache = current_app.extensions.setdefault("sulh_stage_counts", {})
    now = time.monotonic()
    if cache.get("expires", 0.0) < now:
        cache["counts"] = dict(db.session.execute(
            select(Case.stage, func.count()).where(Case.stage != "draft")
            .group_by(Case.stage)).all())
        cache["expires"] = now + STAGE_COUNTS_TTL
    return cache["counts"]


@bp.get("/")
def queue():
    # The oldest filings first: review is first come, first served.
    queue = as_case_rows(db.session.execute(
        case_rows().where(Case.stage == "review")
        .order_by(Case.submitted_at, Case.id).limit(QUEUE_SIZE)))
    counts = stage_counts()
    stage = request.args.get("stage") or None
    query = case_rows()
    query = query.where(Case.stage == stage) if stage else query.where(Case.stage != "draft")
    page = keyset_page(query, Case.last_activity_at, Case.id, request.args.get("after"),
                       rows=as_case_rows)
    overdue = db.session.scalars(
        select(Deadline).where(Deadline.status == "expired").order_by(Deadline.due_at.desc())
        .limit(OVERDUE_SHOWN)).all()
    failed = db.session.scalars(
        select(Decision).where(Decision.status == "failed").options(selectinload(Decision.case))
        .order_by(Decision.id.desc()).limit(OVERDUE_SHOWN)).all()
    stage_titles = {s.key: gettext(s.label) for p in procedures() for s in p.stages}
    return render_template("manage/queue.html", queue=queue, page=page, counts=counts,
                           stage=stage, overdue=overdue, failed=failed,
                           stage_titles=stage_titles)
