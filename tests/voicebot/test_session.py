"""The call's state machine driven directly (no WebSocket): silence reprompts, then a goodbye."""

import asyncio

import pytest

from voicebot.call import Call, CallConfig, speech_chunks
from voicebot.simulated_caller import call_threads
from voicebot.transport import Outbound, serve_call


def test_first_speech_chunk_is_cut_short_at_a_comma():
    chunks = speech_chunks("The last subway trains leave around midnight, although it depends on the line. "
                           "Call 120 for more.")
    assert chunks == ["The last subway trains leave around midnight,", "although it depends on the line.",
                      "Call 120 for more."]
    assert speech_chunks("Hello there. Bye.") == ["Hello there.", "Bye."]


class Recorder(Outbound):
    """A transport that keeps what the call sends (the wire is tested in test_call and test_browser)."""

    def __init__(self):
        super().__init__()
        self.events = []

    async def write_audio(self, frame):
        self.events.append("media")

    async def write_clear(self):
        self.events.append("clear")

    async def write_mark(self, name):
        self.events.append("mark")

    async def write_transfer(self, summary, reason, target):
        self.events.append(("transfer", target, summary))

    async def write_event(self, kind, data):
        self.events.append((kind, data))


def _run(call, out, timeout=120):
    async def silent_line():
        await asyncio.Event().wait()  # the caller never speaks nor hangs up

    asyncio.run(asyncio.wait_for(serve_call(call, out, silent_line), timeout))
    return call.record


@pytest.mark.slow
def test_silence_reprompts_then_says_goodbye_and_ends(model_set, assistant):
    out = Recorder()
    call = Call(out, assistant, model_set, CallConfig(reprompt_after_s=0.3, max_silences=1))
    record = _run(call, out)
    assert record.outcome == "no_input"
    assert call.states == ["greeting", "listening", "speaking", "listening", "speaking", "ended"]
    said = [t["text"] for t in record.transcript if t["role"] == "bot"]
    assert len(said) == 3 and "still there" in said[1] and "Goodbye" in said[2]
    assert out.events.count("mark") == 3 and out.events.count("media") > 100
    shown = [data for kind, data in (e for e in out.events if isinstance(e, tuple)) if kind == "transcript"]
    assert [line["text"] for line in shown] == said  # the caller's screen gets the same lines as the record
    states = [data["state"] for kind, data in (e for e in out.events if isinstance(e, tuple)) if kind == "state"]
    assert states == call.states[1:]
    assert not [name for name in call_threads() if name.startswith(f"call-{call.id}")]


@pytest.mark.slow
def test_a_korean_call_speaks_with_the_labelled_espeak_fallback(model_set, assistant):
    out = Recorder()
    call = Call(out, assistant, model_set, CallConfig(lang="ko", reprompt_after_s=0.2, max_silences=0))
    record = _run(call, out)
    assert record.outcome == "no_input" and record.lang == "ko"
    assert "다산콜센터" in record.transcript[0]["text"]
    assert model_set.tts("ko").name.startswith("espeak-ng") and out.events.count("media") > 50


def test_an_unknown_call_language_is_refused():
    with pytest.raises(ValueError, match="unknown call language 'fr'"):
        Call(Recorder(), None, None, CallConfig(lang="fr"))
