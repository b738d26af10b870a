"""C25 — only the types a case file needs, checked by content and extension together (ASVS
5.2.2): PDF, PNG, JPEG, DOCX, XLSX, ODT, plain text, e-mail and MP4 (app/documents/sniff.py).
A renamed program, HTML or SVG (with a script) under any name, and a PDF that would act by
itself — JavaScript, a launch action, an action on opening (`/OpenAction`, `/AA`), hidden in a
compressed object stream or behind hex escapes in its names (`/J#61vaScript`) — are refused
with a message in the uploader's language, and nothing is stored. A PDF that only opens at a
page (an `/OpenAction` destination, as LibreOffice writes) is accepted.

Beyond these, tests/http/test_input.py covers empty, damaged and oversized files, names with
folder separators, control or bidi-override characters, and extensions that contradict the
content; tests/http/test_documents.py accepts every allowed type in one upload."""

from __future__ import annotations

import pytest

from tests.helpers import (
    built_pdf,
    case,
    documents,
    pdf_bytes,
    served_case,
    stored_files,
    switch,
    upload,
)

JS_ACTION = "<< /S /JavaScript /JS (app.alert\\(1\\)) >>"
ACTIVE_PDFS = {
    "javascript on opening": built_pdf(f"/OpenAction {JS_ACTION}"),
    "javascript name tree": built_pdf("/Names << /JavaScript 4 0 R >>",
                                      ("<< /Names [(x) 5 0 R] >>", JS_ACTION)),
    "hex-escaped names": built_pdf("/Names << /J#61vaScript 4 0 R >>",
                                   ("<< /Names [(x) 5 0 R] >>",
                                    "<< /S /J#61v#61Script /J#53 (app.alert\\(1\\)) >>")),
    "launch action": built_pdf("/OpenAction << /S /Launch /F (calc.exe) >>"),
    "action on opening, by reference": built_pdf("/OpenAction 4 0 R",
                                                  ("<< /S /GoTo /D [3 0 R /Fit] >>",)),
    "additional actions": built_pdf("/AA << /WC << /S /URI /URI (https://x.example) >> >>"),
    "javascript in an object stream": built_pdf("/OpenAction 4 0 R", (JS_ACTION,),
                                                object_stream=True),
    "launch in an object stream": built_pdf("/AA << /WC 4 0 R >>",
                                            ("<< /S /Launch /F (calc.exe) >>",),
                                            object_stream=True),
}
NOT_ALLOWED = {
    "program renamed to .pdf": ("invoice.pdf", b"MZ\x90\x00\x03\x00\x00\x00\x04\x00binary"),
    "HTML renamed to .pdf": ("invoice.pdf", b"<html><script>alert(1)</script></html>"),
    "HTML": ("page.html", b"<html><body onload=alert(1)>hi</body></html>"),
    "SVG with a script": ("logo.svg", b'<svg xmlns="http://www.w3.org/2000/svg">'
                                      b"<script>alert(1)</script></svg>"),
    "a script": ("run.js", b"alert(1)"),
}


@pytest.fixture
def served(app, people) -> str:
    number, _respondent = served_case(app, people)
    return number


def test_a_pdf_that_acts_by_itself_is_refused_and_nothing_is_stored(app, people, served):
    for what, content in ACTIVE_PDFS.items():
        response = upload(people.client("claimant"), served, [("evidence.pdf", content)],
                          expect=422)
        body = response.get_data(as_text=True)
        assert "The PDF contains JavaScript or an action that runs by itself" in body, what
    assert documents() == [] and stored_files(app) == []
    assert "upload_document" not in [e.action for e in case(served).events]


def test_what_is_not_an_allowed_type_is_refused_under_any_name(app, people, served):
    for what, (name, content) in NOT_ALLOWED.items():
        response = upload(people.client("claimant"), served, [(name, content)], expect=422)
        body = response.get_data(as_text=True)
        assert ("This type of file is not accepted" in body
                or "does not match its content" in body), (what, body[:2000])
    assert documents() == [] and stored_files(app) == []


def test_plain_pdfs_and_one_that_opens_at_a_page_are_accepted(app, people, served):
    files = [("pypdf.pdf", pdf_bytes()), ("by-hand.pdf", built_pdf()),
             ("compressed.pdf", built_pdf(object_stream=True)),
             ("opens-at-page-1.pdf", built_pdf("/OpenAction [3 0 R /XYZ null null 0]")),
             ("opens-at-page-1-by-reference.pdf",
              built_pdf("/OpenAction 4 0 R", ("[3 0 R /Fit]",)))]
    upload(people.client("claimant"), served, files)
    assert len(documents()) == len(files)


def test_the_refusal_is_in_the_uploaders_language(app, people, served):
    claimant = people.client("claimant")
    for lang, words in (("fr", "Le PDF contient du JavaScript"),
                        ("ar", "يحتوي ملف PDF على JavaScript")):
        switch(claimant, lang)
        response = upload(claimant, served, [("evidence.pdf", ACTIVE_PDFS["launch action"])],
                          expect=422)
        assert words in response.get_data(as_text=True), lang
