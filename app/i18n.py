"""Translation lookups for pages, emails and PDFs, cheap enough to call hundreds of times a page.

Flask-Babel chooses the locale (its selector, `force_locale`) and loads the catalogs; these
functions only read its choice. Its own `gettext` re-resolves the request context, the domain and
the locale identifier on every call (≈ 11 µs; ≈ 20 µs through Jinja's i18n wrapper), which was
a fifth of a list page's CPU time. Here a call is one attribute read and a dict lookup (≈ 2 µs),
and the translations are cached per language for the life of the worker (Flask-Babel caches
them the same way). `force_locale` still works: it replaces the locale the next call reads.
"""

from __future__ import annotations

from typing import Any

from babel.support import NullTranslations
from flask.globals import _cv_app
from flask_babel import get_locale, get_translations
from flask_babel.speaklater import LazyString
from jinja2 import pass_eval_context
from jinja2.nodes import EvalContext
from markupsafe import Markup

_BY_LANGUAGE: dict[str, NullTranslations] = {}
_NULL = NullTranslations()


def current_language() -> str:
    """The language code of the current request, email or PDF ('en', 'ar', 'fr')."""
    app_context = _cv_app.get(None)  # what `flask.g` resolves to, without the proxy's cost
    if app_context is None:
        return "en"
    namespace = app_context.g.__dict__.get("_flask_babel")
    locale = getattr(namespace, "babel_locale", None)
    if locale is None:
        locale = get_locale()
    return locale.language if locale is not None else "en"


def translations() -> NullTranslations:
    if _cv_app.get(None) is None:
        return _NULL
    language = current_language()
    found = _BY_LANGUAGE.get(language)
    if found is None:
        found = _BY_LANGUAGE[language] = get_translations()
    return found


def gettext(string: str, **variables: Any) -> str:
    text = translations().ugettext(string)
    return text % variables if variables else text


def ngettext(singular: str, plural: str, num: int, **variables: Any) -> str:
    variables.setdefault("num", num)
    return translations().ungettext(singular, plural, num) % variables


def lazy_gettext(string: str, **variables: Any) -> LazyString:
    """A string translated when it is shown, in the language of that moment (form labels,
    module-level label tables)."""
    return LazyString(gettext, string, **variables)


@pass_eval_context
def template_gettext(context: EvalContext, string: str, **variables: Any) -> str:
    """`_()` in templates, with the semantics of Jinja's new-style gettext: the translation is
    markup-safe in autoescaped templates and the variables are escaped into it."""
    text = translations().ugettext(string)
    if context.autoescape:
        text = Markup(text)  # noqa: S704  (our own catalogs, as in Jinja's i18n extension)
    return text % variables if variables else text
