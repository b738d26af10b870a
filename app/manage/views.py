"""The case managers' console: the review queue and every case by stage."""

from __future__ import annotations

from flask import Blueprint, abort, render_template, request
from flask_babel import gettext
from flask_login import current_user
from sqlalchemy import func, select

from app.extensions import db
from app.models import Case, Deadline, Decision
from workflows.engine import procedures

bp = Blueprint("manage", __name__, url_prefix="/manage")


@bp.before_request
def case_managers_only():
    if not current_user.is_authenticated or not current_user.is_case_manager:
        abort(404)


@bp.get("/")
def queue():
    queue = db.session.scalars(
        select(Case).where(Case.stage == "review").order_by(Case.submitted_at)).all()
    stage = request.args.get("stage") or None
    query = select(Case).where(Case.stage != "draft").order_by(Case.last_activity_at.desc())
    if stage:
        query = query.where(Case.stage == stage)
    cases = db.session.scalars(query.limit(200)).all()
    counts = dict(db.session.execute(
        select(Case.stage, func.count()).where(Case.stage != "draft").group_by(Case.stage)).all())
    overdue = db.session.scalars(
        select(Deadline).where(Deadline.status == "expired").order_by(Deadline.due_at.desc())
        .limit(20)).all()
    failed = db.session.scalars(select(Decision).where(Decision.status == "failed")).all()
    stage_titles = {s.key: gettext(s.label) for p in procedures() for s in p.stages}
    return render_template("manage/queue.html", queue=queue, cases=cases, counts=counts,
                           stage=stage, overdue=overdue, failed=failed,
                           stage_titles=stage_titles)
