"""C23 — stored cross-site scripting and formula injection (ASVS 1.2.1, 3.2.2, 1.2.10): what a
user typed — a party's name (so the case title), an IP right's title, a message, a settlement's
terms, a document's title and its uploaded file name — is shown as text everywhere: escaped in
every HTML page of every participant and the Centre, text in the decision and exhibit-index
PDFs (WeasyPrint's input is escaped HTML: the markup comes out as its letters), and in a real
browser no script runs. The bundle's manifest.csv neutralises cells a spreadsheet would run as
formulas (`=`, `+`, `-`, `@`, tab, carriage return: prefixed with an apostrophe)."""

from __future__ import annotations

import csv
import io
import re
import zipfile

import pytest
from pypdf import PdfReader

from app.extensions import db
from app.models import Decision, Document, User
from tests.conftest import PASSWORD
from tests.helpers import act, case, into_mediation, upload

XSS = "<img src=x onerror=alert(1)>"
ESCAPED = "&lt;img src=x onerror=alert(1)&gt;"
FORMULAS = ["=cmd|' /C calc'!A0", "+1+1", "-2+3", "@SUM(A1:A2)"]


@pytest.fixture
def hostile_case(app, people) -> str:
    """Every field a user fills that others see, carrying the payload."""
    number = into_mediation(app, people, claimant={"name": f"Nile {XSS}"},
                           rights={"title": f"MARK {XSS}"})
    act(people.client("claimant"), number, "send_message",
        {"channel": "joint", "body": f"Hello {XSS}"})
    upload(people.client("claimant"), number, [(f"{XSS}.txt", b"evidence")],
           title=f"Invoice {XSS}")
    return number


def pages(number: str) -> list[str]:
    document = db.session.scalars(db.select(Document.id)).first()
    return ["/dashboard", f"/cases/{number}", f"/cases/{number}/receipt",
            f"/cases/{number}/documents/", f"/cases/{number}/documents/{document}",
            f"/cases/{number}/actions/send_message"]


def test_every_page_shows_the_payload_as_text(app, people, hostile_case):
    number = hostile_case
    shown = 0
    for who in ("claimant", "respondent", "mediator", "manager"):
        for path in [*pages(number), *(["/manage/"] if who == "manager" else [])]:
            response = people.client(who).get(path)
            body = response.get_data(as_text=True)
            assert response.status_code in (200, 403), (who, path)  # 403: not their action
            assert XSS not in body, (who, path)
            shown += body.count(ESCAPED)
    assert shown >= 20
    api = people.client("claimant").get(f"/api/v1/cases/{number}")
    assert api.mimetype == "application/json" and XSS in api.get_json()["title"]


def test_the_pdfs_print_the_payload_as_text(app, people, hostile_case):
    number = hostile_case
    act(people.client("respondent"), number, "propose_settlement",
        {"terms": f"1. The respondent pays. {XSS}"})
    act(people.client("claimant"), number, "accept_settlement")
    decision = db.session.scalar(db.select(Decision).where(Decision.case_id == case(number).id))
    pdf = people.client("claimant").get(f"/cases/{number}/decisions/{decision.id}.pdf")
    assert pdf.status_code == 200
    assert XSS in pdf_text(pdf.data)
    claimant = people.client("claimant")
    assert claimant.get(f"/cases/{number}/documents/exhibits.pdf").status_code == 202
    index = claimant.get(f"/cases/{number}/documents/exhibits.pdf")  # the job has run
    assert index.status_code == 200 and f"Invoice {XSS}" in pdf_text(index.data)
    bundle = zipfile.ZipFile(io.BytesIO(claimant.get(
        f"/cases/{number}/documents/bundle.zip").data))
    assert all(XSS not in bundle.read(name).decode("utf-8", "replace")
               for name in bundle.namelist() if name.endswith(".html"))


def pdf_text(data: bytes) -> str:
    return " ".join(" ".join((page.extract_text() or "").split())
                    for page in PdfReader(io.BytesIO(data)).pages)


def test_the_manifest_csv_neutralises_formulas(app, people):
    from tests.helpers import served_case

    number, _respondent = served_case(app, people)
    claimant = people.client("claimant")
    for title in FORMULAS:
        upload(claimant, number, [("evidence.txt", b"evidence")], title=title)
    bundle = zipfile.ZipFile(io.BytesIO(claimant.get(
        f"/cases/{number}/documents/bundle.zip").data))
    rows = list(csv.DictReader(io.StringIO(bundle.read("manifest.csv").decode("utf-8-sig"),
                                           newline="")))
    assert [row["title"] for row in rows] == [f"'{title}" for title in FORMULAS]
    for row in rows:
        for value in row.values():
            assert not value.startswith(("=", "+", "-", "@", "\t", "\r")), row
    # the JSON manifest, which no spreadsheet evaluates, keeps the titles as typed
    import json

    manifest = json.loads(bundle.read("manifest.json"))
    assert [d["title"] for d in manifest["documents"]] == FORMULAS


def test_a_leading_tab_or_carriage_return_never_reaches_a_cell(app, people):
    """Titles are stripped when uploaded; the CSV writer neutralises them anyway."""
    from app.services.downloads import csv_bytes
    from tests.helpers import documents, served_case

    number, _respondent = served_case(app, people)
    upload(people.client("claimant"), number, [("a.txt", b"a")], title="\t=1+1")
    assert documents()[0].title == "=1+1"
    data = csv_bytes(["a", "b"], [{"a": "\t=1+1", "b": "\r=2"}]).decode("utf-8-sig")
    assert list(csv.reader(io.StringIO(data, newline="")))[1] == ["'\t=1+1", "'\r=2"]


@pytest.mark.e2e
def test_no_script_runs_in_a_real_browser(app, people, hostile_case, live_server, page):
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text)
            if message.type == "error" else None)
    page.goto(f"{live_server}/login")
    page.locator("#email").fill("claimant@example.test")
    page.locator("#password").fill(PASSWORD)
    page.locator("form:not(.lang-switch) button[type=submit]").last.click()
    page.wait_for_url(re.compile(r"/login/code$"))  # the second step: the account's app code
    from app.auth import second_factor

    user = db.session.scalar(db.select(User).where(User.email == "claimant@example.test"))
    user.totp_last_step = None  # the fixture's sign-in used this step's code (a code works once)
    db.session.commit()
    page.locator("#code").fill(second_factor.code_at(user.totp_secret, second_factor.time_step()))
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_url(re.compile(r"/dashboard$"))
    for path in pages(hostile_case):
        page.goto(f"{live_server}{path}")
        assert XSS in page.locator("main").inner_text() or path.endswith("send_message"), path
    assert dialogs == []
