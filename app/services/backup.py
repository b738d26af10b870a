"""Backups of the database and the document store that agree with each other, and their restore.

A backup is a directory:

    manifest.json      written last: format, schema revision, the database file and the
                       object list with their sizes and SHA-256, the row count of every table
    database.pgdump    `pg_dump --format=custom` (PostgreSQL), or
    database.sqlite3   a copy made with SQLite's online backup API
    objects.jsonl      one line per stored object: key, size, SHA-256, the table naming it
    objects/<key>      the bytes of every object the database refers to, under its own key

*Consistent while the app keeps writing.* The store copy must hold exactly the objects the
database copy refers to: one more and the restored store has orphans, one fewer and a row has
no bytes — either way `flask storage check` fails on the restore. So the list of objects is
read from the database copy itself: on PostgreSQL inside a REPEATABLE READ transaction whose
snapshot is exported to `pg_dump --snapshot`; on SQLite from the finished copy. Uploads write
their bytes before their row commits and never delete the bytes of a committed document or
decision, so every object in the snapshot is still in the store when it is copied. The one
exception is an exhibit-index rendering pruned meanwhile (its row deleted, its file too): it is
a cache the page renders again on demand, so such a key is recorded under "pruned" and the
restore deletes its row.

*The object list is JSON Lines, not inside manifest.json*, so that neither making nor
restoring a backup of ten million documents holds the list in memory; the manifest pins the
list by its SHA-256, so the chain of trust still starts at one small file.

*A half-made backup is never mistaken for a complete one:* the manifest is written last
(temporary name, fsync, rename) after everything else has been synced to disk, and a failed
backup removes its directory. The objects themselves need no temporary names: nothing reads
them before the manifest exists, and a restore checks every size and SHA-256 first.

*A restore touches nothing until the whole backup is verified*, refuses a target that already
holds data unless forced, writes the objects before the database (the app's own order: bytes
before rows), and ends with the same comparison as `flask storage check`.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import tempfile
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import quote

from sqlalchemy import create_engine, delete, func, inspect, literal, select, table, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.engine.url import URL
from sqlalchemy.pool import NullPool

from app.services.storage import (
    CHUNK,
    CheckReport,
    StorageError,
    check_key,
    check_store,
    recorded_objects,
)

FORMAT = "sulh-backup"
VERSION = 1
MANIFEST = "manifest.json"
OBJECT_LIST = "objects.jsonl"
OBJECT_DIR = "objects"
DUMP_FILES = {"postgresql": "database.pgdump", "sqlite": "database.sqlite3"}
PRUNABLE = "exhibit_index_pdfs"  # a cache: its rows and files may go while a backup runs
LOCK_TIMEOUT_MS = 30_000  # pg_restore's wait for a lock held by an app left running
WORKERS = 4  # objects copied side by side (fsync and S3 round trips wait, they do not compute)

Log = Callable[[str], None]
T = TypeVar("T")
R = TypeVar("R")


class BackupError(Exception):
    """The backup could not be made, or cannot be restored; nothing was left half-done."""


@dataclass
class BackupResult:
    path: Path
    kind: str
    database_bytes: int
    objects: int
    object_bytes: int
    pruned: list[str]
    seconds: float


@dataclass
class RestoreResult:
    kind: str
    schema_revision: str | None
    objects: int
    object_bytes: int
    report: CheckReport
    recorded: int
    pruned_rows: int
    seconds: dict[str, float] = field(default_factory=dict)


def _quiet(_line: str) -> None:
    pass


class _Meter:
    """Progress lines at most every few seconds: a long copy shows it is alive, a short one
    prints one line."""

    def __init__(self, log: Log, verb: str, total: int, every: float = 5.0) -> None:
        self.log, self.verb, self.total, self.every = log, verb, total, every
        self.count = self.bytes = 0
        self.started = self.last = time.monotonic()

    def add(self, nbytes: int) -> None:
        self.count += 1
        self.bytes += nbytes
        if time.monotonic() - self.last >= self.every:
            self.last = time.monotonic()
            self.log(self.line())

    def line(self) -> str:
        took = time.monotonic() - self.started
        return (f"{self.verb} {self.count:,}/{self.total:,} objects, {_mb(self.bytes)} "
                f"({took:.1f} s)")


def _mb(nbytes: int) -> str:
    return f"{nbytes / 1e6:,.1f} MB"


def _in_order(fn: Callable[[T], R], items: Iterable[T], workers: int = WORKERS,
              window: int = 64) -> Iterator[tuple[T, R]]:
    """`fn` over `items` on a few threads, results in input order, at most `window` in
    flight — so a list of millions is streamed, never held."""
    if workers <= 1:
        for item in items:
            yield item, fn(item)
        return
    pending: deque[tuple[T, Future[R]]] = deque()
    with ThreadPoolExecutor(max_workers=workers) as pool:
        try:
            for item in items:
                pending.append((item, pool.submit(fn, item)))
                if len(pending) >= window:
                    first, future = pending.popleft()
                    yield first, future.result()
            while pending:
                first, future = pending.popleft()
                yield first, future.result()
        finally:
            for _, future in pending:
                future.cancel()


# --- files -------------------------------------------------------------------------------

def _hash_file(path: Path) -> tuple[int, str]:
    digest, size = hashlib.sha256(), 0
    with open(path, "rb") as fh:
        while chunk := fh.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return size, digest.hexdigest()


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_atomically(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.partial")
    with open(tmp, "wb") as out:
        out.write(data)
        out.flush()
        os.fsync(out.fileno())
    os.replace(tmp, path)
    _fsync(path.parent)


def _object_path(root: Path, key: str) -> Path:
    """Where a key's bytes sit in a backup; `check_key` keeps a forged manifest from
    reading or writing outside the backup."""
    return root / OBJECT_DIR / check_key(key)


# --- the database side -------------------------------------------------------------------

def _kind(engine: Engine) -> str:
    name = engine.dialect.name
    if name not in DUMP_FILES:
        raise BackupError(f"backups support PostgreSQL and SQLite, not {name}")
    return name


def _libpq(url: URL) -> tuple[str, dict[str, str]]:
    """A connection string for pg_dump/pg_restore (no SQLAlchemy driver suffix), with the
    password passed in the environment rather than on a command line `ps` shows."""
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    plain = url.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), env


def _tool(pg_bin: str, name: str) -> str:
    """pg_dump/pg_restore: from SULH_PG_BIN when set (they must be at least the server's
    major version), else from PATH."""
    path = str(Path(pg_bin) / name) if pg_bin else shutil.which(name)
    if not path or not Path(path).exists():
        raise BackupError(f"{name} not found (install the PostgreSQL client tools of the "
                          f"server's major version, or set SULH_PG_BIN)")
    return path


def _sqlite_path(engine: Engine) -> Path | None:
    database = engine.url.database
    if not database or database == ":memory:" or "mode=memory" in str(engine.url):
        return None
    return Path(database.removeprefix("file:").split("?", 1)[0])


def _table_counts(conn: Connection) -> dict[str, int]:
    names = sorted(inspect(conn).get_table_names())
    return {name: conn.execute(select(func.count()).select_from(table(name))).scalar_one()
            for name in names}


def _schema_revision(conn: Connection) -> str | None:
    if "alembic_version" not in inspect(conn).get_table_names():
        return None  # a schema made by create_all (tests), not by the migrations
    return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()


@dataclass
class _Snapshot:
    """The database as of one moment: `conn` reads it, `finish()` waits for its dump."""

    conn: Connection
    kind: str
    finish: Callable[[], None]


@contextmanager
def _postgres_snapshot(engine: Engine, dump: Path, pg_bin: str, log: Log
                       ) -> Iterator[_Snapshot]:
    """A REPEATABLE READ transaction exports its snapshot; pg_dump dumps exactly that
    snapshot while this transaction — which must stay open until pg_dump has imported it —
    lists the objects it refers to."""
    url, env = _libpq(engine.url)
    command = _tool(pg_bin, "pg_dump")
    with engine.connect() as conn:
        conn = conn.execution_options(isolation_level="REPEATABLE READ",
                                      postgresql_readonly=True)
        with conn.begin(), tempfile.TemporaryFile() as errors:
            snapshot = conn.exec_driver_sql("SELECT pg_export_snapshot()").scalar_one()
            process = subprocess.Popen(  # noqa: S603  (our own arguments, no shell)
                [command, "--format=custom", f"--snapshot={snapshot}", f"--file={dump}",
                 f"--dbname={url}"], env=env, stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL, stderr=errors)
            log(f"snapshot {snapshot} exported; pg_dump running")

            def finish() -> None:
                if process.wait() != 0:
                    errors.seek(0)
                    message = errors.read().decode(errors="replace").strip()
                    raise BackupError(f"pg_dump failed ({process.returncode}): {message}")

            try:
                yield _Snapshot(conn, "postgresql", finish)
            finally:
                if process.poll() is None:
                    process.kill()
                    process.wait()


@contextmanager
def _sqlite_snapshot(engine: Engine, dump: Path, log: Log) -> Iterator[_Snapshot]:
    """SQLite's online backup API copies every page in one step — a consistent copy, whatever
    other connections do — then the object list is read from that copy."""
    raw = engine.raw_connection()
    try:
        target = sqlite3.connect(dump)
        try:
            raw.driver_connection.backup(target)  # type: ignore[union-attr]
        finally:
            target.close()
    finally:
        raw.close()
    log(f"database copied ({_mb(dump.stat().st_size)})")
    copy = create_engine(f"sqlite:///file:{quote(str(dump))}?mode=ro&uri=true",
                         poolclass=NullPool)
    try:
        with copy.connect() as conn:
            yield _Snapshot(conn, "sqlite", lambda: None)
    finally:
        copy.dispose()


@contextmanager
def _snapshot(engine: Engine, dump: Path, pg_bin: str, log: Log) -> Iterator[_Snapshot]:
    if _kind(engine) == "postgresql":
        with _postgres_snapshot(engine, dump, pg_bin, log) as snapshot:
            yield snapshot
    else:
        with _sqlite_snapshot(engine, dump, log) as snapshot:
            yield snapshot


# --- making a backup ---------------------------------------------------------------------

def _fetch(storage: Any, key: str, dest: Path) -> tuple[int, str] | None:
    """Copy one object into the backup, hashing it; None when the store no longer has it."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    digest, size = hashlib.sha256(), 0
    try:
        with open(dest, "wb") as out:
            for chunk in storage.iter_chunks(key):
                digest.update(chunk)
                size += len(chunk)
                out.write(chunk)
    except Exception:
        dest.unlink(missing_ok=True)
        if not storage.exists(key):
            return None
        raise
    return size, digest.hexdigest()


