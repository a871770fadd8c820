"""The staff's queue of reports: a filtered list with the fields staff work by (department, assignee, due time,
duplicates), the notices outbox across reports, and the figures a dashboard shows (open reports by district,
service and age, reports filed per day, the mean time to close, reports past their due time).

Staff only (the API asks for ``complaints:read``): descriptions and addresses are the originals, not masked."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select

from civic_services import districts
from civic_services.complaints.catalogue import DEPARTMENTS, SERVICES
from civic_services.complaints.errors import ComplaintError
from civic_services.periods import KST
from civic_services.complaints.records import Desk, w3c
from civic_services.complaints.tables import STATUSES, Event, Outbox, Request

# How old an open report is, in days: the dashboard's and the queue's age bands.
AGE_BANDS = (("today", 0, 1), ("week", 1, 7), ("month", 7, 30), ("older", 30, None))


@dataclass(frozen=True)
class QueueQuery:
    district: str | None = None
    service_code: str | None = None
    statuses: tuple[str, ...] = ()  # "open" means every state but closed
    age: str | None = None  # one of AGE_BANDS' names, or "overdue" (past its due time)
    department: str | None = None
    assignee: str | None = None
    limit: int = 200


def age_band(requested_at: datetime, now: datetime) -> str:
    days = (now - requested_at).total_seconds() / 86400
    for name, low, high in AGE_BANDS:
        if days >= low and (high is None or days < high):
            return name
    return "today"  # a report stamped a moment in the future (clock skew)


def _open_statuses(statuses: tuple[str, ...]) -> list[str]:
    bad = sorted(set(statuses) - set(STATUSES))
    if bad:
        raise ComplaintError(f"unknown status {', '.join(bad)}; use open, closed, acknowledged or in_progress")
    wanted = set(statuses)
    if "open" in wanted:
        wanted |= {"acknowledged", "in_progress"}
    return sorted(wanted)


class StaffQueue:
    def __init__(self, desk: Desk):
        self.desk = desk

    def list(self, query: QueueQuery) -> dict:
        """The reports matching ``query``, newest first, at most ``limit``, with how many matched in all."""
        if not 1 <= query.limit <= 1000:
            raise ComplaintError("limit must be between 1 and 1000")
        now = self.desk.clock()
        statement = select(Request)
        if query.district:
            district = districts.by_name(query.district)
            if district is None:
                raise ComplaintError(f"unknown district {query.district!r}; use a Seoul district such as Mapo-gu")
            statement = statement.where(Request.district == district.name_en)
        if query.service_code:
            if query.service_code not in SERVICES:
                raise ComplaintError(f"unknown service {query.service_code!r}; GET services lists them")
            statement = statement.where(Request.service_code == query.service_code)
        if query.statuses:
            statement = statement.where(Request.status.in_(_open_statuses(query.statuses)))
        if query.department:
            if query.department not in DEPARTMENTS:
                raise ComplaintError(f"unknown department {query.department!r}; one of {', '.join(DEPARTMENTS)}")
            statement = statement.where(Request.department == query.department)
        if query.assignee:
            statement = statement.where(Request.assignee == query.assignee)
        if query.age == "overdue":
            statement = statement.where(Request.status != "closed", Request.expected_at < now)
        elif query.age:
            bands = {name: (low, high) for name, low, high in AGE_BANDS}
            if query.age not in bands:
                raise ComplaintError(f"unknown age {query.age!r}; one of {', '.join(bands)}, overdue")
            low, high = bands[query.age]
            statement = statement.where(Request.requested_at <= now - timedelta(days=low))
            if high is not None:
                statement = statement.where(Request.requested_at > now - timedelta(days=high))
        with self.desk.sessions() as session:
            total = session.scalar(select(func.count()).select_from(statement.subquery()))
            rows = session.scalars(statement.order_by(Request.requested_at.desc(), Request.id.desc())
                                   .limit(query.limit)).all()
            tickets = [r.ticket for r in rows]
            linked = Counter(session.scalars(select(Request.duplicate_of)
                                             .where(Request.duplicate_of.in_(tickets))).all()) if tickets else {}
        return {"total": total, "shown": len(rows), "requests": [self._row(r, now, linked.get(r.ticket, 0))
                                                                  for r in rows]}

    @staticmethod
    def _row(r: Request, now: datetime, duplicates: int) -> dict:
        service = SERVICES.get(r.service_code)
        department = DEPARTMENTS.get(r.department)
        district = districts.by_name(r.district)
        return {"service_request_id": r.ticket, "service_code": r.service_code,
                "service_name": service.name if service else r.service_code,
                "service_name_ko": service.name_ko if service else r.service_code,
                "status_detail": r.status, "description": r.description, "address": r.address,
                "district": r.district, "district_ko": district.name_ko if district else r.district,
                "lat": r.lat, "long": r.lon, "department": r.department,
                "department_name": department.name_en if department else r.department,
                "department_name_ko": department.name_ko if department else r.department,
                "assignee": r.assignee, "requested_datetime": w3c(r.requested_at),
                "expected_datetime": w3c(r.expected_at), "age": age_band(r.requested_at, now),
                "overdue": bool(r.status != "closed" and r.expected_at and r.expected_at < now),
                "duplicate_of": r.duplicate_of, "duplicates": duplicates}

    def outbox(self, limit: int = 50) -> list[dict]:
        """The newest notices to reporters, across reports (sent or waiting)."""
        if not 1 <= limit <= 500:
            raise ComplaintError("limit must be between 1 and 500")
        with self.desk.sessions() as session:
            rows = session.execute(select(Outbox, Request.ticket).join(Request, Request.id == Outbox.request_id)
                                   .order_by(Outbox.id.desc()).limit(limit)).all()
            return [{"id": o.id, "service_request_id": ticket, "channel": o.channel, "recipient": o.recipient,
                     "subject": o.subject, "body": o.body, "created_at": w3c(o.created_at),
                     "sent_at": w3c(o.sent_at)} for o, ticket in rows]

    def statistics(self, query: "StatisticsQuery") -> dict:
        """Reports counted per district, service, status, hour or day (:func:`count_reports`)."""
        return count_reports(self.desk, query)

    def overview(self, close_window_days: int = 30) -> dict:
        """What a dashboard shows of the reports now: the open ones by district (by service and age band), how many
        were filed today (Seoul's day) and on each of the 7 days before, the mean time to close of those closed
        in the last ``close_window_days`` days, and the open ones past their due time."""
        now = self.desk.clock()
        today = now.astimezone(KST).replace(hour=0, minute=0, second=0, microsecond=0)
        week_start = today - timedelta(days=7)
        by_district: dict[str, dict] = defaultdict(lambda: {"open": 0, "services": Counter(), "ages": Counter()})
        overdue = []
        with self.desk.sessions() as session:
            open_rows = session.execute(select(Request.ticket, Request.district, Request.service_code,
                                               Request.requested_at, Request.expected_at, Request.lat, Request.lon,
                                               Request.status)
                                        .where(Request.status != "closed")).all()
            filed = session.scalars(select(Request.requested_at)
                                    .where(Request.requested_at >= week_start)).all()
            closed = session.execute(select(Event.at, Request.requested_at)
                                     .join(Request, Request.id == Event.request_id)
                                     .where(Event.action == "status", Event.to_status == "closed",
                                            Event.at >= now - timedelta(days=close_window_days))).all()
        points = []
        for ticket, district, code, requested, expected, lat, lon, status in open_rows:
            entry = by_district[district]
            entry["open"] += 1
            entry["services"][code] += 1
            band = age_band(requested, now)
            entry["ages"][band] += 1
            late = bool(expected and expected < now)
            if late:
                overdue.append({"service_request_id": ticket, "district": district, "service_code": code,
                                "expected_datetime": w3c(expected)})
            points.append({"service_request_id": ticket, "lat": lat, "long": lon, "district": district,
                           "service_code": code, "status_detail": status, "age": band, "overdue": late})
        per_day = Counter((moment.astimezone(KST).date() - today.date()).days for moment in filed)
        before = [per_day.get(-d, 0) for d in range(1, 8)]
        hours = [(at - requested).total_seconds() / 3600 for at, requested in closed]
        overdue.sort(key=lambda o: o["expected_datetime"] or "")
        return {
            "as_of": w3c(now),
            "open": len(open_rows),
            "today": per_day.get(0, 0),
            "last_7_days": before,  # yesterday first
            "average_7_days": round(sum(before) / 7, 2),
            "closed_recently": len(hours),
            "mean_hours_to_close": round(sum(hours) / len(hours), 1) if hours else None,
            "close_window_days": close_window_days,
            "overdue": len(overdue),
            "overdue_oldest": overdue[:20],
            "districts": {name: {"open": e["open"], "services": dict(e["services"]), "ages": dict(e["ages"])}
                          for name, e in by_district.items()},
            "points": points[:2000],
        }


# What the staff's figures of reports can be counted by, and the hours of the day a time-of-day filter keeps (Seoul
# time; "night" wraps past midnight).
STATISTICS_GROUPS = ("district", "service", "status", "hour", "day")
TIMES_OF_DAY = {"night": (22, 6), "morning": (6, 12), "afternoon": (12, 18), "evening": (18, 22)}


@dataclass(frozen=True)
class StatisticsQuery:
    group_by: str = "district"
    start: datetime | None = None  # reports filed from this instant (inclusive) ...
    end: datetime | None = None  # ... to this one (exclusive)
    district: str | None = None
    service_code: str | None = None
    time_of_day: str | None = None  # one of TIMES_OF_DAY
    open_only: bool = False


def in_time_of_day(moment: datetime, time_of_day: str | None) -> bool:
    if time_of_day is None:
        return True
    first, last = TIMES_OF_DAY[time_of_day]
    hour = moment.astimezone(KST).hour
    return first <= hour < last if first < last else hour >= first or hour < last


def count_reports(desk: Desk, query: StatisticsQuery) -> dict:
    """How many reports match ``query``, counted per group (every district, service, status or hour appears,
    with 0 where none; days in order), with the total and how many are still open. Duplicates count once (the
    report they were linked to)."""
    if query.group_by not in STATISTICS_GROUPS:
        raise ComplaintError(f"unknown grouping {query.group_by!r}; use one of {', '.join(STATISTICS_GROUPS)}")
    if query.time_of_day is not None and query.time_of_day not in TIMES_OF_DAY:
        raise ComplaintError(f"unknown time of day {query.time_of_day!r}; use one of {', '.join(TIMES_OF_DAY)}")
    statement = select(Request.district, Request.service_code, Request.status, Request.requested_at) \
        .where(Request.duplicate_of.is_(None))
    if query.start is not None:
        statement = statement.where(Request.requested_at >= query.start)
    if query.end is not None:
        statement = statement.where(Request.requested_at < query.end)
    if query.district:
        statement = statement.where(Request.district == query.district)
    if query.service_code:
        statement = statement.where(Request.service_code == query.service_code)
    if query.open_only:
        statement = statement.where(Request.status != "closed")
    with desk.sessions() as session:
        rows = [r for r in session.execute(statement).all() if in_time_of_day(r[3], query.time_of_day)]
    key = {"district": lambda r: r[0], "service": lambda r: r[1], "status": lambda r: r[2],
           "hour": lambda r: r[3].astimezone(KST).hour,
           "day": lambda r: r[3].astimezone(KST).date().isoformat()}[query.group_by]
    counts = Counter(key(r) for r in rows)
    open_counts = Counter(key(r) for r in rows if r[2] != "closed")
    if query.group_by == "district":
        groups = [d.name_en for d in districts.districts()] if not query.district else [query.district]
    elif query.group_by == "service":
        groups = list(SERVICES) if not query.service_code else [query.service_code]
    elif query.group_by == "status":
        groups = list(STATUSES)
    elif query.group_by == "hour":
        first = TIMES_OF_DAY[query.time_of_day][0] if query.time_of_day else 0  # the night reads 22, 23, 0, ...
        groups = [h for h in ((first + i) % 24 for i in range(24))
                  if in_time_of_day(datetime(2000, 1, 1, h, tzinfo=KST), query.time_of_day)]
    else:
        groups = sorted(counts)
    groups += sorted((g for g in counts if g not in groups), key=str)
    table = [{"group": g, "reports": counts.get(g, 0), "open": open_counts.get(g, 0)} for g in groups]
    if query.group_by in ("district", "service"):
        table.sort(key=lambda r: -r["reports"])
    return {"group_by": query.group_by, "total": len(rows), "open": sum(open_counts.values()), "groups": table}
