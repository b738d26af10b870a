"""Render decisions (awards, settlement agreements, ...) to PDF with WeasyPrint.

Decisions are legal documents: they must look the same on every machine and must never
reach out to the network while rendering.  Hence:

* fonts come only from ``app/static/fonts/`` (vendored Amiri, OFL) through ``@font-face``;
* the URL fetcher refuses every URL except ``data:`` URIs and regular files below
  ``app/static/fonts/`` and ``app/static/img/`` (after resolving symlinks and ``..``);
  a refused URL aborts the render with :class:`PdfResourceRefused` instead of silently
  producing a PDF with a missing image or a substituted font.

Rendering costs tens of milliseconds of CPU per page (plus ~0.6 s to import WeasyPrint
cold): call it from a job, not from a request.  The output is not byte-identical between
two renders of the same input: hash and keep the stored bytes; never re-render to verify.

Per-render work that does not depend on the document is done once per worker thread
(:class:`_Resources`): the ``FontConfiguration`` (the four Amiri files are fetched, written
to a temporary folder and registered with Fontconfig once, and Pango/HarfBuzz keep their
font caches) and the parsed decision stylesheet ``pdf/pdf.css`` (rendered per direction,
parsed once, passed to WeasyPrint as a stylesheet instead of being inlined in the HTML).
WeasyPrint runs as released, unpatched, and the garbage collector is left alone: WeasyPrint 70
lays out every right-to-left line twice (``get_next_linebox``), which makes an Arabic render
slower than an English one; see BENCHMARKS.md section 3 for what that costs.
"""

from __future__ import annotations

import atexit
import base64
import mimetypes
import os
import re
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit
from urllib.request import url2pathname

import segno
from babel import Locale, UnknownLocaleError
from flask import has_app_context, render_template
from flask_babel import force_locale

__all__ = [
    "FONTS_DIR",
    "IMG_DIR",
    "STATIC_BASE_URL",
    "STATIC_DIR",
    "PdfResourceRefused",
    "make_url_fetcher",
    "preload",
    "qr_data_uri",
    "qr_svg",
    "render_decision",
    "render_pdf",
]

STATIC_DIR = (Path(__file__).resolve().parent.parent / "static").resolve()
FONTS_DIR = STATIC_DIR / "fonts"
IMG_DIR = STATIC_DIR / "img"
#: Directories the PDF renderer may read from.  Nothing else, ever.
ALLOWED_DIRS: tuple[Path, ...] = (FONTS_DIR, IMG_DIR)
#: base_url used by :func:`render_decision`; templates refer to ``fonts/...``, ``img/...``.
STATIC_BASE_URL = STATIC_DIR.as_uri() + "/"

RTL_LANGUAGES = frozenset({"ar", "fa", "he", "ur"})
_TEMPLATE_NAME = re.compile(r"^[A-Za-z0-9_-]+\.html$")
_MAX_DATA_URI = 2 * 1024 * 1024  # inline images (QR codes) are a few KiB

mimetypes.add_type("font/ttf", ".ttf")
mimetypes.add_type("font/otf", ".otf")
mimetypes.add_type("font/woff2", ".woff2")
mimetypes.add_type("image/svg+xml", ".svg")


class PdfResourceRefused(ValueError):
    """A template referred to a resource outside the allowed folders."""


def _weasyprint() -> Any:
    # Imported lazily: ``import weasyprint`` costs ~0.6 s and most processes that import
    # this module (web workers) never render.
    import weasyprint
    return weasyprint


def _resolve_allowed_file(url: str) -> Path:
    """Map a ``file:`` URL to a real file inside one of ALLOWED_DIRS, or raise."""
    parts = urlsplit(url)
    if parts.netloc not in ("", "localhost"):
        raise PdfResourceRefused(f"remote file URL refused: {url!r}")
    raw = url2pathname(unquote(parts.path))
    if "\x00" in raw:
        raise PdfResourceRefused(f"invalid file URL: {url!r}")
    path = Path(raw)
    if not path.is_absolute():
        raise PdfResourceRefused(f"relative file URL refused: {url!r}")
    real = Path(os.path.realpath(path))  # resolves "..", symlinks
    for allowed in ALLOWED_DIRS:
        if real.is_relative_to(allowed) and real != allowed:
            if not real.is_file():
                raise PdfResourceRefused(f"no such file: {url!r}")
            return real
    raise PdfResourceRefused(f"file outside the PDF asset folders refused: {url!r}")


