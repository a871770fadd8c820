"""The Twilio Media Streams protocol (Telnyx and others speak the same): JSON text messages on a WebSocket.

In: ``connected``, ``start`` (streamSid, callSid, customParameters such as ``lang``), ``media`` (base64 mu-law
8 kHz, 20 ms), ``dtmf``, ``mark``, ``stop``. Out: ``media``, ``mark``, ``clear`` (barge-in), and ``transfer`` (not a
Twilio event: the call's summary and target for the agent; the server then closes the stream so the TwiML after
``<Connect><Stream>`` can ``<Dial>`` the target).
"""

from __future__ import annotations

import base64
import binascii
import json
import logging

import numpy as np
from fastapi import WebSocket

from voicebot.codec import Downsampler, Upsampler, pcm16k_to_ulaw, ulaw_to_pcm16k
from voicebot.transport import Outbound

log = logging.getLogger("dasan.voicebot")
MAX_MEDIA_BYTES = 16_000  # 2 s of mu-law in one message: far more than any provider sends


class TwilioOutbound(Outbound):
    def __init__(self, websocket: WebSocket, stream_sid: str):
        super().__init__()
        self.ws = websocket
        self.stream_sid = stream_sid
        self._downsampler = Downsampler()

    async def _send(self, message: dict) -> None:
        await self.ws.send_text(json.dumps({**message, "streamSid": self.stream_sid}))

    async def write_audio(self, frame: np.ndarray) -> None:
        payload = base64.b64encode(pcm16k_to_ulaw(frame, self._downsampler)).decode("ascii")
        await self._send({"event": "media", "media": {"payload": payload}})

    async def write_clear(self) -> None:
        await self._send({"event": "clear"})

    async def write_mark(self, name: str) -> None:
        await self._send({"event": "mark", "mark": {"name": name}})

    async def write_transfer(self, summary: str, reason: str, target: str) -> None:
        await self._send({"event": "transfer", "transfer": {"summary": summary, "reason": reason,
                                                             "target": target}})


class TwilioReader:
    """Parses the caller's messages; a malformed one is logged and skipped, never fatal."""

    def __init__(self) -> None:
        self._upsampler = Upsampler()

    @staticmethod
    def parse(text: str) -> dict:
        try:
            message = json.loads(text)
        except ValueError:
            log.warning("twilio stream: a message that is not JSON was ignored")
            return {}
        return message if isinstance(message, dict) else {}

    def audio(self, message: dict) -> np.ndarray | None:
        """The 16 kHz float samples of a ``media`` message (None when it carries no valid payload)."""
        media = message.get("media")
        payload = media.get("payload") if isinstance(media, dict) else None
        if not isinstance(payload, str):
            return None
        try:
            data = base64.b64decode(payload, validate=True)
        except (binascii.Error, ValueError):
            log.warning("twilio stream: a media payload that is not base64 was ignored")
            return None
        if not data or len(data) > MAX_MEDIA_BYTES:
            return None
        return ulaw_to_pcm16k(data, self._upsampler)

    @staticmethod
    def digit(message: dict) -> str:
        dtmf = message.get("dtmf")
        return str(dtmf.get("digit", "")) if isinstance(dtmf, dict) else ""
