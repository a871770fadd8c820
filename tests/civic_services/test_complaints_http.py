"""Open311 GeoReport v2 end to end over real HTTP, on SQLite and PostgreSQL, with real photos and videos."""

from __future__ import annotations

import io
import re
from concurrent.futures import ThreadPoolExecutor
from xml.etree import ElementTree

import av
import httpx
from PIL import Image

from tests.civic_services.conftest import jpeg, mp4, published, seoul_time

CITY_HALL = (37.5665, 126.9780)  # Jung-gu
PRIVATE = {"first_name": "Minji", "last_name": "Kim", "phone": "010-1234-5678", "email": "minji@example.kr"}


def post(http, data, files=(), fmt="json"):
    return http.post(f"/open311/v2/requests.{fmt}", data=data, files=list(files))


def photo(name="p.jpg", **kwargs):
    return ("media", (name, jpeg(**kwargs), "image/jpeg"))


def test_service_catalogue_in_json_and_xml(http):
    services = http.get("/open311/v2/services.json").json()
    codes = {s["service_code"] for s in services}
    assert {"pothole", "illegal_dumping", "streetlight", "illegal_parking", "broken_sidewalk", "traffic_signal",
            "illegal_banner", "fallen_tree", "manhole", "abandoned_bicycle", "blocked_drain", "damaged_facility",
            "graffiti", "road_ice"} <= codes
    assert all(s["agency_responsible"] for s in services)
    xml = http.get("/open311/v2/services.xml")
    assert xml.headers["content-type"].startswith("text/xml")
    root = ElementTree.fromstring(xml.content)
    assert root.tag == "services" and len(root.findall("service")) == len(services)
    definition = http.get("/open311/v2/services/pothole.json").json()
    size = next(a for a in definition["attributes"] if a["code"] == "size")
    assert {v["key"] for v in size["values"]} == {"small", "medium", "large"}
    missing = http.get("/open311/v2/services/teleporter.xml")
    assert missing.status_code == 404
    assert ElementTree.fromstring(missing.content).find("error/code").text == "404"


def test_submit_with_photo_gps_and_follow_the_ticket(http):
    lat, lon = 37.5796, 126.9770  # Gyeongbokgung, Jongno-gu
    response = post(http, {"service_code": "broken_sidewalk", "description": "Loose paving stones",
                           **PRIVATE}, [photo(lat=lat, lon=lon, taken=seoul_time(5))])
    assert response.status_code == 201, response.text
    [answer] = response.json()
    assert re.fullmatch(r"SR-\d{4}-\d{6}", answer["service_request_id"])
    assert answer["district"] == "Jongno-gu" and "GPS" in answer["service_notice"]
    record = published(http, answer["service_request_id"])
    assert abs(record["lat"] - lat) < 1e-4 and abs(record["long"] - lon) < 1e-4
    assert record["status"] == "open" and record["agency_responsible"] == "Road Management Division"
    # The public copy is a JPEG without EXIF (no GPS, no camera); the original keeps it for staff.
    public = httpx.get(record["media_url"])
    assert public.status_code == 200 and public.headers["content-type"] == "image/jpeg"
    image = Image.open(io.BytesIO(public.content))
    assert image.format == "JPEG" and not image.getexif() and b"DasanTestCam" not in public.content
    follow = http.get(f"/open311/v2/tokens/{answer['token']}.json").json()[0]
    assert follow["service_request_id"] == answer["service_request_id"] and follow["status_detail"] == "open"
    assert http.get("/open311/v2/tokens/not-a-real-token.json").status_code == 404


def test_video_location_is_read_and_stripped(http, server):
    response = post(http, {"service_code": "illegal_dumping", "description": "Sofa dumped by the river"},
                    [("media", ("clip.mov", mp4("+37.5270+126.9340/", fmt="mov"), "video/quicktime"))])
    assert response.status_code == 201, response.text
    ticket = response.json()[0]["service_request_id"]
    assert response.json()[0]["district"] == "Yeongdeungpo-gu"
    record = published(http, ticket)
    public = httpx.get(record["media_url"]).content
    with av.open(io.BytesIO(public)) as container:
        assert "location" not in {k.lower() for k in container.metadata}
        assert container.streams.video[0].frames >= 1
    assert b"+37.5270" not in public
    staff = http.get(f"/open311/v2/staff/requests/{ticket}", headers=server.staff_token("complaints:read")).json()
    assert staff["media"][0]["kind"] == "video" and abs(staff["media"][0]["gps_lat"] - 37.527) < 1e-6
    original = http.get(staff["media"][0]["original_url"], headers=server.staff_token("complaints:read"))
    assert original.status_code == 200 and b"+37.5270" in original.content
    assert http.get(staff["media"][0]["original_url"]).status_code == 401


