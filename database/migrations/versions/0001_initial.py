"""Staff tokens, complaints (Open311) and the open-data catalogue

Revision ID: 0001
Revises: 
Create Date: 2026-11-25 23:36:47.580413
"""

from alembic import op
import sqlalchemy as sa

from database.base import UTCDateTime


revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('complaint_requests',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('ticket', sa.String(length=16), nullable=False),
    sa.Column('service_code', sa.String(length=40), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('lat', sa.Float(), nullable=True),
    sa.Column('lon', sa.Float(), nullable=True),
    sa.Column('position_source', sa.String(length=16), nullable=True),
    sa.Column('address', sa.Text(), nullable=True),
    sa.Column('address_key', sa.String(length=200), nullable=True),
    sa.Column('address_id', sa.String(length=100), nullable=True),
    sa.Column('district', sa.String(length=40), nullable=False),
    sa.Column('department', sa.String(length=40), nullable=False),
    sa.Column('assignee', sa.String(length=100), nullable=True),
    sa.Column('status_notes', sa.Text(), nullable=True),
    sa.Column('duplicate_of', sa.String(length=16), nullable=True),
    sa.Column('token_sha256', sa.String(length=64), nullable=False),
    sa.Column('client_api_key', sa.String(length=100), nullable=True),
    sa.Column('attributes', sa.JSON(), nullable=False),
    sa.Column('external_media_url', sa.Text(), nullable=True),
    sa.Column('requested_at', UTCDateTime(), nullable=False),
    sa.Column('updated_at', UTCDateTime(), nullable=False),
    sa.Column('expected_at', UTCDateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_complaint_requests')),
    sa.UniqueConstraint('ticket', name=op.f('uq_complaint_requests_ticket')),
    sa.UniqueConstraint('token_sha256', name=op.f('uq_complaint_requests_token_sha256'))
    )
    with op.batch_alter_table('complaint_requests', schema=None) as batch_op:
        batch_op.create_index('ix_complaint_requests_address_key', ['service_code', 'address_key'], unique=False)
        batch_op.create_index(batch_op.f('ix_complaint_requests_district'), ['district'], unique=False)
        batch_op.create_index(batch_op.f('ix_complaint_requests_duplicate_of'), ['duplicate_of'], unique=False)
        batch_op.create_index('ix_complaint_requests_nearby', ['service_code', 'lat'], unique=False)
        batch_op.create_index('ix_complaint_requests_requested_at', ['requested_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_complaint_requests_status'), ['status'], unique=False)

    op.create_table('complaint_ticket_counters',
    sa.Column('year', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('last', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('year', name=op.f('pk_complaint_ticket_counters'))
    )
    op.create_table('opendata_datasets',
    sa.Column('id', sa.String(length=100), nullable=False),
    sa.Column('title_ko', sa.Text(), nullable=False),
    sa.Column('title_en', sa.Text(), nullable=False),
    sa.Column('notes_ko', sa.Text(), nullable=False),
    sa.Column('notes_en', sa.Text(), nullable=False),
    sa.Column('publisher_id', sa.String(length=100), nullable=False),
    sa.Column('publisher', sa.String(length=200), nullable=False),
    sa.Column('publisher_ko', sa.String(length=200), nullable=False),
    sa.Column('license_id', sa.String(length=100), nullable=False),
    sa.Column('license_title', sa.Text(), nullable=False),
    sa.Column('frequency', sa.String(length=20), nullable=False),
    sa.Column('synthetic', sa.Boolean(), nullable=False),
    sa.Column('search_text', sa.Text(), nullable=False),
    sa.Column('created_at', UTCDateTime(), nullable=False),
    sa.Column('modified_at', UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_opendata_datasets'))
    )
    with op.batch_alter_table('opendata_datasets', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_opendata_datasets_modified_at'), ['modified_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_opendata_datasets_publisher_id'), ['publisher_id'], unique=False)

    op.create_table('staff_tokens',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('prefix', sa.String(length=16), nullable=False),
    sa.Column('token_sha256', sa.String(length=64), nullable=False),
    sa.Column('scopes', sa.Text(), nullable=False),
    sa.Column('created_at', UTCDateTime(), nullable=False),
    sa.Column('expires_at', UTCDateTime(), nullable=True),
    sa.Column('revoked_at', UTCDateTime(), nullable=True),
    sa.Column('last_used_at', UTCDateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_staff_tokens')),
    sa.UniqueConstraint('token_sha256', name=op.f('uq_staff_tokens_token_sha256'))
    )
    op.create_table('complaint_events',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('request_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('at', UTCDateTime(), nullable=False),
    sa.Column('actor', sa.String(length=120), nullable=False),
    sa.Column('action', sa.String(length=20), nullable=False),
    sa.Column('from_status', sa.String(length=16), nullable=True),
    sa.Column('to_status', sa.String(length=16), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('public', sa.Boolean(), nullable=False),
    sa.Column('detail', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['request_id'], ['complaint_requests.id'], name=op.f('fk_complaint_events_request_id_complaint_requests'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_complaint_events'))
    )
    with op.batch_alter_table('complaint_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_complaint_events_request_id'), ['request_id'], unique=False)

    op.create_table('complaint_media',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('request_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('content_type', sa.String(length=40), nullable=False),
    sa.Column('bytes', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('width', sa.Integer(), nullable=True),
    sa.Column('height', sa.Integer(), nullable=True),
    sa.Column('duration_s', sa.Float(), nullable=True),
    sa.Column('taken_at', UTCDateTime(), nullable=True),
    sa.Column('gps_lat', sa.Float(), nullable=True),
    sa.Column('gps_lon', sa.Float(), nullable=True),
    sa.Column('public_path', sa.Text(), nullable=False),
    sa.Column('original_path', sa.Text(), nullable=False),
    sa.Column('created_at', UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['request_id'], ['complaint_requests.id'], name=op.f('fk_complaint_media_request_id_complaint_requests'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_complaint_media'))
    )
    with op.batch_alter_table('complaint_media', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_complaint_media_request_id'), ['request_id'], unique=False)

    op.create_table('complaint_reporters',
    sa.Column('request_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('first_name', sa.String(length=100), nullable=True),
    sa.Column('last_name', sa.String(length=100), nullable=True),
    sa.Column('phone', sa.String(length=40), nullable=True),
    sa.Column('email', sa.String(length=254), nullable=True),
    sa.Column('device_id', sa.String(length=100), nullable=True),
    sa.Column('account_id', sa.String(length=100), nullable=True),
    sa.ForeignKeyConstraint(['request_id'], ['complaint_requests.id'], name=op.f('fk_complaint_reporters_request_id_complaint_requests'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('request_id', name=op.f('pk_complaint_reporters'))
    )
    op.create_table('opendata_resources',
    sa.Column('id', sa.String(length=100), nullable=False),
    sa.Column('dataset_id', sa.String(length=100), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('name', sa.Text(), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('format', sa.String(length=20), nullable=False),
    sa.Column('table_name', sa.String(length=63), nullable=False),
    sa.Column('fields', sa.JSON(), nullable=False),
    sa.Column('indexes', sa.JSON(), nullable=False),
    sa.Column('row_count', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('created_at', UTCDateTime(), nullable=False),
    sa.Column('modified_at', UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['dataset_id'], ['opendata_datasets.id'], name=op.f('fk_opendata_resources_dataset_id_opendata_datasets'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_opendata_resources')),
    sa.UniqueConstraint('table_name', name=op.f('uq_opendata_resources_table_name'))
    )
    with op.batch_alter_table('opendata_resources', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_opendata_resources_dataset_id'), ['dataset_id'], unique=False)

    op.create_table('opendata_tags',
    sa.Column('dataset_id', sa.String(length=100), nullable=False),
    sa.Column('tag', sa.String(length=100), nullable=False),
    sa.ForeignKeyConstraint(['dataset_id'], ['opendata_datasets.id'], name=op.f('fk_opendata_tags_dataset_id_opendata_datasets'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('dataset_id', 'tag', name=op.f('pk_opendata_tags'))
    )
    with op.batch_alter_table('opendata_tags', schema=None) as batch_op:
        batch_op.create_index('ix_opendata_tags_tag', ['tag'], unique=False)

    op.create_table('complaint_outbox',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('request_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('event_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('channel', sa.String(length=10), nullable=False),
    sa.Column('recipient', sa.String(length=254), nullable=True),
    sa.Column('subject', sa.Text(), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('created_at', UTCDateTime(), nullable=False),
    sa.Column('sent_at', UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['event_id'], ['complaint_events.id'], name=op.f('fk_complaint_outbox_event_id_complaint_events'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['request_id'], ['complaint_requests.id'], name=op.f('fk_complaint_outbox_request_id_complaint_requests'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_complaint_outbox'))
    )
    with op.batch_alter_table('complaint_outbox', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_complaint_outbox_request_id'), ['request_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('complaint_outbox', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_complaint_outbox_request_id'))

    op.drop_table('complaint_outbox')
    with op.batch_alter_table('opendata_tags', schema=None) as batch_op:
        batch_op.drop_index('ix_opendata_tags_tag')

    op.drop_table('opendata_tags')
    with op.batch_alter_table('opendata_resources', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_opendata_resources_dataset_id'))

    op.drop_table('opendata_resources')
    op.drop_table('complaint_reporters')
    with op.batch_alter_table('complaint_media', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_complaint_media_request_id'))

    op.drop_table('complaint_media')
    with op.batch_alter_table('complaint_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_complaint_events_request_id'))

    op.drop_table('complaint_events')
    op.drop_table('staff_tokens')
    with op.batch_alter_table('opendata_datasets', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_opendata_datasets_publisher_id'))
        batch_op.drop_index(batch_op.f('ix_opendata_datasets_modified_at'))

    op.drop_table('opendata_datasets')
    op.drop_table('complaint_ticket_counters')
    with op.batch_alter_table('complaint_requests', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_complaint_requests_status'))
        batch_op.drop_index('ix_complaint_requests_requested_at')
        batch_op.drop_index('ix_complaint_requests_nearby')
        batch_op.drop_index(batch_op.f('ix_complaint_requests_duplicate_of'))
        batch_op.drop_index(batch_op.f('ix_complaint_requests_district'))
        batch_op.drop_index('ix_complaint_requests_address_key')

    op.drop_table('complaint_requests')
