"""C27 — files are stored under names the server makes (ASVS 5.3.1, 5.3.2): `cases/<case
id>/<128 random bits in hex>`, in a store outside any directory the web server serves. The name
a user gave is metadata only — shown, and sent back as the download's name — so Windows device
names, dots, quotes, percent-escapes, Arabic, 200 characters: none of them ever becomes part of
a path. Names that could disguise a file or climb folders (`../`, `/`, `\\`, control and
bidi-override characters) are refused outright (tests/http/test_input.py)."""

from __future__ import annotations

import re
from pathlib import Path

from tests.helpers import documents, served_case, stored_files, upload

HOSTILE_BUT_ACCEPTED = ["CON.txt", "NUL.txt", "..txt", "...txt", " spaced .txt",
                        "quote'and;semicolon.txt", "%2e%2e%2fetc%2fpasswd.txt",
                        "شهادة الشاهد.txt", "a" * 196 + ".txt", "$(reboot).txt",
                        "<script>.txt"]
STORED = re.compile(r"cases/\d+/[0-9a-f]{32}")


def test_hostile_names_are_metadata_and_never_a_path(app, people):
    number, _respondent = served_case(app, people)
    files = [(name, f"content of {i}".encode()) for i, name in enumerate(HOSTILE_BUT_ACCEPTED)]
    for start in range(0, len(files), 5):  # a form takes a few files at a time
        upload(people.client("claimant"), number, files[start:start + 5])
    stored = documents()
    assert [d.original_name for d in stored] == [n.strip() for n in HOSTILE_BUT_ACCEPTED]
    root = Path(app.config["STORAGE_URL"].removeprefix("file://")).resolve()
    on_disk = sorted(str(p.relative_to(root)) for p in stored_files(app))
    assert on_disk == sorted(d.storage_key for d in stored)
    for key in on_disk:
        assert STORED.fullmatch(key), key
    everything = [str(p.relative_to(root)) for p in root.rglob("*")]
    for name in HOSTILE_BUT_ACCEPTED:
        stem = name.strip().rsplit(".", 1)[0]
        assert not any(stem and stem in path for path in everything), name
    static = Path(app.static_folder).resolve()
    assert static not in root.parents and root != static


def test_the_default_store_is_outside_the_served_directories():
    import config

    default = Path(config.Config.STORAGE_URL.removeprefix("file://")).resolve()
    assert Path(config.BASE_DIR / "app" / "static").resolve() not in default.parents
    assert Path(config.BASE_DIR / "templates").resolve() not in default.parents