def _make_fetcher_class() -> type[Any]:
    _weasyprint()
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class RestrictedURLFetcher(URLFetcher):  # type: ignore[misc]  # WeasyPrint is untyped
        """WeasyPrint URL fetcher that only serves data: URIs and the PDF asset folders.

        ``fetched`` lists the URLs served, in order (tests use it to prove that fonts
        came from ``app/static/fonts/``).
        """

        def __init__(self, **kwargs: Any) -> None:
            kwargs.setdefault("fail_on_errors", True)
            kwargs.setdefault("allowed_protocols", ("data", "file"))
            kwargs.setdefault("allow_redirects", False)
            super().__init__(**kwargs)
            self.fetched: list[str] = []

        def fetch(self, url: str, headers: Any = None) -> URLFetcherResponse:
            scheme = url.split(":", 1)[0].lower() if ":" in url else ""
            if scheme == "data":
                if len(url) > _MAX_DATA_URI:
                    raise PdfResourceRefused("data: URI too large")
                # urllib's DataHandler: no I/O, no network.
                response = super().fetch(url, headers)
            elif scheme == "file":
                path = _resolve_allowed_file(url)
                mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
                response = URLFetcherResponse(
                    path.as_uri(), body=path.read_bytes(), headers={"Content-Type": mime}
                )
            else:
                raise PdfResourceRefused(f"URL refused (PDF rendering is offline): {url!r}")
            self.fetched.append(url if scheme != "data" else url[:40])
            return response

    return RestrictedURLFetcher


_fetcher_class: type[Any] | None = None


def _get_fetcher_class() -> type[Any]:
    global _fetcher_class
    if _fetcher_class is None:
        _fetcher_class = _make_fetcher_class()
    return _fetcher_class


def __getattr__(name: str) -> Any:  # PEP 562: ``from app.services.pdf import RestrictedURLFetcher``
    if name == "RestrictedURLFetcher":
        return _get_fetcher_class()
    raise AttributeError(name)


def make_url_fetcher() -> Any:
    """A fresh :class:`RestrictedURLFetcher` (call it like a function: ``fetcher(url)``)."""
    return _get_fetcher_class()()


class _Resources:
    """What one worker thread reuses across renders: a FontConfiguration and parsed CSS.

    WeasyPrint objects are not meant to be shared between threads, hence one per thread;
    and one per process: a forked child (an RQ work horse) builds its own instead of using
    the parent's Fontconfig/Pango state.
    """

    _MAX_SHEETS = 8

    def __init__(self) -> None:
        from weasyprint.text.fonts import FontConfiguration

        self.pid = os.getpid()
        self.font_config = FontConfiguration()
        self.sheets: dict[str, Any] = {}

    def stylesheet(self, css: str) -> Any:
        """The parsed ``weasyprint.CSS`` of ``css`` (a few texts: one per direction)."""
        sheet = self.sheets.get(css)
        if sheet is None:
            if len(self.sheets) >= self._MAX_SHEETS:  # templates edited in development
                self.sheets.clear()
            sheet = _weasyprint().CSS(string=css, base_url=STATIC_BASE_URL,
                                      url_fetcher=make_url_fetcher(),
                                      font_config=self.font_config)
            self.sheets[css] = sheet
        return sheet


_local = threading.local()
#: Resources inherited from a parent process: kept referenced, never used nor finalised
#: (FontConfiguration.__del__ would delete the parent's temporary font folder).
_inherited: list[_Resources] = []


def _resources() -> _Resources:
    res = getattr(_local, "resources", None)
    if res is not None and res.pid != os.getpid():
        _inherited.append(res)
        res = None
    if res is None:
        _weasyprint()
        res = _local.resources = _Resources()
    return res


@atexit.register
def _release_resources() -> None:
    # Finalise this process's font configuration (it deletes its temporary font folder)
    # while the interpreter is still whole; never one inherited from a parent process.
    res = getattr(_local, "resources", None)
    if res is not None and res.pid == os.getpid():
        del _local.resources


def preload() -> None:
    """Import WeasyPrint now (~0.6 s) rather than in the first render: call it in a
    long-lived process before it forks work horses (``flask jobs worker``)."""
    _weasyprint()


