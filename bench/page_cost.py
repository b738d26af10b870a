"""CPU cost of one request to each page, in-process (no server, no network): where a page's
time goes before it is measured under load with bench/load.py.

    python bench/page_cost.py --database-url sqlite:////tmp/bench.db
    python bench/page_cost.py --database-url sqlite:////tmp/bench.db --profile console
    PROFILE_DUMP=/tmp/console.prof python bench/page_cost.py ... --profile console  # + pstats file

Prints, per page, the CPU milliseconds of one request (median of --repeat) and the number of
SQL statements; with --profile PAGE, the functions that page spends its time in (cProfile).
Needs a database seeded by bench/seed.py.
"""

from __future__ import annotations

import argparse
import cProfile
import functools
import os
import pstats
import secrets
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--repeat", type=int, default=200)
    parser.add_argument("--profile", help="page to profile (hello, verify, signed-in, "
                                          "console, list, big-list, case)")
    parser.add_argument("--locale", default="en")
    args = parser.parse_args(argv)
    os.environ.update(SULH_ENV="production", DATABASE_URL=args.database_url,
                      SECRET_KEY=secrets.token_hex(32),
                      SULH_JOBS="inprocess", SULH_BENCH_ROUTES="1",
                      STORAGE_URL=f"file://{tempfile.mkdtemp()}")
    from sqlalchemy import event

    from app import create_app
    from app.extensions import db
    from bench.load import PASSWORD, sample_case, second_factor_code

    app = create_app()
    number, code = sample_case(args.database_url)
    statements = [0]
    with app.app_context():
        event.listen(db.engine, "before_cursor_execute",
                     lambda *a: statements.__setitem__(0, statements[0] + 1))

    @functools.cache  # one sign-in per account (two within 30 s would need two codes)
    def client_for(email: str | None):
        client = app.test_client()
        client.set_cookie("sulh_lang", args.locale)
        if email:
            page = client.get("/login").get_data(as_text=True)
            import re

            token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
            response = client.post("/login", data={"email": email, "password": PASSWORD,
                                                   "csrf_token": token})
            assert response.status_code == 302, response.status_code
            for step_ahead in (0, 1):  # a code works once: the next step's is accepted too
                response = client.post("/login/code", data={
                    "code": second_factor_code(step_ahead), "csrf_token": token})
                if response.status_code == 302:
                    break
            assert response.status_code == 302, response.status_code
        return client

    anonymous = client_for(None)
    pages = {
        "hello": (anonymous, "/bench/hello"),
        "verify": (anonymous, f"/verify/{code}"),
        "signed-in": (client_for("party@bench.sulh.example"), "/bench/signed-in"),
        "console": (client_for("manager@bench.sulh.example"), "/manage/"),
        "list": (client_for("party@bench.sulh.example"), "/dashboard"),
        "big-list": (client_for("claimant@bench.sulh.example"), "/dashboard"),
        "case": (client_for("claimant@bench.sulh.example"), f"/cases/{number}"),
    }
    print(f"{'page':<10}{'CPU ms':>8}{'wall ms':>9}{'SQL':>5}{'bytes':>8}")
    for name, (client, path) in pages.items():
        if args.profile and name != args.profile:
            continue
        for _ in range(5):  # warm caches
            response = client.get(path)
            assert response.status_code == 200, (path, response.status_code)
        cpu, wall = [], []
        statements[0] = 0
        profiler = cProfile.Profile() if args.profile else None
        for _ in range(args.repeat):
            c0, t0 = time.process_time(), time.perf_counter()
            if profiler:
                profiler.enable()
            response = client.get(path)
            if profiler:
                profiler.disable()
            cpu.append(time.process_time() - c0)
            wall.append(time.perf_counter() - t0)
        print(f"{name:<10}{statistics.median(cpu) * 1000:>8.2f}"
              f"{statistics.median(wall) * 1000:>9.2f}{statements[0] / args.repeat:>5.0f}"
              f"{len(response.data):>8}", flush=True)
        if profiler:
            if os.environ.get("PROFILE_DUMP"):
                profiler.dump_stats(os.environ["PROFILE_DUMP"])
            stats = pstats.Stats(profiler).sort_stats("cumulative")
            stats.print_stats(45)
            stats.sort_stats("tottime").print_stats(30)


if __name__ == "__main__":
    main()
