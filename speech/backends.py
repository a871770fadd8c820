"""Window decoders: one short stretch of audio in, words with times out. The streaming policy needs nothing else.

* :class:`CT2WindowDecoder` drives faster-whisper's CTranslate2 model directly and encodes only as many mel frames
  as the window has (plus a little padding) instead of padding every call to Whisper's 30 s. On 2 cores that
  makes the encoder of a 5 s window about 8x cheaper, which is what lets the rolling buffer be re-decoded every
  second in real time. Words and times come from the same cross-attention alignment faster-whisper uses.
* :class:`TranscriberWindowDecoder` wraps any :class:`models.asr.Transcriber` (openai-whisper, or a user's own
  model): every call is a full ``transcribe`` with word timestamps, slower but the same interface.
"""

from __future__ import annotations

import threading
import zlib
from dataclasses import dataclass, replace
from typing import Protocol

import numpy as np

from models.asr import FasterWhisperTranscriber, TranscribeOptions, Transcriber
from models.priority import yield_to_live_work

SAMPLE_RATE = 16_000
FRAMES_PER_SECOND = 100  # Whisper's mel frames
MAX_WINDOW_S = 30.0
_PREPEND = "\"'“¿([{-"
_APPEND = "\"'.。,，!！?？:：”)]}、"


@dataclass(frozen=True)
class TimedWord:
    start: float  # seconds from the start of the window
    end: float
    text: str  # with its leading space, as Whisper writes it ("" for Korean/Japanese joins)
    probability: float = 1.0


@dataclass(frozen=True)
class WindowResult:
    words: tuple[TimedWord, ...]
    language: str
    no_speech_prob: float = 0.0
    avg_logprob: float = 0.0
    compression_ratio: float = 1.0

    @property
    def text(self) -> str:
        return "".join(w.text for w in self.words).strip()


@dataclass(frozen=True)
class DecodeOptions:
    language: str | None = None  # "ko", "en" or None (detected on each window until fixed by the caller)
    beam_size: int = 1  # greedy keeps re-decoding cheap; 2-5 trade speed for accuracy
    prompt: str | None = None  # glossary and/or the text committed just before the window
    no_repeat_ngram_size: int = 0
    repetition_penalty: float = 1.0
    # at most this many tokens per second of window (plus 16): speech needs under 8 (English, Korean), so only a
    # repetition loop reaches it, and it stops there instead of running on to 224 tokens. None: 224 always
    max_tokens_per_s: float | None = 15.0
    task: str = "transcribe"  # "translate": the window's speech in English, as one timed span (no word times)

    def without_loops(self) -> "DecodeOptions":
        """These options with repetition made costly: for decoding again a window that came out as a loop."""
        return replace(self, repetition_penalty=1.2, no_repeat_ngram_size=4)


class WindowDecoder(Protocol):
    backend: str

    def warm_up(self) -> None: ...

    def decode(self, audio: np.ndarray, options: DecodeOptions) -> WindowResult: ...


def decode_past_loops(decoder: WindowDecoder, audio: np.ndarray, options: DecodeOptions,
                      max_compression_ratio: float) -> tuple[WindowResult, int]:
    """``audio`` decoded; when the text comes out as a loop (its compression ratio above ``max_compression_ratio``:
    "... are used. Today only platforms ... are used. Today only ..."), decoded once more with repetition made
    costly, rather than losing the window's words to the loop check. Also how many decodes that took (1 or 2)."""
    result = decoder.decode(audio, options)
    if result.words and result.compression_ratio > max_compression_ratio:
        return decoder.decode(audio, options.without_loops()), 2
    return result, 1


def compression_ratio(text: str) -> float:
    """Whisper's repetition signal: text that compresses very well (> 2.4) is a loop, not speech."""
    data = text.encode("utf-8")
    if not data:
        return 1.0
    return len(data) / len(zlib.compress(data))


def token_budget(samples: int, options: DecodeOptions) -> int:
    """New tokens one window may produce."""
    if options.max_tokens_per_s is None:
        return 224
    return min(224, 16 + int(options.max_tokens_per_s * samples / SAMPLE_RATE))


