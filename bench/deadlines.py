"""Figures for the deadline engine: compute_due throughput, and one sweep over many expired
deadlines (in-memory SQLite). Prints figures; asserts nothing.

    /work/main/.venv/bin/python bench/deadlines.py [N_CASES]
"""

from __future__ import annotations

import sys
import time
from datetime import date, timedelta

sys.path.insert(0, ".")


def bench_compute() -> None:
    from workflows.calendar import compute_due

    countries = ["SA", "AE", "EG", "MA", "PK", "IR", "MY", "TR", "JO", "BN"]
    start = date(2026, 1, 1)
    for business in (False, True):
        n, t0 = 0, time.perf_counter()
        for i in range(2000):
            compute_due(start + timedelta(i % 365), 20, country=countries[i % 10],
                        business=business)
            n += 1
        dt = time.perf_counter() - t0
        print(f"compute_due business={business}: {n / dt:,.0f} per second (warm caches)")


def bench_sweep(cases: int) -> None:
    import config
    from app import create_app
    from app.cases.sweep.run import sweep
    from app.extensions import db
    from app.filing import service as filing
    from app.models import User

    settings = config.TestConfig()
    app = create_app(settings)
    with app.app_context():
        db.create_all()
        manager = User(email="m@example.test", name="M", is_case_manager=True)
        user = User(email="c@example.test", name="C")
        db.session.add_all([manager, user])
        db.session.flush()
        from app.cases.service import take_action

        for i in range(cases):
            case = filing.start_draft(user, "expedited")
            case.parties[0].country, case.parties[1].country = "EG", "SA"
            take_action(case, "submit", None, {}, actor=_system_claimant(case, user))
            if i % 100 == 0:
                db.session.commit()
        db.session.commit()
        from app.models.types import utcnow

        t0 = time.perf_counter()
        result = sweep(utcnow() + timedelta(days=30))
        dt = time.perf_counter() - t0
        print(f"sweep: {len(result.applied)} expiries applied in {dt:.2f} s "
              f"({len(result.applied) / dt:,.0f} per second)")
        t0 = time.perf_counter()
        again = sweep(utcnow() + timedelta(days=30))
        print(f"second sweep: {len(again.applied)} applied in {time.perf_counter() - t0:.3f} s")


def _system_claimant(case, user):
    from workflows.engine import Actor

    return Actor.of(user.id, user.name, {"claimant"})


if __name__ == "__main__":
    bench_compute()
    from unittest import mock

    import workflows.procedures  # noqa: F401

    # Filing checks are not what is measured: let incomplete drafts through.
    with mock.patch("app.models.case.Case.filing_problems", lambda self: []):
        bench_sweep(int(sys.argv[1]) if len(sys.argv) > 1 else 300)