@dataclass
class _Copied:
    count: int = 0
    bytes: int = 0
    pruned: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def _copy_objects(conn: Connection, storage: Any, root: Path, listing: Any, log: Log,
                  workers: int) -> _Copied:
    recorded = recorded_objects().subquery()
    total = conn.execute(select(func.count()).select_from(recorded)).scalar_one()
    rows = conn.execution_options(stream_results=True, yield_per=1000).execute(
        select(recorded.c.key, recorded.c.sha256, recorded.c.table).order_by(recorded.c.key))
    meter, copied = _Meter(log, "copied", total), _Copied()

    def unique() -> Iterator[tuple[str, str | None, str]]:
        previous = None
        for key, sha, name in rows:
            if key != previous:
                previous = key
                yield key, sha, name

    def fetch(row: tuple[str, str | None, str]) -> tuple[int, str] | None:
        return _fetch(storage, row[0], _object_path(root, row[0]))

    for (key, expected, name), result in _in_order(fetch, unique(), workers):
        if result is None:
            if name == PRUNABLE:
                copied.pruned.append(key)
            else:
                copied.problems.append(f"missing bytes: {key} ({name})")
            continue
        size, sha = result
        if expected and sha != expected:
            copied.problems.append(f"hash mismatch: {key} ({name})")
        listing.write(json.dumps({"key": key, "size": size, "sha256": sha, "table": name})
                      + "\n")
        copied.count += 1
        copied.bytes += size
        meter.add(size)
    log(meter.line())
    return copied


