"""The named periods the services and the assistant share ("yesterday", "last_week", ...): their names, the words
people use for them, and their span in Seoul time ([start, end) as instants, or as dates for daily data).

One definition: the IoT analytics read sensor histories over these periods, the open-data tool filters dated rows
by them, the tools' schemas enumerate them and the assistant's router recognises them by their phrases.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

KST = timezone(timedelta(hours=9), "KST")


@dataclass(frozen=True)
class Period:
    code: str  # the tools' name: last_24h, yesterday, ...
    phrases: tuple[str, ...]  # how people say it, in Korean and English (the assistant's router finds it by these)
    precedence: int  # where a message says several, the lowest wins (specific phrases before general ones)


CATALOGUE: tuple[Period, ...] = (
    Period("last_24h", ("24시간", "하루 동안", "last 24 hours", "past 24 hours", "24 hours", "24h", "past day",
                        "last day"), 1),
    Period("today", ("오늘", "today", "this morning", "this afternoon"), 9),
    Period("yesterday", ("어제", "어젯밤", "yesterday", "last night"), 8),
    Period("last_7d", ("최근 일주일", "지난 일주일", "최근 7일", "지난 7일", "일주일간", "일주일 동안", "한 주 동안",
                       "last 7 days", "past 7 days", "past week", "last seven days", "past seven days", "7일",
                       "일주일"), 2),
    Period("last_week", ("지난주", "지난 주", "저번 주", "저번주", "last week"), 4),
    Period("last_30d", ("지난 한 달", "최근 한 달", "최근 한달", "지난 한달", "한 달간", "한달간", "한 달 동안",
                        "최근 30일", "지난 30일", "last 30 days", "past 30 days", "past month", "last thirty days",
                        "30일"), 3),
    Period("last_month", ("지난달", "지난 달", "저번 달", "저번달", "last month"), 5),
    Period("this_year", ("올해", "금년", "this year"), 6),
    Period("last_year", ("작년", "지난해", "last year"), 7),
)
PERIODS: tuple[str, ...] = tuple(p.code for p in CATALOGUE)


def period_range(period: str, now: datetime) -> tuple[datetime, datetime]:
    """[start, end) of a named period, in UTC (``ValueError`` for a name not in :data:`PERIODS`)."""
    local = now.astimezone(KST)
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
    if period == "last_24h":
        return now - timedelta(hours=24), now
    if period == "today":
        return midnight.astimezone(timezone.utc), now
    if period == "yesterday":
        return (midnight - timedelta(days=1)).astimezone(timezone.utc), midnight.astimezone(timezone.utc)
    if period == "last_7d":
        return now - timedelta(days=7), now
    if period == "last_30d":
        return now - timedelta(days=30), now
    if period == "last_week":  # the previous calendar week, Monday to Monday
        monday = midnight - timedelta(days=local.weekday())
        return (monday - timedelta(days=7)).astimezone(timezone.utc), monday.astimezone(timezone.utc)
    if period == "last_month":
        first = midnight.replace(day=1)
        previous = (first - timedelta(days=1)).replace(day=1)
        return previous.astimezone(timezone.utc), first.astimezone(timezone.utc)
    if period == "this_year":
        return midnight.replace(month=1, day=1).astimezone(timezone.utc), now
    if period == "last_year":
        january = midnight.replace(month=1, day=1)
        return january.replace(year=january.year - 1).astimezone(timezone.utc), january.astimezone(timezone.utc)
    raise ValueError(unknown_period(period))


def unknown_period(period: str) -> str:
    return f"unknown period {period!r}; use one of {', '.join(PERIODS)}"


def date_range(period: str, today: date) -> tuple[date, date]:
    """[start, end) as Seoul dates, for daily data."""
    now = datetime.combine(today, time(23, 59), tzinfo=KST).astimezone(timezone.utc)
    start, end = period_range(period, now)
    start_local, end_local = start.astimezone(KST), end.astimezone(KST)
    end_date = end_local.date() if end_local.time() == time() else end_local.date() + timedelta(days=1)
    return start_local.date(), end_date
