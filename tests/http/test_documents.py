"""The case file through HTTP: who sees what (every scope × every role), exhibit numbers,
versions, downloads, bundles, notifications and the caucus wall."""

from __future__ import annotations

import io
import json
import zipfile

import pytest
from pypdf import PdfReader

from app.extensions import db
from app.models import AuditEvent, Participant
from tests.conftest import outbox_to
from tests.helpers import (
    act,
    case,
    documents,
    into_mediation,
    pdf_bytes,
    sample,
    served_case,
    upload,
)

ROLES = ["claimant", "claimant_counsel", "respondent", "respondent_counsel", "mediator",
         "arbitrator", "manager", "stranger"]
# Who sees each scope — the specification, written out rather than derived from the code.
SEES = {
    "participants": {"claimant", "claimant_counsel", "respondent", "respondent_counsel",
                     "mediator", "arbitrator", "manager"},
    "mediation": {"claimant", "claimant_counsel", "respondent", "respondent_counsel",
                  "mediator", "manager"},
    "tribunal": {"arbitrator", "manager"},
    "institution": {"manager"},
    "caucus:claimant": {"claimant", "claimant_counsel", "mediator"},
    "caucus:respondent": {"respondent", "respondent_counsel", "mediator"},
}
UPLOADER = {"participants": "claimant", "mediation": "mediator", "tribunal": "manager",
            "institution": "manager", "caucus:claimant": "claimant_counsel",
            "caucus:respondent": "respondent"}


def add_counsel(people, number: str) -> None:
    for role in ("claimant_counsel", "respondent_counsel"):
        user = people.user(role)
        db.session.add(Participant(case_id=case(number).id, user_id=user.id, role=role))
    db.session.commit()


def canary(scope: str) -> str:
    return f"CANARY-{scope.replace(':', '-').upper()}"


def mediation_case(people) -> str:
    """A case in mediation, built through the domain verbs (the HTTP path to mediation has its
    own tests; the matrix below builds this state once per role, so it must be cheap)."""
    from app import demo
    from app.auth.service import join_case

    users = {key: people.user(key) for key in ("claimant", "respondent", "manager",
                                               "mediator")}
    draft = demo._draft(users, 0)
    demo._act(draft, "submit", users["claimant"])
    demo._act(draft, "accept_filing", users["manager"])
    join_case(draft, users["respondent"], "respondent")
    db.session.commit()
    demo._act(draft, "respond", users["respondent"], position="contest", statement="No.")
    demo._act(draft, "appoint_mediator", users["manager"], neutral_id=users["mediator"].id)
    return draft.number


def case_with_every_scope(app, people) -> tuple[str, dict[str, int]]:
    """A case that went from mediation to arbitration, with one document in each scope,
    each uploaded (during mediation, through the upload form) by someone allowed to choose
    that scope."""
    number = mediation_case(people)
    add_counsel(people, number)
    ids = {}
    for scope, who in UPLOADER.items():
        upload(people.client(who), number, [(f"{canary(scope)}.txt", canary(scope).encode())],
               scope=scope, title=canary(scope), kind="correspondence")
        ids[scope] = documents()[-1].id
    act(people.client("mediator"), number, "end_mediation")
    act(people.client("respondent"), number, "file_defence", {"body": "Defence."})
    act(people.client("manager"), number, "appoint_arbitrator",
        {"neutral_id": people.user("arbitrator").id})
    assert case(number).stage == "arbitration"
    return number, ids


@pytest.mark.parametrize("role", ROLES)
def test_every_scope_for_every_role_in_list_page_download_and_bundle(app, people, role):
    app.config["BUNDLE_INDEX_PDF"] = False  # the PDF has its own test; keep this one fast
    number, ids = case_with_every_scope(app, people)
    client = people.client(role)
    listing = client.get(f"/cases/{number}/documents/").get_data(as_text=True)
    case_page = client.get(f"/cases/{number}").get_data(as_text=True)
    bundle = client.get(f"/cases/{number}/documents/bundle.zip")
    if role == "stranger":
        assert bundle.status_code == 404
    else:
        assert bundle.status_code == 200
        archive = zipfile.ZipFile(io.BytesIO(bundle.data))
        manifest = json.loads(archive.read("manifest.json"))
        bundled = {row["title"] for row in manifest["documents"]}
        contents = {archive.read(n) for n in archive.namelist() if n.startswith("documents/")}
    for scope, document_id in ids.items():
        visible = role in SEES[scope]
        page = client.get(f"/cases/{number}/documents/{document_id}")
        download = client.get(f"/cases/{number}/documents/{document_id}/download")
        assert (canary(scope) in listing) is visible, (scope, role, "list")
        assert (canary(scope) in case_page) is visible, (scope, role, "case page")
        assert page.status_code == (200 if visible else 404), (scope, role, "page")
        assert download.status_code == (200 if visible else 404), (scope, role, "download")
        if visible:
            assert download.data == canary(scope).encode()
        if role != "stranger":
            assert (canary(scope) in bundled) is visible, (scope, role, "bundle manifest")
            assert (canary(scope).encode() in contents) is visible, (scope, role, "bundle")


