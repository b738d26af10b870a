"""The Arabic and French catalogs are complete and keep every placeholder of the English.

Reads the .po files as they are on disk, so a string added by `make translations` and not yet
translated (or left fuzzy by a merge) fails here before it reaches a user in English.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.pofile import read_po

TRANSLATIONS = Path(__file__).resolve().parents[2] / "app" / "translations"
LOCALES = ("ar", "fr")
# %(name)s, %(number)d ... and a bare %s / %d; "%%" is a literal percent sign, not a placeholder.
PLACEHOLDER = re.compile(r"%(?:\([A-Za-z_][A-Za-z0-9_]*\))?[-#0 +]*\d*(?:\.\d+)?[sdifeEgGxXor]")


def load(locale: str) -> Catalog:
    with (TRANSLATIONS / locale / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        return read_po(handle, locale=locale)


def messages(catalog: Catalog) -> list[Message]:
    return [message for message in catalog if message.id]


def forms(value: str | tuple[str, ...] | list[str]) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


def placeholders(text: str) -> set[str]:
    return set(PLACEHOLDER.findall(text.replace("%%", "")))


@pytest.fixture(scope="module", params=LOCALES)
def catalog(request) -> Catalog:
    return load(request.param)


def test_catalog_is_not_empty(catalog: Catalog) -> None:
    assert messages(catalog), f"{catalog.locale}: no messages read"


def test_every_message_is_translated(catalog: Catalog) -> None:
    expected = catalog.num_plurals
    untranslated = []
    for message in messages(catalog):
        strings = forms(message.string)
        if not all(strings) or (message.pluralizable and len(strings) != expected):
            untranslated.append(message.id)
    assert not untranslated, f"{catalog.locale}: untranslated: {untranslated}"


def test_no_message_is_fuzzy(catalog: Catalog) -> None:
    assert not catalog.fuzzy, f"{catalog.locale}: the header is marked fuzzy"
    fuzzy = [message.id for message in messages(catalog) if message.fuzzy]
    assert not fuzzy, f"{catalog.locale}: fuzzy: {fuzzy}"


def test_placeholders_match(catalog: Catalog) -> None:
    mismatched = []
    for message in messages(catalog):
        if not message.python_format:
            continue
        # A plural entry: every msgstr[n] must carry the placeholders of msgid and msgid_plural.
        expected = set().union(*(placeholders(text) for text in forms(message.id)))
        for translated in forms(message.string):
            if translated and placeholders(translated) != expected:
                mismatched.append((message.id, translated))
    assert not mismatched, f"{catalog.locale}: placeholders differ: {mismatched}"


def test_leading_and_trailing_whitespace_kept(catalog: Catalog) -> None:
    def edges(text: str) -> tuple[str, str]:
        return text[: len(text) - len(text.lstrip())], text[len(text.rstrip()):]

    changed = [message.id for message in messages(catalog)
               if any(edges(translated) != edges(forms(message.id)[0])
                      for translated in forms(message.string) if translated)]
    assert not changed, f"{catalog.locale}: leading/trailing whitespace differs: {changed}"
