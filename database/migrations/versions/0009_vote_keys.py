"""The ids of the keys a database's ballot ledger uses, so a server holding other keys refuses to write to it

Revision ID: 0009
Revises: 0008
"""

from alembic import op
import sqlalchemy as sa

from database.base import UTCDateTime

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('vote_keys',
    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('key_id', sa.String(length=32), nullable=False),
    sa.Column('pseudonym_key_id', sa.String(length=32), nullable=False),
    sa.Column('recorded_at', UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_vote_keys')))


def downgrade() -> None:
    op.drop_table('vote_keys')