def test_uploads_that_are_refused(http, server):
    base = {"service_code": "graffiti", "description": "Tags on the wall", "lat": 37.55, "long": 126.99}
    fake = post(http, base, [("media", ("evil.jpg", b"#!/bin/sh\nrm -rf /\n" * 10, "image/jpeg"))])
    assert fake.status_code == 415 and "content" in fake.json()[0]["description"]
    big = jpeg(size=(900, 700), noise=True)
    assert len(big) > server.settings.complaint_photo_max_bytes
    too_large = post(http, base, [("media", ("big.jpg", big, "image/jpeg"))])
    assert too_large.status_code == 413 and "at most" in too_large.json()[0]["description"]
    four = post(http, base, [photo(f"{i}.jpg") for i in range(4)])
    assert four.status_code == 400 and "at most 3 photos" in four.json()[0]["description"]
    mixed = post(http, base, [photo(), ("media", ("v.mp4", mp4(), "video/mp4"))])
    assert mixed.status_code == 400 and "not both" in mixed.json()[0]["description"]
    truncated = post(http, base, [("media", ("cut.jpg", jpeg()[:200], "image/jpeg"))])
    assert truncated.status_code == 415
    # Nothing of the refused reports was kept.
    assert http.get("/open311/v2/requests.json", params={"service_code": "graffiti"}).json() == []


def test_illegal_parking_needs_two_photos_a_minute_apart(http):
    base = {"service_code": "illegal_parking", "description": "Car on the crosswalk", "lat": 37.5443,
            "long": 127.0557, "attribute[place_type]": "crosswalk", "attribute[vehicle_plate]": "12가3456"}
    one = post(http, base, [photo(taken=seoul_time(3))])
    assert one.status_code == 400 and "at least 2 photos" in one.json()[0]["description"]
    close = post(http, base, [photo("a.jpg", taken=seoul_time(3)), photo("b.jpg", taken=seoul_time(2.5))])
    assert close.status_code == 400 and "60 seconds apart" in close.json()[0]["description"]
    undated = post(http, base, [photo("a.jpg"), photo("b.jpg")])
    assert undated.status_code == 400 and "time they were taken" in undated.json()[0]["description"]
    bad_attribute = post(http, {**base, "attribute[place_type]": "rooftop"},
                         [photo("a.jpg", taken=seoul_time(5)), photo("b.jpg", taken=seoul_time(3))])
    assert bad_attribute.status_code == 400 and "place_type" in bad_attribute.json()[0]["description"]
    good = post(http, base, [photo("a.jpg", taken=seoul_time(5)), photo("b.jpg", taken=seoul_time(3))])
    assert good.status_code == 201, good.text
    record = published(http, good.json()[0]["service_request_id"])
    assert len(record["media_urls"]) == 2 and record["agency_responsible"] == "Parking Management Division"


def test_locations(http):
    base = {"service_code": "streetlight", "description": "Lamp out"}
    outside = post(http, {**base, "lat": 35.1796, "long": 129.0756})  # Busan
    assert outside.status_code == 400 and "outside Seoul" in outside.json()[0]["description"]
    by_address = post(http, {**base, "address_string": "Olympic-ro 300, Songpa-gu, Seoul"})
    assert by_address.status_code == 201 and by_address.json()[0]["district"] == "Songpa-gu"
    korean = post(http, {**base, "address_string": "서울 마포구 월드컵북로 396 앞"})
    assert korean.json()[0]["district"] == "Mapo-gu"
    busan = post(http, {**base, "address_string": "부산 중구 중앙대로 100"})
    assert busan.status_code == 400 and "district of Seoul" in busan.json()[0]["description"]
    nowhere = post(http, base)
    assert nowhere.status_code == 400 and "needs a location" in nowhere.json()[0]["description"]
    gps_outside = post(http, base, [photo(lat=35.18, lon=129.07)])
    assert gps_outside.status_code == 400 and "outside Seoul" in gps_outside.json()[0]["description"]
    malformed = post(http, {**base, "lat": "north", "long": "127"}, fmt="xml")
    assert malformed.status_code == 400
    assert "lat" in ElementTree.fromstring(malformed.content).find("error/description").text


