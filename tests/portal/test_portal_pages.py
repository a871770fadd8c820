"""The citizens' portal in headless Chromium against a real server: the home page in both languages, a report
filed with a photo and a pin from "use my location" through the public Open311 API, found on the map and in the
list and followed on its ticket page (also by its code), the checks a photo gets before upload, API errors shown
as sentences, no sideways scrolling at 390 px, axe-core with no serious or critical violations on every page, and
no request leaving the machine."""

from __future__ import annotations

import json

import httpx
import pytest

from tests.browser import axe_violations, chromium_page, local_page, sideways_scroll, wait_ready, wait_until
from tests.civic_services.conftest import jpeg, mp4
from tests.harness import clean_settings, serve

pytestmark = pytest.mark.slow

MAPO = {"latitude": 37.5663, "longitude": 126.9016}  # Mapo-gu office
GANGNAM = {"latitude": 37.5172, "longitude": 127.0473}  # Gangnam-gu office


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    settings = clean_settings(data_dir=tmp_path_factory.mktemp("portal") / "var", warm_up=False, chat_enabled=False)
    with serve(settings) as served:
        yield served


@pytest.fixture
def browser_page(server):
    """A page whose requests are recorded (any not to this server is aborted), with its console errors."""
    with local_page() as page:
        yield page


# the page helpers, under the names the other page tests import
_ready, _until, _axe, _no_sideways_scroll = wait_ready, wait_until, axe_violations, sideways_scroll


def _file_report(base: str, **fields) -> dict:
    data = {"service_code": "pothole", "lat": "37.5665", "long": "126.9018", "description": "a hole", **fields}
    answer = httpx.post(f"{base}/open311/v2/requests.json", data=data,
                        files=[("media", ("p.jpg", jpeg(), "image/jpeg"))], timeout=30)
    assert answer.status_code == 201, answer.text
    return answer.json()[0]


def test_home_page_in_korean_and_english(server, browser_page, tmp_path):
    page, base = browser_page, server.base
    assert '<html lang="ko">' in httpx.get(f"{base}/").text  # Korean unless asked otherwise
    assert '<html lang="en">' in httpx.get(f"{base}/", headers={"Accept-Language": "en-US,en"}).text
    page.set_extra_http_headers({"Accept-Language": "ko-KR,ko"})
    page.goto(f"{base}/")
    assert page.locator("html").get_attribute("lang") == "ko"
    assert page.locator("main h1").inner_text() == "무엇을 도와드릴까요?"
    for href in ("/chat", "/voicebot", "/complaints#report-h", "/complaints#recent-h", "/complaints#track-h"):
        assert page.locator(f"main a[href='{href}']").count() == 1, href
    about = page.locator("#about")
    assert about.locator("a[href='/docs']").count() == 1 and about.locator("a[href='/models']").count() == 1
    page.locator("#models tr td.ok, #models tr td.bad").first.wait_for(timeout=20_000)  # the models table, as before
    page.screenshot(path=str(tmp_path / "home-ko.png"), full_page=True)

    page.get_by_role("link", name="English").click()
    page.wait_for_url("**/?lang=en")
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator("main h1").inner_text() == "How can we help?"
    page.goto(f"{base}/")  # the choice is remembered
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.get_by_role("link", name="Report a problem").first.is_visible()
    page.goto(f"{base}/complaints")
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator("main h1").inner_text() == "Report a problem"
    page.goto(f"{base}/?lang=ko")
    assert page.locator("html").get_attribute("lang") == "ko"
    assert page.errors == []


