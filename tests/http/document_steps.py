"""Helpers for the document tests: sample files of every accepted type, and an upload that
reads like the form a user fills in."""

from __future__ import annotations

import io
import zipfile
from functools import cache

from app.extensions import db
from app.models import Document


@cache
def pdf_bytes(pages: int = 1) -> bytes:
    from pypdf import PdfWriter

    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=200, height=200)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _zip(names: dict[str, bytes], *, first: tuple[str, bytes] | None = None) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        if first:
            archive.writestr(zipfile.ZipInfo(first[0]), first[1])  # stored, as ODF requires
        for name, data in names.items():
            archive.writestr(name, data, compress_type=zipfile.ZIP_DEFLATED)
    return out.getvalue()


SAMPLES: dict[str, bytes] = {
    "pdf": b"",  # filled lazily (pypdf)
    "png": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 20,
    "jpg": b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 20,
    "docx": _zip({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w:document/>"}),
    "xlsx": _zip({"[Content_Types].xml": b"<Types/>", "xl/workbook.xml": b"<workbook/>"}),
    "odt": _zip({"content.xml": b"<office:document-content/>"},
                first=("mimetype", b"application/vnd.oasis.opendocument.text")),
    "txt": "Witness statement — إفادة شاهد\n".encode(),
    "eml": b"From: agent@example.test\r\nTo: buyer@example.test\r\nSubject: Order\r\n\r\nHi\r\n",
    "mp4": b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + b"\x00" * 40,
}


def sample(ext: str) -> bytes:
    return pdf_bytes() if ext == "pdf" else SAMPLES[ext]


def upload(client, number: str, files: list[tuple[str, bytes]] | None = None, *,
           scope: str = "participants", kind: str = "exhibit", title: str = "Evidence",
           confirm: bool = True, extra: dict | None = None, expect: int | None = 302):
    files = files if files is not None else [("evidence.pdf", pdf_bytes())]
    data: dict = {"scope": scope}
    if confirm:
        data["confirm"] = "y"
    for i, (name, content) in enumerate(files):
        data[f"files-{i}-file"] = (io.BytesIO(content), name)
        data[f"files-{i}-title"] = title if len(files) == 1 else f"{title} {i + 1}"
        data[f"files-{i}-kind"] = kind
    data.update(extra or {})
    response = client.post(f"/cases/{number}/documents/upload", data=data,
                           content_type="multipart/form-data")
    if expect is not None:
        assert response.status_code == expect, response.get_data(as_text=True)[:3000]
    return response


def documents() -> list[Document]:
    db.session.expire_all()
    return list(db.session.scalars(db.select(Document).order_by(Document.id)))