def create_backup(output: Path, *, engine: Engine, storage: Any, log: Log = _quiet,
                  pg_bin: str = "", workers: int = WORKERS) -> BackupResult:
    """Write a backup of the database and of every object it refers to into `output` (a new
    or empty directory). On failure the directory is removed and BackupError raised."""
    started = time.monotonic()
    output = Path(output)
    if output.exists() and any(output.iterdir()):
        raise BackupError(f"{output} is not empty")
    kind = _kind(engine)
    output.mkdir(parents=True, exist_ok=True)
    try:
        return _create(output, kind, engine, storage, log, pg_bin, workers, started)
    except OSError as error:  # a full or unwritable backup disk, say
        shutil.rmtree(output, ignore_errors=True)
        raise BackupError(f"backup failed: {error}") from error
    except BaseException:
        shutil.rmtree(output, ignore_errors=True)
        raise


def _create(output: Path, kind: str, engine: Engine, storage: Any, log: Log, pg_bin: str,
            workers: int, started: float) -> BackupResult:
    dump = output / DUMP_FILES[kind]
    created_at = datetime.now(UTC)
    with _snapshot(engine, dump, pg_bin, log) as snapshot, \
            open(output / OBJECT_LIST, "w", encoding="utf-8") as listing:
        revision = _schema_revision(snapshot.conn)
        tables = _table_counts(snapshot.conn)
        copied = _copy_objects(snapshot.conn, storage, output, listing, log, workers)
        snapshot.finish()
    if copied.problems:
        shown = copied.problems[:20]
        more = len(copied.problems) - len(shown)
        raise BackupError("the store does not match the database (see `flask storage "
                          "check`):\n" + "\n".join(shown)
                          + (f"\n... and {more} more" if more else ""))
    dump_size, dump_sha = _hash_file(dump)
    list_size, list_sha = _hash_file(output / OBJECT_LIST)
    log(f"database dump {_mb(dump_size)}")
    os.sync()  # every file on disk before the manifest says the backup is complete
    manifest = {
        "format": FORMAT, "version": VERSION,
        "created_at": created_at.isoformat().replace("+00:00", "Z"),
        "schema_revision": revision,
        "source": engine.url.render_as_string(hide_password=True),
        "database": {"kind": kind, "file": dump.name, "size": dump_size, "sha256": dump_sha,
                     "tables": tables},
        "objects": {"file": OBJECT_LIST, "size": list_size, "sha256": list_sha,
                    "count": copied.count, "bytes": copied.bytes},
        "pruned": [{"table": PRUNABLE, "key": key} for key in copied.pruned],
    }
    _write_atomically(output / MANIFEST,
                      json.dumps(manifest, indent=2, ensure_ascii=False).encode())
    return BackupResult(path=output, kind=kind, database_bytes=dump_size, objects=copied.count,
                        object_bytes=copied.bytes, pruned=copied.pruned,
                        seconds=time.monotonic() - started)


