"""the deadline sweep's jobs moved to app/cases/sweep: job rows renamed

Revision ID: a7d3e5f1c284
Revises: 9c4e2a7b51d3
Create Date: 2026-12-01 12:00:00

A job row names its function by module path. The sweep moved from `app.services.deadlines`
and `app.services.expiries` to `app.cases.sweep`, so a job waiting, running or failed under an
old name would find no function after the upgrade: every row is renamed (the done ones too,
so that the history reads the same). Downgrade renames them back.
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "a7d3e5f1c284"
down_revision = "9c4e2a7b51d3"
branch_labels = None
depends_on = None

RENAMED = {
    "app.services.deadlines.sweep_job": "app.cases.sweep.run.sweep_job",
    "app.services.deadlines.send_reminders": "app.cases.sweep.notify.send_reminders",
    "app.services.expiries.send_notices": "app.cases.sweep.notify.send_notices",
}


def _rename(pairs: dict[str, str]) -> None:
    for old, new in pairs.items():
        op.execute(sa.text("UPDATE jobs SET name = :new WHERE name = :old")
                   .bindparams(old=old, new=new))


def upgrade() -> None:
    _rename(RENAMED)


def downgrade() -> None:
    _rename({new: old for old, new in RENAMED.items()})
