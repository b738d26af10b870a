"""Where document and decision bytes live, behind a narrow interface.

Writes are crash-safe: bytes stream to a temporary file in the target directory while the
SHA-256 is computed, are fsynced, then renamed into place. The database row is written only
afterwards, so a crash leaves at worst an orphan file, never a row without its bytes.
Keys are generated here, never taken from user input, and every path is checked to stay
inside the storage root.
"""

from __future__ import annotations

import hashlib
import os
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO
from urllib.parse import urlparse

from flask import current_app

CHUNK = 1024 * 1024


@dataclass(frozen=True)
class StoredObject:
    key: str
    size: int
    sha256: str


class StorageError(Exception):
    pass


class LocalStorage:
    def __init__(self, root: str | Path) -> None:
        self.root = Path(root).resolve()

    def _path(self, key: str) -> Path:
        path = (self.root / key).resolve()
        if self.root not in path.parents:
            raise StorageError(f"key escapes the storage root: {key!r}")
        return path

    def new_key(self, prefix: str, suffix: str = "") -> str:
        return f"{prefix}/{secrets.token_hex(16)}{suffix}"

    def save(self, stream: BinaryIO, *, prefix: str, suffix: str = "") -> StoredObject:
        key = self.new_key(prefix, suffix)
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.partial")
        digest = hashlib.sha256()
        size = 0
        try:
            with open(tmp, "xb") as out:
                while chunk := stream.read(CHUNK):
                    digest.update(chunk)
                    out.write(chunk)
                    size += len(chunk)
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp, path)
            _fsync_dir(path.parent)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        return StoredObject(key=key, size=size, sha256=digest.hexdigest())

    def save_bytes(self, data: bytes, *, prefix: str, suffix: str = "") -> StoredObject:
        import io

        return self.save(io.BytesIO(data), prefix=prefix, suffix=suffix)

    def open(self, key: str) -> BinaryIO:
        return open(self._path(key), "rb")

    def iter_chunks(self, key: str) -> Iterator[bytes]:
        with self.open(key) as fh:
            while chunk := fh.read(CHUNK):
                yield chunk

    def read(self, key: str) -> bytes:
        with self.open(key) as fh:
            return fh.read()

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    def check(self) -> None:
        """Raise if the store cannot be written (for /healthz)."""
        self.root.mkdir(parents=True, exist_ok=True)
        probe = self.save_bytes(b"ok", prefix=".health")
        self.delete(probe.key)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def get_storage() -> LocalStorage:
    url = urlparse(current_app.config["STORAGE_URL"])
    if url.scheme == "file":
        return LocalStorage(url.path)
    raise StorageError(f"unsupported STORAGE_URL scheme {url.scheme!r}")
