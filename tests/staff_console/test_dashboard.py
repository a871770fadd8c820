"""The dashboard in headless Chromium against a real server and database: a complaint filed through the public
Open311 API appears live (server-sent events, no reload) on the counters and the map, then gets assigned in the
queue; air-quality alerts from a station's reading; both languages pass axe-core at 390 and 1280 px."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import httpx
import pytest

from civic_services import districts
from tests.portal.test_portal_pages import _axe, _no_sideways_scroll, _ready, _until

pytestmark = pytest.mark.slow


def _file(base: str, lat: str, lon: str, code: str = "pothole") -> tuple[str, str]:
    answer = httpx.post(f"{base}/open311/v2/requests.json", timeout=30,
                        data={"service_code": code, "lat": lat, "long": lon, "description": "a hole by the bus stop",
                              "email": "reporter@example.org"})
    assert answer.status_code == 201, answer.text
    return answer.json()[0]["service_request_id"], answer.json()[0]["district"]


def _open_in(page, district: str) -> int:
    return int(page.evaluate(f"document.querySelector('#map path[data-district=\"{district}\"]')?.dataset.open || -1"))


def test_a_new_complaint_shows_live_and_is_assigned_in_the_queue(console_server, signed_in_page):
    base = console_server.base
    page = signed_in_page("staff", ("complaints:read", "complaints:write"), target="/staff?every=2")
    _ready(page)
    _until(page, "document.querySelectorAll('#map path[data-district]').length === 25")
    before = int(page.locator("#c-today strong").inner_text())
    updates = int(page.evaluate("document.body.dataset.updates"))
    ticket, district = _file(base, "37.5665", "126.9018")
    _until(page, f"Number(document.querySelector('#c-today strong').textContent) === {before + 1}", timeout_s=20)
    assert int(page.evaluate("document.body.dataset.updates")) > updates  # pushed, not reloaded
    assert _open_in(page, district) >= 1
    row = page.locator(f"#districts tr[data-district='{district}'] td").first
    assert int(row.get_attribute("data-open")) >= 1 and "Today" in row.inner_text()
    assert page.locator("#map path[fill='#0b5cad']").count() >= 1  # the report itself, coloured as filed today
    # and it gets assigned in the queue
    page.locator("header nav a[href='/staff/complaints']").click()
    page.wait_for_url("**/staff/complaints")
    _ready(page)
    page.get_by_label("District", exact=True).select_option(district)
    page.get_by_role("button", name="Find", exact=True).click()
    page.locator(f"#queue tr[data-ticket='{ticket}']").wait_for()
    page.get_by_label(f"Select {ticket}").check()
    page.locator("#a-department").select_option("road_management")
    page.get_by_label("Person (optional)").fill("Kim Road")
    page.get_by_role("button", name="Assign", exact=True).click()
    page.get_by_text("Done for 1.").wait_for()
    cell = page.locator(f"#queue tr[data-ticket='{ticket}'] td.wide").nth(1)
    _until(page, f"document.querySelector(\"#queue tr[data-ticket='{ticket}'] td.wide:nth-of-type(7)\").textContent === 'Kim Road'")
    assert cell.inner_text() == "Kim Road"
    # a status change with a public note, then the reporter's contact and the notice in the outbox
    page.get_by_label(f"Select {ticket}").check()
    page.locator("#s-status").select_option("closed")
    page.get_by_label("Public note (the reporter sees it)").fill("Filled the hole.")
    page.get_by_role("button", name="Change status").click()
    page.get_by_text("Done for 1.").wait_for()
    assert page.locator(f"#queue tr[data-ticket='{ticket}']").count() == 0  # closed: out of the open queue
    page.get_by_label("Status", exact=True).select_option("")
    page.get_by_role("button", name="Find", exact=True).click()
    page.get_by_role("button", name=f"Open {ticket}").click()
    _until(page, "(document.querySelector('#reporter')?.textContent || '').includes('reporter@example.org')")
    assert "Filled the hole." in page.locator("#history").inner_text()
    _until(page, f"document.querySelectorAll('#outbox li[data-ticket=\"{ticket}\"]').length >= 1")
    record = httpx.get(f"{base}/open311/v2/requests/{ticket}.json").json()[0]
    assert record["status"] == "closed" and record["agency_responsible"] == "Road Management Division"
    actions = [e["action"] for e in console_server.runtime.audit.recent(50) if e["actor"] == f"staff:{page.user_name}"]
    assert f"POST /open311/v2/staff/requests/{ticket}/assign" in actions
    assert page.errors == []


def test_fine_dust_alert_and_stations(console_server, signed_in_page):
    iot = console_server.runtime.iot
    where = districts.by_name("Gangnam-gu")
    streams = iot.provision_station("console-test-gangnam", "Gangnam-gu", where.lat, where.lon, ("pm10", "pm2_5"))
    now = (datetime.now(timezone.utc) - timedelta(minutes=2)).isoformat().replace("+00:00", "Z")
    for code, value in (("pm10", 170.0), ("pm2_5", 20.0)):
        iot.create_observations([{"Datastream": {"@iot.id": streams[code]}, "components": ["phenomenonTime", "result"],
                                  "dataArray": [[now, value]]}])
    page = signed_in_page("official", lang="ko")
    _ready(page)
    _until(page, "document.querySelector('#alerts li[data-kind=fine_dust]') !== null")
    assert "강남구" in page.locator("#alerts li[data-kind=fine_dust]").inner_text()
    assert "매우나쁨" in page.locator("#alerts").inner_text()
    assert page.locator("#c-stations strong").inner_text().startswith("1")
    page.get_by_label("미세먼지 등급 PM10").check()
    assert "매우나쁨" in page.locator("#districts tr[data-district='Gangnam-gu']").inner_text()
    assert page.errors == []


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_console_pages_pass_axe_and_fit_390(console_server, signed_in_page, lang):
    page = signed_in_page("admin", lang=lang)
    failures = {}
    for width in (390, 1280):
        page.set_viewport_size({"width": width, "height": 900})
        for path in ("/staff", "/staff/complaints", "/staff/calls"):
            page.goto(f"{console_server.base}{path}")
            _ready(page)
            assert page.locator("html").get_attribute("lang") == lang
            assert page.locator("main").count() == 1 and page.locator("h1").count() == 1
            scroll, client = _no_sideways_scroll(page)
            assert scroll <= client, (path, width, scroll, client)
            if found := _axe(page):
                failures[f"{path} {width}"] = found
    assert failures == {}
    assert page.errors == []


def test_the_queue_in_korean(console_server, signed_in_page):
    ticket, district = _file(console_server.base, "37.5172", "127.0473", code="graffiti")
    page = signed_in_page("admin", lang="ko", target="/staff/complaints")
    _ready(page)
    assert page.locator("main h1").inner_text() == "민원 처리"
    page.get_by_label("경과").select_option("today")
    page.get_by_role("button", name="찾기", exact=True).click()
    row = page.locator(f"#queue tr[data-ticket='{ticket}']")
    row.wait_for()
    assert "낙서" in row.inner_text() and "강남구" in row.inner_text()
    page.get_by_label(f"{ticket} 선택").check()
    page.locator("#a-department").select_option("cleaning")
    page.get_by_role("button", name="배정하기").click()
    page.get_by_text("1건 처리했습니다.").wait_for()
    assert "청소행정과" in page.locator(f"#queue tr[data-ticket='{ticket}']").inner_text()
    assert page.errors == []
