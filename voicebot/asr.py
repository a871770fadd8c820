"""Hearing one utterance: the speech engine's Whisper window decoder (:mod:`speech.backends`, the one the minutes
transcriber uses; reused, not copied), guarded against its repetition loops and non-speech, plus the language
check of :mod:`voicebot.language`."""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from voicebot.language import SPOKEN, SUSPECT_LOGPROB, SWITCH_PROBABILITY, detect_language


@dataclass(frozen=True)
class Heard:
    text: str  # "" when the audio held no speech
    lang: str  # the language it was transcribed in
    detected: str | None = None  # Whisper's language identification, where it ran
    probability: float = 0.0  # ... and its probability
    # an unfinished restart of the question was left out of ``text`` (see without_restart): Whisper writes one
    # where the audio stops abruptly, as a caller's does mid-sentence, so a turn judged at a pause is not over
    restarted: bool = False


AFTER_SPEECH_S = 0.15  # a word Whisper starts this long after the caller's last voiced frame was not said


def transcribe(decoder, audio: np.ndarray, lang: str, voiced_s: float | None = None) -> tuple[str, float, bool]:
    """(text, average log-probability, whether a restart was left out: :func:`without_restart`) of ``audio`` in
    ``lang``; "" for what is not speech. ``voiced_s``: where the caller's voice stopped (the VAD's last voiced
    frame); the words Whisper starts in the silence after it are left out: most often the question's beginning
    said again ("Care service for elderly living alone. Care service for"), which Whisper writes into a turn's
    closing pause."""
    from speech.backends import SAMPLE_RATE, DecodeOptions
    from speech.filters import HallucinationFilter, collapse_repeats
    from speech.events import join_words

    guard = HallucinationFilter()
    result = _unsqueezed(guard, decoder.decode(audio, DecodeOptions(language=lang)))
    if result.words and not guard.window_is_speech(result) and result.compression_ratio > 2.0:
        # a repetition loop: decode again with the loop made costly
        result = _unsqueezed(guard, decoder.decode(audio, DecodeOptions(language=lang).without_loops()))
    if not guard.window_is_speech(result, len(audio) / SAMPLE_RATE):
        return "", result.avg_logprob, False
    words = list(result.words)
    if voiced_s is not None:
        words = [w for w in words if w.start < voiced_s + AFTER_SPEECH_S]
    words = collapse_repeats(words, max_repeats=2, max_n=24)
    kept = without_restart(words)
    return join_words(kept), result.avg_logprob, len(kept) < len(words)


SENTENCE_END = (".", "?", "!", "。", "？", "！")


def without_restart(words: list) -> list:
    """``words`` without an unfinished last sentence that only says the utterance's first words again ("... before
    recycling? Do"): the start of Whisper's copy of the question, timed too early to fall in the closing pause.
    A caller who stops so has added nothing to the question; but a caller who paused mid-sentence gets such a
    copy too ("Where can I find cheap? Where"), so the call does not end a turn early on a partial that had one
    (:attr:`Heard.restarted`)."""
    from speech.streaming import word_key

    ends = [k for k, w in enumerate(words) if w.text.strip().endswith(SENTENCE_END)]
    if not ends or ends[-1] == len(words) - 1:
        return words
    tail = [word_key(w.text) for w in words[ends[-1] + 1:]]
    opening = [word_key(w.text) for w in words[:ends[0] + 1]]
    return words[:ends[-1] + 1] if len(tail) < len(opening) and tail == opening[:len(tail)] else words


def _unsqueezed(guard, result):
    """``result`` without the copies Whisper writes into the silence after an utterance that ends abruptly ("Where
    can I renew my passport? Where can I renew my passport?", the copy's words timed into the last instant), as
    the minutes' windows drop them (:meth:`~speech.filters.HallucinationFilter.window_words`); the compression
    ratio is then the rest's."""
    from speech.backends import compression_ratio

    words = tuple(guard.window_words(list(result.words)))
    if len(words) == len(result.words):
        return result
    return replace(result, words=words, compression_ratio=compression_ratio("".join(w.text for w in words).strip()))


def hear(models, audio: np.ndarray, lang: str, identify: bool, voiced_s: float | None = None) -> Heard:
    """The utterance's text. With ``identify`` (an ``auto`` call) the language is identified first; otherwise it
    is identified only when the transcript in ``lang`` looks wrong, and a confident other language wins.
    ``voiced_s``: see :func:`transcribe`."""
    from speech.transcriber import window_decoder_for

    decoder = window_decoder_for(models)
    detected, probability = None, 0.0
    if identify:
        detected, probability = detect_language(decoder, audio)
        if detected in SPOKEN and probability >= SWITCH_PROBABILITY:
            lang = detected
    text, logprob, restarted = transcribe(decoder, audio, lang, voiced_s)
    if not identify and (not text or logprob < SUSPECT_LOGPROB):
        detected, probability = detect_language(decoder, audio)
        if detected in SPOKEN and detected != lang and probability >= SWITCH_PROBABILITY:
            other, _, other_restarted = transcribe(decoder, audio, detected, voiced_s)
            if other:
                return Heard(other, detected, detected, probability, other_restarted)
    return Heard(text, lang, detected, probability, restarted)
