"""Staff questions in plain language, below the console page: the complaint figures (``complaint_statistics``) on a
real SQLite database (reports filed at known Seoul times in known districts are counted by district, service, hour
and day; night-time and open-only filters keep what they say; duplicates count once; the answer reads in both
languages with a chart of the data; a citizen cannot call it), and the router's reading of such questions (the
figures, and every district side by side for "which districts had the worst PM2.5")."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from civic_services.complaints.queue import QueueQuery
from civic_services.complaints.service import NewReport
from civic_services.periods import KST
from civic_services.tools.registry import ToolContext, ToolError
from dasan.runtime import Runtime, gather_tools
from tests.harness import clean_settings

REGISTRY = gather_tools()
NOW = datetime(2026, 11, 20, 12, 0, tzinfo=timezone.utc)  # 21:00 in Seoul
# (days ago, Seoul hour, service, lat, lon): Mapo-gu has three night reports, Gangnam-gu one, Jongno-gu two by day
REPORTS = [(2, 23, "pothole", 37.5663, 126.9019), (3, 1, "streetlight", 37.5560, 126.9100),
           (5, 2, "illegal_dumping", 37.5490, 126.9220), (4, 23, "pothole", 37.5172, 127.0473),
           (6, 14, "pothole", 37.5735, 126.9790), (9, 10, "graffiti", 37.5800, 126.9850),
           (60, 23, "pothole", 37.5700, 126.9000)]  # two months ago: outside the last 30 days


@pytest.fixture(scope="module")
def complaints(tmp_path_factory):
    with Runtime.open(clean_settings(data_dir=tmp_path_factory.mktemp("stats") / "var", warm_up=False,
                                     chat_enabled=False)) as runtime:
        service = runtime.complaints
        for days, hour, code, lat, lon in REPORTS:
            day = (NOW - timedelta(days=days)).astimezone(KST)
            moment = day.replace(hour=hour, minute=30)
            service.clock = lambda moment=moment: moment.astimezone(timezone.utc)
            service.submit(NewReport(code, f"{code} report", lat=lat, lon=lon, device_id="test"))
        service.clock = lambda moment=moment: moment.astimezone(timezone.utc)
        again = service.submit(NewReport("pothole", "the same pothole again", lat=37.5663, lon=126.9019))
        assert again.duplicate_of is not None  # linked to the first report: counted once
        service.clock = lambda: NOW
        yield service


def call(complaints, args, lang="en", role="staff"):
    return REGISTRY.call("complaint_statistics", args,
                         ToolContext({"complaints": complaints}, role=role, lang=lang))


def counts(result, key):
    return {row[key]: row["reports"] for row in result.table if row["reports"]}


def test_night_reports_by_district_over_the_past_30_days(complaints):
    result = call(complaints, {"group_by": "district", "period": "last_30d", "time_of_day": "night"})
    assert counts(result, "district") == {"Mapo-gu": 3, "Gangnam-gu": 1}
    assert len(result.table) == 25  # every district is a row, 0 where none: the map shows them all
    assert result.text.startswith("4 reports in Seoul at night (22:00-06:00), the last 30 days; 4 still open.")
    assert "Mapo-gu 3" in result.text
    assert result.chart.x == "district" and result.chart.y == "reports"
    assert {"district": "Mapo-gu", "reports": 3} in result.series


def test_korean_answer_names_the_districts_and_the_scope(complaints):
    result = call(complaints, {"group_by": "district", "period": "last_30d", "time_of_day": "night"}, lang="ko")
    assert result.text.startswith("최근 30일 서울 전체 밤(22시~6시) 민원 4건") and "마포구 3건" in result.text
    assert result.chart.names["Mapo-gu"] == "마포구" and "자치구별 건수" in result.chart.title


def test_by_service_hour_and_day_in_one_district(complaints):
    by_service = call(complaints, {"group_by": "service", "period": "last_30d", "district": "Mapo-gu"})
    assert counts(by_service, "service") == {"pothole": 1, "streetlight": 1, "illegal_dumping": 1}
    by_hour = call(complaints, {"group_by": "hour", "period": "last_30d", "time_of_day": "night"})
    assert [row["hour"] for row in by_hour.table] == [22, 23, 0, 1, 2, 3, 4, 5]
    assert counts(by_hour, "hour") == {23: 2, 1: 1, 2: 1}
    by_day = call(complaints, {"group_by": "day", "period": "last_30d"})
    assert sum(row["reports"] for row in by_day.table) == 6
    assert [row["day"] for row in by_day.table] == sorted(row["day"] for row in by_day.table)


def test_open_only_and_status(complaints):
    ticket = complaints.staff_list(QueueQuery(district="Jongno-gu"))["requests"][0]["service_request_id"]
    complaints.change_status(ticket, "closed", "tester", "fixed")
    still = call(complaints, {"group_by": "district", "period": "last_30d", "open_only": True})
    assert counts(still, "district") == {"Mapo-gu": 3, "Gangnam-gu": 1, "Jongno-gu": 1}
    by_status = call(complaints, {"group_by": "status", "period": "last_30d"})
    assert counts(by_status, "status") == {"open": 5, "closed": 1}


def test_citizens_and_bad_arguments_are_refused(complaints):
    with pytest.raises(ToolError, match="needs the role staff"):
        call(complaints, {"group_by": "district"}, role="citizen")
    with pytest.raises(ToolError, match="group_by"):
        call(complaints, {"group_by": "weather"})


@pytest.mark.parametrize("text, expected", [
    ("Where did night-time complaints cluster over the past 30 days?",
     {"group_by": "district", "period": "last_30d", "time_of_day": "night"}),
    ("최근 30일 밤에 들어온 민원은 어느 구에 몰렸나요?",
     {"group_by": "district", "period": "last_30d", "time_of_day": "night"}),
    ("마포구 지난주 민원 유형별 건수", {"group_by": "service", "period": "last_week", "district": "Mapo-gu"}),
    ("how many unresolved pothole reports per district", {"group_by": "district", "category": "pothole",
                                                          "open_only": True}),
    ("시간대별 민원 접수 건수 보여 줘", {"group_by": "hour"}),
])
def test_staff_questions_route_to_the_figures(text, expected):
    from chatbot.routing.nlu import NluRouter

    routed = NluRouter().route(text)
    assert routed.tool == "complaint_statistics" and routed.arguments == expected, routed


def test_one_report_and_how_to_questions_do_not(complaints):
    from chatbot.routing.nlu import NluRouter

    router = NluRouter()
    assert router.route("What is the status of SR-2026-000123?").tool == "complaint_status"
    assert router.route("포트홀 신고는 어떻게 하나요").tool != "complaint_statistics"


@pytest.mark.parametrize("text, metric, period", [
    ("Which districts had the worst PM2.5 last week?", "pm2_5", "last_week"),
    ("지난주 초미세먼지가 가장 나빴던 자치구는?", "pm2_5", "last_week"),
    ("자치구별 어제 미세먼지 평균", "pm10", "yesterday"),
])
def test_every_district_side_by_side(text, metric, period):
    from chatbot.routing.nlu import NluRouter

    routed = NluRouter().route(text)
    assert routed.tool == "sensor_history" and routed.arguments == {"metric": metric, "district": "all",
                                                                    "period": period}, routed
    assert not REGISTRY.errors("sensor_history", routed.arguments)
