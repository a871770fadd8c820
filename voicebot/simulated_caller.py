"""A simulated caller over the Twilio Media Streams protocol: plays 16 kHz audio into a call at real-time pace
(silence between utterances, as a phone line sends), records the bot's audio and events with their arrival times,
can interrupt the bot and press keys. Used by the tests and ``dasan eval voicebot``.
"""

from __future__ import annotations

import asyncio
import base64
import json
import threading
import time
import uuid
from dataclasses import dataclass, field

import numpy as np

from voicebot.codec import FRAME_BYTES, FRAME_MS, TELEPHONY_RATE, float_to_int16, ulaw_encode

SILENCE = b"\xff" * FRAME_BYTES  # mu-law zero


def to_frames(audio_16k: np.ndarray) -> list[bytes]:
    """16 kHz float audio -> 20 ms mu-law 8 kHz frames."""
    from models.audio import resample

    pcm = float_to_int16(resample(audio_16k, 16_000, TELEPHONY_RATE))
    pcm = np.concatenate([pcm, np.zeros((-len(pcm)) % FRAME_BYTES, dtype=np.int16)])
    data = ulaw_encode(pcm)
    return [data[i:i + FRAME_BYTES] for i in range(0, len(data), FRAME_BYTES)]


@dataclass
class CallLog:
    call_id: str
    events: list[tuple[float, str, dict]] = field(default_factory=list)  # (monotonic time, event, message)
    bot_frames: list[tuple[float, bytes]] = field(default_factory=list)
    speech_ends: list[float] = field(default_factory=list)  # when each utterance's last frame was sent
    speech_starts: list[float] = field(default_factory=list)
    closed_by_bot: bool = False

    def first_audio_after(self, t: float) -> float | None:
        return next((at for at, _ in self.bot_frames if at >= t), None)

    def event_after(self, name: str, t: float) -> dict | None:
        return next((m for at, e, m in self.events if e == name and at >= t), None)

    def time_of(self, name: str, after: float = 0.0) -> float | None:
        return next((at for at, e, _ in self.events if e == name and at >= after), None)