def test_the_caucus_wall_holds_from_mediation_into_arbitration(app, people):
    number = into_mediation(app, people)
    secret = "CAUCUS-SECRET-bottom-line-40000"
    upload(people.client("claimant"), number, [("bottom line.txt", secret.encode())],
           scope="caucus:claimant", title=secret, kind="correspondence")
    document = documents()[-1]
    assert document.exhibit_number is None  # caucus papers are not exhibits
    respondent = people.client("respondent")
    assert secret not in respondent.get(f"/cases/{number}/documents/").get_data(as_text=True)
    act(people.client("mediator"), number, "end_mediation")
    act(people.client("respondent"), number, "file_defence", {"body": "Defence."})
    act(people.client("manager"), number, "appoint_arbitrator",
        {"neutral_id": people.user("arbitrator").id})
    arbitrator = people.client("arbitrator")
    for path in (f"/cases/{number}", f"/cases/{number}/documents/",
                 f"/cases/{number}/documents/{document.id}",
                 f"/cases/{number}/documents/{document.id}/download"):
        response = arbitrator.get(path)
        assert secret not in response.get_data(as_text=True), path
        assert secret.encode() not in response.data
    bundle = arbitrator.get(f"/cases/{number}/documents/bundle.zip")
    assert secret.encode() not in b"".join(
        zipfile.ZipFile(io.BytesIO(bundle.data)).read(n)
        for n in zipfile.ZipFile(io.BytesIO(bundle.data)).namelist())
    assert not [m for m in outbox_to("arbitrator@example.test") if secret in m.body]
    # ... and the mediator still has it.
    assert people.client("mediator").get(
        f"/cases/{number}/documents/{document.id}/download").data == secret.encode()


def test_the_uploader_sees_who_will_see_and_must_confirm(app, people):
    number = into_mediation(app, people)
    client = people.client("claimant")
    form = client.get(f"/cases/{number}/documents/upload").get_data(as_text=True)
    assert 'value="participants"' in form and 'value="caucus:claimant"' in form
    assert 'value="tribunal"' not in form and 'value="caucus:respondent"' not in form
    assert "— Mediator" in form and "case managers" in form
    response = upload(client, number, confirm=False, expect=422)
    assert "Confirm who will see the documents." in response.get_data(as_text=True)
    response = upload(client, number, scope="institution", expect=422)
    assert "Not a valid choice" in response.get_data(as_text=True)
    assert documents() == []


def test_new_documents_are_notified_to_exactly_those_who_can_see_them(app, people):
    number = into_mediation(app, people)
    add_counsel(people, number)
    everyone = [f"{r}@example.test" for r in ROLES]
    before = {a: len(outbox_to(a)) for a in everyone}
    upload(people.client("respondent"), number, [("offer.txt", b"our real limit")],
           scope="caucus:respondent", title="Our limit", kind="correspondence")
    notified = {a.split("@")[0] for a in everyone if len(outbox_to(a)) > before[a]}
    assert notified == {"respondent_counsel", "mediator"}
    before = {a: len(outbox_to(a)) for a in everyone}
    upload(people.client("claimant"), number, title="Invoice")
    notified = {a.split("@")[0] for a in everyone if len(outbox_to(a)) > before[a]}
    assert notified == {"claimant_counsel", "respondent", "respondent_counsel", "mediator"}
    message = outbox_to("respondent@example.test")[-1]
    assert "C-1 — Invoice" in message.body and number in message.subject


