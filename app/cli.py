"""Command-line tools: `flask demo seed`, `flask deadlines sweep`, `flask audit verify`."""

from __future__ import annotations

from datetime import UTC, datetime

import click
from flask import Flask, current_app
from flask.cli import AppGroup
from sqlalchemy import func, select

from app.extensions import db

demo = AppGroup("demo", help="Demonstration data (embedded default only).")
deadlines = AppGroup("deadlines", help="Time limits.")
audit = AppGroup("audit", help="The audit trail.")
jobs = AppGroup("jobs", help="Background jobs (SULH_JOBS=rq: Redis workers).")
api = AppGroup("api", help="The JSON API.")


@demo.command("seed")
@click.option("--if-empty", is_flag=True, help="Do nothing when users already exist.")
def demo_seed(if_empty: bool) -> None:
    """Create the demo accounts and sample cases at every stage."""
    from app.demo import seed
    from app.models import User

    if not current_app.config.get("ALLOW_DEMO_DATA"):
        raise click.ClickException("demo data is only for the embedded default (SULH_ENV=embedded)")
    if if_empty and db.session.scalar(select(func.count()).select_from(User)):
        click.echo("database already has users; demo data not seeded")
        return
    cases = seed()
    click.echo(f"seeded {len(cases)} demo cases: " + ", ".join(cases))


@deadlines.command("sweep")
@click.option("--now", "as_of", type=click.DateTime(formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d"]),
              help="Sweep as if it were this UTC time (drills and tests).")
def deadlines_sweep(as_of: datetime | None) -> None:
    """Apply the expiry action of every deadline that has passed; remind those near."""
    from app.services.deadlines import send_reminders, sweep

    now = as_of.replace(tzinfo=UTC) if as_of else None
    result = sweep(now)
    for number, action in result.applied:
        click.echo(f"{number}: {action}")
    reminded = send_reminders(now)
    click.echo(f"applied {len(result.applied)}, skipped {len(result.skipped)}, "
               f"reminded {reminded}")


@audit.command("verify")
def audit_verify() -> None:
    """Check every case's hash chain; exit 1 if an event was altered."""
    from app.models import AuditEvent

    broken = 0
    previous: dict[int, str] = {}
    for event in db.session.scalars(select(AuditEvent).order_by(AuditEvent.case_id,
                                                                AuditEvent.seq)):
        expected_prev = previous.get(event.case_id, "")
        if event.prev_hash != expected_prev or event.compute_hash() != event.hash:
            broken += 1
            click.echo(f"case {event.case_id} event {event.seq}: chain broken")
        previous[event.case_id] = event.hash
    if broken:
        raise click.ClickException(f"{broken} events fail verification")
    click.echo(f"audit trail intact for {len(previous)} cases")


@jobs.command("worker")
@click.option("--burst", is_flag=True, help="Stop when the queue is empty.")
def jobs_worker(burst: bool) -> None:
    """Run an RQ worker: PDFs, emails and the deadline sweep, with retries."""
    from app.services import jobs as job_service

    if current_app.config["JOBS_MODE"] != "rq":
        raise click.ClickException("jobs run in-process here; set SULH_JOBS=rq to use workers")
    job_service.run_worker(current_app._get_current_object(), burst=burst)


@jobs.command("scheduler")
@click.option("--every", default=60, show_default=True, help="Seconds between deadline sweeps.")
def jobs_scheduler(every: int) -> None:
    """Run the deadline sweep periodically (RQ's cron scheduler, or in-process)."""
    from app.services import jobs as job_service

    job_service.run_scheduler(current_app._get_current_object(), every=every)


@jobs.command("failures")
def jobs_failures() -> None:
    """List the jobs that failed after every retry and are not resolved."""
    from app.models import JobFailure

    rows = db.session.scalars(select(JobFailure).where(JobFailure.status != "resolved")
                              .order_by(JobFailure.failed_at.desc())).all()
    for row in rows:
        click.echo(f"#{row.id} {row.status} {row.job}({row.kwargs}) x{row.attempts}: {row.error}")
    click.echo(f"{len(rows)} unresolved job failures")


@api.command("token")
@click.argument("email")
@click.option("--name", default="", help="What the token is for.")
def api_token(email: str, name: str) -> None:
    """Issue an API token for a user; it is printed once."""
    from app.models import ApiToken, User

    user = db.session.scalar(select(User).where(User.email == User.normalise_email(email)))
    if user is None:
        raise click.ClickException(f"no user {email}")
    _row, token = ApiToken.issue(user, name)
    db.session.commit()
    click.echo(token)


def init_app(app: Flask) -> None:
    for group in (demo, deadlines, audit, jobs, api):
        app.cli.add_command(group)
