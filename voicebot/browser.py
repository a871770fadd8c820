"""The browser's call protocol: plain 16 kHz PCM on a WebSocket (``/voicebot/browser?lang=en|ko|auto``).

In: binary messages of int16 little-endian mono samples at 16 kHz (any length up to 1 s; the call page sends
about 20 ms each), and JSON text messages ``{"type": "dtmf", "digit": "0"}`` and ``{"type": "hangup"}``.
Out: binary messages of 16 kHz int16 LE (20 ms each) for the bot's speech, and JSON text messages:
``{"type": "call", "call_id", "lang", "sample_rate"}`` first, then ``state`` (``state``), ``transcript``
(``role`` caller/bot, ``text``, ``entry``), ``lang`` (``lang``, ``reason``), ``clear`` (drop the audio not yet
played), ``mark`` (``name``: the bot's speech so far is all sent), ``transfer`` (``target`` agent/interpretation,
``reason``, ``summary``) and ``error`` (``message``: a message of the caller's that was refused; the call goes on).
"""

from __future__ import annotations

import json

import numpy as np
from fastapi import WebSocket

from voicebot.codec import CALL_RATE
from voicebot.transport import Outbound

MAX_AUDIO_BYTES = 2 * CALL_RATE  # one second of int16 in one message
DIGITS = set("0123456789*#")


class BrowserOutbound(Outbound):
    def __init__(self, websocket: WebSocket):
        super().__init__()
        self.ws = websocket

    async def _send(self, message: dict) -> None:
        await self.ws.send_text(json.dumps(message, ensure_ascii=False))

    async def write_audio(self, frame: np.ndarray) -> None:
        await self.ws.send_bytes(np.asarray(frame, dtype="<i2").tobytes())

    async def write_clear(self) -> None:
        await self._send({"type": "clear"})

    async def write_mark(self, name: str) -> None:
        await self._send({"type": "mark", "name": name})

    async def write_transfer(self, summary: str, reason: str, target: str) -> None:
        await self._send({"type": "transfer", "target": target, "reason": reason, "summary": summary})

    async def write_event(self, kind: str, data: dict) -> None:
        await self._send({"type": kind, **data})


class BadMessage(ValueError):
    """A caller's message that the protocol refuses (answered with an ``error`` event)."""


def audio_of(data: bytes) -> np.ndarray:
    """A binary message -> 16 kHz float32 samples."""
    if len(data) % 2:
        raise BadMessage("audio must be int16 little-endian samples (an even number of bytes)")
    if len(data) > MAX_AUDIO_BYTES:
        raise BadMessage(f"an audio message may hold at most {MAX_AUDIO_BYTES} bytes (1 s at 16 kHz)")
    return np.frombuffer(data, dtype="<i2").astype(np.float32) / 32768.0


def command_of(text: str) -> dict:
    """A text message -> a command: ``{"type": "dtmf", "digit": d}`` or ``{"type": "hangup"}``."""
    try:
        message = json.loads(text)
    except ValueError:
        raise BadMessage("text messages must be JSON objects") from None
    if not isinstance(message, dict):
        raise BadMessage("text messages must be JSON objects")
    kind = message.get("type")
    if kind == "dtmf":
        digit = message.get("digit")
        if not isinstance(digit, str) or digit not in DIGITS:
            raise BadMessage("a dtmf message needs a digit: one of 0-9, * or #")
        return {"type": "dtmf", "digit": digit}
    if kind == "hangup":
        return {"type": "hangup"}
    raise BadMessage(f"unknown message type {kind!r}: send dtmf or hangup")
