"""exhibit index PDFs rendered by a job and cached per state of the exhibit list

Revision ID: e1a5c7d30b42
Revises: c7f3a2e8d614
Create Date: 2026-11-24 13:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e1a5c7d30b42'
down_revision = 'c7f3a2e8d614'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('exhibit_index_pdfs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('state_key', sa.String(length=64), nullable=False),
    sa.Column('document_ids', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('storage_key', sa.String(length=300), nullable=True),
    sa.Column('sha256', sa.String(length=64), nullable=True),
    sa.Column('size', sa.Integer(), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('requested_at', sa.DateTime(), nullable=False),
    sa.Column('rendered_at', sa.DateTime(), nullable=True),
    sa.CheckConstraint("status IN ('pending', 'ready', 'failed')", name=op.f('ck_exhibit_index_pdfs_status')),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_exhibit_index_pdfs_case_id_cases'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_exhibit_index_pdfs')),
    sa.UniqueConstraint('case_id', 'state_key', name=op.f('uq_exhibit_index_pdfs_case_id'))
    )


def downgrade():
    op.drop_table('exhibit_index_pdfs')
