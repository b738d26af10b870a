"""jobs as rows committed with their cause; one-time submission keys

The `jobs` table replaces `job_failures`: a job is written in the transaction of its cause and
keeps its state until done, so a failure is simply a job row left `failed`. Failures not yet
resolved are carried over as failed jobs (the case managers can still retry them).

Revision ID: 9c4e1f7a2b60
Revises: f2b8d4c6a913
Create Date: 2026-12-01 03:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = '9c4e1f7a2b60'
down_revision = 'f2b8d4c6a913'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('jobs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('kwargs', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('run_after', sa.DateTime(), nullable=False),
    sa.Column('lease_until', sa.DateTime(), nullable=True),
    sa.Column('finished_at', sa.DateTime(), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.CheckConstraint("status IN ('pending', 'queued', 'running', 'done', 'failed')", name=op.f('ck_jobs_status')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_jobs'))
    )
    with op.batch_alter_table('jobs', schema=None) as batch_op:
        batch_op.create_index('ix_jobs_status_run_after', ['status', 'run_after', 'id'], unique=False)

    op.create_table('submission_keys',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=100), nullable=False),
    sa.Column('fingerprint', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('status_code', sa.Integer(), nullable=True),
    sa.Column('location', sa.Text(), nullable=True),
    sa.Column('body', sa.Text(), nullable=True),
    sa.Column('content_type', sa.String(length=100), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_submission_keys_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_submission_keys')),
    sa.UniqueConstraint('user_id', 'key', 'fingerprint', name='uq_submission_keys_submission')
    )
    with op.batch_alter_table('submission_keys', schema=None) as batch_op:
        batch_op.create_index('ix_submission_keys_created_at', ['created_at'], unique=False)

    op.execute(
        "INSERT INTO jobs (name, kwargs, status, attempts, created_at, run_after, finished_at, "
        "last_error) SELECT job, kwargs, 'failed', attempts, failed_at, failed_at, failed_at, "
        "error FROM job_failures WHERE status <> 'resolved'")
    with op.batch_alter_table('job_failures', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_job_failures_status'))
    op.drop_table('job_failures')


def downgrade():
    op.create_table('job_failures',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('job', sa.String(length=200), nullable=False),
    sa.Column('kwargs', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('error', sa.Text(), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('failed_at', sa.DateTime(), nullable=False),
    sa.Column('resolved_at', sa.DateTime(), nullable=True),
    sa.CheckConstraint("status IN ('failed', 'retrying', 'resolved')", name=op.f('ck_job_failures_status')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_job_failures'))
    )
    with op.batch_alter_table('job_failures', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_job_failures_status'), ['status'], unique=False)
    op.execute(
        "INSERT INTO job_failures (job, kwargs, status, error, attempts, failed_at) "
        "SELECT name, kwargs, 'failed', COALESCE(last_error, ''), attempts, "
        "COALESCE(finished_at, created_at) FROM jobs WHERE status = 'failed'")
    with op.batch_alter_table('submission_keys', schema=None) as batch_op:
        batch_op.drop_index('ix_submission_keys_created_at')
    op.drop_table('submission_keys')
    with op.batch_alter_table('jobs', schema=None) as batch_op:
        batch_op.drop_index('ix_jobs_status_run_after')
    op.drop_table('jobs')
