"""Every command run against a database that was never migrated says what to do — run
`flask db upgrade` — instead of printing a driver's traceback."""

from __future__ import annotations

import pytest

import config
from app import create_app


@pytest.mark.parametrize("command", [
    ["deadlines", "compute", "--country", "SA", "--start", "2026-03-10", "--days", "20"],
    ["audit", "verify"],
    ["jobs", "failures"],
    ["storage", "check"],
    ["deadlines", "sweep"],
])
def test_commands_on_an_empty_database_say_to_migrate_first(tmp_path, command):
    settings = config.TestConfig()
    settings.SQLALCHEMY_DATABASE_URI = f"sqlite:///{tmp_path / 'empty.db'}"
    settings.SQLALCHEMY_ENGINE_OPTIONS = {}
    settings.STORAGE_URL = f"file://{tmp_path / 'storage'}"
    result = create_app(settings).test_cli_runner().invoke(args=command)
    assert result.exit_code == 1, result.output
    assert "run `flask db upgrade` first" in result.output
    assert "Traceback" not in result.output and "sqlite3" not in result.output
