"""The complaint queue's API (``GET /open311/v2/staff/requests``, ``/staff/outbox``) over a real server and
database: filters by district, service, status and age (past its due time, with the service's clock moved on),
duplicates counted on their original, the originals (not masked) for staff, bad filters as 400 sentences; and the
call records' list and take-over without a shared store."""

from __future__ import annotations

import time
from datetime import timedelta

import httpx
import pytest

from tests.staff_console.conftest import session_client
from voicebot.call import CallRecord
from voicebot.records import CallRecords


def _file(base: str, code: str, lat: str, lon: str, description: str) -> dict:
    answer = httpx.post(f"{base}/open311/v2/requests.json", timeout=30,
                        data={"service_code": code, "lat": lat, "long": lon, "description": description,
                              "phone": "010-1234-5678"})
    assert answer.status_code == 201, answer.text
    return answer.json()[0]


def test_queue_filters_duplicates_and_due_times(console_server, staff_user):
    base = console_server.base
    first = _file(base, "streetlight", "37.5172", "127.0473", "Light out, call me at 010-1234-5678")
    again = _file(base, "streetlight", "37.5172", "127.0473", "the same light")
    other = _file(base, "graffiti", "37.5663", "126.9016", "paint on the wall")
    assert again["duplicate_of"] == first["service_request_id"]
    http = session_client(base, *staff_user("staff", ("complaints:read",)))
    try:
        def tickets(**params) -> list[str]:
            answer = http.get("/open311/v2/staff/requests", params=params)
            assert answer.status_code == 200, answer.text
            return [r["service_request_id"] for r in answer.json()["requests"]]

        district = first["district"]
        assert set(tickets(district=district)) >= {first["service_request_id"], again["service_request_id"]}
        assert other["service_request_id"] not in tickets(district=district)
        assert tickets(service_code="graffiti") == [other["service_request_id"]]
        assert other["service_request_id"] in tickets(status="open", age="today")
        assert tickets(age="older") == [] and tickets(status="closed") == []
        rows = {r["service_request_id"]: r for r in
                http.get("/open311/v2/staff/requests", params={"district": district}).json()["requests"]}
        assert rows[first["service_request_id"]]["duplicates"] == 1
        assert rows[again["service_request_id"]]["duplicate_of"] == first["service_request_id"]
        assert "010-1234-5678" in rows[first["service_request_id"]]["description"]  # staff see the original
        assert rows[first["service_request_id"]]["department"] and not rows[first["service_request_id"]]["overdue"]
        # past the due time: with the service's clock moved on, the report is overdue on the queue and dashboard
        service = console_server.runtime.complaints
        real = service.clock
        service.clock = lambda: real() + timedelta(days=40)
        try:
            late = tickets(age="overdue")
            assert first["service_request_id"] in late and other["service_request_id"] in late
            assert service.overview()["overdue"] >= 3
        finally:
            service.clock = real
        for bad, word in (({"age": "ancient"}, "unknown age"), ({"status": "lost"}, "unknown status"),
                          ({"service_code": "ufo"}, "unknown service"), ({"department": "x"}, "unknown department")):
            answer = http.get("/open311/v2/staff/requests", params=bad)
            assert answer.status_code == 400 and word in answer.json()[0]["description"], bad
        outbox = http.get("/open311/v2/staff/outbox").json()
        assert {o["service_request_id"] for o in outbox} >= {first["service_request_id"]}
        assert http.get("/open311/v2/staff/outbox", params={"limit": 0}).status_code == 400
    finally:
        http.close()


def test_call_records_list_and_take_over_without_a_store():
    records = CallRecords(keep=5)
    for n, outcome in enumerate(("completed", "transferred", "hangup")):
        record = CallRecord(f"CA{n}", "en", time.time() + n)
        records.add(record.call_id, record)
        record.outcome = outcome
        records.finish(record.call_id)
    live = CallRecord("CA-live", "ko", time.time() + 10)
    records.add(live.call_id, live)
    assert [r["call_id"] for r in records.recent()] == ["CA-live", "CA2", "CA1", "CA0"]
    taken = records.take_over("CA1", "agent:kim")
    assert taken["taken"]["by"] == "agent:kim" and records.get("CA1")["taken"]["by"] == "agent:kim"
    assert records.take_over("CA1", "agent:kim")["taken"] == taken["taken"]  # again by the same agent: the same
    with pytest.raises(ValueError, match="already taken"):
        records.take_over("CA1", "agent:lee")
    with pytest.raises(ValueError, match="not handed off"):
        records.take_over("CA0", "agent:lee")
    with pytest.raises(KeyError):
        records.take_over("CA-none", "agent:lee")
