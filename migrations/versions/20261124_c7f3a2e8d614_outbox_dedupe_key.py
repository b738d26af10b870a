"""outbox.dedupe_key: batch notification jobs write each message once

Revision ID: c7f3a2e8d614
Revises: c7f2a9e4d811
Create Date: 2026-11-25 10:00:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'c7f3a2e8d614'
down_revision = 'c7f2a9e4d811'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.add_column(sa.Column('dedupe_key', sa.String(length=120), nullable=True))
        batch_op.create_index('uq_outbox_dedupe_key', ['dedupe_key'], unique=True)


def downgrade():
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_index('uq_outbox_dedupe_key')
        batch_op.drop_column('dedupe_key')
