"""outbox.body_sha256: a delivered message keeps the hash of its body, not the body

Revision ID: 6cffaa8ac0f3
Revises: a7d3e5f1c284
Create Date: 2026-12-10 10:00:00

A message's body may carry a link that works by itself (a respondent's service link). Once
delivered, the outbox keeps who, the subject, when and the SHA-256 of the body, not the body.
The upgrade hashes every stored body, then empties the bodies of the messages already delivered
— the links they carried are gone from the database from then on. Messages not yet delivered
keep their body (the delivery job sends it).

The downgrade keeps the column: the hashes are all that is left of the delivered bodies, and
the earlier code does not read it. The emptied bodies stay empty — nothing can bring them back,
which is the point — and upgrading again finds the column and the hashes where they were.
"""
from __future__ import annotations

import hashlib

import sqlalchemy as sa
from alembic import op

revision = "6cffaa8ac0f3"
down_revision = "a7d3e5f1c284"
branch_labels = None
depends_on = None

BATCH = 1000

outbox = sa.table("outbox", sa.column("id", sa.Integer), sa.column("body", sa.Text),
                  sa.column("sent_at", sa.DateTime), sa.column("body_sha256", sa.String))


def upgrade() -> None:
    conn = op.get_bind()
    if "body_sha256" not in {c["name"] for c in sa.inspect(conn).get_columns("outbox")}:
        with op.batch_alter_table("outbox", schema=None) as batch_op:
            batch_op.add_column(sa.Column("body_sha256", sa.String(length=64), nullable=True))
    after = 0
    while True:
        rows = conn.execute(sa.select(outbox.c.id, outbox.c.body, outbox.c.sent_at,
                                      outbox.c.body_sha256)
                            .where(outbox.c.id > after).order_by(outbox.c.id)
                            .limit(BATCH)).all()
        if not rows:
            break
        for row in rows:
            values = {}
            if row.body_sha256 is None:
                values["body_sha256"] = hashlib.sha256(row.body.encode("utf-8")).hexdigest()
            if row.sent_at is not None and row.body:
                values["body"] = ""
            if values:
                conn.execute(sa.update(outbox).where(outbox.c.id == row.id).values(**values))
        after = rows[-1].id


def downgrade() -> None:
    """Nothing to undo that could be undone: the column stays (see above)."""
