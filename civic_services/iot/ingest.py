"""Observations in: check each one (datastream known, numeric result in the metric's plausible range, a time
with a zone, not in the future), then write a batch in one transaction.

The same code serves HTTP (POST Observations, CreateObservations) and MQTT. A batch is durable when
:meth:`ObservationWriter.write` returns. Observations are unique per (datastream, phenomenonTime), so a
redelivered message is counted as a duplicate, not stored twice. An observation older than the hourly rollup's
watermark is also merged into its hour's aggregate in the same transaction.
"""

from __future__ import annotations

import json
import math
import threading
import time
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from sqlalchemy import Engine, select, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from civic_services.iot import catalogue
from civic_services.iot.errors import IoTError
from civic_services.iot.odata import parse_time
from civic_services.iot.tables import Datastream, HourlyAggregate, Observation

FUTURE_SLACK = timedelta(minutes=10)  # sensor clocks run a little fast
EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def epoch_hour(moment: datetime) -> int:
    return int((moment - EPOCH).total_seconds() // 3600)


def hour_start(hour: int) -> datetime:
    return EPOCH + timedelta(hours=hour)


@dataclass(frozen=True)
class StreamInfo:
    id: int
    metric: catalogue.Metric | None
    foi_id: int | None


@dataclass(frozen=True)
class WriteResult:
    stored: int
    duplicates: int


class StreamCache:
    """Datastream id -> what ingestion needs, loaded once and refreshed on a miss (at most every 2 s)."""

    def __init__(self, engine: Engine):
        self.engine = engine
        self._streams: dict[int, StreamInfo] = {}
        self._loaded_at = 0.0
        self._lock = threading.Lock()

    def get(self, ident: int) -> StreamInfo | None:
        info = self._streams.get(ident)
        if info is None and time.monotonic() - self._loaded_at > 2.0:
            self.reload()
            info = self._streams.get(ident)
        return info

    def reload(self) -> None:
        with self._lock, self.engine.connect() as connection:
            rows = connection.execute(select(Datastream.id, Datastream.metric, Datastream.default_foi_id)).all()
            self._streams = {r.id: StreamInfo(r.id, catalogue.metric(r.metric) if r.metric else None,
                                              r.default_foi_id) for r in rows}
            self._loaded_at = time.monotonic()


def observation_row(stream: StreamInfo, body: object, now: datetime) -> dict:
    """One SensorThings Observation document -> a row for iot_observations, or IoTError saying what is wrong."""
    if not isinstance(body, dict):
        raise IoTError("an Observation must be a JSON object")
    result = body.get("result")
    if isinstance(result, bool) or not isinstance(result, (int, float)):
        raise IoTError(f"Datastream({stream.id}): result must be a number, not {json.dumps(result)[:40]}")
    result = float(result)
    if not math.isfinite(result):
        raise IoTError(f"Datastream({stream.id}): result must be a finite number")
    metric = stream.metric
    if metric and not metric.low <= result <= metric.high:
        raise IoTError(f"Datastream({stream.id}): result {result:g} is outside {metric.code}'s plausible range "
                       f"{metric.low:g}..{metric.high:g} {metric.unit_symbol} (a sensor fault?)")
    raw_time = body.get("phenomenonTime")
    if raw_time is None:
        phenomenon = now
    elif isinstance(raw_time, str):
        if "/" in raw_time:
            raise IoTError("phenomenonTime intervals are not supported; send the instant the result is for")
        phenomenon = parse_time(raw_time, "phenomenonTime")
    else:
        raise IoTError("phenomenonTime must be an ISO 8601 string")
    if phenomenon > now + FUTURE_SLACK:
        raise IoTError(f"phenomenonTime {raw_time} is in the future")
    if phenomenon.year < 2000:
        raise IoTError(f"phenomenonTime {raw_time} is before 2000")
    result_time = body.get("resultTime")
    if result_time is not None:
        if not isinstance(result_time, str):
            raise IoTError("resultTime must be an ISO 8601 string or null")
        result_time = parse_time(result_time, "resultTime")
    extra = None
    for key in ("resultQuality", "parameters"):
        if body.get(key) is not None:
            extra = extra or {}
            extra[key] = body[key]
    if extra and len(json.dumps(extra)) > 4000:
        raise IoTError("resultQuality and parameters together must be under 4,000 characters of JSON")
    foi = body.get("FeatureOfInterest")
    foi_id = stream.foi_id
    if isinstance(foi, dict) and "@iot.id" in foi:
        if not isinstance(foi["@iot.id"], int) or isinstance(foi["@iot.id"], bool):
            raise IoTError("FeatureOfInterest.@iot.id must be an integer")
        foi_id = foi["@iot.id"]
    return {"datastream_id": stream.id, "phenomenon_time": phenomenon, "result_time": result_time,
            "result": result, "foi_id": foi_id, "extra": extra}


def _quoted(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _array_literals(rows: list[dict]) -> dict[str, str]:
    """The rows' columns as PostgreSQL array literals ('{1,2,NULL}'), cast by the statement: building these
    strings costs a third of what psycopg's adaptation of Python lists does, element by element. Every value
    is ours: ints, finite floats (repr is exact), UTC datetimes (isoformat) and JSON text, which is quoted."""
    def literal(values) -> str:
        return "{" + ",".join(values) + "}"

    return {
        "ds": literal([str(r["datastream_id"]) for r in rows]),
        "pt": literal([r["phenomenon_time"].isoformat() for r in rows]),
        "rt": literal(["NULL" if r["result_time"] is None else r["result_time"].isoformat() for r in rows]),
        "res": literal([repr(r["result"]) for r in rows]),
        "foi": literal(["NULL" if r["foi_id"] is None else str(int(r["foi_id"])) for r in rows]),
        "extra": literal(["NULL" if r["extra"] is None else _quoted(json.dumps(r["extra"])) for r in rows]),
    }


class ObservationWriter:
    def __init__(self, engine: Engine):
        self.engine = engine
        self.streams = StreamCache(engine)
        self.dialect = engine.dialect.name

    def prepare(self, datastream_id: int, body: object, now: datetime | None = None) -> dict:
        stream = self.streams.get(datastream_id)
        if stream is None:
            raise IoTError(f"no Datastream with id {datastream_id}", 404)
        return observation_row(stream, body, now or datetime.now(timezone.utc))

    def write(self, rows: list[dict]) -> WriteResult:
        """Store a batch in one transaction; durable on return."""
        if not rows:
            return WriteResult(0, 0)
        with self.engine.begin() as connection:
            rolled = hour_start(self._watermark(connection))  # epoch_hour(t) < watermark <=> t < rolled
            late = [r for r in rows if r["phenomenon_time"] < rolled]
            current = [r for r in rows if r["phenomenon_time"] >= rolled] if late else rows
            stored = self._insert(connection, current) if current else 0
            if late:
                inserted = self._insert_returning(connection, late)
                stored += len(inserted)
                self._merge_hours(connection, inserted)
        return WriteResult(stored, len(rows) - stored)

    def write_one(self, row: dict) -> int | None:
        """Store one observation; its id, or None if the datastream already has one at that time."""
        with self.engine.begin() as connection:
            watermark = self._watermark(connection)
            got = connection.execute(self._insert_statement().returning(Observation.id), row).first()
            if got is None:
                return None
            hour = epoch_hour(row["phenomenon_time"])
            if hour < watermark:
                merge_hour(connection, self.dialect, row["datastream_id"], hour, 1, row["result"], row["result"],
                           row["result"])
            return got[0]

    def _watermark(self, connection) -> int:
        if self.dialect == "sqlite":  # take the write lock first: one writer at a time, no stale snapshot
            connection.execute(text("UPDATE iot_rollup_state SET id = id WHERE id = 1"))
            return connection.execute(text("SELECT rolled_until FROM iot_rollup_state WHERE id = 1")).scalar_one()
        suffix = " FOR SHARE" if self.dialect == "postgresql" else ""
        return connection.execute(text("SELECT rolled_until FROM iot_rollup_state WHERE id = 1" + suffix)).scalar_one()

    def _insert(self, connection, rows: list[dict]) -> int:
        if self.dialect == "postgresql":
            # One statement over arrays: far fewer round trips and parameters than a multi-row VALUES.
            result = connection.execute(text(
                "INSERT INTO iot_observations (datastream_id, phenomenon_time, result_time, result, foi_id, extra) "
                "SELECT * FROM unnest(CAST(:ds AS integer[]), CAST(:pt AS timestamptz[]), "
                "CAST(:rt AS timestamptz[]), CAST(:res AS double precision[]), CAST(:foi AS integer[]), "
                "CAST(:extra AS json[])) "
                "ON CONFLICT (datastream_id, phenomenon_time) DO NOTHING"),
                _array_literals(rows))
            return result.rowcount
        statement = self._insert_statement()
        result = connection.execute(statement, rows)
        return result.rowcount if result.rowcount is not None and result.rowcount >= 0 else len(rows)

    def _insert_statement(self):
        table = Observation.__table__
        if self.dialect == "postgresql":
            return pg_insert(table).on_conflict_do_nothing(index_elements=["datastream_id", "phenomenon_time"])
        if self.dialect == "sqlite":
            return sqlite_insert(table).on_conflict_do_nothing(index_elements=["datastream_id", "phenomenon_time"])
        return table.insert()

    def _insert_returning(self, connection, rows: list[dict]) -> list[dict]:
        statement = self._insert_statement().returning(Observation.datastream_id, Observation.phenomenon_time,
                                                       Observation.result)
        inserted = []
        for row in rows:  # late observations are few; one at a time keeps RETURNING portable
            got = connection.execute(statement, row).first()
            if got is not None:
                inserted.append({"datastream_id": got[0], "phenomenon_time": got[1], "result": got[2]})
        return inserted

    def _merge_hours(self, connection, rows: list[dict]) -> None:
        groups: dict[tuple[int, int], list[float]] = defaultdict(list)
        for row in rows:
            groups[(row["datastream_id"], epoch_hour(row["phenomenon_time"]))].append(row["result"])
        for (stream, hour), values in groups.items():
            merge_hour(connection, self.dialect, stream, hour, len(values), sum(values), min(values), max(values))


def merge_hour(connection, dialect: str, stream: int, hour: int, n: int, total: float, low: float,
               high: float) -> None:
    least, greatest = ("least", "greatest") if dialect == "postgresql" else ("min", "max")
    connection.execute(text(
        "INSERT INTO iot_hourly (datastream_id, hour, n, total, low, high) VALUES (:s, :h, :n, :t, :lo, :hi) "
        "ON CONFLICT (datastream_id, hour) DO UPDATE SET n = iot_hourly.n + excluded.n, "
        f"total = iot_hourly.total + excluded.total, low = {least}(iot_hourly.low, excluded.low), "
        f"high = {greatest}(iot_hourly.high, excluded.high)"),
        {"s": stream, "h": hour, "n": n, "t": total, "lo": low, "hi": high})


__all__ = ["ObservationWriter", "WriteResult", "StreamCache", "observation_row", "epoch_hour", "hour_start",
           "HourlyAggregate"]
