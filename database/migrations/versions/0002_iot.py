"""IoT: SensorThings entities, observations, hourly aggregates; the S-DoT observed properties

Revision ID: 0002
Revises: 0001
"""

from alembic import op
import sqlalchemy as sa

from database.base import UTCDateTime

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None

BIG = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    op.create_table('iot_things',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('properties', sa.JSON(), nullable=True),
    sa.Column('district', sa.String(length=40), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_iot_things')))
    op.create_index(op.f('ix_iot_things_name'), 'iot_things', ['name'])
    op.create_index(op.f('ix_iot_things_district'), 'iot_things', ['district'])

    op.create_table('iot_locations',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('encoding_type', sa.String(length=100), nullable=False),
    sa.Column('location', sa.JSON(), nullable=False),
    sa.Column('lat', sa.Float(), nullable=True),
    sa.Column('lon', sa.Float(), nullable=True),
    sa.Column('district', sa.String(length=40), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_iot_locations')))

    op.create_table('iot_thing_locations',
    sa.Column('thing_id', sa.Integer(), nullable=False),
    sa.Column('location_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['thing_id'], ['iot_things.id'], name=op.f('fk_iot_thing_locations_thing_id_iot_things'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['location_id'], ['iot_locations.id'], name=op.f('fk_iot_thing_locations_location_id_iot_locations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('thing_id', 'location_id', name=op.f('pk_iot_thing_locations')))

    op.create_table('iot_sensors',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('encoding_type', sa.String(length=100), nullable=False),
    sa.Column('metadata', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_iot_sensors')))

    properties = op.create_table('iot_observed_properties',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('code', sa.String(length=40), nullable=True),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('definition', sa.Text(), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_iot_observed_properties')),
    sa.UniqueConstraint('code', name=op.f('uq_iot_observed_properties_code')))

    op.create_table('iot_features_of_interest',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('encoding_type', sa.String(length=100), nullable=False),
    sa.Column('feature', sa.JSON(), nullable=False),
    sa.Column('location_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['location_id'], ['iot_locations.id'], name=op.f('fk_iot_features_of_interest_location_id_iot_locations'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_iot_features_of_interest')))
    op.create_index(op.f('ix_iot_features_of_interest_location_id'), 'iot_features_of_interest', ['location_id'])

    op.create_table('iot_datastreams',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('observation_type', sa.String(length=200), nullable=False),
    sa.Column('unit', sa.JSON(), nullable=False),
    sa.Column('thing_id', sa.Integer(), nullable=False),
    sa.Column('sensor_id', sa.Integer(), nullable=False),
    sa.Column('observed_property_id', sa.Integer(), nullable=False),
    sa.Column('metric', sa.String(length=40), nullable=True),
    sa.Column('district', sa.String(length=40), nullable=True),
    sa.Column('default_foi_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['thing_id'], ['iot_things.id'], name=op.f('fk_iot_datastreams_thing_id_iot_things'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['sensor_id'], ['iot_sensors.id'], name=op.f('fk_iot_datastreams_sensor_id_iot_sensors')),
    sa.ForeignKeyConstraint(['observed_property_id'], ['iot_observed_properties.id'], name=op.f('fk_iot_datastreams_observed_property_id_iot_observed_properties')),
    sa.ForeignKeyConstraint(['default_foi_id'], ['iot_features_of_interest.id'], name=op.f('fk_iot_datastreams_default_foi_id_iot_features_of_interest'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_iot_datastreams')))
    op.create_index(op.f('ix_iot_datastreams_thing_id'), 'iot_datastreams', ['thing_id'])
    op.create_index(op.f('ix_iot_datastreams_sensor_id'), 'iot_datastreams', ['sensor_id'])
    op.create_index(op.f('ix_iot_datastreams_observed_property_id'), 'iot_datastreams', ['observed_property_id'])
    op.create_index('ix_iot_datastreams_metric_district', 'iot_datastreams', ['metric', 'district'])

    op.create_table('iot_observations',
    sa.Column('id', BIG, autoincrement=True, nullable=False),
    sa.Column('datastream_id', sa.Integer(), nullable=False),
    sa.Column('phenomenon_time', UTCDateTime(), nullable=False),
    sa.Column('result_time', UTCDateTime(), nullable=True),
    sa.Column('result', sa.Float(), nullable=False),
    sa.Column('foi_id', sa.Integer(), nullable=True),
    sa.Column('extra', sa.JSON(), nullable=True),
    sa.ForeignKeyConstraint(['datastream_id'], ['iot_datastreams.id'], name=op.f('fk_iot_observations_datastream_id_iot_datastreams'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_iot_observations')),
    sa.UniqueConstraint('datastream_id', 'phenomenon_time', name='uq_iot_observations_stream_time'))
    op.create_index('ix_iot_observations_phenomenon_time', 'iot_observations', ['phenomenon_time'])

    op.create_table('iot_hourly',
    sa.Column('datastream_id', sa.Integer(), nullable=False),
    sa.Column('hour', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('n', sa.Integer(), nullable=False),
    sa.Column('total', sa.Float(), nullable=False),
    sa.Column('low', sa.Float(), nullable=False),
    sa.Column('high', sa.Float(), nullable=False),
    sa.ForeignKeyConstraint(['datastream_id'], ['iot_datastreams.id'], name=op.f('fk_iot_hourly_datastream_id_iot_datastreams'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('datastream_id', 'hour', name=op.f('pk_iot_hourly')))

    state = op.create_table('iot_rollup_state',
    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('rolled_until', sa.BigInteger(), nullable=False),
    sa.Column('raw_deleted_before', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_iot_rollup_state')))

    # The S-DoT metrics as this revision seeds them (a migration is a snapshot: a later change to the catalogue
    # needs a revision of its own). Columns: code, name, definition, description.
    metrics = (
        ('pm10', 'PM10 (fine dust)', 'Mass concentration of particles under 10 um', '미세먼지 (ug/m3)'),
        ('pm2_5', 'PM2.5 (ultrafine dust)', 'Mass concentration of particles under 2.5 um', '초미세먼지 (ug/m3)'),
        ('wind_direction', 'Wind direction', 'Direction the wind blows from', '풍향 (deg)'),
        ('wind_speed', 'Wind speed', 'Mean wind speed', '풍속 (m/s)'),
        ('temperature', 'Air temperature', 'Air temperature', '기온 (Cel)'),
        ('humidity', 'Relative humidity', 'Relative humidity of the air', '습도 (%)'),
        ('illumination', 'Illumination', 'Illuminance', '조도 (lx)'),
        ('noise', 'Noise', 'Equivalent sound level', '소음 (dB(A))'),
        ('vibration', 'Vibration', 'Ground vibration velocity', '진동 (mm/s)'),
        ('uv', 'UV index', 'Ultraviolet index', '자외선 지수 (UVI)'),
        ('floating_population', 'Floating population', 'People counted near the sensor during the interval',
         '유동인구 ({persons})'),
    )
    op.bulk_insert(properties, [{"id": i, "code": code, "name": name, "definition": definition,
                                 "description": description}
                                for i, (code, name, definition, description) in enumerate(metrics, start=1)])
    op.bulk_insert(state, [{"id": 1, "rolled_until": 0, "raw_deleted_before": 0}])
    if op.get_bind().dialect.name == "postgresql":  # explicit ids above: move the sequence past them
        op.execute("SELECT setval(pg_get_serial_sequence('iot_observed_properties', 'id'), "
                   "(SELECT max(id) FROM iot_observed_properties))")


def downgrade() -> None:
    for table in ('iot_rollup_state', 'iot_hourly', 'iot_observations', 'iot_datastreams',
                  'iot_features_of_interest', 'iot_observed_properties', 'iot_sensors', 'iot_thing_locations',
                  'iot_locations', 'iot_things'):
        op.drop_table(table)
