"""The IoT service over real HTTP on SQLite and PostgreSQL: SensorThings entities and queries checked against
known data, observations refused with clear errors, district analytics and fine-dust grades at their
boundaries."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from civic_services.iot import catalogue
from civic_services.periods import KST, period_range

NOW = datetime.now(timezone.utc).replace(microsecond=0)


def stamp(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


@pytest.fixture(scope="module")
def writer(server):
    return server.staff_token("iot:write")


@pytest.fixture(scope="module")
def station(http, writer):
    """A Thing in Mapo-gu with PM10, PM2.5 and temperature datastreams, created through the API."""
    props = {p["properties"]["code"]: p["@iot.id"]
             for p in http.get("/v1.1/ObservedProperties", params={"$top": "50"}).json()["value"]}
    body = {"name": "mapo-test-1", "description": "test station",
            "Locations": [{"name": "Mapo site", "description": "near Mapo-gu office",
                           "encodingType": "application/geo+json",
                           "location": {"type": "Point", "coordinates": [126.9016, 37.5663]}}],
            "Datastreams": [{"name": f"mapo {code}", "description": code,
                             "observationType": catalogue.OM_MEASUREMENT,
                             "unitOfMeasurement": catalogue.BY_CODE[code].unit,
                             "Sensor": {"name": f"{code} sensor", "encodingType": "text/plain", "metadata": "test"},
                             "ObservedProperty": {"@iot.id": props[code]}}
                            for code in ("pm10", "pm2_5", "temperature")]}
    answer = http.post("/v1.1/Things", json=body, headers=writer)
    assert answer.status_code == 201, answer.text
    thing = answer.json()
    assert answer.headers["Location"].endswith(f"/v1.1/Things({thing['@iot.id']})")
    assert thing["properties"]["district"] == "Mapo-gu"  # from the location
    streams = http.get(f"/v1.1/Things({thing['@iot.id']})/Datastreams").json()["value"]
    return {"thing": thing["@iot.id"], **{s["properties"]["metric"]: s["@iot.id"] for s in streams}}


def test_writes_need_a_staff_token(http, station):
    answer = http.post("/v1.1/Sensors", json={"name": "x", "encodingType": "text/plain", "metadata": ""})
    assert answer.status_code == 401
    assert answer.json()["type"] == "error" and "bearer" in answer.json()["message"]


def test_observed_properties_are_the_s_dot_items(http):
    values = http.get("/v1.1/ObservedProperties", params={"$count": "true", "$orderby": "id"}).json()
    assert values["@iot.count"] == 11
    codes = [v["properties"]["code"] for v in values["value"]]
    assert codes == [m.code for m in catalogue.METRICS]
    assert "floating_population" in codes and "uv" in codes


def test_single_and_batch_observations_and_queries(http, writer, station):
    temp = station["temperature"]
    times = [NOW - timedelta(minutes=50 - 10 * i) for i in range(5)]  # 5 readings, 10 minutes apart
    first = http.post(f"/v1.1/Datastreams({temp})/Observations", headers=writer,
                      json={"phenomenonTime": stamp(times[0]), "result": 10.0})
    assert first.status_code == 201, first.text
    assert first.json()["result"] == 10.0
    again = http.post("/v1.1/Observations", headers=writer,
                      json={"phenomenonTime": stamp(times[0]), "result": 10.0, "Datastream": {"@iot.id": temp}})
    assert again.status_code == 409 and "already has an observation" in again.json()["message"]
    batch = [{"Datastream": {"@iot.id": temp}, "components": ["phenomenonTime", "result"],
              "dataArray": [[stamp(t), 10.0 + 2 * i] for i, t in enumerate(times[1:], start=1)]
              + [[stamp(NOW), "hot"], [stamp(NOW + timedelta(days=1)), 1.0], [stamp(NOW), 999.0]]}]
    answer = http.post("/v1.1/CreateObservations", json=batch, headers=writer)
    assert answer.status_code == 201, answer.text
    results = answer.json()
    assert results[:4] == ["created"] * 4
    assert "must be a number" in results[4] and "in the future" in results[5] and "plausible range" in results[6]
    assert answer.headers["X-Observations-Stored"] == "4" and answer.headers["X-Observations-Rejected"] == "3"

    listing = http.get(f"/v1.1/Datastreams({temp})/Observations",
                       params={"$filter": f"result ge 14 and phenomenonTime lt {stamp(times[4])}",
                               "$orderby": "phenomenonTime asc", "$count": "true",
                               "$select": "result,phenomenonTime"}).json()
    assert listing["@iot.count"] == 2
    assert [v["result"] for v in listing["value"]] == [14.0, 16.0]
    assert set(listing["value"][0]) == {"result", "phenomenonTime"}
    page = http.get(f"/v1.1/Datastreams({temp})/Observations", params={"$top": "2", "$skip": "1"}).json()
    assert [v["result"] for v in page["value"]] == [16.0, 14.0]  # newest first by default
    assert "$skip=3" in page["@iot.nextLink"].replace("%24", "$")
    expanded = http.get(f"/v1.1/Things({station['thing']})",
                        params={"$expand": "Datastreams,Locations"}).json()
    assert len(expanded["Datastreams"]) == 3 and expanded["Locations"][0]["location"]["type"] == "Point"
    observation = listing["value"][0]
    one = http.get("/v1.1/Observations", params={"$filter": f"Datastream/id eq {temp} and result eq 14"}).json()
    assert one["value"][0]["result"] == 14.0
    ident = one["value"][0]["@iot.id"]
    assert http.get(f"/v1.1/Observations({ident})/Datastream").json()["@iot.id"] == temp
    foi = http.get(f"/v1.1/Observations({ident})/FeatureOfInterest").json()
    assert foi["feature"]["coordinates"] == [126.9016, 37.5663]
    assert observation

    # Hourly history over the known readings: 10, 12, 14, 16, 18 (by the hour they fall in).
    history = http.get("/iot/history", params={"metric": "temperature", "district": "마포구",
                                               "period": "last_24h"}).json()
    assert history["summary"] == {"avg": 14.0, "min": 10.0, "max": 18.0, "count": 5}
    assert sum(b["count"] for b in history["buckets"]) == 5
    daily = http.get("/iot/history", params={"metric": "temperature", "district": "Mapo",
                                             "period": "last_24h", "interval": "day"}).json()
    assert sum(b["count"] for b in daily["buckets"]) == 5
    latest = http.get("/iot/latest", params={"metric": "temperature", "district": "Mapo-gu"}).json()
    assert latest["value"] == 18.0 and latest["reporting"] == 1


@pytest.mark.parametrize(("query", "needle"), [
    ({"$filter": "colour eq 'red'"}, "unknown property"),
    ({"$filter": "result gt"}, "ends too early"),
    ({"$filter": "phenomenonTime gt 42"}, "compares with a time"),
    ({"$filter": "phenomenonTime gt '2026-01-01T00:00:00'"}, "needs a time zone"),
    ({"$top": "-1"}, "$top must be"),
    ({"$top": "¹"}, "$top must be"),  # a superscript is a digit int() cannot read (it was a 500)
    ({"$skip": "²"}, "$skip must be"),
    ({"$top": "100000"}, "at most"),
    ({"$orderby": "result sideways"}, "$orderby"),
    ({"$expand": "Datastream/Thing"}, "one level"),
    ({"$levels": "2"}, "unsupported query option"),
])
def test_bad_queries_are_400(http, station, query, needle):
    answer = http.get("/v1.1/Observations", params=query)
    assert answer.status_code == 400, answer.text
    assert needle in answer.json()["message"]


def test_bad_writes_are_clear_4xx(http, writer, station):
    pm = station["pm10"]
    cases = [
        (f"/v1.1/Datastreams({pm})/Observations", b"{not json", 400, "not valid JSON"),
        (f"/v1.1/Datastreams({pm})/Observations", {"result": None}, 400, "must be a number"),
        (f"/v1.1/Datastreams({pm})/Observations", {"result": -5}, 400, "plausible range"),
        (f"/v1.1/Datastreams({pm})/Observations", {"result": 5, "phenomenonTime": "yesterday"}, 400, "ISO 8601"),
        (f"/v1.1/Datastreams({pm})/Observations",
         {"result": 5, "phenomenonTime": "2026-01-01T00:00:00Z/2026-01-01T01:00:00Z"}, 400, "intervals"),
        ("/v1.1/Datastreams(999999)/Observations", {"result": 5}, 404, "no Datastream"),
        ("/v1.1/Observations", {"result": 5}, 400, "Datastream must be a reference"),
        ("/v1.1/Things", {"name": "x", "properties": {"district": "Busan"}}, 400, "unknown district"),
        ("/v1.1/Locations", {"name": "x", "location": {"type": "Point", "coordinates": [500, 1]}}, 400,
         "longitude and latitude"),
        ("/v1.1/Datastreams", {"name": "x", "Thing": {"@iot.id": 999999}, "Sensor": {"@iot.id": 1},
                               "ObservedProperty": {"@iot.id": 1}}, 404, "no Thing"),
        ("/v1.1/Things(1)/Datastreams", {"name": "x"}, 405, "POST to an entity set"),
        ("/v1.1/Nonsense", {"name": "x"}, 404, "cannot create"),
        ("/v1.1/CreateObservations", {"not": "a list"}, 400, "JSON array"),
    ]
    for path, body, status, needle in cases:
        kwargs = {"content": body} if isinstance(body, bytes) else {"json": body}
        answer = http.post(path, headers={**writer, "Content-Type": "application/json"}, **kwargs)
        assert answer.status_code == status, (path, body, answer.text)
        assert needle in answer.json()["message"], (path, answer.json())
    assert http.get("/v1.1/Things(424242)").status_code == 404
    assert http.get("/v1.1/Unknown").status_code == 404
    for path in ("/v1.1/%0A", "/v1.1/Things%0A(1)"):  # a newline in the resource path: this API's error, not the app's
        answer = http.get(path)
        assert answer.status_code == 400 and "cannot read the path segment" in answer.json()["message"], answer.text
    assert http.get("/iot/latest", params={"metric": "smell", "district": "Mapo-gu"}).status_code == 400
    assert http.get("/iot/latest", params={"metric": "pm10", "district": "Atlantis"}).status_code == 400
    assert http.get("/iot/history", params={"metric": "pm10", "district": "Mapo-gu",
                                            "period": "next_week"}).status_code == 400


@pytest.mark.parametrize(("pm10", "pm25", "grade", "alert"), [
    (30, 15, "good", False), (30.1, 15, "moderate", False), (80, 35, "moderate", False),
    (80.5, 20, "bad", True), (150, 75, "bad", True), (151, 10, "very_bad", True), (10, 75.2, "very_bad", True),
])
def test_air_quality_grades_at_their_boundaries(http, writer, station, pm10, pm25, grade, alert):
    moment = stamp(datetime.now(timezone.utc))  # a new newest reading per case
    for metric, value in (("pm10", pm10), ("pm2_5", pm25)):
        answer = http.post(f"/v1.1/Datastreams({station[metric]})/Observations", headers=writer,
                           json={"phenomenonTime": moment, "result": value})
        assert answer.status_code == 201, answer.text
    report = http.get("/iot/air-quality", params={"district": "Mapo-gu"}).json()
    mapo = report["districts"][0]
    assert mapo["grade"] == grade and mapo["alert"] is alert
    assert mapo["pm10"]["value"] == pm10 and mapo["pm2_5"]["value"] == pm25
    everywhere = http.get("/iot/air-quality").json()
    assert len(everywhere["districts"]) == 25
    assert [a["district"] for a in everywhere["alerts"]] == (["Mapo-gu"] if alert else [])
    compare = http.get("/iot/compare", params={"metric": "pm10", "districts": "Mapo-gu,Jongno-gu"}).json()
    assert compare["districts"][0] == {"district": "Mapo-gu", "value": pm10, "as_of": compare["districts"][0]["as_of"],
                                       "grade": catalogue.pm_grade("pm10", pm10)}
    assert compare["districts"][1]["value"] is None


def test_pm_grade_bands():
    assert [catalogue.pm_grade("pm10", v) for v in (0, 30, 31, 80, 81, 150, 151)] == \
        ["good", "good", "moderate", "moderate", "bad", "bad", "very_bad"]
    assert [catalogue.pm_grade("pm2_5", v) for v in (15, 16, 35, 36, 75, 76)] == \
        ["good", "moderate", "moderate", "bad", "bad", "very_bad"]


def test_periods_are_seoul_calendar_ranges():
    now = datetime(2026, 3, 4, 1, 30, tzinfo=timezone.utc)  # Wednesday 10:30 in Seoul
    start, end = period_range("last_week", now)
    assert start.astimezone(KST).isoformat() == "2026-02-23T00:00:00+09:00"  # Monday
    assert end.astimezone(KST).isoformat() == "2026-03-02T00:00:00+09:00"
    start, end = period_range("yesterday", now)
    assert start.astimezone(KST).date().isoformat() == "2026-03-03" and end - start == timedelta(days=1)
    start, end = period_range("last_month", now)
    assert (start.astimezone(KST).date().isoformat(), end.astimezone(KST).date().isoformat()) == \
        ("2026-02-01", "2026-03-01")
    start, end = period_range("last_year", now)
    assert start.astimezone(KST).date().isoformat() == "2025-01-01"
    assert period_range("last_7d", now) == (now - timedelta(days=7), now)