def test_file_a_report_with_a_photo_find_it_and_follow_it(server, browser_page, tmp_path):
    page, base = browser_page, server.base
    page.context.grant_permissions(["geolocation"], origin=base)
    page.context.set_geolocation(MAPO)
    photo = tmp_path / "pothole.jpg"
    photo.write_bytes(jpeg(size=(640, 480)))

    page.goto(f"{base}/complaints?lang=en")
    _ready(page)
    page.get_by_label("Pothole").check()
    page.get_by_role("button", name="Use my location").click()
    page.get_by_text("Chosen place: Mapo-gu").wait_for(timeout=10_000)
    page.get_by_label("3. Photos (up to 3) or one video").set_input_files(str(photo))
    preview = page.locator("#previews img")
    preview.wait_for()
    assert preview.get_attribute("alt") == "pothole.jpg"
    assert page.evaluate("document.querySelector('#previews img').naturalWidth") == 640
    page.locator("#description").fill("A deep hole in front of the district office")
    page.get_by_label("E-mail").fill("reporter@example.com")
    page.get_by_role("button", name="Send the report").click()
    page.locator("#ticket-id").wait_for(timeout=30_000)
    ticket = page.locator("#ticket-id").inner_text()
    token = page.locator("#ticket-token").inner_text()
    page.screenshot(path=str(tmp_path / "complaints-filed.png"), full_page=True)

    # it went through the public API, as any client's report would
    record = httpx.get(f"{base}/open311/v2/requests/{ticket}.json").json()[0]
    assert record["service_code"] == "pothole" and record["district"] == "Mapo-gu"
    assert abs(record["lat"] - MAPO["latitude"]) < 1e-4
    assert len(record["media_urls"]) + record["media_pending"] == 1  # the photo, once its public copy is made
    assert "reporter@example.com" not in json.dumps(record)

    # a second report of the same place is a duplicate, and is shown as one
    duplicate = _file_report(base, lat=str(MAPO["latitude"]), long=str(MAPO["longitude"]))
    assert duplicate["duplicate_of"] == ticket
    page.reload()
    _ready(page)
    page.get_by_label("Kind of problem").select_option("pothole")
    row = page.locator(f"#recent li[data-ticket='{ticket}']")
    row.wait_for()
    dup_row = page.locator(f"#recent li[data-ticket='{duplicate['service_request_id']}']")
    assert f"Same as {ticket}" in dup_row.inner_text()
    assert "1 others reported the same" in row.inner_text()
    assert page.locator("#recent-map path.leaflet-interactive").count() >= 2  # the reports on the map
    assert page.locator("#recent-map path").count() >= 27  # and the 25 districts' outlines under them
    page.get_by_label("Progress").select_option("closed")
    page.get_by_text("No reports match.").wait_for()
    page.get_by_label("Progress").select_option("open")
    row.wait_for()

    # its ticket page: status, history, photo, the place on the map
    server.runtime.complaints.change_status(ticket, "acknowledged", "staff:test")
    server.runtime.complaints.change_status(ticket, "in_progress", "staff:test", note="Crew booked for Thursday")
    row.get_by_role("link").first.click()
    page.wait_for_url(f"**/complaints/{ticket}")
    _ready(page)
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator("main h1").inner_text() == f"Pothole · {ticket}"
    assert page.locator("#status").inner_text() == "Being fixed"
    history = page.locator("#history li").all_inner_texts()
    assert len(history) == 3 and history[0].startswith("Received") and "Crew booked for Thursday" in history[-1]
    assert "1 other reports" in page.locator("#duplicates").inner_text()
    _until(page, "document.querySelector('#photos img')?.naturalWidth > 0")
    assert page.locator("#ticket-map img.leaflet-marker-icon").count() == 1
    page.screenshot(path=str(tmp_path / "ticket.png"), full_page=True)

    # the duplicate's page says so; the code given at submission finds the report again
    page.goto(f"{base}/complaints/{duplicate['service_request_id']}")
    _ready(page)
    assert page.locator("#duplicate-link").inner_text() == ticket
    page.goto(f"{base}/complaints")
    page.get_by_label("Report number (SR-…) or your code").fill(token)
    page.get_by_role("button", name="Check", exact=True).click()
    page.wait_for_url(f"**/complaints/{ticket}")
    page.goto(f"{base}/complaints")
    page.get_by_label("Report number (SR-…) or your code").fill("no-such-code")
    page.get_by_role("button", name="Check", exact=True).click()
    page.get_by_text("There is no report with that number or code.").wait_for()
    assert page.errors == [] or all("404" in e for e in page.errors), page.errors


