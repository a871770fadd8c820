"""HTTP and WebSocket adapter of the minutes service.

* ``WS /minutes/stream?language=&backend=&title=&glossary=&speakers=&compose=&subtitles=&dataset_consent=&sample_rate=16000&channels=1&format=s16``:
  binary messages are raw PCM (little-endian s16 or f32); a text message ``{"type": "stop"}`` (or closing)
  ends the meeting (``{"type": "stop", "compose": "llm"}`` picks how its minutes are written). The server sends
  JSON: ``ready`` (meeting id), ``partial``, ``final`` (a segment with words and speaker), ``speaker`` (a refined
  label), ``subtitle`` (with ``subtitles=en``: a segment in another language translated into English, live only),
  ``composing`` (chunks of the transcript done / total), ``minutes`` (the stored meeting), ``error``.
* ``POST /minutes/jobs`` (multipart ``file`` + form fields) -> 202 and a job; ``GET /minutes/jobs/{id}`` progress
  (stage transcribing, then composing). ``POST /minutes/meetings/{id}/compose`` writes a stored meeting's minutes
  again (``{"compose": "llm"}``) as a job.
* ``compose``: ``auto`` (the local LLM when it is configured and installed, else extractive), ``llm`` (503 when it
  is not available) or ``extractive``.
* ``GET /minutes/meetings``, ``GET|DELETE /minutes/meetings/{id}``, ``GET /minutes/meetings/{id}/export.{fmt}``,
  ``PUT /minutes/meetings/{id}/speakers/{label}`` (a name), ``PUT /minutes/meetings/{id}/segments/{n}`` (text),
  ``GET /minutes/search?q=``.
"""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, HTTPException, Query, UploadFile, WebSocket
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field
from starlette.websockets import WebSocketDisconnect, WebSocketState

from minutes.access import clean_shares, department_for, may_manage, may_see
from minutes.compose import LLMUnavailable
from minutes.exports import MEDIA_TYPES, export
from minutes.pipeline import LiveMeeting, MeetingRequest
from minutes.service import Busy, MinutesService
from minutes.store import MeetingNotFound
from models.asr import BACKENDS
from models.store import ModelError
from speech.events import Event, Final, Partial, SpeakerLabel, Subtitle
from webapi.access import Principal, checked_by, principal_of, requires
from webapi.deps import PartUnavailable, get_part, part
from webapi.errors import DetailOrProblems, error_responses, public_text

log = logging.getLogger("minutes.api")
# Errors are FastAPI's {"detail"}: a value the service refuses is a 422 with one sentence (a malformed field: the
# list of problems), an unknown or invisible meeting or job 404, a model or the LLM not available 503.
router = APIRouter(prefix="/minutes", tags=["minutes"],
                   responses={**error_responses(400, 401, 403, 404, 413, 415, 503),
                              **error_responses(422, model=DetailOrProblems)})

LANGUAGES = ("ko", "en")
QUEUE_CHUNKS = 256  # audio messages waiting for the transcriber; a faster sender is slowed down (back-pressure)
MAX_MESSAGE_BYTES = 1 << 20


MinutesDep = Annotated[MinutesService, Depends(part("minutes"))]
OfficialDep = Annotated[Principal, Depends(requires("official", "admin"))]


def event_json(event: Event) -> dict:
    """A transcription event as the WebSocket sends it (the engine's events are objects up to here)."""
    if isinstance(event, Partial):
        return {"type": event.type, "segment_id": event.segment_id,
                "start": round(event.start, 3) if event.start is not None else None,
                "final_text": event.final_text, "tentative_text": event.tentative_text, "text": event.text}
    if isinstance(event, Final):
        return {"type": event.type, "segment": event.segment.to_dict()}
    if isinstance(event, SpeakerLabel):
        return {"type": event.type, "segment_id": event.segment_id, "speaker": event.speaker,
                "refined": event.refined}
    if isinstance(event, Subtitle):
        return {"type": event.type, "segment_id": event.segment_id, "language": event.language, "text": event.text}
    raise TypeError(f"no JSON form for {type(event).__name__}")


