"""Text rules shared by every package above retrieval: search terms for sparse retrieval, language detection, the
one Kiwi analyser of the process (:func:`kiwi`), sentence splitting and the number check of grounded text.

Korean is split into morphemes by Kiwi (which also copes with run-together input, "환승할인조건몇분이내"), and
only content morphemes are kept, so that particles do not glue onto nouns. English is lower-cased, stop words
are dropped and the rest is Snowball-stemmed. Numbers stay as terms.
"""

from __future__ import annotations

import hashlib
import re
import threading
import unicodedata

from retrieval_index.lexicon import BROADER, SPELLINGS, SYNONYMS, canonical, respell

HANGUL = re.compile(r"[\uac00-\ud7a3\u1100-\u11ff\u3130-\u318f]")
_LATIN_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
# Kiwi tags kept as terms: nouns, numerals, verb/adjective stems, roots, foreign words, numbers, hanja.
_KEEP_TAGS = {"NNG", "NNP", "NR", "VV", "VA", "XR", "SL", "SN", "SH", "MAG", "VV-R", "VA-R", "VV-I", "VA-I"}
_EN_STOP = frozenset(
    "a an the and or but if then of to in on at by for with from as is are was were be been being am do does did "
    "i me my we our you your he she it its they them their this that these those there here what which who whom "
    "how when where why can could would should will shall may might must have has had having not no so too very "
    "just about into over than also any some such please hi hello thanks thank get got need want know tell "
    "during while since until after before again really actually maybe like well um uh er hmm hey yeah ok okay "
    "r u ur pls plz thx im ive dont cant wanna gonna gotta "
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


_kiwi = None
_kiwi_lock = threading.Lock()
_local = threading.local()  # what one thread may not share: the Snowball stemmer keeps its word in itself


def kiwi():
    """The process's one Kiwi morphological analyser, created and run once on first use (loading takes about a
    second; Kiwi finishes loading on its first analysis, so that happens under the lock too). Once loaded, Kiwi's
    analysis only reads its model and may be called from many threads (``tests/retrieval_index/test_threads.py``
    checks it); nothing here changes its dictionary after that."""
    global _kiwi
    if _kiwi is not None:
        return _kiwi
    with _kiwi_lock:
        if _kiwi is None:
            from kiwipiepy import Kiwi

            analyser = Kiwi(num_workers=-1)
            analyser.tokenize("서울 버스 요금")
            analyser.space("서울버스요금")
            _kiwi = analyser
        return _kiwi


def _stemmer():
    """This thread's Snowball stemmer (one object shared by threads mixes their words: issue 12)."""
    stemmer = getattr(_local, "stemmer", None)
    if stemmer is None:
        import snowballstemmer

        stemmer = _local.stemmer = snowballstemmer.stemmer("english")
    return stemmer


def warm_up() -> None:
    """Load Kiwi and run it once (its first analysis is slow)."""
    kiwi()


def repair_spacing(text: str) -> str:
    """Insert the spaces that run-together Korean input leaves out ("버스요금얼마" -> "버스 요금 얼마")."""
    return kiwi().space(text) if has_hangul(text) else text


_KO_LIGHT = frozenset({"하", "되", "이", "있", "그", "좀"})  # light verbs and fillers carry no topic


def _korean_terms(text: str) -> list[str]:
    terms = []
    for token in kiwi().tokenize(text):
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


def normalize(text: str) -> str:
    """The text as retrieval reads it: NFKC, and citizens' short forms written out (:mod:`retrieval_index.lexicon`)."""
    return respell(unicodedata.normalize("NFKC", text))


def analyze(text: str) -> list[str]:
    """Search terms of a text in Korean, English or both, synonyms mapped to one term (see :func:`normalize`)."""
    text = normalize(text)
    return canonical(_korean_terms(text) if has_hangul(text) else _english_terms(text))


_NOUN_TAGS = {"NNG", "NNP", "SL", "SH"}


def nouns(text: str) -> list[str]:
    """The search terms of a text that can name a topic: Korean nouns and foreign words (English has no tagger
    here, so every English term). Same spelling rules and synonyms as :func:`analyze`."""
    text = normalize(text)
    if not has_hangul(text):
        return canonical(_english_terms(text))
    stem = _stemmer().stemWord
    return canonical([stem(t.form.lower()) if t.tag == "SL" else t.form for t in kiwi().tokenize(text)
                      if t.tag in _NOUN_TAGS and t.form not in _KO_LIGHT])


def _analysis_version() -> str:
    rules = [sorted(_KEEP_TAGS), sorted(_EN_STOP), sorted(_KO_LIGHT), [(p.pattern, r) for p, r in SPELLINGS],
             sorted(SYNONYMS.items()), sorted(BROADER.items())]
    return hashlib.sha256(repr(rules).encode("utf-8")).hexdigest()[:16]


# the text rules an index's stored terms were made with (recorded in its metadata; another version is refused)
ANALYSIS_VERSION = _analysis_version()


# ---------------------------------------------------------------------------------------------- sentences, numbers
_SENTENCE_END = re.compile(r"(?<=[.!?。])\s+|(?<=다\.)\s*|(?<=요\.)\s*")
_NUMBER = re.compile(r"\d[\d,.]*\d|\d")


def split_sentences(text: str) -> list[str]:
    """The sentences of a Korean or English text, each ending in one space."""
    parts = _SENTENCE_END.split(text)
    return [p if p.endswith(" ") else p + " " for p in parts if p.strip()]


def grounded(answer: str, passages: list[str]) -> bool:
    """True when every number in ``answer`` (fees, phone numbers, dates, counts) appears in the passages."""
    source = " ".join(passages).replace(",", "")
    digits_only = re.sub(r"\D", "", source)
    for number in _NUMBER.findall(answer):
        plain = number.replace(",", "").rstrip(".")
        if plain not in source and plain.replace(".", "") not in digits_only:
            return False
    return True
