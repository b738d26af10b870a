"""participants.case_activity_at: a party's case list in index order at a million cases

Revision ID: c7f2a9e4d811
Revises: b4e7d1a90c2f
Create Date: 2026-11-24 13:00:00

"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = 'c7f2a9e4d811'
down_revision = 'b4e7d1a90c2f'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('participants', schema=None) as batch_op:
        batch_op.add_column(sa.Column('case_activity_at', sa.DateTime(),
                                      nullable=True))
    op.execute("UPDATE participants SET case_activity_at = (SELECT cases.last_activity_at "
               "FROM cases WHERE cases.id = participants.case_id)")
    with op.batch_alter_table('participants', schema=None) as batch_op:
        batch_op.alter_column('case_activity_at', existing_type=sa.DateTime(),
                              nullable=False)
        batch_op.create_index('ix_participants_user_activity',
                              ['user_id', 'case_activity_at', 'case_id'], unique=False)


def downgrade():
    with op.batch_alter_table('participants', schema=None) as batch_op:
        batch_op.drop_index('ix_participants_user_activity')
        batch_op.drop_column('case_activity_at')