@contextmanager
def http_errors(*kinds: type[Exception]) -> Iterator[None]:
    """The route's answer to the domain errors it names: an unknown meeting, job, speaker or segment (KeyError)
    404, an invalid value 422, a model or the LLM not available 503; errors not named are not caught."""
    try:
        yield
    except kinds as exc:
        if isinstance(exc, KeyError):
            raise HTTPException(404, str(exc.args[0]) if exc.args else str(exc)) from None
        if isinstance(exc, ValueError):
            raise HTTPException(422, str(exc)) from None
        if isinstance(exc, (LLMUnavailable, ModelError)):
            raise HTTPException(503, str(exc)) from None
        raise


def _meeting_request(title: str | None, language: str | None, backend: str | None, glossary: str | None,
                     speakers: bool, compose: str | None, service: MinutesService, who: Principal,
                     department: str | None = None) -> MeetingRequest:
    """The request, validated: ValueError for a bad field, LLMUnavailable when ``compose=llm`` cannot be had."""
    if language in ("", "auto"):
        language = None
    if backend == "":
        backend = None
    if language is not None and language not in LANGUAGES:
        raise ValueError(f"language must be ko, en or auto, not {language!r}")
    if backend is not None and backend not in BACKENDS:
        raise ValueError(f"backend must be one of {', '.join(BACKENDS)}")
    title = " ".join((title or "").split())[:300] or "Meeting"
    if glossary is not None and len(glossary) > 2000:
        raise ValueError("the glossary has at most 2000 characters")
    method = service.check_method(compose)
    return MeetingRequest(title=title, language=language, backend=backend, glossary=glossary or None,
                          speakers=speakers, compose=method, department=department_for(who, department),
                          owner=who.actor)


# ---------------------------------------------------------------------------------------------- live stream
def _refuse_stream(websocket: WebSocket) -> str | None:
    """Why this connection may not stream a meeting (None when it may): an official or an administrator signed
    in, and a browser session only from a page of this server (a WebSocket carries cookies across sites)."""
    try:
        who = principal_of(websocket)
    except HTTPException as exc:
        return str(exc.detail)
    if not who.acts_as("official"):
        return "live minutes are for officials: sign in at /staff/login (or send an official's bearer token)"
    origin = websocket.headers.get("origin")
    if who.via == "session" and origin and origin.split("://", 1)[-1] != websocket.headers.get("host"):
        return "a signed-in browser may stream only from this server's own pages"
    return None


