"""Minutes: stored meetings and their transcript segments

Revision ID: 0004
Revises: 0003

Before this revision the minutes store created these two tables itself (``metadata.create_all`` at start). A
database from that path already holds them, with exactly these columns, while its version table says 0003; so
each table is created only when it is absent and an existing one is adopted as it is (its rows kept). The
downgrade drops them.
"""

from alembic import op
import sqlalchemy as sa

from database.base import UTCDateTime

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def _absent(table: str) -> bool:
    return not sa.inspect(op.get_bind()).has_table(table)


def upgrade() -> None:
    # Constraint names are left to the database, as create_all left them, so both paths end with the same schema.
    if _absent('minutes_meetings'):
        op.create_table('minutes_meetings',
        sa.Column('id', sa.String(length=32), nullable=False),
        sa.Column('title', sa.String(length=300), nullable=False),
        sa.Column('created', UTCDateTime(), nullable=False),
        sa.Column('language', sa.String(length=8), nullable=True),
        sa.Column('duration_s', sa.Float(), nullable=False),
        sa.Column('backend', sa.String(length=40), nullable=True),
        sa.Column('speaker_names', sa.JSON(), nullable=False),
        sa.Column('minutes', sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint('id'))
    if _absent('minutes_segments'):
        op.create_table('minutes_segments',
        sa.Column('meeting_id', sa.String(length=32), nullable=False),
        sa.Column('seq', sa.Integer(), nullable=False),
        sa.Column('segment_id', sa.Integer(), nullable=False),
        sa.Column('start_s', sa.Float(), nullable=False),
        sa.Column('end_s', sa.Float(), nullable=False),
        sa.Column('speaker', sa.String(length=80), nullable=True),
        sa.Column('language', sa.String(length=8), nullable=True),
        sa.Column('text', sa.Text(), nullable=False),
        sa.Column('words', sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(['meeting_id'], ['minutes_meetings.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('meeting_id', 'seq'))


def downgrade() -> None:
    op.drop_table('minutes_segments')
    op.drop_table('minutes_meetings')
