"""Air quality by district in headless Chromium against a real server and database: readings taken through the IoT
service (stations provisioned, observations written as a sensor would), the map and the table showing for every
district the grade the public API (``/iot/air-quality``) gives it, in words as well as colour, PM10 and PM2.5, a new
reading picked up by the page's own refresh, a district's last 24 hours drawn as the history API gives them, the
home page's cards for voting, open data and air quality, and axe-core with no serious or critical violations in
both languages at 390 and 1280 px."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import httpx
import pytest

from civic_services import districts
from tests.browser import local_page
from tests.harness import clean_settings, serve
from tests.portal.test_portal_pages import _axe, _no_sideways_scroll, _ready, _until

pytestmark = pytest.mark.slow

NOW = datetime.now(timezone.utc).replace(second=0, microsecond=0)
# district -> (PM10, PM2.5) now: every grade, and the bands' edges (30 is good, 31 moderate; 15 good, 16 moderate)
READINGS = {"Mapo-gu": (25.0, 20.0), "Gangnam-gu": (100.0, 80.0), "Jongno-gu": (160.0, 10.0),
            "Jung-gu": (31.0, 15.0), "Songpa-gu": (30.0, 16.0)}
WORDS = {"en": {"good": "Good", "moderate": "Moderate", "bad": "Bad", "very_bad": "Very bad", "no_data": "No reading"},
         "ko": {"good": "좋음", "moderate": "보통", "bad": "나쁨", "very_bad": "매우나쁨", "no_data": "측정값 없음"}}


def _stamp(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def _observe(iot, stream: int, *points: tuple[datetime, float]) -> None:
    outcome = iot.create_observations([{"Datastream": {"@iot.id": stream}, "components": ["phenomenonTime", "result"],
                                        "dataArray": [[_stamp(t), v] for t, v in points]}])
    assert outcome.rejected == 0 and outcome.stored == len(points), outcome.results


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    settings = clean_settings(data_dir=tmp_path_factory.mktemp("air-page") / "var", warm_up=False,
                              chat_enabled=False)
    with serve(settings) as served:
        iot = served.runtime.iot
        served.streams = {}
        for name, (pm10, pm25) in READINGS.items():
            where = districts.by_name(name)
            streams = iot.provision_station(f"air-test-{name}", name, where.lat, where.lon, ("pm10", "pm2_5"))
            served.streams[name] = streams
            _observe(iot, streams["pm10"], (NOW - timedelta(minutes=5), pm10))
            _observe(iot, streams["pm2_5"], (NOW - timedelta(minutes=5), pm25))
        # Mapo's last day, one reading an hour before the current one
        hours = [(NOW - timedelta(hours=h, minutes=20), 20.0 + 5 * (h % 7)) for h in range(1, 23)]
        _observe(iot, served.streams["Mapo-gu"]["pm10"], *hours)
        yield served


@pytest.fixture
def page(server):
    with local_page() as page:
        yield page


def _map_grades(page) -> dict[str, str]:
    return page.evaluate("Object.fromEntries([...document.querySelectorAll('#map path[data-district]')]"
                         ".map((p) => [p.dataset.district, p.dataset.grade]))")


def _table_grades(page, column: int) -> dict[str, tuple[str, str]]:
    """district -> (grade attribute, the words in the cell) of the table's PM10 (1) or PM2.5 (2) column."""
    return page.evaluate(f"""Object.fromEntries([...document.querySelectorAll('#readings tbody tr')].map((tr) =>
        [tr.dataset.district, [tr.cells[{column}].dataset.grade, tr.cells[{column}].innerText]]))""")


