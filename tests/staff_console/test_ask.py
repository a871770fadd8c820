"""Staff questions in plain language on the console (``/staff/ask``), in headless Chromium against a served app with
the real assistant (embedder, knowledge base, lexical and embedding tool routing) and reports filed on its
database: a question in English and in Korean is answered with words, a chart, a district choropleth and a table,
and the data behind it downloads as CSV and JSON; the staff's tool runs only for staff (the public chat and an
anonymous or tokenless request do not get it)."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime, timedelta, timezone

import httpx
import pytest

from civic_services.complaints.service import NewReport
from civic_services.periods import KST
from tests.browser import axe_violations, local_page, sideways_scroll, wait_ready, wait_until
from tests.harness import clean_settings, serve
from tests.staff_console.conftest import PASSWORD, session_client, sign_in

pytestmark = pytest.mark.slow

# (days ago, Seoul hour, service, lat, lon): three night reports in Mapo-gu, one in Gangnam-gu, one daytime one
REPORTS = [(2, 23, "pothole", 37.5663, 126.9019), (3, 1, "streetlight", 37.5560, 126.9100),
           (5, 2, "illegal_dumping", 37.5490, 126.9220), (4, 23, "pothole", 37.5172, 127.0473),
           (6, 14, "pothole", 37.5735, 126.9790)]
QUESTION_EN = "Where did night-time complaints cluster over the past 30 days?"
QUESTION_KO = "최근 30일 밤에 들어온 민원은 어느 구에 몰렸나요?"


@pytest.fixture(scope="module")
def ask_server(tmp_path_factory, kb_index_dir):
    settings = clean_settings(data_dir=tmp_path_factory.mktemp("ask") / "var", index_dir=kb_index_dir,
                              warm_up=False)
    with serve(settings) as served:
        service = served.runtime.complaints
        real_clock = service.clock
        now = real_clock()
        for days, hour, code, lat, lon in REPORTS:
            moment = (now - timedelta(days=days)).astimezone(KST).replace(hour=hour, minute=30)
            service.clock = lambda moment=moment: moment.astimezone(timezone.utc)
            service.submit(NewReport(code, f"{code} report", lat=lat, lon=lon, device_id="test"))
        service.clock = real_clock
        served.runtime.staff_users.create("analyst", "official", PASSWORD, department="도시교통실")
        yield served


def _ask(page, question: str) -> None:
    page.locator("#message").fill(question)
    page.locator("#ask button[type=submit]").click()
    wait_until(page, "document.querySelector('#log li[data-done]') !== null", 60)


def test_a_question_answered_with_a_chart_a_map_and_its_data(ask_server, tmp_path):
    with local_page() as page:
        page.goto(f"{ask_server.base}/staff/login?lang=en")
        sign_in(page, ask_server.base, "analyst", PASSWORD, "/staff/ask")
        wait_ready(page)
        _ask(page, QUESTION_EN)
        answer = page.locator("#log li").first
        assert answer.get_attribute("data-tool") == "complaint_statistics"
        text = answer.locator(".answer").inner_text()
        assert text.startswith("4 reports in Seoul at night") and "Mapo-gu 3" in text, text
        assert answer.locator("figure.chart svg").count() == 1
        wait_until(page, "document.querySelectorAll('.choropleth path[data-district]').length === 25")
        assert page.locator(".choropleth path[data-district='Mapo-gu']").get_attribute("data-value") == "3"
        assert page.locator(".choropleth path[data-district='Jongno-gu']").get_attribute("data-value") == "0"
        headers = answer.locator("table th").all_inner_texts()
        assert headers == ["District", "Reports", "Still open"]
        with page.expect_download() as caught:
            answer.get_by_text("Download CSV").click()
        rows = list(csv.reader(io.StringIO(caught.value.path().read_text(encoding="utf-8-sig"))))
        assert rows[0] == ["District", "Reports", "Still open"] and ["Mapo-gu", "3", "3"] in rows and len(rows) == 26
        with page.expect_download() as caught:
            answer.get_by_text("Download JSON").click()
        data = json.loads(caught.value.path().read_text(encoding="utf-8"))
        assert data["tool"] == "complaint_statistics" and data["arguments"]["time_of_day"] == "night"
        assert {"district": "Mapo-gu", "reports": 3} in data["series"]
        assert axe_violations(page) == []
        page.screenshot(path=str(tmp_path / "ask-en.png"), full_page=True)
        page.set_viewport_size({"width": 390, "height": 800})
        scroll, width = sideways_scroll(page)
        assert scroll <= width, (scroll, width)
        assert not page.errors


def test_the_korean_page(ask_server):
    with local_page() as page:
        page.goto(f"{ask_server.base}/staff/login?lang=ko")
        sign_in(page, ask_server.base, "analyst", PASSWORD, "/staff/ask")
        wait_ready(page)
        assert page.locator("h1").inner_text() == "데이터에 묻기"
        _ask(page, QUESTION_KO)
        answer = page.locator("#log li").first
        text = answer.locator(".answer").inner_text()
        assert text.startswith("최근 30일 서울 전체 밤(22시~6시) 민원 4건") and "마포구 3건" in text, text
        assert answer.locator("table th").all_inner_texts() == ["자치구", "민원 수", "미처리"]
        assert "마포구" in answer.locator("table tbody tr").first.inner_text()
        assert answer.get_by_text("CSV로 받기").count() == 1
        assert not page.errors


def test_only_staff_get_the_figures(ask_server):
    base = ask_server.base
    assert httpx.post(f"{base}/staff/ask", json={"message": QUESTION_EN}).status_code == 401
    citizen = httpx.post(f"{base}/chat", json={"message": QUESTION_EN, "lang": "en"}, timeout=30).json()
    assert citizen["tool"] != "complaint_statistics" and "Mapo-gu 3" not in citizen["answer"]
    client = session_client(base, "analyst", PASSWORD)
    try:
        assert client.post("/staff/ask", json={"message": QUESTION_EN}).status_code == 403  # no CSRF token
        reply = client.post("/staff/ask", json={"message": QUESTION_EN},
                            headers={"X-CSRF-Token": client.csrf}).json()
        assert reply["tool"] == "complaint_statistics" and reply["map"]["value"] == "reports"
        assert reply["columns"] == {"district": "District", "reports": "Reports", "open": "Still open"}
        empty = client.post("/staff/ask", json={"message": ""}, headers={"X-CSRF-Token": client.csrf})
        assert empty.status_code == 422
    finally:
        client.close()