@router.websocket("/stream", dependencies=[Depends(checked_by("an official's session or token"))])
async def stream(websocket: WebSocket, language: str | None = None, backend: str | None = None,
                 title: str | None = None, glossary: str | None = None, speakers: bool = True,
                 compose: str | None = None, subtitles: str | None = None, sample_rate: int = 16_000,
                 channels: int = 1, format: str = "s16", dataset_consent: bool = False) -> None:
    from speech.audio import PcmConverter

    await websocket.accept()
    refusal = await asyncio.to_thread(_refuse_stream, websocket)
    if refusal:
        await websocket.send_json({"type": "error", "error": refusal})
        await websocket.close(code=1008)
        return
    try:
        service: MinutesService = get_part(websocket, "minutes")
        request = _meeting_request(title, language, backend, glossary, speakers, compose, service,
                                   websocket.state.principal)
        if subtitles not in (None, "", "none", "en"):
            raise ValueError(f"subtitles must be en or none, not {subtitles!r} (Whisper translates into English "
                             "only)")
        request = replace(request, subtitles="en" if subtitles == "en" else None,
                          dataset_consent=dataset_consent)  # consented: the recording is kept (minutes.dataset)
        converter = PcmConverter(sample_rate, channels, format)
    except (ValueError, PartUnavailable, LLMUnavailable) as exc:
        detail = str(exc)
        await websocket.send_json({"type": "error", "error": detail})
        await websocket.close(code=1008 if isinstance(exc, ValueError) else 1013)
        return
    try:
        live: LiveMeeting = await asyncio.to_thread(service.open_live, request)
    except Busy as exc:
        await websocket.send_json({"type": "error", "error": str(exc)})
        await websocket.close(code=1013)
        return
    except Exception as exc:  # a model that cannot load: say so and close
        log.error("live meeting could not start: %s", exc)
        await websocket.send_json({"type": "error", "error": str(exc)})
        await websocket.close(code=1011)
        return
    await websocket.send_json({"type": "ready", "meeting_id": live.meeting.id, "title": live.meeting.title,
                               "sample_rate": 16_000})
    queue: asyncio.Queue = asyncio.Queue(maxsize=QUEUE_CHUNKS)
    max_samples = int(service.options.max_duration_s * 16_000)

    async def send(events) -> None:
        for event in events:
            await websocket.send_json(event_json(event))

    async def rename(control: dict) -> None:
        try:
            live.meeting.rename_speaker(str(control.get("speaker")), str(control.get("name", "")))
            await websocket.send_json({"type": "renamed", "speaker": control.get("speaker"),
                                       "name": live.meeting.speaker_names[str(control.get("speaker"))]})
        except (KeyError, ValueError) as exc:
            await websocket.send_json({"type": "error", "error": str(exc).strip("'\"")})

    async def work() -> None:
        fed = 0
        while True:
            item = await queue.get()
            if item is None:
                break
            if isinstance(item, dict):  # a control message, in order with the audio sent before it
                await rename(item)
                continue
            if fed >= max_samples:
                continue  # past the limit: audio is dropped, the meeting ends when the client stops
            fed += item.size
            await send(await asyncio.to_thread(live.feed, item))

    worker = asyncio.create_task(work())
    saved = False
    try:
        while True:
            message = await websocket.receive()
            if message["type"] == "websocket.disconnect":
                break
            data = message.get("bytes")
            if data is not None:
                if len(data) > MAX_MESSAGE_BYTES:
                    await websocket.send_json({"type": "error", "error": "audio messages are at most 1 MiB"})
                    continue
                samples = converter.convert(data)
                if samples.size:
                    await queue.put(samples)
                continue
            try:
                control = json.loads(message.get("text") or "")
            except ValueError:
                await websocket.send_json({"type": "error", "error": "text messages are JSON, e.g. {\"type\": \"stop\"}"})
                continue
            if isinstance(control, dict) and control.get("type") == "stop":
                if control.get("compose"):
                    try:
                        live.request = replace(live.request, compose=service.check_method(str(control["compose"])))
                    except (ValueError, LLMUnavailable) as exc:
                        await websocket.send_json({"type": "error", "error": str(exc)})
                break
            if isinstance(control, dict) and control.get("type") == "rename":
                await queue.put(control)
                continue
            await websocket.send_json({"type": "error", "error": "unknown control message"})
        await queue.put(None)
        await worker
        events = await asyncio.to_thread(live.finish)
        if websocket.client_state == WebSocketState.CONNECTED:
            await send(events)
        loop = asyncio.get_running_loop()

        def composing(done: int, total: int) -> None:  # called from the worker thread
            if websocket.client_state == WebSocketState.CONNECTED:
                asyncio.run_coroutine_threadsafe(
                    websocket.send_json({"type": "composing", "done": done, "total": total}), loop)

        meeting = await asyncio.to_thread(service.close_live, live, True, composing)
        saved = True
        if websocket.client_state == WebSocketState.CONNECTED:
            await websocket.send_json({"type": "minutes", "meeting": meeting.to_dict()})
            await websocket.close()
    except WebSocketDisconnect:
        pass
    finally:
        if not worker.done():
            worker.cancel()
        if not saved:
            # the client went away mid-meeting: keep what was transcribed
            try:
                await asyncio.to_thread(live.finish)
            except Exception as exc:  # noqa: BLE001  (best effort on a broken stream)
                log.warning("finishing an interrupted meeting failed: %s", exc)
            await asyncio.to_thread(service.close_live, live)


