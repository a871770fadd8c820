"""Text to speech behind one interface.

English uses the bundled Piper voice. No packaged neural Korean voice exists: Korean falls back to espeak-ng,
which is labelled as such and is hard to understand (Whisper cannot transcribe it back). A city that needs good
Korean speech plugs in another engine behind :class:`TTSEngine`: a Piper ``.onnx`` voice, a VITS/MMS-TTS
directory or a Supertonic release (:mod:`models.supertonic`) it has obtained (loaded from the local path, never
downloaded; ``dasan voices import`` checks and registers one, :mod:`models.voices`), or any server speaking the
OpenAI-style ``/v1/audio/speech`` API, by configuration (:mod:`models.speech_server`).
"""

from __future__ import annotations

import io
import json
import re
import shutil
import subprocess
import threading
from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

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


# Sentence ends for engines that synthesise one sentence at a time (Piper splits by itself): ., ?, ! and their
# full-width forms, followed by space or the end.
_SENTENCE_END = re.compile(r"(?<=[.?!。？！])\s+")

_UROMAN = None
_UROMAN_LOCK = threading.Lock()


def _uroman():
    """One shared romaniser (building it reads its tables: about 4 s)."""
    global _UROMAN
    with _UROMAN_LOCK:
        if _UROMAN is None:
            try:
                import uroman
            except ImportError:
                raise ModelError("this VITS voice needs romanised input (its tokenizer says is_uroman) and the "
                                 "`uroman` package is not installed: pip install uroman==1.3.1.1") from None
            _UROMAN = uroman.Uroman()
        return _UROMAN


def is_vits_dir(path: str | Path) -> bool:
    """Whether ``path`` is a directory holding a transformers VITS model (its config.json says model_type vits)."""
    config = Path(path) / "config.json"
    if not config.is_file():
        return False
    try:
        return json.loads(config.read_text(encoding="utf-8")).get("model_type") == "vits"
    except (OSError, ValueError, AttributeError):
        return False


class VitsTTS(TTSEngine):
    """A VITS voice in transformers' format (MMS-TTS, e.g. facebook/mms-tts-kor: ``config.json``, the weights,
    ``vocab.json`` and ``tokenizer_config.json``), loaded from a local directory only. MMS voices of non-Latin
    scripts are trained on romanised text (``is_uroman`` in the tokenizer config): the text is romanised with
    ``uroman`` first, in the tokenizer's language."""

    def __init__(self, model_dir: str | Path, name: str | None = None):
        self._dir = Path(model_dir)
        self.name = name or f"vits:{self._dir}"
        self._model = None
        self._tokenizer = None
        self._romanise = False
        self._language = None
        self.sample_rate = 0
        self._lock = threading.Lock()

    def warm_up(self) -> None:
        with self._lock:
            if self._model is not None:
                return
            if not is_vits_dir(self._dir):
                raise ModelError(f"{self._dir} is not a VITS model directory (no config.json with model_type "
                                 "'vits')")
            from transformers import AutoTokenizer, VitsModel
            from transformers.utils import logging as hf_logging

            bars = hf_logging.is_progress_bar_enabled()
            hf_logging.disable_progress_bar()  # no "Loading weights" bar in a server's log
            try:
                tokenizer = AutoTokenizer.from_pretrained(str(self._dir), local_files_only=True)
                model = VitsModel.from_pretrained(str(self._dir), local_files_only=True)
            except Exception as exc:
                raise ModelError(f"cannot load the VITS voice in {self._dir}: {type(exc).__name__}: "
                                 f"{str(exc).splitlines()[0] if str(exc) else ''}") from exc
            finally:
                if bars:
                    hf_logging.enable_progress_bar()
            if getattr(tokenizer, "phonemize", False):
                from transformers.utils import is_phonemizer_available

                if not is_phonemizer_available():
                    raise ModelError("this VITS voice needs phonemised input (its tokenizer says phonemize) and "
                                     "the `phonemizer` package is not installed")
            self._romanise = bool(getattr(tokenizer, "is_uroman", False))
            if self._romanise:
                _uroman()
            self._language = getattr(tokenizer, "language", None)
            model.eval()
            self.sample_rate = int(model.config.sampling_rate)
            self._tokenizer, self._model = tokenizer, model

    def _prepare(self, sentence: str) -> str:
        if self._romanise and re.search(r"[^\x00-\x7F]", sentence):
            return _uroman().romanize_string(sentence, lcode=self._language or None)
        return sentence

    def stream(self, text: str) -> Iterator[Speech]:
        import torch

        self.warm_up()
        for sentence in _SENTENCE_END.split(text.strip()):
            if not sentence.strip():
                continue
            with self._lock:
                inputs = self._tokenizer(self._prepare(sentence), return_tensors="pt")
                ids = inputs["input_ids"]
                blank = self._tokenizer.pad_token_id
                if ids.shape[-1] == 0 or (blank is not None and bool((ids == blank).all())):
                    continue  # nothing the voice can say (punctuation only, or no letter of its alphabet)
                with torch.inference_mode():
                    waveform = self._model(**inputs).waveform
            audio = waveform[0].detach().cpu().numpy().astype(np.float32)
            yield Speech(np.clip(audio, -1.0, 1.0), self.sample_rate)


