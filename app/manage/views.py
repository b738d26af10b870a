"""The case managers' console: the review queue and every case by stage."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import func, select

from app.extensions import db
from app.models import Case, Deadline, Decision, JobFailure
from app.services import jobs
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
    job_failures = db.session.scalar(
        select(func.count()).select_from(JobFailure).where(JobFailure.status == "failed"))
    return render_template("manage/queue.html", queue=queue, cases=cases, counts=counts,
                           stage=stage, overdue=overdue, failed=failed,
                           stage_titles=stage_titles, job_failures=job_failures)


@bp.get("/jobs")
def job_failures():
    """Background jobs that failed after every retry, newest first, with their error."""
    failures = db.session.scalars(
        select(JobFailure).order_by(JobFailure.status == "resolved", JobFailure.failed_at.desc())
        .limit(200)).all()
    return render_template("manage/jobs.html", failures=failures, form=RetryForm())


class RetryForm(FlaskForm):
    """Only the CSRF token: retrying a job is one button."""


@bp.post("/jobs/<int:failure_id>/retry")
def retry_job(failure_id: int):
    failure = db.session.get(JobFailure, failure_id)
    if failure is None:
        abort(404)
    if not RetryForm().validate_on_submit():
        abort(400)
    jobs.retry_failure(failure.id)
    db.session.expire_all()
    failure = db.session.get(JobFailure, failure_id)
    if failure is not None and failure.status == "resolved":
        flash(gettext("The job ran successfully."), "success")
    elif failure is not None and failure.status == "retrying":
        flash(gettext("The job has been queued again."), "success")
    else:
        flash(gettext("The job failed again; see its error."), "error")
    return redirect(url_for("manage.job_failures"))
