"""The case managers' console: the review queue and every case by stage."""

from __future__ import annotations

import time

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext, ngettext
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from app.cases.listing import as_case_rows, case_rows
from app.extensions import db
from app.manage.forms import KIND_LABELS, CalendarDayForm, DeleteForm
from app.models import CalendarDay, Case, Deadline, Decision, JobFailure
from app.services import calendars, jobs
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
    job_failures = db.session.scalar(
        select(func.count()).select_from(JobFailure).where(JobFailure.status == "failed"))
    return render_template("manage/queue.html", queue=queue, page=page, counts=counts,
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


@bp.route("/calendar", methods=["GET", "POST"])
def calendar_days():
    """Confirm, move or remove an Islamic holiday date for a country, or close the Centre.
    Moving an Eid is two corrections: remove the estimated date, add the sighted one."""
    form = CalendarDayForm()
    if form.validate_on_submit():
        moved = calendars.set_day(form.country.data, form.day.data, form.kind.data,
                                  form.name.data or "", current_user,
                                  moved_from=form.moved_from.data)
        jobs.commit()
        flash(_moved_message(len(moved)), "success")
        return redirect(url_for("manage.calendar_days"))
    rows = db.session.scalars(select(CalendarDay).order_by(CalendarDay.day.desc())).all()
    return render_template("manage/calendar.html", form=form, rows=rows,
                           kind_labels=KIND_LABELS, delete_form=DeleteForm()), (
        422 if form.errors else 200)


@bp.post("/calendar/<int:row_id>/delete")
def delete_calendar_day(row_id: int):
    if not DeleteForm().validate_on_submit():
        abort(400)
    moved = calendars.delete_day(row_id, current_user)
    jobs.commit()
    flash(_moved_message(len(moved)), "success")
    return redirect(url_for("manage.calendar_days"))


def _moved_message(count: int) -> str:
    return ngettext("Calendar saved; %(num)s open time limit was recomputed.",
                    "Calendar saved; %(num)s open time limits were recomputed.", count)
