"""Speech recognition: Whisper behind one interface, with two backends.

``faster-whisper`` (CTranslate2, int8 on CPU) is the fast default; ``openai-whisper`` (PyTorch, the reference
implementation) loads the checkpoint converted offline from the same weights.
"""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from models.audio import SAMPLE_RATE, load_audio
from models.registry import MODELS
from models.store import ModelError, ModelStore

BACKENDS = ("faster-whisper", "openai-whisper")


@dataclass(frozen=True)
class Word:
    start: float
    end: float
    text: str
    probability: float


@dataclass(frozen=True)
class Segment:
    start: float
    end: float
    text: str
    words: tuple[Word, ...] = ()
    no_speech_prob: float = 0.0
    avg_logprob: float = 0.0


@dataclass(frozen=True)
class Transcript:
    text: str
    language: str
    segments: tuple[Segment, ...]
    duration: float


@dataclass(frozen=True)
class TranscribeOptions:
    language: str | None = None  # "ko", "en", or None to detect
    beam_size: int = 5  # 1 = greedy
    initial_prompt: str | None = None  # glossary or previous text
    word_timestamps: bool = False
    temperature: tuple[float, ...] = field(default=(0.0, 0.2, 0.4, 0.6, 0.8, 1.0))
    condition_on_previous_text: bool = True
    task: str = "transcribe"  # or "translate": Whisper's speech-to-English translation


def _as_audio(audio: np.ndarray | str | Path) -> np.ndarray:
    if isinstance(audio, (str, Path)):
        return load_audio(audio)
    return np.asarray(audio, dtype=np.float32).reshape(-1)


class Transcriber(ABC):
    """A Whisper model. ``transcribe`` takes 16 kHz mono float32 samples or a file path."""

    backend: str
    identity: str

    @abstractmethod
    def warm_up(self) -> None:
        """Load the weights (idempotent)."""

    @abstractmethod
    def transcribe(self, audio: np.ndarray | str | Path, options: TranscribeOptions = TranscribeOptions()) -> Transcript:
        ...


class FasterWhisperTranscriber(Transcriber):
    backend = "faster-whisper"

    def __init__(self, model: str, compute_type: str = "int8", threads: int = 2, identity: str | None = None):
        self._model_ref = model
        self._compute_type = compute_type
        self._threads = threads
        self.identity = identity or model
        self._model = None
        self._lock = threading.Lock()

    @property
    def whisper_model(self):
        """The loaded ``faster_whisper.WhisperModel`` (loaded on first access), for callers that drive it directly."""
        self.warm_up()
        return self._model

    def warm_up(self) -> None:
        with self._lock:
            if self._model is None:
                from faster_whisper import WhisperModel

                self._model = WhisperModel(self._model_ref, device="cpu", compute_type=self._compute_type,
                                           cpu_threads=self._threads)

    def transcribe(self, audio, options: TranscribeOptions = TranscribeOptions()) -> Transcript:
        self.warm_up()
        samples = _as_audio(audio)
        segments, info = self._model.transcribe(
            samples,
            language=options.language,
            beam_size=options.beam_size,
            initial_prompt=options.initial_prompt,
            word_timestamps=options.word_timestamps,
            temperature=list(options.temperature),
            condition_on_previous_text=options.condition_on_previous_text,
            task=options.task,
        )
        out = tuple(
            Segment(
                start=s.start, end=s.end, text=s.text.strip(),
                words=tuple(Word(w.start, w.end, w.word, w.probability) for w in (s.words or ())),
                no_speech_prob=s.no_speech_prob, avg_logprob=s.avg_logprob,
            )
            for s in segments
        )
        return Transcript(" ".join(s.text for s in out).strip(), info.language, out, len(samples) / SAMPLE_RATE)


