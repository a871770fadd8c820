"""Shared state with an expiry (chat conversations, seen by every worker and kept across restarts)

Revision ID: 0007
Revises: 0006
"""

from alembic import op
import sqlalchemy as sa

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('kv_entries',
    sa.Column('key', sa.String(length=200), nullable=False),
    sa.Column('value', sa.Text(), nullable=False),
    sa.Column('expires_at', sa.Float(), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_kv_entries')))
    op.create_index(op.f('ix_kv_entries_expires_at'), 'kv_entries', ['expires_at'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_kv_entries_expires_at'), table_name='kv_entries')
    op.drop_table('kv_entries')
