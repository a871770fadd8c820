"""The browser's 16 kHz PCM WebSocket (/voicebot/browser), spoken to over a real server by the simulated caller
on the browser wire: the same call as the Twilio stream, its events for the page, bad messages refused."""

import asyncio

import numpy as np
import pytest
import websockets

from voicebot.simulated_caller import BrowserWire, SimulatedCaller

pytestmark = pytest.mark.slow


def test_a_spoken_question_over_the_browser_socket(server, speak, no_leftovers):
    question = speak("What time does the last subway leave?")

    async def scenario():
        async with SimulatedCaller(f"{server.browser_url}?lang=en", wire=BrowserWire) as caller:
            log = caller.log
            assert await caller.wait_for(lambda: log.time_of("mark") is not None, 30), "no greeting"
            await caller._ws.send(b"\x01\x02\x03")  # half a sample
            await caller._ws.send("not json")
            await caller._ws.send('{"type": "dtmf", "digit": "x"}')
            await caller.wait_quiet()
            caller.say(question)
            await caller.wait_said()
            end = log.speech_ends[-1]
            assert await caller.wait_for(lambda: log.time_of("mark", end) is not None, 60)
            await caller.press("0")
            assert await caller.wait_for(lambda: log.time_of("transfer") is not None, 30)
            await caller.wait_for(lambda: log.closed_by_bot, 10)
            return log

    log = asyncio.run(scenario())
    first = log.events[0][2]
    assert first["type"] == "call" and first["sample_rate"] == 16_000 and first["lang"] == "en"
    errors = [m["message"] for _, e, m in log.events if e == "error"]
    assert len(errors) == 3 and "even number of bytes" in errors[0] and "JSON" in errors[1] and "digit" in errors[2]
    frames = [f for _, f in log.bot_frames]
    assert frames and all(f.dtype == np.dtype("<i2") and len(f) == 320 for f in frames)  # 20 ms of 16 kHz
    lines = [m for _, e, m in log.events if e == "transcript"]
    caller_lines = [m for m in lines if m["role"] == "caller" and m.get("text")]
    assert "subway" in caller_lines[0]["text"].lower()
    answer = next(m for m in lines if m["role"] == "bot" and m.get("entry"))
    assert answer["entry"] == "faq-0007"
    states = [m["state"] for _, e, m in log.events if e == "state"]
    assert states[:4] == ["listening", "thinking", "speaking", "listening"] and states[-2:] == ["transferring", "ended"]
    transfer = log.event_after("transfer", 0)
    assert transfer["target"] == "agent" and "subway" in transfer["summary"].lower()
    record = server.record(log.call_id)
    assert record["outcome"] == "transferred" and record["turns"][0]["entry"] == "faq-0007"


def test_an_unknown_language_is_refused(server):
    async def scenario():
        async with websockets.connect(f"{server.browser_url}?lang=fr") as ws:
            with pytest.raises(websockets.ConnectionClosed) as closed:
                await ws.recv()
            return closed.value

    closed = asyncio.run(scenario())
    assert closed.rcvd.code == 1008 and "unknown lang" in closed.rcvd.reason
