"""Staff accounts: people who sign in, browser sessions, the audit log; tokens carry a role and a department

Revision ID: 0005
Revises: 0004
"""

from alembic import op
import sqlalchemy as sa

from database.base import UTCDateTime

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table('staff_tokens') as batch:
        batch.add_column(sa.Column('role', sa.String(length=20), server_default='staff', nullable=False))
        batch.add_column(sa.Column('department', sa.String(length=100), nullable=True))
    op.create_table('staff_users',
    sa.Column('id', BigId, autoincrement=True, nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('role', sa.String(length=20), nullable=False),
    sa.Column('department', sa.String(length=100), nullable=True),
    sa.Column('scopes', sa.Text(), server_default='', nullable=False),
    sa.Column('password_hash', sa.String(length=200), nullable=False),
    sa.Column('created_at', UTCDateTime(), nullable=False),
    sa.Column('disabled_at', UTCDateTime(), nullable=True),
    sa.Column('failed_attempts', sa.Integer(), server_default='0', nullable=False),
    sa.Column('locked_until', UTCDateTime(), nullable=True),
    sa.Column('last_login_at', UTCDateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_staff_users')),
    sa.UniqueConstraint('name', name=op.f('uq_staff_users_name')))
    op.create_table('staff_sessions',
    sa.Column('id', BigId, autoincrement=True, nullable=False),
    sa.Column('session_sha256', sa.String(length=64), nullable=False),
    sa.Column('user_id', BigId, nullable=False),
    sa.Column('csrf_token', sa.String(length=64), nullable=False),
    sa.Column('created_at', UTCDateTime(), nullable=False),
    sa.Column('last_seen_at', UTCDateTime(), nullable=False),
    sa.Column('expires_at', UTCDateTime(), nullable=False),
    sa.Column('revoked_at', UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['staff_users.id'], name=op.f('fk_staff_sessions_user_id_staff_users'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_staff_sessions')),
    sa.UniqueConstraint('session_sha256', name=op.f('uq_staff_sessions_session_sha256')))
    op.create_index(op.f('ix_staff_sessions_user_id'), 'staff_sessions', ['user_id'], unique=False)
    op.create_table('staff_audit',
    sa.Column('id', BigId, autoincrement=True, nullable=False),
    sa.Column('at', UTCDateTime(), nullable=False),
    sa.Column('actor', sa.String(length=200), nullable=False),
    sa.Column('action', sa.String(length=200), nullable=False),
    sa.Column('target', sa.String(length=500), server_default='', nullable=False),
    sa.Column('outcome', sa.String(length=40), server_default='', nullable=False),
    sa.Column('detail', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_staff_audit')))
    op.create_index(op.f('ix_staff_audit_at'), 'staff_audit', ['at'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_staff_audit_at'), table_name='staff_audit')
    op.drop_table('staff_audit')
    op.drop_index(op.f('ix_staff_sessions_user_id'), table_name='staff_sessions')
    op.drop_table('staff_sessions')
    op.drop_table('staff_users')
    with op.batch_alter_table('staff_tokens') as batch:
        batch.drop_column('department')
        batch.drop_column('role')
