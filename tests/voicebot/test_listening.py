"""Listening in real calls (real server, real models, the Piper voice as the caller): the bot's own echo on the
line neither interrupts it nor becomes a turn, the caller talking over the echo does; a pause after words that
do not sound finished, or that do but in a voice that is not done (the end-of-turn model), does not end the turn; a
finished question is answered without waiting out the long pause."""

import asyncio

import numpy as np
import pytest

from voicebot.simulated_caller import LineEcho, SimulatedCaller

pytestmark = pytest.mark.slow


async def _ask(caller, audio, timeout=60):
    log = caller.log
    await caller.wait_for(lambda: log.time_of("mark") is not None, 30)
    await caller.wait_quiet()
    caller.say(audio)
    await caller.wait_said()
    end = log.speech_ends[-1]
    assert await caller.wait_for(lambda: log.first_audio_after(end) is not None, timeout), "no answer"
    return end


def test_the_bots_echo_does_not_interrupt_it(server, speak, no_leftovers):
    question = speak("How do I contest a parking ticket?")

    async def scenario():
        async with SimulatedCaller(server.ws_url, echo=LineEcho(gain=0.5, delay_s=0.15)) as caller:
            end = await _ask(caller, question)
            assert await caller.wait_for(lambda: caller.log.time_of("mark", end) is not None, 60)
            await asyncio.sleep(1.5)  # the echo's tail, then silence: nothing may come of it
            return caller.log

    log = asyncio.run(scenario())
    assert log.time_of("clear") is None
    record = server.record(log.call_id)
    assert record["barge_ins"] == []
    assert len(record["turns"]) == 1 and record["turns"][0]["entry"]  # the echo never became a caller turn
    assert record["echo"]["frames_ignored"] > 20 and 100 <= record["echo"]["delay_ms"] <= 300


def test_the_caller_talking_over_the_echo_barges_in(server, speak, no_leftovers):
    question = speak("How do I contest a parking ticket?")
    interruption = speak("Wait, I have another question.")

    async def scenario():
        async with SimulatedCaller(server.ws_url, echo=LineEcho(gain=0.5, delay_s=0.15)) as caller:
            await _ask(caller, question)
            await asyncio.sleep(1.0)  # the bot is talking and its echo is on the line
            caller.say(interruption)
            await caller.wait_for(lambda: caller.log.speech_starts[1:] != [], 5)
            onset = caller.log.speech_starts[-1]
            assert await caller.wait_for(lambda: caller.log.time_of("clear", onset) is not None, 10)
            return caller.log, onset

    log, onset = asyncio.run(scenario())
    assert (log.time_of("clear", onset) - onset) < 1.0
    assert server.record(log.call_id)["barge_ins"][0]["cause"] == "speech"


def test_a_pause_after_unfinished_words_does_not_end_the_turn(server, speak, no_leftovers):
    first = speak("I need to ask about the last subway because")  # a conjunction Whisper does not "complete"
    rest = speak("I work late. When does it leave?")
    pause = np.zeros(int(0.7 * 16_000), dtype=np.float32)  # longer than the first pause, shorter than the longest
    utterance = np.concatenate([first, pause, rest])

    async def scenario():
        async with SimulatedCaller(server.ws_url) as caller:
            end = await _ask(caller, utterance)
            await caller.wait_for(lambda: caller.log.time_of("mark", end) is not None, 60)
            return caller.log

    log = asyncio.run(scenario())
    record = server.record(log.call_id)
    texts = [t["text"] for t in record["turns"]]
    assert len(texts) == 1, texts
    assert "because" in texts[0].lower() and "leave" in texts[0].lower()
    assert record["turns"][0]["entry"] == "faq-0007"


def test_a_mid_sentence_pause_after_words_that_sound_finished_does_not_end_the_turn(server, speak, no_leftovers):
    # "I lost my wallet on the bus," is heard as "I lost my wallet on the bus." (the word rules alone end the turn
    # at the pause); said by Piper with the comma's rising tone, Smart Turn hears that the caller is not done
    # (P(complete) 0.01-0.05 in repeated syntheses over the phone line; Piper's voice varies from one to the next)
    first = speak("I lost my wallet on the bus,")
    rest = speak("this morning around eight. Where can I find lost property?")
    pause = np.zeros(int(0.7 * 16_000), dtype=np.float32)
    utterance = np.concatenate([first, pause, rest])

    async def scenario():
        async with SimulatedCaller(server.ws_url) as caller:
            end = await _ask(caller, utterance)
            await caller.wait_for(lambda: caller.log.time_of("mark", end) is not None, 60)
            return caller.log

    log = asyncio.run(scenario())
    turns = server.record(log.call_id)["turns"]
    texts = [t["text"] for t in turns]
    assert len(texts) == 1, texts
    assert "wallet" in texts[0].lower() and "lost property" in texts[0].lower(), texts
    assert turns[0]["end_of_turn"]["probability"] is not None  # the model judged the turn


def test_a_finished_question_ends_the_turn_early_and_reuses_its_transcript(server, speak, no_leftovers):
    question = speak("Where can I pay a parking fine?")

    async def scenario():
        async with SimulatedCaller(server.ws_url) as caller:
            end = await _ask(caller, question)
            await caller.wait_for(lambda: caller.log.time_of("mark", end) is not None, 60)
            return caller.log

    log = asyncio.run(scenario())
    turn = server.record(log.call_id)["turns"][0]
    assert "parking" in turn["text"].lower()
    assert turn["partial_reused"] and turn["timings"]["asr_s"] == 0.0
    assert turn["timings"]["end_of_turn_s"] < 0.9  # under the longest pause (1.0 s): voice and words ended it
    assert turn["end_of_turn"]["by"] == "model+words" and turn["end_of_turn"]["probability"] >= 0.5
