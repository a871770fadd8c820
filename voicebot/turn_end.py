"""End of the caller's turn: silence, the voice (a trained end-of-turn model) and whether the words sound finished.

Silence alone is a poor judge: a caller who pauses after "I want to ask about the..." is not done, and one who
asked "Where do I pay a parking fine?" should not wait half a second more for nothing. So at the first short pause
(``first_pause_s``) the call transcribes the utterance so far (the same Whisper window decoder as the final
transcript) and asks :func:`sounds_finished`, and in parallel asks the end-of-turn model (Smart Turn v3.2,
:mod:`models.turn`) for the probability that the turn is complete. :func:`judge` combines the two: the turn ends as
soon as both are ready when the words end like a finished sentence or question *and* the model's probability is at
least ``model_threshold``; the partial is then reused as the turn's transcript (the caller said nothing new).
Otherwise (words ending in a conjunction, a preposition, an article, a filler or a Korean connective ending or
particle, or a voice that does not sound done) the call waits for more, up to ``max_pause_s`` of silence. Without
the model (none configured, or it cannot be loaded) the words decide alone. :class:`TurnEndOptions` holds the
timings and the threshold, :class:`TurnEnd` the per-utterance decision; the call owns the VAD, the transcription
and the model.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

# Words after which an English sentence cannot end: conjunctions, articles, possessives and fillers ...
_EN_DANGLING = frozenset("""
and or but so because if when while although though than whether
a an the my your his her its our their every
um uh er erm hmm uhm
""".split())
# ... nor, unless it is a question ("What is it for?"), prepositions, auxiliaries and subject pronouns.
_EN_OPEN = _EN_DANGLING | frozenset("""
to of for with without in on at by from into onto about over under after before between through during until
across near as is are was were be been am do does did can could would should will shall may might must have has
had i we he she they which who whose where what why how
""".split())

# Korean: the last word's ending. Sentence-final endings (polite, formal, plain, question) finish a turn;
# connective endings and particles leave it open.
_KO_FINAL = re.compile(r"(요|니다|[습합됩입갑옵봅십]니까|죠|다|냐|니|지|자|라|야|해|을까|할까)$")
_KO_OPEN = re.compile(r"(고|서|면|는데|은데|인데|지만|니까|거나|며|도록|려고|다가|면서|"
                      r"은|는|이|가|을|를|에|에서|에게|한테|의|로|와|과|랑|하고|도|만|부터|까지)$")
_KO_STRONG = ("요", "니다", "습니까", "합니까", "됩니까", "입니까", "죠")
_KO_OPEN_WORDS = frozenset("그리고 그래서 그런데 근데 그러니까 그 저 저기 음 어 아 뭐 이제 좀 혹시".split())


_EN_AUXILIARIES = frozenset("is are was were am be do does did can could would should will shall may might must "
                            "has have had".split())
_EN_QUESTION_WORDS = frozenset("what where when why how who whom whose which".split())
_EN_HOW_MUCH = frozenset("much many long far often old big soon".split())


def _asks_nothing_yet(text: str) -> bool:
    """A question word and then only its verb ("How much is?", "Where do?", "What is?"): Whisper writes a question
    mark after a caller who paused there, but nothing has been asked yet. ("Where the office is?" has its subject.)"""
    words = _words(text)
    if len(words) < 2 or words[-1] not in _EN_AUXILIARIES:
        return False
    before = words[-2]
    return before in _EN_QUESTION_WORDS or (before in _EN_HOW_MUCH and len(words) >= 3 and words[-3] == "how")


_EN_TAKES_INFINITIVE = frozenset("supposed want wants wanted need needs needed have has had going able trying try "
                                  "like allowed got ought meant planning".split())


def _infinitive_left_open(text: str) -> bool:
    """A question that ends in an infinitive's "to" with no verb after it ("Where am I supposed to?", "What do I need
    to?"): the caller paused before the verb. "Who do I talk to?" ends in a preposition and is finished."""
    words = _words(text)
    return (len(words) >= 3 and words[-1] == "to" and words[-2] in _EN_TAKES_INFINITIVE
            and any(w in _EN_QUESTION_WORDS for w in words[:-2]))


def _words(text: str) -> list[str]:
    return re.findall(r"[\w']+", text.lower())


def _last_word(text: str) -> str:
    words = _words(text)
    return words[-1] if words else ""


def sounds_finished(text: str, lang: str = "en") -> bool:
    """Whether a transcript ends like a finished sentence or question (a guess from the words, not the voice)."""
    text = text.strip()
    if not text or text.endswith(("...", "…", ",", "-", "–", ":", ";")):
        return False
    korean = lang == "ko" or bool(re.search(r"[가-힣]", text))
    last = _last_word(text)
    if not last:
        return False
    if korean and re.search(r"[가-힣]", last):
        if last in _KO_OPEN_WORDS:
            return False
        final, open_ = bool(_KO_FINAL.search(last)), bool(_KO_OPEN.search(last))
        if text[-1] in ".?!":
            return final or not open_
        return final and (not open_ or last.endswith(_KO_STRONG))
    if last in _EN_DANGLING:
        return False
    if text[-1] == "?":
        return not (_asks_nothing_yet(text) or _infinitive_left_open(text))
    if last in _EN_OPEN:
        return False
    if text[-1] in ".!":
        return True
    return len(text.split()) >= 3  # unpunctuated: a few words that do not end open


