"""account self-service: one-time links (account_tokens), confirmed addresses, email choices

Revision ID: adf28775cc76
Revises: 0385852e8022
Create Date: 2026-12-01 06:14:32

- account_tokens: the links emailed to an account's owner (password reset, new address,
  address verification), each stored as the SHA-256 of its token.
- users.email_verified_at: a complaint is filed only from a confirmed address. Accounts that
  exist before this revision count as confirmed since they were created (`created_at`): they
  were made by the Centre, by a service link sent to the address, or registered and in use
  before confirmation existed, and must not find the filing of a complaint in progress
  stopped by the upgrade. Accounts registered afterwards confirm their address by a link.
- users.notify_case_updates / notify_deadline_reminders / notify_messages: the optional
  emails, all on (as everyone received them before).
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'adf28775cc76'
down_revision = '0385852e8022'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('account_tokens',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('purpose', sa.String(length=20), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('expires_at', sa.DateTime(), nullable=False),
    sa.Column('used_at', sa.DateTime(), nullable=True),
    sa.CheckConstraint("purpose IN ('password_reset', 'email_change', 'email_verification')", name=op.f('ck_account_tokens_purpose')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_account_tokens_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_account_tokens')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_account_tokens_token_hash'))
    )
    with op.batch_alter_table('account_tokens', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_account_tokens_user_id'), ['user_id'], unique=False)

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('email_verified_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('notify_case_updates', sa.Boolean(), server_default=sa.true(), nullable=False))
        batch_op.add_column(sa.Column('notify_deadline_reminders', sa.Boolean(), server_default=sa.true(), nullable=False))
        batch_op.add_column(sa.Column('notify_messages', sa.Boolean(), server_default=sa.true(), nullable=False))

    op.execute("UPDATE users SET email_verified_at = created_at")


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('notify_messages')
        batch_op.drop_column('notify_deadline_reminders')
        batch_op.drop_column('notify_case_updates')
        batch_op.drop_column('email_verified_at')

    with op.batch_alter_table('account_tokens', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_account_tokens_user_id'))

    op.drop_table('account_tokens')
