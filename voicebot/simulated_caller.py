"""A simulated caller over the Twilio Media Streams protocol: plays 16 kHz audio into a call at real-time pace
(silence between utterances, as a phone line sends), records the bot's audio and events with their arrival times,
can interrupt the bot and press keys, and can put the bot's own voice back on the line (:class:`LineEcho`: the
echo of a phone's loudspeaker or a hybrid, attenuated and delayed, mixed with whatever the caller says). Used by the
tests and ``dasan eval voicebot``.
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

from voicebot.codec import FRAME_MS, TELEPHONY_RATE, float_to_int16, ulaw_decode, ulaw_encode



def to_frames(audio_16k: np.ndarray, rate: int = TELEPHONY_RATE) -> list[np.ndarray]:
    """16 kHz float audio -> 20 ms frames of int16 at ``rate`` (encoded for the wire when sent)."""
    from models.audio import resample

    size = rate * FRAME_MS // 1000
    pcm = float_to_int16(resample(audio_16k, 16_000, rate))
    pcm = np.concatenate([pcm, np.zeros((-len(pcm)) % size, dtype=np.int16)])
    return [pcm[i:i + size] for i in range(0, len(pcm), size)]


@dataclass(frozen=True)
class LineEcho:
    """The bot's voice back on the line: each frame of it, ``delay_s`` after it arrived, times ``gain``."""

    gain: float = 0.5  # 0.5 is an echo only 6 dB under the bot's voice (a loud one)
    delay_s: float = 0.15


class TwilioWire:
    """The Twilio Media Streams protocol, as a phone provider speaks it (8 kHz mu-law in JSON)."""

    rate = TELEPHONY_RATE

    def __init__(self, call_id: str, lang: str):
        self.call_id, self.lang = call_id, lang
        self.sid = f"MZ{uuid.uuid4().hex[:16]}"

    def opening(self) -> list[str]:
        return [json.dumps({"event": "connected", "protocol": "Call", "version": "1.0.0"}),
                json.dumps({"event": "start", "sequenceNumber": "1", "streamSid": self.sid, "start": {
                    "streamSid": self.sid, "callSid": self.call_id, "tracks": ["inbound"],
                    "customParameters": {"lang": self.lang},
                    "mediaFormat": {"encoding": "audio/x-mulaw", "sampleRate": 8000, "channels": 1}}})]

    def audio(self, frame: np.ndarray) -> str:
        payload = base64.b64encode(ulaw_encode(frame)).decode("ascii")
        return json.dumps({"event": "media", "streamSid": self.sid, "media": {"track": "inbound", "payload": payload}})

    def key(self, digit: str) -> str:
        return json.dumps({"event": "dtmf", "streamSid": self.sid, "dtmf": {"track": "inbound_track", "digit": digit}})

    def closing(self) -> str:
        return json.dumps({"event": "stop", "streamSid": self.sid, "stop": {}})

    @staticmethod
    def incoming(raw) -> tuple[str, dict, np.ndarray | None]:
        """(event name, message, the bot's audio as int16 at ``rate`` for media)."""
        message = json.loads(raw)
        event = message.get("event", "")
        if event == "media":
            return event, message, ulaw_decode(base64.b64decode(message["media"]["payload"]))
        return event, message, None


class BrowserWire:
    """The call page's protocol (16 kHz int16 binary, JSON events; see :mod:`voicebot.browser`)."""

    rate = 16_000

    def __init__(self, call_id: str, lang: str):
        self.call_id, self.lang = call_id, lang

    def opening(self) -> list[str]:
        return []

    def audio(self, frame: np.ndarray) -> bytes:
        return np.asarray(frame, dtype="<i2").tobytes()

    def key(self, digit: str) -> str:
        return json.dumps({"type": "dtmf", "digit": digit})

    def closing(self) -> str:
        return json.dumps({"type": "hangup"})

    def incoming(self, raw) -> tuple[str, dict, np.ndarray | None]:
        if isinstance(raw, bytes):
            return "media", {}, np.frombuffer(raw, dtype="<i2")
        message = json.loads(raw)
        if message.get("type") == "call":
            self.call_id = message["call_id"]
        return message.get("type", ""), message, None


def over_the_phone(audio_16k: np.ndarray) -> np.ndarray:
    """16 kHz float audio as a call hears it from a phone line: carried at 8 kHz in mu-law (the Twilio wire), then
    brought back to 16 kHz by the server's own :class:`~voicebot.codec.Upsampler`, frame by frame."""
    from voicebot.codec import Upsampler, ulaw_to_pcm16k

    upsampler = Upsampler()
    frames = [ulaw_to_pcm16k(ulaw_encode(frame), upsampler) for frame in to_frames(audio_16k)]
    return np.concatenate(frames) if frames else np.zeros(0, dtype=np.float32)