# ---------------------------------------------------------------------------------------------- upload jobs
@router.post("/jobs", status_code=202, summary="Upload a recording (any audio/video format) to transcribe")
async def create_job(
    service: MinutesDep,
    who: OfficialDep,
    file: Annotated[UploadFile, File(description="The recording.")],
    title: Annotated[str | None, Form()] = None,
    language: Annotated[str | None, Form(description="ko, en or auto")] = None,
    backend: Annotated[str | None, Form(description=" or ".join(BACKENDS))] = None,
    glossary: Annotated[str | None, Form(description="Names and terms, comma-separated")] = None,
    speakers: Annotated[bool, Form()] = True,
    compose: Annotated[str | None, Form(description="How the minutes are written: auto (the local LLM when "
                                        "available), llm or extractive")] = None,
    department: Annotated[str | None, Form(max_length=100, description="The meeting's department (administrators; "
                                           "an official's meetings are their own department's)")] = None,
    dataset_consent: Annotated[bool, Form(description="The speakers consented to the city's speech dataset: the "
                                          "recording is kept for `dasan minutes export-dataset`")] = False,
) -> JSONResponse:
    from speech.audio import probe_duration
    from models.audio import AudioDecodeError

    with http_errors(ValueError, LLMUnavailable):
        meeting_request = _meeting_request(title or Path(file.filename or "").stem, language, backend, glossary,
                                           speakers, compose, service, who, department)
    meeting_request = replace(meeting_request, dataset_consent=dataset_consent)
    limit = service.options.upload_max_bytes
    suffix = Path(file.filename or "").suffix[:10] if (file.filename or "").count(".") else ""
    target = service.uploads_dir / f"{uuid.uuid4().hex}{suffix}"
    size = 0
    with open(target, "wb") as out:
        while chunk := await file.read(1 << 20):
            size += len(chunk)
            if size > limit:
                out.close()
                target.unlink(missing_ok=True)
                raise HTTPException(413, f"the recording is larger than {limit:,} bytes")
            out.write(chunk)
    if size == 0:
        target.unlink(missing_ok=True)
        raise HTTPException(400, "the uploaded file is empty")
    try:
        duration = await asyncio.to_thread(probe_duration, target)
    except AudioDecodeError as exc:
        target.unlink(missing_ok=True)
        log.info("upload %s is not decodable: %s", file.filename, exc)  # the reason names the stored file
        name = public_text(Path(file.filename or "").name or "the upload", 200)
        raise HTTPException(415, f"'{name}' is not a recording this server can decode (no audio stream, or a "
                                 "format FFmpeg cannot read)") from None
    if duration is not None and duration > service.options.max_duration_s:
        target.unlink(missing_ok=True)
        raise HTTPException(413, f"the recording lasts {duration / 3600:.1f} h; the limit is "
                                 f"{service.options.max_duration_s / 3600:.1f} h")
    job = service.submit(target, meeting_request, duration)
    return _accepted(job)


def _accepted(job) -> JSONResponse:
    """202 with the job and where to follow it."""
    body = job.to_dict()
    body["status_url"] = f"/minutes/jobs/{job.id}"
    return JSONResponse(body, status_code=202, headers={"Location": body["status_url"]})


@router.get("/jobs/{job_id}", summary="A transcription job's progress and, when done, its meeting")
def get_job(job_id: str, service: MinutesDep, who: OfficialDep) -> dict:
    with http_errors(KeyError):
        job = service.job(job_id)
        if not may_see(job, who):
            raise KeyError(f"no job {job_id!r}")
        return job.to_dict()


# ---------------------------------------------------------------------------------------------- meetings
class SpeakerName(BaseModel):
    name: str = Field(min_length=1, max_length=80)


class SegmentText(BaseModel):
    text: str = Field(max_length=5000)


@router.get("/meetings", summary="Stored meetings, newest first")
def list_meetings(service: MinutesDep, who: OfficialDep,
                  limit: Annotated[int, Query(ge=1, le=1000)] = 200) -> list[dict]:
    return service.store.list(limit, visible=lambda row: may_see(row, who))


def _get(service: MinutesService, meeting_id: str, who: Principal, manage: bool = False):
    """The meeting if ``who`` may see it (404 otherwise: a meeting one may not see does not exist for one), and
    may manage it when ``manage`` (403)."""
    with http_errors(MeetingNotFound):
        meeting = service.store.get(meeting_id)
        if not may_see(meeting, who):
            raise MeetingNotFound(f"no meeting {meeting_id!r}")
    if manage and not may_manage(meeting, who):
        raise HTTPException(403, f"only officials of {meeting.department or 'its department'} (or an administrator) "
                                 "may do this")
    return meeting


@router.get("/meetings/{meeting_id}", summary="A meeting: segments, speakers, minutes")
def get_meeting(meeting_id: str, service: MinutesDep, who: OfficialDep) -> dict:
    return _get(service, meeting_id, who).to_dict()


@router.delete("/meetings/{meeting_id}", status_code=204)
def delete_meeting(meeting_id: str, service: MinutesDep, who: OfficialDep) -> Response:
    _get(service, meeting_id, who, manage=True)
    with http_errors(MeetingNotFound):
        service.store.delete(meeting_id)
    return Response(status_code=204)


