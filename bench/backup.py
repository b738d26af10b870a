"""Time `flask backup create` and `flask backup restore` on a database seeded by bench/seed.py.

    createdb -h 127.0.0.1 -U postgres sulh_backup_bench
    python bench/seed.py --database-url postgresql://postgres@127.0.0.1:5432/sulh_backup_bench \
        --cases 20000 --reset
    python bench/backup.py --database-url postgresql://postgres@127.0.0.1:5432/sulh_backup_bench \
        --object-kib 1

bench/seed.py's document and decision rows name storage keys with no bytes behind them, and a
backup refuses a store that misses objects. So this script first gives every seeded key real
bytes (`--object-kib` each, the same bytes for all, written without fsync) and sets the rows'
size and SHA-256 to match — it changes the seeded database. It times the database half alone
(the snapshot's dump, then its restore), then runs the same service functions as the commands:
a backup into `<work>/backup` (default instance/backup-bench/), and a restore into a fresh
database (`<name>_restore` on PostgreSQL, created through the `postgres` maintenance database;
`<file>.restored.db` on SQLite) and a fresh store `<work>/restored`, printing each phase.

Two runs tell the two costs apart: many cases with small objects (the database, and the cost
per object), few cases with large objects (the store's MB/s).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, func, select, text, update  # noqa: E402
from sqlalchemy.engine import Engine, make_url  # noqa: E402

import config  # noqa: E402
from app.models import Decision, Document  # noqa: E402
from app.services import backup  # noqa: E402
from app.services.storage import LocalStorage  # noqa: E402


def fill_store(engine: Engine, store: Path, size: int) -> tuple[int, float]:
    """Real bytes for every seeded key, and rows that agree with them."""
    payload = (b"%PDF-1.4 sulh bench object\n" * (size // 26 + 1))[:size]
    sha = hashlib.sha256(payload).hexdigest()
    started = time.perf_counter()
    shutil.rmtree(store, ignore_errors=True)
    count = 0
    with engine.begin() as conn:
        conn.execute(update(Document).values(sha256=sha, size=size))
        conn.execute(update(Decision).where(Decision.storage_key.is_not(None))
                     .values(sha256=sha, size=size))
        made: set[Path] = set()
        for (key,) in conn.execute(select(backup.recorded_objects().subquery().c.key)):
            path = store / key
            if path.parent not in made:
                path.parent.mkdir(parents=True, exist_ok=True)
                made.add(path.parent)
            path.write_bytes(payload)
            count += 1
    return count, time.perf_counter() - started


def fresh_target(url: str) -> str:
    """An empty database to restore into, next to the source."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        target = Path(parsed.database).with_suffix(".restored.db")
        target.unlink(missing_ok=True)
        return f"sqlite:///{target}"
    name = f"{parsed.database}_restore"
    admin = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        conn.execute(text(f"CREATE DATABASE {name}"))
    admin.dispose()
    return parsed.set(database=name).render_as_string(hide_password=False)


def time_database(engine: Engine, target_url: str, work: Path) -> None:
    """The database half alone: the snapshot and its dump, then the restore of that dump."""
    work.mkdir(parents=True, exist_ok=True)
    dump = work / "database-only.dump"
    dump.unlink(missing_ok=True)
    started = time.perf_counter()
    with backup._snapshot(engine, dump, "", log) as snapshot:
        snapshot.finish()
    dumped = time.perf_counter() - started
    target = create_engine(target_url)
    started = time.perf_counter()
    if target.dialect.name == "postgresql":
        backup._restore_postgres(target, dump, "")
    else:
        backup._restore_sqlite(target, dump)
    restored = time.perf_counter() - started
    target.dispose()
    print(f"database only: dump {dumped:.1f} s ({dump.stat().st_size / 1e6:,.1f} MB), "
          f"restore {restored:.1f} s")
    dump.unlink()


def log(line: str) -> None:
    print(f"    {line}", flush=True)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", required=True, help="a database seeded by seed.py")
    parser.add_argument("--work", type=Path, default=ROOT / "instance" / "backup-bench")
    parser.add_argument("--object-kib", type=int, default=1, help="size of every object")
    parser.add_argument("--keep", action="store_true", help="keep the backup and the copies")
    args = parser.parse_args(argv)
    url = config.normalise_database_url(args.database_url)
    engine = create_engine(url)
    with engine.connect() as conn:
        cases = conn.execute(text("SELECT count(*) FROM cases")).scalar_one()
        documents = conn.execute(select(func.count()).select_from(Document)).scalar_one()

    time_database(engine, fresh_target(url), args.work)
    count, took = fill_store(engine, args.work / "store", args.object_kib * 1024)
    print(f"{cases:,} cases, {documents:,} documents; {count:,} objects of "
          f"{args.object_kib} KiB written in {took:.1f} s")

    out = args.work / "backup"
    shutil.rmtree(out, ignore_errors=True)
    print("backup create:", flush=True)
    made = backup.create_backup(out, engine=engine, storage=LocalStorage(args.work / "store"),
                                log=log)
    print(f"  {made.seconds:.1f} s: {made.kind} dump {made.database_bytes / 1e6:,.1f} MB, "
          f"{made.objects:,} objects {made.object_bytes / 1e6:,.1f} MB")

    target = create_engine(fresh_target(url))
    restored_store = args.work / "restored"
    shutil.rmtree(restored_store, ignore_errors=True)
    print("backup restore:", flush=True)
    started = time.perf_counter()
    result = backup.restore_backup(out, engine=target, storage=LocalStorage(restored_store),
                                   log=log, migrations=ROOT / "migrations")
    total = time.perf_counter() - started
    phases = ", ".join(f"{name} {s:.1f} s" for name, s in result.seconds.items())
    clean = "clean" if result.report.clean else "NOT CLEAN"
    print(f"  {total:.1f} s ({phases}); check {clean}: {result.recorded:,} recorded")
    target.dispose()
    engine.dispose()
    if not args.keep:
        for path in (out, restored_store, args.work / "store"):
            shutil.rmtree(path, ignore_errors=True)
    print(f"cpu: {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
