"""Spoken answers for the ear in real calls: the call says the short spoken form of the answer (real assistant,
real Piper voice), the record keeps the whole answer, and "yes" to the offer sends the details by text."""

import asyncio

import pytest

from voicebot.language import PHRASES
from voicebot.simulated_caller import SimulatedCaller
from voicebot.spoken import OFFER, spoken_form

pytestmark = pytest.mark.slow


def _audio_s(log, start: float, end: float) -> float:
    return sum(len(frame) for at, frame in log.bot_frames if start <= at <= end) / 8000


async def _turn(caller, audio, timeout=60):
    log = caller.log
    await caller.wait_quiet()
    caller.say(audio)
    await caller.wait_said()
    end = log.speech_ends[-1]
    assert await caller.wait_for(lambda: log.time_of("mark", end) is not None, timeout)
    return end, log.time_of("mark", end)


def test_the_answer_is_said_short_and_yes_texts_the_details(server, speak, model_set, no_leftovers):
    question = speak("How much is the adult bus fare?")
    yes = speak("Yes, please.")

    async def scenario():
        async with SimulatedCaller(server.ws_url) as caller:
            await caller.wait_for(lambda: caller.log.time_of("mark") is not None, 30)
            answered = await _turn(caller, question)
            texted = await _turn(caller, yes)
            return caller.log, answered, texted

    log, (asked_at, answered_at), _ = asyncio.run(scenario())
    record = server.record(log.call_id)
    first = record["turns"][0]
    assert first["entry"] == "faq-0001"
    bot = [t for t in record["transcript"] if t["role"] == "bot"]
    answer_line = bot[1]
    assert answer_line["text"] == first["answer"]  # the record keeps the whole answer
    assert answer_line["spoken"] == spoken_form(first["answer"], "en").text == first["spoken"]
    assert answer_line["spoken"].endswith(OFFER["en"]) and "1,500 won" in answer_line["spoken"]
    # what the caller heard is the short form: much shorter than the whole answer read by the same voice
    heard = _audio_s(log, asked_at, answered_at)
    whole = model_set.tts("en").synthesize(first["answer"]).duration
    short = model_set.tts("en").synthesize(answer_line["spoken"]).duration
    assert heard < 0.7 * whole and abs(heard - short) < 1.5, (heard, short, whole)
    # "yes" to the offer: the details go by text, not to the assistant
    assert record["turns"][1]["offer"] == "yes" and record["turns"][1]["entry"] is None
    assert [t["kind"] for t in record["texts"]] == ["details"]
    assert record["texts"][0]["text"] == first["answer"] and record["texts"][0]["entry"] == "faq-0001"
    assert bot[2]["text"] == PHRASES["en"]["texted"]


def test_no_to_the_offer_and_star_repeats_the_spoken_form(server, speak, no_leftovers):
    question = speak("Where can I report a taxi that overcharged me?")
    no = speak("No, thanks.")

    async def scenario():
        async with SimulatedCaller(server.ws_url) as caller:
            log = caller.log
            await caller.wait_for(lambda: log.time_of("mark") is not None, 30)
            await _turn(caller, question)
            await caller.press("*")
            assert await caller.wait_for(lambda: len([e for e in log.events if e[1] == "mark"]) >= 3, 60)
            await _turn(caller, no)
            return log

    log = asyncio.run(scenario())
    record = server.record(log.call_id)
    bot = [t for t in record["transcript"] if t["role"] == "bot"]
    assert bot[1]["text"] == bot[2]["text"] and bot[1]["spoken"] == bot[2]["spoken"]
    assert len(bot[1]["spoken"]) < len(bot[1]["text"])
    assert record["turns"][-1]["offer"] == "no" and record["texts"] == []
    assert bot[-1]["text"] == PHRASES["en"]["not_texted"]
