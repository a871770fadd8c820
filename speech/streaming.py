"""The streaming commit policy, apart from any model (the shape of whisper_streaming's OnlineASRProcessor and
HypothesisBuffer): a rolling buffer of speech is re-decoded as it grows, and a word becomes final once
``agreement`` consecutive decodes agree on it (LocalAgreement-n). Pure Python; the decoder is injected.

Times are seconds of the stream. The buffer holds one utterance at most (the VAD gate in
:mod:`speech.transcriber` ends utterances at pauses and calls :meth:`OnlineProcessor.finish`), and is trimmed
behind the committed words, so memory stays bounded however long the meeting.
"""

from __future__ import annotations

import re
import unicodedata
from collections import deque
from dataclasses import dataclass

import numpy as np

from speech.backends import SAMPLE_RATE, DecodeOptions, WindowDecoder, WindowResult, decode_past_loops
from speech.filters import HallucinationFilter
from speech.samples import SampleBuffer


@dataclass(frozen=True)
class StreamWord:
    start: float  # stream seconds
    end: float
    text: str
    probability: float = 1.0
    committed_at: float = 0.0  # stream time at which the word became final (for latency measurement)


def word_key(text: str) -> str:
    """How two hypotheses' words are compared: case, punctuation and width folded."""
    text = unicodedata.normalize("NFKC", text).lower()
    return re.sub(r"[^\w]", "", text)


class HypothesisBuffer:
    """LocalAgreement-n: commits the longest prefix on which the last ``n`` hypotheses agree."""

    def __init__(self, agreement: int = 2):
        if agreement < 2:
            raise ValueError("LocalAgreement needs at least 2 hypotheses to agree")
        self.agreement = agreement
        self._history: deque[list[StreamWord]] = deque(maxlen=agreement - 1)
        self.committed_end = 0.0
        self._committed_tail: deque[str] = deque(maxlen=12)  # keys of the last committed words
        self.tentative: list[StreamWord] = []

    def _strip_committed(self, words: list[StreamWord]) -> list[StreamWord]:
        """Drop what the new hypothesis repeats of the committed text (by time, then by an n-gram overlap)."""
        words = [w for w in words if w.end > self.committed_end + 0.05 or w.start > self.committed_end - 0.1]
        if words and abs(words[0].start - self.committed_end) < 1.0 and self._committed_tail:
            tail = list(self._committed_tail)
            for n in range(min(len(tail), len(words)), 0, -1):  # up to a sentence decoded again
                if tail[-n:] == [word_key(w.text) for w in words[:n]]:
                    return words[n:]
        return words

    def insert(self, words: list[StreamWord]) -> None:
        self.tentative = self._strip_committed(words)

    def flush(self, now: float) -> list[StreamWord]:
        """Commit the agreed prefix of the newest hypothesis; returns the newly final words."""
        new = self.tentative
        agreed = len(new)
        for old in self._history:
            n = 0
            while n < min(agreed, len(old)) and word_key(old[n].text) == word_key(new[n].text):
                n += 1
            agreed = n
        if len(self._history) < self._history.maxlen:
            agreed = 0
        committed = [StreamWord(w.start, w.end, w.text, w.probability, now) for w in new[:agreed]]
        self._remember(committed)
        self.tentative = new[agreed:]
        self._history.append(self.tentative)
        return committed

    def commit_all(self, now: float) -> list[StreamWord]:
        committed = [StreamWord(w.start, w.end, w.text, w.probability, now) for w in self.tentative]
        self._remember(committed)
        self.reset()
        return committed

    def _remember(self, committed: list[StreamWord]) -> None:
        for word in committed:
            self.committed_end = max(self.committed_end, word.end)
            self._committed_tail.append(word_key(word.text))

    def reset(self) -> None:
        """Forget the hypotheses (an utterance ended); committed times and tail stay for the next one."""
        self._history.clear()
        self.tentative = []


@dataclass(frozen=True)
class PolicyOptions:
    min_chunk_s: float = 1.0  # decode again once this much new audio has arrived
    agreement: int = 2  # LocalAgreement-n
    max_buffer_s: float = 12.0  # past this, the buffer is cut behind the last committed word
    hard_buffer_s: float = 24.0  # past this (no agreement at all), the hypothesis is committed as it is
    prompt_chars: int = 200  # committed text carried into the next decode's prompt