def partial_finished(text: str, lang: str, restarted: bool = False) -> bool:
    """Whether a partial transcript's words say the turn may end: they sound finished and nothing was left out as
    the question's beginning said again (``restarted``, see :attr:`voicebot.asr.Heard.restarted`)."""
    return bool(text) and not restarted and sounds_finished(text, lang)


def judge(probability: float | None, words_finished: bool, threshold: float) -> bool:
    """The turn is over at a pause when the model and the words both say so (the words alone without a model).

    Chosen by measurement (``bench/end_of_turn.py``, docs/voicebot.md#end-of-turn): each judge alone ends many
    unfinished turns, for different reasons (Whisper writes a full stop after a cut-off English phrase, so the
    words sound finished; Smart Turn hears most cut Korean phrases as finished); together they end far fewer
    (real read speech: 5 of 40 against 23 of 40 for the words alone), at the price of some finished turns
    (5 of 19) waiting out the long pause.
    """
    if probability is None:
        return words_finished
    return words_finished and probability >= threshold


@dataclass(frozen=True)
class TurnEndOptions:
    first_pause_s: float = 0.25  # at this pause the words so far are transcribed and judged
    max_pause_s: float = 1.0  # the turn ends after this much silence whatever the words
    min_speech_s: float = 0.25  # shorter bursts are clicks, not turns
    model_threshold: float = 0.7  # the end-of-turn model's P(complete) at which the turn is over (judge)
    # how much of the pause the model hears: its probability grows with the silence it is given, for unfinished
    # turns as much as for finished ones, so it hears the utterance up to its last voiced frame (bench/end_of_turn.py)
    model_pause_s: float = 0.0


class TurnEnd:
    """The decision for one utterance, frame by frame: ``partial_wanted`` (time to transcribe what was said),
    ``partial_ready`` (the transcript of the audio up to some speech frame), and ``over`` (end the turn now)."""

    def __init__(self, options: TurnEndOptions, lang: str):
        self.options = options
        self.lang = lang
        self.partial = None  # what the transcription of the partial returned (the call's own object)
        self.partial_text: str | None = None
        self.partial_frames = -1  # speech frames the partial transcript covers
        self.partial_pending = False
        self.pending_frames = -1  # speech frames the transcript still being made covers
        self.pending_transcript = None  # ... and the awaitable that gives it (the call's own object)
        self.words_finished = False  # the partial transcript sounds finished
        self.probability: float | None = None  # the end-of-turn model's P(complete) for the partial's audio
        self.finished = False  # judge(): the turn may end at this pause

    def partial_wanted(self, speech_frames: int, silence_s: float) -> bool:
        return (silence_s >= self.options.first_pause_s and not self.partial_pending
                and self.partial_frames != speech_frames)

    def partial_started(self, speech_frames: int = -1, transcript=None) -> None:
        """A partial transcript of the first ``speech_frames`` is being made (``transcript`` will give it)."""
        self.partial_pending = True
        self.pending_frames, self.pending_transcript = speech_frames, transcript

    def partial_ready(self, text: str, speech_frames: int, lang: str | None = None, partial=None,
                      probability: float | None = None, restarted: bool = False) -> None:
        """The partial transcript and, where the model ran, its probability that the turn is complete.
        ``restarted``: the transcriber left out the question's beginning said again after it (what Whisper writes
        when the audio stops abruptly, mid-sentence as often as not), so the words are not taken as finished."""
        self.partial_pending = False
        self.pending_frames, self.pending_transcript = -1, None
        self.partial, self.partial_text, self.partial_frames = partial, text, speech_frames
        self.words_finished = partial_finished(text, lang or self.lang, restarted)
        self.probability = probability
        self.finished = judge(probability, self.words_finished, self.options.model_threshold)

    def reusable(self, speech_frames: int):
        """The partial's result when it covers all the speech so far (nothing new was said), else None."""
        return self.partial if self.partial_frames == speech_frames and self.partial_text else None

    def in_flight(self, speech_frames: int):
        """The transcript still being made when it covers all the speech so far (the turn ended at the long pause
        before it was ready: waiting for it beats a second decode behind it), else None."""
        return self.pending_transcript if self.partial_pending and self.pending_frames == speech_frames else None

    def over(self, speech_frames: int, silence_s: float) -> bool:
        if silence_s >= self.options.max_pause_s:
            return True
        return self.finished and self.partial_frames == speech_frames and silence_s > 0

    def summary(self, speech_frames: int) -> dict:
        """How the turn was judged, for the call record: ``by`` "model+words" or "words" (ended at the first
        pause) or "pause" (the long pause), the model's probability (None without a model) and the words' verdict."""
        early = self.finished and self.partial_frames == speech_frames
        by = ("model+words" if self.probability is not None else "words") if early else "pause"
        probability = None if self.probability is None else round(self.probability, 3)
        return {"by": by, "probability": probability, "words_finished": self.words_finished}
