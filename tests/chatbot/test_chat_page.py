"""The citizen chat page in headless Chromium: ask in Korean and English, see the answer with its source and a
hand-off; the form is labelled for screen readers and usable from the keyboard."""

import pytest

import json

from tests.browser import chromium_page

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def page():
    with chromium_page() as page:
        yield page


def _ask(page, text):
    page.get_by_label("질문" if page.evaluate("document.documentElement.lang") == "ko" else "Question").fill(text)
    page.keyboard.press("Enter")  # the keyboard alone sends the question
    last = page.locator("#log li.bot").last
    page.wait_for_function("() => { const m = document.querySelectorAll('#log li.bot'); "
                           "return m.length && m[m.length - 1].dataset.done === 'true'; }", timeout=30_000)
    return last


def test_korean_question_shows_answer_and_source(page, live_server, tmp_path):
    page.goto(f"{live_server}/chat")
    assert page.locator("#log").get_attribute("aria-live") == "polite"
    answer = _ask(page, "대형 폐기물 스티커 어디서 사요?")
    assert "폐기물" in answer.inner_text()
    assert "출처: faq-" in answer.locator(".cite").inner_text()
    page.screenshot(path=str(tmp_path / "chat-ko.png"))


def test_english_and_hand_off(page, live_server):
    page.goto(f"{live_server}/chat?lang=en")
    assert page.evaluate("document.documentElement.lang") == "en"
    answer = _ask(page, "How much is the adult bus fare?")
    assert "Source: faq-" in answer.locator(".cite").inner_text()
    handoff = _ask(page, "Can I speak to a real person please")
    assert handoff.get_attribute("data-handoff") == "true"
    assert handoff.get_by_role("status").inner_text() == "Connecting you to a 120 agent."


@pytest.fixture()
def phone(page):
    """The page at a phone's width (390 px), back to its own size afterwards."""
    size = page.viewport_size
    page.set_viewport_size({"width": 390, "height": 844})
    yield page
    page.unroute_all()
    page.set_viewport_size(size)


def test_a_tool_result_fits_a_phone(phone, live_server, live_server_dir, tmp_path):
    """At 390 px a result's table scrolls inside its bubble and its chart scales down: the page never scrolls
    sideways. Column headers are words in the citizen's language, and a chart's labels are whole."""
    from civic_services.opendata import samples
    from dasan.runtime import Runtime
    from tests.harness import clean_settings

    runtime = Runtime.open(clean_settings(data_dir=live_server_dir))
    try:
        samples.seed(runtime.opendata, only=["ev_chargers", "public_toilets"])
    finally:
        runtime.close()
    phone.goto(f"{live_server}/chat?lang=en")
    grouped = _ask(phone, "How many EV chargers in each district?")
    assert grouped.locator("table.result").count() == 1 and grouped.locator("figure.chart svg").count() == 1
    assert grouped.locator("th").all_inner_texts() == ["District", "Count"]
    listed = _ask(phone, "list the open datasets")
    assert listed.locator("table.result").count() == 1
    assert listed.locator("th").all_inner_texts() == ["Id", "Title", "Files"]
    phone.goto(f"{live_server}/chat")
    korean = _ask(phone, "구별 전기차 충전소 수")
    assert korean.locator("th").all_inner_texts() == ["자치구", "개수"]
    assert "강남구" in korean.locator("table.result").inner_text()
    box = korean.bounding_box()
    assert box["x"] + box["width"] <= 390
    assert korean.locator("figure.chart svg").bounding_box()["width"] <= box["width"]
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    assert phone.evaluate("document.body.scrollWidth") <= 390
    phone.screenshot(path=str(tmp_path / "chat-phone.png"), full_page=True)


def test_a_wide_table_scrolls_inside_its_bubble(phone, tmp_path):
    """A table wider than a phone (many columns) scrolls inside its bubble; the page keeps its width."""
    from pathlib import Path

    wide = [{f"column_{i}": f"a long value number {i}" for i in range(12)} for _ in range(3)]
    names = {f"column_{i}": f"Heading {i}" for i in range(12)}  # the server names the columns; the page keeps none
    reply = {"type": "reply", "session_id": "s", "answer": "wide", "citations": [], "handoff": False, "decline": False,
             "table": wide, "columns": names, "chart_svg": None}
    page_html = (Path(__file__).resolve().parents[2] / "dasan" / "web" / "chat.html").read_text(encoding="utf-8")

    def serve(route):  # the page, and a canned reply in place of the assistant
        if route.request.url.split("?")[0].endswith("/chat/stream"):
            route.fulfill(body=f"data: {json.dumps(reply)}\n\n", content_type="text/event-stream")
        else:
            route.fulfill(body=page_html, content_type="text/html")

    phone.route("http://dasan.test/**", serve)
    phone.goto("http://dasan.test/chat?lang=en")
    bubble = _ask(phone, "show me a wide table")
    assert bubble.locator("th").all_inner_texts() == list(names.values())
    scroller = bubble.locator(".table-scroll")
    assert scroller.evaluate("e => e.scrollWidth > e.clientWidth")  # it scrolls, inside
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    box = bubble.bounding_box()
    assert box["x"] + box["width"] <= 390
    phone.screenshot(path=str(tmp_path / "chat-wide-table.png"), full_page=True)