def test_the_ticket_page_says_a_photo_is_being_prepared_then_shows_it(server, browser_page):
    """A report's photo is public only once its copy without location and camera data is made (a queued job, just
    after the report is acknowledged): until then the ticket page says so, and shows the photo when it is ready."""
    from database.jobs import JobQueue, Worker

    page, base, runtime = browser_page, server.base, server.runtime
    runtime.copy_worker.stop(timeout=10)  # hold the copies back, as a busy worker would
    try:
        ticket = _file_report(base, lat="37.5301", long="126.9660")["service_request_id"]
        page.goto(f"{base}/complaints/{ticket}?lang=en")
        _ready(page)
        note = page.locator("#media-note")
        assert note.is_visible() and "being prepared for publication" in note.inner_text()
        assert page.locator("#photos img").count() == 0  # nothing shown, the original never
        page.goto(f"{base}/complaints/{ticket}?lang=ko")
        _ready(page)
        assert "공개용으로 준비하고 있습니다" in page.locator("#media-note").inner_text()
        assert Worker(JobQueue(runtime.engine), runtime.complaints.job_handlers()).run_one()
        _until(page, "document.querySelector('#photos img')?.naturalWidth > 0")  # the page looked again
        assert not page.locator("#media-note").is_visible()
    finally:
        runtime.copy_worker = None
        runtime.start_jobs()


def test_photos_are_checked_before_upload_and_api_errors_are_sentences(server, browser_page, tmp_path):
    page, base = browser_page, server.base
    text_file = tmp_path / "notes.txt"
    text_file.write_text("not a photo")
    photos = []
    for i in range(4):
        photos.append(tmp_path / f"p{i}.jpg")
        photos[-1].write_bytes(jpeg(color=(40 * i, 80, 80)))
    posted = []
    page.on("request", lambda r: posted.append(r.url) if r.method == "POST" else None)

    page.goto(f"{base}/complaints?lang=en")
    _ready(page)
    files = page.locator("#media")
    files.set_input_files(str(text_file))
    assert "Only photos (JPEG, PNG, WebP) or videos (MP4, MOV) can be added: notes.txt" in page.locator(
        "#media-error").inner_text()
    files.set_input_files([str(p) for p in photos])
    assert page.locator("#previews li").count() == 3
    assert "You can add up to 3 photos." in page.locator("#media-error").inner_text()
    page.get_by_role("button", name="Remove: p0.jpg").click()
    assert page.locator("#previews li").count() == 2

    page.get_by_role("button", name="Send the report").click()
    assert page.locator("#form-error").inner_text() == "Please choose what the problem is."
    page.get_by_label("Streetlight out or faulty").check()
    page.get_by_role("button", name="Send the report").click()
    assert page.locator("#form-error").inner_text() == "Please choose the place or type the address."
    assert posted == []  # nothing was sent until the form was complete

    page.get_by_label("Address (include the district, the -gu)").fill("Somewhere in Busan")
    page.get_by_role("button", name="Send the report").click()
    error = page.locator("#form-error")
    _until(page, "document.querySelector('#form-error').textContent.length > 0")
    sentence = error.inner_text()
    assert sentence.startswith("That did not work. ") and sentence.endswith(".") and "{" not in sentence
    assert posted == [f"{base}/open311/v2/requests.json"]

    # without a pointer: move the map with the keyboard, then pin its centre
    page.locator("#pick-map").focus()
    page.keyboard.press("ArrowLeft")
    page.get_by_role("button", name="Pin the centre of the map").click()
    assert page.locator("#place").inner_text().startswith("Chosen place: ")
    assert page.locator("#pick-map img.leaflet-marker-icon").count() == 1

    page.goto(f"{base}/complaints?lang=ko")  # the same checks speak Korean
    _ready(page)
    page.locator("#media").set_input_files(str(text_file))
    assert "사진(JPEG, PNG, WebP)이나 동영상(MP4, MOV)만" in page.locator("#media-error").inner_text()


