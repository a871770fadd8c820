"""Error rates for speech recognition: word error rate and character error rate (Levenshtein based).

How the scores normalise:

- English (and other space-separated languages): WER over words after Whisper's English text normaliser
  (spellings, numbers as digits, contractions), or lower case without punctuation when openai-whisper is absent.
- Korean: CER over characters after NFKC, ``%`` -> 퍼센트, numbers written in digits spelled out, then spaces and
  punctuation removed. A number in digits, in the reference or the hypothesis, is read the Sino-Korean way
  (3월 -> 삼월, 2018년 -> 이천십팔년, 1.5 -> 일점오). When it is a whole number from 1 to 99 followed (a space
  allowed) by a counter that takes native Korean numbers (``NATIVE_COUNTERS``: 시, 시간, 살, 개, 명, 번, 마리, 달,
  잔, 권, 장, 대, 곳, 가지 ...), it may also be read the native way (11시 -> 열한시, 20살 -> 스무살, 3개 -> 세개,
  3달 -> 석달), and it takes whichever reading gives the fewer edits against the other side as it stands: each
  such number in turn, reference numbers first then hypothesis numbers, the Sino-Korean reading when tied. So
  "11시" and "열한 시", "열한시 삼십분" and "11시 30분", "3월" and "삼 월" score 0 in either direction, and a
  wrong number still costs edits ("12시" against "열한 시": 열두시 against 열한시, 1 edit). Only digits get a
  choice: number words the transcript spells out are compared as written. The reference length (the CER's
  denominator) is that of the reading chosen. Text without such numbers scores exactly as
  :func:`normalise_korean` alone would.
"""

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


# Counters read with native Korean numbers (한 시, 두 살, 세 개, 스무 명, 서른 마리 ...). 분 is here for people
# (세 분); as minutes it is read Sino-Korean, which stays the first choice. 개월 (months) is Sino-Korean only.
NATIVE_COUNTERS = ("시간", "시", "살", "개", "명", "번", "마리", "달", "잔", "권", "장", "대", "곳", "가지", "사람",
                   "분", "병", "그릇", "군데", "송이", "그루", "켤레", "벌", "채", "척", "통", "해", "주", "배", "줄",
                   "판", "쌍", "알", "바퀴", "끼", "차례", "칸", "자루", "포기", "가구")
_NATIVE_UNITS = ("", "한", "두", "세", "네", "다섯", "여섯", "일곱", "여덟", "아홉")
_NATIVE_TENS = ("", "열", "스물", "서른", "마흔", "쉰", "예순", "일흔", "여든", "아흔")
_COUNTER_AFTER = re.compile(r"\s*(?!개월)(?:" + "|".join(sorted(NATIVE_COUNTERS, key=len, reverse=True)) + ")")


def native_korean(number: int) -> list[str]:
    """The native Korean readings of 1-99 before a counter: 11 -> [열한], 20 -> [스무, 스물], 3 -> [세, 석]."""
    if not 1 <= number <= 99:
        return []
    tens, units = divmod(number, 10)
    if number == 20:
        return ["스무", "스물"]
    readings = [_NATIVE_TENS[tens] + _NATIVE_UNITS[units]]
    if number in (3, 4):  # 석 달, 넉 달
        readings.append("석" if number == 3 else "넉")
    return readings


def _korean_pieces(text: str) -> list[list[str]]:
    """The normalised text in pieces, each a list of the ways it may be read (first: the Sino-Korean one)."""
    text = unicodedata.normalize("NFKC", text).replace("%", "퍼센트")
    pieces: list[list[str]] = []
    at = 0
    for match in _NUMBER.finditer(text):
        pieces.append(["".join(normalise_words(text[at:match.start()]))])
        readings = [_korean_number(match)]
        digits = match.group(0)
        if digits.isdigit() and _COUNTER_AFTER.match(text, match.end()):
            readings += native_korean(int(digits))
        pieces.append(readings)
        at = match.end()
    pieces.append(["".join(normalise_words(text[at:]))])
    return pieces


def korean_pair(reference: str, hypothesis: str) -> tuple[str, str]:
    """Reference and hypothesis characters for Korean CER, each number in digits read the way that matches the
    other side best (see the module docstring)."""
    sides = [_korean_pieces(reference), _korean_pieces(hypothesis)]
    chosen = [[0] * len(pieces) for pieces in sides]

    def text(side: int) -> str:
        return "".join(piece[c] for piece, c in zip(sides[side], chosen[side]))

    for side in (0, 1):
        for index, piece in enumerate(sides[side]):
            if len(piece) < 2:
                continue
            other = text(1 - side)
            costs = []
            for choice in range(len(piece)):
                chosen[side][index] = choice
                costs.append(edit_distance(text(side), other))
            chosen[side][index] = costs.index(min(costs))  # the first (Sino-Korean) reading when tied
    return text(0), text(1)


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
    languages), CER over normalised characters for Korean, numbers in digits read Sino-Korean or native Korean,
    whichever matches the other side (see the module docstring)."""
    if language == "ko":
        ref, hyp = korean_pair(reference, hypothesis)
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
