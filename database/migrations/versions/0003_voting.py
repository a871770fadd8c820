"""Voting: polls, options, voter registry, participation pseudonyms, ballot ledger, signed tree heads, results

Revision ID: 0003
Revises: 0002
"""

from alembic import op
import sqlalchemy as sa

from database.base import UTCDateTime

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def _fk(table, column, target):
    return sa.ForeignKeyConstraint([column], [f'{target}.id'], name=op.f(f'fk_{table}_{column}_{target}'),
                                   ondelete='CASCADE')


def upgrade() -> None:
    op.create_table('vote_polls',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('title', sa.Text(), nullable=False),
    sa.Column('title_en', sa.Text(), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('min_choices', sa.Integer(), nullable=False),
    sa.Column('max_choices', sa.Integer(), nullable=False),
    sa.Column('opens_at', UTCDateTime(), nullable=False),
    sa.Column('closes_at', UTCDateTime(), nullable=False),
    sa.Column('district', sa.String(length=40), nullable=True),
    sa.Column('results_live', sa.Boolean(), nullable=False),
    sa.Column('budget', sa.BigInteger(), nullable=True),
    sa.Column('budget_rule', sa.String(length=16), nullable=True),
    sa.Column('threshold_percent', sa.Integer(), nullable=True),
    sa.Column('min_projects', sa.Integer(), nullable=True),
    sa.Column('created_at', UTCDateTime(), nullable=False),
    sa.Column('created_by', sa.String(length=120), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_vote_polls')))

    op.create_table('vote_options',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('poll_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('label', sa.Text(), nullable=False),
    sa.Column('label_en', sa.Text(), nullable=False),
    sa.Column('cost', sa.BigInteger(), nullable=True),
    sa.Column('description', sa.Text(), nullable=False),
    _fk('vote_options', 'poll_id', 'vote_polls'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_vote_options')),
    sa.UniqueConstraint('poll_id', 'position', name='uq_vote_options_poll_position'))
    op.create_index(op.f('ix_vote_options_poll_id'), 'vote_options', ['poll_id'])

    op.create_table('vote_voters',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('person_hash', sa.String(length=64), nullable=False),
    sa.Column('district', sa.String(length=40), nullable=False),
    sa.Column('credential_sha256', sa.String(length=64), nullable=False),
    sa.Column('registered_at', UTCDateTime(), nullable=False),
    sa.Column('revoked_at', UTCDateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_vote_voters')),
    sa.UniqueConstraint('person_hash', name=op.f('uq_vote_voters_person_hash')),
    sa.UniqueConstraint('credential_sha256', name=op.f('uq_vote_voters_credential_sha256')))
    op.create_index(op.f('ix_vote_voters_district'), 'vote_voters', ['district'])

    op.create_table('vote_participation',
    sa.Column('poll_id', sa.Integer(), nullable=False),
    sa.Column('pseudonym', sa.String(length=64), nullable=False),
    _fk('vote_participation', 'poll_id', 'vote_polls'),
    sa.PrimaryKeyConstraint('poll_id', 'pseudonym', name=op.f('pk_vote_participation')))

    op.create_table('vote_ballots',
    sa.Column('poll_id', sa.Integer(), nullable=False),
    sa.Column('leaf_index', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('ballot', sa.Text(), nullable=False),
    sa.Column('leaf_hash', sa.String(length=64), nullable=False),
    _fk('vote_ballots', 'poll_id', 'vote_polls'),
    sa.PrimaryKeyConstraint('poll_id', 'leaf_index', name=op.f('pk_vote_ballots')))

    op.create_table('vote_ledgers',
    sa.Column('poll_id', sa.Integer(), nullable=False),
    sa.Column('size', sa.BigInteger(), nullable=False),
    sa.Column('root', sa.String(length=64), nullable=False),
    _fk('vote_ledgers', 'poll_id', 'vote_polls'),
    sa.PrimaryKeyConstraint('poll_id', name=op.f('pk_vote_ledgers')))

    op.create_table('vote_tree_heads',
    sa.Column('poll_id', sa.Integer(), nullable=False),
    sa.Column('size', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('root', sa.String(length=64), nullable=False),
    sa.Column('timestamp', sa.String(length=40), nullable=False),
    sa.Column('signature', sa.Text(), nullable=False),
    sa.Column('key_id', sa.String(length=32), nullable=False),
    _fk('vote_tree_heads', 'poll_id', 'vote_polls'),
    sa.PrimaryKeyConstraint('poll_id', 'size', name=op.f('pk_vote_tree_heads')))

    op.create_table('vote_results',
    sa.Column('poll_id', sa.Integer(), nullable=False),
    sa.Column('size', sa.BigInteger(), nullable=False),
    sa.Column('root', sa.String(length=64), nullable=False),
    sa.Column('tally', sa.JSON(), nullable=False),
    sa.Column('computed_at', UTCDateTime(), nullable=False),
    sa.Column('signature', sa.Text(), nullable=False),
    _fk('vote_results', 'poll_id', 'vote_polls'),
    sa.PrimaryKeyConstraint('poll_id', name=op.f('pk_vote_results')))


def downgrade() -> None:
    for table in ('vote_results', 'vote_tree_heads', 'vote_ledgers', 'vote_ballots', 'vote_participation',
                  'vote_voters', 'vote_options', 'vote_polls'):
        op.drop_table(table)
