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
storage = AppGroup("storage", help="The document store.")


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
    """Apply the expiry action of every deadline that has passed."""
    from app.services.deadlines import sweep

    result = sweep(as_of.replace(tzinfo=UTC) if as_of else None)
    for number, action in result.applied:
        click.echo(f"{number}: {action}")
    click.echo(f"applied {len(result.applied)}, skipped {len(result.skipped)}")


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


@storage.command("check")
@click.option("--repair", is_flag=True,
              help="Remove bytes that no row refers to (older than the grace period).")
@click.option("--grace", type=int, default=None,
              help="Seconds during which unreferenced bytes may be an upload about to commit "
                   "(default STORAGE_ORPHAN_GRACE_SECONDS).")
@click.option("--no-hash", is_flag=True, help="Skip re-hashing every stored file.")
def storage_check(repair: bool, grace: int | None, no_hash: bool) -> None:
    """Rows without bytes, bytes without rows, and hash mismatches; exit 1 if any."""
    from app.models import Decision, Document
    from app.services.storage import UPLOAD_MARK, check_store, get_storage, remove_orphan

    recorded: dict[str, str | None] = {
        key: sha for key, sha in db.session.execute(
            select(Document.storage_key, Document.sha256))}
    recorded.update({key: sha for key, sha in db.session.execute(
        select(Decision.storage_key, Decision.sha256).where(Decision.storage_key.is_not(None)))})
    store = get_storage()
    grace = current_app.config["STORAGE_ORPHAN_GRACE_SECONDS"] if grace is None else grace
    report = check_store(store, recorded, grace_seconds=grace, verify_hashes=not no_hash)
    for key in report.missing:
        click.echo(f"missing bytes: {key}")
    for key in report.mismatched:
        click.echo(f"hash mismatch: {key}")
    for key in report.orphans:
        click.echo(f"orphan bytes: {key}")
    for key in report.recent_orphans:
        click.echo(f"recent unreferenced bytes (left alone, may be an upload in progress): {key}")
    removed = 0
    if repair:
        # Re-read the rows just before deleting: a key that gained a row meanwhile stays.
        for key in report.orphans:
            if key.rsplit("/", 1)[-1].endswith(".partial") or UPLOAD_MARK in key or not (
                    db.session.scalar(select(func.count()).select_from(Document)
                                      .where(Document.storage_key == key))
                    or db.session.scalar(select(func.count()).select_from(Decision)
                                         .where(Decision.storage_key == key))):
                remove_orphan(store, key)
                removed += 1
                click.echo(f"removed: {key}")
    click.echo(f"{len(recorded)} recorded, {len(report.missing)} missing, "
               f"{len(report.mismatched)} mismatched, {len(report.orphans)} orphaned"
               + (f", {removed} removed" if repair else ""))
    remaining_orphans = [] if repair else report.orphans
    if report.missing or report.mismatched or remaining_orphans:
        raise SystemExit(1)


def init_app(app: Flask) -> None:
    for group in (demo, deadlines, audit, storage):
        app.cli.add_command(group)
