"""The case file: adding, replacing and withdrawing documents, and who sees what.

Bytes first, row second: every file is validated by content, then streamed into the store
(hashed on the way), and only then are the rows added. If anything fails before the commit,
`discard()` removes the bytes already stored; if the process dies instead, the bytes stay
without a row, where `flask storage check` finds them and `--repair` removes them. No row
is ever committed without its bytes.
"""

from __future__ import annotations

import os
import unicodedata
from dataclasses import dataclass, field
from datetime import date
from typing import BinaryIO

from flask import current_app
from sqlalchemy import func, select

from app.documents.sniff import pdf_active_content, pdf_problem, sniff
from app.extensions import db
from app.i18n import gettext as _
from app.models import Case, Document, User
from app.models.document import EXHIBIT_PREFIX
from app.models.types import utcnow
from app.services.access import actor_for, can_see, case_roles
from app.services.locking import lock_case
from app.services.notify import case_audience, email_users
from app.services.storage import get_storage
from workflows.procedures.roles import (
    ARBITRATOR,
    CASE_MANAGER,
    MEDIATOR,
    PARTIES,
    side_of,
)

# Who besides the listed participants sees a scope: the Centre's case managers.
CENTRE_SEES = frozenset({"participants", "mediation", "tribunal", "institution"})
BIDI_CONTROLS = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e"
                          "\u2066\u2067\u2068\u2069")


class UploadRejected(Exception):
    def __init__(self, message: str, *, filename: str = "") -> None:
        super().__init__(f"{filename}: {message}" if filename else message)
        self.message = message
        self.filename = filename


@dataclass
class Incoming:
    """One file as it arrives, with what the uploader said about it."""

    stream: BinaryIO
    filename: str
    title: str
    kind: str
    document_date: date | None = None
    ip_right_id: int | None = None
    remedy_id: int | None = None
    media_type: str = field(default="", init=False)
    size: int = field(default=0, init=False)


# --- who may see, who may choose -------------------------------------------------------

def allowed_scopes(case: Case, roles: frozenset[str]) -> list[str]:
    """The scopes a user may give a new document, most open first."""
    scopes: list[str] = []
    side = side_of(roles - {CASE_MANAGER})
    if roles & (PARTIES | {ARBITRATOR, CASE_MANAGER}):
        scopes.append("participants")
    if CASE_MANAGER in roles or MEDIATOR in roles:
        scopes.append("mediation")
    if roles & {ARBITRATOR, CASE_MANAGER}:
        scopes.append("tribunal")
    if CASE_MANAGER in roles:
        scopes.append("institution")
    has_mediator = any(p.role == MEDIATOR for p in case.participants)
    if MEDIATOR in roles:
        scopes += ["caucus:claimant", "caucus:respondent"]
    elif side and has_mediator and case.stage == "mediation":
        scopes.append(f"caucus:{side}")
    return scopes


def audience_names(case: Case, scope: str) -> list[tuple[str, str]]:
    """(name, role) of each participant who will see a document with this scope."""
    from app.labels import ROLE_LABELS

    people = []
    for participant in sorted(case.participants, key=lambda p: (p.role, p.user.name)):
        if can_see(scope, case_roles(case, participant.user)):
            people.append((participant.user.name,
                           str(ROLE_LABELS.get(participant.role, participant.role))))
    return people


def visible_documents(case: Case, user: User, *, include_withdrawn: bool = False,
                      latest_only: bool = True) -> list[Document]:
    roles = case_roles(case, user)
    documents = [d for d in case.documents if can_see(d.scope, roles)
                 and (include_withdrawn or not d.withdrawn)]
    if not latest_only:
        return documents
    latest: dict[int, Document] = {}
    for document in documents:
        current = latest.get(document.root_id)
        if current is None or document.version_no > current.version_no:
            latest[document.root_id] = document
    return sorted(latest.values(), key=lambda d: d.root_id)


