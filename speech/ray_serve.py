"""Whisper window decoding on Ray Serve: the deployment and the :class:`~speech.backends.WindowDecoder` that calls it.

:class:`AsrServer` holds, per replica, one Whisper model with the backend's window decoder (and whole-file
transcription over the same weights, the interface of :class:`models.ray_serve.TranscriberServer`). Windows of
concurrent streams are gathered by ``@serve.batch`` and decoded one after another in the replica's thread.
:class:`RayWindowDecoder` is the decoder a streaming transcriber gets from the model set when Ray serves ASR.

This module imports Ray; import it only where Ray is used (``pip install 'dasan[ray]'``).
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import numpy as np
from ray import serve

from models.asr import TranscribeOptions, Transcript
from models.ray_serve import DEFAULT_BATCH_MAX, DEFAULT_BATCH_WAIT_S, call, node_id, wait
from models.store import ModelStore
from speech.backends import DecodeOptions, WindowResult, window_decoder


class AsrServer:
    """A Whisper model per replica: ``decode`` (one window, batched across callers) and ``transcribe``."""

    def __init__(self, ref: str, models_dir: str, backend: str = "faster-whisper", compute_type: str = "int8",
                 threads: int = 1, batch_max: int = 4, batch_wait_s: float = DEFAULT_BATCH_WAIT_S):
        from models.asr import load_transcriber

        self._transcriber = load_transcriber(ref, ModelStore(Path(models_dir)), backend=backend, threads=threads,
                                             compute_type=compute_type)
        self._decoder = window_decoder(self._transcriber)
        self._decoder.warm_up()
        self.decode.set_max_batch_size(max(1, min(batch_max, DEFAULT_BATCH_MAX)))
        self.decode.set_batch_wait_timeout_s(batch_wait_s)
        self.batches: list[int] = []

    def describe(self) -> dict:
        return {"identity": self._transcriber.identity, "backend": self._transcriber.backend, "node": node_id()}

    def batch_sizes(self) -> list[int]:
        return list(self.batches)

    def transcribe(self, audio: np.ndarray, options: TranscribeOptions) -> Transcript:
        return self._transcriber.transcribe(audio, options)

    @serve.batch(max_batch_size=4, batch_wait_timeout_s=DEFAULT_BATCH_WAIT_S)
    async def decode(self, requests: list[tuple[np.ndarray, DecodeOptions]]) -> list[WindowResult]:
        return await asyncio.to_thread(self._decode_batch, requests)

    def _decode_batch(self, requests: list[tuple[np.ndarray, DecodeOptions]]) -> list[WindowResult]:
        self.batches = (self.batches + [len(requests)])[-1000:]
        return [self._decoder.decode(audio, options) for audio, options in requests]


class RayWindowDecoder:
    """A :class:`~speech.backends.WindowDecoder` whose model runs in an :class:`AsrServer` deployment."""

    def __init__(self, handle, timeout_s: float | None = 120.0):
        self._handle = handle
        self._timeout_s = timeout_s
        described = wait(handle.describe.remote(), timeout_s)
        self.identity = described["identity"]
        self.backend = described["backend"]

    def warm_up(self) -> None:
        """The replicas load and warm their model when they start."""

    def decode(self, audio: np.ndarray, options: DecodeOptions = DecodeOptions()) -> WindowResult:
        audio = np.ascontiguousarray(np.asarray(audio, dtype=np.float32).reshape(-1))
        return call(lambda: self._handle.decode.remote((audio, options)), self._timeout_s)
