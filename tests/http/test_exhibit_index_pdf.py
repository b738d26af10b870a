"""The exhibit index PDF is rendered by a job, stored, and served while the exhibit list is
unchanged. Each test runs with the in-process runner and with a real RQ worker; with either, the
job runs after the request that asked for it, never inside it."""

from __future__ import annotations

import io

from pypdf import PdfReader

from app.documents import exhibit_pdf
from app.extensions import db
from app.models import ExhibitIndexPdf
from tests.helpers import pdf_bytes, served_case, upload


def index_url(number: str) -> str:
    return f"/cases/{number}/documents/exhibits.pdf"


def text_of(data: bytes) -> str:
    return "".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def renderings() -> list[ExhibitIndexPdf]:
    db.session.expire_all()
    return db.session.scalars(db.select(ExhibitIndexPdf).order_by(ExhibitIndexPdf.id)).all()


def fetch_pdf(client, number: str, runner_mode) -> bytes:
    """What a browser does: ask, follow the refreshing page until the PDF comes."""
    response = client.get(index_url(number))
    assert response.status_code == 202  # never rendered in the request: a job makes it
    page = response.get_data(as_text=True)
    assert '<meta http-equiv="refresh" content="3">' in page
    assert f'href="{index_url(number)}"' in page  # a plain link too: no JavaScript
    assert "being prepared" in page
    assert response.headers["Retry-After"] == "3"
    runner_mode.work()
    response = client.get(index_url(number))
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    assert response.headers["Content-Type"] == "application/pdf"
    return response.data


def test_index_is_prepared_by_a_job_then_served_from_storage(app, people,
                                                             runner_mode):
    number, respondent = served_case(app, people)
    claimant = people.client("claimant")
    upload(claimant, number, [("invoice.pdf", pdf_bytes())], title="Invoice")
    upload(respondent, number, [("licence.txt", b"licence")], title="Licence")

    data = fetch_pdf(claimant, number, runner_mode)
    text = text_of(data)
    assert "C-1" in text and "R-1" in text and "Invoice" in text and number in text
    [row] = renderings()
    assert row.status == "ready" and row.size == len(data)

    # The other side sees the same exhibits: the same stored file, no second render.
    calls = []
    real = exhibit_pdf.render_index
    exhibit_pdf.render_index = lambda *a, **k: calls.append(a) or real(*a, **k)
    try:
        again = respondent.get(index_url(number))
    finally:
        exhibit_pdf.render_index = real
    assert again.status_code == 200 and again.data == data and calls == []
    assert len(renderings()) == 1
    # The stored file is recorded: `flask storage check` does not call it an orphan.
    report = app.test_cli_runner().invoke(args=["storage", "check", "--grace", "0"])
    assert report.exit_code == 0, report.output


def test_a_new_exhibit_makes_the_stored_index_stale(app, people, runner_mode):
    number, respondent = served_case(app, people)
    claimant = people.client("claimant")
    upload(claimant, number, [("invoice.pdf", pdf_bytes())], title="Invoice")
    first = fetch_pdf(claimant, number, runner_mode)
    assert "Licence" not in text_of(first)

    upload(respondent, number, [("licence.txt", b"licence")], title="Licence")
    second = fetch_pdf(claimant, number, runner_mode)
    assert "Licence" in text_of(second) and "R-1" in text_of(second)
    assert [r.status for r in renderings()] == ["ready", "ready"]


def test_outsiders_get_no_index_and_queue_nothing(app, people, runner_mode):
    number, _ = served_case(app, people)
    upload(people.client("claimant"), number, [("invoice.pdf", pdf_bytes())],
           title="Invoice")
    response = people.client("stranger").get(index_url(number))
    assert response.status_code in (403, 404)
    assert b"%PDF" not in response.data and b"Invoice" not in response.data
    assert renderings() == []


def test_a_failed_render_shows_a_page_not_an_error(app, people, runner_mode):
    number, _ = served_case(app, people)
    claimant = people.client("claimant")
    upload(claimant, number, [("invoice.pdf", pdf_bytes())], title="Invoice")
    real = exhibit_pdf.render_index

    def broken(*args, **kwargs):
        raise RuntimeError("renderer down")

    exhibit_pdf.render_index = broken
    try:
        response = claimant.get(index_url(number))
        runner_mode.work()
        response = claimant.get(index_url(number))
    finally:
        exhibit_pdf.render_index = real
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "could not be prepared" in page and 'http-equiv="refresh"' not in page
    [row] = renderings()
    assert row.status == "failed" and "renderer down" in row.error


def test_a_bundle_never_waits_for_the_index_pdf(app, people, runner_mode):
    """With no current PDF the bundle carries the index as HTML and asks a job for the PDF;
    the next bundle carries the stored PDF."""
    import zipfile

    number, respondent = served_case(app, people)
    claimant = people.client("claimant")
    upload(claimant, number, [("invoice.pdf", pdf_bytes())], title="Invoice")
    upload(respondent, number, [("licence.txt", b"licence")], title="Licence")

    def bundle_names() -> tuple[list[str], zipfile.ZipFile]:
        response = claimant.get(f"/cases/{number}/documents/bundle.zip")
        assert response.status_code == 200
        archive = zipfile.ZipFile(io.BytesIO(response.data))
        return [n for n in archive.namelist() if n.startswith("exhibit-index")], archive

    names, archive = bundle_names()
    # The job runs after the request that asked for it: this bundle has the HTML index.
    assert names == ["exhibit-index.html"]
    html = archive.read("exhibit-index.html").decode()
    assert "C-1" in html and "R-1" in html and "Invoice" in html and "<style>" in html
    # In-process, the test client ran the job right after that request; RQ only queued it.
    assert [r.status for r in renderings()] == (["pending"] if runner_mode.mode == "rq"
                                                else ["ready"])
    runner_mode.work()
    names, archive = bundle_names()
    assert names == ["exhibit-index.pdf"]
    assert "Invoice" in text_of(archive.read("exhibit-index.pdf"))
    assert [r.status for r in renderings()] == ["ready"]
