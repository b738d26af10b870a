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


# --- PDFs that act by themselves ---------------------------------------------------------
# A PDF may carry JavaScript (`/JavaScript`, `/JS`), start another program (`/Launch`) or run
# an action when it is opened or a page is shown (`/OpenAction` with an action, `/AA`). A case
# file holds evidence, not programs: such a PDF is refused at upload (SECURITY.md C25). The
# names are read the way a PDF reader reads them — `/J#61vaScript` is `/JavaScript` (PDF 32000
# §7.3.5) — in the file's bytes and inside its compressed object streams, where most writers
# put their dictionaries. An `/OpenAction` that is only a destination (`[page /XYZ …]`, "open at
# page 1", what LibreOffice writes) is not an action and is accepted.
_PDF_NAME = re.compile(rb"/((?:[^\x00\t\n\x0c\r ()<>\[\]{}/%#]|#[0-9A-Fa-f]{2}){1,127})")
_PDF_HEX_ESCAPE = re.compile(rb"#([0-9A-Fa-f]{2})")
_PDF_SPACE = re.compile(rb"(?:[\x00\t\n\x0c\r ]|%[^\r\n]*[\r\n])*")
_PDF_REFERENCE = re.compile(rb"\d+(?:[\x00\t\n\x0c\r ])+\d+(?:[\x00\t\n\x0c\r ])+R")
# Refused wherever they appear: long enough never to occur by chance in compressed data.
_ALWAYS = {b"JavaScript": "JavaScript", b"Launch": "Launch"}
# Refused as a dictionary key with the value of an action: a string or stream of script
# (`/JS`), a dictionary of triggers (`/AA`), an action dictionary (`/OpenAction`). Three
# letters alone would turn up in a large image's compressed bytes.
_AS_KEY = {b"JS": "JS", b"AA": "AA", b"OpenAction": "OpenAction"}
_SCAN_CHUNK = 1024 * 1024
_SCAN_OVERLAP = 1024  # longer than any name, its escapes and the start of its value


def pdf_active_content(stream: BinaryIO) -> str | None:
    """The name of the first action or script found in the PDF (`JavaScript`, `JS`, `Launch`,
    `OpenAction`, `AA`), or None. Reads the whole file once, a chunk at a time, then the
    decompressed object streams. The stream is left at position 0."""
    try:
        found = _scan_pdf_bytes(stream)
        if found is None:
            found = _scan_pdf_objects(stream)
    finally:
        stream.seek(0)
    return found


def _scan_pdf_bytes(stream: BinaryIO) -> str | None:
    stream.seek(0)
    carried = b""
    while True:
        block = stream.read(_SCAN_CHUNK)
        data = carried + block
        last = not block
        end = len(data) if last else max(0, len(data) - _SCAN_OVERLAP)
        found = _active_name(data, end)
        if found is not None or last:
            return found
        carried = data[end:]


def _active_name(data: bytes, end: int) -> str | None:
    """The first active name starting before `end` in `data` (what follows it may lie
    beyond `end`: the scan of the next chunk starts at `end` again)."""
    for match in _PDF_NAME.finditer(data, 0, len(data)):
        if match.start() >= end:
            return None
        raw = match.group(1)
        name = _PDF_HEX_ESCAPE.sub(lambda m: bytes([int(m.group(1), 16)]), raw) \
            if b"#" in raw else raw
        if name in _ALWAYS:
            return _ALWAYS[name]
        if name in _AS_KEY:
            after = _PDF_SPACE.match(data, match.end()).end()
            value = data[after:after + 2]
            if value[:1] == b"<" and (name != b"OpenAction" or value == b"<<"):
                return _AS_KEY[name]
            if value[:1] == b"(" and name == b"JS":
                return _AS_KEY[name]
            if _PDF_REFERENCE.match(data, after) and name != b"OpenAction":
                return _AS_KEY[name]
    return None


def _scan_pdf_objects(stream: BinaryIO) -> str | None:
    """What the byte scan cannot see: the dictionaries inside compressed object streams
    (PDF 1.5), and an `/OpenAction` given by reference, which is an action when the object it
    names is a dictionary (a destination is an array)."""
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError
    from pypdf.generic import DictionaryObject

    stream.seek(0)
    try:
        reader = PdfReader(stream, strict=True)
        for number in sorted({where[0] for where in reader.xref_objStm.values()}):
            objects = reader.get_object(number)
            data = objects.get_data() if objects is not None else b""
            found = _active_name(data, len(data))
            if found is not None:
                return found
        root = reader.trailer["/Root"].get_object()
        action = root.get("/OpenAction")
        if action is not None and isinstance(action.get_object(), DictionaryObject):
            return "OpenAction"
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, IndexError,
            RecursionError, OSError):
        return None  # unreadable: pdf_problem() refuses it as damaged
    return None
