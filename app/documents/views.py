"""Uploading to and downloading from the case file."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.documents.forms import UploadForm
from app.documents.service import UploadRejected, add_document
from app.extensions import db
from app.models import Document
from app.models.types import utcnow
from app.services import jobs
from app.services.access import actor_for, can_see, case_roles, load_case
from app.services.downloads import attachment
from app.services.storage import get_storage

bp = Blueprint("documents", __name__, url_prefix="/cases/<number>/documents")


@bp.route("/upload", methods=["GET", "POST"])
def upload(number: str):
    case = load_case(number)
    form = UploadForm()
    if case.closed_at is not None:
        abort(404)
    if form.validate_on_submit():
        file = form.file.data
        try:
            add_document(case, current_user, file.stream, filename=file.filename or "",
                         title=form.title.data, kind=form.kind.data)
        except UploadRejected as rejected:
            db.session.rollback()
            form.file.errors = [*form.file.errors, str(rejected)]
        else:
            jobs.commit()
            flash(_("Document added to the case file."), "success")
            return redirect(url_for("cases.show", number=case.number) + "#documents")
    status = 422 if request.method == "POST" else 200
    return render_template("documents/upload.html", case=case, form=form), status


@bp.get("/<int:document_id>")
def download(number: str, document_id: int):
    case = load_case(number)
    document = db.session.get(Document, document_id)
    if (document is None or document.case_id != case.id
            or not can_see(document.scope, case_roles(case, current_user))):
        abort(404)
    case.record_event(action="download_document", actor=actor_for(case, current_user),
                      stage_from=case.stage, stage_to=case.stage,
                      detail={"document": document.id}, visibility="institution", at=utcnow())
    jobs.commit()
    inline = request.args.get("inline") == "1" and document.media_type in (
        "application/pdf", "image/png", "image/jpeg")
    return attachment(get_storage().iter_chunks(document.storage_key), document.original_name,
                      document.media_type, document.size, inline=inline)
