"""The period words of the tools ("yesterday", "last_week", ...) as concrete date ranges."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

PERIODS = ("last_24h", "yesterday", "today", "last_7d", "last_week", "last_month", "last_30d", "this_year",
           "last_year")


def period_range(period: str, now: datetime) -> tuple[datetime, datetime]:
    """[start, end) of a period, in the timezone of ``now``. "last_week" is the previous calendar week (Monday to
    Sunday); "last_7d" the seven days up to now."""
    today = datetime.combine(now.date(), time(), tzinfo=now.tzinfo)
    if period == "last_24h":
        return now - timedelta(hours=24), now
    if period == "today":
        return today, now
    if period == "yesterday":
        return today - timedelta(days=1), today
    if period == "last_7d":
        return now - timedelta(days=7), now
    if period == "last_30d":
        return now - timedelta(days=30), now
    if period == "last_week":
        monday = today - timedelta(days=today.weekday())
        return monday - timedelta(days=7), monday
    if period == "last_month":
        first = today.replace(day=1)
        previous = (first - timedelta(days=1)).replace(day=1)
        return previous, first
    if period == "this_year":
        return today.replace(month=1, day=1), now
    if period == "last_year":
        start = today.replace(year=today.year - 1, month=1, day=1)
        return start, today.replace(month=1, day=1)
    raise ValueError(f"unknown period {period!r}; one of {', '.join(PERIODS)}")


def date_range(period: str, today: date) -> tuple[date, date]:
    """[start, end) as dates, for daily data."""
    start, end = period_range(period, datetime.combine(today, time(23, 59)))
    end_date = end.date() if end.time() == time() else end.date() + timedelta(days=1)
    return start.date(), end_date
