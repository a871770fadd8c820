"""Downsampling and retention: completed hours of raw observations become hourly aggregates (count, sum, min,
max per datastream), raw observations older than their retention are deleted (only once rolled up), and hourly
aggregates older than theirs too. ``dasan iot consume`` runs this every few minutes; ``dasan iot maintain``
runs it once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from sqlalchemy import Engine, delete, func, literal_column, select, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from civic_services.iot.ingest import epoch_hour, hour_start
from civic_services.iot.tables import HourlyAggregate, Observation

ROLLUP_LAG = timedelta(minutes=10)  # an hour is rolled up this long after it ends (late messages still arrive)
DELETE_CHUNK = timedelta(days=1)


@dataclass(frozen=True)
class MaintenanceReport:
    rolled_until: datetime
    aggregates_written: int
    raw_deleted: int
    hourly_deleted: int


def hour_bucket(dialect: str):
    """SQL for an observation's epoch hour."""
    if dialect == "postgresql":
        return literal_column("CAST(floor(extract(epoch from iot_observations.phenomenon_time) / 3600) AS bigint)")
    return literal_column("(CAST(strftime('%s', iot_observations.phenomenon_time) AS INTEGER) / 3600)")


def lock_state(connection, dialect: str) -> tuple[int, int]:
    """Lock the rollup state row for this transaction (ingestion holds it shared) and read it."""
    if dialect == "sqlite":
        connection.execute(text("UPDATE iot_rollup_state SET id = id WHERE id = 1"))
    suffix = " FOR UPDATE" if dialect == "postgresql" else ""
    row = connection.execute(text("SELECT rolled_until, raw_deleted_before FROM iot_rollup_state WHERE id = 1"
                                  + suffix)).one()
    return row[0], row[1]


class Maintenance:
    def __init__(self, engine: Engine, raw_retention_days: int = 90, hourly_retention_days: int = 0):
        self.engine = engine
        self.dialect = engine.dialect.name
        self.raw_retention = timedelta(days=raw_retention_days) if raw_retention_days else None
        self.hourly_retention = timedelta(days=hourly_retention_days) if hourly_retention_days else None

    def watermark(self) -> int:
        with self.engine.connect() as connection:
            return connection.execute(text("SELECT rolled_until FROM iot_rollup_state WHERE id = 1")).scalar_one()

    def roll_up(self, now: datetime | None = None, lag: timedelta = ROLLUP_LAG) -> int:
        """Aggregate every complete hour not yet aggregated; returns how many hourly aggregates were written."""
        target = epoch_hour((now or datetime.now(timezone.utc)) - lag)
        with self.engine.begin() as connection:
            rolled, _ = lock_state(connection, self.dialect)
            if target <= rolled:
                return 0
            bucket = hour_bucket(self.dialect)
            source = (select(Observation.datastream_id, bucket, func.count(), func.sum(Observation.result),
                             func.min(Observation.result), func.max(Observation.result))
                      .where(Observation.phenomenon_time < hour_start(target)))
            if rolled > 0:
                source = source.where(Observation.phenomenon_time >= hour_start(rolled))
            source = source.group_by(Observation.datastream_id, bucket)
            insert = pg_insert if self.dialect == "postgresql" else sqlite_insert
            statement = insert(HourlyAggregate).from_select(["datastream_id", "hour", "n", "total", "low", "high"],
                                                            source)
            least, greatest = (func.least, func.greatest) if self.dialect == "postgresql" else (func.min, func.max)
            table = HourlyAggregate.__table__
            statement = statement.on_conflict_do_update(
                index_elements=["datastream_id", "hour"],
                set_={"n": table.c.n + statement.excluded.n, "total": table.c.total + statement.excluded.total,
                      "low": least(table.c.low, statement.excluded.low),
                      "high": greatest(table.c.high, statement.excluded.high)})
            written = connection.execute(statement).rowcount
            connection.execute(text("UPDATE iot_rollup_state SET rolled_until = :t WHERE id = 1"), {"t": target})
            return max(written or 0, 0)

    def apply_retention(self, now: datetime | None = None) -> tuple[int, int]:
        """Delete raw observations past retention (never ones not yet rolled up) and old hourly aggregates."""
        now = now or datetime.now(timezone.utc)
        raw_deleted = hourly_deleted = 0
        if self.raw_retention is not None:
            with self.engine.connect() as connection:
                rolled = connection.execute(text("SELECT rolled_until FROM iot_rollup_state WHERE id = 1")).scalar_one()
                oldest = connection.execute(select(func.min(Observation.phenomenon_time))).scalar()
            cutoff = min(now - self.raw_retention, hour_start(rolled))
            moment = oldest
            while moment is not None and moment < cutoff:  # a day at a time: short transactions
                upper = min(moment + DELETE_CHUNK, cutoff)
                with self.engine.begin() as connection:
                    raw_deleted += connection.execute(delete(Observation).where(
                        Observation.phenomenon_time < upper)).rowcount or 0
                moment = upper
        if self.hourly_retention is not None:
            with self.engine.begin() as connection:
                hourly_deleted = connection.execute(delete(HourlyAggregate).where(
                    HourlyAggregate.hour < epoch_hour(now - self.hourly_retention))).rowcount or 0
        return raw_deleted, hourly_deleted

    def run(self, now: datetime | None = None) -> MaintenanceReport:
        now = now or datetime.now(timezone.utc)
        hours = self.roll_up(now)
        raw, hourly = self.apply_retention(now)
        return MaintenanceReport(hour_start(self.watermark()), hours, raw, hourly)
