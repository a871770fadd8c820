"""Fixtures of the voicebot tests: one real server (uvicorn, the voicebot router, the real assistant and models)
and the bundled English voice as the caller's voice."""

import time

import numpy as np
import pytest


class VoiceServer:
    """The app over the tests' runtime (uvicorn in a thread) seen from the voicebot's side."""

    def __init__(self, served, agent_token: str):
        self.served = served
        self.agent_token = agent_token
        self.base = served.base
        self.ws_url = f"{served.ws_base}/voicebot/twilio"
        self.browser_url = f"{served.ws_base}/voicebot/browser"

    def call_tasks(self) -> list[str]:
        return self.served.tasks("call-")

    def record(self, call_id: str) -> dict:
        from voicebot.simulated_caller import call_record

        return call_record(self.base, call_id, self.agent_token)


@pytest.fixture(scope="session")
def server(runtime, assistant):
    from tests.harness import serve

    with serve(runtime=runtime, ready=False, ws="websockets-sansio") as served:
        yield VoiceServer(served, runtime.staff_tokens.create("voicebot tests", [], role="agent").token)


@pytest.fixture(scope="session")
def speak(model_set):
    from voicebot.evaluation import speak as spoken

    tts = model_set.tts("en")

    def synth(text: str) -> np.ndarray:
        return spoken(tts, text)

    return synth


@pytest.fixture
def no_leftovers(server):
    """After the test: no call task or call thread is left on the server."""
    yield
    from voicebot.simulated_caller import call_threads

    deadline = time.monotonic() + 10
    while (server.call_tasks() or call_threads()) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert server.call_tasks() == [] and call_threads() == []
