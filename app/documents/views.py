"""The case file: list and exhibit index, upload, document page, download, bundle."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from app.documents import exhibit_pdf, service
from app.documents.forms import ReplaceForm, UploadForm, WithdrawForm, support_choices
from app.documents.service import Incoming, UploadRejected
from app.edge import parse_id
from app.extensions import db
from app.i18n import gettext as _
from app.labels import SCOPE_LABELS, SelectChoice
from app.models import Case, Document
from app.services.access import case_roles, load_case
from app.services.downloads import attachment, csv_bytes, safe_filename, stream_zip
from app.services.storage import get_storage

bp = Blueprint("documents", __name__, url_prefix="/cases/<number>/documents")


def load_document(case: Case, document_id: int) -> Document:
    """A document of this case the current user may see, or 404."""
    document = db.session.get(Document, document_id)
    if (document is None or document.case_id != case.id
            or not service.can_see_document(document, current_user)):
        abort(404)
    return document


@bp.get("/")
def index(number: str):
    case = load_case(number)
    return render_template("documents/index.html", case=case,
                           documents=service.visible_documents(case, current_user),
                           exhibits=service.exhibit_index(case, current_user),
                           can_upload=case.closed_at is None)


def upload_form(case: Case) -> UploadForm:
    form = UploadForm()
    scopes = service.allowed_scopes(case, case_roles(case, current_user))
    form.scope.choices = [SelectChoice(s, str(SCOPE_LABELS[s])) for s in scopes]
    if len(scopes) == 1 and not form.scope.data:
        form.scope.data = scopes[0]
    for entry in form.files:
        entry.form.supports.choices = support_choices(case)
    return form


def attachments_form(case: Case):
    """The file rows of a pleading form, with the case's rights and remedies to pick."""
    from app.documents.forms import AttachmentsForm

    form = AttachmentsForm(prefix="attach")
    for entry in form.files:
        entry.form.supports.choices = support_choices(case)
    return form


def incoming_from(entries) -> list[Incoming]:
    items = []
    for entry in entries:
        file = entry.file.data
        if not file or not getattr(file, "filename", None):
            continue
        kind, _sep, ident = (entry.supports.data or "").partition(":")
        items.append(Incoming(
            stream=file.stream, filename=file.filename,
            title=(entry.title.data or "").strip() or file.filename.rsplit(".", 1)[0],
            kind=entry.kind.data, document_date=entry.document_date.data,
            ip_right_id=parse_id(ident) if kind == "right" else None,
            remedy_id=parse_id(ident) if kind == "remedy" else None))
    return items


@bp.route("/upload", methods=["GET", "POST"])
def upload(number: str):
    case = load_case(number)
    if case.closed_at is not None:
        abort(404)
    form = upload_form(case)
    errors: list[str] = []
    if form.validate_on_submit():
        keys: list[str] = []
        try:
            documents = service.add_documents(case, current_user, incoming_from(form.files),
                                              scope=form.scope.data, stored_keys=keys)
        except UploadRejected as rejected:
            db.session.rollback()
            service.discard(keys)
            errors.append(str(rejected))
        except BaseException:
            db.session.rollback()
            service.discard(keys)
            raise
        else:
            service.commit_or_discard(keys)
            flash(_("%(n)s document(s) added to the case file.", n=len(documents)), "success")
            return redirect(url_for("documents.index", number=case.number))
    audiences = {choice.value: service.audience_names(case, choice.value)
                 for choice in form.scope.choices}
    status = 422 if request.method == "POST" else 200
    return render_template("documents/upload.html", case=case, form=form, errors=errors,
                           audiences=audiences, centre_sees=service.CENTRE_SEES), status


@bp.get("/<int:document_id>")
def show(number: str, document_id: int):
    case = load_case(number)
    document = load_document(case, document_id)
    roles = case_roles(case, current_user)
    versions = [v for v in service.versions_of(document)
                if service.can_see_document(v, current_user)]
    manageable = service.can_manage(document, current_user) and case.closed_at is None
    return render_template("documents/show.html", case=case, document=versions[-1],
                           versions=versions, manageable=manageable,
                           replace_form=ReplaceForm(), withdraw_form=WithdrawForm(),
                           audience=service.audience_names(case, document.scope),
                           centre_sees=document.scope in service.CENTRE_SEES, roles=roles,
                           scope_label=SCOPE_LABELS[document.scope])


@bp.get("/<int:document_id>/download")
def download(number: str, document_id: int):
    """Always an attachment: what a party uploaded is never opened by the browser under our
    origin (a PDF's scripts, an image's tricks), only saved and opened by the user's own
    program (SECURITY.md C28)."""
    case = load_case(number)
    document = load_document(case, document_id)
    service.record_download(case, current_user, document)
    db.session.commit()
    return attachment(get_storage().iter_chunks(document.storage_key), document.original_name,
                      document.media_type, document.size)


