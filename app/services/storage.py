"""Where document and decision bytes live, behind one narrow interface.

Two backends implement `Storage`: a local directory (the default, under instance/) and
S3-compatible object storage (`STORAGE_URL=s3://bucket/prefix`, `STORAGE_S3_ENDPOINT` for a
non-AWS server). Both are crash-safe the same way: the bytes are streamed to a place no
reader looks (a `.partial` file; an S3 upload that is invisible until it completes) while the
SHA-256 is computed, made durable (fsync + rename; S3's atomic completion), and only then
does the caller write the database row. A crash therefore leaves at worst bytes without a
row — which `flask storage check` reports and `--repair` removes — never a row without bytes.

Keys are generated here, never taken from user input, and every key is checked.
"""

from __future__ import annotations

import errno
import hashlib
import io
import os
import re
import secrets
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, Protocol
from urllib.parse import urlparse

from flask import current_app
from sqlalchemy import CompoundSelect, Select

CHUNK = 1024 * 1024
UPLOAD_MARK = "#upload="  # how an unfinished S3 multipart upload is listed
_KEY = re.compile(r"^[A-Za-z0-9._-]+(/[A-Za-z0-9._-]+)*$")


@dataclass(frozen=True)
class StoredObject:
    key: str
    size: int
    sha256: str


@dataclass(frozen=True)
class ListedObject:
    key: str
    size: int
    modified: float  # POSIX time
    partial: bool = False  # an unfinished write (local .partial file)


class StorageError(Exception):
    pass


class StorageFull(StorageError):
    """The store has no space left: the upload is refused whole (HTTP 507), nothing kept."""


_FULL_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT})


class Storage(Protocol):
    def save(self, stream: BinaryIO, *, prefix: str, suffix: str = "") -> StoredObject: ...
    def save_bytes(self, data: bytes, *, prefix: str, suffix: str = "") -> StoredObject: ...
    def put(self, key: str, stream: BinaryIO, *, overwrite: bool = False) -> StoredObject: ...
    def iter_chunks(self, key: str) -> Iterator[bytes]: ...
    def read(self, key: str) -> bytes: ...
    def exists(self, key: str) -> bool: ...
    def delete(self, key: str) -> None: ...
    def list(self) -> Iterator[ListedObject]: ...
    def sha256(self, key: str) -> str: ...
    def check(self) -> None: ...
    def free_bytes(self) -> int | None: ...


def check_key(key: str) -> str:
    if not _KEY.match(key) or any(part in (".", "..") for part in key.split("/")):
        raise StorageError(f"invalid storage key: {key!r}")
    return key


def new_key(prefix: str, suffix: str = "") -> str:
    return check_key(f"{prefix}/{secrets.token_hex(16)}{suffix}")


class _Hashing:
    """A read-only stream wrapper that hashes and counts what passes through it."""

    def __init__(self, stream: BinaryIO) -> None:
        self.stream = stream
        self.digest = hashlib.sha256()
        self.size = 0

    def read(self, n: int = -1) -> bytes:
        chunk = self.stream.read(CHUNK if n is None or n < 0 else n)
        self.digest.update(chunk)
        self.size += len(chunk)
        return chunk


class _Base:
    def save_bytes(self, data: bytes, *, prefix: str, suffix: str = "") -> StoredObject:
        saved: StoredObject = self.save(  # type: ignore[attr-defined]
            io.BytesIO(data), prefix=prefix, suffix=suffix)
        return saved

    def read(self, key: str) -> bytes:
        return b"".join(self.iter_chunks(key))  # type: ignore[attr-defined]

    def sha256(self, key: str) -> str:
        digest = hashlib.sha256()
        for chunk in self.iter_chunks(key):  # type: ignore[attr-defined]
            digest.update(chunk)
        return digest.hexdigest()

    def check(self) -> None:
        """Raise if the store cannot be written (for /healthz)."""
        probe = self.save_bytes(b"ok", prefix=".health")
        self.delete(probe.key)  # type: ignore[attr-defined]


