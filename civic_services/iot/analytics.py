"""What staff and the assistant ask of the sensors: the latest value in a district, a period's hourly or daily
aggregates (avg/min/max), districts compared, and fine-dust alerts with Korea's PM grades.

Periods are the named ones of :mod:`civic_services.periods` (last_24h, yesterday, last_week, ...), in Seoul
time, aligned to whole hours. Long periods read the hourly aggregates; hours
not yet rolled up are aggregated from raw observations in the same query plan.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

from sqlalchemy import Engine, func, select, text
from sqlalchemy.orm import aliased

from civic_services import districts
from civic_services.iot import catalogue
from civic_services.iot.errors import IoTError
from civic_services.iot.ingest import epoch_hour, hour_start
from civic_services.iot.rollup import hour_bucket
from civic_services.iot.tables import Datastream, HourlyAggregate, Observation
from civic_services.periods import KST, PERIODS, period_range, unknown_period

LATEST_WINDOW = timedelta(hours=1)  # a sensor's reading older than this is not "now"


def resolve_period(period: str, now: datetime) -> tuple[datetime, datetime]:
    if period not in PERIODS:
        raise IoTError(unknown_period(period))
    return period_range(period, now)


def resolve_metric(code: str) -> catalogue.Metric:
    found = catalogue.metric(code or "")
    if found is None:
        raise IoTError(f"unknown metric {code!r}; use one of {', '.join(m.code for m in catalogue.METRICS)}")
    return found


def resolve_district(name: str) -> str:
    found = districts.by_name(name or "")
    if found is None:
        raise IoTError(f"unknown district {name!r}; use one of Seoul's 25 districts, e.g. Mapo-gu or 마포구")
    return found.name_en


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


@dataclass(frozen=True)
class Bucket:
    start: datetime
    n: int
    total: float
    low: float
    high: float

    def as_dict(self) -> dict:
        return {"start": self.start.astimezone(KST).isoformat(), "avg": _round(self.total / self.n),
                "min": _round(self.low), "max": _round(self.high), "count": self.n}


class Analytics:
    def __init__(self, engine: Engine, clock=lambda: datetime.now(timezone.utc)):
        self.engine = engine
        self.dialect = engine.dialect.name
        self.clock = clock

    def _streams(self, connection, metric: str, district: str | None) -> list[int]:
        statement = select(Datastream.id).where(Datastream.metric == metric)
        if district:
            statement = statement.where(Datastream.district == district)
        return list(connection.execute(statement).scalars())

    # --- latest

    def _latest_by_stream(self, connection, metrics: list[str], district: str | None, since: datetime):
        """(district, metric, result, time) of each datastream's newest observation since ``since``."""
        inner = aliased(Observation)
        newest = (select(inner.id).where(inner.datastream_id == Datastream.id, inner.phenomenon_time >= since)
                  .order_by(inner.phenomenon_time.desc()).limit(1).correlate(Datastream).scalar_subquery())
        statement = (select(Datastream.district, Datastream.metric, Observation.result, Observation.phenomenon_time)
                     .join(Observation, Observation.id == newest).where(Datastream.metric.in_(metrics)))
        if district:
            statement = statement.where(Datastream.district == district)
        return connection.execute(statement).all()

    def latest(self, metric: str, district: str) -> dict:
        """The district's current value: the mean of its sensors' newest readings of the past hour."""
        m, name = resolve_metric(metric), resolve_district(district)
        now = self.clock()
        with self.engine.connect() as connection:
            rows = self._latest_by_stream(connection, [m.code], name, now - LATEST_WINDOW)
            sensors = len(self._streams(connection, m.code, name))
        return self._summary(m, name, [r[2] for r in rows], [r[3] for r in rows], sensors)

    @staticmethod
    def _summary(m: catalogue.Metric, district: str, values: list[float], times: list[datetime],
                 sensors: int) -> dict:
        answer = {"metric": m.code, "name": m.name_en, "name_ko": m.name_ko, "unit": m.unit_symbol,
                  "district": district, "sensors": sensors, "reporting": len(values)}
        if not values:
            return {**answer, "value": None, "as_of": None,
                    "note": f"no {m.code} reading from {district} in the past hour"}
        answer.update(value=_round(sum(values) / len(values)), min=_round(min(values)), max=_round(max(values)),
                      as_of=max(times).astimezone(KST).isoformat())
        if m.code in catalogue.PM_GRADES:
            answer["grade"] = catalogue.pm_grade(m.code, sum(values) / len(values))
        return answer

    # --- history

    def history(self, metric: str, district: str, period: str | None = None, start: datetime | None = None,
                end: datetime | None = None, interval: str = "hour") -> dict:
        m, name = resolve_metric(metric), resolve_district(district)
        if interval not in ("hour", "day"):
            raise IoTError("interval must be hour or day")
        now = self.clock()
        if period:
            start, end = resolve_period(period, now)
        elif start is None:
            raise IoTError("give a period (e.g. last_7d) or a start time")
        end = end or now
        if end <= start:
            raise IoTError("the period's end must come after its start")
        if end - start > timedelta(days=800):
            raise IoTError("a history covers at most 800 days")
        with self.engine.connect() as connection:
            streams = self._streams(connection, m.code, name)
            hours = self._hours(connection, streams, epoch_hour(start), epoch_hour(end - timedelta(microseconds=1)) + 1)
        buckets = _by_day(hours) if interval == "day" else [Bucket(hour_start(h), *v) for h, v in sorted(hours.items())]
        n = sum(b.n for b in buckets)
        summary = {"avg": _round(sum(b.total for b in buckets) / n), "min": _round(min(b.low for b in buckets)),
                   "max": _round(max(b.high for b in buckets)), "count": n} if n else None
        return {"metric": m.code, "unit": m.unit_symbol, "district": name, "period": period,
                "start": start.astimezone(KST).isoformat(), "end": end.astimezone(KST).isoformat(),
                "interval": interval, "sensors": len(streams), "summary": summary,
                "buckets": [b.as_dict() for b in buckets]}

    def _hours(self, connection, streams: list[int], first: int, last: int) -> dict[int, tuple]:
        """Epoch hour -> (n, total, low, high) over ``streams`` for hours in [first, last)."""
        if not streams:
            return {}
        rolled = connection.execute(text("SELECT rolled_until FROM iot_rollup_state WHERE id = 1")).scalar_one()
        hours: dict[int, tuple] = {}
        if first < rolled:
            statement = (select(HourlyAggregate.hour, func.sum(HourlyAggregate.n), func.sum(HourlyAggregate.total),
                                func.min(HourlyAggregate.low), func.max(HourlyAggregate.high))
                         .where(HourlyAggregate.datastream_id.in_(streams), HourlyAggregate.hour >= first,
                                HourlyAggregate.hour < min(last, rolled))
                         .group_by(HourlyAggregate.hour))
            hours.update({r[0]: (int(r[1]), float(r[2]), r[3], r[4]) for r in connection.execute(statement)})
        if last > rolled:
            bucket = hour_bucket(self.dialect)
            statement = (select(bucket, func.count(), func.sum(Observation.result), func.min(Observation.result),
                                func.max(Observation.result))
                         .where(Observation.datastream_id.in_(streams),
                                Observation.phenomenon_time >= hour_start(max(first, rolled)),
                                Observation.phenomenon_time < hour_start(last))
                         .group_by(bucket))
            hours.update({int(r[0]): (int(r[1]), float(r[2]), r[3], r[4]) for r in connection.execute(statement)})
        return hours

    # --- comparison and alerts

    def compare(self, metric: str, district_names: list[str] | None = None, period: str | None = None) -> dict:
        """Districts side by side: their latest values, or a period's averages; highest first."""
        m = resolve_metric(metric)
        wanted = [resolve_district(d) for d in district_names] if district_names else \
            [d.name_en for d in districts.districts()]
        rows = []
        if period is None:
            now = self.clock()
            with self.engine.connect() as connection:
                latest = self._latest_by_stream(connection, [m.code], None, now - LATEST_WINDOW)
            for name in wanted:
                mine = [r for r in latest if r[0] == name]
                summary = self._summary(m, name, [r[2] for r in mine], [r[3] for r in mine], len(mine))
                rows.append({"district": name, "value": summary["value"], "as_of": summary["as_of"],
                             **({"grade": summary["grade"]} if "grade" in summary else {})})
        else:
            for name in wanted:
                summary = self.history(m.code, name, period=period)["summary"] or {}
                rows.append({"district": name, "value": summary.get("avg"), "min": summary.get("min"),
                             "max": summary.get("max"), "count": summary.get("count", 0)})
        rows.sort(key=lambda r: (r["value"] is None, -(r["value"] or 0)))
        return {"metric": m.code, "unit": m.unit_symbol, "period": period or "now", "districts": rows}

    def air_quality_alerts(self, district: str = "all") -> dict:
        """Each district's PM10 and PM2.5 grades now; an alert where either is bad or very bad."""
        now = self.clock()
        name = None if district in ("all", "", None) else resolve_district(district)
        with self.engine.connect() as connection:
            latest = self._latest_by_stream(connection, ["pm10", "pm2_5"], name, now - LATEST_WINDOW)
        names = [name] if name else [d.name_en for d in districts.districts()]
        report = []
        for each in names:
            entry: dict = {"district": each, "district_ko": districts.by_name(each).name_ko}
            worst = None
            for code in ("pm10", "pm2_5"):
                values = [r[2] for r in latest if r[0] == each and r[1] == code]
                if not values:
                    entry[code] = None
                    continue
                value = sum(values) / len(values)
                grade = catalogue.pm_grade(code, value)
                entry[code] = {"value": _round(value), "grade": grade, "grade_ko": catalogue.GRADE_KO[grade],
                               "sensors": len(values)}
                if worst is None or catalogue.GRADE_RANK[grade] > catalogue.GRADE_RANK[worst]:
                    worst = grade
            entry["grade"] = worst
            entry["alert"] = worst in ("bad", "very_bad")
            report.append(entry)
        alerts = [e for e in report if e["alert"]]
        return {"as_of": now.astimezone(KST).isoformat(), "alerts": alerts, "districts": report,
                "grades": {"pm10": "good <=30, moderate <=80, bad <=150, very bad >150 ug/m3",
                           "pm2_5": "good <=15, moderate <=35, bad <=75, very bad >75 ug/m3"},
                "note": "each district's value is the mean of its sensors' newest readings of the past hour; "
                        "official warnings use hourly and 24-hour means and come from the city"}


def _by_day(hours: dict[int, tuple]) -> list[Bucket]:
    days: dict[date, list] = {}
    for hour, (n, total, low, high) in sorted(hours.items()):
        day = hour_start(hour).astimezone(KST).date()
        if day in days:
            acc = days[day]
            days[day] = [acc[0] + n, acc[1] + total, min(acc[2], low), max(acc[3], high)]
        else:
            days[day] = [n, total, low, high]
    return [Bucket(datetime(d.year, d.month, d.day, tzinfo=KST), *v) for d, v in days.items()]
