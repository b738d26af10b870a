"""Command-line tools: `flask demo seed|totp`, `flask deadlines sweep|compute`,
`flask audit verify`, `flask procedures show`, `flask storage check`,
`flask users reset-second-factor`, `flask backup create|verify|restore`, `flask mail outbox`."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError, ProgrammingError

from app.extensions import db


class Commands(AppGroup):
    """A group of commands that answer a database without its tables with what to do, not
    with a driver's traceback."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except (OperationalError, ProgrammingError) as error:
            if not _missing_table(error):
                raise
            raise click.ClickException(
                "the database has no tables yet: run `flask db upgrade` first") from None


def _missing_table(error: Exception) -> bool:
    original = getattr(error, "orig", None)
    return (getattr(original, "sqlstate", None) == "42P01"  # PostgreSQL: undefined_table
            or "no such table" in str(original))  # SQLite


demo = Commands("demo", help="Demonstration data (embedded default only).")
deadlines = Commands("deadlines", help="Time limits.")
audit = Commands("audit", help="The audit trail.")
jobs = Commands("jobs", help="Background jobs (SULH_JOBS=rq: Redis workers).")
api = Commands("api", help="The JSON API.")
procedures_group = Commands("procedures", help="The procedures and their rules versions.")


@procedures_group.command("show")
@click.argument("key", required=False)
def procedures_show(key: str | None) -> None:
    """Print each procedure (or one) as a table: stage, action, roles, where it leads."""
    from workflows.engine import procedures, table

    for procedure in procedures():
        if key and procedure.key != key:
            continue
        click.echo(f"{procedure.rules_version}: {procedure.title}")
        click.echo(table(procedure))
        click.echo("")
storage = Commands("storage", help="The document store.")
mail = Commands("mail", help="The outbox.")


@mail.command("outbox")
@click.option("--to", "to", default="", help="Only the messages to this address.")
@click.option("--last", default=10, show_default=True, help="How many messages, newest first.")
def mail_outbox(to: str, last: int) -> None:
    """Print the messages waiting in the outbox, bodies included: without MAIL_SERVER (the
    embedded default) this is the mailbox — where a served respondent's link is. The log names
    a message and its subject only; a delivered message keeps no body."""
    from app.models import OutboxEmail

    query = select(OutboxEmail).order_by(OutboxEmail.id.desc()).limit(max(1, last))
    if to:
        query = query.where(OutboxEmail.to_addr == to.strip().lower())
    for message in db.session.scalars(query):
        state = (f"sent {message.sent_at:%Y-%m-%d %H:%M}" if message.sent_at else "not sent")
        click.echo(f"#{message.id} to {message.to_addr} ({state}): {message.subject}")
        if message.body:
            click.echo(message.body)
        else:
            click.echo(f"(delivered: body not kept, SHA-256 {message.body_sha256})\n")
users = Commands("users", help="Accounts.")


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
    run_jobs_here()
    click.echo(f"seeded {len(cases)} demo cases: " + ", ".join(cases))


@demo.command("totp")
@click.argument("email")
def demo_totp(email: str) -> None:
    """Print the code an authenticator app shows now for a demo account, to sign in with."""
    from app.auth import second_factor
    from app.models import User
    from app.models.types import utcnow

    if not current_app.config.get("ALLOW_DEMO_DATA"):
        raise click.ClickException("demo codes are only for the embedded default "
                                   "(SULH_ENV=embedded)")
    user = db.session.scalar(select(User).where(User.email == User.normalise_email(email)))
    if user is None or not user.has_totp or user.totp_secret is None:
        raise click.ClickException(f"{email}: no account with an authenticator app")
    now = utcnow()
    step = second_factor.time_step(now)
    left = second_factor.PERIOD - int(now.timestamp()) % second_factor.PERIOD
    used = -1 if user.totp_last_step is None else user.totp_last_step
    if used > step:
        raise click.ClickException(f"the codes of this and the next 30 s were used: try again "
                                   f"in {left} s")
    if used == step:
        # This step's code was used (a code works once): the next one is accepted already.
        click.echo(second_factor.code_at(user.totp_secret, step + 1))
        click.echo(f"(the current code was used; this is the next one, accepted for "
                   f"{left + second_factor.PERIOD} s)", err=True)
        return
    click.echo(second_factor.code_at(user.totp_secret, step))
    click.echo(f"(valid for {left} s more, and the 30 s after)", err=True)


