"""stage totals counted once for the whole deployment, read by every worker's console

Revision ID: f2b8d4c6a913
Revises: e1a5c7d30b42
Create Date: 2026-11-29 21:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'f2b8d4c6a913'
down_revision = 'e1a5c7d30b42'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('stage_totals',
    sa.Column('stage', sa.String(length=40), nullable=False),
    sa.Column('cases', sa.Integer(), nullable=False),
    sa.Column('counted_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('stage', name=op.f('pk_stage_totals'))
    )


def downgrade():
    op.drop_table('stage_totals')
