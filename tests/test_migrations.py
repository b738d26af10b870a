"""The schema comes from Alembic outside tests: migrations must build exactly the models."""

from __future__ import annotations

import os

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine, inspect, text

import config
from app import create_app
from app.extensions import db
from tests.conftest import ON_POSTGRES

PG_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
# A scratch database named after the test database, so parallel suites do not collide.
PG_SCRATCH = os.environ.get("TEST_DATABASE_URL", "").rsplit("/", 1)[-1] + "_migrations"


def _scratch_url(tmp_path) -> str:
    if not ON_POSTGRES:
        return f"sqlite:///{tmp_path / 'migrated.db'}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {PG_SCRATCH} WITH (FORCE)"))
        conn.execute(text(f"CREATE DATABASE {PG_SCRATCH}"))
    admin.dispose()
    return f"postgresql+psycopg://postgres@127.0.0.1:5432/{PG_SCRATCH}"


def _scratch_app(tmp_path):
    settings = config.TestConfig()
    settings.SQLALCHEMY_DATABASE_URI = _scratch_url(tmp_path)
    settings.SQLALCHEMY_ENGINE_OPTIONS = {}
    return create_app(settings)


def test_migrations_build_the_models_and_roll_back(tmp_path):
    app = _scratch_app(tmp_path)
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
    app = _scratch_app(tmp_path)
    with app.app_context():
        upgrade()
        checks = {c["name"] for c in inspect(db.engine).get_check_constraints("cases")}
        assert {"ck_cases_mediation_days", "ck_cases_language"} <= checks
        db.engine.dispose()
