"""Whisper window decoding on Ray Serve: the deployment and the :class:`~speech.backends.WindowDecoder` that calls it.

:class:`AsrServer` holds, per replica, one Whisper model with the backend's window decoder (and whole-file
transcription over the same weights, the interface of :class:`models.ray_serve.TranscriberServer`). Windows of
concurrent streams are gathered by ``@serve.batch``, and those of a batch that share an encoder length, a language
and the generation options go through the Whisper encoder and decoder in one CTranslate2 call each
(:func:`decode_batch`: four 5 s windows in 385-590 ms instead of 720-870 ms one by one on one thread, with the same
words and times).
:class:`RayWindowDecoder` is the decoder a streaming transcriber gets from the model set when Ray serves ASR.

This module imports Ray; import it only where Ray is used (``pip install 'dasan[ray]'``).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from ray import serve

from models.asr import TranscribeOptions, Transcript
from models.ray_serve import DEFAULT_BATCH_MAX, DEFAULT_BATCH_WAIT_S, call, node_id, wait
from models.store import ModelStore
from speech.backends import (
    _APPEND as APPEND,
    _PREPEND as PREPEND,
    FRAMES_PER_SECOND,
    MAX_WINDOW_S,
    SAMPLE_RATE,
    CT2WindowDecoder,
    DecodeOptions,
    TimedWord,
    WindowResult,
    compression_ratio,
    token_budget,
    window_decoder,
)


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
        """Runs on the replica's loop, on purpose: the windows that arrive meanwhile queue up and form the next batch
        (with the work in a thread, Serve would start a batch of one for each arrival, each waiting its turn)."""
        return self._decode_batch(requests)

    def _decode_batch(self, requests: list[tuple[np.ndarray, DecodeOptions]]) -> list[WindowResult]:
        self.batches = (self.batches + [len(requests)])[-1000:]
        return decode_batch(self._decoder, requests)


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


def decode_batch(decoder, requests):
    """The windows of one batch, decoded together where they can be: those that share an encoder length, a known
    language and the generation options run the Whisper encoder and the decoder in one call each (CTranslate2
    batches them); alignment stays per window. Anything else, and a decoder that is not CTranslate2's, decodes
    window by window. Each window keeps its own token budget."""
    import ctranslate2
    from faster_whisper.transcribe import get_suppressed_tokens, merge_punctuations

    results: list[WindowResult | None] = [None] * len(requests)
    if not isinstance(decoder, CT2WindowDecoder) or len(requests) == 1:
        return [decoder.decode(audio, options) for audio, options in requests]
    model = decoder.model
    groups: dict[tuple, list[tuple[int, np.ndarray, np.ndarray, int]]] = {}
    for i, (audio, options) in enumerate(requests):
        audio = np.asarray(audio, dtype=np.float32).reshape(-1)[: int((MAX_WINDOW_S - decoder.pad_s) * SAMPLE_RATE)]
        if len(audio) == 0 or options.language is None or options.task != "transcribe":  # translations: alone
            results[i] = decoder.decode(audio, options)
            continue
        context_s = min(MAX_WINDOW_S, max(decoder.min_context_s,
                                          float(np.ceil(len(audio) / SAMPLE_RATE + decoder.pad_s))))
        padded = np.zeros(int(context_s * SAMPLE_RATE), dtype=np.float32)
        padded[: len(audio)] = audio
        features = model.feature_extractor(padded)[:, : int(context_s * FRAMES_PER_SECOND)]
        content_frames = min(features.shape[-1], len(audio) // model.feature_extractor.hop_length)
        key = (context_s, options.language, options.beam_size, options.repetition_penalty,
               options.no_repeat_ngram_size)
        groups.setdefault(key, []).append((i, audio, features, content_frames))
    for (_, language, beam_size, repetition_penalty, no_repeat), members in groups.items():
        if len(members) == 1:
            i = members[0][0]
            results[i] = decoder.decode(requests[i][0], requests[i][1])
            continue
        with decoder._lock:
            encoded = model.model.encode(ctranslate2.StorageView.from_array(
                np.ascontiguousarray(np.stack([features for _, _, features, _ in members]), dtype=np.float32)))
            tokenizer = decoder._tokenizer(language)
            prompts, budgets = [], []
            for i, audio, _, _ in members:
                options = requests[i][1]
                previous = tokenizer.encode(" " + options.prompt.strip()) if options.prompt else []
                prompt = model.get_prompt(tokenizer, previous[-(model.max_length // 2 - 1):], without_timestamps=True)
                prompts.append(prompt)
                budgets.append(min(model.max_length, len(prompt) + token_budget(len(audio), options)) - len(prompt))
            generated = model.model.generate(
                encoded, prompts, beam_size=beam_size, patience=1.0, length_penalty=1.0,
                repetition_penalty=repetition_penalty, no_repeat_ngram_size=no_repeat,
                max_length=max(len(p) + b for p, b in zip(prompts, budgets)),
                return_scores=True, return_no_speech_prob=True, suppress_blank=True,
                suppress_tokens=list(get_suppressed_tokens(tokenizer, [-1])))
            encoded_rows = np.array(encoded)
            for n, ((i, audio, _, content_frames), result) in enumerate(zip(members, generated)):
                tokens = [t for t in result.sequences_ids[0] if t < tokenizer.eot][: budgets[n]]
                text = tokenizer.decode(tokens)
                avg_logprob = result.scores[0] * len(tokens) / (len(tokens) + 1) if tokens else 0.0
                words: tuple[TimedWord, ...] = ()
                if tokens:
                    row = ctranslate2.StorageView.from_array(np.ascontiguousarray(encoded_rows[n:n + 1]))
                    alignment = model.find_alignment(tokenizer, [tokens], row, max(content_frames, 1))[0]
                    merge_punctuations(alignment, PREPEND, APPEND)
                    words = tuple(TimedWord(float(w["start"]), float(w["end"]), w["word"], float(w["probability"]))
                                  for w in alignment if w["word"].strip())
                results[i] = WindowResult(words, language, float(result.no_speech_prob), float(avg_logprob),
                                          compression_ratio(text.strip()))
    return results