class LocalStorage(_Base):
    def __init__(self, root: str | Path) -> None:
        self.root = Path(root).resolve()

    def _path(self, key: str) -> Path:
        path = (self.root / check_key(key)).resolve()
        if self.root not in path.parents:
            raise StorageError(f"key escapes the storage root: {key!r}")
        return path

    def save(self, stream: BinaryIO, *, prefix: str, suffix: str = "") -> StoredObject:
        key = new_key(prefix, suffix)
        return self._write(key, stream, tmp_mode="xb")

    def put(self, key: str, stream: BinaryIO, *, overwrite: bool = False) -> StoredObject:
        """Write bytes under a key chosen elsewhere — only a restore does, putting objects
        back under the keys their rows name. Same temp + fsync + rename as `save`; an
        existing object is an error unless `overwrite` (the restore's --force)."""
        if not overwrite and self._path(key).exists():
            raise StorageError(f"object already exists: {key}")
        # "wb": a .partial left by an interrupted restore is simply rewritten.
        return self._write(key, stream, tmp_mode="wb")

    def _write(self, key: str, stream: BinaryIO, *, tmp_mode: str) -> StoredObject:
        path = self._path(key)
        tmp = path.with_name(f".{path.name}.partial")
        reader = _Hashing(stream)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            with open(tmp, tmp_mode) as out:
                while chunk := reader.read(CHUNK):
                    out.write(chunk)
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp, path)
            _fsync_dir(path.parent)
        except BaseException as failure:
            tmp.unlink(missing_ok=True)
            if isinstance(failure, OSError) and failure.errno in _FULL_ERRNOS:
                raise StorageFull(f"no space left in {self.root}") from failure
            raise
        return StoredObject(key=key, size=reader.size, sha256=reader.digest.hexdigest())

    def open(self, key: str) -> BinaryIO:
        return open(self._path(key), "rb")

    def iter_chunks(self, key: str) -> Iterator[bytes]:
        with self.open(key) as fh:
            while chunk := fh.read(CHUNK):
                yield chunk

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    def delete_partial(self, key: str) -> None:
        path = (self.root / key).resolve()
        if self.root in path.parents and path.name.endswith(".partial"):
            path.unlink(missing_ok=True)

    def list(self) -> Iterator[ListedObject]:
        if not self.root.is_dir():
            return
        for dirpath, _dirs, files in os.walk(self.root):
            for name in files:
                path = Path(dirpath) / name
                stat = path.stat()
                key = path.relative_to(self.root).as_posix()
                yield ListedObject(key=key, size=stat.st_size, modified=stat.st_mtime,
                                   partial=name.startswith(".") and name.endswith(".partial"))

    def check(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        super().check()

    def free_bytes(self) -> int | None:
        return shutil.disk_usage(self.root).free


class S3Storage(_Base):
    """S3-compatible object storage. An object becomes visible only when its (multipart)
    upload completes, so the temporary name of the local backend is the upload itself;
    boto3 aborts a failed multipart upload, and a bucket lifecycle rule
    (AbortIncompleteMultipartUpload) sweeps uploads abandoned by a killed process."""

    def __init__(self, bucket: str, prefix: str = "", *, endpoint_url: str | None = None,
                 region: str | None = None, access_key: str | None = None,
                 secret_key: str | None = None) -> None:
        import boto3
        from boto3.s3.transfer import TransferConfig
        from botocore.config import Config

        self.bucket = bucket
        self.prefix = prefix.strip("/")
        self.client = boto3.client(
            "s3", endpoint_url=endpoint_url or None, region_name=region or None,
            aws_access_key_id=access_key or None, aws_secret_access_key=secret_key or None,
            config=Config(retries={"max_attempts": 3, "mode": "standard"}))
        # 8 MiB parts, two in flight: a large upload holds ~16 MiB, whatever its size.
        self.transfer = TransferConfig(multipart_threshold=8 * CHUNK,
                                       multipart_chunksize=8 * CHUNK, max_concurrency=2,
                                       use_threads=True)

    def _name(self, key: str) -> str:
        key = check_key(key)
        return f"{self.prefix}/{key}" if self.prefix else key

    def save(self, stream: BinaryIO, *, prefix: str, suffix: str = "") -> StoredObject:
        key = new_key(prefix, suffix)
        reader = _Hashing(stream)
        self.client.upload_fileobj(reader, self.bucket, self._name(key), Config=self.transfer)
        return StoredObject(key=key, size=reader.size, sha256=reader.digest.hexdigest())

    def put(self, key: str, stream: BinaryIO, *, overwrite: bool = False) -> StoredObject:
        """Write bytes under a key chosen elsewhere (a restore); refused over an existing
        object unless `overwrite`. The object appears when its upload completes."""
        if not overwrite and self.exists(key):
            raise StorageError(f"object already exists: {key}")
        reader = _Hashing(stream)
        self.client.upload_fileobj(reader, self.bucket, self._name(key), Config=self.transfer)
        return StoredObject(key=key, size=reader.size, sha256=reader.digest.hexdigest())

    def iter_chunks(self, key: str) -> Iterator[bytes]:
        body = self.client.get_object(Bucket=self.bucket, Key=self._name(key))["Body"]
        try:
            yield from body.iter_chunks(CHUNK)
        finally:
            body.close()

    def exists(self, key: str) -> bool:
        from botocore.exceptions import ClientError

        try:
            self.client.head_object(Bucket=self.bucket, Key=self._name(key))
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return False
            raise
        return True

    def delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=self._name(key))

    def list(self) -> Iterator[ListedObject]:
        paginator = self.client.get_paginator("list_objects_v2")
        start = f"{self.prefix}/" if self.prefix else ""
        for page in paginator.paginate(Bucket=self.bucket, Prefix=start):
            for item in page.get("Contents", []):
                yield ListedObject(key=item["Key"][len(start):], size=item["Size"],
                                   modified=item["LastModified"].timestamp())
        # Unfinished multipart uploads (a killed worker): invisible, but they cost storage.
        uploads = self.client.get_paginator("list_multipart_uploads")
        for page in uploads.paginate(Bucket=self.bucket, Prefix=start):
            for item in page.get("Uploads", []):
                yield ListedObject(key=f"{item['Key'][len(start):]}{UPLOAD_MARK}"
                                   f"{item['UploadId']}", size=0,
                                   modified=item["Initiated"].timestamp(), partial=True)

    def free_bytes(self) -> int | None:
        return None  # the object store has no disk of ours to fill

    def abort_upload(self, listed_key: str) -> None:
        key, upload_id = listed_key.split(UPLOAD_MARK, 1)
        self.client.abort_multipart_upload(Bucket=self.bucket, Key=self._name(key),
                                           UploadId=upload_id)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def storage_from_url(url: str, settings: dict[str, Any] | None = None,
                     ) -> LocalStorage | S3Storage:
    settings = settings or {}
    parsed = urlparse(url)
    if parsed.scheme == "file":
        return LocalStorage(parsed.netloc + parsed.path if parsed.netloc else parsed.path)
    if parsed.scheme == "s3":
        if not parsed.netloc:
            raise StorageError("STORAGE_URL s3://bucket/prefix needs a bucket")
        return S3Storage(parsed.netloc, parsed.path,
                         endpoint_url=settings.get("STORAGE_S3_ENDPOINT"),
                         region=settings.get("STORAGE_S3_REGION"),
                         access_key=settings.get("STORAGE_S3_ACCESS_KEY"),
                         secret_key=settings.get("STORAGE_S3_SECRET_KEY"))
    raise StorageError(f"unsupported STORAGE_URL scheme {parsed.scheme!r}")


