"""A TTS engine that is a server speaking the OpenAI-style speech API (``POST /v1/audio/speech``).

Many self-hosted speech servers answer this API (and so does Dasan itself, see :mod:`models.speech_api`), which
lets a city plug a better voice than the bundled ones into the voicebot and the minutes by configuration: set a
voice setting to the server's URL, with the model, voice, format and sample rate as query parameters, e.g.
``DASAN_TTS_VOICE_KO=http://tts.city.local:8880/v1?model=kokoro&voice=ko_female&format=pcm&rate=24000``.

``format=pcm`` (the default) asks for raw 16-bit little-endian mono PCM, which is played as it arrives (the
first audio of a long sentence comes before its end is synthesised); ``rate`` is the server's PCM sample rate
(24 kHz in the OpenAI API). ``format=wav`` (or ``flac``) is decoded whole. An API key, when the server needs one,
comes from ``DASAN_TTS_API_KEY`` and is sent as a bearer token, never put in the URL.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit, urlunsplit

import numpy as np

from models.store import ModelError
from models.tts import Speech, TTSEngine

PCM_CHUNK_S = 0.25  # raw PCM is handed on in pieces this long as it streams in
FORMATS = ("pcm", "wav", "flac")
_SENTENCE_END = re.compile(r"(?<=[.!?。])\s+")  # one request per sentence: the first audio comes sooner


@dataclass(frozen=True)
class SpeechServer:
    """Where and how to ask: the endpoint and the request's fixed fields."""

    endpoint: str  # .../v1/audio/speech
    model: str = "tts-1"
    voice: str = "alloy"
    response_format: str = "pcm"
    sample_rate: int = 24_000  # of raw PCM answers
    speed: float | None = None

    @classmethod
    def from_url(cls, url: str) -> SpeechServer:
        """Parse ``http(s)://host[:port][/v1[/audio/speech]]?model=..&voice=..&format=..&rate=..&speed=..``."""
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ModelError(f"not a speech server URL: {url!r} (expected http(s)://host:port/v1?voice=...)")
        path = parts.path.rstrip("/")
        if not path.endswith("/audio/speech"):
            path = (path or "/v1") + "/audio/speech"
        query = {key: values[-1] for key, values in parse_qs(parts.query).items()}
        unknown = set(query) - {"model", "voice", "format", "rate", "speed"}
        if unknown:
            raise ModelError(f"unknown speech server parameter(s) {', '.join(sorted(unknown))} in {url!r}; "
                             "known: model, voice, format, rate, speed")
        response_format = query.get("format", "pcm")
        if response_format not in FORMATS:
            raise ModelError(f"speech server format {response_format!r} is not supported; use one of "
                             f"{', '.join(FORMATS)}")
        try:
            rate = int(query.get("rate", 24_000))
            speed = float(query["speed"]) if "speed" in query else None
        except ValueError as exc:
            raise ModelError(f"bad number in speech server URL {url!r}: {exc}") from None
        if not 4_000 <= rate <= 96_000:
            raise ModelError(f"speech server rate {rate} is out of range (4000-96000 Hz)")
        return cls(urlunsplit((parts.scheme, parts.netloc, path, "", "")), query.get("model", "tts-1"),
                   query.get("voice", "alloy"), response_format, rate, speed)


class SpeechServerTTS(TTSEngine):
    """Speech from an OpenAI-style ``/v1/audio/speech`` server, one request per sentence."""

    def __init__(self, server: SpeechServer, api_key: str | None = None, timeout_s: float = 30.0):
        import httpx

        self.server = server
        self.name = f"speech-server:{server.model}/{server.voice}@{urlsplit(server.endpoint).netloc}"
        headers = {"authorization": f"Bearer {api_key}"} if api_key else {}
        self._client = httpx.Client(headers=headers, timeout=httpx.Timeout(timeout_s, connect=5.0))

    def _body(self, text: str) -> dict:
        body = {"model": self.server.model, "voice": self.server.voice, "input": text,
                "response_format": self.server.response_format}
        if self.server.speed is not None:
            body["speed"] = self.server.speed
        return body

    def stream(self, text: str) -> Iterator[Speech]:
        import httpx

        for sentence in (s.strip() for s in _SENTENCE_END.split(text)):
            if not sentence:
                continue
            try:
                with self._client.stream("POST", self.server.endpoint, json=self._body(sentence)) as response:
                    if response.status_code >= 400:
                        detail = response.read().decode("utf-8", errors="replace")[:300]
                        raise ModelError(f"speech server {self.server.endpoint} answered "
                                         f"{response.status_code}: {detail}")
                    if self.server.response_format == "pcm":
                        yield from self._pcm_pieces(response.iter_bytes())
                    else:
                        yield self._decode_whole(response.read())
            except httpx.HTTPError as exc:
                raise ModelError(f"speech server {self.server.endpoint} failed: {type(exc).__name__}: {exc}") \
                    from exc

    def _pcm_pieces(self, pieces: Iterator[bytes]) -> Iterator[Speech]:
        rate = self.server.sample_rate
        step = 2 * int(rate * PCM_CHUNK_S)
        pending = bytearray()
        for piece in pieces:
            pending.extend(piece)
            while len(pending) >= step:
                yield _pcm16(bytes(pending[:step]), rate)
                del pending[:step]
        usable = len(pending) - len(pending) % 2
        if usable:
            yield _pcm16(bytes(pending[:usable]), rate)

    def _decode_whole(self, payload: bytes) -> Speech:
        import soundfile

        try:
            audio, rate = soundfile.read(io.BytesIO(payload), dtype="float32", always_2d=True)
        except Exception as exc:  # soundfile raises its own error types for bad payloads
            raise ModelError(f"speech server {self.server.endpoint} sent audio that cannot be decoded as "
                             f"{self.server.response_format}: {exc}") from exc
        return Speech(audio.mean(axis=1).astype(np.float32), rate)


def _pcm16(raw: bytes, rate: int) -> Speech:
    return Speech(np.frombuffer(raw, dtype="<i2").astype(np.float32) / 32768.0, rate)
