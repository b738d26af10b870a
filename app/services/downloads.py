"""Streaming file responses with a safe, UTF-8 Content-Disposition, and CSV a spreadsheet
cannot turn into formulas."""

from __future__ import annotations

import csv
import io
import time
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import IO, cast
from urllib.parse import quote

from flask import Response, stream_with_context


def safe_filename(name: str) -> str:
    """Keep letters of any script, digits and a few marks; drop path separators, control and
    bidi-override characters that could disguise an extension."""
    cleaned = []
    for ch in unicodedata.normalize("NFC", name):
        category = unicodedata.category(ch)
        if ch in "/\\" or category.startswith("C"):
            continue
        cleaned.append(ch)
    result = "".join(cleaned).strip(" .") or "document"
    return result[:200]


def attachment(chunks: Iterator[bytes], filename: str, media_type: str, size: int | None,
               *, inline: bool = False) -> Response:
    """A download (RFC 6266): `attachment`, with the name in ASCII and in UTF-8 (`filename*`),
    CR, LF and quotes unable to break out of the header. `inline` is for the Centre's own sealed
    decisions only; whatever a user uploaded is always an attachment."""
    name = safe_filename(filename)
    ascii_name = name.encode("ascii", "ignore").decode() or "document"
    ascii_name = ascii_name.replace('"', "")
    disposition = "inline" if inline else "attachment"
    response = Response(stream_with_context(chunks), mimetype=media_type)
    response.headers["Content-Disposition"] = (
        f"{disposition}; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name)}"
    )
    if size is not None:
        response.headers["Content-Length"] = str(size)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response


# A cell a spreadsheet reads as a formula (or as a formula after a tab or a line it drops):
# OWASP "CSV Injection". `=cmd|' /C calc'!A0` in a document title would run on the reader's PC.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_cell(value: object) -> object:
    """Text that starts like a formula, prefixed with an apostrophe: Excel, LibreOffice and
    Google Sheets then show it as text. Numbers are left as numbers (a size is never negative;
    a negative number is a number, not a formula)."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def csv_bytes(fieldnames: Sequence[str], rows: Iterable[Mapping[str, object]]) -> bytes:
    """Every CSV export: UTF-8 with a BOM (so Excel reads Arabic), every field quoted and every
    cell through `spreadsheet_cell`."""
    text = io.StringIO()
    writer = csv.DictWriter(text, fieldnames=list(fieldnames), quoting=csv.QUOTE_ALL,
                            extrasaction="ignore")
    writer.writeheader()
    for row in rows:
        writer.writerow({key: spreadsheet_cell(value) for key, value in row.items()})
    return text.getvalue().encode("utf-8-sig")


class _Sink:
    """A write-only, unseekable file that hands what is written to a generator."""

    def __init__(self) -> None:
        self.parts: list[bytes] = []
        self.written = 0

    def write(self, data: bytes) -> int:
        self.parts.append(bytes(data))
        self.written += len(data)
        return len(data)

    def tell(self) -> int:
        return self.written

    def flush(self) -> None:
        pass

    def take(self) -> bytes:
        data = b"".join(self.parts)
        self.parts.clear()
        return data


def stream_zip(entries: Iterable[tuple[str, Callable[[], Iterable[bytes]]]]) -> Iterator[bytes]:
    """A ZIP archive, built as it is sent: one member at a time, chunk by chunk, so memory
    stays at one chunk whatever the bundle's size. `entries` are (name in the archive,
    a function returning the member's chunks)."""
    import zipfile

    sink = _Sink()
    with zipfile.ZipFile(cast(IO[bytes], sink), "w", compression=zipfile.ZIP_DEFLATED,
                         compresslevel=6) as archive:
        for name, chunks in entries:
            info = zipfile.ZipInfo(name, date_time=time.gmtime()[:6])
            info.compress_type = zipfile.ZIP_DEFLATED
            with archive.open(info, "w", force_zip64=True) as member:
                for chunk in chunks():
                    member.write(chunk)
                    if sink.written and sink.parts:
                        yield sink.take()
            yield sink.take()
    yield sink.take()
