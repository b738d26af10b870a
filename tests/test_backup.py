"""`flask backup create` and `flask backup restore`: a backup made while users keep uploading
restores into a fresh database and store on which `flask storage check` and `flask audit
verify` pass, every document downloads with its bytes, and the database holds exactly the rows
the manifest counted. A damaged backup or a non-empty target is refused before anything is
touched. On SQLite the live database is a file (the online backup API needs one that other
connections write to); on PostgreSQL the restore goes into a scratch database."""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import create_engine, func, inspect, select, table, text

import config
from app import create_app
from app.extensions import db
from app.models import Case, Decision, Document, ExhibitIndexPdf
from app.services import backup
from app.services.storage import get_storage
from tests.conftest import ON_POSTGRES, IsolatedClient, login
from tests.helpers import act, file_complaint, into_mediation, pdf_bytes, upload

PG_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
# A scratch database named after the test database, so parallel suites do not collide.
PG_RESTORE = os.environ.get("TEST_DATABASE_URL", "").rsplit("/", 1)[-1] + "_restore"


def _settings(database_url: str, storage: Path) -> config.TestConfig:
    settings = config.TestConfig()
    settings.SQLALCHEMY_DATABASE_URI = database_url
    settings.SQLALCHEMY_ENGINE_OPTIONS = {}
    settings.STORAGE_URL = f"file://{storage}"
    return settings


@pytest.fixture
def app(app, tmp_path) -> Iterator[Flask]:
    """The live app: the suite's own on PostgreSQL; on SQLite a file database instead of the
    shared in-memory one, so that a writer thread and the backup really are two
    connections."""
    if ON_POSTGRES:
        yield app
        return
    live = create_app(_settings(f"sqlite:///{tmp_path / 'live.db'}", tmp_path / "storage"))
    live.test_client_class = IsolatedClient
    with live.app_context():
        db.create_all()
        yield live
        db.session.remove()
        db.engine.dispose()


def _recreate(name: str) -> None:
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        conn.execute(text(f"CREATE DATABASE {name}"))
    admin.dispose()


def _drop(name: str) -> None:
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
    admin.dispose()


@pytest.fixture
def target(tmp_path) -> Iterator[Flask]:
    """A fresh, empty database and store to restore into (its context is not pushed: the
    test enters it where it means to act on the restored copy)."""
    if ON_POSTGRES:
        _recreate(PG_RESTORE)
        url = f"postgresql+psycopg://postgres@127.0.0.1:5432/{PG_RESTORE}"
    else:
        url = f"sqlite:///{tmp_path / 'restored.db'}"
    restored = create_app(_settings(url, tmp_path / "restored-storage"))
    restored.test_client_class = IsolatedClient
    yield restored
    with restored.app_context():
        db.session.remove()
        db.engine.dispose()
    if ON_POSTGRES:
        _drop(PG_RESTORE)


def cli(app: Flask, *args: str):
    """Run a command against `app` (commands run in whichever app context is current)."""
    with app.app_context():
        return app.test_cli_runner().invoke(args=list(args))


def manifest_of(path: Path) -> dict:
    return json.loads((path / "manifest.json").read_text())


def objects_of(path: Path) -> dict[str, dict]:
    lines = (path / "objects.jsonl").read_text().splitlines()
    return {entry["key"]: entry for entry in map(json.loads, lines)}


def table_counts() -> dict[str, int]:
    names = inspect(db.engine).get_table_names()
    return {name: db.session.scalar(select(func.count()).select_from(table(name)))
            for name in names}


def open_case(people) -> str:
    """A filed case in review, with two documents."""
    number = file_complaint(people.client("claimant"))
    act(people.client("manager"), number, "accept_filing")
    upload(people.client("claimant"), number, [("evidence.pdf", pdf_bytes()),
                                               ("note.txt", b"A note, \xd9\x85\xd8\xb0.")])
    return number


def settled_case(app, people) -> str:
    """A case with documents of both sides, an exhibit-index PDF and an issued settlement."""
    number = into_mediation(app, people)
    upload(people.client("claimant"), number, [("invoice.pdf", pdf_bytes(2))], title="Invoice")
    upload(people.client("respondent"), number, [("licence.txt", b"licence")], title="Licence")
    asked = people.client("claimant").get(f"/cases/{number}/documents/exhibits.pdf")
    assert asked.status_code == 202  # a job renders it, after this request
    exhibits = people.client("claimant").get(f"/cases/{number}/documents/exhibits.pdf")
    assert exhibits.status_code == 200
    act(people.client("respondent"), number, "propose_settlement",
        {"terms": "The respondent withdraws all listings within 7 days."})
    act(people.client("claimant"), number, "accept_settlement")
    return number