def test_recent_reports_near_a_place_and_in_a_district(tmp_path):
    """The list and map of recent reports narrowed to a district, to a radius around the caller's location and
    around a place tapped on the map, through the public API's district and lat/long/radius parameters."""
    settings = clean_settings(data_dir=tmp_path / "var", warm_up=False, chat_enabled=False)
    with serve(settings) as served, chromium_page() as page:
        base = served.base
        mapo = _file_report(base, service_code="streetlight", lat=str(MAPO["latitude"]), long=str(MAPO["longitude"]))
        near_mapo = _file_report(base, service_code="graffiti", lat="37.5693", long="126.9016")  # ~330 m north
        gangnam = _file_report(base, service_code="streetlight", lat=str(GANGNAM["latitude"]),
                               long=str(GANGNAM["longitude"]))
        page.context.grant_permissions(["geolocation"], origin=base)
        page.context.set_geolocation(MAPO)
        page.goto(f"{base}/complaints?lang=en")
        _ready(page)
        shown = lambda: sorted(page.locator("#recent li").evaluate_all("els => els.map(e => e.dataset.ticket)"))
        _until(page, "document.querySelectorAll('#recent li').length === 3")

        page.get_by_label("District", exact=True).select_option("Gangnam-gu")
        _until(page, "document.querySelectorAll('#recent li').length === 1")
        assert shown() == [gangnam["service_request_id"]]
        page.get_by_label("District", exact=True).select_option("")

        page.get_by_role("button", name="Near my location").click()  # 500 m unless a radius was chosen
        _until(page, "document.querySelector('#recent-count').textContent.includes('my location')")
        _until(page, "document.querySelectorAll('#recent li').length === 2")
        assert shown() == sorted([mapo["service_request_id"], near_mapo["service_request_id"]])
        assert "within 500 m" in page.locator("#recent-count").inner_text()
        page.get_by_label("Near", exact=True).select_option("300")
        _until(page, "document.querySelectorAll('#recent li').length === 1")
        assert shown() == [mapo["service_request_id"]]
        assert page.locator("#recent-map path.leaflet-interactive").count() == 1  # the one report
        assert page.locator("#recent-map path.near-circle").count() == 1  # and the circle searched

        page.get_by_label("Near", exact=True).select_option("1000")
        page.evaluate(f"recentMap.fire('click', {{latlng: L.latLng({GANGNAM['latitude']}, {GANGNAM['longitude']})}}) && 1")
        _until(page, "document.querySelector('#recent-count').textContent.includes('the place tapped')")
        _until(page, "document.querySelectorAll('#recent li').length === 1")
        assert shown() == [gangnam["service_request_id"]]
        page.get_by_label("Near", exact=True).select_option("")
        _until(page, "document.querySelectorAll('#recent li').length === 3")


def test_a_video_plays_on_its_ticket_page_and_korean_pages_explain_refusals(server, browser_page):
    page, base = browser_page, server.base
    answer = httpx.post(f"{base}/open311/v2/requests.json",
                        data={"service_code": "pothole", "lat": "37.5700", "long": "126.9800", "description": "video"},
                        files=[("media", ("clip.mp4", mp4(), "video/mp4"))], timeout=60)
    assert answer.status_code == 201, answer.text
    ticket = answer.json()[0]["service_request_id"]
    page.goto(f"{base}/complaints/{ticket}?lang=en")
    _ready(page)
    playable = page.evaluate("document.createElement('video').canPlayType('video/mp4; codecs=\"mp4v.20.9\"')")
    _until(page, "document.querySelector('#photos video, #photos a') !== null")
    assert page.locator("#photos img").count() == 0  # not a broken image
    if playable:
        assert page.locator("#photos video[controls]").count() == 1
    else:  # this browser has no MPEG-4 decoder: the video is offered as a link to the file
        _until(page, "document.querySelector('#photos a') !== null")
        assert page.locator("#photos a").inner_text() == "Watch video 1"

    # a Korean page says what kind of problem it was in Korean, then quotes the server's English sentence
    page.goto(f"{base}/complaints?lang=ko")
    _ready(page)
    page.locator("input[name='service_code'][value='pothole']").check()
    page.locator("#address").fill("Somewhere in Busan")
    page.locator("#report button[type='submit']").click()
    _until(page, "document.querySelector('#form-error').textContent.length > 0")
    sentence = page.locator("#form-error").inner_text()
    assert sentence.startswith("처리하지 못했습니다. 보내신 내용을 확인해 주세요. (서버 안내(영어): "), sentence
    page.goto(f"{base}/data/no-such-dataset?lang=ko")
    _ready(page)
    _until(page, "document.querySelector('#dataset-error').textContent.length > 0")
    assert page.locator("#dataset-error").inner_text().startswith("처리하지 못했습니다. 찾으시는 내용이 없습니다.")


