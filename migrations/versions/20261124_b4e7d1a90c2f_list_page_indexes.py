"""indexes for keyset-paginated list pages at a million cases

Revision ID: b4e7d1a90c2f
Revises: d0c5e7a1b3f9
Create Date: 2026-11-24 11:00:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = 'b4e7d1a90c2f'
down_revision = 'd0c5e7a1b3f9'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_index('ix_cases_stage')
        batch_op.drop_index('ix_cases_filer_id')
        batch_op.drop_index('ix_cases_stage_submitted')
        batch_op.create_index('ix_cases_stage_submitted', ['stage', 'submitted_at', 'id'],
                              unique=False)
        batch_op.create_index('ix_cases_activity', ['last_activity_at', 'id'], unique=False)
        batch_op.create_index('ix_cases_stage_activity', ['stage', 'last_activity_at', 'id'],
                              unique=False)
        batch_op.create_index('ix_cases_filer_stage', ['filer_id', 'stage'], unique=False)
    with op.batch_alter_table('participants', schema=None) as batch_op:
        batch_op.drop_index('ix_participants_user_id')
        batch_op.create_index('ix_participants_user_case', ['user_id', 'case_id'], unique=False)
    with op.batch_alter_table('decisions', schema=None) as batch_op:
        batch_op.create_index('ix_decisions_status_id', ['status', 'id'], unique=False)


def downgrade():
    with op.batch_alter_table('decisions', schema=None) as batch_op:
        batch_op.drop_index('ix_decisions_status_id')
    with op.batch_alter_table('participants', schema=None) as batch_op:
        batch_op.drop_index('ix_participants_user_case')
        batch_op.create_index('ix_participants_user_id', ['user_id'], unique=False)
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_index('ix_cases_filer_stage')
        batch_op.drop_index('ix_cases_stage_activity')
        batch_op.drop_index('ix_cases_activity')
        batch_op.drop_index('ix_cases_stage_submitted')
        batch_op.create_index('ix_cases_stage_submitted', ['stage', 'submitted_at'],
                              unique=False)
        batch_op.create_index('ix_cases_filer_id', ['filer_id'], unique=False)
        batch_op.create_index('ix_cases_stage', ['stage'], unique=False)