class Uploader(threading.Thread):
    """Keeps uploading to a case from its own thread, app context and client, until told to
    stop; counts what committed."""

    def __init__(self, app: Flask, client, number: str) -> None:
        super().__init__(daemon=True)
        self.app, self.client, self.number = app, client, number
        self.stop = threading.Event()
        self.done = 0
        self.errors: list[str] = []
        self.changed = threading.Condition()

    def run(self) -> None:
        with self.app.app_context():
            while not self.stop.is_set() and len(self.errors) < 3:
                response = upload(self.client, self.number,
                                  [(f"late-{self.done}.txt", f"late {self.done}".encode())],
                                  expect=None)
                with self.changed:
                    if response.status_code == 302:
                        self.done += 1
                    else:
                        self.errors.append(f"{response.status_code}: "
                                           f"{response.get_data(as_text=True)[:300]}")
                    self.changed.notify_all()

    def wait_for(self, count: int, timeout: float = 60) -> None:
        with self.changed:
            assert self.changed.wait_for(lambda: self.done >= count or self.errors, timeout)
        assert not self.errors, self.errors


def test_round_trip_while_uploads_continue(app, people, target, tmp_path, monkeypatch):
    settled = settled_case(app, people)
    busy = open_case(people)
    writer = Uploader(app, people.client("claimant"), busy)
    writer.start()
    writer.wait_for(1)

    # Hold the copy of the store until uploads have committed after the snapshot: these are
    # the bytes (and, on PostgreSQL, the rows written while pg_dump runs) that must stay out.
    fetch = backup._fetch
    after_snapshot = threading.Event()

    def fetch_once_writes_went_on(storage, key, dest):
        if not after_snapshot.is_set():
            writer.wait_for(writer.done + 2)
            after_snapshot.set()
        return fetch(storage, key, dest)

    monkeypatch.setattr(backup, "_fetch", fetch_once_writes_went_on)
    out = tmp_path / "backup"
    try:
        made = cli(app, "backup", "create", "--output", str(out))
    finally:
        writer.stop.set()
        writer.join(30)
    assert made.exit_code == 0, made.output
    assert after_snapshot.is_set() and not writer.errors
    assert "backup complete" in made.output

    manifest, objects = manifest_of(out), objects_of(out)
    live_documents = db.session.scalars(select(Document)).all()
    assert len(live_documents) > manifest["database"]["tables"]["documents"]  # writes went on
    late = {d.storage_key for d in live_documents} - set(objects)
    assert late and not any((out / "objects" / key).exists() for key in late)
    assert {e["table"] for e in objects.values()} == {"documents", "decisions",
                                                       "exhibit_index_pdfs"}
    for key, entry in objects.items():
        assert (out / "objects" / key).read_bytes() == get_storage().read(key)
        assert entry["size"] == len(get_storage().read(key))

    restored = cli(target, "backup", "restore", str(out))
    assert restored.exit_code == 0, restored.output
    assert cli(target, "storage", "check").exit_code == 0
    verified = cli(target, "audit", "verify")
    assert verified.exit_code == 0, verified.output

    with target.app_context():
        # Exactly the rows the manifest counted, and exactly the objects it lists.
        assert table_counts() == manifest["database"]["tables"]
        keys = {k for k, _s, _t in db.session.execute(backup.recorded_objects())}
        assert keys == set(objects)
        assert {i.key for i in get_storage().list()} == set(objects)
        documents = db.session.execute(select(Document.id, Document.storage_key, Case.number)
                                       .join(Case, Case.id == Document.case_id)).all()
        decision = db.session.scalar(select(Decision))
    assert decision is not None and decision.status == "issued"
    assert len(documents) == manifest["database"]["tables"]["documents"]

    manager = target.test_client()
    login(manager, "manager@example.test")
    for document_id, key, number in documents:
        response = manager.get(f"/cases/{number}/documents/{document_id}/download")
        assert response.status_code == 200
        assert response.data == get_storage().read(key)  # the live store's bytes
    award = manager.get(f"/cases/{settled}/decisions/{decision.id}.pdf")
    assert award.status_code == 200
    assert award.data == get_storage().read(decision.storage_key)


def _backup(app, people, tmp_path) -> Path:
    open_case(people)
    out = tmp_path / "backup"
    made = cli(app, "backup", "create", "--output", str(out))
    assert made.exit_code == 0, made.output
    return out


def _untouched(target: Flask) -> None:
    with target.app_context():
        assert backup._tables_with_rows(db.engine) == []
        assert inspect(db.engine).get_table_names() == []
        assert list(get_storage().list()) == []


def _flip_a_byte(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))


def _edit_manifest(out: Path, **changes) -> None:
    manifest = manifest_of(out)
    for dotted, value in changes.items():
        *path, last = dotted.split("__")
        node = manifest
        for part in path:
            node = node[part]
        node[last] = value
    (out / "manifest.json").write_text(json.dumps(manifest))