class Sharing(BaseModel):
    shared_with: list[str] = Field(max_length=50, description="Departments, or user:NAME for one person")


@router.put("/meetings/{meeting_id}/sharing", summary="Share a meeting with other departments or people")
def share_meeting(meeting_id: str, body: Sharing, service: MinutesDep, who: OfficialDep) -> dict:
    meeting = _get(service, meeting_id, who, manage=True)
    with http_errors(ValueError):
        meeting.shared_with = clean_shares(body.shared_with)
    service.store.save(meeting)
    return {"id": meeting.id, "department": meeting.department, "shared_with": list(meeting.shared_with)}


class Consent(BaseModel):
    consented: bool = Field(description="The speakers agreed that the meeting may be released (speech dataset)")


@router.put("/meetings/{meeting_id}/consent", summary="Record whether the speakers agreed to the meeting's release")
def set_consent(meeting_id: str, body: Consent, service: MinutesDep, who: OfficialDep) -> dict:
    _get(service, meeting_id, who, manage=True)
    with http_errors(MeetingNotFound):
        meeting = service.set_consent(meeting_id, body.consented)  # a withdrawal deletes the kept recording
    return {"id": meeting.id, "consented": meeting.consented, "audio_kept": meeting.audio_path is not None}


@router.get("/meetings/{meeting_id}/export.{fmt}",
            summary="The minutes as md, docx, srt, vtt, json or txt, or on the government minutes form (form.docx)",
            response_class=Response,
            responses={200: {"description": "The minutes in the format asked for (a download)",
                             "content": {media_type.split(";")[0]: {} for media_type in MEDIA_TYPES.values()}}})
def export_meeting(meeting_id: str, fmt: str, service: MinutesDep, who: OfficialDep) -> Response:
    if fmt not in MEDIA_TYPES:
        raise HTTPException(404, f"unknown format {fmt!r}; choose one of {', '.join(MEDIA_TYPES)}")
    meeting = _get(service, meeting_id, who)
    filename = f"minutes-{meeting.id}.{fmt}".replace(".form.docx", "-form.docx")
    return Response(export(meeting, fmt, service.options.time_zone), media_type=MEDIA_TYPES[fmt],
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


@router.put("/meetings/{meeting_id}/speakers/{speaker}", summary="Name a speaker ('Speaker 2' -> 'Director Kim')")
def rename_speaker(meeting_id: str, speaker: str, body: SpeakerName, service: MinutesDep,
                   who: OfficialDep) -> dict:
    _get(service, meeting_id, who)
    with http_errors(KeyError, ValueError):  # KeyError: the meeting or the speaker
        return service.rename_speaker(meeting_id, speaker, body.name).to_dict()


class ComposeRequest(BaseModel):
    compose: str = Field("auto", max_length=20, description="auto, llm or extractive")


@router.post("/meetings/{meeting_id}/compose", status_code=202,
             summary="Write a stored meeting's minutes again (llm or extractive), as a job")
def recompose(meeting_id: str, body: ComposeRequest, service: MinutesDep, who: OfficialDep) -> JSONResponse:
    _get(service, meeting_id, who)
    with http_errors(MeetingNotFound, ValueError, LLMUnavailable):
        method = service.check_method(body.compose)
        job = service.submit_compose(meeting_id, method)
    return _accepted(job)


@router.put("/meetings/{meeting_id}/segments/{segment_id}", summary="Correct a segment's text")
def correct_segment(meeting_id: str, segment_id: int, body: SegmentText, service: MinutesDep,
                    who: OfficialDep) -> dict:
    _get(service, meeting_id, who)
    with http_errors(KeyError):  # the meeting or the segment
        return service.correct_segment(meeting_id, segment_id, body.text).to_dict()


@router.get("/search", summary="Past meetings by what was said in them")
def search(service: MinutesDep, who: OfficialDep, q: Annotated[str, Query(min_length=1, max_length=500)],
           k: Annotated[int, Query(ge=1, le=50)] = 10) -> list[dict]:
    among = None if who.role == "admin" else [m["id"] for m in service.store.list(100_000, lambda m: may_see(m, who))]
    with http_errors(ValueError, ModelError):
        return service.search(q, k, among)


__all__ = ["router"]
