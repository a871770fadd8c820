"""Real calls over the real Twilio-protocol WebSocket with the real models and assistant."""

import asyncio
import time

import pytest

from voicebot.simulated_caller import SimulatedCaller, call_threads

pytestmark = pytest.mark.slow


def _no_leftovers(server) -> None:
    deadline = time.monotonic() + 10
    while (server.call_tasks() or call_threads()) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert server.call_tasks() == [] and call_threads() == []


def test_spoken_question_is_answered_with_the_right_citation(server, speak):
    question = speak("What time does the last subway leave?")

    async def scenario():
        async with SimulatedCaller(server.ws_url) as caller:
            assert await caller.wait_for(lambda: caller.log.time_of("mark") is not None, 30), "no greeting"
            await caller.wait_quiet()
            caller.say(question)
            await caller.wait_said()
            assert await caller.wait_for(lambda: caller.log.time_of("mark", caller.log.speech_ends[-1]), 60)
            return caller.log

    log = asyncio.run(scenario())
    assert log.first_audio_after(log.speech_ends[-1]) is not None
    record = server.record(log.call_id)
    turn = record["turns"][-1]
    assert "subway" in turn["text"].lower()
    assert turn["entry"] == "faq-0007"
    assert record["outcome"] == "hangup"
    assert [t["role"] for t in record["transcript"]][:3] == ["bot", "caller", "bot"]
    assert turn["timings"]["response_s"] > 0
    _no_leftovers(server)


def test_barge_in_sends_clear_and_hang_up_leaves_nothing_running(server, speak):
    question = speak("How do I contest a parking ticket?")
    interruption = speak("Wait, stop please.")

    async def scenario():
        async with SimulatedCaller(server.ws_url) as caller:
            await caller.wait_for(lambda: caller.log.time_of("mark") is not None, 30)
            await caller.wait_quiet()
            caller.say(question)
            await caller.wait_said()
            assert await caller.wait_for(lambda: caller.log.first_audio_after(caller.log.speech_ends[-1]), 60)
            await asyncio.sleep(0.5)  # the bot is talking
            caller.say(interruption)
            await caller.wait_for(lambda: caller.log.speech_starts[1:] != [], 5)
            assert await caller.wait_for(lambda: caller.log.time_of("clear") is not None, 10)
            # hang up at once: the new utterance's work is in flight
            return caller.log

    log = asyncio.run(scenario())
    barge_ms = (log.time_of("clear") - log.speech_starts[1]) * 1000
    assert barge_ms < 1500
    record = server.record(log.call_id)
    assert record["barge_ins"] and record["outcome"] == "hangup"
    _no_leftovers(server)


def test_dtmf_star_repeats_and_zero_transfers_with_a_summary(server, speak):
    question = speak("Where can I report a taxi that overcharged me?")

    async def scenario():
        async with SimulatedCaller(server.ws_url) as caller:
            await caller.wait_for(lambda: caller.log.time_of("mark") is not None, 30)
            await caller.wait_quiet()
            caller.say(question)
            await caller.wait_said()
            await caller.wait_for(lambda: caller.log.time_of("mark", caller.log.speech_ends[-1]), 60)
            pressed = time.monotonic()
            await caller.press("*")  # repeat the answer
            assert await caller.wait_for(lambda: caller.log.time_of("mark", pressed), 60)
            await caller.press("0")
            assert await caller.wait_for(lambda: caller.log.time_of("transfer") is not None, 30)
            await caller.wait_for(lambda: caller.log.closed_by_bot, 10)
            return caller.log

    log = asyncio.run(scenario())
    transfer = log.event_after("transfer", 0)["transfer"]
    assert "taxi" in transfer["summary"].lower() and "pressed 0" in transfer["reason"]
    assert transfer["target"] == "agent"
    assert log.closed_by_bot
    record = server.record(log.call_id)
    assert record["outcome"] == "transferred" and record["transfer_summary"] == transfer["summary"]
    assert record["transfer_target"] == "agent"
    said = [t["text"] for t in record["transcript"] if t["role"] == "bot"]
    assert said[1] == said[2]  # "*" repeated the answer
    assert [t.get("dtmf") for t in record["transcript"] if t.get("dtmf")] == ["*", "0"]
    _no_leftovers(server)


def test_dtmf_nine_transfers_to_interpretation_with_a_summary(server, speak):
    question = speak("Where can I get help with my alien registration card?")

    async def scenario():
        async with SimulatedCaller(server.ws_url) as caller:
            await caller.wait_for(lambda: caller.log.time_of("mark") is not None, 30)
            await caller.wait_quiet()
            caller.say(question)
            await caller.wait_said()
            await caller.wait_for(lambda: caller.log.first_audio_after(caller.log.speech_ends[-1]), 60)
            await caller.press("9")  # while the bot talks: the key interrupts it
            assert await caller.wait_for(lambda: caller.log.time_of("transfer") is not None, 30)
            await caller.wait_for(lambda: caller.log.closed_by_bot, 10)
            return caller.log

    log = asyncio.run(scenario())
    transfer = log.event_after("transfer", 0)["transfer"]
    assert transfer["target"] == "interpretation" and "interpretation" in transfer["reason"]
    assert "interpretation" in transfer["summary"] and "registration" in transfer["summary"].lower()
    assert log.time_of("clear") is not None  # the key cut the answer short
    record = server.record(log.call_id)
    assert record["outcome"] == "transferred" and record["transfer_target"] == "interpretation"
    assert "interpretation service" in [t for t in record["transcript"] if t["role"] == "bot"][-1]["text"]
    _no_leftovers(server)
