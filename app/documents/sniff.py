"""Recognise a file's type from its bytes, never from its name."""

from __future__ import annotations

import re
import zipfile
from typing import BinaryIO

# (media type, allowed extensions) by signature at offset 0
SIGNATURES: list[tuple[bytes, str, tuple[str, ...]]] = [
    (b"%PDF-", "application/pdf", ("pdf",)),
    (b"\x89PNG\r\n\x1a\n", "image/png", ("png",)),
    (b"\xff\xd8\xff", "image/jpeg", ("jpg", "jpeg")),
]
ZIP_TYPES = {
    "word/": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document",
              ("docx",)),
    "xl/": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", ("xlsx",)),
}
ODT = "application/vnd.oasis.opendocument.text"
# ISO base media brands that are MP4 video (ISO/IEC 14496-12 and -14).
MP4_BRANDS = {b"isom", b"iso2", b"iso4", b"iso5", b"iso6", b"mp41", b"mp42", b"avc1", b"M4V ",
              b"dash", b"mmp4"}
# RFC 5322 header field at the start of a line; an .eml file begins with its headers.
_MAIL_HEADER = re.compile(
    rb"^(Return-Path|Received|From|To|Subject|Date|Message-ID|MIME-Version|Delivered-To|"
    rb"Reply-To|Cc|X-[A-Za-z0-9-]+):[ \t]", re.IGNORECASE)


def sniff(stream: BinaryIO) -> tuple[str, tuple[str, ...]] | None:
    """(media type, extensions that may carry it), or None for a type we do not accept.
    The stream is left at position 0."""
    head = stream.read(4096)
    stream.seek(0)
    for signature, media_type, extensions in SIGNATURES:
        if head.startswith(signature):
            return media_type, extensions
    if len(head) >= 12 and head[4:8] == b"ftyp" and head[8:12] in MP4_BRANDS:
        return "video/mp4", ("mp4", "m4v")
    if head.startswith(b"PK\x03\x04"):
        return _sniff_zip(stream, head)
    if head and _is_text(head):
        if _looks_like_mail(head):
            return "message/rfc822", ("eml", "txt")
        return "text/plain", ("txt",)
    return None


def _sniff_zip(stream: BinaryIO, head: bytes) -> tuple[str, tuple[str, ...]] | None:
    # ODF: the first entry is an uncompressed "mimetype" file naming the type (ODF 1.2 §3.3).
    if head[30:38] == b"mimetype" and b"application/vnd.oasis.opendocument.text" in head[:120]:
        return ODT, ("odt",)
    try:
        with zipfile.ZipFile(stream) as archive:
            names = archive.namelist()
            mimetype = archive.read("mimetype")[:100] if "mimetype" in names else b""
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        return None
    finally:
        stream.seek(0)
    if mimetype.strip() == ODT.encode():
        return ODT, ("odt",)
    if "[Content_Types].xml" not in names:
        return None
    for prefix, result in ZIP_TYPES.items():
        if any(name.startswith(prefix) for name in names):
            return result
    return None


def _looks_like_mail(head: bytes) -> bool:
    lines = head.splitlines()[:3]
    return bool(lines) and all(_MAIL_HEADER.match(line) or line[:1] in (b" ", b"\t")
                               for line in lines[:2]) and bool(_MAIL_HEADER.match(lines[0]))


def _is_text(head: bytes) -> bool:
    if b"\x00" in head:
        return False
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        return exc.start > len(head) - 4  # a multi-byte character cut at the 4 KiB boundary
    return True


def pdf_problem(stream: BinaryIO, *, max_pages: int = 10_000) -> str | None:
    """None if the PDF opens, else why not. Bounded: strict parsing (no whole-file
    reconstruction of a broken cross-reference table), only the page tree is walked, and
    a page count above `max_pages` is refused."""
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    try:
        reader = PdfReader(stream, strict=True)
        if reader.is_encrypted:
            return "encrypted"
        pages = len(reader.pages)
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, IndexError,
            RecursionError, OSError) as exc:
        return type(exc).__name__
    finally:
        stream.seek(0)
    if pages == 0:
        return "no pages"
    if pages > max_pages:
        return "too many pages"
    return None
