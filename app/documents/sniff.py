"""Recognise a file's type from its first bytes, never from its name."""

from __future__ import annotations

import zipfile
from typing import BinaryIO

# (media type, allowed extensions) by signature
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


def sniff(stream: BinaryIO) -> tuple[str, tuple[str, ...]] | None:
    """(media type, extensions that may carry it), or None for a type we do not accept.
    The stream is left at position 0."""
    head = stream.read(4096)
    stream.seek(0)
    for signature, media_type, extensions in SIGNATURES:
        if head.startswith(signature):
            return media_type, extensions
    if head.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(stream) as archive:
                names = archive.namelist()
        except zipfile.BadZipFile:
            return None
        finally:
            stream.seek(0)
        if "mimetype" in names:
            return "application/vnd.oasis.opendocument.text", ("odt",)
        for prefix, result in ZIP_TYPES.items():
            if any(name.startswith(prefix) for name in names):
                return result
        return None
    if head and _is_text(head):
        return "text/plain", ("txt", "eml")
    return None


def _is_text(head: bytes) -> bool:
    if b"\x00" in head:
        return False
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        return exc.start > len(head) - 4  # a multi-byte character cut at the 4 KiB boundary
    return True