class CT2WindowDecoder:
    """faster-whisper's model, driven window by window with a short encoder context."""

    backend = "faster-whisper"

    def __init__(self, transcriber: FasterWhisperTranscriber, pad_s: float = 1.0, min_context_s: float = 5.0):
        self._transcriber = transcriber
        self.pad_s = pad_s  # silence appended to each window: Whisper ends words better with a little room
        self.min_context_s = min_context_s
        self._lock = threading.Lock()  # one CTranslate2 call at a time per model keeps 2 cores predictable
        self._tokenizers: dict[tuple[str, str], object] = {}

    @property
    def identity(self) -> str:
        return self._transcriber.identity

    @property
    def model(self):
        return self._transcriber.whisper_model

    def warm_up(self) -> None:
        self.decode(np.zeros(SAMPLE_RATE, dtype=np.float32), DecodeOptions(language="en"))

    def _tokenizer(self, language: str, task: str = "transcribe"):
        from faster_whisper.tokenizer import Tokenizer

        if (language, task) not in self._tokenizers:
            model = self.model
            self._tokenizers[language, task] = Tokenizer(model.hf_tokenizer, model.model.is_multilingual,
                                                         task=task, language=language)
        return self._tokenizers[language, task]

    def decode(self, audio: np.ndarray, options: DecodeOptions = DecodeOptions()) -> WindowResult:
        import ctranslate2

        model = self.model
        audio = np.asarray(audio, dtype=np.float32).reshape(-1)
        audio = audio[: int((MAX_WINDOW_S - self.pad_s) * SAMPLE_RATE)]
        if len(audio) == 0:
            return WindowResult((), options.language or "en")
        # whole seconds: a few distinct encoder shapes keep CTranslate2's buffer caches from growing per size
        context_s = min(MAX_WINDOW_S, max(self.min_context_s, float(np.ceil(len(audio) / SAMPLE_RATE + self.pad_s))))
        padded = np.zeros(int(context_s * SAMPLE_RATE), dtype=np.float32)
        padded[: len(audio)] = audio
        features = model.feature_extractor(padded)[:, : int(context_s * FRAMES_PER_SECOND)]
        content_frames = min(features.shape[-1], len(audio) // model.feature_extractor.hop_length)
        yield_to_live_work()  # batch work (a minutes upload) lets a call's decode, reply or speech go first
        with self._lock:
            encoder_output = model.model.encode(
                ctranslate2.StorageView.from_array(np.ascontiguousarray(features[None], dtype=np.float32)))
            language = options.language
            if language is None:
                if model.model.is_multilingual:
                    token, _ = model.model.detect_language(encoder_output)[0][0]
                    language = token[2:-2]
                else:
                    language = "en"
            tokenizer = self._tokenizer(language, options.task)
            previous = tokenizer.encode(" " + options.prompt.strip()) if options.prompt else []
            prompt = model.get_prompt(tokenizer, previous[-(model.max_length // 2 - 1):], without_timestamps=True)
            from faster_whisper.transcribe import get_suppressed_tokens

            result = model.model.generate(
                encoder_output, [prompt], beam_size=options.beam_size, patience=1.0, length_penalty=1.0,
                repetition_penalty=options.repetition_penalty, no_repeat_ngram_size=options.no_repeat_ngram_size,
                max_length=min(model.max_length, len(prompt) + token_budget(len(audio), options)),
                return_scores=True, return_no_speech_prob=True,
                suppress_blank=True, suppress_tokens=list(get_suppressed_tokens(tokenizer, [-1])),
            )[0]
            tokens = [t for t in result.sequences_ids[0] if t < tokenizer.eot]
            text = tokenizer.decode(tokens)
            avg_logprob = result.scores[0] * len(tokens) / (len(tokens) + 1) if tokens else 0.0
            words: tuple[TimedWord, ...] = ()
            if tokens and options.task == "translate":  # the words are English, not the audio's: no alignment
                words = (TimedWord(0.0, len(audio) / SAMPLE_RATE, " " + text.strip(), float(np.exp(avg_logprob))),)
            elif tokens:
                from faster_whisper.transcribe import merge_punctuations

                alignment = model.find_alignment(tokenizer, [tokens], encoder_output, max(content_frames, 1))[0]
                merge_punctuations(alignment, _PREPEND, _APPEND)
                words = tuple(
                    TimedWord(float(w["start"]), float(w["end"]), w["word"], float(w["probability"]))
                    for w in alignment if w["word"].strip()
                )
        return WindowResult(words, language, float(result.no_speech_prob), float(avg_logprob),
                            compression_ratio(text.strip()))


class TranscriberWindowDecoder:
    """Any :class:`models.asr.Transcriber` as a window decoder (a full transcribe with word timestamps a call)."""

    def __init__(self, transcriber: Transcriber):
        self._transcriber = transcriber
        self.backend = transcriber.backend

    @property
    def identity(self) -> str:
        return self._transcriber.identity

    def warm_up(self) -> None:
        self._transcriber.warm_up()

    def decode(self, audio: np.ndarray, options: DecodeOptions = DecodeOptions()) -> WindowResult:
        audio = np.asarray(audio, dtype=np.float32).reshape(-1)[: int(MAX_WINDOW_S * SAMPLE_RATE)]
        if len(audio) == 0:
            return WindowResult((), options.language or "en")
        yield_to_live_work()
        transcript = self._transcriber.transcribe(audio, TranscribeOptions(
            language=options.language, beam_size=options.beam_size, initial_prompt=options.prompt,
            word_timestamps=options.task == "transcribe", temperature=(0.0,), condition_on_previous_text=False,
            task=options.task))
        if options.task == "translate":
            words = ((TimedWord(0.0, len(audio) / SAMPLE_RATE, " " + transcript.text.strip()),)
                     if transcript.text.strip() else ())
        else:
            words = tuple(TimedWord(w.start, w.end, w.text, w.probability)
                          for s in transcript.segments for w in s.words if w.text.strip())
        segments = transcript.segments
        no_speech = max((s.no_speech_prob for s in segments), default=0.0)
        logprob = float(np.mean([s.avg_logprob for s in segments])) if segments else 0.0
        return WindowResult(words, transcript.language, no_speech, logprob, compression_ratio(transcript.text))


def window_decoder(transcriber: Transcriber) -> WindowDecoder:
    """The fastest window decoder for a loaded transcriber."""
    if isinstance(transcriber, FasterWhisperTranscriber):
        return CT2WindowDecoder(transcriber)
    return TranscriberWindowDecoder(transcriber)
