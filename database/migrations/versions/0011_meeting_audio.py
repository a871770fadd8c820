"""A meeting consented for the city's speech dataset keeps its recording (16 kHz mono FLAC): the path on its row

Revision ID: 0011
Revises: 0010

The column is added only when absent (a database whose minutes tables were created from the current table
definitions before its first migration already has it, as revision 0004 explains).
"""

from alembic import op
import sqlalchemy as sa

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    present = {c['name'] for c in sa.inspect(op.get_bind()).get_columns('minutes_meetings')}
    if 'audio_path' not in present:
        with op.batch_alter_table('minutes_meetings') as batch:
            batch.add_column(sa.Column('audio_path', sa.String(length=500), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('minutes_meetings') as batch:
        batch.drop_column('audio_path')