def get_storage() -> LocalStorage | S3Storage:
    """The configured backend, built once per app and URL (an S3 client is costly)."""
    config = current_app.config
    url = config["STORAGE_URL"]
    cache: dict[tuple[str, str | None], LocalStorage | S3Storage] = \
        current_app.extensions.setdefault("sulh_storage", {})
    key = (url, config.get("STORAGE_S3_ENDPOINT"))
    if key not in cache:
        cache[key] = storage_from_url(url, config)
    return cache[key]


# --- consistency between the database and the store -------------------------------------

def recorded_objects() -> CompoundSelect[Any]:
    """Every stored object the database refers to, as rows (key, sha256, table): the one
    definition `flask storage check` and the backup share, so that a backup holds exactly
    what the check will look for after a restore."""
    from sqlalchemy import literal, select, union_all

    from app.models import Decision, Document, ExhibitIndexPdf

    def part(model: Any, table: str) -> Select[Any]:
        return select(model.storage_key.label("key"), model.sha256.label("sha256"),
                      literal(table).label("table")).where(model.storage_key.is_not(None))

    return union_all(part(Document, "documents"), part(Decision, "decisions"),
                     part(ExhibitIndexPdf, "exhibit_index_pdfs"))


@dataclass
class CheckReport:
    missing: list[str]  # rows whose bytes are gone
    orphans: list[str]  # bytes no row refers to (old enough to be safe to remove)
    recent_orphans: list[str]  # bytes without rows, too recent: maybe an upload in flight
    mismatched: list[str]  # bytes whose SHA-256 differs from the row's

    @property
    def clean(self) -> bool:
        return not (self.missing or self.orphans or self.mismatched)


def check_store(storage: Storage, recorded: dict[str, str | None], *, grace_seconds: float,
                verify_hashes: bool = True, now: float | None = None) -> CheckReport:
    """Compare the store with `recorded` ({key: sha256 or None}). Bytes without a row younger
    than `grace_seconds` are left alone: their upload may not have committed yet."""
    now = time.time() if now is None else now
    present: dict[str, object] = {}
    orphans: list[str] = []
    recent: list[str] = []
    for item in storage.list():
        if item.key.startswith(".health/") or item.key.split("/")[0] == ".health":
            continue
        if not item.partial and item.key in recorded:
            present[item.key] = item
            continue
        (orphans if now - item.modified >= grace_seconds else recent).append(item.key)
    missing = sorted(k for k in recorded if k not in present)
    mismatched = []
    if verify_hashes:
        for key, expected in sorted(recorded.items()):
            if key in present and expected and storage.sha256(key) != expected:
                mismatched.append(key)
    return CheckReport(missing=missing, orphans=sorted(orphans), recent_orphans=sorted(recent),
                       mismatched=mismatched)


def remove_orphan(storage: Storage, key: str) -> None:
    if isinstance(storage, S3Storage) and UPLOAD_MARK in key:
        storage.abort_upload(key)
    elif isinstance(storage, LocalStorage) and key.rsplit("/", 1)[-1].endswith(".partial"):
        storage.delete_partial(key)
    else:
        storage.delete(key)