@pytest.mark.parametrize("damage", ["object", "database", "list", "manifest", "missing",
                                    "newer", "other_kind"])
def test_a_damaged_backup_is_refused_before_anything_is_touched(app, people, target, tmp_path,
                                                                damage):
    out = _backup(app, people, tmp_path)
    manifest = manifest_of(out)
    first = next(iter(objects_of(out)))
    if damage == "object":
        _flip_a_byte(out / "objects" / first)
    elif damage == "database":
        _flip_a_byte(out / manifest["database"]["file"])
    elif damage == "list":
        (out / "objects.jsonl").write_text("")
    elif damage == "manifest":
        (out / "manifest.json").unlink()  # what an interrupted backup looks like
    elif damage == "missing":
        (out / "objects" / first).unlink()
    elif damage == "newer":  # made by a later version of the code
        _edit_manifest(out, schema_revision="0123456789ab")
    else:
        _edit_manifest(out, database__kind="sqlite" if ON_POSTGRES else "postgresql")
    refused = cli(target, "backup", "restore", str(out))
    assert refused.exit_code == 1
    expected = {"object": "is damaged", "database": "is damaged", "list": "is damaged",
                "manifest": "no manifest.json", "missing": "is missing",
                "newer": "unknown to this version", "other_kind": "the configured database is"
                }[damage]
    assert expected in refused.output
    _untouched(target)
    verified = cli(target, "backup", "verify", str(out))
    assert verified.exit_code == (0 if damage in ("newer", "other_kind") else 1)


def test_a_non_empty_target_is_refused_unless_forced(app, people, target, tmp_path):
    out = _backup(app, people, tmp_path)
    assert cli(target, "backup", "verify", str(out)).exit_code == 0
    assert cli(target, "backup", "restore", str(out)).exit_code == 0
    again = cli(target, "backup", "restore", str(out))
    assert again.exit_code == 1
    assert "not empty" in again.output and "documents" in again.output
    with target.app_context():  # the first restore stands
        assert table_counts() == manifest_of(out)["database"]["tables"]
    forced = cli(target, "backup", "restore", str(out), "--force")
    assert forced.exit_code == 0, forced.output
    assert cli(target, "storage", "check").exit_code == 0
    assert cli(target, "audit", "verify").exit_code == 0
    with target.app_context():
        assert table_counts() == manifest_of(out)["database"]["tables"]


def test_an_exhibit_index_pruned_during_the_backup_is_dropped_on_restore(
        app, people, target, tmp_path, monkeypatch):
    number = open_case(people)
    for expected in (202, 200):  # asked for (a job renders it after the request), then served
        assert people.client("claimant").get(
            f"/cases/{number}/documents/exhibits.pdf").status_code == expected
    [rendering] = db.session.scalars(select(ExhibitIndexPdf)).all()
    fetch = backup._fetch

    def pruned_meanwhile(storage, key, dest):
        if key == rendering.storage_key:
            storage.delete(key)  # what the exhibit-index job's pruning does
        return fetch(storage, key, dest)

    monkeypatch.setattr(backup, "_fetch", pruned_meanwhile)
    out = tmp_path / "backup"
    made = cli(app, "backup", "create", "--output", str(out))
    assert made.exit_code == 0, made.output
    assert manifest_of(out)["pruned"] == [{"table": "exhibit_index_pdfs",
                                            "key": rendering.storage_key}]
    assert rendering.storage_key not in objects_of(out)
    restored = cli(target, "backup", "restore", str(out))
    assert restored.exit_code == 0, restored.output
    assert "removed 1 exhibit-index rows" in restored.output
    assert cli(target, "storage", "check").exit_code == 0
    with target.app_context():
        assert db.session.scalars(select(ExhibitIndexPdf)).all() == []


def test_a_store_that_disagrees_with_the_database_fails_the_backup(app, people, tmp_path):
    open_case(people)
    document = db.session.scalars(select(Document)).first()
    Path(get_storage()._path(document.storage_key)).write_bytes(b"tampered")
    out = tmp_path / "backup"
    made = cli(app, "backup", "create", "--output", str(out))
    assert made.exit_code == 1
    assert f"hash mismatch: {document.storage_key}" in made.output
    assert not out.exists()  # nothing that could pass for a backup


def test_the_default_output_is_a_timestamped_folder_under_instance(app, people, tmp_path,
                                                                    monkeypatch):
    monkeypatch.setattr(app, "instance_path", str(tmp_path / "instance"))
    made = cli(app, "backup", "create")
    assert made.exit_code == 0, made.output
    [folder] = (tmp_path / "instance" / "backups").iterdir()
    assert folder.name.endswith("Z") and (folder / "manifest.json").is_file()