class SimulatedCaller:
    """One call. ``async with SimulatedCaller(url) as caller``: then ``say``, ``press``, ``wait_for``..."""

    def __init__(self, url: str, lang: str = "en", call_id: str | None = None):
        self.url = url
        self.lang = lang
        self.log = CallLog(call_id or f"CA{uuid.uuid4().hex[:16]}")
        self._outgoing: asyncio.Queue[bytes] = asyncio.Queue()
        self._changed = asyncio.Event()

    async def __aenter__(self) -> "SimulatedCaller":
        import websockets

        self._ws = await websockets.connect(self.url, max_size=None)
        sid = f"MZ{uuid.uuid4().hex[:16]}"
        await self._ws.send(json.dumps({"event": "connected", "protocol": "Call", "version": "1.0.0"}))
        await self._ws.send(json.dumps({"event": "start", "sequenceNumber": "1", "streamSid": sid, "start": {
            "streamSid": sid, "callSid": self.log.call_id, "tracks": ["inbound"],
            "customParameters": {"lang": self.lang},
            "mediaFormat": {"encoding": "audio/x-mulaw", "sampleRate": 8000, "channels": 1}}}))
        self._sid = sid
        self._tasks = [asyncio.create_task(self._send_loop()), asyncio.create_task(self._receive_loop())]
        return self

    async def __aexit__(self, *exc) -> None:
        await self.hang_up()

    async def hang_up(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        try:
            await self._ws.send(json.dumps({"event": "stop", "streamSid": self._sid, "stop": {}}))
        except Exception:
            pass
        await self._ws.close()

    async def _send_loop(self) -> None:
        started = time.monotonic()
        sent = 0
        while True:
            frame = SILENCE if self._outgoing.empty() else self._outgoing.get_nowait()
            if isinstance(frame, tuple):  # (marker, list) : an utterance's first or last frame
                kind, frame = frame
                (self.log.speech_starts if kind == "start" else self.log.speech_ends).append(time.monotonic())
                if frame is None:
                    continue
            payload = base64.b64encode(frame).decode("ascii")
            await self._ws.send(json.dumps({"event": "media", "streamSid": self._sid,
                                            "media": {"track": "inbound", "payload": payload}}))
            sent += 1
            await asyncio.sleep(max(0.0, started + sent * FRAME_MS / 1000 - time.monotonic()))

    async def _receive_loop(self) -> None:
        try:
            async for raw in self._ws:
                now = time.monotonic()
                message = json.loads(raw)
                event = message.get("event", "")
                if event == "media":
                    self.log.bot_frames.append((now, base64.b64decode(message["media"]["payload"])))
                else:
                    self.log.events.append((now, event, message))
                self._changed.set()
        except Exception:
            pass
        self.log.closed_by_bot = True
        self._changed.set()

    def say(self, audio_16k: np.ndarray) -> None:
        """Queue an utterance (sent at real time after what is queued)."""
        frames = to_frames(audio_16k)
        self._outgoing.put_nowait(("start", frames[0]))
        for frame in frames[1:]:
            self._outgoing.put_nowait(frame)
        self._outgoing.put_nowait(("end", None))

    async def press(self, digit: str) -> None:
        await self._ws.send(json.dumps({"event": "dtmf", "streamSid": self._sid,
                                        "dtmf": {"track": "inbound_track", "digit": digit}}))

    async def wait_for(self, predicate, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while not predicate():
            remaining = deadline - time.monotonic()
            if remaining <= 0 or self.log.closed_by_bot and not predicate():
                return predicate()
            self._changed.clear()
            try:
                await asyncio.wait_for(self._changed.wait(), remaining)
            except TimeoutError:
                pass
        return True

    async def wait_said(self) -> None:
        """Until the queued utterance has been sent."""
        while not self._outgoing.empty():
            await asyncio.sleep(0.02)

    async def wait_quiet(self, quiet_s: float = 0.4, timeout: float = 30.0) -> None:
        """Until the bot has sent no audio for ``quiet_s`` (its turn is over)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            last = self.log.bot_frames[-1][0] if self.log.bot_frames else 0.0
            if self.log.bot_frames and time.monotonic() - last >= quiet_s:
                return
            await asyncio.sleep(0.05)


class LocalServer:
    """A real uvicorn server in a thread around an app with the voicebot router (for tests and the eval)."""

    def __init__(self, assistant, models):
        from fastapi import FastAPI

        from voicebot.api import router

        self.app = FastAPI()
        self.app.state.assistant = assistant
        self.app.state.models = models
        self.app.include_router(router)
        self.loop: asyncio.AbstractEventLoop | None = None

    def __enter__(self) -> "LocalServer":
        import socket

        import uvicorn

        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        self.server = uvicorn.Server(uvicorn.Config(self.app, host="127.0.0.1", port=port, log_level="warning",
                                                    ws="websockets-sansio"))
        self.base = f"http://127.0.0.1:{port}"
        self.ws_url = f"ws://127.0.0.1:{port}/voicebot/twilio"

        def serve() -> None:
            self.loop = asyncio.new_event_loop()
            self.loop.run_until_complete(self.server.serve())

        self.thread = threading.Thread(target=serve, name="voicebot-test-server", daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started and time.monotonic() < deadline:
            time.sleep(0.05)
        return self

    def __exit__(self, *exc) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)

    def call_tasks(self) -> list[str]:
        """Names of the server's live tasks that belong to calls."""
        async def names() -> list[str]:
            return [t.get_name() for t in asyncio.all_tasks() if t.get_name().startswith("call-")]

        return asyncio.run_coroutine_threadsafe(names(), self.loop).result(timeout=5)

    def record(self, call_id: str) -> dict:
        import httpx

        return httpx.get(f"{self.base}/voicebot/calls/{call_id}", timeout=10).json()


def call_threads() -> list[str]:
    return [t.name for t in threading.enumerate() if t.name.startswith("call-")]
