"""The call's state machine driven directly (no WebSocket): silence reprompts, then a goodbye."""

import asyncio

import pytest

from voicebot.call import Call, CallConfig, speech_chunks
from voicebot.simulated_caller import call_threads


def test_first_speech_chunk_is_cut_short_at_a_comma():
    chunks = speech_chunks("The last subway trains leave around midnight, although it depends on the line. "
                           "Call 120 for more.")
    assert chunks == ["The last subway trains leave around midnight,", "although it depends on the line.",
                      "Call 120 for more."]
    assert speech_chunks("Hello there. Bye.") == ["Hello there.", "Bye."]


class Recorder:
    def __init__(self):
        self.events = []

    async def send_frame(self, frame):
        self.events.append("media")

    async def clear(self):
        self.events.append("clear")

    async def mark(self, name):
        self.events.append("mark")

    async def transfer(self, summary, reason):
        self.events.append(("transfer", summary))


@pytest.mark.slow
def test_silence_reprompts_then_says_goodbye_and_ends(model_set, assistant):
    out = Recorder()
    call = Call(out, assistant, model_set, CallConfig(reprompt_after_s=0.3, max_silences=1))
    record = asyncio.run(asyncio.wait_for(call.run(), 120))
    assert record.outcome == "no_input"
    assert call.states == ["greeting", "listening", "speaking", "listening", "speaking", "ended"]
    said = [t["text"] for t in record.transcript if t["role"] == "bot"]
    assert len(said) == 3 and "still there" in said[1] and "Goodbye" in said[2]
    assert out.events.count("mark") == 3 and out.events.count("media") > 100
    assert not [name for name in call_threads() if name.startswith(f"call-{call.id}")]


@pytest.mark.slow
def test_a_korean_call_speaks_with_the_labelled_espeak_fallback(model_set, assistant):
    out = Recorder()
    call = Call(out, assistant, model_set, CallConfig(lang="ko", reprompt_after_s=0.2, max_silences=0))
    record = asyncio.run(asyncio.wait_for(call.run(), 120))
    assert record.outcome == "no_input" and record.lang == "ko"
    assert "다산콜센터" in record.transcript[0]["text"]
    assert model_set.tts("ko").name.startswith("espeak-ng") and out.events.count("media") > 50