def piper_voice_in(directory: Path) -> Path | None:
    """The Piper voice (an ``.onnx`` file beside its ``.onnx.json``) a directory holds, if exactly one."""
    found = [p for p in sorted(directory.glob("*.onnx")) if p.with_name(p.name + ".json").is_file()]
    return found[0] if len(found) == 1 else None


def load_tts(ref: str, store: ModelStore, language: str = "en", api_key: str | None = None) -> TTSEngine:
    """A voice for a registry name (a Piper voice or espeak-ng), the name of a voice imported with ``dasan voices
    import`` (:mod:`models.voices`), a local path (a Piper ``.onnx`` file, a directory holding a Piper voice or
    a VITS/MMS-TTS model, a Supertonic release's directory or one of its ``voice_styles/*.json``), or the URL of a
    server speaking the OpenAI-style speech API (:mod:`models.speech_server`; ``api_key`` is its bearer token).
    ``language`` is the language of the text (a Supertonic voice wraps it in that language's tags)."""
    from models.refs import resolve
    from models.registry import MODELS
    from models.supertonic import SupertonicTTS, is_supertonic_dir, is_supertonic_style

    if ref.startswith(("http://", "https://")):
        from models.speech_server import SpeechServer, SpeechServerTTS

        return SpeechServerTTS(SpeechServer.from_url(ref), api_key=api_key)
    if ref not in MODELS:
        from models.voices import find_voice

        imported = find_voice(ref, store.root)
        if imported is not None:
            return engine_at(imported.engine, imported.location(store.root), name=imported.name, language=language)
    resolved = resolve(ref, store)
    spec = resolved.spec
    if spec is not None and spec.system_package == "espeak-ng":
        return EspeakTTS(voice=language)
    if spec is not None:
        onnx = next(f.name for f in spec.files if f.name.endswith(".onnx"))
        return PiperTTS(str(store.file_path(spec.name, onnx)), name=spec.name)
    location = Path(resolved.location)
    if resolved.kind == "path" and location.is_file() and location.suffix == ".onnx":
        return PiperTTS(str(location), name=f"piper:{location}")
    if resolved.kind == "path" and (is_supertonic_dir(location) or is_supertonic_style(location)):
        return SupertonicTTS(location, language=language)
    if resolved.kind == "path" and location.is_dir():
        if is_vits_dir(location):
            return VitsTTS(location)
        voice = piper_voice_in(location)
        if voice is not None:
            return PiperTTS(str(voice), name=f"piper:{voice}")
    raise ModelError(f"cannot use {ref!r} as a voice: give a registry voice, a voice imported with `dasan voices "
                     "import`, a Piper .onnx file, a VITS/MMS-TTS model directory, a Supertonic release directory or "
                     "the URL of an OpenAI-style speech server")


def engine_at(engine: str, location: Path, name: str | None = None, language: str = "ko") -> TTSEngine:
    """The engine of kind ``engine`` ("piper", "vits" or "supertonic") over the voice at ``location`` (a Piper
    ``.onnx`` file, a VITS directory, a Supertonic release's directory or one of its voice style files; ``language``:
    the tags a Supertonic voice wraps the text in); nothing is loaded until it is warmed up or used."""
    if engine == "piper":
        return PiperTTS(str(location), name=name or f"piper:{location}")
    if engine == "vits":
        return VitsTTS(location, name=name)
    if engine == "supertonic":
        from models.supertonic import SupertonicTTS

        return SupertonicTTS(location, language=language, name=name)
    raise ModelError(f"unknown voice engine {engine!r} (piper, vits or supertonic)")
