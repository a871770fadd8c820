"""Meetings belong to a department, are shared with others, and record consent to release

Revision ID: 0006
Revises: 0005

Each column is added only when absent (a database whose minutes tables were created from the current table
definitions before its first migration already has them, as revision 0004 explains).
"""

from alembic import op
import sqlalchemy as sa

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

def columns() -> tuple[sa.Column, ...]:
    return (
        sa.Column('department', sa.String(length=100), nullable=True),
        sa.Column('owner', sa.String(length=200), nullable=True),
        sa.Column('shared_with', sa.JSON(), nullable=False, server_default='[]'),
        sa.Column('consented', sa.Boolean(), nullable=False, server_default=sa.false()),
    )


def upgrade() -> None:
    present = {c['name'] for c in sa.inspect(op.get_bind()).get_columns('minutes_meetings')}
    with op.batch_alter_table('minutes_meetings') as batch:
        for column in columns():
            if column.name not in present:
                batch.add_column(column)
    indexes = {i['name'] for i in sa.inspect(op.get_bind()).get_indexes('minutes_meetings')}
    if 'ix_minutes_meetings_department' not in indexes:
        op.create_index('ix_minutes_meetings_department', 'minutes_meetings', ['department'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_minutes_meetings_department', table_name='minutes_meetings')
    with op.batch_alter_table('minutes_meetings') as batch:
        for column in reversed(columns()):
            batch.drop_column(column.name)
