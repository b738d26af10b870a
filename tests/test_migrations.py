"""The schema comes from Alembic outside tests: migrations must build exactly the models."""

from __future__ import annotations

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, text

import config
from app import create_app
from app.extensions import db
from tests.conftest import ON_POSTGRES
from tests.helpers import old_event_hash, scratch_app, scratch_url


def test_migrations_build_the_models_and_roll_back(tmp_path):
    app = scratch_app(tmp_path)
    with app.app_context():
        upgrade()
        tables = set(inspect(db.engine).get_table_names())
        assert set(db.metadata.tables) <= tables
        from alembic.autogenerate import compare_metadata
        from alembic.migration import MigrationContext

        with db.engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            diff = compare_metadata(context, db.metadata)
        assert diff == [], f"models and migrations differ: {diff}"
        downgrade(revision="base")
        assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
        db.engine.dispose()


@pytest.mark.skipif(not ON_POSTGRES, reason="checks a PostgreSQL-only constraint behaviour")
def test_named_constraints_exist_on_postgres(tmp_path):
    app = scratch_app(tmp_path)
    with app.app_context():
        upgrade()
        checks = {c["name"] for c in inspect(db.engine).get_check_constraints("cases")}
        assert {"ck_cases_mediation_days", "ck_cases_language"} <= checks
        db.engine.dispose()


def _some_cases() -> list[str]:
    """A few cases made by the app: a draft, a filed case, a served case with a document."""
    from app import demo
    from app.auth.service import join_case

    users = demo._users()
    draft = demo._draft(users, 0)
    db.session.commit()
    filed = demo._draft(users, 1)
    demo._act(filed, "submit", users["claimant"])
    served = demo._draft(users, 2)
    demo._act(served, "submit", users["claimant"])
    demo._act(served, "accept_filing", users["manager"])
    join_case(served, users["respondent"], "respondent")
    demo._document(served, users["claimant"], "receipt.txt", "Receipt", "Receipt no. 4471")
    return [draft.reference, filed.number, served.number]


def test_upgrading_rehashes_intact_trails_and_leaves_a_broken_one_broken(tmp_path):
    from app.models import AuditEvent

    settings = config.TestConfig()
    settings.SQLALCHEMY_DATABASE_URI = scratch_url(tmp_path)
    settings.SQLALCHEMY_ENGINE_OPTIONS = {}
    settings.STORAGE_URL = f"file://{tmp_path / 'storage'}"
    app = create_app(settings)
    runner = app.test_cli_runner()
    with app.app_context():
        upgrade()
        *_intact, served = _some_cases()
        verify = runner.invoke(args=["audit", "verify"])
        assert verify.exit_code == 0, verify.output
        db.session.remove()

        # The parent revision: the trail is exactly what the code of that time wrote ...
        downgrade(revision="9c4e1f7a2b60")
        events = db.session.scalars(db.select(AuditEvent).order_by(AuditEvent.case_id,
                                                                   AuditEvent.seq)).all()
        assert len({e.case_id for e in events}) == 3
        assert all(old_event_hash(e) == e.hash for e in events)
        # ... and somebody rewrites who accepted the filing (no trigger stops them yet).
        served_id = db.session.execute(text("SELECT id FROM cases WHERE number = :n"),
                                       {"n": served}).scalar_one()
        db.session.execute(text("UPDATE audit_events SET actor_name = 'Somebody Else' "
                                "WHERE case_id = :c AND action = 'accept_filing'"),
                           {"c": served_id})
        db.session.commit()
        db.session.remove()

        upgrade()
        verify = runner.invoke(args=["audit", "verify"])
        assert verify.exit_code == 1
        problems = [line for line in verify.output.splitlines() if ": " in line
                    and not line.startswith("Error")]
        # still broken (under the old formula, so every event fails the new one), and only it
        assert problems and all(line.startswith(f"{served}: ") for line in problems)
        with pytest.raises(Exception, match="cannot be changed or deleted"):
            db.session.execute(text("DELETE FROM audit_events"))
        db.session.rollback()
        db.session.remove()
        downgrade(revision="base")
        db.engine.dispose()
