"""The citizen chat page in headless Chromium: ask in Korean and English, see the answer with its source and a
hand-off; the form is labelled for screen readers and usable from the keyboard."""

import pytest

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
