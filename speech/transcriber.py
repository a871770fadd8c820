"""The streaming meeting transcriber: 16 kHz audio frames in, partial / final / speaker events out.

Audio passes the Silero VAD gate frame by frame (512 samples, 32 ms; :mod:`speech.vad_gate`, the voicebot's gate
too). Speech (with a short pre-roll) goes into the :class:`speech.streaming.OnlineProcessor`, which re-decodes its
rolling buffer every ``min_chunk_s`` and commits words by LocalAgreement; a pause of ``end_silence_s`` ends the
utterance and commits the rest at once. No decode runs during a pause. Silence and noise never reach Whisper.
Committed words gather into segments, closed at a sentence end, a pause, or a length limit, and cleaned of loops and
stock phrases; each closed segment is given a speaker by the optional speaker tracker and, when ``subtitles="en"``, an English
subtitle (Whisper's translate task on the segment's audio, the same window decoder; segments already in English
get none). The events are typed objects
(:mod:`speech.events`); turning them into JSON is the wire adapter's business. Memory is bounded: the buffer holds
one utterance (trimmed behind committed words), and only the last ``speaker_audio_s`` of audio is kept for speaker
embeddings, both in preallocated arrays (:mod:`speech.samples`); ``bench/minutes_memory.py`` measures the resident
set over a long meeting.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace

import numpy as np

from speech.backends import SAMPLE_RATE, DecodeOptions, WindowDecoder, decode_past_loops
from speech.events import Event, Final, Partial, Segment, Subtitle, join_words
from speech.filters import HallucinationFilter
from speech.samples import AudioRing
from speech.streaming import OnlineProcessor, PolicyOptions, StreamWord
from speech.vad_gate import GateOptions, GateStep, VadGate

_SENTENCE_END = (".", "?", "!", "。", "？", "！")


@dataclass(frozen=True)
class StreamingOptions:
    language: str | None = None  # "ko", "en", or None: detected on the first speech
    glossary: str | None = None  # names and terms to spell right (districts, departments, the meeting's own)
    beam_size: int = 1
    max_tokens_per_s: float | None = 15.0  # see DecodeOptions
    min_chunk_s: float = 1.0
    agreement: int = 2
    max_buffer_s: float = 12.0
    vad_threshold: float = 0.5
    vad_neg_threshold: float = 0.35
    end_silence_s: float = 0.5  # a pause this long ends the utterance (and commits it)
    defer_in_pauses: bool = True  # no decode of a pause: none while the VAD hears one, none of it at the end
    pre_roll_s: float = 0.25  # audio kept from before the speech onset
    min_utterance_s: float = 0.25  # shorter bursts of "speech" are dropped as clicks
    max_segment_s: float = 15.0
    speaker_audio_s: float = 90.0  # audio kept for the speaker embeddings of segments not yet closed
    subtitles: str | None = None  # "en": each closed segment in another language is also translated into English

    def policy(self) -> PolicyOptions:
        return PolicyOptions(min_chunk_s=self.min_chunk_s, agreement=self.agreement, max_buffer_s=self.max_buffer_s)

    def gate(self) -> GateOptions:
        return GateOptions(threshold=self.vad_threshold, neg_threshold=self.vad_neg_threshold,
                           pre_roll_s=self.pre_roll_s)

    def decode(self) -> DecodeOptions:
        return DecodeOptions(language=self.language, beam_size=self.beam_size, prompt=self.glossary,
                             max_tokens_per_s=self.max_tokens_per_s)


class SpeakerHook:
    """What the transcriber needs of a speaker tracker (see :mod:`minutes.speakers`)."""

    def assign(self, segment_id: int, audio: np.ndarray, start: float, end: float) -> str | None: ...


class StreamingTranscriber:
    """One live meeting's audio stream. Call :meth:`feed` with audio as it arrives and :meth:`finish` at the end.

    Not thread-safe; one stream per instance. ``vad`` is a fresh :class:`models.vad.SileroVAD` (stateful).
    """

    def __init__(self, decoder: WindowDecoder, vad, options: StreamingOptions = StreamingOptions(),
                 speakers: SpeakerHook | None = None, filters: HallucinationFilter | None = None):
        self.options = options
        self.vad = vad
        self.gate = VadGate(vad, options.gate())
        self.filters = filters or HallucinationFilter()
        self.processor = OnlineProcessor(decoder, options.decode(), options.policy(), self.filters)
        self.speakers = speakers
        self._frame = self.vad.frame_size
        self._ring = AudioRing(options.speaker_audio_s)
        self._open: list[StreamWord] = []
        self._next_id = 0
        self.segments_closed = 0
        self.audio_seconds = 0.0
        self.compute_seconds = 0.0  # time spent in feed/finish (VAD + decoding)

    # ------------------------------------------------------------------ input
    @property
    def now(self) -> float:
        return self.gate.samples / SAMPLE_RATE

    @property
    def language(self) -> str | None:
        return self.processor.language

    def feed(self, samples: np.ndarray) -> list[Event]:
        """Take 16 kHz mono float32 samples (any count); returns the events they caused."""
        started = time.perf_counter()
        samples = np.asarray(samples, dtype=np.float32).reshape(-1)
        if samples.size and not np.all(np.isfinite(samples)):
            samples = np.nan_to_num(samples, nan=0.0, posinf=1.0, neginf=-1.0)
        events: list[Event] = []
        for step in self.gate.feed(samples):
            events += self._frame_in(step)
        self.audio_seconds += samples.size / SAMPLE_RATE
        self.compute_seconds += time.perf_counter() - started
        return events

    def _frame_in(self, step: GateStep) -> list[Event]:
        self._ring.add(step.frame)
        events: list[Event] = []
        if step.onset:
            self.processor.start_utterance(self.now - len(step.onset) * self._frame / SAMPLE_RATE)
            for held in step.onset:
                self.processor.append(held)
            return events
        if not step.in_speech:
            return events
        self.processor.append(step.frame)
        silence_frames = self.gate.silence_frames
        if silence_frames * self._frame / SAMPLE_RATE >= self.options.end_silence_s:
            events += self._end_utterance()
        elif self.processor.ready() and (silence_frames == 0 or not self.options.defer_in_pauses):
            # in a pause the periodic decode waits: speech resumes (decode then) or the utterance ends
            events += self._commit(self.processor.process(self.now))
        return events

    def _end_utterance(self) -> list[Event]:
        self.gate.end()
        speech_s = self.gate.speech_frames * self._frame / SAMPLE_RATE
        if speech_s < self.options.min_utterance_s and not self.processor.tentative and self.processor.decodes == 0:
            self.processor.start_utterance(self.now)  # a click: never decoded
            words: list[StreamWord] = []
        else:
            # nothing but the pause arrived since the last decode: its hypothesis is committed as it is
            silent = self.processor.pending_seconds <= self.gate.silence_frames * self._frame / SAMPLE_RATE + 1e-6
            words = self.processor.finish(self.now, decode=not (silent and self.options.defer_in_pauses))
        events = self._commit(words)
        events += self._close_segment()
        return events

    def finish(self) -> list[Event]:
        """The stream ended: commit and close everything."""
        started = time.perf_counter()
        events: list[Event] = []
        if self.gate.carried:
            events += self.feed(np.zeros(self._frame - self.gate.carried, dtype=np.float32))
        if self.gate.in_speech:
            events += self._end_utterance()
        events += self._close_segment()
        self.compute_seconds += time.perf_counter() - started
        return events

    # ------------------------------------------------------------------ segments
    def _commit(self, words: list[StreamWord]) -> list[Event]:
        events: list[Event] = []
        pending: list[StreamWord] = []
        for word in words:
            self._open.append(word)
            pending.append(word)
            ends_sentence = word.text.strip().endswith(_SENTENCE_END) and len(self._open) >= 4
            too_long = self._open[-1].end - self._open[0].start >= self.options.max_segment_s
            if ends_sentence or too_long:
                events += self._partial(tuple(pending))
                pending = []
                events += self._close_segment()
        if pending or self.processor.tentative:
            events += self._partial(tuple(pending))
        return events

    def _partial(self, new_words: tuple[StreamWord, ...]) -> list[Event]:
        tentative = self.processor.tentative
        start = (self._open or tentative or [None])[0]
        return [Partial(self._next_id, start.start if start else None, join_words(self._open),
                        join_words(tentative), new_words)]

    def _close_segment(self) -> list[Event]:
        if not self._open:
            return []
        words = self.filters.segment_words(self._open)
        self._open = []
        if not words:
            return []
        segment = Segment(self._next_id, words[0].start, words[-1].end, join_words(words), tuple(words),
                          None, self.language)
        self._next_id += 1
        self.segments_closed += 1
        if self.speakers is not None:
            audio = self._ring.slice(segment.start, segment.end)
            speaker = self.speakers.assign(segment.id, audio, segment.start, segment.end)
            segment = replace(segment, speaker=speaker)
        return [Final(segment)] + self._subtitle(segment)

    def _subtitle(self, segment: Segment) -> list[Event]:
        target = self.options.subtitles
        if not target or (segment.language or self.language) in (None, target):
            return []
        audio = self._ring.slice(segment.start, segment.end)
        options = DecodeOptions(language=segment.language or self.language, task="translate",
                                beam_size=self.options.beam_size, max_tokens_per_s=self.options.max_tokens_per_s)
        # a translation caught in a loop is decoded again, as the stream's windows are
        result, _ = decode_past_loops(self.processor.decoder, audio, options,
                                      self.filters.options.max_compression_ratio)
        if not self.filters.window_is_speech(result) or not result.text:
            return []
        return [Subtitle(segment_id=segment.id, language=target, text=result.text)]


def make_transcriber(models, backend: str | None = None, options: StreamingOptions = StreamingOptions(),
                     speakers: SpeakerHook | None = None) -> StreamingTranscriber:
    """A streaming transcriber over a :class:`models.loaded.ModelSet` (the backend's decoder is shared)."""
    decoder = window_decoder_for(models, backend)
    return StreamingTranscriber(decoder, models.new_vad(), options, speakers)


def window_decoder_for(models, backend: str | None = None) -> WindowDecoder:
    """The backend's window decoder over the model set's transcriber, one per process (the model set keeps it), and
    one more for batch work over its own copy of the model (:meth:`models.loaded.ModelSet.transcriber`)."""
    from models.priority import in_background
    from speech.backends import window_decoder

    backend = backend or models.asr_backend
    key = ("window-decoder", backend)
    if in_background() and key not in models.remote:
        key += ("background",)
    return models.shared(key, lambda: window_decoder(models.transcriber(backend)))


def run_stream(transcriber: StreamingTranscriber, chunks: Iterable[np.ndarray],
               on_event: Callable[[Event], None] | None = None) -> list[Segment]:
    """Feed chunks as fast as they come (a file) and return the final segments."""
    segments: list[Segment] = []

    def handle(events: list[Event]) -> None:
        for event in events:
            if isinstance(event, Final):
                segments.append(event.segment)
            if on_event is not None:
                on_event(event)

    for chunk in chunks:
        handle(transcriber.feed(chunk))
    handle(transcriber.finish())
    return segments


__all__ = ["StreamingOptions", "StreamingTranscriber", "Segment", "Event", "Partial", "Final", "make_transcriber",
           "run_stream", "window_decoder_for"]
