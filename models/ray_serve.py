"""Models served by Ray Serve, behind the same interfaces as the models of one process.

A deployment here holds one loaded model per replica (each replica loads it from its node's model store, by the same
reference the web workers would use); a client is a stand-in with the in-process model's interface that calls the
deployment through a Serve handle. :class:`models.loaded.ModelSet` hands out the stand-ins when it is given them
(``remote``), so nothing above ``models/`` knows where a model runs.

* :class:`EmbedderServer` batches requests (``@serve.batch``): the texts of concurrent calls are encoded in one
  pass, queries and passages apart. :class:`RayEmbedder` is its :class:`~models.embedder.Embedder`.
* :class:`TranscriberServer` serves whole-file transcription (:class:`RayTranscriber`); window decoding, the
  streaming path, is served by ``speech.ray_serve`` over the same model.
* :class:`LLMServer` and :class:`TTSServer` serve the local LLM (:class:`RayLLM`) and a voice (:class:`RayTTS`).

This module imports Ray; import it only where Ray is used (``pip install 'dasan[ray]'``).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
from ray import serve

from models.asr import TranscribeOptions, Transcriber, Transcript
from models.embedder import Embedder
from models.store import ModelError, ModelStore
from models.tts import Speech, TTSEngine

DEFAULT_BATCH_MAX = 16
DEFAULT_BATCH_WAIT_S = 0.005
_WAIT_POOL: concurrent.futures.ThreadPoolExecutor | None = None


def wait(response, timeout_s: float | None = None) -> Any:
    """The result of a Serve call, from synchronous code. Ray refuses a blocking ``result()`` on a thread that runs
    an event loop; there the wait moves to a helper thread (it blocks the caller as an in-process model would)."""
    global _WAIT_POOL
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return response.result(timeout_s=timeout_s)
    if _WAIT_POOL is None:
        _WAIT_POOL = concurrent.futures.ThreadPoolExecutor(max_workers=8, thread_name_prefix="dasan-ray-wait")
    return _WAIT_POOL.submit(response.result, timeout_s=timeout_s).result()


def call(send: Callable[[], Any], timeout_s: float | None = None, attempts: int = 3) -> Any:
    """``wait(send())``, sent again (up to ``attempts`` times) when the replica it reached died on the way (a node
    lost): model calls have no side effects, and Serve routes the next try to a live replica."""
    from ray.exceptions import ActorDiedError, ActorUnavailableError, RayActorError

    for attempt in range(attempts):
        try:
            return wait(send(), timeout_s)
        except (ActorDiedError, ActorUnavailableError, RayActorError):
            if attempt == attempts - 1:
                raise
            time.sleep(0.2 * (attempt + 1))


def node_id() -> str:
    """The Ray node this code runs on."""
    import ray

    return ray.get_runtime_context().get_node_id()


def _store(models_dir: str) -> ModelStore:
    return ModelStore(Path(models_dir))


# ---------------------------------------------------------------------------------------------------- embedder
class EmbedderServer:
    """One embedder per replica; concurrent requests are encoded together (up to ``batch_max`` requests)."""

    def __init__(self, ref: str, models_dir: str, threads: int = 1, batch_max: int = DEFAULT_BATCH_MAX,
                 batch_wait_s: float = DEFAULT_BATCH_WAIT_S):
        from models.embedder import load_embedder

        self._embedder = load_embedder(ref, _store(models_dir), threads=threads)
        self._embedder.warm_up()
        self.embed.set_max_batch_size(batch_max)
        self.embed.set_batch_wait_timeout_s(batch_wait_s)
        self.batches: list[int] = []  # texts per batch, the last 1000 (what batching achieved)

    def describe(self) -> dict:
        return {"identity": self._embedder.identity, "dim": int(self._embedder.dim), "node": node_id()}

    def batch_sizes(self) -> list[int]:
        return list(self.batches)

    @serve.batch(max_batch_size=DEFAULT_BATCH_MAX, batch_wait_timeout_s=DEFAULT_BATCH_WAIT_S)
    async def embed(self, requests: list[tuple[list[str], bool]]) -> list[np.ndarray]:
        """``(texts, is_query)`` per request -> its normalised vectors; one encoder pass per role. It runs on the
        replica's loop, on purpose: requests that arrive meanwhile queue up and form the next batch (with the work
        in a thread, Serve would start a batch of one for each arrival, each waiting its turn)."""
        return self._embed_batch(requests)

    def _embed_batch(self, requests: list[tuple[list[str], bool]]) -> list[np.ndarray]:
        out: list[np.ndarray | None] = [None] * len(requests)
        for is_query in (True, False):
            members = [i for i, (_, query) in enumerate(requests) if query == is_query]
            texts = [text for i in members for text in requests[i][0]]
            if not members:
                continue
            encode = self._embedder.embed_queries if is_query else self._embedder.embed_passages
            vectors = encode(texts)
            start = 0
            for i in members:
                n = len(requests[i][0])
                out[i] = vectors[start:start + n]
                start += n
        self.batches = (self.batches + [sum(len(texts) for texts, _ in requests)])[-1000:]
        return out


class RayEmbedder(Embedder):
    """An :class:`~models.embedder.Embedder` whose model runs in a Ray Serve deployment (:class:`EmbedderServer`).
    Same identity and dimension as the model it stands for, so an index built by one is used by the other."""

    def __init__(self, handle, timeout_s: float | None = 120.0):
        self._handle = handle
        self._timeout_s = timeout_s
        described = wait(handle.describe.remote(), timeout_s)
        self.identity = described["identity"]
        self.dim = described["dim"]

    def warm_up(self) -> None:
        """The replicas load their model when they start."""

    def _encode(self, texts: list[str], is_query: bool) -> np.ndarray:
        return call(lambda: self._handle.embed.remote((texts, is_query)), self._timeout_s)


# ---------------------------------------------------------------------------------------------------- ASR
class TranscriberServer:
    """Whole-file transcription with one Whisper model per replica (see ``speech.ray_serve`` for windows)."""

    def __init__(self, ref: str, models_dir: str, backend: str = "faster-whisper", compute_type: str = "int8",
                 threads: int = 1):
        from models.asr import load_transcriber

        self._transcriber = load_transcriber(ref, _store(models_dir), backend=backend, threads=threads,
                                             compute_type=compute_type)
        self._transcriber.warm_up()

    def describe(self) -> dict:
        return {"identity": self._transcriber.identity, "backend": self._transcriber.backend}

    def transcribe(self, audio: np.ndarray, options: TranscribeOptions) -> Transcript:
        return self._transcriber.transcribe(audio, options)


class RayTranscriber(Transcriber):
    """A :class:`~models.asr.Transcriber` served by a deployment that has ``describe`` and ``transcribe``."""

    def __init__(self, handle, timeout_s: float | None = 3600.0):
        self._handle = handle
        self._timeout_s = timeout_s
        described = wait(handle.describe.remote(), 120.0)
        self.identity = described["identity"]
        self.backend = described["backend"]

    def warm_up(self) -> None:
        """The replicas load their model when they start."""

    def transcribe(self, audio, options: TranscribeOptions = TranscribeOptions()) -> Transcript:
        from models.asr import _as_audio

        samples = _as_audio(audio)
        return call(lambda: self._handle.transcribe.remote(samples, options), self._timeout_s)


# ---------------------------------------------------------------------------------------------------- LLM
class LLMServer:
    def __init__(self, ref: str, models_dir: str, threads: int = 1):
        from models.llm import load_llm

        self._llm = load_llm(ref, _store(models_dir), threads=threads)
        self._llm.warm_up()

    def describe(self) -> dict:
        return {"identity": self._llm.identity}

    def chat(self, messages: list[dict], max_tokens: int = 256, temperature: float = 0.0,
             json_schema: dict | None = None) -> str:
        return self._llm.chat(messages, max_tokens=max_tokens, temperature=temperature, json_schema=json_schema)

    def stream_chat(self, messages: list[dict], max_tokens: int = 256, temperature: float = 0.0):
        yield from self._llm.stream_chat(messages, max_tokens=max_tokens, temperature=temperature)


class RayLLM:
    """The interface of :class:`models.llm.LocalLLM`, served by :class:`LLMServer`."""

    def __init__(self, handle, timeout_s: float | None = 600.0):
        self._handle = handle
        self._timeout_s = timeout_s
        self.identity = wait(handle.describe.remote(), 120.0)["identity"]

    def warm_up(self) -> None:
        """The replicas load their model when they start."""

    def chat(self, messages: list[dict], max_tokens: int = 256, temperature: float = 0.0,
             json_schema: dict | None = None) -> str:
        return call(lambda: self._handle.chat.remote(messages, max_tokens, temperature, json_schema),
                    self._timeout_s)

    def stream_chat(self, messages: list[dict], max_tokens: int = 256, temperature: float = 0.0) -> Iterator[str]:
        stream = self._handle.options(stream=True, method_name="stream_chat").remote(messages, max_tokens,
                                                                                    temperature)
        yield from stream


# ---------------------------------------------------------------------------------------------------- TTS
class TTSServer:
    def __init__(self, ref: str, models_dir: str, language: str = "en", api_key: str | None = None):
        from models.tts import load_tts

        self._tts = load_tts(ref, _store(models_dir), language, api_key=api_key)
        self._tts.warm_up()

    def describe(self) -> dict:
        return {"name": self._tts.name, "quality_note": self._tts.quality_note}

    def stream(self, text: str):
        yield from self._tts.stream(text)


class RayTTS(TTSEngine):
    """A :class:`~models.tts.TTSEngine` served by :class:`TTSServer` (chunks stream back as they are made)."""

    def __init__(self, handle):
        self._handle = handle
        described = wait(handle.describe.remote(), 120.0)
        self.name = described["name"]
        self.quality_note = described["quality_note"]

    def stream(self, text: str) -> Iterator[Speech]:
        yield from self._handle.options(stream=True, method_name="stream").remote(text)


def deployment(cls, name: str, replicas: int, cpus: float, max_ongoing: int = 32, per_node: int = 0):
    """``cls`` as a Serve deployment with its replica count and CPU share (``per_node``: at most that many replicas
    on one node, 0 for no limit)."""
    if replicas < 1:
        raise ModelError(f"{name}: a deployment needs at least one replica")
    options = {"max_replicas_per_node": per_node} if per_node else {}
    return serve.deployment(cls, name=name).options(num_replicas=replicas, ray_actor_options={"num_cpus": cpus},
                                                    max_ongoing_requests=max_ongoing, **options)
