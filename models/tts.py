"""Text to speech behind one interface.

English uses the bundled Piper voice. No packaged neural Korean voice exists: Korean falls back to espeak-ng,
which is labelled as such and is hard to understand (Whisper cannot transcribe it back). A city that needs good
Korean speech plugs in another engine behind :class:`TTSEngine`, for instance any server speaking the OpenAI-style
``/v1/audio/speech`` API, by configuration (:mod:`models.speech_server`).
"""

from __future__ import annotations

import io
import shutil
import subprocess
import threading
from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from models.store import ModelError, ModelStore


@dataclass(frozen=True)
class Speech:
    audio: np.ndarray  # mono float32 in [-1, 1]
    sample_rate: int

    @property
    def duration(self) -> float:
        return len(self.audio) / self.sample_rate


class TTSEngine(ABC):
    name: str
    quality_note: str = ""

    def warm_up(self) -> None:
        """Load what the engine needs (idempotent)."""

    @abstractmethod
    def stream(self, text: str) -> Iterator[Speech]:
        """Speech chunks (about one sentence each) as soon as each is ready."""

    def synthesize(self, text: str) -> Speech:
        chunks = list(self.stream(text))
        if not chunks:
            raise ValueError("nothing to say: the text is empty")
        return Speech(np.concatenate([c.audio for c in chunks]), chunks[0].sample_rate)


class PiperTTS(TTSEngine):
    def __init__(self, model_path: str, config_path: str | None = None, name: str = "piper"):
        self._model_path = model_path
        self._config_path = config_path
        self.name = name
        self._voice = None
        self._lock = threading.Lock()

    def warm_up(self) -> None:
        with self._lock:
            if self._voice is None:
                from piper import PiperVoice

                self._voice = PiperVoice.load(self._model_path, config_path=self._config_path)

    def stream(self, text: str) -> Iterator[Speech]:
        self.warm_up()
        for chunk in self._voice.synthesize(text):
            yield Speech(np.asarray(chunk.audio_float_array, dtype=np.float32), chunk.sample_rate)


class EspeakTTS(TTSEngine):
    quality_note = "espeak-ng formant voice: robotic; its Korean is not intelligible"

    def __init__(self, voice: str = "en", program: str = "espeak-ng", words_per_minute: int = 165):
        found = shutil.which(program)
        if found is None:
            raise ModelError(f"`{program}` is not installed; install the Debian package espeak-ng "
                             "(`make system-packages`)")
        self._program = found
        self._voice = voice
        self._wpm = words_per_minute
        self.name = f"espeak-ng:{voice}"

    def stream(self, text: str) -> Iterator[Speech]:
        import soundfile

        if not text.strip():
            return
        result = subprocess.run([self._program, "-v", self._voice, "-s", str(self._wpm), "--stdout"],
                                input=text.encode("utf-8"), capture_output=True, timeout=60)
        if result.returncode != 0:
            raise ModelError(f"espeak-ng failed: {result.stderr.decode(errors='replace').strip()}")
        audio, rate = soundfile.read(io.BytesIO(result.stdout), dtype="float32")
        yield Speech(audio.reshape(-1), rate)


def load_tts(ref: str, store: ModelStore, language: str = "en", api_key: str | None = None) -> TTSEngine:
    """A voice for a registry name (a Piper voice or espeak-ng), a local Piper ``.onnx`` file, or the URL of a
    server speaking the OpenAI-style speech API (:mod:`models.speech_server`; ``api_key`` is its bearer token)."""
    from models.refs import resolve

    if ref.startswith(("http://", "https://")):
        from models.speech_server import SpeechServer, SpeechServerTTS

        return SpeechServerTTS(SpeechServer.from_url(ref), api_key=api_key)
    resolved = resolve(ref, store)
    spec = resolved.spec
    if spec is not None and spec.system_package == "espeak-ng":
        return EspeakTTS(voice=language)
    if spec is not None:
        onnx = next(f.name for f in spec.files if f.name.endswith(".onnx"))
        return PiperTTS(str(store.file_path(spec.name, onnx)), name=spec.name)
    if resolved.location.endswith(".onnx"):
        return PiperTTS(resolved.location, name=f"piper:{resolved.location}")
    raise ModelError(f"cannot use {ref!r} as a voice: give a registry voice, a Piper .onnx file or the URL of "
                     "an OpenAI-style speech server")
