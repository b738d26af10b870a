"""Bad input gets a clear message next to the field, never a 500, and loses nothing."""

from __future__ import annotations

import pytest

from app.extensions import db
from app.models import Case
from tests.helpers import (
    CLAIMANT,
    REMEDIES,
    case,
    fill_complaint,
    served_case,
    start_draft,
    stored_files,
)


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
    from tests.helpers import file_complaint

    first = file_complaint(people.client("claimant"))
    second = file_complaint(people.client("claimant"))
    assert int(second[-6:]) == int(first[-6:]) + 1


BROKEN_PDF = b"%PDF-1.7\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\nxref\ngarbage\n%%EOF\n"


@pytest.mark.parametrize("filename, content, message", [
    ("empty.pdf", b"", "The file is empty."),
    ("tool.exe", b"MZ\x90\x00binary\x00\x00", "This type of file is not accepted."),
    ("archive.zip", b"PK\x03\x04not-an-office-file", "This type of file is not accepted."),
    ("scan.png", "pdf", "does not match its content"),
    ("notes.pdf", b"just some text", "does not match its content"),
    ("../../etc/passwd.txt", b"hello", "folder separators"),
    ("evidence/scan.pdf", "pdf", "folder separators"),
    ("invoice\u202etxt.pdf", "pdf", "right-to-left override"),
    ("isolate\u2067.pdf", "pdf", "right-to-left override"),
    ("bell\x07.txt", b"hello", "control characters"),
    ("broken.pdf", BROKEN_PDF, "The PDF is damaged"),
    ("big.txt", b"x" * 3000, "limit per file"),
])
def test_bad_uploads_are_refused_with_a_clear_message_and_nothing_is_stored(
        app, people, filename, content, message):
    from tests.helpers import documents, pdf_bytes, upload

    app.config["MAX_FILE_SIZE"] = 2048
    number, _ = served_case(app, people)
    content = pdf_bytes() if content == "pdf" else content
    response = upload(people.client("claimant"), number, [(filename, content)], expect=422)
    body = response.get_data(as_text=True)
    assert message in body.replace("&#39;", "'"), body[:3000]
    assert "Nothing was stored" in body
    assert documents() == [] and stored_files(app) == []
    assert "upload_document" not in [e.action for e in case(number).events]


def test_one_bad_file_refuses_the_whole_upload(app, people):
    from tests.helpers import documents, pdf_bytes, upload

    number, _ = served_case(app, people)
    upload(people.client("claimant"), number, [("good.pdf", pdf_bytes()), ("bad.exe", b"MZ\x00")],
           expect=422)
    assert documents() == [] and stored_files(app) == []


def test_the_case_size_limit_counts_what_is_already_filed(app, people):
    from tests.helpers import documents, upload

    app.config["MAX_CASE_SIZE"] = 5000
    number, _ = served_case(app, people)
    client = people.client("claimant")
    upload(client, number, [("one.txt", b"a" * 3000)])
    response = upload(client, number, [("two.txt", b"b" * 3000)], expect=422)
    assert "limit per case" in response.get_data(as_text=True)
    assert len(documents()) == 1 and len(stored_files(app)) == 1


def test_a_request_over_the_upload_limit_gets_a_clear_page(app, people):
    from tests.helpers import upload

    number, _ = served_case(app, people)
    app.config["MAX_CONTENT_LENGTH"] = 1000
    response = upload(people.client("claimant"), number, [("big.txt", b"x" * 5000)],
                      expect=413)
    assert "larger than this installation accepts" in response.get_data(as_text=True)