@users.command("reset-second-factor")
@click.argument("email")
@click.option("--reason", default="", help="Why (kept in the security log).")
def users_reset_second_factor(email: str, reason: str) -> None:
    """Delete an account's authenticator key and recovery codes (a lost phone) and end its
    sessions: at the next sign-in it sets up a new app (a party: gets codes by email).
    For the Centre's operators, after checking who asks; the security log keeps it."""
    from app.auth import second_factor
    from app.models import User

    user = db.session.scalar(select(User).where(User.email == User.normalise_email(email)))
    if user is None:
        raise click.ClickException(f"{email}: no such account")
    ended = second_factor.reset(user, reason=reason or "flask users reset-second-factor")
    db.session.commit()
    click.echo(f"{user.email}: second factor reset, {ended} session(s) ended")


@deadlines.command("sweep")
@click.option("--now", "as_of", type=click.DateTime(formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d"]),
              help="Sweep as if it were this UTC time (drills and tests).")
@click.option("--processes", type=click.IntRange(min=1),
              help="Sweeps working through a backlog side by side (PostgreSQL; default: "
                   "SULH_SWEEP_PROCESSES, else one per core).")
def deadlines_sweep(as_of: datetime | None, processes: int | None) -> None:
    """Apply the expiry action of every deadline that has passed; remind those near."""
    from app.cases.sweep.run import sweep

    now = as_of.replace(tzinfo=UTC) if as_of else None
    result = sweep(now, processes=processes)
    for number, action in result.applied:
        click.echo(f"{number}: {action}")
    for number, key in result.reminded:
        click.echo(f"{number}: reminder for {key}")
    click.echo(f"applied {len(result.applied)}, skipped {len(result.skipped)}, "
               f"reminders {len(result.reminded)}")
    started = time.perf_counter()
    ran = run_jobs_here()
    click.echo(f"expiries took {result.seconds:.3f} s (CPU {result.cpu_seconds:.3f} s, "
               f"{result.batches} batches, {result.processes} processes); "
               f"notices {time.perf_counter() - started:.3f} s ({ran} jobs run here)")


def run_jobs_here() -> int:
    """With jobs in-process, a command's jobs (notices, emails, PDFs) run before it exits:
    there may be no server whose relay would run them. With RQ the workers take them."""
    from app.services import relay

    if current_app.config["JOBS_MODE"] == "rq":
        return 0
    return relay.drain()


@deadlines.command("compute")
@click.option("--country", required=True, help="ISO 3166 code of the addressee's country.")
@click.option("--start", "start", required=True, type=click.DateTime(formats=["%Y-%m-%d"]),
              help="The day of the trigger (service, appointment...); counting starts after it.")
@click.option("--days", required=True, type=click.IntRange(min=0))
@click.option("--business", is_flag=True, help="Count business days instead of calendar days.")
@click.option("--tz", help="The addressee's IANA time zone (default: the country's capital).")
@click.option("--subdiv", help="State or province with its own calendar (e.g. MY: 03).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def deadlines_compute(country: str, start: datetime, days: int, business: bool, tz: str | None,
                      subdiv: str | None, as_json: bool) -> None:
    """Compute a time limit in an addressee's calendar, with the Centre's corrections."""
    import json
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    from app.models.deadline import calendar_adjustments
    from workflows import calendar

    country = country.upper()
    if tz:
        try:
            ZoneInfo(tz)
        except (ZoneInfoNotFoundError, ValueError):
            raise click.BadParameter(f"unknown time zone {tz!r}", param_hint="--tz") from None
    closures, overrides = calendar_adjustments(country)
    due = calendar.compute_due(start.date(), days, country=country, business=business, tz=tz,
                               closures=closures, overrides=overrides, subdiv=subdiv,
                               trigger_label="the start date")
    skipped = [{"date": s.date.isoformat(), "reason": s.reason} for s in due.skipped]
    if as_json:
        click.echo(json.dumps({"due_date": due.due_date.isoformat(),
                               "hijri": calendar.hijri_iso(due.due_date),
                               "explanation": due.explanation, "skipped": skipped,
                               "due_at": due.due_at.isoformat(), "tz": due.tz,
                               "country": due.country}, ensure_ascii=False))
        return
    click.echo(f"due {due.due_date.isoformat()} ({calendar.format_hijri(due.due_date)}), "
               f"ends {due.due_at.isoformat()}")
    click.echo(due.explanation)
    for s in skipped:
        click.echo(f"  skipped {s['date']}: {s['reason']}")


@audit.command("verify")
@click.option("--batch", default=1000, show_default=True, type=click.IntRange(min=1),
              help="Cases read at a time.")
def audit_verify(batch: int) -> None:
    """Check every case's audit trail: the hash chain, its head and length on the case row,
    the stage, and the documents against their upload events. One line per problem; exit 1
    if any."""
    import time

    from app.services.audit_verify import Tally, verify

    started, tally = time.perf_counter(), Tally()
    for problem in verify(batch, tally):
        click.echo(str(problem))
    checked = (f"{tally.cases} cases, {tally.events} events, {tally.documents} documents "
               f"checked in {time.perf_counter() - started:.1f} s")
    if tally.problems:
        raise click.ClickException(f"{tally.problems} problem(s) in {tally.broken} case(s) "
                                   f"({checked})")
    click.echo(f"audit trail intact: {checked}")


@jobs.command("worker")
@click.option("--burst", is_flag=True, help="Stop when the queue is empty.")
def jobs_worker(burst: bool) -> None:
    """Run an RQ worker: PDFs, emails and the deadline sweep, with retries."""
    from app.services import relay

    if current_app.config["JOBS_MODE"] != "rq":
        raise click.ClickException("jobs run in-process here; set SULH_JOBS=rq to use workers")
    relay.run_worker(current_app._get_current_object(), burst=burst)


@jobs.command("scheduler")
@click.option("--every", default=60, show_default=True, help="Seconds between deadline sweeps.")
def jobs_scheduler(every: int) -> None:
    """Run the deadline sweep periodically (RQ's cron scheduler, or in-process)."""
    from app.services import relay

    relay.run_scheduler(current_app._get_current_object(), every=every)


@jobs.command("drain")
def jobs_drain() -> None:
    """Hand out every job that is due now: run here (in-process) or enqueue on Redis (rq)."""
    from app.services import relay

    click.echo(f"{relay.drain()} jobs handed out")


@jobs.command("failures")
def jobs_failures() -> None:
    """List the jobs that failed after every retry."""
    from app.models import Job

    rows = db.session.scalars(select(Job).where(Job.status == "failed")
                              .order_by(Job.finished_at.desc())).all()
    for row in rows:
        click.echo(f"#{row.id} failed {row.name}({row.kwargs}) x{row.attempts}: "
                   f"{row.last_error}")
    click.echo(f"{len(rows)} failed jobs")


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


@storage.command("check")
@click.option("--repair", is_flag=True,
              help="Remove bytes that no row refers to (older than the grace period).")
@click.option("--grace", type=int, default=None,
              help="Seconds during which unreferenced bytes may be an upload about to commit "
                   "(default STORAGE_ORPHAN_GRACE_SECONDS).")
@click.option("--no-hash", is_flag=True, help="Skip re-hashing every stored file.")
def storage_check(repair: bool, grace: int | None, no_hash: bool) -> None:
    """Rows without bytes, bytes without rows, and hash mismatches; exit 1 if any."""
    from app.models import Decision, Document, ExhibitIndexPdf
    from app.services.storage import (
        UPLOAD_MARK,
        check_store,
        get_storage,
        recorded_objects,
        remove_orphan,
    )

    recorded: dict[str, str | None] = {
        key: sha for key, sha, _table in db.session.execute(recorded_objects())}
    store = get_storage()
    grace = current_app.config["STORAGE_ORPHAN_GRACE_SECONDS"] if grace is None else grace
    report = check_store(store, recorded, grace_seconds=grace, verify_hashes=not no_hash)
    _echo_store_report(report)
    removed = 0
    if repair:
        # Re-read the rows just before deleting: a key that gained a row meanwhile stays.
        for key in report.orphans:
            if key.rsplit("/", 1)[-1].endswith(".partial") or UPLOAD_MARK in key or not (
                    db.session.scalar(select(func.count()).select_from(Document)
                                      .where(Document.storage_key == key))
                    or db.session.scalar(select(func.count()).select_from(Decision)
                                         .where(Decision.storage_key == key))
                    or db.session.scalar(select(func.count()).select_from(ExhibitIndexPdf)
                                         .where(ExhibitIndexPdf.storage_key == key))):
                remove_orphan(store, key)
                removed += 1
                click.echo(f"removed: {key}")
    click.echo(f"{len(recorded)} recorded, {len(report.missing)} missing, "
               f"{len(report.mismatched)} mismatched, {len(report.orphans)} orphaned"
               + (f", {removed} removed" if repair else ""))
    remaining_orphans = [] if repair else report.orphans
    if report.missing or report.mismatched or remaining_orphans:
        raise SystemExit(1)


def _echo_store_report(report) -> None:
    for key in report.missing:
        click.echo(f"missing bytes: {key}")
    for key in report.mismatched:
        click.echo(f"hash mismatch: {key}")
    for key in report.orphans:
        click.echo(f"orphan bytes: {key}")
    for key in report.recent_orphans:
        click.echo(f"recent unreferenced bytes (left alone, may be an upload in progress): {key}")


backup = Commands("backup", help="Backups of the database and the document store.")


@backup.command("create")
@click.option("--output", type=click.Path(file_okay=False, path_type=Path),
              help="A new or empty directory (default: instance/backups/<UTC time>/).")
def backup_create(output: Path | None) -> None:
    """Back up the database and every stored object it refers to, consistently, while the
    app keeps running."""
    from app.services.backup import BackupError, create_backup
    from app.services.storage import get_storage

    if output is None:
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        output = Path(current_app.instance_path) / "backups" / stamp
    try:
        result = create_backup(output, engine=db.engine, storage=get_storage(), log=click.echo,
                               pg_bin=current_app.config["PG_BIN_DIR"])
    except BackupError as error:
        raise click.ClickException(str(error)) from None
    for key in result.pruned:
        click.echo(f"pruned meanwhile (an exhibit-index rendering; its row goes on restore): "
                   f"{key}")
    click.echo(f"backup complete: {result.path} ({result.kind} dump "
               f"{result.database_bytes / 1e6:,.1f} MB, {result.objects:,} objects "
               f"{result.object_bytes / 1e6:,.1f} MB) in {result.seconds:.1f} s")


@backup.command("verify")
@click.argument("path", type=click.Path(exists=True, file_okay=False, path_type=Path))
def backup_verify(path: Path) -> None:
    """Check every file of a backup against its manifest (sizes and SHA-256)."""
    from app.services.backup import BackupError, verify_backup

    try:
        manifest = verify_backup(path, log=click.echo)
    except BackupError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"backup intact: {manifest['database']['kind']} database, "
               f"{manifest['objects']['count']:,} objects, made {manifest['created_at']}")


