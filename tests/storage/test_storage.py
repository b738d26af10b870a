"""One storage test-suite, run against the local directory and against S3 (moto server):
the interface, crash safety of uploads through HTTP, and `flask storage check`."""

from __future__ import annotations

import hashlib
import io
import time
import uuid
from contextlib import contextmanager

import pytest
from sqlalchemy import event
from sqlalchemy.orm import Session

from app.documents import service
from app.extensions import db
from app.models import Document
from app.services import storage
from app.services.storage import StorageError, check_store, get_storage
from tests.helpers import documents, pdf_bytes, served_case, upload


def keys() -> set[str]:
    return {item.key for item in get_storage().list()
            if not item.key.startswith(".health")}


class Boom(RuntimeError):
    pass


# --- the interface -----------------------------------------------------------------------

def test_save_streams_hashes_and_reads_back(app, backend):
    store = get_storage()
    data = b"\x00\x01" * (storage.CHUNK + 7)  # more than one chunk
    stored = store.save(io.BytesIO(data), prefix="cases/1", suffix=".bin")
    assert stored.size == len(data) and stored.sha256 == hashlib.sha256(data).hexdigest()
    assert stored.key.startswith("cases/1/") and stored.key.endswith(".bin")
    assert store.exists(stored.key) and store.read(stored.key) == data
    assert b"".join(store.iter_chunks(stored.key)) == data
    assert store.sha256(stored.key) == stored.sha256
    assert [i.key for i in store.list()] == [stored.key]
    store.delete(stored.key)
    assert not store.exists(stored.key) and keys() == set()


@pytest.mark.parametrize("key", ["../escape", "cases/../../x", "/abs", "a//b", "a/./b", ""])
def test_keys_are_checked(app, backend, key):
    with pytest.raises(StorageError):
        get_storage().exists(key)


def test_a_failure_while_streaming_leaves_nothing(app, backend):
    class Failing(io.RawIOBase):
        def __init__(self):
            self.sent = 0

        def readable(self):
            return True

        def readinto(self, buffer):
            if self.sent > 3 * storage.CHUNK:
                raise Boom("client went away")
            buffer[:] = b"x" * len(buffer)
            self.sent += len(buffer)
            return len(buffer)

    with pytest.raises(Boom):
        get_storage().save(io.BufferedReader(Failing()), prefix="cases/1")
    assert keys() == set()


def test_put_writes_under_the_given_key_and_overwrites_only_when_asked(app, backend):
    """What a restore does: bytes back under the key their row names."""
    store = get_storage()
    data = b"\x07" * (storage.CHUNK + 3)
    stored = store.put("cases/9/restored.pdf", io.BytesIO(data))
    assert stored.key == "cases/9/restored.pdf" and stored.size == len(data)
    assert stored.sha256 == hashlib.sha256(data).hexdigest() and store.read(stored.key) == data
    with pytest.raises(StorageError, match="already exists"):
        store.put("cases/9/restored.pdf", io.BytesIO(b"other"))
    assert store.read(stored.key) == data
    store.put("cases/9/restored.pdf", io.BytesIO(b"other"), overwrite=True)
    assert store.read(stored.key) == b"other" and keys() == {"cases/9/restored.pdf"}
    with pytest.raises(StorageError):
        store.put("../escape", io.BytesIO(b"x"))


def test_health_check_writes_and_cleans_up(app, backend):
    get_storage().check()
    assert keys() == set()


# --- uploads through HTTP: no row without bytes, whatever fails ------------------------

def test_failure_while_streaming_an_upload(app, people, backend, monkeypatch):
    number, respondent = served_case(app, people)
    real_read = storage._Hashing.read

    def failing_read(self, n=-1):
        if self.size:
            raise Boom("disk full")
        return real_read(self, 1024)

    monkeypatch.setattr(storage._Hashing, "read", failing_read)
    with pytest.raises(Boom):  # the test client re-raises what would be a 500 page
        upload(people.client("claimant"), number, [("big.txt", b"y" * 10_000)], expect=None)
    assert documents() == [] and keys() == set()
    assert "big.txt" not in respondent.get(f"/cases/{number}/documents/").get_data(True)


