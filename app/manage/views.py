"""The case managers' console: the review queue and every case by stage."""

from __future__ import annotations

from datetime import date
from typing import NamedTuple

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import Select, func, literal, null, select, union_all

from app.cases import listing
from app.cases.listing import as_case_rows
from app.extensions import db
from app.i18n import gettext, ngettext
from app.labels import CALENDAR_DAY_LABELS
from app.manage import calendars
from app.manage.forms import CalendarDayForm, DeleteForm
from app.models import CalendarDay, Case, Deadline, Decision, Job
from app.services import jobs, queries, relay, stage_totals
from app.services.paging import keyset_page, page_size
from workflows.engine import procedures

bp = Blueprint("manage", __name__, url_prefix="/manage")

QUEUE_SIZE = 10  # the oldest filings; the rest are a click away (stage=review)
OVERDUE_SHOWN = 10


@bp.before_request
def case_managers_only():
    if not current_user.is_authenticated or not current_user.is_case_manager:
        abort(404)


class Overdue(NamedTuple):
    id: int
    label: str  # the time limit, untranslated (N_ in the procedure)
    due_date: date
    outcome: str  # what its expiry did, untranslated
    number: str | None  # the case (None: a draft)


class FailedDecision(NamedTuple):
    id: int
    error: str | None
    number: str


def _side_panels() -> Select:
    """The console's three side panels — recently expired time limits, decisions that failed
    to render, the number of failing jobs — in one statement: one round trip, not three.
    Each part is a subquery (SQLite takes ORDER BY and LIMIT only there) padded to the same
    columns; `at` carries each part's order, which a UNION does not promise to keep."""
    overdue = (select(Deadline.id, Deadline.label, Deadline.outcome, Deadline.due_date,
                      Deadline.due_at, Case.number, Case.rules_version)
               .join(Case, Case.id == Deadline.case_id)
               .where(Deadline.status == "expired").order_by(Deadline.due_at.desc())
               .limit(OVERDUE_SHOWN).subquery())
    failed = (select(Decision.id, Decision.error, Case.number)
              .join(Case, Case.id == Decision.case_id).where(Decision.status == "failed")
              .order_by(Decision.id.desc()).limit(OVERDUE_SHOWN).subquery())
    return union_all(
        select(literal("overdue").label("panel"), overdue.c.id.label("n"),
               overdue.c.label.label("text"), overdue.c.outcome.label("note"),
               overdue.c.due_date.label("day"), overdue.c.due_at.label("at"),
               overdue.c.number.label("number"), overdue.c.rules_version.label("rules")),
        select(literal("failed"), failed.c.id, failed.c.error, failed.c.number, null(), null(),
               null(), null()),
        select(literal("jobs"), func.count(), null(), null(), null(), null(), null(), null())
        .select_from(Job).where(Job.status == "failed"))


_SIDE_PANELS = _side_panels()  # built once (see app.services.paging.keyset_statement on why)


def side_panels() -> tuple[tuple[Overdue, ...], list[FailedDecision], int]:
    overdue, failed, job_failures = [], [], 0
    for panel, n, words, note, day, at, number, rules in queries.rows(_SIDE_PANELS):
        if panel == "overdue":
            overdue.append((at, Overdue(n, words, day, outcome_label(rules, note), number)))
        elif panel == "failed":
            failed.append(FailedDecision(n, words, note))
        else:
            job_failures = n
    overdue.sort(key=lambda item: item[0], reverse=True)
    failed.sort(key=lambda item: item.id, reverse=True)
    return tuple(row for _at, row in overdue), failed, job_failures


def outcome_label(rules_version: str, action: str | None) -> str:
    """What an expiry did, as the procedure names it ("Respondent in default; the case
    proceeds"), untranslated; the raw key only for an action no procedure knows."""
    found = next((p.action(action) for p in procedures()
                  if p.rules_version == rules_version and action), None)
    return (found.done or found.label) if found is not None else (action or "")


@bp.get("/")
def queue():
    queue = as_case_rows(queries.rows(listing.review_queue(QUEUE_SIZE)))
    counts = stage_totals.current()[0]  # the shared table: counted once a minute, for all
    stage = request.args.get("stage") or None
    size = page_size()
    page = keyset_page(listing.all_cases(size, in_stage=bool(stage)), request.args.get("after"),
                       size=size, params={"stage": stage}, rows=as_case_rows)
    overdue, failed, job_failures = side_panels()
    return render_template("manage/queue.html", queue=queue, page=page, counts=counts,
                           stage=stage, overdue=overdue, failed=failed,
                           stage_titles=stage_titles, job_failures=job_failures)


def stage_titles() -> dict[str, str]:
    return {s.key: gettext(s.label) for p in procedures() for s in p.stages}


@bp.get("/jobs")
def job_failures():
    """Background jobs that failed after every retry, newest first, with their error; and
    how many wait to be handed out (a backlog that grows means no runner takes them)."""
    failures = db.session.scalars(
        select(Job).where(Job.status == "failed").order_by(Job.finished_at.desc()).limit(200)
    ).all()
    waiting, since = relay.backlog()
    return render_template("manage/jobs.html", failures=failures, form=RetryForm(),
                           waiting=waiting, since=since)


class RetryForm(FlaskForm):
    """Only the CSRF token: retrying a job is one button."""


@bp.post("/jobs/<int:job_id>/retry")
def retry_job(job_id: int):
    if not RetryForm().validate_on_submit():
        abort(400)
    if jobs.retry(job_id):
        db.session.commit()
        flash(gettext("The job has been queued again."), "success")
    else:
        flash(gettext("This job is not waiting for a retry."), "error")
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
        db.session.commit()
        flash(_moved_message(len(moved)), "success")
        return redirect(url_for("manage.calendar_days"))
    rows = db.session.scalars(select(CalendarDay).order_by(CalendarDay.day.desc())).all()
    return render_template("manage/calendar.html", form=form, rows=rows,
                           kind_labels=CALENDAR_DAY_LABELS, delete_form=DeleteForm()), (
        422 if form.errors else 200)


@bp.post("/calendar/<int:row_id>/delete")
def delete_calendar_day(row_id: int):
    if not DeleteForm().validate_on_submit():
        abort(400)
    moved = calendars.delete_day(row_id, current_user)
    db.session.commit()
    flash(_moved_message(len(moved)), "success")
    return redirect(url_for("manage.calendar_days"))


def _moved_message(count: int) -> str:
    return ngettext("Calendar saved; %(num)s open time limit was recomputed.",
                    "Calendar saved; %(num)s open time limits were recomputed.", count)
