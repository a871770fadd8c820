"""Turning Korean and English text into search terms for sparse retrieval.

Korean is split into morphemes by Kiwi (which also copes with run-together input, "환승할인조건몇분이내"), and
only content morphemes are kept, so that particles do not glue onto nouns. English is lower-cased, stop words
are dropped and the rest is Snowball-stemmed. Numbers stay as terms.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from functools import lru_cache

HANGUL = re.compile(r"[\uac00-\ud7a3\u1100-\u11ff\u3130-\u318f]")
_LATIN_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
# Kiwi tags kept as terms: nouns, numerals, verb/adjective stems, roots, foreign words, numbers, hanja.
_KEEP_TAGS = {"NNG", "NNP", "NR", "VV", "VA", "XR", "SL", "SN", "SH", "MAG", "VV-R", "VA-R", "VV-I", "VA-I"}
_EN_STOP = frozenset(
    "a an the and or but if then of to in on at by for with from as is are was were be been being am do does did "
    "i me my we our you your he she it its they them their this that these those there here what which who whom "
    "how when where why can could would should will shall may might must have has had having not no so too very "
    "just about into over than also any some such please hi hello thanks thank get got need want know tell "
    "s t".split()
)


def has_hangul(text: str) -> bool:
    return bool(HANGUL.search(text))


def detect_language(text: str) -> str:
    """'ko' when Hangul makes up a fair share of the letters, else 'en'."""
    letters = [ch for ch in text if ch.isalpha()]
    if not letters:
        return "en"
    hangul = sum(1 for ch in letters if HANGUL.match(ch))
    return "ko" if hangul / len(letters) >= 0.3 else "en"


class _KiwiHolder:
    """One Kiwi per process, created on first use (loading takes about a second)."""

    _kiwi = None
    _lock = threading.Lock()

    @classmethod
    def get(cls):
        with cls._lock:
            if cls._kiwi is None:
                from kiwipiepy import Kiwi

                cls._kiwi = Kiwi(num_workers=-1)
            return cls._kiwi


@lru_cache(maxsize=1)
def _stemmer():
    import snowballstemmer

    return snowballstemmer.stemmer("english")


def warm_up() -> None:
    """Load Kiwi and run it once (its first analysis is slow)."""
    _KiwiHolder.get().tokenize("서울 버스 요금")


def repair_spacing(text: str) -> str:
    """Insert the spaces that run-together Korean input leaves out ("버스요금얼마" -> "버스 요금 얼마")."""
    return _KiwiHolder.get().space(text) if has_hangul(text) else text


_KO_LIGHT = frozenset({"하", "되", "이", "있", "그", "좀"})  # light verbs and fillers carry no topic


def _korean_terms(text: str) -> list[str]:
    terms = []
    for token in _KiwiHolder.get().tokenize(text):
        if token.tag in _KEEP_TAGS and token.form not in _KO_LIGHT:
            form = token.form.lower()
            if token.tag in ("SL",):
                form = _stemmer().stemWord(form)
            terms.append(form)
    return terms


def _english_terms(text: str) -> list[str]:
    words = _LATIN_WORD.findall(text.lower())
    stem = _stemmer().stemWord
    return [stem(w.replace("'", "")) for w in words if w not in _EN_STOP]


def analyze(text: str) -> list[str]:
    """Search terms of a text in Korean, English or both."""
    text = unicodedata.normalize("NFKC", text)
    if has_hangul(text):
        return _korean_terms(text)
    return _english_terms(text)