def test_duplicates_within_50_m_are_linked(http):
    first = post(http, {"service_code": "manhole", "description": "Rattling cover", "lat": 37.5100,
                        "long": 127.0600}).json()[0]
    near = post(http, {"service_code": "manhole", "description": "Cover loose", "lat": 37.51025,
                       "long": 127.0601}).json()[0]  # ~29 m
    far = post(http, {"service_code": "manhole", "description": "Another", "lat": 37.5108,
                      "long": 127.0600}).json()[0]  # ~89 m
    other_service = post(http, {"service_code": "pothole", "description": "Hole", "lat": 37.5100,
                                "long": 127.0600}).json()[0]
    assert near["duplicate_of"] == first["service_request_id"]
    assert "already open" in near["service_notice"] and first["service_request_id"] in near["service_notice"]
    assert far["duplicate_of"] is None and other_service["duplicate_of"] is None
    [original] = http.get(f"/open311/v2/requests/{first['service_request_id']}.json").json()
    assert original["duplicates"] == 1
    same_address = [post(http, {"service_code": "road_ice", "description": "Icy slope",
                                "address_string": addr}).json()[0]
                    for addr in ("서울 성북구 보문로 168", "서울특별시  성북구 보문로 168")]
    assert same_address[1]["duplicate_of"] == same_address[0]["service_request_id"]


def test_lifecycle_staff_auth_history_and_notifications(http, server):
    created = post(http, {"service_code": "fallen_tree", "description": "Tree across the path", "lat": 37.6500,
                          "long": 127.0300, **PRIVATE}).json()[0]
    dup = post(http, {"service_code": "fallen_tree", "description": "Same tree", "lat": 37.65005,
                      "long": 127.0300, "phone": "010-9999-0000"}).json()[0]
    ticket = created["service_request_id"]
    url = f"/open311/v2/staff/requests/{ticket}/status"
    assert http.post(url, json={"status": "acknowledged"}).status_code == 401
    reader = server.staff_token("complaints:read")
    assert http.post(url, json={"status": "acknowledged"}, headers=reader).status_code == 403
    assert http.post(url, json={"status": "acknowledged"},
                     headers={"Authorization": "Bearer dasan_st_forged"}).status_code == 401
    writer = server.staff_token("complaints:write")
    assert http.post(url, json={"status": "acknowledged", "note": "Crew notified"}, headers=writer).status_code == 200
    assert http.post(f"/open311/v2/staff/requests/{ticket}/assign", headers=writer,
                     json={"department": "parks", "assignee": "Crew 7"}).json()["assignee"] == "Crew 7"
    assert http.post(url, json={"status": "in_progress"}, headers=writer).status_code == 200
    no_note = http.post(url, json={"status": "closed"}, headers=writer)
    assert no_note.status_code == 400 and "public note" in no_note.json()[0]["description"]
    assert http.post(url, json={"status": "closed", "note": "Tree removed."}, headers=writer).status_code == 200
    wrong = http.post(url, json={"status": "in_progress"}, headers=writer)
    assert wrong.status_code == 409 and "closed" in wrong.json()[0]["description"]
    [public] = http.get(f"/open311/v2/requests/{ticket}.json").json()
    assert public["status"] == "closed" and public["status_notes"] == "Tree removed."
    assert [u["status"] for u in public["updates"]] == ["open", "acknowledged", "in_progress", "closed"]
    follow = http.get(f"/open311/v2/tokens/{dup['token']}.json").json()[0]
    assert follow["status"] == "closed" and ticket in follow["status_notes"]  # closed with the original
    record = http.get(f"/open311/v2/staff/requests/{ticket}", headers=reader).json()
    assert record["reporter"]["email"] == PRIVATE["email"] and record["assignee"] == "Crew 7"
    assert [(h["action"], h["actor"]) for h in record["history"]] == [
        ("submitted", "citizen"), ("status", "staff:tester"), ("assigned", "staff:tester"),
        ("status", "staff:tester"), ("status", "staff:tester")]
    assert all(h["datetime"] for h in record["history"])
    assert [o["channel"] for o in record["outbox"]] == ["email"] * 4  # received + 3 status changes
    assert "Tree removed." in record["outbox"][-1]["body"]
    dup_record = http.get(f"/open311/v2/staff/requests/{dup['service_request_id']}", headers=reader).json()
    assert dup_record["status_detail"] == "closed" and dup_record["outbox"][-1]["channel"] == "sms"


