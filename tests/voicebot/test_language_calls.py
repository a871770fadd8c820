"""The call's language, switched by the caller in real calls: by asking for it, and (an ``auto`` call) by
speaking it: a Piper English question, then a real Korean recording."""

import asyncio
import re

import pytest

from voicebot.language import PHRASES
from voicebot.simulated_caller import SimulatedCaller

pytestmark = pytest.mark.slow
HANGUL = re.compile(r"[가-힣]")


async def _turn(caller, audio, timeout=60):
    log = caller.log
    await caller.wait_quiet()
    caller.say(audio)
    await caller.wait_said()
    end = log.speech_ends[-1]
    assert await caller.wait_for(lambda: log.time_of("mark", end) is not None or log.closed_by_bot, timeout)


def test_asking_for_korean_switches_an_english_call(server, speak, model_set, no_leftovers):
    request = speak("Could we speak in Korean, please?")

    async def scenario():
        async with SimulatedCaller(server.ws_url, lang="en") as caller:
            await caller.wait_for(lambda: caller.log.time_of("mark") is not None, 30)
            await _turn(caller, request)
            return caller.log

    log = asyncio.run(scenario())
    record = server.record(log.call_id)
    heard = [t["text"] for t in record["transcript"] if t["role"] == "caller"]
    assert record["mode"] == "en" and record["lang"] == "ko", heard
    assert record["lang_switches"][0]["to"] == "ko" and "asked" in record["lang_switches"][0]["reason"]
    bot = [t for t in record["transcript"] if t["role"] == "bot"]
    assert bot[0]["lang"] == "en" and bot[-1]["lang"] == "ko"
    if record["korean_voice"]:
        assert "한국어로" in bot[-1]["text"]
    else:  # no Korean voice (the bundled espeak-ng): the notice, and the text channel's link by text
        assert PHRASES["ko"]["no_voice"] in bot[-1]["text"] and [t["kind"] for t in record["texts"]] == ["link"]
    assert not any(t.get("entry") for t in record["turns"])  # a request alone is not a question for the assistant


def test_an_auto_call_follows_the_language_the_caller_speaks(server, speak, no_leftovers):
    from models.audio import load_audio
    from tests.speech_data import KO_CLIP

    english = speak("How much is the adult bus fare?")
    korean = load_audio(KO_CLIP)

    async def scenario():
        async with SimulatedCaller(server.ws_url, lang="auto") as caller:
            await caller.wait_for(lambda: caller.log.time_of("mark") is not None, 30)
            await _turn(caller, english)
            await _turn(caller, korean, timeout=90)
            return caller.log

    log = asyncio.run(scenario())
    record = server.record(log.call_id)
    assert record["mode"] == "auto"
    first, second = record["turns"][:2]
    assert first["lang"] == "en" and first["entry"] == "faq-0001"
    assert second["lang"] == "ko" and HANGUL.search(second["text"])
    assert record["lang"] == "ko" and record["lang_switches"][-1]["to"] == "ko"
    replies = [t for t in record["transcript"] if t["role"] == "bot"]
    assert HANGUL.search(replies[-1]["text"]) and replies[-1]["lang"] == "ko"  # the bot answers in Korean now
