"""The Twilio Media Streams WebSocket (``/voicebot/twilio``; Telnyx and others speak the same protocol).

In: JSON events ``connected``, ``start`` (streamSid, mediaFormat, customParameters such as ``lang``), ``media``
(base64 mu-law 8 kHz, 20 ms), ``dtmf``, ``mark``, ``stop``. Out: ``media``, ``mark``, ``clear`` (barge-in), and
``transfer`` (not a Twilio event: the call's summary for the agent; the server then closes the stream so the
TwiML after ``<Connect><Stream>`` can ``<Dial>`` the agent). ``GET /voicebot/calls/{id}`` returns a call's record.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
from collections import OrderedDict

from fastapi import APIRouter, HTTPException, Request, WebSocket, WebSocketDisconnect

from voicebot.call import Call, CallConfig
from voicebot.codec import Upsampler, ulaw_to_pcm16k

log = logging.getLogger("dasan.voicebot")
router = APIRouter(tags=["voicebot"])
KEEP_RECORDS = 500


def _records(state) -> OrderedDict:
    if getattr(state, "voicebot_records", None) is None:
        state.voicebot_records = OrderedDict()
    return state.voicebot_records


class TwilioOutbound:
    def __init__(self, websocket: WebSocket, stream_sid: str):
        self.ws = websocket
        self.stream_sid = stream_sid
        self.frames_sent = 0
        self.closed = False

    async def _send(self, message: dict) -> None:
        if self.closed:
            return  # the caller is gone: the receive loop sees it and ends the call as a hang-up
        try:
            await self.ws.send_text(json.dumps({**message, "streamSid": self.stream_sid}))
        except (WebSocketDisconnect, RuntimeError, OSError):
            self.closed = True
        except Exception as exc:  # the server's own "client disconnected" types differ by WebSocket backend
            if "disconnect" not in type(exc).__name__.lower():
                raise
            self.closed = True

    async def send_frame(self, ulaw_frame: bytes) -> None:
        self.frames_sent += 1
        await self._send({"event": "media", "media": {"payload": base64.b64encode(ulaw_frame).decode("ascii")}})

    async def clear(self) -> None:
        await self._send({"event": "clear"})

    async def mark(self, name: str) -> None:
        await self._send({"event": "mark", "mark": {"name": name}})

    async def transfer(self, summary: str, reason: str) -> None:
        await self._send({"event": "transfer", "transfer": {"summary": summary, "reason": reason}})


@router.websocket("/voicebot/twilio")
async def twilio_stream(websocket: WebSocket) -> None:
    state = websocket.app.state
    await websocket.accept()
    if getattr(state, "assistant", None) is None:
        await websocket.close(code=1011, reason="the assistant is not available")
        return
    call: Call | None = None
    task: asyncio.Task | None = None
    receiver: asyncio.Task | None = None
    upsampler = Upsampler()
    try:
        while call is None:
            message = json.loads(await websocket.receive_text())
            if message.get("event") == "start":
                start = message.get("start", {})
                params = start.get("customParameters") or {}
                outbound = TwilioOutbound(websocket, message.get("streamSid") or start.get("streamSid", ""))
                call = Call(outbound, state.assistant, state.models, CallConfig(lang=params.get("lang", "en")),
                            call_id=start.get("callSid") or None)
                _records(state)[call.id] = call.record
                while len(_records(state)) > KEEP_RECORDS:
                    _records(state).popitem(last=False)
                task = asyncio.create_task(call.run(), name=f"call-{call.id}")
            elif message.get("event") == "stop":
                return

        async def receive() -> None:
            while True:
                message = json.loads(await websocket.receive_text())
                event = message.get("event")
                if event == "media":
                    payload = base64.b64decode(message["media"]["payload"])
                    call.feed_audio(ulaw_to_pcm16k(payload, upsampler))
                elif event == "dtmf":
                    call.dtmf(str(message.get("dtmf", {}).get("digit", "")))
                elif event == "stop":
                    return

        receiver = asyncio.create_task(receive(), name=f"call-{call.id}-receive")
        await asyncio.wait({task, receiver}, return_when=asyncio.FIRST_COMPLETED)
    except WebSocketDisconnect:
        pass
    finally:
        for pending in (receiver, task):
            if pending is not None and not pending.done():
                pending.cancel()
        for pending in (receiver, task):
            if pending is not None:
                try:
                    await pending
                except (asyncio.CancelledError, WebSocketDisconnect, RuntimeError):
                    pass
        if call is not None:
            log.info("call %s ended: %s", call.id, call.record.outcome)
        try:
            await websocket.close()
        except Exception:  # already closed by the caller (the type depends on the WebSocket backend)
            pass


@router.get("/voicebot/calls/{call_id}", summary="A voice call's record: transcript, tools, outcome, timings")
def call_record(call_id: str, request: Request) -> dict:
    record = _records(request.app.state).get(call_id)
    if record is None:
        raise HTTPException(404, f"no call {call_id!r}")
    return record.to_dict()
