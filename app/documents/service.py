"""Adding documents to the case file: bytes first, row second."""

from __future__ import annotations

from typing import BinaryIO

from flask_babel import gettext as _

from app.documents.sniff import sniff
from app.extensions import db
from app.models import Case, Document, User
from app.models.types import utcnow
from app.services.access import actor_for
from app.services.downloads import safe_filename
from app.services.storage import get_storage


class UploadRejected(Exception):
    pass


def add_document(case: Case, user: User, stream: BinaryIO, *, filename: str, title: str,
                 kind: str, scope: str = "participants") -> Document:
    name = filename or ""
    if safe_filename(name) != name.strip() or not name.strip():
        raise UploadRejected(_("The file name contains characters that are not allowed."))
    if not stream.read(1):
        raise UploadRejected(_("The file is empty."))
    stream.seek(0)
    detected = sniff(stream)
    if detected is None:
        raise UploadRejected(_("This type of file is not accepted."))
    media_type, extensions = detected
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if extension not in extensions:
        raise UploadRejected(_("The file's extension does not match its content."))
    stored = get_storage().save(stream, prefix=f"cases/{case.id}")
    actor = actor_for(case, user)
    document = Document(case_id=case.id, uploader_id=user.id,
                        uploader_role=sorted(actor.roles)[0] if actor.roles else "",
                        title=title.strip(), kind=kind, original_name=name,
                        media_type=media_type, size=stored.size, sha256=stored.sha256,
                        storage_key=stored.key, scope=scope)
    case.documents.append(document)
    case.record_event(action="upload_document", actor=actor, stage_from=case.stage,
                      stage_to=case.stage, detail={"title": document.title,
                                                   "sha256": stored.sha256},
                      visibility=scope, at=utcnow())
    db.session.flush()
    return document