def test_exhibits_are_numbered_per_side_and_never_reused(app, people):
    number, respondent = served_case(app, people)
    claimant = people.client("claimant")
    upload(claimant, number, [("a.pdf", pdf_bytes()), ("b.png", sample("png"))])
    upload(respondent, number, title="Licence")
    upload(claimant, number, kind="submission", title="Brief")  # not an exhibit: no number
    assert [d.exhibit_number for d in documents()] == ["C-1", "C-2", "R-1", None]
    second = documents()[1]
    response = claimant.post(f"/cases/{number}/documents/{second.id}/withdraw")
    assert response.status_code == 302
    # The other side cannot withdraw the claimant's exhibit.
    assert respondent.post(f"/cases/{number}/documents/{documents()[0].id}/withdraw"
                           ).status_code == 403
    upload(claimant, number, title="Later")
    assert [d.exhibit_number for d in documents()] == ["C-1", "C-2", "R-1", None, "C-3"]
    listing = respondent.get(f"/cases/{number}/documents/").get_data(as_text=True)
    assert "Evidence 2" not in listing.split('id="exhibits"')[0]  # hidden from the list
    index = listing.split('id="exhibits"')[1]
    assert "C-2" in index and "Withdrawn" in index  # the number stays, marked withdrawn
    assert "withdraw_document" in [e.action for e in case(number).events]


def test_replacing_creates_a_version_and_keeps_the_earlier_one(app, people):
    number, respondent = served_case(app, people)
    claimant = people.client("claimant")
    upload(claimant, number, [("report.txt", b"first draft")], title="Expert report")
    first = documents()[0]
    response = claimant.post(f"/cases/{number}/documents/{first.id}/replace", data={
        "file": (io.BytesIO(b"final text"), "report v2.txt")},
        content_type="multipart/form-data")
    assert response.status_code == 302
    first, second = documents()
    assert (second.version_no, second.family_id, second.exhibit_number) == (2, first.id, "C-1")
    listing = respondent.get(f"/cases/{number}/documents/").get_data(as_text=True)
    assert f"/documents/{second.id}/download" in listing
    assert f"/documents/{first.id}/download" not in listing  # lists show the latest
    page = respondent.get(f"/cases/{number}/documents/{second.id}").get_data(as_text=True)
    assert f"/documents/{first.id}/download" in page  # the page keeps every version
    assert respondent.get(f"/cases/{number}/documents/{first.id}/download").data == (
        b"first draft")
    refused = respondent.post(f"/cases/{number}/documents/{first.id}/replace", data={
        "file": (io.BytesIO(b"tampered"), "x.txt")}, content_type="multipart/form-data")
    assert refused.status_code == 403 and len(documents()) == 2


def test_download_headers_arabic_name_and_audit(app, people):
    number, respondent = served_case(app, people)
    pdf = pdf_bytes()
    upload(people.client("claimant"), number, [("شراء تجريبي.pdf", pdf)], title="Test purchase")
    document = documents()[0]
    download = respondent.get(f"/cases/{number}/documents/{document.id}/download")
    assert download.status_code == 200 and download.data == pdf
    assert download.headers["Content-Type"] == "application/pdf"
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    disposition = download.headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert "filename*=UTF-8''%D8%B4%D8%B1%D8%A7%D8%A1" in disposition
    event = db.session.scalars(db.select(AuditEvent).where(
        AuditEvent.action == "download_document")).all()[-1]
    assert event.actor_name == "Gulf Fashion Trading LLC" and event.detail["document"] == (
        document.id)


def test_every_accepted_type_in_one_upload(app, people):
    number, _ = served_case(app, people)
    names = {"pdf": "a.pdf", "png": "b.png", "jpg": "c.jpg", "docx": "d.docx", "xlsx": "e.xlsx",
             "odt": "f.odt", "txt": "g.txt", "eml": "h.eml", "mp4": "i.mp4"}
    upload(people.client("claimant"), number, [(n, sample(e)) for e, n in names.items()])
    assert [d.media_type for d in documents()] == [
        "application/pdf", "image/png", "image/jpeg",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "application/vnd.oasis.opendocument.text", "text/plain", "message/rfc822",
        "video/mp4"]


