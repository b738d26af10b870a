"""`flask deadlines sweep` over N due deadlines: seed N cases whose deadline has passed
(a third each: response -> proceed in default, deficiency -> deemed withdrawn, mediation ->
end of mediation), then time the command.

    python bench/sweep.py --deadlines 1000                       # SQLite, quick
    python bench/sweep.py --deadlines 100000 \
        --database-url postgresql://postgres@127.0.0.1:5432/sulh_sweep

The database is dropped and re-seeded on every run (PostgreSQL: create it first with
`createdb -h 127.0.0.1 -U postgres sulh_sweep`).
"""

from __future__ import annotations

import argparse
import os
import re
import secrets
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=os.environ.get(
        "BENCH_SWEEP_DATABASE_URL", f"sqlite:///{ROOT / 'instance' / 'bench_sweep.db'}"))
    parser.add_argument("--deadlines", type=int, default=1000)
    parser.add_argument("--jobs", choices=("inprocess", "rq"), default="inprocess",
                        help="rq: as in production, the notice jobs go to Redis for the "
                             "workers (a scratch Redis database, emptied afterwards) instead "
                             "of running in this command")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/15")
    parser.add_argument("--processes", type=int,
                        help="sweep processes (default: the command's, one per core)")
    args = parser.parse_args(argv)
    url = args.database_url.replace("postgres://", "postgresql://")

    seed = [sys.executable, str(ROOT / "bench" / "seed.py"), "--database-url", url,
            "--cases", str(args.deadlines), "--due-deadlines", str(args.deadlines),
            "--docs-per-case", "1", "--reset"]
    subprocess.run(seed, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    env = dict(os.environ, FLASK_APP="app:create_app", SULH_ENV="production",
               DATABASE_URL=url,
               SECRET_KEY=secrets.token_hex(32),
               SULH_JOBS=args.jobs, REDIS_URL=args.redis_url,
               STORAGE_URL=f"file://{tempfile.mkdtemp()}")
    started = time.perf_counter()
    command = [str(VENV_BIN / "flask"), "deadlines", "sweep"]
    if args.processes:
        command += ["--processes", str(args.processes)]
    result = subprocess.run(command, cwd=ROOT, env=env,
                            capture_output=True, text=True, check=True)
    took = time.perf_counter() - started
    if args.jobs == "rq":
        import redis

        redis.Redis.from_url(args.redis_url).flushdb()  # the queued notices: not delivered here
    summary = re.search(r"applied (\d+), skipped (\d+)", result.stdout)
    applied, skipped = (int(x) for x in summary.groups()) if summary else (0, 0)
    inner = re.search(r"expiries took ([\d.]+) s \(CPU ([\d.]+) s, (\d+) batches, "
                      r"(\d+) processes\); notices ([\d.]+) s", result.stdout)
    database = "PostgreSQL" if url.startswith("postgresql") else "SQLite"
    print(f"{database}: sweep of {args.deadlines:,} due deadlines: applied {applied:,}, "
          f"skipped {skipped:,} in {took:.1f} s ({applied / took:,.0f} expiries/s, "
          f"including ~1 s of app start-up"
          + (" and the notice jobs run in-process)" if args.jobs == "inprocess"
             else "; the notice jobs queued for the workers)"))
    if inner:
        seconds, cpu, batches, processes, notices = inner.groups()
        print(f"  the expiries themselves: {float(seconds):.2f} s wall, {float(cpu):.2f} s CPU "
              f"in {processes} sweep process(es), {batches} batches "
              f"({applied / max(float(seconds), 1e-9):,.0f} expiries/s); "
              f"notices (in-process jobs) {float(notices):.1f} s")


if __name__ == "__main__":
    main()