@backup.command("restore")
@click.argument("path", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--force", is_flag=True,
              help="Restore even though the database has rows or the store has objects "
                   "(tables in the backup are replaced; objects under its keys overwritten).")
def backup_restore(path: Path, force: bool) -> None:
    """Restore a backup into the configured database and document store (stop the app and
    the workers first). Exit 1 if the restored store and database disagree."""
    from app.services.backup import BackupError, restore_backup
    from app.services.storage import get_storage

    db.session.remove()  # no connection of ours may hold a lock the restore waits for
    config = current_app.config
    try:
        result = restore_backup(
            path, engine=db.engine, storage=get_storage(), force=force, log=click.echo,
            pg_bin=config["PG_BIN_DIR"], migrations=Path(current_app.extensions["migrate"]
                                                          .directory),
            grace_seconds=config["STORAGE_ORPHAN_GRACE_SECONDS"])
    except BackupError as error:
        raise click.ClickException(str(error)) from None
    report = result.report
    _echo_store_report(report)
    if result.pruned_rows:
        click.echo(f"removed {result.pruned_rows} exhibit-index rows pruned during the backup")
    timings = ", ".join(f"{name} {took:.1f} s" for name, took in result.seconds.items())
    click.echo(f"restored {result.kind} database (schema {result.schema_revision or 'unknown'})"
               f" and {result.objects:,} objects ({result.object_bytes / 1e6:,.1f} MB): "
               f"{timings}")
    click.echo(f"{result.recorded} recorded, {len(report.missing)} missing, "
               f"{len(report.orphans)} orphaned (sizes and hashes were checked on the way in; "
               f"`flask storage check` re-reads every object)")
    if not report.clean:
        raise SystemExit(1)
    click.echo("next: `flask db upgrade` (if this code is newer), `flask storage check`, "
               "`flask audit verify`, then start the app and the workers")


def init_app(app: Flask) -> None:
    for group in (demo, deadlines, audit, jobs, api, procedures_group, storage, backup, mail,
                  users):
        app.cli.add_command(group)
    app.cli.add_command(mail)
