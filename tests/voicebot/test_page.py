"""The call page (/voicebot) in headless Chromium against a real `dasan serve`: the browser's microphone is fed
from a WAV of a spoken English question (the bundled Piper voice; Chromium's fake capture device plays it), the
page streams it at 16 kHz through an AudioWorklet, and shows the bot's answer with its source while the bot's
audio frames arrive and are queued for playback. The page is labelled and usable from the keyboard."""

import numpy as np
import pytest

from tests.browser import chromium_page

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def page(tmp_path_factory, speak):
    import soundfile

    question = speak("What time does the last subway leave?")
    # the greeting plays first (about 5 s); then the question, then a long silence (the fake device loops the file)
    audio = np.concatenate([np.zeros(16_000 * 7, np.float32), question, np.zeros(16_000 * 60, np.float32)])
    wav = tmp_path_factory.mktemp("mic") / "question.wav"
    soundfile.write(wav, audio, 16_000, subtype="PCM_16")
    with chromium_page(microphone_wav=wav) as page:
        yield page


def test_a_spoken_question_is_answered_on_the_call_page(page, live_server, live_auth, tmp_path):
    page.goto(f"{live_server}/voicebot?lang=en")
    assert page.evaluate("document.documentElement.lang") == "en"
    assert page.locator("#transcript").get_attribute("aria-live") == "polite"
    assert page.locator("#status").get_attribute("role") == "status"
    assert page.get_by_label("Language").input_value() == "en"
    page.get_by_role("button", name="Call").focus()
    page.keyboard.press("Enter")  # the keyboard alone starts the call
    page.wait_for_function("() => [...document.querySelectorAll('#transcript li.bot .cite')]"
                           ".some(e => e.textContent.includes('faq-'))", timeout=120_000)
    caller = page.locator("#transcript li.caller .text").first.inner_text()
    assert "subway" in caller.lower()
    answer = page.locator("#transcript li.bot").filter(has=page.locator(".cite")).first
    assert answer.locator(".cite").inner_text() == "Source: faq-0007"
    stats = page.evaluate("window.callStats")
    assert stats["botFrames"] > 100 and stats["micFrames"] > 300  # the bot's voice came back; the mic streamed
    page.get_by_role("button", name="Talk to an agent").click()
    page.wait_for_selector("#transcript li.notice[data-target='agent']", timeout=60_000)
    page.wait_for_function("() => document.getElementById('hangup').disabled", timeout=30_000)
    import httpx

    record = httpx.get(f"{live_server}/voicebot/calls/{stats['callId']}", headers=live_auth("agent"),
                       timeout=10).json()
    assert record["outcome"] == "transferred" and record["turns"][0]["entry"] == "faq-0007"
    page.screenshot(path=str(tmp_path / "call.png"))