@dataclass
class CallLog:
    call_id: str
    events: list[tuple[float, str, dict]] = field(default_factory=list)  # (monotonic time, event, message)
    bot_frames: list[tuple[float, np.ndarray]] = field(default_factory=list)  # int16 at the wire's rate
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
    """One call. ``async with SimulatedCaller(url) as caller``: then ``say``, ``press``, ``wait_for``...
    ``url`` is the Twilio stream (the default wire) or, with ``wire=BrowserWire``, the browser's
    ``/voicebot/browser?lang=..`` (its call id arrives in the first message)."""

    def __init__(self, url: str, lang: str = "en", call_id: str | None = None, echo: LineEcho | None = None,
                 wire=TwilioWire):
        self.url = url
        self.lang = lang
        self.echo = echo
        self.wire = wire(call_id or f"CA{uuid.uuid4().hex[:16]}", lang)
        self.log = CallLog(self.wire.call_id)
        self._silence = np.zeros(self.wire.rate * FRAME_MS // 1000, dtype=np.int16)
        self._outgoing: asyncio.Queue = asyncio.Queue()
        self._echo_line: list[tuple[float, np.ndarray]] = []  # (due time, int16 frame at the wire's rate)
        self._changed = asyncio.Event()

    async def __aenter__(self) -> "SimulatedCaller":
        import websockets

        self._ws = await websockets.connect(self.url, max_size=None)
        for message in self.wire.opening():
            await self._ws.send(message)
        self._tasks = [asyncio.create_task(self._send_loop()), asyncio.create_task(self._receive_loop())]
        return self

    async def __aexit__(self, *exc) -> None:
        await self.hang_up()

    async def hang_up(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        try:
            await self._ws.send(self.wire.closing())
        except Exception:
            pass
        await self._ws.close()

    async def _send_loop(self) -> None:
        started = time.monotonic()
        sent = 0
        while True:
            frame = self._silence if self._outgoing.empty() else self._outgoing.get_nowait()
            if isinstance(frame, tuple):  # (marker, list) : an utterance's first or last frame
                kind, frame = frame
                (self.log.speech_starts if kind == "start" else self.log.speech_ends).append(time.monotonic())
                if frame is None:
                    continue
            if self._echo_line and self._echo_line[0][0] <= time.monotonic():
                echo = self._echo_line.pop(0)[1].astype(np.float32) * self.echo.gain
                frame = np.clip(frame.astype(np.float32) + echo, -32768, 32767).astype(np.int16)
            await self._ws.send(self.wire.audio(frame))
            sent += 1
            await asyncio.sleep(max(0.0, started + sent * FRAME_MS / 1000 - time.monotonic()))

    async def _receive_loop(self) -> None:
        try:
            async for raw in self._ws:
                now = time.monotonic()
                event, message, frame = self.wire.incoming(raw)
                if frame is not None:
                    self.log.bot_frames.append((now, frame))
                    if self.echo is not None:
                        self._echo_line.append((now + self.echo.delay_s, frame))
                else:
                    if event == "call":
                        self.log.call_id = message["call_id"]
                    self.log.events.append((now, event, message))
                self._changed.set()
        except Exception:
            pass
        self.log.closed_by_bot = True
        self._changed.set()

    def say(self, audio_16k: np.ndarray) -> None:
        """Queue an utterance (sent at real time after what is queued)."""
        frames = to_frames(audio_16k, self.wire.rate)
        self._outgoing.put_nowait(("start", frames[0]))
        for frame in frames[1:]:
            self._outgoing.put_nowait(frame)
        self._outgoing.put_nowait(("end", None))

    async def press(self, digit: str) -> None:
        await self._ws.send(self.wire.key(digit))

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

    async def wait_said(self, timeout: float = 120.0) -> None:
        """Until the queued utterance has been sent, or the call is over (the bot closed it, or sending failed)."""
        deadline = time.monotonic() + timeout
        while not self._outgoing.empty() and time.monotonic() < deadline:
            if self.log.closed_by_bot or self._tasks[0].done():
                return
            await asyncio.sleep(0.02)

    async def wait_quiet(self, quiet_s: float = 0.4, timeout: float = 30.0) -> None:
        """Until the bot has sent no audio for ``quiet_s`` (its turn is over)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            last = self.log.bot_frames[-1][0] if self.log.bot_frames else 0.0
            if self.log.bot_frames and time.monotonic() - last >= quiet_s:
                return
            await asyncio.sleep(0.05)


def call_record(base: str, call_id: str, token: str) -> dict:
    """A call's record from the server at ``base``, read with an agent's (or an administrator's) bearer token."""
    import httpx

    response = httpx.get(f"{base}/voicebot/calls/{call_id}", headers={"Authorization": f"Bearer {token}"},
                         timeout=10)
    response.raise_for_status()
    return response.json()


def call_threads() -> list[str]:
    return [t.name for t in threading.enumerate() if t.name.startswith("call-")]