def test_upload_records_date_and_the_right_it_supports(app, people):
    number, _ = served_case(app, people)
    right = case(number).rights[0]
    upload(people.client("claimant"), number, extra={
        "files-0-document_date": "2026-03-01", "files-0-supports": f"right:{right.id}"})
    document = documents()[0]
    assert str(document.document_date) == "2026-03-01" and document.ip_right_id == right.id
    page = people.client("respondent").get(f"/cases/{number}/documents/{document.id}")
    assert right.title in page.get_data(as_text=True)


def test_bundle_has_manifest_hashes_and_the_exhibit_index_pdf(app, people):
    number, respondent = served_case(app, people)
    upload(people.client("claimant"), number, [("invoice.pdf", pdf_bytes())], title="Invoice")
    upload(respondent, number, [("licence.txt", b"licence")], title="Licence")
    response = respondent.get(f"/cases/{number}/documents/bundle.zip")
    assert response.headers["Content-Type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(response.data))
    manifest = json.loads(archive.read("manifest.json"))["documents"]
    assert [(r["exhibit"], r["title"]) for r in manifest] == [("C-1", "Invoice"),
                                                              ("R-1", "Licence")]
    import hashlib

    for row in manifest:
        assert hashlib.sha256(archive.read(row["file"])).hexdigest() == row["sha256"]
    assert "uploader" in archive.read("manifest.csv").decode("utf-8-sig").splitlines()[0]
    # This bundle carries the index as HTML and asked a job for the PDF; the next has it.
    assert "C-1" in archive.read("exhibit-index.html").decode()
    archive = zipfile.ZipFile(io.BytesIO(
        respondent.get(f"/cases/{number}/documents/bundle.zip").data))
    index = PdfReader(io.BytesIO(archive.read("exhibit-index.pdf")))
    text = "".join(page.extract_text() for page in index.pages)
    assert "C-1" in text and "R-1" in text and "Invoice" in text
    assert "download_bundle" in [e.action for e in case(number).events]


def test_documents_attached_to_the_complaint_are_filed_with_it(app, people):
    from tests.helpers import fill_complaint, start_draft

    client = people.client("claimant")
    draft = start_draft(client)
    fill_complaint(client, draft)
    data = {"files-0-file": (io.BytesIO(pdf_bytes()), "registration.pdf"),
            "files-0-title": "Trademark registration", "files-0-kind": "exhibit"}
    refused = client.post(f"/file/{draft}/documents", data=dict(data),
                          content_type="multipart/form-data")
    assert refused.status_code == 422 and documents() == []  # "who will see" not confirmed
    data["files-0-file"] = (io.BytesIO(pdf_bytes()), "registration.pdf")
    response = client.post(f"/file/{draft}/documents", data={**data, "confirm": "y"},
                           content_type="multipart/form-data")
    assert response.status_code == 302
    assert "Trademark registration" in client.get(f"/file/{draft}/review").get_data(True)
    number = client.post(f"/file/{draft}/submit").location.split("/")[2]
    manager = people.client("manager")
    listing = manager.get(f"/cases/{number}/documents/").get_data(as_text=True)
    assert "C-1" in listing and "Trademark registration" in listing


def test_a_response_and_a_submission_carry_their_documents(app, people):
    number, respondent = served_case(app, people)
    right = case(number).rights[0]
    act(respondent, number, "respond", {
        "position": "contest", "statement": "Genuine goods.",
        "attach-files-0-file": (io.BytesIO(pdf_bytes()), "invoice.pdf"),
        "attach-files-0-title": "Supplier invoice", "attach-files-0-kind": "exhibit",
        "attach-files-0-supports": f"right:{right.id}"})
    assert [(d.exhibit_number, d.title) for d in documents()] == [("R-1", "Supplier invoice")]
    assert documents()[0].ip_right_id == right.id
    assert "Supplier invoice" in people.client("claimant").get(
        f"/cases/{number}/documents/").get_data(as_text=True)


def test_a_bad_attachment_refuses_the_response_too(app, people):
    number, respondent = served_case(app, people)
    response = act(respondent, number, "respond", {
        "position": "contest", "statement": "Genuine goods.",
        "attach-files-0-file": (io.BytesIO(b"MZ\x00\x00"), "virus.exe"),
        "attach-files-0-title": "x", "attach-files-0-kind": "exhibit"}, expect=422)
    assert "not accepted" in response.get_data(as_text=True)
    assert documents() == [] and case(number).stage == "response"