def test_home_page_offers_voting_open_data_and_air_quality(server, page):
    for lang, titles in (("ko", ("주민 투표하기", "열린데이터 보기", "우리 동네 대기질")),
                         ("en", ("Vote", "Open data", "Air quality near you"))):
        page.goto(f"{server.base}/?lang={lang}")
        for href, title in zip(("/voting", "/data", "/air"), titles):
            card = page.locator(f"main .cards a[href='{href}']")
            assert card.count() == 1 and card.locator("strong").inner_text() == title, (lang, href)
    page.locator("main .cards a[href='/air']").click()
    page.wait_for_url("**/air")
    _ready(page)
    assert page.locator("main h1").inner_text() == "Air quality by district"
    assert page.locator("header nav a[aria-current='page']").inner_text() == "Air quality"
    assert page.errors == []


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_the_grade_shown_for_each_district_is_the_apis(server, page, lang):
    api = httpx.get(f"{server.base}/iot/air-quality").json()["districts"]
    assert len(api) == 25
    page.goto(f"{server.base}/air?lang={lang}")
    _ready(page)
    _until(page, "document.querySelectorAll('#map path[data-district]').length === 25")
    words = WORDS[lang]
    for code, column in (("pm10", 1), ("pm2_5", 2)):
        if code == "pm2_5":
            page.get_by_label(page.locator("label", has_text="PM2.5").inner_text().strip()).check()
        shown, table = _map_grades(page), _table_grades(page, column)
        for entry in api:
            name, expected = entry["district"], (entry[code] or {}).get("grade", "no_data")
            assert shown[name] == expected, (code, name)
            assert table[name][0] == expected and words[expected] in table[name][1], (code, name)
            if entry[code]:
                assert f"{entry[code]['value']:g}" in table[name][1].replace(",", "")
        # and what the readings were: the API is not wrong either (Korea's bands at their edges)
        assert {n: shown[n] for n in READINGS} == {
            "pm10": {"Mapo-gu": "good", "Gangnam-gu": "bad", "Jongno-gu": "very_bad", "Jung-gu": "moderate",
                     "Songpa-gu": "good"},
            "pm2_5": {"Mapo-gu": "moderate", "Gangnam-gu": "very_bad", "Jongno-gu": "good", "Jung-gu": "good",
                      "Songpa-gu": "moderate"}}[code]
        assert sum(1 for g in shown.values() if g == "no_data") == 20
    legend = page.locator("#legend").inner_text()
    assert all(words[g] in legend for g in words)  # the grades in words, not colour alone
    assert "0–15" in legend and "16–35" in legend and "36–75" in legend and "76+" in legend
    label = page.locator("#map .district-label span", has_text=words["very_bad"]).first.inner_text()
    assert ("강남구" if lang == "ko" else "Gangnam-gu") in label
    assert page.errors == []


def test_a_new_reading_shows_without_reloading(server, page):
    page.goto(f"{server.base}/air?lang=en&every=5")
    _ready(page)
    assert _map_grades(page)["Yongsan-gu"] == "no_data"
    where = districts.by_name("Yongsan-gu")
    streams = server.runtime.iot.provision_station("air-test-live", "Yongsan-gu", where.lat, where.lon, ("pm10",))
    _observe(server.runtime.iot, streams["pm10"], (NOW - timedelta(minutes=1), 170.0))
    _until(page, "document.querySelector('#map path[data-district=\"Yongsan-gu\"]').dataset.grade === 'very_bad'",
           timeout_s=20)
    assert "Yongsan-gu (Very bad)" in page.locator("#alerts").inner_text()
    assert "every 5 seconds" in page.locator("#live").inner_text()
    assert page.errors == []


def test_a_districts_last_24_hours_on_click(server, page):
    history = httpx.get(f"{server.base}/iot/history",
                        params={"metric": "pm10", "district": "Mapo-gu", "period": "last_24h"}).json()
    hours = [b for b in history["buckets"] if b["avg"] is not None]
    assert len(hours) >= 22
    page.goto(f"{server.base}/air?lang=en")
    _ready(page)
    _until(page, "document.querySelectorAll('#map path[data-district]').length === 25")
    page.locator("#map path[data-district='Mapo-gu']").click(force=True)
    _until(page, "document.querySelector('#chart').dataset.district === 'Mapo-gu'")
    assert page.locator("#chart-h").inner_text() == "Last 24 hours: Mapo-gu"
    assert page.locator("#chart-svg rect").count() == len(hours)
    caption = page.locator("#chart-caption").inner_text()
    low, high = min(b["avg"] for b in hours), max(b["avg"] for b in hours)
    assert f"lowest {low:g}" in caption and f"highest {high:g}" in caption
    # by keyboard, from the table: a district with no reading says so in words
    button = page.get_by_role("button", name="Last 24 h in Dobong-gu")
    button.focus()
    page.keyboard.press("Enter")
    page.get_by_text("No PM10 reading from Dobong-gu in the last 24 hours.").wait_for()
    assert page.evaluate("document.activeElement.id") == "chart-h"
    assert page.errors == []


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_axe_and_widths(server, page, lang):
    for width in (390, 1280):
        page.set_viewport_size({"width": width, "height": 900})
        page.goto(f"{server.base}/air?lang={lang}")
        _ready(page)
        page.locator("#map path[data-district='Mapo-gu']").click(force=True)
        _until(page, "document.querySelector('#chart').dataset.district === 'Mapo-gu'")
        scroll, client = _no_sideways_scroll(page)
        assert scroll <= client, (lang, width, scroll, client)
        assert page.locator("html").get_attribute("lang") == lang
        assert page.locator("main").count() == 1 and page.locator("h1").count() == 1
        assert _axe(page) == [], (lang, width)
    assert page.errors == []