# --- verifying a backup ------------------------------------------------------------------

def read_manifest(path: Path) -> dict[str, Any]:
    try:
        manifest = json.loads((Path(path) / MANIFEST).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BackupError(f"{path} has no {MANIFEST}: not a backup, or an unfinished one"
                          ) from None
    except (ValueError, UnicodeDecodeError) as error:
        raise BackupError(f"{MANIFEST} is unreadable: {error}") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT \
            or manifest.get("version") != VERSION:
        raise BackupError(f"not a {FORMAT} version {VERSION} manifest")
    try:
        database, objects = manifest["database"], manifest["objects"]
        fields = (database["kind"], database["file"], database["size"], database["sha256"],
                  objects["size"], objects["sha256"], objects["count"],
                  manifest["schema_revision"], manifest.get("pruned", []))
    except (KeyError, TypeError) as error:
        raise BackupError(f"{MANIFEST} is incomplete: {error!r}") from None
    if fields[0] not in DUMP_FILES:
        raise BackupError(f"unknown database kind {fields[0]!r}")
    return manifest


def _check_file(path: Path, size: int, sha256: str, what: str) -> None:
    if not path.is_file():
        raise BackupError(f"{what} is missing: {path}")
    actual_size, actual_sha = _hash_file(path)
    if actual_size != size or actual_sha != sha256:
        raise BackupError(f"{what} is damaged: {path} ({actual_size} bytes, SHA-256 "
                          f"{actual_sha}; the manifest says {size} bytes, {sha256})")


def _entries(path: Path) -> Iterator[dict[str, Any]]:
    with open(Path(path) / OBJECT_LIST, encoding="utf-8") as listing:
        for number, line in enumerate(listing, 1):
            try:
                entry = json.loads(line)
                check_key(entry["key"])
                int(entry["size"]), str(entry["sha256"])
            except (ValueError, KeyError, TypeError, StorageError) as error:
                raise BackupError(f"{OBJECT_LIST} line {number} is not an object entry: "
                                  f"{error}") from None
            yield entry


def verify_backup(path: Path, *, log: Log = _quiet,
                  workers: int = WORKERS) -> dict[str, Any]:
    """Check every file of a backup against its manifest (size and SHA-256); return the
    manifest, or raise BackupError naming the first problem."""
    path = Path(path)
    manifest = read_manifest(path)
    database, objects = manifest["database"], manifest["objects"]
    _check_file(path / Path(database["file"]).name, database["size"], database["sha256"],
                "the database dump")
    _check_file(path / OBJECT_LIST, objects["size"], objects["sha256"], "the object list")
    meter = _Meter(log, "verified", objects["count"])

    def check(entry: dict[str, Any]) -> None:
        _check_file(_object_path(path, entry["key"]), entry["size"], entry["sha256"],
                    f"object {entry['key']}")

    for entry, _ in _in_order(check, _entries(path), workers):
        meter.add(entry["size"])
    if meter.count != objects["count"]:
        raise BackupError(f"the object list has {meter.count} entries, the manifest says "
                          f"{objects['count']}")
    log(meter.line())
    return manifest


# --- restoring ---------------------------------------------------------------------------

def _tables_with_rows(engine: Engine) -> list[str]:
    with engine.connect() as conn:
        names = [n for n in inspect(conn).get_table_names() if n != "alembic_version"]
        return [n for n in sorted(names)
                if conn.execute(select(literal(1)).select_from(table(n)).limit(1)).first()]


def _stored_keys(storage: Any, limit: int = 5) -> list[str]:
    keys = []
    for item in storage.list():
        if item.key.split("/")[0] == ".health":
            continue
        keys.append(item.key)
        if len(keys) >= limit:
            break
    return keys


def _refuse_unless_empty(engine: Engine, storage: Any) -> None:
    tables = _tables_with_rows(engine)
    keys = _stored_keys(storage)
    if tables or keys:
        where = []
        if tables:
            where.append("the database has rows in " + ", ".join(tables[:8]))
        if keys:
            where.append("the document store has objects (" + ", ".join(keys) + ", ...)")
        raise BackupError("the target is not empty: " + "; ".join(where)
                          + ". Restore into an empty database and store, or pass --force.")


def _check_revision(revision: str | None, migrations: Path | None) -> None:
    if not revision or migrations is None:
        return
    from alembic.script import ScriptDirectory
    from alembic.util import CommandError

    try:
        known = ScriptDirectory(str(migrations)).get_revision(revision)
    except CommandError:
        known = None
    if known is None:
        raise BackupError(f"the backup's schema revision {revision} is unknown to this "
                          "version of Sulh: restore it with the version that made it")


def _put_objects(path: Path, storage: Any, count: int, overwrite: bool, log: Log,
                 workers: int) -> tuple[int, int]:
    meter = _Meter(log, "restored", count)

    def put(entry: dict[str, Any]) -> None:
        with open(_object_path(path, entry["key"]), "rb") as source:
            try:
                stored = storage.put(entry["key"], source, overwrite=overwrite)
            except StorageError as error:
                raise BackupError(str(error)) from None
        if stored.sha256 != entry["sha256"] or stored.size != entry["size"]:
            raise BackupError(f"object {entry['key']} changed while it was restored")

    for entry, _ in _in_order(put, _entries(path), workers):
        meter.add(entry["size"])
    log(meter.line())
    return meter.count, meter.bytes


def _restore_postgres(engine: Engine, dump: Path, pg_bin: str) -> None:
    url, env = _libpq(engine.url)
    # A running app holds locks the DROPs would wait for forever: fail after a while instead.
    env["PGOPTIONS"] = f"{env.get('PGOPTIONS', '')} -c lock_timeout={LOCK_TIMEOUT_MS}".strip()
    engine.dispose()  # our own idle connections too
    done = subprocess.run(  # noqa: S603  (our own arguments, no shell)
        [_tool(pg_bin, "pg_restore"), "--clean", "--if-exists", "--no-owner",
         "--single-transaction", "--exit-on-error", f"--dbname={url}", str(dump)],
        env=env, stdin=subprocess.DEVNULL, capture_output=True, check=False)
    if done.returncode != 0:
        message = done.stderr.decode(errors="replace").strip()
        hint = " (is the app still running?)" if "lock timeout" in message else ""
        raise BackupError(f"pg_restore failed ({done.returncode}); the database is as it "
                          f"was{hint}: {message}")


def _restore_sqlite(engine: Engine, copy: Path) -> None:
    """Replace the database file in one rename. A journal or WAL of the old file would be
    replayed into the new one, so they go first; the app must be stopped."""
    target = _sqlite_path(engine)
    assert target is not None
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.restoring")
    shutil.copyfile(copy, tmp)
    _fsync(tmp)
    engine.dispose()
    for suffix in ("-wal", "-shm", "-journal"):
        Path(f"{target}{suffix}").unlink(missing_ok=True)
    os.replace(tmp, target)
    _fsync(target.parent)


def _remove_pruned(engine: Engine, keys: list[str]) -> int:
    if not keys:
        return 0
    from app.models import ExhibitIndexPdf

    with engine.begin() as conn:
        return conn.execute(delete(ExhibitIndexPdf)
                            .where(ExhibitIndexPdf.storage_key.in_(keys))).rowcount


def check_restored(engine: Engine, storage: Any, *, grace_seconds: float,
                   verify_hashes: bool) -> tuple[int, CheckReport]:
    """`flask storage check`'s comparison, on the restored database and store."""
    with engine.connect() as conn:
        recorded = {key: sha for key, sha, _ in conn.execute(recorded_objects())}
    return len(recorded), check_store(storage, recorded, grace_seconds=grace_seconds,
                                      verify_hashes=verify_hashes)


def restore_backup(path: Path, *, engine: Engine, storage: Any, force: bool = False,
                   log: Log = _quiet, pg_bin: str = "", migrations: Path | None = None,
                   grace_seconds: float = 3600, verify_hashes: bool = False,
                   workers: int = WORKERS) -> RestoreResult:
    """Restore a backup into the configured database and store. Verifies the whole backup
    and the target before changing anything. The final check re-hashes the store only when
    asked: every object was hashed as it was written, and matched the manifest."""
    try:
        return _restore(Path(path), engine, storage, force, log, pg_bin, migrations,
                        grace_seconds, verify_hashes, workers)
    except OSError as error:  # a full target disk, an unreadable backup file
        raise BackupError(f"restore failed: {error}") from error


def _restore(path: Path, engine: Engine, storage: Any, force: bool, log: Log, pg_bin: str,
             migrations: Path | None, grace_seconds: float, verify_hashes: bool,
             workers: int) -> RestoreResult:
    seconds: dict[str, float] = {}
    clock = time.monotonic()
    log(f"verifying {path}")
    manifest = verify_backup(path, log=log, workers=workers)
    seconds["verify"] = time.monotonic() - clock
    kind = manifest["database"]["kind"]
    if _kind(engine) != kind:
        raise BackupError(f"this is a {kind} backup; the configured database is "
                          f"{engine.dialect.name}")
    if kind == "sqlite" and _sqlite_path(engine) is None:
        raise BackupError("a SQLite backup restores into a database file, not into memory")
    _check_revision(manifest["schema_revision"], migrations)
    if not force:
        _refuse_unless_empty(engine, storage)

    clock = time.monotonic()
    objects, object_bytes = _put_objects(path, storage, manifest["objects"]["count"], force,
                                         log, workers)
    seconds["objects"] = time.monotonic() - clock

    clock = time.monotonic()
    dump = path / Path(manifest["database"]["file"]).name
    log(f"restoring the database ({_mb(manifest['database']['size'])})")
    if kind == "postgresql":
        _restore_postgres(engine, dump, pg_bin)
    else:
        _restore_sqlite(engine, dump)
    pruned_rows = _remove_pruned(engine, [p["key"] for p in manifest.get("pruned", [])])
    seconds["database"] = time.monotonic() - clock

    clock = time.monotonic()
    recorded, report = check_restored(engine, storage, grace_seconds=grace_seconds,
                                      verify_hashes=verify_hashes)
    seconds["check"] = time.monotonic() - clock
    return RestoreResult(kind=kind, schema_revision=manifest["schema_revision"],
                         objects=objects, object_bytes=object_bytes, report=report,
                         recorded=recorded, pruned_rows=pruned_rows, seconds=seconds)