def versions_of(document: Document) -> list[Document]:
    root = document.root_id
    return sorted((d for d in document_case(document).documents if d.root_id == root),
                  key=lambda d: d.version_no)


def document_case(document: Document) -> Case:
    return db.session.get(Case, document.case_id)


def can_see_document(document: Document, user: User) -> bool:
    return can_see(document.scope, case_roles(document_case(document), user))


def can_manage(document: Document, user: User) -> bool:
    """The uploader, or anyone on the uploader's side, may replace or withdraw."""
    if document.withdrawn:
        return False
    if document.uploader_id == user.id:
        return True
    roles = case_roles(document_case(document), user)
    side = side_of({document.uploader_role})
    return side is not None and side_of(roles - {CASE_MANAGER}) == side


def exhibit_index(case: Case, user: User) -> list[Document]:
    """The latest version of every numbered exhibit the user may see, withdrawn ones too
    (their numbers stay taken), in number order per side."""
    exhibits = [d for d in visible_documents(case, user, include_withdrawn=True)
                if d.exhibit_side]
    return sorted(exhibits, key=lambda d: (d.exhibit_side != "C", d.exhibit_seq))


# --- validation ------------------------------------------------------------------------

def check_name(name: str) -> str:
    name = unicodedata.normalize("NFC", name or "").strip()
    if not name:
        raise UploadRejected(_("The file has no name."))
    if "/" in name or "\\" in name or name in (".", ".."):
        raise UploadRejected(_("The file name may not contain / or \\ (folder separators)."),
                             filename=name)
    if any(ch in BIDI_CONTROLS for ch in name):
        raise UploadRejected(_("The file name contains right-to-left override characters that "
                               "can disguise its real extension."), filename=name)
    if any(unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co", "Cn") for ch in name):
        raise UploadRejected(_("The file name contains control characters."), filename=name)
    if len(name) > 200:
        raise UploadRejected(_("The file name is longer than 200 characters."), filename=name)
    return name


def _size_of(stream: BinaryIO) -> int:
    stream.seek(0, os.SEEK_END)
    size = stream.tell()
    stream.seek(0)
    return size


def validate(case: Case, item: Incoming, *, already: int = 0) -> None:
    """Raise UploadRejected with a message for the uploader; store nothing."""
    item.filename = check_name(item.filename)
    name = item.filename
    config = current_app.config
    item.size = _size_of(item.stream)
    if item.size == 0:
        raise UploadRejected(_("The file is empty."), filename=name)
    limit = config["MAX_FILE_SIZE"]
    if item.size > limit:
        raise UploadRejected(_("The file is larger than %(mb)s MB, the limit per file.",
                               mb=limit // (1024 * 1024)), filename=name)
    used = db.session.scalar(select(func.coalesce(func.sum(Document.size), 0))
                             .where(Document.case_id == case.id)) or 0
    case_limit = config["MAX_CASE_SIZE"]
    if used + already + item.size > case_limit:
        raise UploadRejected(_("The case file would exceed %(mb)s MB, the limit per case.",
                               mb=case_limit // (1024 * 1024)), filename=name)
    detected = sniff(item.stream)
    if detected is None:
        raise UploadRejected(_("This type of file is not accepted. Accepted: PDF, PNG, JPEG, "
                               "DOCX, XLSX, ODT, plain text, e-mail (.eml) and MP4 video."),
                             filename=name)
    media_type, extensions = detected
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if extension not in extensions:
        raise UploadRejected(_("The file's extension (.%(ext)s) does not match its content "
                               "(%(expected)s).", ext=extension or "—",
                               expected=", ".join(f".{e}" for e in extensions)), filename=name)
    if media_type == "application/pdf" and pdf_problem(item.stream):
        raise UploadRejected(_("The PDF is damaged or protected and cannot be opened. Save it "
                               "again as a PDF and retry."), filename=name)
    if media_type == "application/pdf" and pdf_active_content(item.stream):
        raise UploadRejected(_("The PDF contains JavaScript or an action that runs by itself "
                               "(when it is opened, or one that starts another program). "
                               "Such files are not accepted in a case file: print it to a new "
                               "PDF (“Print to PDF”) and upload that."), filename=name)
    item.media_type = media_type


def _check_links(case: Case, item: Incoming) -> None:
    if item.ip_right_id and item.ip_right_id not in {r.id for r in case.rights}:
        raise UploadRejected(_("Choose an IP right of this case."), filename=item.filename)
    if item.remedy_id and item.remedy_id not in {r.id for r in case.remedies}:
        raise UploadRejected(_("Choose a remedy of this case."), filename=item.filename)


# --- verbs -----------------------------------------------------------------------------

def add_documents(case: Case, user: User, items: list[Incoming], *, scope: str,
                  stored_keys: list[str] | None = None) -> list[Document]:
    """Validate every file, store every file, then add the rows. All or nothing.

    `stored_keys` (if given) collects the keys written, so the caller can `discard()` them
    if its commit fails."""
    roles = case_roles(case, user)
    if scope not in allowed_scopes(case, roles):
        raise UploadRejected(_("You cannot share a document with that audience."))
    if not items:
        raise UploadRejected(_("Choose at least one file."))
    total = 0
    for item in items:
        validate(case, item, already=total)
        _check_links(case, item)
        total += item.size
    keys = stored_keys if stored_keys is not None else []
    stored = []
    try:
        lock_case(case)  # exhibit numbers are taken one transaction at a time
        for item in items:
            stored.append(get_storage().save(item.stream, prefix=f"cases/{case.id}"))
            keys.append(stored[-1].key)
        documents = [_add_row(case, user, item, obj, scope=scope)
                     for item, obj in zip(items, stored, strict=True)]
        _notify(case, user, documents, scope)
        db.session.flush()
    except BaseException:
        if stored_keys is None:
            discard(keys)
        raise
    return documents


def replace_document(document: Document, user: User, item: Incoming,
                     stored_keys: list[str] | None = None) -> Document:
    """A new version of the same document: same scope, same exhibit number."""
    case = document_case(document)
    if not can_manage(document, user):
        raise UploadRejected(_("Only the side that filed this document can replace it."))
    lock_case(case)
    latest = versions_of(document)[-1]
    validate(case, item)
    _check_links(case, item)
    obj = get_storage().save(item.stream, prefix=f"cases/{case.id}")
    if stored_keys is not None:
        stored_keys.append(obj.key)
    try:
        new = _add_row(case, user, item, obj, scope=latest.scope, replaces=latest)
        _notify(case, user, [new], latest.scope)
        db.session.flush()
    except BaseException:
        if stored_keys is None:
            discard([obj.key])
        raise
    return new


def withdraw_document(document: Document, user: User) -> None:
    """Hide a document from lists; its exhibit number stays taken and it stays on record."""
    case = document_case(document)
    if not can_manage(document, user):
        raise UploadRejected(_("Only the side that filed this document can withdraw it."))
    now = utcnow()
    for version in versions_of(document):
        version.withdrawn_at = now
        version.withdrawn_by_id = user.id
    case.record_event(action="withdraw_document", actor=actor_for(case, user),
                      stage_from=case.stage, stage_to=case.stage,
                      detail={"document": document.root_id, "title": document.title,
                              "exhibit": document.exhibit_number},
                      visibility=document.scope, at=now)
    db.session.flush()


def record_download(case: Case, user: User, document: Document) -> None:
    """Every download is in the audit trail: who, when, which version. Caucus material's
    trail stays inside the caucus."""
    visibility = document.scope if document.scope.startswith("caucus:") else "institution"
    case.record_event(action="download_document", actor=actor_for(case, user),
                      stage_from=case.stage, stage_to=case.stage,
                      detail={"document": document.id, "title": document.title,
                              "version": document.version_no, "sha256": document.sha256},
                      visibility=visibility, at=utcnow())


def record_bundle(case: Case, user: User, documents: list[Document]) -> None:
    case.record_event(action="download_bundle", actor=actor_for(case, user),
                      stage_from=case.stage, stage_to=case.stage,
                      detail={"documents": [d.id for d in documents]},
                      visibility="institution", at=utcnow())


def discard(keys: list[str]) -> None:
    """Remove bytes whose rows will never be committed (best effort: what a crash leaves
    behind, `flask storage check --repair` removes)."""
    storage = get_storage()
    for key in keys:
        try:
            storage.delete(key)
        except Exception:
            current_app.logger.warning("could not discard stored bytes %s", key)


def commit_or_discard(keys: list[str]) -> None:
    """Commit the rows that record these bytes; if the commit fails, delete the bytes that no
    committed row refers to. A commit whose answer was lost (the connection dropped as it
    went through) may have succeeded: its bytes are kept, and if their rows are not there
    after all, `flask storage check --repair` removes them later."""
    try:
        db.session.commit()
    except BaseException:
        db.session.rollback()
        discard_unrecorded(keys)
        raise


def discard_unrecorded(keys: list[str]) -> None:
    if not keys:
        return
    try:
        recorded = set(db.session.scalars(select(Document.storage_key)
                                          .where(Document.storage_key.in_(keys))))
        db.session.rollback()
    except Exception:
        db.session.rollback()
        current_app.logger.warning("could not tell whether %s stored files were recorded; "
                                   "kept for `flask storage check`", len(keys))
        return
    discard([key for key in keys if key not in recorded])


def _side_of_uploader(roles: frozenset[str]) -> str | None:
    return side_of(roles - {CASE_MANAGER})


def _add_row(case: Case, user: User, item: Incoming, obj, *, scope: str,
             replaces: Document | None = None) -> Document:
    actor = actor_for(case, user)
    roles = actor.roles
    role = next((r for r in sorted(roles) if r != CASE_MANAGER), CASE_MANAGER)
    document = Document(case_id=case.id, uploader_id=user.id, uploader_role=role,
                        title=item.title.strip(), kind=item.kind, original_name=item.filename,
                        media_type=item.media_type, size=obj.size, sha256=obj.sha256,
                        storage_key=obj.key, scope=scope, document_date=item.document_date,
                        ip_right_id=item.ip_right_id or None, remedy_id=item.remedy_id or None,
                        created_at=utcnow())
    if replaces is not None:
        document.family_id = replaces.root_id
        document.version_no = replaces.version_no + 1
        document.exhibit_side, document.exhibit_seq = replaces.exhibit_side, replaces.exhibit_seq
    else:
        side = _side_of_uploader(roles)
        # Exhibits are the evidence each side puts before everyone in the case; caucus
        # material is not an exhibit (and a gap in C-numbers would betray it).
        if item.kind == "exhibit" and side and scope == "participants":
            prefix = EXHIBIT_PREFIX[side]
            last = db.session.scalar(select(func.max(Document.exhibit_seq)).where(
                Document.case_id == case.id, Document.exhibit_side == prefix)) or 0
            pending = [d.exhibit_seq or 0 for d in db.session.new
                       if isinstance(d, Document) and d.case_id == case.id
                       and d.exhibit_side == prefix]
            document.exhibit_side = prefix
            document.exhibit_seq = max([last, *pending]) + 1
    case.documents.append(document)
    db.session.flush()
    case.record_event(action="replace_document" if replaces else "upload_document",
                      actor=actor, stage_from=case.stage, stage_to=case.stage,
                      detail={"document": document.id, "title": document.title,
                              "version": document.version_no,
                              "exhibit": document.exhibit_number, "sha256": obj.sha256,
                              "size": obj.size},
                      visibility=scope, at=document.created_at)
    return document


def _notify(case: Case, user: User, documents: list[Document], scope: str) -> None:
    if case.number is None:
        return  # a draft: nobody else is in the case yet
    audience = case_audience(case, scope, exclude=user)
    email_users(audience, "document_added", case=case, uploader=user.name,
                titles=[(d.exhibit_number, d.title, d.version_no) for d in documents])
