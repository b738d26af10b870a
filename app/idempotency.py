"""One submission, one effect: a double-click, a resent form or a retried API call acts once.

Every form carries a hidden one-time key (`submission_field()` in the templates); API clients
send an `Idempotency-Key` header. The key, with a fingerprint of what was sent, is written as
a `SubmissionKey` row by the same commit as the change the request makes (a `before_commit`
hook, so no view has to remember it). The row's unique constraint lets only one of several
identical submissions commit; each of the others fails — at that insert, or earlier on the
case's optimistic lock — and answers with the first one's response, stored on the row once
known (`after_request`). A submission that changed nothing (a form with errors) writes no key,
so correcting and resending it is a new attempt.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import time
from dataclasses import dataclass

from flask import Flask, Response, flash, g, has_request_context, redirect, request
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy import event, select, update
from sqlalchemy.orm import Session

from app.extensions import db
from app.i18n import gettext as _
from app.models import SubmissionKey
from app.services import connections

FIELD = "_submission"
HEADER = "Idempotency-Key"
WAIT_SECONDS = 10.0  # how long a duplicate waits for the first submission's answer
POLL_SECONDS = 0.05
_IGNORED_FIELDS = frozenset({FIELD, "csrf_token"})
# Fields whose value is a password: only their names enter a fingerprint. A SHA-256 over a
# password is a fast hash of it kept in the database, which argon2id exists to prevent
# (ASVS 11.4.2); two submissions that differ only in a password are not told apart, which
# costs nothing, since every page carries a key of its own.
_SECRET_FIELDS = frozenset({"password", "current_password", "confirm"})


@dataclass
class Submission:
    user_id: int
    key: str
    fingerprint: str
    api: bool
    row_id: int | None = None  # the key row, once this request's commit wrote it
    committed: bool = False


def submission_field() -> Markup:
    """The hidden field every form carries (a template global)."""
    return Markup('<input type="hidden" name="{}" value="{}">').format(
        FIELD, secrets.token_urlsafe(18))


def init_app(app: Flask) -> None:
    app.jinja_env.globals["submission_field"] = submission_field

    @app.before_request
    def forms_begin():
        if request.blueprint != "api":  # the API signs its caller in first, then calls begin()
            return begin()
        return None

    app.after_request(remember)


def begin() -> Response | None:
    """Note this request's submission key; answer at once if it was acted on already."""
    if request.method != "POST" or not current_user.is_authenticated:
        return None
    api = request.blueprint == "api"
    key = request.headers.get(HEADER, "") if api else request.form.get(FIELD, "")
    key = key.strip()
    if not key:
        return None
    if len(key) > 100:
        return _refuse(_("The submission key is longer than 100 characters."))
    g.submission = submission = Submission(user_id=current_user.id, key=key,
                                           fingerprint=fingerprint(), api=api)
    rows = db.session.execute(select(SubmissionKey.fingerprint, SubmissionKey.id).where(
        SubmissionKey.user_id == submission.user_id, SubmissionKey.key == key)).all()
    if any(fp == submission.fingerprint for fp, _id in rows):
        return duplicate_response()
    if api and rows:
        return _refuse(_("This Idempotency-Key was already used for a different request."))
    return None


def fingerprint() -> str:
    """What makes two submissions the same one: where they go and what they carry (form
    fields but the keys themselves, file names and sizes, or the raw JSON body)."""
    digest = hashlib.sha256(f"{request.method} {request.path}\n".encode())
    if request.is_json:
        digest.update(request.get_data(cache=True))
    else:
        for name, value in sorted(request.form.items(multi=True)):
            if name in _SECRET_FIELDS:
                digest.update(json.dumps([name]).encode())
            elif name not in _IGNORED_FIELDS:
                digest.update(json.dumps([name, value]).encode())
        for name, file in sorted(request.files.items(multi=True), key=lambda item: item[0]):
            stream = file.stream
            stream.seek(0, os.SEEK_END)
            size = stream.tell()
            stream.seek(0)
            digest.update(json.dumps([name, file.filename, size]).encode())
    return digest.hexdigest()


def duplicate_response() -> Response | None:
    """If another request committed this submission, its answer (waiting briefly for it to
    be stored); None if nobody did — then the caller's failure is a genuine one."""
    submission: Submission | None = g.get("submission")
    if submission is None or submission.committed:
        return None
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        db.session.rollback()  # see what others committed since
        row = db.session.scalar(select(SubmissionKey).where(
            SubmissionKey.user_id == submission.user_id, SubmissionKey.key == submission.key,
            SubmissionKey.fingerprint == submission.fingerprint))
        if row is None:
            return None
        if row.status_code is not None or time.monotonic() > deadline:
            return _replay(row, submission)
        time.sleep(POLL_SECONDS)


def _replay(row: SubmissionKey, submission: Submission) -> Response:
    g.submission = None  # nothing of this request is to be remembered
    if submission.api:
        if row.status_code is None:
            return _refuse(_("The same request is still being processed; try again shortly."),
                           status=409)
        response = Response(row.body or "", status=row.status_code,
                            content_type=row.content_type or "application/json")
        response.headers["Idempotent-Replayed"] = "true"
        return response
    flash(_("This form had already been sent: it was acted on once, and this is the "
            "result."), "info")
    return redirect(row.location or request.referrer or request.path, 303)


def _refuse(message: str, status: int = 422) -> Response:
    from app.errors import error_page, problem

    if request.blueprint == "api":
        return problem(status, "idempotency_key", message)
    return error_page(status, _("The form could not be accepted"), message)


def remember(response: Response) -> Response:
    """Keep the answer of a submission that committed, for its duplicates."""
    submission: Submission | None = g.get("submission")
    if submission is None or not submission.committed or submission.row_id is None:
        return response
    if response.status_code >= 500:
        return response
    values = {"status_code": response.status_code,
              "location": response.headers.get("Location")}
    if submission.api:
        values["body"] = response.get_data(as_text=True)
        values["content_type"] = response.content_type
    try:
        db.session.execute(update(SubmissionKey).where(SubmissionKey.id == submission.row_id)
                           .values(**values))
        db.session.commit()
    except Exception:  # the change is committed; a duplicate will get a generic answer
        db.session.rollback()
    return response


@event.listens_for(Session, "before_commit")
def _write_key(session: Session) -> None:
    if not has_request_context():
        return
    submission: Submission | None = g.get("submission")
    if submission is None or submission.row_id is not None or session is not db.session():
        return
    if not connections.wrote(session):  # a commit of reads only: nothing was submitted
        return
    row = SubmissionKey(user_id=submission.user_id, key=submission.key,
                        fingerprint=submission.fingerprint)
    session.add(row)
    session.flush()
    submission.row_id = row.id


@event.listens_for(Session, "after_commit")
def _key_committed(session: Session) -> None:
    if has_request_context():
        submission: Submission | None = g.get("submission")
        if submission is not None and submission.row_id is not None:
            submission.committed = True


@event.listens_for(Session, "after_soft_rollback")
def _key_rolled_back(session: Session, previous_transaction) -> None:
    if has_request_context():
        submission: Submission | None = g.get("submission")
        if submission is not None and not submission.committed:
            submission.row_id = None  # the insert was undone: the next commit writes it
