"""The case's optimistic lock, as clients see it.

Every change of a case bumps `Case.version` (SQLAlchemy's `version_id_col`: the UPDATE says
`WHERE version = <the version loaded>`), so of two transactions that loaded the same version
only the first commits; the second fails with `StaleDataError`. A client may also say which
version it was looking at (a hidden `expected_version` field in forms, `If-Match` or
`expected_version` in the API): if the case has moved on since, the request is refused before
anything is done. Both end as HTTP 409 "this case changed while you were working".
"""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.orm.exc import StaleDataError

from app.extensions import db
from app.models import AuditEvent, Case


class CaseChanged(StaleDataError):
    """The client acted on a version of the case that is no longer current."""

    def __init__(self, message: str, current_version: int) -> None:
        super().__init__(message)
        self.current_version = current_version


def parse_version(value: object) -> int | None:
    """`7`, `"7"`, an ETag `"\\"7\\""` or `W/"7"`; anything else (or nothing) is None."""
    if value is None or value == "":
        return None
    text = str(value).strip()
    text = text.removeprefix("W/").strip('"')
    try:
        return int(text)
    except ValueError:
        return None


# Recorded on the trail (and so bumping the version) without changing anything a form acts on.
READS = frozenset({"download_document", "download_bundle", "download_decision"})


def expect_version(case: Case, expected: object, seen_events: object = None) -> None:
    """Refuse an action taken on a page showing an older version of the case. Forms also say
    how many events the page had seen: when everything recorded since is somebody reading the
    file (a download is on the audit trail, so it bumps the version too), the page was not
    stale and the action goes ahead."""
    version = parse_version(expected)
    if version is None or version == case.version:
        return
    seen = parse_version(seen_events)
    if seen is not None and _only_reads_since(case, seen, case.version - version):
        return
    raise CaseChanged(f"case {case.reference} is at version {case.version}, not {version}",
                      case.version)


def _only_reads_since(case: Case, seen: int, bumps: int) -> bool:
    """Every event after `seen` is a read, and each accounts for one version bump (a change
    recorded without an event would leave a bump unaccounted for)."""
    if bumps <= 0 or seen < 0 or case.event_count - seen != bumps:
        return False
    actions = db.session.scalars(select(AuditEvent.action).where(
        AuditEvent.case_id == case.id, AuditEvent.seq > seen)).all()
    return len(actions) == bumps and all(action in READS for action in actions)


def lock_case(case: Case) -> None:
    """Hold the case row until this transaction ends, and read it as it is now.

    What is numbered per case from what is already there (exhibit C-4 after C-3) must be
    numbered by one transaction at a time, or two uploads at once both take C-4. PostgreSQL:
    ``SELECT ... FOR UPDATE``. SQLite has one writer at a time, so taking its write lock — a
    write to the row — is the same. The case is reloaded afterwards, so its version is the
    one its next change must meet (a concurrent upload is not a conflict, only a wait)."""
    if db.session.get_bind().dialect.name == "postgresql":
        query = select(Case).where(Case.id == case.id).with_for_update()
    else:
        table = Case.__table__
        db.session.execute(update(table).where(table.c.id == case.id).values(id=table.c.id))
        query = select(Case).where(Case.id == case.id)
    db.session.execute(query.execution_options(populate_existing=True)).scalar_one()