@pytest.mark.parametrize("width", [390, 1280])
def test_pages_fit_the_screen_and_pass_axe_in_both_languages(server, browser_page, width, tmp_path):
    page, base = browser_page, server.base
    ticket = _file_report(base)["service_request_id"]
    page.set_viewport_size({"width": width, "height": 900})
    failures = {}
    for lang in ("ko", "en"):
        for path in ("/", "/complaints", f"/complaints/{ticket}"):
            page.goto(f"{base}{path}?lang={lang}")
            if path != "/":
                _ready(page)
            else:
                page.locator("#models td").first.wait_for()
            assert page.locator("html").get_attribute("lang") == lang
            assert page.locator("main").count() == 1 and page.locator("h1").count() == 1
            scroll, client = _no_sideways_scroll(page)
            assert scroll <= client, f"{path} ({lang}) scrolls sideways at {width} px: {scroll} > {client}"
            page.screenshot(path=str(tmp_path / f"{path.strip('/').replace('/', '-') or 'home'}-{lang}-{width}.png"),
                            full_page=True)
            if found := _axe(page):
                failures[f"{path} ({lang})"] = found
    assert failures == {}
    assert page.errors == []


def test_map_layers_and_vendored_assets_are_served_here(server):
    base = server.base
    districts = httpx.get(f"{base}/geo/districts.json")
    assert districts.status_code == 200 and districts.headers["content-type"].startswith("application/geo+json")
    assert len(districts.json()["features"]) == 25
    assert len(httpx.get(f"{base}/geo/neighbourhoods.json").json()["features"]) > 400
    assert httpx.get(f"{base}/geo/nowhere.json").status_code == 404
    leaflet = httpx.get(f"{base}/vendor/leaflet/leaflet.js")
    assert leaflet.status_code == 200 and "javascript" in leaflet.headers["content-type"]
    assert httpx.get(f"{base}/vendor/leaflet/images/marker-icon.png").headers["content-type"] == "image/png"
    assert httpx.get(f"{base}/vendor/leaflet/LICENSE").status_code == 200
    for bad in ("/vendor/..%2F..%2Fapp.py", "/vendor/leaflet/.hidden", "/vendor/nothing.js"):
        assert httpx.get(f"{base}{bad}").status_code == 404, bad
    home = httpx.get(f"{base}/")
    policy = home.headers["content-security-policy"]
    assert "default-src 'self'" in policy and "connect-src 'self'" in policy


def test_a_configured_tile_server_is_allowed_and_used(tmp_path):
    settings = clean_settings(data_dir=tmp_path / "var", warm_up=False, chat_enabled=False,
                              map_tile_url="https://{s}.tiles.example.org/{z}/{x}/{y}.png",
                              map_tile_attribution="Example tiles")
    with serve(settings) as served:
        page = httpx.get(f"{served.base}/complaints")
    assert "img-src 'self' data: blob: https://*.tiles.example.org;" in page.headers["content-security-policy"]
    assert '"tile_url": "https://{s}.tiles.example.org/{z}/{x}/{y}.png"' in page.text
