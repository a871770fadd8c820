"""A Korean call while no Korean voice is configured (the bundled espeak-ng only): real calls over the Twilio
socket. The call says once, in Korean, slowly, that spoken Korean answers are not available, texts the text
channel's link, and sends answers by text; 0 reaches an agent."""

import asyncio
from types import SimpleNamespace

import numpy as np
import pytest

from voicebot.call import korean_voice_configured
from voicebot.language import PHRASES
from voicebot.simulated_caller import SimulatedCaller

pytestmark = pytest.mark.slow
NOTICE = PHRASES["ko"]["no_voice"]


def _seconds_before(log, t: float) -> float:
    """Seconds of bot audio received before monotonic time ``t`` (20 ms frames)."""
    return sum(len(frame) for at, frame in log.bot_frames if at <= t) / 8000


def test_a_korean_voice_is_any_voice_but_espeak_ng(tmp_path):
    assert not korean_voice_configured(SimpleNamespace(refs={"tts_en": "piper-joe-en", "tts_ko": "espeak-ng"}))
    assert not korean_voice_configured(SimpleNamespace(refs={"tts_en": "piper-joe-en"}))
    assert korean_voice_configured(SimpleNamespace(refs={"tts_ko": str(tmp_path / "ko_KR-voice.onnx")}))
    assert korean_voice_configured(SimpleNamespace(refs={"tts_ko": "http://tts.city.local:8880/v1?voice=ko"}))


def test_the_bundled_models_have_no_korean_voice(model_set):
    assert not korean_voice_configured(model_set)


def test_a_korean_call_hears_the_notice_once_slowly_and_zero_reaches_an_agent(server, settings, no_leftovers):
    from models.tts import EspeakTTS

    async def scenario():
        async with SimulatedCaller(server.ws_url, lang="ko") as caller:
            log = caller.log
            assert await caller.wait_for(lambda: log.time_of("mark") is not None, 60), "no greeting"
            greeted = log.time_of("mark")
            await caller.press("0")
            assert await caller.wait_for(lambda: log.time_of("transfer") is not None, 60)
            await caller.wait_for(lambda: log.closed_by_bot, 10)
            return log, greeted

    log, greeted = asyncio.run(scenario())
    record = server.record(log.call_id)
    assert record["mode"] == "ko" and record["korean_voice"] is False
    bot = [t for t in record["transcript"] if t["role"] == "bot"]
    said = " ".join(t.get("spoken") or t["text"] for t in bot)
    assert bot[0]["text"].startswith(PHRASES["ko"]["greeting_no_voice"]) and NOTICE in bot[0]["text"]
    assert said.count(NOTICE) == 1 and "0번" in NOTICE and "문자" in NOTICE
    assert [t["kind"] for t in record["texts"]] == ["link"]
    assert settings.text_channel_url in record["texts"][0]["text"] and record["texts"][0]["lang"] == "ko"
    assert record["outcome"] == "transferred" and record["transfer_target"] == "agent"
    assert bot[-1]["text"] == PHRASES["ko"]["transfer"]
    # the greeting was spoken by espeak-ng at the slow rate: as long as that synthesis, longer than the default's
    heard = _seconds_before(log, greeted)
    slow = sum(EspeakTTS("ko", words_per_minute=110).synthesize(s).duration
               for s in _chunks(bot[0]["text"]))
    usual = sum(EspeakTTS("ko").synthesize(s).duration for s in _chunks(bot[0]["text"]))
    assert abs(heard - slow) < 0.6 + 0.05 * slow, (heard, slow)
    assert heard > 1.3 * usual, (heard, usual)


def _chunks(text):
    from voicebot.call import speech_chunks

    return speech_chunks(text)


def test_a_korean_question_is_answered_by_text(server, speak, no_leftovers):
    """An automatic call: an English question (spoken answer), then Korean from a real recording: the call
    switches to Korean, says the notice once and that the answer went by text; the record has the answer."""
    from models.audio import load_audio
    from tests.speech_data import KO_CLIP

    english = speak("How much is the adult bus fare?")
    korean = load_audio(KO_CLIP)

    async def turn(caller, audio, timeout=90):
        log = caller.log
        if log.closed_by_bot:  # a hand-off transferred the call
            return
        await caller.wait_quiet()
        caller.say(audio)
        await caller.wait_said()
        end = log.speech_ends[-1]
        assert await caller.wait_for(lambda: log.time_of("mark", end) is not None or log.closed_by_bot, timeout)

    async def scenario():
        async with SimulatedCaller(server.ws_url, lang="auto") as caller:
            await caller.wait_for(lambda: caller.log.time_of("mark") is not None, 30)
            await turn(caller, english)
            await turn(caller, korean)
            await turn(caller, korean)
            return caller.log

    log = asyncio.run(scenario())
    record = server.record(log.call_id)
    assert record["lang"] == "ko" and record["korean_voice"] is False
    turns = [t for t in record["turns"] if t.get("text")]
    assert turns[0]["lang"] == "en" and turns[0]["entry"] == "faq-0001"
    assert turns[1]["lang"] == "ko"
    bot = [t for t in record["transcript"] if t["role"] == "bot"]
    said = [t.get("spoken") or t["text"] for t in bot]
    assert sum(NOTICE in s for s in said) == 1  # once, though Korean was spoken twice
    answers = {t.get("answer") for t in turns[1:]}
    korean_replies = [t for t in bot if t["lang"] == "ko" and t["text"] in answers]
    assert korean_replies and all(t["channel"] == "text" for t in korean_replies)
    assert NOTICE in korean_replies[0]["spoken"]  # said where the call turned Korean
    kinds = [t["kind"] for t in record["texts"]]
    if turns[1].get("handoff"):  # no answer to send: the notice, then the agent
        assert kinds == ["link"] and record["outcome"] == "transferred"
    else:
        assert kinds[:2] == ["link", "answer"] and set(kinds[2:]) <= {"answer"}, kinds
        sent = record["texts"][1]
        assert sent["text"] == turns[1]["answer"] and sent["text"] == korean_replies[0]["text"]
        assert korean_replies[0]["spoken"].endswith(PHRASES["ko"]["sent_by_text"])
        if len(korean_replies) > 1:
            second = next(t for t in turns[2:] if t.get("answer") == korean_replies[1]["text"])
            # a question the assistant cannot answer is handed off: the transfer's own line is what is said
            expected = "" if second.get("handoff") else PHRASES["ko"]["sent_by_text"]
            assert korean_replies[1]["spoken"] == expected, second
    assert np.isfinite(turns[1]["timings"]["response_s"])
