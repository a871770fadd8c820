"""Error rates for speech recognition: word error rate and character error rate (Levenshtein based)."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

_PUNCT = re.compile(r"[^\w\s']|_", re.UNICODE)


def edit_distance(reference: Sequence, hypothesis: Sequence) -> int:
    """Minimum number of substitutions, insertions and deletions turning ``hypothesis`` into ``reference``."""
    previous = list(range(len(hypothesis) + 1))
    for i, ref_item in enumerate(reference, start=1):
        current = [i] + [0] * len(hypothesis)
        for j, hyp_item in enumerate(hypothesis, start=1):
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ref_item != hyp_item))
        previous = current
    return previous[-1]


def normalise_words(text: str) -> list[str]:
    """Lower case, punctuation removed, split on whitespace."""
    return _PUNCT.sub(" ", text.lower()).split()


def wer(reference: str, hypothesis: str) -> float:
    ref = normalise_words(reference)
    return edit_distance(ref, normalise_words(hypothesis)) / max(len(ref), 1)


def cer(reference: str, hypothesis: str) -> float:
    """Character error rate with spaces and punctuation removed (the usual score for Korean)."""
    ref = "".join(normalise_words(reference))
    return edit_distance(ref, "".join(normalise_words(hypothesis))) / max(len(ref), 1)


# ---------------------------------------------------------------------------- normalisation for scoring
_DIGITS = "영일이삼사오육칠팔구"
_SMALL_UNITS = ((1000, "천"), (100, "백"), (10, "십"))
_BIG_UNITS = ((10**12, "조"), (10**8, "억"), (10**4, "만"))
_NUMBER = re.compile(r"\d+(?:,\d{3})*(?:\.\d+)?")


def _korean_below_10000(n: int) -> str:
    out = []
    for value, unit in _SMALL_UNITS:
        digit, n = divmod(n, value)
        if digit:
            out.append(("" if digit == 1 else _DIGITS[digit]) + unit)
    if n:
        out.append(_DIGITS[n])
    return "".join(out)


def sino_korean(number: int) -> str:
    """An integer read the Sino-Korean way, as Korean transcripts write it: 2018 -> 이천십팔, 3 -> 삼."""
    if number == 0:
        return "영"
    out = []
    for value, unit in _BIG_UNITS:
        part, number = divmod(number, value)
        if part:
            out.append(("" if part == 1 and unit == "만" else _korean_below_10000(part)) + unit)
    if number:
        out.append(_korean_below_10000(number))
    return "".join(out)


def _korean_number(match: re.Match) -> str:
    text = match.group(0).replace(",", "")
    whole, _, fraction = text.partition(".")
    spoken = sino_korean(int(whole))
    if fraction:
        spoken += "점" + "".join(_DIGITS[int(d)] for d in fraction)
    return spoken


def normalise_korean(text: str) -> str:
    """Characters to compare for Korean CER: numbers spelled out (2018년 -> 이천십팔년, 10% -> 십퍼센트), then spaces
    and punctuation removed."""
    text = unicodedata.normalize("NFKC", text).replace("%", "퍼센트")
    text = _NUMBER.sub(_korean_number, text)
    return "".join(normalise_words(text))


_english = None


def normalise_english(text: str) -> list[str]:
    """Words to compare for English WER: Whisper's English text normaliser (spellings, numbers as digits,
    contractions), falling back to lower case without punctuation when openai-whisper is not installed."""
    global _english
    if _english is None:
        try:
            from whisper.normalizers import EnglishTextNormalizer

            _english = EnglishTextNormalizer()
        except ImportError:  # the normaliser ships with openai-whisper
            _english = False
    if _english:
        return _english(text).split()
    return normalise_words(text)


@dataclass(frozen=True)
class Score:
    errors: int  # edits
    length: int  # reference words (en) or characters (ko)

    @property
    def rate(self) -> float:
        return self.errors / max(self.length, 1)


def score(reference: str, hypothesis: str, language: str) -> Score:
    """Edits and reference length for pooling: WER over normalised words for English (and other space-separated
    languages), CER over normalised characters for Korean."""
    if language == "ko":
        ref, hyp = normalise_korean(reference), normalise_korean(hypothesis)
    else:
        ref, hyp = normalise_english(reference), normalise_english(hypothesis)
    return Score(edit_distance(ref, hyp), len(ref))


# ---------------------------------------------------------------------------- diarization error rate
Turn = tuple[float, float, str]  # start, end, speaker


@dataclass(frozen=True)
class DiarizationScore:
    """Seconds of scored reference speech and of each kind of error (DER = errors / speech)."""
    speech: float
    missed: float  # reference speech with too few hypothesis speakers
    false_alarm: float  # hypothesis speakers beyond the reference ones
    confusion: float  # speech given to the wrong speaker (after the optimal one-to-one mapping)
    overlap: float = 0.0  # reference speech of a second, third... simultaneous speaker: what a system that gives
    # each moment one speaker misses at best

    @property
    def errors(self) -> float:
        return self.missed + self.false_alarm + self.confusion

    def __add__(self, other: "DiarizationScore") -> "DiarizationScore":
        return DiarizationScore(self.speech + other.speech, self.missed + other.missed,
                                self.false_alarm + other.false_alarm, self.confusion + other.confusion,
                                self.overlap + other.overlap)


def diarization_score(reference: Sequence[Turn], hypothesis: Sequence[Turn], collar: float = 0.25,
                      step: float = 0.01) -> DiarizationScore:
    """Missed speech, false alarm and speaker confusion the NIST way on a 10 ms grid, under the optimal one-to-one
    mapping of speakers, with ``collar`` seconds around every reference turn boundary left unscored.
    Overlapping speech counts once per speaker."""
    from scipy.optimize import linear_sum_assignment

    end = max([t[1] for t in reference] + [t[1] for t in hypothesis] + [0.0])
    n = int(np.ceil(end / step)) + 1
    ref_speakers = sorted({t[2] for t in reference})
    hyp_speakers = sorted({t[2] for t in hypothesis})
    ref = np.zeros((len(ref_speakers), n), dtype=bool)
    hyp = np.zeros((len(hyp_speakers), n), dtype=bool)
    for start, stop, who in reference:
        ref[ref_speakers.index(who), int(round(start / step)):int(round(stop / step))] = True
    for start, stop, who in hypothesis:
        hyp[hyp_speakers.index(who), int(round(start / step)):int(round(stop / step))] = True
    scored = np.ones(n, dtype=bool)
    c = int(round(collar / step))
    for start, stop, _ in reference:
        for edge in (int(round(start / step)), int(round(stop / step))):
            scored[max(0, edge - c):edge + c] = False
    ref, hyp = ref[:, scored], hyp[:, scored]
    n_ref, n_hyp = ref.sum(axis=0), hyp.sum(axis=0)
    if ref_speakers and hyp_speakers:
        overlap = (ref[:, None, :] & hyp[None, :, :]).sum(axis=2)
        rows, cols = linear_sum_assignment(-overlap)
        correct = float(overlap[rows, cols].sum())
    else:
        correct = 0.0
    missed = float(np.maximum(n_ref - n_hyp, 0).sum())
    false_alarm = float(np.maximum(n_hyp - n_ref, 0).sum())
    confusion = float(np.minimum(n_ref, n_hyp).sum()) - correct
    overlap = float(np.maximum(n_ref - 1, 0).sum())
    return DiarizationScore(float(n_ref.sum()) * step, missed * step, false_alarm * step, confusion * step,
                            overlap * step)


def diarization_error(reference: Sequence[Turn], hypothesis: Sequence[Turn], collar: float = 0.25,
                      step: float = 0.01) -> tuple[float, float]:
    """(errors, scored reference speech) in seconds: see :func:`diarization_score`."""
    result = diarization_score(reference, hypothesis, collar, step)
    return result.errors, result.speech


def der(reference: Sequence[Turn], hypothesis: Sequence[Turn], collar: float = 0.25) -> float:
    errors, total = diarization_error(reference, hypothesis, collar)
    return errors / total if total else 0.0