class OnlineProcessor:
    """One speaker's stream of speech in, final words out (plus the tentative rest for display)."""

    def __init__(self, decoder: WindowDecoder, decode: DecodeOptions = DecodeOptions(),
                 options: PolicyOptions = PolicyOptions(), filters: HallucinationFilter | None = None):
        self.decoder = decoder
        self.decode_options = decode
        self.options = options
        self.filters = filters or HallucinationFilter()
        self.hypothesis = HypothesisBuffer(options.agreement)
        self.language: str | None = decode.language
        self._buffer = SampleBuffer()
        self._offset = 0.0  # stream time of the buffer's first sample
        self._pending = 0  # samples arrived since the last decode
        self._recent: deque[StreamWord] = deque()  # committed words, for the prompt
        self.decodes = 0
        self._utterance_decodes = 0

    # ------------------------------------------------------------------ state
    @property
    def buffer_seconds(self) -> float:
        return len(self._buffer) / SAMPLE_RATE

    @property
    def end_time(self) -> float:
        return self._offset + self.buffer_seconds

    @property
    def tentative(self) -> list[StreamWord]:
        return list(self.hypothesis.tentative)

    @property
    def pending_seconds(self) -> float:
        return self._pending / SAMPLE_RATE

    def start_utterance(self, at: float) -> None:
        self._utterance_decodes = 0
        self._buffer.clear()
        self._offset = at
        self._pending = 0
        self.hypothesis.reset()

    def append(self, samples: np.ndarray) -> None:
        self._buffer.append(samples)
        self._pending += len(samples)

    def ready(self) -> bool:
        return self._pending >= self.options.min_chunk_s * SAMPLE_RATE

    # ------------------------------------------------------------------ decoding
    def _prompt(self) -> str | None:
        # only text before the buffer: Whisper skips prompt words it hears again, which would lose them
        before = "".join(w.text for w in self._recent if w.end <= self._offset + 0.01).strip()
        parts = [self.decode_options.prompt or "", before]
        text = " ".join(p for p in parts if p).strip()
        return text or None

    def _decode(self) -> WindowResult:
        from dataclasses import replace

        options = replace(self.decode_options, language=self.language, prompt=self._prompt())
        result, decodes = decode_past_loops(self.decoder, self._buffer.view(), options,
                                            self.filters.options.max_compression_ratio)
        self.decodes += decodes
        self._utterance_decodes += 1
        self._pending = 0
        if self.language is None and self.decode_options.language is None and result.words:
            # detect once, on the first window with words, then keep it (a meeting has one language)
            self.language = result.language
        return result

    def _stream_words(self, result: WindowResult) -> list[StreamWord]:
        if not self.filters.window_is_speech(result, self.buffer_seconds):
            return []
        words = [StreamWord(self._offset + w.start, self._offset + w.end, w.text, w.probability)
                 for w in result.words]
        return self.filters.window_words(words)

    def process(self, now: float) -> list[StreamWord]:
        """Re-decode the buffer and return the words that became final (``now`` = stream time, for latency)."""
        if len(self._buffer) == 0:
            return []
        committed = self.hypothesis.flush(now) if self._heard(self._stream_words(self._decode())) else []
        if self.buffer_seconds > self.options.hard_buffer_s:
            # no agreement for too long: take the hypothesis as it is rather than grow past Whisper's window
            committed += self.hypothesis.commit_all(now)
            self._cut(self.end_time - 1.0 if not committed else committed[-1].end)
        elif self.buffer_seconds > self.options.max_buffer_s and self.hypothesis.committed_end > self._offset:
            self._cut(self.hypothesis.committed_end)
        return self._accept(committed)

    def finish(self, now: float, decode: bool = True) -> list[StreamWord]:
        """The utterance ended: decode what is left once more and commit all of it. ``decode=False`` when only
        silence arrived since the last decode of this utterance: its hypothesis is committed as it is."""
        committed: list[StreamWord] = []
        if len(self._buffer) and (self._pending or self.hypothesis.tentative or self.decodes == 0):
            if self._pending and (decode or not self._utterance_decodes):
                self._heard(self._stream_words(self._decode()))
            committed = self.hypothesis.commit_all(now)
        self.hypothesis.reset()
        self._utterance_decodes = 0
        end = self.end_time
        self._buffer.clear()
        self._offset = end
        self._pending = 0
        return self._accept(committed)

    def _heard(self, words: list[StreamWord]) -> bool:
        """Take a decode's words as the new hypothesis; False when the decode failed the filters (a loop at the
        window's end, say) while an earlier one heard words: what was heard then stands, not thrown away."""
        if not words and self.hypothesis.tentative:
            return False
        self.hypothesis.insert(words)
        return True

    def _cut(self, at: float) -> None:
        """Drop the buffer before stream time ``at`` (the hypotheses' history is dropped with it)."""
        drop = min(int(max(0.0, at - self._offset) * SAMPLE_RATE), len(self._buffer))
        if drop <= 0:
            return
        self._buffer.drop(drop)
        self._offset += drop / SAMPLE_RATE  # hypotheses keep stream times, so they stay comparable

    def _accept(self, committed: list[StreamWord]) -> list[StreamWord]:
        committed = self.filters.committed(committed)
        self._recent.extend(committed)
        while sum(len(w.text) for w in self._recent) > self.options.prompt_chars and len(self._recent) > 1:
            self._recent.popleft()
        return committed
