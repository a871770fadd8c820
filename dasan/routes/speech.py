"""Dasan's own voices over the OpenAI-style speech API: ``POST /v1/audio/speech``.

The body is ``{"model", "input", "voice", "response_format", "speed"}``; ``voice`` is a language (``en`` or
``ko``) and picks that language's configured voice; ``model`` is accepted and echoed in a header, not used.
Formats: ``wav`` (the engine's own rate), ``flac``, and ``pcm`` (raw 16-bit little-endian mono at 24 kHz, as in
the OpenAI API, streamed sentence by sentence as it is synthesised). Other Dasan instances, or any client of that
API, can use it as a shared speech service (``DASAN_TTS_VOICE_EN=http://host:8000/v1?voice=en``).
"""

from __future__ import annotations

import io
import itertools
from typing import Annotated, Literal

import numpy as np
from fastapi import APIRouter, Depends, HTTPException
from fastapi.responses import Response, StreamingResponse
from pydantic import BaseModel, Field

from dasan.routes.deps import ModelsDep
from webapi.access import STAFF_ROLES, Principal, requires
from webapi.errors import error_responses
from models.audio import resample
from models.store import ModelError

router = APIRouter(prefix="/v1/audio", tags=["models"])
PCM_RATE = 24_000
VOICES = ("en", "ko")


class SpeechRequest(BaseModel):
    model: str = Field("dasan", max_length=200)
    input: str = Field(..., min_length=1, max_length=4096)
    voice: str = Field("en", description="en or ko: the configured voice of that language")
    response_format: Literal["wav", "flac", "pcm"] = "wav"
    speed: float = Field(1.0, ge=0.25, le=4.0, description="Only 1.0 is supported by the bundled voices.")


def _int16(audio: np.ndarray) -> bytes:
    return (np.clip(audio, -1.0, 1.0) * 32767.0).astype("<i2").tobytes()


@router.post("/speech", summary="Synthesise speech (OpenAI-style API) with Dasan's configured voices",
             response_class=Response,
             responses={200: {"description": "The speech, in the format asked for",
                              "content": {f"audio/{fmt}": {} for fmt in ("wav", "flac", "pcm")}},
                        **error_responses(400, 401, 403, 413, 503)})
def speech(body: SpeechRequest, models: ModelsDep,
           who: Annotated[Principal, Depends(requires(*STAFF_ROLES))]) -> Response:
    if body.voice not in VOICES:
        raise HTTPException(400, f"unknown voice {body.voice!r}; voices: {', '.join(VOICES)}")
    if body.speed != 1.0:
        raise HTTPException(400, "speed other than 1.0 is not supported by Dasan's voices")
    if not body.input.strip():
        raise HTTPException(400, "input is empty")
    try:
        engine = models.tts(body.voice)
    except ModelError as exc:
        raise HTTPException(503, f"the {body.voice} voice is not available: {exc}") from None
    headers = {"x-dasan-voice": getattr(engine, "name", body.voice), "x-dasan-model": body.model}
    if body.response_format == "pcm":
        chunks = iter(engine.stream(body.input))
        try:
            first = next(chunks, None)  # before the headers go out, so a failing engine still gets a status
        except ModelError as exc:
            raise HTTPException(503, f"the {body.voice} voice failed: {exc}") from None

        def pieces():
            for chunk in itertools.chain([first] if first is not None else [], chunks):
                yield _int16(resample(chunk.audio, chunk.sample_rate, PCM_RATE))

        return StreamingResponse(pieces(), media_type="audio/pcm", headers={**headers, "x-sample-rate": "24000"})
    import soundfile

    try:
        speech = engine.synthesize(body.input)
    except ModelError as exc:
        raise HTTPException(503, f"the {body.voice} voice failed: {exc}") from None
    except ValueError as exc:
        raise HTTPException(400, str(exc)) from None
    buffer = io.BytesIO()
    soundfile.write(buffer, speech.audio, speech.sample_rate, format=body.response_format.upper(),
                    subtype="PCM_16")
    return Response(buffer.getvalue(), media_type=f"audio/{body.response_format}", headers=headers)