class OpenAIWhisperTranscriber(Transcriber):
    backend = "openai-whisper"

    def __init__(self, checkpoint: str, threads: int = 2, identity: str | None = None):
        self._checkpoint = checkpoint
        self._threads = threads
        self.identity = identity or checkpoint
        self._model = None
        self._lock = threading.Lock()

    def warm_up(self) -> None:
        with self._lock:
            if self._model is not None:
                return
            import torch
            import whisper
            from whisper.model import ModelDimensions, Whisper

            torch.set_num_threads(self._threads)
            if not Path(self._checkpoint).is_file():
                # an official model name, fetched by openai-whisper itself on a connected machine
                self._model = whisper.load_model(self._checkpoint, device="cpu")
                return
            checkpoint = torch.load(self._checkpoint, map_location="cpu", weights_only=True)
            dims = ModelDimensions(**checkpoint["dims"])
            model = Whisper(dims)
            model.load_state_dict(checkpoint["model_state_dict"], strict=True)
            heads = checkpoint.get("alignment_heads")
            if heads:
                mask = torch.zeros(dims.n_text_layer, dims.n_text_head, dtype=torch.bool)
                for layer, head in heads:
                    mask[layer, head] = True
                model.register_buffer("alignment_heads", mask.to_sparse(), persistent=False)
            self._model = model.eval()

    def transcribe(self, audio, options: TranscribeOptions = TranscribeOptions()) -> Transcript:
        self.warm_up()
        samples = _as_audio(audio)
        beam = options.beam_size if options.beam_size > 1 else None
        result = self._model.transcribe(
            samples,
            language=options.language,
            beam_size=beam,
            best_of=beam,
            initial_prompt=options.initial_prompt,
            word_timestamps=options.word_timestamps,
            temperature=options.temperature,
            condition_on_previous_text=options.condition_on_previous_text,
            task=options.task,
            fp16=False,
            verbose=None,
        )
        out = tuple(
            Segment(
                start=s["start"], end=s["end"], text=s["text"].strip(),
                words=tuple(Word(w["start"], w["end"], w["word"], w["probability"]) for w in s.get("words", ())),
                no_speech_prob=s["no_speech_prob"], avg_logprob=s["avg_logprob"],
            )
            for s in result["segments"]
        )
        return Transcript(" ".join(s.text for s in out).strip(), result["language"], out,
                          len(samples) / SAMPLE_RATE)


def _openai_variant(name: str) -> str | None:
    """The registry model converted for openai-whisper from the CTranslate2 model ``name``."""
    for spec in MODELS.values():
        if spec.derived_from == name and spec.role == "asr":
            return spec.name
    return None


def load_transcriber(ref: str, store: ModelStore, backend: str = "faster-whisper", threads: int = 2,
                     compute_type: str = "int8") -> Transcriber:
    """A transcriber for a registry name, a local model (CTranslate2 folder or .pt file) or a hub name."""
    from models.refs import resolve

    if backend not in BACKENDS:
        raise ModelError(f"unknown ASR backend {backend!r}; choose one of {', '.join(BACKENDS)}")
    if backend == "openai-whisper":
        spec = MODELS.get(ref)
        if spec is not None and not spec.derived_from:
            variant = _openai_variant(ref)
            if variant is None:
                raise ModelError(f"{ref!r} has no openai-whisper conversion in the registry")
            ref = variant
        resolved = resolve(ref, store)
        location = resolved.location
        if resolved.spec is not None:
            location = str(store.file_path(resolved.spec.name))
        elif resolved.kind == "hub":
            raise ModelError(f"openai-whisper needs a .pt checkpoint path or a registry name, not {ref!r}")
        return OpenAIWhisperTranscriber(location, threads=threads, identity=resolved.identity)
    spec = MODELS.get(ref)
    if spec is not None and spec.derived_from:
        ref = spec.derived_from  # the CTranslate2 original of a converted checkpoint
    resolved = resolve(ref, store)
    return FasterWhisperTranscriber(resolved.location, compute_type=compute_type, threads=threads,
                                    identity=resolved.identity)
