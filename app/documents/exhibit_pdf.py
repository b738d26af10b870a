"""The exhibit index PDF: rendered by a job, stored, and served while it is current.

A render costs about a second of CPU (WeasyPrint), too much for a request. The route asks
:func:`current_or_requested` for the rendering that matches what the user may see right now:

* `ready` — serve the stored file;
* `pending` — a job is rendering it: show a page that refreshes itself;
* `failed` — the job gave up after its retries (recorded for the case managers).

The cache key (`state_key`) is a hash of everything the PDF shows, computed from the exhibits
*this user* may see (service.exhibit_index applies the document scopes): a user never gets a
rendering of a list they may not see, and any change to the list (a new exhibit, a new
version, a withdrawal, a renamed party) gives a new key, so a stale file is never served.
"""

from __future__ import annotations

import hashlib
import json
import logging
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.documents import service
from app.extensions import db
from app.models import Case, Document, ExhibitIndexPdf, User
from app.models.types import utcnow
from app.services import jobs, pdf
from app.services.storage import get_storage

log = logging.getLogger(__name__)

#: Bump when templates/pdf/exhibit_index.html changes what it shows: older files go stale.
LAYOUT_VERSION = 1
#: A failed rendering is requested again by a visit this long after (its cause may be gone).
RESUBMIT_AFTER = timedelta(minutes=10)
#: Renderings kept per case (other users' views of the list, recent states).
KEEP_PER_CASE = 6


def exhibit_rows(documents: list[Document]) -> list[dict]:
    return [{"id": d.id, "number": d.exhibit_number, "title": d.title,
             "date": d.document_date or d.created_at.date(), "uploader": d.uploader.name,
             "sha256": d.sha256, "version": d.version_no, "withdrawn": d.withdrawn}
            for d in documents]


def index_context(case: Case, documents: list[Document]) -> dict:
    return {"case": {"number": case.number, "rules_version": case.rules_version,
                     "language": case.language},
            "claimant": {"name": case.claimant.name if case.claimant else ""},
            "respondent": {"name": case.respondent.name if case.respondent else ""},
            "exhibits": exhibit_rows(documents), "generated_on": utcnow()}


def render_index(case: Case, documents: list[Document]) -> bytes:
    """The exhibit index as a PDF in the case language, in the decisions' style and fonts."""
    return pdf.render_decision("exhibit_index.html", index_context(case, documents),
                               lang=case.language)


def render_index_html(case: Case, documents: list[Document]) -> str:
    """The same index as an HTML page: what a bundle carries while the PDF is being made."""
    return pdf.render_decision_html("exhibit_index.html", index_context(case, documents),
                                    lang=case.language)


def state_key(case: Case, documents: list[Document]) -> str:
    context = index_context(case, documents)
    context.pop("generated_on")
    context["layout"] = LAYOUT_VERSION
    blob = json.dumps(context, sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(blob.encode()).hexdigest()


def _find(case: Case, key: str) -> ExhibitIndexPdf | None:
    return db.session.scalar(select(ExhibitIndexPdf).where(
        ExhibitIndexPdf.case_id == case.id, ExhibitIndexPdf.state_key == key))


def current_or_requested(case: Case, user: User) -> ExhibitIndexPdf:
    """The rendering of the exhibit index as `user` sees it now; requested (a job row
    committed) if there is none yet, or if it failed a while ago."""
    documents = service.exhibit_index(case, user)
    key = state_key(case, documents)
    row = _find(case, key)
    if row is not None and row.status == "ready" and row.storage_key:
        if get_storage().exists(row.storage_key):
            return row
        row.status = "pending"  # the file went missing: render it again
        row.requested_at = utcnow()
        jobs.defer(render_exhibit_index, pdf_id=row.id)
        db.session.commit()
        return row
    if row is None:
        row = ExhibitIndexPdf(case_id=case.id, state_key=key,
                              document_ids=[d.id for d in documents], status="pending")
        db.session.add(row)
        try:
            db.session.flush()
        except IntegrityError:  # another request created it at the same moment
            db.session.rollback()
            row = _find(case, key)
            assert row is not None
            return row
        jobs.defer(render_exhibit_index, pdf_id=row.id)
        db.session.commit()
    elif row.status == "failed" and utcnow() - row.requested_at > RESUBMIT_AFTER:
        row.status = "pending"
        row.requested_at = utcnow()
        jobs.defer(render_exhibit_index, pdf_id=row.id)
        db.session.commit()
    return row


def requested(case: Case, user: User) -> ExhibitIndexPdf | None:
    """`current_or_requested`, or None when it cannot be recorded (the database refused the
    write, logged): a page or a bundle then says so or goes without the PDF, never a 500."""
    try:
        return current_or_requested(case, user)
    except Exception:
        db.session.rollback()
        log.exception("exhibit index of %s could not be requested", case.number)
        return None


@jobs.job()
def render_exhibit_index(pdf_id: int) -> None:
    """Job: render and store one exhibit index rendering. Idempotent: a ready one is left
    alone. A failed attempt marks it failed (the page says so) until a retry succeeds."""
    row = db.session.get(ExhibitIndexPdf, pdf_id)
    if row is None or row.status == "ready":
        return
    case = db.session.get(Case, row.case_id)
    assert case is not None
    documents = [db.session.get(Document, i) for i in row.document_ids]
    documents = [d for d in documents if d is not None and d.case_id == case.id]
    try:
        data = render_index(case, documents)
        stored = get_storage().save_bytes(data, prefix=f"exhibit-index/{case.id}",
                                          suffix=".pdf")
    except Exception as exc:
        db.session.rollback()
        row = db.session.get(ExhibitIndexPdf, pdf_id)
        row.status = "failed"
        row.error = f"{type(exc).__name__}: {exc}"[:4000]
        db.session.commit()
        raise
    row.storage_key, row.sha256, row.size = stored.key, stored.sha256, stored.size
    row.status, row.rendered_at, row.error = "ready", utcnow(), None
    dropped = _prune(case.id, keep=row.id)
    db.session.commit()
    _delete_files(dropped)  # only once their rows are gone: never a row without its bytes


def _prune(case_id: int, *, keep: int) -> list[str]:
    """Drop the oldest renderings of a case beyond KEEP_PER_CASE; the keys of their files,
    to delete after the commit."""
    rows = db.session.scalars(select(ExhibitIndexPdf).where(
        ExhibitIndexPdf.case_id == case_id).order_by(ExhibitIndexPdf.requested_at.desc(),
                                                     ExhibitIndexPdf.id.desc())).all()
    keys = []
    for old in rows[KEEP_PER_CASE:]:
        if old.id == keep or old.status == "pending":
            continue
        if old.storage_key:
            keys.append(old.storage_key)
        db.session.delete(old)
    return keys


def _delete_files(keys: list[str]) -> None:
    storage = get_storage()
    for key in keys:
        try:
            storage.delete(key)
        except OSError as exc:  # left for `flask storage check --repair`
            log.warning("could not delete %s: %s", key, exc)
