"""The live minutes page in headless Chromium: the browser's microphone is fed from a real recording (Chromium's
fake capture device plays a WAV file), the audio goes through the WebSocket, the transcript grows with its
speaker, the speaker is renamed, a sentence corrected, and the exports are offered; the page in English, with
axe-core and at a phone's width."""

import numpy as np
import pytest

from tests.browser import axe_violations, chromium_page, sideways_scroll

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def page(tmp_path_factory):
    import soundfile

    from speech.audio import iter_file
    from tests.speech_data import JFK

    audio = np.concatenate(list(iter_file(JFK)) + [np.zeros(16_000 * 3, dtype=np.float32)])
    wav = tmp_path_factory.mktemp("mic") / "jfk.wav"
    soundfile.write(wav, audio, 16_000, subtype="PCM_16")
    with chromium_page(microphone_wav=wav) as page:
        yield page


def sign_in(page, base: str, name: str, password: str, target: str) -> None:
    page.goto(f"{base}{target}")  # an anonymous browser is sent to the sign-in page, and back after it
    assert "/staff/login" in page.url
    # by field name: the sign-in page speaks the browser's language (Korean or English)
    page.locator("input[name=name]").fill(name)
    page.locator("input[name=password]").fill(password)
    page.locator("form button[type=submit]").click()
    page.wait_for_url(f"{base}{target}")


def test_live_meeting_from_the_microphone(page, live_server, live_auth, tmp_path):
    live_auth.runtime.staff_users.create("kim.minutes", "official", "correct horse battery", department="도시교통실")
    sign_in(page, live_server, "kim.minutes", "correct horse battery", "/minutes?lang=ko")
    assert page.locator("#status").get_attribute("role") == "status"
    assert page.locator("html").get_attribute("lang") == "ko" and page.locator("main h1").inner_text() == "실시간 회의록"
    assert page.locator("#backend").count() == 0  # the speech engine is the server's business, not the official's
    page.get_by_label("회의 제목").fill("Live test")
    page.get_by_label("언어").select_option("en")
    page.get_by_label("회의록 작성").select_option("extractive")
    page.get_by_role("button", name="회의 시작 (마이크)").click()
    page.wait_for_function("() => [...document.querySelectorAll('#transcript li[data-segment] .text')]"
                           ".some(e => /country/i.test(e.textContent))", timeout=90_000)
    first = page.locator("#transcript li[data-segment]").first
    assert first.locator(".who").inner_text() == "Speaker 1"
    page.once("dialog", lambda dialog: dialog.accept("Director Kim"))
    first.locator(".who").click()
    assert first.locator(".who").inner_text() == "Director Kim"
    page.get_by_role("button", name="회의 종료").click()
    page.wait_for_function("() => document.getElementById('status').textContent.includes('저장됨')", timeout=90_000)
    assert "Director Kim" in page.locator("#attendees").inner_text()
    assert "발췌" in page.locator("#composed-by").inner_text()
    links = page.locator("#exports a")
    assert links.count() == 6 and links.nth(1).inner_text() == "DOCX"
    assert links.nth(2).inner_text() == "회의록 서식 (DOCX, 결재란 포함)"
    assert links.nth(2).get_attribute("href").endswith("/export.form.docx")
    text = page.locator("#transcript li[data-segment] .text").first
    text.click()
    text.fill("And so, my fellow citizens.")
    page.locator("#title").click()  # blur saves the correction
    page.wait_for_timeout(1500)
    meeting_id = page.evaluate("() => document.querySelector('#exports a').href.split('/')[5]")
    import httpx

    saved = httpx.get(f"{live_server}/minutes/meetings/{meeting_id}",
                      headers=live_auth("official", "도시교통실")).json()
    assert saved["segments"][0]["text"] == "And so, my fellow citizens."
    assert saved["speaker_names"]["Speaker 1"] == "Director Kim"
    page.screenshot(path=str(tmp_path / "minutes.png"))

    # the same page in English, readable with a screen reader and on a phone
    page.goto(f"{live_server}/minutes?lang=en")
    page.locator("body[data-ready='1']").wait_for()
    assert page.locator("html").get_attribute("lang") == "en" and page.locator("main h1").inner_text() == "Live minutes"
    assert page.get_by_role("button", name="Start the meeting (microphone)").is_enabled()
    page.get_by_label("Minutes written by").select_option("llm")
    assert not page.get_by_label("Everyone speaking agreed to the city's speech dataset", exact=False).is_checked()
    assert page.locator("#status").inner_text() == "Waiting"
    assert axe_violations(page) == []
    page.set_viewport_size({"width": 390, "height": 800})
    scroll, client = sideways_scroll(page)
    assert scroll <= client, (scroll, client)
