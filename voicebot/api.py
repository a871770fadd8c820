"""The voicebot's web endpoints: the Twilio Media Streams WebSocket (``/voicebot/twilio``), the browser's 16 kHz
PCM WebSocket (``/voicebot/browser``, used by the call page at ``/voicebot``) and ``GET /voicebot/calls/{id}``
(a call's record). Both WebSockets, and SIP calls (:func:`sip_server`, started by the app when ``DASAN_SIP_PORT`` is
set), run the same :class:`voicebot.call.Call` through :func:`voicebot.transport.serve_call`, made by
:func:`new_call` and served by :func:`serve_and_record`; only the wire format differs (:mod:`voicebot.twilio`,
:mod:`voicebot.browser`, :mod:`voicebot.sip`).
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, WebSocket, WebSocketDisconnect

from chatbot.assistant import Assistant
from models.loaded import ModelSet
from voicebot.browser import BadMessage, BrowserOutbound, audio_of, command_of
from voicebot.call import LANGUAGES, Call, CallConfig
from voicebot.codec import CALL_RATE
from voicebot.records import CallRecords
from voicebot.transport import serve_call
from voicebot.twilio import TwilioOutbound, TwilioReader
from webapi.access import PUBLIC, Principal, requires
from webapi.deps import PartUnavailable, get_part, part
from webapi.errors import error_responses
from webapi.metrics import CALLS_ENDED, CALLS_IN_PROGRESS, VOICE_STAGE_SECONDS

log = logging.getLogger("dasan.voicebot")
router = APIRouter(tags=["voicebot"], responses=error_responses(401, 403, 404))
CallsDep = Annotated[CallRecords, Depends(part("calls"))]


Parts = Callable[[str], Any]  # a part of the runtime by name, or PartUnavailable (runtime.part, get_part)


def _parts_of(websocket: WebSocket) -> Parts:
    return lambda name: get_part(websocket, name)


def new_call(parts: Parts, outbound, lang: str, call_id: str | None = None) -> Call:
    """A call with the runtime's assistant and models, registered in its call records."""
    assistant: Assistant = parts("assistant")
    models: ModelSet = parts("models")
    config = CallConfig(lang=lang if lang in LANGUAGES else "en")
    try:
        settings = parts("settings")
    except PartUnavailable:
        settings = None
    url = getattr(settings, "text_channel_url", None)
    if url:
        config = dataclasses.replace(config, text_channel_url=url)
    threshold = getattr(settings, "turn_threshold", None)
    if threshold is not None:
        config = dataclasses.replace(config, turn=dataclasses.replace(config.turn, model_threshold=threshold))
    call = Call(outbound, assistant, models, config, call_id=call_id)
    calls: CallRecords = parts("calls")
    calls.add(call.id, call.record)
    return call


async def serve_and_record(parts: Parts, call: Call, outbound, receive) -> None:
    """Run the call; its whole record goes to the shared store once it has ended, however it ended."""
    CALLS_IN_PROGRESS.inc()
    try:
        await serve_call(call, outbound, receive)
    finally:
        CALLS_IN_PROGRESS.dec()
        CALLS_ENDED.labels(call.record.outcome).inc()
        for turn in call.record.turns:
            for stage in ("asr", "assistant", "first_tts", "response"):
                seconds = (turn.get("timings") or {}).get(f"{stage}_s")
                if seconds:
                    VOICE_STAGE_SECONDS.labels(stage).observe(seconds)
        await asyncio.to_thread(parts("calls").finish, call.id)


def sip_server(parts: Parts, settings):
    """The SIP listener of ``settings`` (``DASAN_SIP_*``) serving calls with the runtime's parts (not started)."""
    from voicebot.sip import SipServer

    return SipServer(lambda outbound, lang, call_id: new_call(parts, outbound, lang, call_id),
                     lambda call, outbound, receive: serve_and_record(parts, call, outbound, receive),
                     host=settings.sip_host, port=settings.sip_port, advertise=settings.sip_advertise,
                     transfer_uri=settings.sip_transfer_uri)


async def _refuse_without_assistant(websocket: WebSocket) -> bool:
    try:
        get_part(websocket, "assistant")
    except PartUnavailable as exc:
        await websocket.close(code=1011, reason=str(exc)[:120])
        return True
    return False


async def _close(websocket: WebSocket) -> None:
    try:
        await websocket.close()
    except Exception:  # already closed by the caller (the error type depends on the WebSocket backend)
        pass


@router.websocket("/voicebot/twilio", dependencies=[PUBLIC])  # a citizen calling (the PBX or Twilio connects)
async def twilio_stream(websocket: WebSocket) -> None:
    await websocket.accept()
    if await _refuse_without_assistant(websocket):
        return
    reader = TwilioReader()
    try:
        while True:  # until "start" (or "stop" before it)
            message = reader.parse(await websocket.receive_text())
            if message.get("event") == "stop":
                return
            if message.get("event") == "start":
                break
    except WebSocketDisconnect:
        return
    start = message.get("start") if isinstance(message.get("start"), dict) else {}
    params = start.get("customParameters") if isinstance(start.get("customParameters"), dict) else {}
    outbound = TwilioOutbound(websocket, str(message.get("streamSid") or start.get("streamSid") or ""))
    call = new_call(_parts_of(websocket), outbound, str(params.get("lang", "en")),
                    str(start.get("callSid") or "") or None)

    async def receive() -> None:
        while True:
            message = reader.parse(await websocket.receive_text())
            event = message.get("event")
            if event == "media":
                samples = reader.audio(message)
                if samples is not None:
                    call.feed_audio(samples)
            elif event == "dtmf":
                call.dtmf(reader.digit(message))
            elif event == "stop":
                return

    await serve_and_record(_parts_of(websocket), call, outbound, receive)
    await _close(websocket)


@router.websocket("/voicebot/browser", dependencies=[PUBLIC])  # a citizen calling from the call page
async def browser_stream(websocket: WebSocket, lang: str = "en") -> None:
    await websocket.accept()
    if await _refuse_without_assistant(websocket):
        return
    if lang not in LANGUAGES:
        await websocket.close(code=1008, reason=f"unknown lang {lang!r}: use {', '.join(LANGUAGES)}")
        return
    outbound = BrowserOutbound(websocket)
    call = new_call(_parts_of(websocket), outbound, lang)
    outbound.event("call", call_id=call.id, lang=call.lang, mode=lang, sample_rate=CALL_RATE)

    async def receive() -> None:
        while True:
            message = await websocket.receive()
            if message["type"] == "websocket.disconnect":
                return
            try:
                if message.get("bytes") is not None:
                    call.feed_audio(audio_of(message["bytes"]))
                    continue
                command = command_of(message.get("text") or "")
            except BadMessage as exc:
                outbound.event("error", message=str(exc))
                continue
            if command["type"] == "hangup":
                return
            call.dtmf(command["digit"])

    await serve_and_record(_parts_of(websocket), call, outbound, receive)
    await _close(websocket)


@router.get("/voicebot/calls/{call_id}", summary="A voice call's record: transcript, tools, outcome, timings")
def call_record(call_id: str, calls: CallsDep,
                who: Annotated[Principal, Depends(requires("agent", "admin"))]) -> dict:
    record = calls.get(call_id)
    if record is None:
        raise HTTPException(404, f"no call {call_id!r}")
    return record