def render_pdf(html: str, *, base_url: str, url_fetcher: Any = None,
               stylesheets: Sequence[str] = ()) -> bytes:
    """Render an HTML string to tagged PDF/A-3b bytes, offline.

    ``base_url`` resolves relative URLs (use :data:`STATIC_BASE_URL` so that
    ``url(fonts/Amiri-Regular.ttf)`` works).  The PDF title, author, keywords, language
    come from the HTML ``<title>``, ``<meta name=...>`` and ``<html lang>``.
    ``stylesheets``: CSS texts applied after the document's own (parsed once per worker
    thread and reused).

    Without ``url_fetcher`` the render reuses this thread's font configuration (fonts
    already fetched through the restricted fetcher); with one, fonts are fetched again
    through it in a fresh configuration.

    Raises :class:`PdfResourceRefused` if the HTML refers to anything outside the allowed
    folders (the render is aborted rather than producing a degraded document).
    """
    weasyprint = _weasyprint()
    from weasyprint.text.fonts import FontConfiguration
    from weasyprint.urls import FatalURLFetchingError

    try:
        if url_fetcher is None:
            res = _resources()
            font_config = res.font_config
            sheets = [res.stylesheet(css) for css in stylesheets]
            fetcher = make_url_fetcher()
        else:
            fetcher = url_fetcher
            font_config = FontConfiguration()
            sheets = [weasyprint.CSS(string=css, base_url=base_url, url_fetcher=fetcher,
                                     font_config=font_config) for css in stylesheets]
        document = weasyprint.HTML(string=html, base_url=base_url, url_fetcher=fetcher)
        # PDF/A-3b (archival, fonts embedded, sRGB output intent); tagged for screen readers.
        pdf: bytes = document.write_pdf(stylesheets=sheets, font_config=font_config,
                                        pdf_variant="pdf/a-3b", pdf_tags=True)
        return pdf
    except FatalURLFetchingError as exc:  # BaseException subclass: convert to a normal error
        cause = exc.__cause__
        if isinstance(cause, PdfResourceRefused):
            raise PdfResourceRefused(str(cause)) from exc
        raise PdfResourceRefused(str(exc)) from exc


def qr_svg(url: str) -> str:
    """Inline SVG markup (text) of the QR code of ``url``, with a 2-module quiet zone."""
    qr = segno.make(url, error="m", micro=False)
    return qr.svg_inline(scale=1, border=2, dark="#000", light=None, omitsize=False)


def qr_data_uri(url: str) -> str:
    """The QR code of ``url`` as a ``data:image/svg+xml;base64,...`` URI for ``<img src>``."""
    svg = qr_svg(url)
    if "xmlns=" not in svg:  # svg_inline omits the namespace; a standalone image needs it
        svg = svg.replace("<svg ", '<svg xmlns="http://www.w3.org/2000/svg" ', 1)
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")


def text_direction(lang: str) -> str:
    """Return "rtl" for Arabic and other right-to-left languages, else "ltr"."""
    return "rtl" if lang.split("_")[0].split("-")[0].lower() in RTL_LANGUAGES else "ltr"


def _language_name(code: str | None, display_lang: str) -> str | None:
    """Name of language ``code`` in ``display_lang`` (en in ar: "الإنجليزية"), or None."""
    if not code:
        return None
    try:
        return Locale.parse(code).get_display_name(Locale.parse(display_lang))
    except (ValueError, TypeError, UnknownLocaleError):
        return None


def render_decision(template: str, context: dict[str, Any], *, lang: str) -> bytes:
    """Render ``templates/pdf/<template>`` in ``lang`` and return the PDF bytes.

    Must run inside a Flask application context whose Jinja environment has Flask-Babel
    installed and the globals ``format_date`` / ``format_datetime`` (flask_babel's).
    Adds to ``context``: ``lang``, ``dir`` ("rtl" for Arabic), ``qr_src`` (data: URI of
    the QR code of ``context["decision"]["verify_url"]``) and ``language_name`` (name of
    ``context["case"]["language"]`` in ``lang``).
    """
    html, css = _decision_source(template, context, lang=lang)
    return render_pdf(html, base_url=STATIC_BASE_URL, stylesheets=(css,))


def render_decision_html(template: str, context: dict[str, Any], *, lang: str) -> str:
    """The same document as one HTML page with its stylesheet inline, for where a PDF is not
    ready and nothing should wait for one (a browser prints it alike)."""
    html, css = _decision_source(template, context, lang=lang)
    return html.replace("</head>", f"<style>{css}</style></head>", 1)


def _decision_source(template: str, context: dict[str, Any], *,
                     lang: str) -> tuple[str, str]:
    if not has_app_context():
        raise RuntimeError("render_decision() needs a Flask application context")
    if not _TEMPLATE_NAME.match(template):
        raise ValueError(f"invalid PDF template name: {template!r}")
    verify_url = (context.get("decision") or {}).get("verify_url")
    extra = {
        "lang": lang,
        "dir": text_direction(lang),
        "qr_src": qr_data_uri(verify_url) if verify_url else None,
        "language_name": _language_name((context.get("case") or {}).get("language"), lang),
    }
    with force_locale(lang):
        html = render_template(f"pdf/{template}", **{**context, **extra})
        css = render_template("pdf/pdf.css", dir=extra["dir"])
    return html, css
