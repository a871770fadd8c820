"""Complaint media's public copies are made after the report is acknowledged: each media row says whether its
copy is pending, ready or failed (rows from before were made with their copy: ready)

Revision ID: 0010
Revises: 0009
"""

from alembic import op
import sqlalchemy as sa

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('complaint_media') as batch:
        batch.add_column(sa.Column('public_state', sa.String(length=8), server_default='ready', nullable=False))
        batch.add_column(sa.Column('public_error', sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('complaint_media') as batch:
        batch.drop_column('public_error')
        batch.drop_column('public_state')
