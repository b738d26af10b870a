"""Bad input gets a clear message next to the field, never a 500, and loses nothing."""

from __future__ import annotations

import io

import pytest

from app.extensions import db
from app.models import Case, Document
from tests.http.filing_steps import CLAIMANT, REMEDIES, fill_complaint, start_draft
from tests.http.test_lifecycle import case, served_case


def test_filing_step_errors_are_shown_next_to_the_field_and_keep_the_input(app, people):
    client = people.client("claimant")
    draft = start_draft(client)
    response = client.post(f"/file/{draft}/claimant", data={
        **CLAIMANT, "email": "not-an-email", "country": "XX", "address": ""})
    body = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="email-error"' in body and 'aria-invalid="true"' in body
    assert "Choose a country from the list." in body
    assert 'value="Nile Textiles S.A.E."' in body  # what was typed is still there
    assert db.session.get(Case, draft).claimant.name == ""  # and nothing half-saved


@pytest.mark.parametrize("data, message", [
    ({}, "Choose at least one remedy."),
    ({"damages": "y", "damages_amount": ""}, "Give the amount of damages claimed."),
    ({"damages": "y", "damages_amount": "-5"}, "Number must be at least"),
    ({"damages": "y", "damages_amount": "lots"}, "Not a valid decimal value"),
    ({"domain_transfer": "y"}, "Name the domain name to transfer."),
])
def test_remedies_are_validated(app, people, data, message):
    client = people.client("claimant")
    draft = start_draft(client)
    response = client.post(f"/file/{draft}/remedies", data=data)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert db.session.get(Case, draft).remedies == []


def test_an_incomplete_complaint_cannot_be_submitted(app, people):
    client = people.client("claimant")
    draft = start_draft(client)
    response = client.post(f"/file/{draft}/submit", follow_redirects=True)
    assert "incomplete" in response.get_data(as_text=True)
    assert db.session.get(Case, draft).stage == "draft"
    assert db.session.get(Case, draft).number is None


def test_a_draft_is_resumable_where_it_was_left(app, people):
    client = people.client("claimant")
    draft = start_draft(client)
    fill_complaint(client, draft, remedies=REMEDIES)
    page = client.get(f"/file/{draft}/remedies").get_data(as_text=True)
    assert 'value="25000.00"' in page or 'value="25000"' in page
    dashboard = client.get("/dashboard").get_data(as_text=True)
    assert f"/file/{draft}/claimant" in dashboard


def test_case_numbers_follow_each_other(app, people):
    from tests.http.filing_steps import file_complaint

    first = file_complaint(people.client("claimant"))
    second = file_complaint(people.client("claimant"))
    assert int(second[-6:]) == int(first[-6:]) + 1


@pytest.mark.parametrize("filename, content, message", [
    ("empty.pdf", b"", "empty"),
    ("tool.exe", b"MZ\x90\x00binary\x00\x00", "not accepted"),
    ("scan.png", b"%PDF-1.7\n%%EOF\n", "does not match"),
    ("../../etc/passwd.txt", b"hello", "not allowed"),
    ("invoice\u202etxt.pdf", b"%PDF-1.7\n%%EOF\n", "not allowed"),
])
def test_bad_uploads_are_refused_and_nothing_is_stored(app, people, filename, content, message):
    number, _ = served_case(app, people)
    client = people.client("claimant")
    response = client.post(f"/cases/{number}/documents/upload", data={
        "title": "Evidence", "kind": "exhibit", "file": (io.BytesIO(content), filename)},
        content_type="multipart/form-data")
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert db.session.scalar(db.select(db.func.count()).select_from(Document)) == 0
    storage = app.config["STORAGE_URL"].removeprefix("file://")
    import pathlib

    stored = [p for p in pathlib.Path(storage).rglob("*") if p.is_file() and "cases" in p.parts]
    assert stored == []


def test_a_party_uploads_and_the_other_side_downloads(app, people):
    number, respondent = served_case(app, people)
    pdf = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
    response = people.client("claimant").post(
        f"/cases/{number}/documents/upload",
        data={"title": "Test purchase", "kind": "exhibit",
              "file": (io.BytesIO(pdf), "شراء تجريبي.pdf")},
        content_type="multipart/form-data")
    assert response.status_code == 302
    document = db.session.scalar(db.select(Document))
    download = respondent.get(f"/cases/{number}/documents/{document.id}")
    assert download.status_code == 200 and download.data == pdf
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    assert "filename*=UTF-8''" in download.headers["Content-Disposition"]
    assert people.client("stranger").get(
        f"/cases/{number}/documents/{document.id}").status_code == 404
    actions = [e.action for e in case(number).events]
    assert "upload_document" in actions and "download_document" in actions