def test_reporter_identity_never_public(http):
    created = post(http, {"service_code": "blocked_drain", "description": "Drain overflowing", "lat": 37.4800,
                          "long": 126.9500, **PRIVATE}).json()[0]
    ticket = created["service_request_id"]
    bodies = [http.get(f"/open311/v2/requests/{ticket}.{fmt}").text for fmt in ("json", "xml")]
    bodies += [http.get(f"/open311/v2/requests.{fmt}", params={"service_request_id": ticket}).text
               for fmt in ("json", "xml")]
    bodies += [http.get("/open311/v2/requests.json").text, http.get(f"/open311/v2/tokens/{created['token']}.json").text]
    for body in bodies:
        assert ticket in body
        for secret in PRIVATE.values():
            assert secret not in body
    assert http.get(f"/open311/v2/staff/requests/{ticket}").status_code == 401


def test_listing_filters_and_paging(http):
    tickets = [post(http, {"service_code": "abandoned_bicycle", "description": f"Bike {i}",
                           "lat": 37.60 + i * 0.01, "long": 127.05}).json()[0]["service_request_id"]
               for i in range(5)]
    pages = [http.get("/open311/v2/requests.json", params={"service_code": "abandoned_bicycle", "page": page,
                                                           "page_size": 2}).json() for page in (1, 2, 3)]
    assert [len(p) for p in pages] == [2, 2, 1]
    seen = [r["service_request_id"] for p in pages for r in p]
    assert sorted(seen) == sorted(tickets) and seen == sorted(seen, reverse=True)  # newest first
    some = http.get("/open311/v2/requests.json", params={"service_request_id": f"{tickets[0]},{tickets[3]}"}).json()
    assert {r["service_request_id"] for r in some} == {tickets[0], tickets[3]}
    near = http.get("/open311/v2/requests.json", params={"lat": 37.60, "long": 127.05, "radius": 300,
                                                        "service_code": "abandoned_bicycle"}).json()
    assert [r["service_request_id"] for r in near] == [tickets[0]]
    assert http.get("/open311/v2/requests.json", params={"status": "closed",
                                                        "service_code": "abandoned_bicycle"}).json() == []
    assert http.get("/open311/v2/requests.json", params={"page_size": 0}).status_code == 400
    assert http.get("/open311/v2/requests.json", params={"status": "lost"}).status_code == 400
    assert http.get("/open311/v2/requests/SR-1999-000001.json").status_code == 404
    xml = ElementTree.fromstring(http.get("/open311/v2/requests.xml", params={"page_size": 1}).content)
    assert xml.tag == "service_requests" and len(xml.findall("request")) == 1


def test_concurrent_submissions_get_distinct_tickets(http, server):
    def submit(i):
        return httpx.post(f"{server.base}/open311/v2/requests.json", timeout=60,
                          data={"service_code": "damaged_facility", "description": f"Bench {i}",
                                "lat": 37.50 + i * 0.002, "long": 126.90}, files=[photo()])

    with ThreadPoolExecutor(8) as pool:
        responses = list(pool.map(submit, range(24)))
    assert all(r.status_code == 201 for r in responses), [r.text for r in responses if r.status_code != 201]
    tickets = [r.json()[0]["service_request_id"] for r in responses]
    assert len(set(tickets)) == 24


def test_concurrent_reports_of_one_place_are_linked_to_one(http, server):
    """Reports are taken in parallel (no lock on PostgreSQL but the place's), yet reports of one problem sent at
    the same moment still see each other: one is the original, every other is linked to it."""
    def submit(i):
        return httpx.post(f"{server.base}/open311/v2/requests.json", timeout=60,
                          data={"service_code": "manhole", "description": f"Open manhole {i}",
                                "lat": 37.6412 + i * 0.00003, "long": 127.0011}, files=[photo()])

    with ThreadPoolExecutor(8) as pool:
        responses = list(pool.map(submit, range(8)))
    assert all(r.status_code == 201 for r in responses), [r.text for r in responses if r.status_code != 201]
    answers = [r.json()[0] for r in responses]
    originals = [a for a in answers if a["duplicate_of"] is None]
    assert len(originals) == 1, answers
    assert all(a["duplicate_of"] == originals[0]["service_request_id"] for a in answers if a is not originals[0])
