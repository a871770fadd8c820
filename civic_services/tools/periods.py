"""The period words of the tools ("yesterday", "last_week", ...): one definition, the IoT analytics' (Seoul time),
and its date form for daily data."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone

from civic_services.iot.analytics import KST, PERIODS, period_range

__all__ = ["PERIODS", "date_range", "period_range"]


def date_range(period: str, today: date) -> tuple[date, date]:
    """[start, end) as Seoul dates, for daily data."""
    now = datetime.combine(today, time(23, 59), tzinfo=KST).astimezone(timezone.utc)
    start, end = period_range(period, now)
    start_local, end_local = start.astimezone(KST), end.astimezone(KST)
    end_date = end_local.date() if end_local.time() == time() else end_local.date() + timedelta(days=1)
    return start_local.date(), end_date