@bp.post("/<int:document_id>/replace")
def replace(number: str, document_id: int):
    case = load_case(number)
    document = load_document(case, document_id)
    form = ReplaceForm()
    if case.closed_at is not None or not service.can_manage(document, current_user):
        abort(404 if not service.can_see_document(document, current_user) else 403)
    file = form.file.data if form.validate_on_submit() else None
    if not file or not file.filename:
        flash(_("Choose the file of the new version."), "error")
        return redirect(url_for("documents.show", number=number, document_id=document_id))
    keys: list[str] = []
    try:
        new = service.replace_document(document, current_user, Incoming(
            stream=file.stream, filename=file.filename,
            title=(form.title.data or "").strip() or document.title, kind=document.kind,
            document_date=document.document_date, ip_right_id=document.ip_right_id,
            remedy_id=document.remedy_id), stored_keys=keys)
    except BaseException as failure:
        db.session.rollback()
        service.discard(keys)
        if not isinstance(failure, UploadRejected):
            raise
        flash(str(failure), "error")
        return redirect(url_for("documents.show", number=number, document_id=document_id)), 303
    service.commit_or_discard(keys)
    flash(_("New version added."), "success")
    return redirect(url_for("documents.show", number=number, document_id=new.id))


@bp.post("/<int:document_id>/withdraw")
def withdraw(number: str, document_id: int):
    case = load_case(number)
    document = load_document(case, document_id)
    if not WithdrawForm().validate_on_submit() or not service.can_manage(document,
                                                                          current_user):
        abort(403)
    service.withdraw_document(document, current_user)
    db.session.commit()
    flash(_("Document withdrawn. Its number stays reserved."), "success")
    return redirect(url_for("documents.index", number=number))


def exhibit_index_entry(case: Case, user) -> tuple[str, Callable[[], Iterable[bytes]]]:
    """The bundle's exhibit index: the stored PDF when it is current; otherwise the PDF is
    requested from a job (for the next download) and this bundle carries the same index as
    an HTML page — a download never waits for a render."""
    row = exhibit_pdf.requested(case, user)  # None: the HTML index still goes in
    if row is not None and row.status == "ready":
        return "exhibit-index.pdf", lambda key=row.storage_key: get_storage().iter_chunks(key)
    html = exhibit_pdf.render_index_html(case, service.exhibit_index(case, user))
    return "exhibit-index.html", lambda: [html.encode("utf-8")]


#: Seconds before the "being prepared" page reloads itself.
PREPARING_REFRESH = 3


@bp.get("/exhibits.pdf")
def exhibits_pdf(number: str):
    """The stored exhibit index when current (an attachment: it quotes the parties' titles);
    otherwise a job renders it and the user gets a page that reloads itself until it is ready
    (no JavaScript)."""
    case = load_case(number)
    row = exhibit_pdf.requested(case, current_user)
    if row is not None and row.status == "ready":
        storage = get_storage()
        return attachment(storage.iter_chunks(row.storage_key),
                          f"{case.number} exhibit index.pdf", "application/pdf", row.size)
    failed = row is None or row.status == "failed"
    again = url_for("documents.exhibits_pdf", number=number)
    # 202: accepted, being prepared; 503: could not even be requested; 200: the job failed
    # (its retries are over; the next visit after a while requests it again).
    status = 503 if row is None else 200 if failed else 202
    response = current_app.make_response((render_template(
        "documents/exhibit_index_preparing.html", case=case, failed=failed, again=again,
        refresh=None if failed else PREPARING_REFRESH), status))
    response.headers["Cache-Control"] = "no-store"
    if not failed:
        response.headers["Retry-After"] = str(PREPARING_REFRESH)
    return response


def manifest_rows(documents: list[Document]) -> list[dict]:
    return [{"exhibit": d.exhibit_number or "", "title": d.title, "type": d.kind,
             "uploader": d.uploader.name, "date": (d.document_date or d.created_at.date())
             .isoformat(), "uploaded_at": d.created_at.isoformat(), "version": d.version_no,
             "file": archive_name(d), "media_type": d.media_type, "size": d.size,
             "sha256": d.sha256} for d in documents]


def archive_name(document: Document) -> str:
    lead = document.exhibit_number or f"D{document.root_id}"
    version = f" v{document.version_no}" if document.version_no > 1 else ""
    return f"documents/{lead}{version} {safe_filename(document.original_name)}"


@bp.get("/bundle.zip")
def bundle(number: str):
    """Everything this user may see, with a manifest and the exhibit index, streamed."""
    case = load_case(number)
    documents = service.visible_documents(case, current_user)
    service.record_bundle(case, current_user, documents)
    db.session.commit()
    rows = manifest_rows(documents)
    manifest = csv_bytes(list(rows[0]) if rows else ["exhibit"], rows)
    storage = get_storage()
    entries = [("manifest.csv", lambda: [manifest]),
               ("manifest.json", lambda: [json.dumps(
                   {"case": case.number, "documents": rows}, ensure_ascii=False,
                   indent=2).encode()])]
    if current_app.config.get("BUNDLE_INDEX_PDF", True):
        entries.append(exhibit_index_entry(case, current_user))
    for document in documents:
        entries.append((archive_name(document),
                        lambda key=document.storage_key: storage.iter_chunks(key)))
    return attachment(stream_zip(entries), f"{case.number} case bundle.zip", "application/zip",
                      None)
