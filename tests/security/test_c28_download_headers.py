"""C28 — downloads (ASVS 5.4.1, 5.4.2, 3.2.1): served only by routes that check who may see
the file (a stranger gets 404), as `Content-Disposition: attachment` with the name in ASCII and
as `filename*=UTF-8''…` (RFC 6266), the type found in the content, `nosniff` and
`Cache-Control: no-store`. Whatever a user uploaded is an attachment even when `?inline=1` is
asked for: the browser never renders it under our origin. The one exception is the Centre's own
sealed decision, which may open in the browser's PDF viewer (`?inline=1`). A stored name with
quotes, CR or LF cannot add or split a header."""

from __future__ import annotations

import re

from app.extensions import db
from app.models import Decision, Document
from tests.helpers import act, case, into_mediation, pdf_bytes, sample, upload

# ASCII name in quotes (no quote inside), then the UTF-8 name percent-encoded (RFC 5987 attr-char)
RFC6266 = re.compile(r"attachment; filename=\"[ !#-~]+\"; "
                     r"filename\*=UTF-8''[A-Za-z0-9%!#$&+.^_`|~-]+")


def assert_download(response, media_type: str, *, disposition: str = "attachment") -> None:
    assert response.status_code == 200
    assert response.mimetype == media_type
    assert response.headers["Content-Disposition"].startswith(f"{disposition};")
    assert "filename*=UTF-8''" in response.headers["Content-Disposition"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in response.headers["Cache-Control"]


def test_every_uploaded_type_is_an_attachment_even_when_asked_inline(app, people):
    number = into_mediation(app, people)
    files = [("scan.pdf", pdf_bytes()), ("photo.png", sample("png")),
             ("photo.jpg", sample("jpg")), ("page.txt", b"<script>alert(1)</script>"),
             ("شراء تجريبي.txt", "إيصال".encode())]
    upload(people.client("claimant"), number, files)
    respondent = people.client("respondent")
    types = ["application/pdf", "image/png", "image/jpeg", "text/plain", "text/plain"]
    for document, media_type in zip(db.session.scalars(db.select(Document).order_by(
            Document.id)), types, strict=True):
        for query in ("", "?inline=1"):
            response = respondent.get(
                f"/cases/{number}/documents/{document.id}/download{query}")
            assert_download(response, media_type)
            assert RFC6266.fullmatch(response.headers["Content-Disposition"]), (
                response.headers["Content-Disposition"])
    assert people.client("stranger").get(
        f"/cases/{number}/documents/{document.id}/download").status_code == 404


def test_bundles_indexes_and_feeds_are_attachments_decisions_may_open_inline(app, people):
    number = into_mediation(app, people)
    claimant = people.client("claimant")
    upload(claimant, number)
    assert_download(claimant.get(f"/cases/{number}/documents/bundle.zip"), "application/zip")
    claimant.get(f"/cases/{number}/documents/exhibits.pdf")  # asks for it; the job renders it
    for query in ("", "?inline=1"):
        assert_download(claimant.get(f"/cases/{number}/documents/exhibits.pdf{query}"),
                        "application/pdf")
    act(people.client("respondent"), number, "propose_settlement", {"terms": "Terms."})
    act(claimant, number, "accept_settlement")
    decision = db.session.scalar(db.select(Decision).where(Decision.case_id == case(number).id))
    path = f"/cases/{number}/decisions/{decision.id}.pdf"
    assert_download(claimant.get(path), "application/pdf")
    assert_download(claimant.get(f"{path}?inline=1"), "application/pdf", disposition="inline")
    page = claimant.post("/calendar/rotate").get_data(as_text=True)
    feed = re.search(r"http://localhost(/calendar/feed/[^<\s]+)", page).group(1)
    response = app.test_client().get(feed)
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert response.mimetype == "text/calendar"


def test_quotes_and_line_breaks_in_a_stored_name_cannot_touch_the_headers(app, people):
    number = into_mediation(app, people)
    upload(people.client("claimant"), number, [("plain.txt", b"text")])
    document = db.session.scalar(db.select(Document))
    document.original_name = 'evil".txt"\r\nSet-Cookie: x=1\r\nX-Injected: yes\n.txt'
    db.session.commit()
    response = people.client("respondent").get(
        f"/cases/{number}/documents/{document.id}/download")
    assert response.status_code == 200
    assert "X-Injected" not in response.headers and "x=1" not in str(
        response.headers.getlist("Set-Cookie"))
    disposition = response.headers["Content-Disposition"]
    assert "\r" not in disposition and "\n" not in disposition
    assert RFC6266.fullmatch(disposition), disposition
    assert disposition.count('"') == 2
