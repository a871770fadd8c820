"""IoT tables: the SensorThings entities, raw observations, and their hourly aggregates.

Raw observations are keyed by (datastream, phenomenon time), so a message delivered twice (MQTT QoS 1 is
at-least-once) is stored once. Hourly aggregates (count, sum, min, max) are what long-range queries read, and
what is left of raw observations after their retention.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from database.base import Base, BigId, UTCDateTime


class Thing(Base):
    __tablename__ = "iot_things"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(200), index=True)
    description: Mapped[str] = mapped_column(Text, default="")
    properties: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    district: Mapped[str | None] = mapped_column(String(40), nullable=True, index=True)


class Location(Base):
    __tablename__ = "iot_locations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    encoding_type: Mapped[str] = mapped_column(String(100), default="application/geo+json")
    location: Mapped[dict] = mapped_column(JSON)  # GeoJSON
    lat: Mapped[float | None] = mapped_column(Float, nullable=True)
    lon: Mapped[float | None] = mapped_column(Float, nullable=True)
    district: Mapped[str | None] = mapped_column(String(40), nullable=True)


class ThingLocation(Base):
    __tablename__ = "iot_thing_locations"

    thing_id: Mapped[int] = mapped_column(ForeignKey("iot_things.id", ondelete="CASCADE"), primary_key=True)
    location_id: Mapped[int] = mapped_column(ForeignKey("iot_locations.id", ondelete="CASCADE"), primary_key=True)


class Sensor(Base):
    __tablename__ = "iot_sensors"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    encoding_type: Mapped[str] = mapped_column(String(100), default="application/pdf")
    meta: Mapped[str] = mapped_column("metadata", Text, default="")


class ObservedProperty(Base):
    __tablename__ = "iot_observed_properties"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    code: Mapped[str | None] = mapped_column(String(40), unique=True, nullable=True)  # pm10, pm2_5, ...
    name: Mapped[str] = mapped_column(String(200))
    definition: Mapped[str] = mapped_column(Text, default="")
    description: Mapped[str] = mapped_column(Text, default="")


class FeatureOfInterest(Base):
    __tablename__ = "iot_features_of_interest"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    encoding_type: Mapped[str] = mapped_column(String(100), default="application/geo+json")
    feature: Mapped[dict] = mapped_column(JSON)
    location_id: Mapped[int | None] = mapped_column(ForeignKey("iot_locations.id", ondelete="SET NULL"),
                                                    nullable=True, index=True)


class Datastream(Base):
    __tablename__ = "iot_datastreams"
    __table_args__ = (Index("ix_iot_datastreams_metric_district", "metric", "district"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    observation_type: Mapped[str] = mapped_column(String(200))
    unit: Mapped[dict] = mapped_column(JSON)  # unitOfMeasurement {name, symbol, definition}
    thing_id: Mapped[int] = mapped_column(ForeignKey("iot_things.id", ondelete="CASCADE"), index=True)
    sensor_id: Mapped[int] = mapped_column(ForeignKey("iot_sensors.id"), index=True)
    observed_property_id: Mapped[int] = mapped_column(ForeignKey("iot_observed_properties.id"), index=True)
    # Copied from the Thing and the ObservedProperty so that district queries need no joins.
    metric: Mapped[str | None] = mapped_column(String(40), nullable=True)
    district: Mapped[str | None] = mapped_column(String(40), nullable=True)
    default_foi_id: Mapped[int | None] = mapped_column(ForeignKey("iot_features_of_interest.id",
                                                                  ondelete="SET NULL"), nullable=True)


class Observation(Base):
    __tablename__ = "iot_observations"
    __table_args__ = (UniqueConstraint("datastream_id", "phenomenon_time", name="uq_iot_observations_stream_time"),
                      Index("ix_iot_observations_phenomenon_time", "phenomenon_time"))

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    datastream_id: Mapped[int] = mapped_column(ForeignKey("iot_datastreams.id", ondelete="CASCADE"))
    phenomenon_time: Mapped[datetime] = mapped_column(UTCDateTime())
    result_time: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    result: Mapped[float] = mapped_column(Float)
    foi_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    extra: Mapped[dict | None] = mapped_column(JSON, nullable=True)  # resultQuality, parameters


class HourlyAggregate(Base):
    """One datastream's observations of one hour: what remains after raw retention, what long queries read."""

    __tablename__ = "iot_hourly"

    datastream_id: Mapped[int] = mapped_column(ForeignKey("iot_datastreams.id", ondelete="CASCADE"),
                                               primary_key=True)
    hour: Mapped[int] = mapped_column(BigInteger, primary_key=True)  # hours since 1970-01-01T00:00Z
    n: Mapped[int] = mapped_column(Integer)
    total: Mapped[float] = mapped_column(Float)
    low: Mapped[float] = mapped_column(Float)
    high: Mapped[float] = mapped_column(Float)


class RollupState(Base):
    """Hours before ``rolled_until`` (epoch hours) are in iot_hourly; ingestion adds late observations there too."""

    __tablename__ = "iot_rollup_state"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    rolled_until: Mapped[int] = mapped_column(BigInteger)
    raw_deleted_before: Mapped[int] = mapped_column(BigInteger, default=0)