def test_failure_after_the_bytes_are_in_place_before_the_commit(app, people, backend,
                                                                 monkeypatch, runner):
    number, respondent = served_case(app, people)
    monkeypatch.setattr(service, "_notify", lambda *a, **k: (_ for _ in ()).throw(Boom()))
    with pytest.raises(Boom):
        upload(people.client("claimant"), number, expect=None)
    assert documents() == [] and keys() == set()  # the bytes were discarded
    # A crash at the same point (no chance to discard) leaves bytes without a row:
    monkeypatch.setattr(service, "discard", lambda keys: None)
    with pytest.raises(Boom):
        upload(people.client("claimant"), number, expect=None)
    assert documents() == [] and len(keys()) == 1
    assert respondent.get(f"/cases/{number}/documents/").get_data(True).count("download") == 0
    orphan = next(iter(keys()))
    report = runner.invoke(args=["storage", "check", "--grace", "0"])
    assert report.exit_code == 1 and f"orphan bytes: {orphan}" in report.output
    repaired = runner.invoke(args=["storage", "check", "--grace", "0", "--repair"])
    assert repaired.exit_code == 0 and f"removed: {orphan}" in repaired.output
    assert keys() == set()
    assert runner.invoke(args=["storage", "check"]).exit_code == 0


@contextmanager
def commits_fail(when: str, exc: BaseException):
    """Every commit fails: before it reaches the database ("before_commit": nothing is
    recorded), or after it went through ("after_commit": the answer was lost)."""
    def fail(*args):
        raise exc

    event.listen(Session, when, fail)
    try:
        yield
    finally:
        event.remove(Session, when, fail)


def test_failure_in_the_commit_itself(app, people, backend, monkeypatch, runner):
    number, _respondent = served_case(app, people)
    with commits_fail("before_commit", Boom("db gone")), pytest.raises(Boom):
        upload(people.client("claimant"), number, expect=None)
    assert documents() == [] and keys() == set()
    # And when the process dies in the commit (nothing discarded), the check finds it.
    monkeypatch.setattr(service, "discard", lambda keys: None)
    with commits_fail("before_commit", Boom("killed")), pytest.raises(Boom):
        upload(people.client("claimant"), number, expect=None)
    monkeypatch.undo()
    assert documents() == [] and len(keys()) == 1
    assert runner.invoke(args=["storage", "check", "--grace", "0"]).exit_code == 1
    assert runner.invoke(args=["storage", "check", "--grace", "0", "--repair"]).exit_code == 0
    assert keys() == set()


def test_bytes_of_a_commit_that_went_through_are_kept_even_if_its_answer_was_lost(
        app, people, backend, runner, monkeypatch):
    """Only a commit that failed deletes the bytes: one whose answer was lost (the
    connection dropped after the database committed) recorded them."""
    number, _respondent = served_case(app, people)
    dialect = db.engine.dialect
    real_commit = dialect.do_commit

    lost = []

    def commit_then_lose_the_answer(dbapi_connection):
        real_commit(dbapi_connection)
        if not lost:  # the upload's commit; the ones after it go through
            lost.append(True)
            raise dialect.loaded_dbapi.OperationalError("connection lost after COMMIT")

    monkeypatch.setattr(dialect, "do_commit", commit_then_lose_the_answer)
    response = upload(people.client("claimant"), number, expect=503)
    monkeypatch.undo()
    assert "may not have been saved" in response.get_data(as_text=True)
    [document] = documents()
    assert keys() == {document.storage_key}
    assert runner.invoke(args=["storage", "check", "--grace", "0"]).exit_code == 0


def test_repair_leaves_recent_bytes_alone(app, people, backend, runner):
    _number, _ = served_case(app, people)
    get_storage().save_bytes(b"an upload about to commit", prefix="cases/1")
    result = runner.invoke(args=["storage", "check", "--repair"])
    assert "left alone" in result.output and len(keys()) == 1


