"""Guards against Whisper's known failure modes on meetings: text invented on silence or noise, and loops.

The VAD gate keeps most silence and noise away from Whisper; these filters catch what gets through:
windows Whisper itself rates as non-speech, text too dense to have been said in the window's audio (Whisper
continuing its prompt over a wordless moment: twelve words in 0.86 s), repetition loops (Whisper's compression-ratio
signal), a phrase repeated in one window with the repeat squeezed into no time (the loop Whisper writes at the
end of a window: "I am the marketing expert ... okay? I am the marketing expert ... okay?", the copy's ten words
all at 29.92 s), phrases repeated three or more times in a row, and the stock phrases Whisper writes on noise
("Thank you for watching", "시청해 주셔서 감사합니다") when they come alone and uncertain.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypeVar

from speech.backends import WindowResult

W = TypeVar("W")

# Whisper's stock outputs on silence, music and noise (from its subtitle-heavy training data).
STOCK_PHRASES = {
    "thank you", "thank you very much", "thanks for watching", "thank you for watching",
    "please subscribe", "subscribe", "bye", "you", "so", "oh", "okay", "hmm", "uh",
    "시청해 주셔서 감사합니다", "시청해주셔서 감사합니다", "감사합니다", "구독과 좋아요 부탁드립니다",
    "mbc 뉴스 이덕영입니다", "다음 영상에서 만나요", "자막 제공 및 자막 편집 배급",
}


def _key(text: str) -> str:
    return re.sub(r"[^\w\s]", "", text.lower()).strip()


@dataclass(frozen=True)
class FilterOptions:
    max_compression_ratio: float = 2.4  # above: a loop, not speech (Whisper's own threshold)
    no_speech_prob: float = 0.6  # with a low log-probability below, the window is silence
    min_avg_logprob: float = -1.0
    # Speech, read or spontaneous, Korean or English, stays under about 8 syllables a second; text denser than
    # this over the whole window (its pauses included) was not said in it.
    max_syllables_per_s: float = 15.0
    stock_phrase_max_prob: float = 0.7  # a stock phrase alone is kept only when Whisper is at least this sure
    max_repeats: int = 2  # a phrase said more than this many times in a row is cut back to one
    squeezed_ratio: float = 0.5  # a repeat lasting less than this share of the phrase's first time is not speech


class HallucinationFilter:
    def __init__(self, options: FilterOptions = FilterOptions()):
        self.options = options

    def window_is_speech(self, result: WindowResult, audio_s: float | None = None) -> bool:
        """Whether a decoded window holds speech; ``audio_s``, the window's length, adds the density check."""
        if not result.words:
            return False
        if audio_s and spoken_syllables(result.text) > self.options.max_syllables_per_s * audio_s:
            return False
        if result.compression_ratio > self.options.max_compression_ratio:
            return False
        if result.no_speech_prob > self.options.no_speech_prob and result.avg_logprob < self.options.min_avg_logprob:
            return False
        return True

    def window_words(self, words: list[W]) -> list[W]:
        """One window's words (with ``start``/``end``), less the repeats squeezed into no time."""
        return drop_squeezed_repeats(words, self.options.squeezed_ratio)

    def committed(self, words: list[W]) -> list[W]:
        return words

    def segment_words(self, words: Sequence[W]) -> list[W]:
        """The words of a finished segment with loops collapsed and a lone uncertain stock phrase removed."""
        words = collapse_repeats(list(words), self.options.max_repeats)
        if not words:
            return []
        text = _key(" ".join(w.text for w in words))
        if text in STOCK_PHRASES or not text:
            mean_prob = sum(w.probability for w in words) / len(words)
            if not text or mean_prob < self.options.stock_phrase_max_prob:
                return []
        return words


def spoken_syllables(text: str) -> float:
    """About how many syllables saying ``text`` takes: a Hangul block (or any other letter outside the Latin
    alphabet, a kana or a Han character) one, a Latin letter a third (English runs about three letters a
    syllable); digits and punctuation nothing, so numbers are undercounted."""
    count = 0.0
    for char in text:
        if char.isalpha():
            count += 1 / 3 if char.isascii() or "\u00c0" <= char <= "\u024f" else 1
    return count


def collapse_repeats(words: list[W], max_repeats: int = 2, max_n: int = 8) -> list[W]:
    """Cut any run of more than ``max_repeats`` consecutive copies of the same 1..max_n-word phrase to one copy."""
    keys = [_key(w.text) for w in words]
    out_words: list[W] = []
    out_keys: list[str] = []
    i = 0
    while i < len(words):
        collapsed = False
        for n in range(1, max_n + 1):
            if i + n > len(words):
                break
            phrase = keys[i:i + n]
            if not any(phrase):
                continue
            count = 1
            while keys[i + count * n: i + (count + 1) * n] == phrase:
                count += 1
            if count > max_repeats:
                out_words.extend(words[i:i + n])
                out_keys.extend(phrase)
                i += count * n
                collapsed = True
                break
        if not collapsed:
            out_words.append(words[i])
            out_keys.append(keys[i])
            i += 1
    return out_words


def _span(words) -> float:
    return words[-1].end - words[0].start


def _squeezed(copy, first, ratio: float) -> bool:
    """A repeat is squeezed when it takes far less time than the first saying, or most of its words take none."""
    instant = sum(1 for w in copy if w.end - w.start < 0.02)
    return _span(copy) < ratio * _span(first) or instant * 2 > len(copy)


def drop_squeezed_repeats(words: list[W], ratio: float = 0.5, max_n: int = 16) -> list[W]:
    """Drop the copies of a 1..max_n-word phrase that follow it at once in the same window but are squeezed in
    time. A person who says a phrase twice takes about as long each time; Whisper's end-of-window loop writes the
    copy with collapsed word times. Repeats said at a speaking pace are kept (``collapse_repeats`` limits those)."""
    keys = [_key(w.text) for w in words]
    out: list[W] = []
    i = 0
    while i < len(words):
        for n in range(1, min(max_n, (len(words) - i) // 2) + 1):  # the shortest phrase that repeats
            phrase = keys[i:i + n]
            if not any(phrase) or keys[i + n:i + 2 * n] != phrase:
                continue
            first = words[i:i + n]
            j = i + n
            while keys[j:j + n] == phrase and _squeezed(words[j:j + n], first, ratio):
                j += n
            if j > i + n:
                out.extend(first)
                i = j
                break
        else:
            out.append(words[i])
            i += 1
    return out