def test_check_reports_missing_bytes_and_hash_mismatches(app, people, backend, runner):
    number, _ = served_case(app, people)
    client = people.client("claimant")
    upload(client, number, [("one.pdf", pdf_bytes())])
    upload(client, number, [("two.txt", b"original")])
    assert runner.invoke(args=["storage", "check"]).exit_code == 0
    first, second = documents()
    store = get_storage()
    store.delete(first.storage_key)
    _overwrite(store, second.storage_key, b"tampered")
    result = runner.invoke(args=["storage", "check", "--repair"])
    assert result.exit_code == 1
    assert f"missing bytes: {first.storage_key}" in result.output
    assert f"hash mismatch: {second.storage_key}" in result.output
    assert db.session.get(Document, first.id) is not None  # repair never deletes rows


def _overwrite(store, key: str, data: bytes) -> None:
    if isinstance(store, storage.LocalStorage):
        store._path(key).write_bytes(data)
    else:
        store.client.put_object(Bucket=store.bucket, Key=store._name(key), Body=data)


def test_uploaded_bytes_round_trip_through_the_backend(app, people, backend):
    number, respondent = served_case(app, people)
    upload(people.client("claimant"), number, [("report.pdf", pdf_bytes())])
    document = documents()[0]
    assert document.storage_key in keys()
    response = respondent.get(f"/cases/{number}/documents/{document.id}/download")
    assert response.data == pdf_bytes()


def test_check_store_orders_by_age(app, backend):
    store = get_storage()
    stored = store.save_bytes(b"x", prefix="cases/9")
    report = check_store(store, {}, grace_seconds=60, now=time.time() + 120)
    assert report.orphans == [stored.key] and not report.recent_orphans


def test_an_interrupted_write_is_found_and_removed(app, backend, runner):
    """What a killed worker leaves mid-write: a .partial file, or an unfinished S3 upload."""
    store = get_storage()
    if backend == "local":
        partial = store.root / "cases" / "1" / ".0123abcd.partial"
        partial.parent.mkdir(parents=True)
        partial.write_bytes(b"half a file")
    else:
        store.client.create_multipart_upload(Bucket=store.bucket,
                                             Key=store._name("cases/1/0123abcd"))
    assert [i.partial for i in store.list()] == [True]
    result = runner.invoke(args=["storage", "check", "--grace", "0"])
    assert result.exit_code == 1 and "orphan bytes: cases/1/" in result.output
    assert runner.invoke(args=["storage", "check", "--grace", "0", "--repair"]).exit_code == 0
    assert list(store.list()) == []


# --- backups read from and restore into either backend ----------------------------------

def _fresh_store(app, backend: str, tmp_path):
    if backend == "local":
        return storage.LocalStorage(tmp_path / "fresh")
    import boto3

    bucket = f"fresh-{uuid.uuid4().hex[:12]}"
    boto3.client("s3", endpoint_url=app.config["STORAGE_S3_ENDPOINT"], region_name="us-east-1",
                 aws_access_key_id="testing", aws_secret_access_key="testing"
                 ).create_bucket(Bucket=bucket)
    return storage.storage_from_url(f"s3://{bucket}/restored", app.config)


def test_a_backup_copies_from_and_restores_into_the_backend(app, people, backend, tmp_path):
    from app.services import backup

    number, _respondent = served_case(app, people)
    upload(people.client("claimant"), number, [("a.pdf", pdf_bytes()), ("b.txt", b"b")])
    made = backup.create_backup(tmp_path / "b", engine=db.engine, storage=get_storage())
    assert made.objects == len(documents()) == 2
    manifest = backup.verify_backup(tmp_path / "b")
    fresh = _fresh_store(app, backend, tmp_path)
    backup._put_objects(tmp_path / "b", fresh, manifest["objects"]["count"], False,
                        lambda line: None, backup.WORKERS)
    for document in documents():
        assert fresh.read(document.storage_key) == get_storage().read(document.storage_key)

    get_storage().delete(documents()[0].storage_key)
    with pytest.raises(backup.BackupError, match="missing bytes"):
        backup.create_backup(tmp_path / "c", engine=db.engine, storage=get_storage())
    assert not (tmp_path / "c").exists()
