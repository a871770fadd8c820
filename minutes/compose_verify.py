"""Checks a language model's proposed minutes items against the transcript they claim to come from.

An item survives only when:

* its reference (``"12:34"``, ``"[12:34]"`` or ``"1:02:03"``) is the start of a real segment;
* its text is in the meeting's language and enough of its words are said in that segment (a summary: in the
  segments around it, two before and three after, or its chunk, passed as ``scope``);
* every number in it appears there or in the lines beside it (:func:`retrieval_index.text.grounded`);
* an owner is named in the cited line or speaks it (or a line beside it), and a due date's words are said there;
* a decision cites a line that says something was decided ("agreed", "approved", "결정", "하기로" ...).

A decision or action that fails at its line but holds at the line just before or after is moved to that line
(small models often cite a neighbour); the reference then names the segment that says it. Each dropped item is
returned with the reason, for the record and the tests.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from retrieval_index.text import grounded, has_hangul
from speech.events import Segment

KINDS = ("summary", "decision", "action")
BEFORE, AFTER = 2, 3  # segments around the cited one that may support a summary item
MIN_SUPPORT = {"summary": 0.4, "decision": 0.5, "action": 0.5}  # share of the item's words said where it cites
MAX_TEXT = 300

_REF = re.compile(r"^\[?\s*(?:(\d{1,2}):)?(\d{1,3}):(\d{2})\s*\]?$")
_REF_IN_TEXT = re.compile(r"\[\s*\d{1,3}(?::\d{2}){1,2}\s*\]")
_EN_WORD = re.compile(r"[a-z0-9]+")
_STOP = frozenset("""a an the and or but of to in on at by for with from into about as is are was were be been being
will shall would should can could may might must do does did have has had it its this that these those there their
they them we our us you your he she his her i me my not no yes so if then than also just all any some more most very
until before due end next meeting discussed discuss said says team speaker speakers""".split())
_DUE_FILLER = frozenset("by before until due on at the of end in within no later than".split())
_HANGUL_RUN = re.compile(r"[가-힣]+")
# A decision's line says that something was decided (broader than the extractive cue phrases on purpose).
_DECISION_CUE = re.compile(r"\b(decid|agree|approv|adopt|resolv|confirm|settled|motion|go(ing)? (ahead )?with)\w*|"
                           r"결정|하기로|기로\s*(했|하였|정했|합의)|합의|의결|승인|확정|채택", re.I)
_KO_HONORIFIC = re.compile(r"(님|씨|께서|께|이|가|은|는)$")


@dataclass(frozen=True)
class Proposal:
    """One item as a model proposed it: ``kind`` is summary, decision or action; ``ref`` names a segment start."""

    kind: str
    text: str
    ref: str
    owner: str = ""
    due: str = ""


@dataclass(frozen=True)
class Verified:
    proposal: Proposal
    segment: Segment  # the cited segment


def clock_ref(seconds: float) -> str:
    """The reference the model is shown for a segment starting at ``seconds``: minutes:seconds ("75:02")."""
    whole = int(max(seconds, 0.0))
    return f"{whole // 60:02d}:{whole % 60:02d}"


def parse_ref(ref: str) -> int | None:
    """Whole seconds named by a reference, or None when it is not one."""
    match = _REF.match(ref.strip()) if isinstance(ref, str) else None
    if not match:
        return None
    hours, minutes, seconds = match.groups()
    if int(seconds) >= 60:
        return None
    return int(hours or 0) * 3600 + int(minutes) * 60 + int(seconds)


def _en_terms(text: str) -> list[str]:
    """Content words cut to five letters (a crude stem: "extending" and "extend" meet)."""
    return [w[:5] for w in _EN_WORD.findall(text.lower()) if len(w) > 2 and w not in _STOP]


def _ko_terms(text: str) -> list[str]:
    """Hangul character bigrams (Korean paraphrase changes endings, rarely stems)."""
    out = []
    for run in _HANGUL_RUN.findall(text):
        out += [run[i:i + 2] for i in range(len(run) - 1)] or [run]
    return out


def support(text: str, source: str) -> float:
    """Share of ``text``'s content terms (English stems, Korean bigrams) that occur in ``source``."""
    terms = _ko_terms(text) + _en_terms(text)
    if not terms:
        return 0.0
    source_terms = set(_ko_terms(source)) | set(_en_terms(source))
    return sum(t in source_terms for t in terms) / len(terms)


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text.lower())


def _said(phrase: str, source: str) -> bool:
    """True when ``phrase`` is said in ``source``: as whole words in English, ignoring spacing in Korean."""
    phrase = phrase.strip().strip(".,")
    if not phrase:
        return True
    if has_hangul(phrase):
        return _squash(phrase) in _squash(source)
    return re.search(r"\b" + r"\s+".join(map(re.escape, phrase.lower().split())) + r"\b", source.lower()) is not None


class Verifier:
    """Verifies proposals against one meeting's segments (speaker labels and names count as possible owners)."""

    def __init__(self, segments: Sequence[Segment], language: str | None, names: dict[str, str] | None = None):
        self.segments = list(segments)
        self.language = language
        self.names = names or {}
        self._by_ref: dict[int, int] = {}
        for n, segment in enumerate(self.segments):
            self._by_ref.setdefault(int(max(segment.start, 0.0)), n)

    def index_of(self, ref: str) -> int | None:
        seconds = parse_ref(ref)
        return None if seconds is None else self._by_ref.get(seconds)

    def _who(self, segment: Segment) -> str:
        if not segment.speaker:
            return ""
        return f"{segment.speaker} ({self.names[segment.speaker]}): " if segment.speaker in self.names else \
            f"{segment.speaker}: "

    def _near(self, n: int) -> str:
        """The lines around segment ``n``, each with its speaker's label and name."""
        return "\n".join(self._who(s) + s.text for s in self.segments[max(0, n - BEFORE): n + AFTER + 1])

    def _owners(self, n: int) -> str:
        """Where an owner may come from: named in the cited line, or a speaker of it or of a line beside it
        ("I will", or "Kim, could you ...?" answered "Yes")."""
        return " ".join(self._who(s) for s in self.segments[max(0, n - 1): n + 2]) + self.segments[n].text

    def problem(self, proposal: Proposal, scope: str | None = None) -> str | None:
        """Why ``proposal`` must be dropped, or None when it holds. ``scope``: extra text a summary may draw on."""
        if proposal.kind not in KINDS:
            return f"unknown kind {proposal.kind!r}"
        n = self.index_of(proposal.ref)
        if n is None:
            return f"no segment starts at {proposal.ref!r}"
        return self._problem_at(n, proposal, scope)

    def _problem_at(self, n: int, proposal: Proposal, scope: str | None) -> str | None:
        text = _REF_IN_TEXT.sub(" ", " ".join(proposal.text.split()))
        if not text or len(text) > MAX_TEXT:
            return "empty or overlong text"
        if self.language == "ko" and not has_hangul(text):
            return "not in the meeting's language (Korean)"
        if self.language == "en" and has_hangul(text):
            return "not in the meeting's language (English)"
        if proposal.kind == "summary":  # a summary sums up several lines: the neighbourhood and its chunk
            near = self._near(n) + (" " + scope if scope else "")
            said_in = near
        else:  # a decision or task is said in its line; a number or date may come from the lines beside it
            near = "\n".join(self._who(s) + s.text for s in self.segments[max(0, n - 1): n + 2])
            said_in = self.segments[n].text
        if not grounded(" ".join((text, proposal.owner, proposal.due)), [near]):
            return "a number that is not in the transcript there"
        if proposal.kind == "decision" and not _DECISION_CUE.search(said_in):
            return "the line it cites records no decision"
        ratio = support(text, said_in)
        if ratio < MIN_SUPPORT[proposal.kind]:
            return f"too few of its words are in the line it cites ({ratio:.0%})"
        owner = proposal.owner.strip()
        if owner and not _said(_KO_HONORIFIC.sub("", owner) if has_hangul(owner) else owner, self._owners(n)):
            return f"owner {owner!r} is neither a speaker nor named in that line"
        due = proposal.due.strip()
        if due:
            words = [w for w in due.split() if w.lower().strip(".,") not in _DUE_FILLER]
            if has_hangul(due):
                words = [re.sub(r"(까지|이내|중|안에)$", "", w) for w in words]
            if not all(_said(w, near) for w in words if w):
                return f"due {due!r} is not said there"
        return None

    def _anchor(self, proposal: Proposal, scope: str | None) -> tuple[int | None, str | None]:
        """(segment, None) where the proposal holds, or (None, why not). A decision or task that fails at its
        line but holds at the line just before or after is moved there (small models often cite a neighbour)."""
        reason = self.problem(proposal, scope)
        n = self.index_of(proposal.ref)
        if reason is None or n is None or proposal.kind == "summary":
            return (n if reason is None else None), reason
        for m in (n - 1, n + 1):
            if 0 <= m < len(self.segments) and self._problem_at(m, proposal, scope) is None:
                return m, None
        return None, reason

    def verify(self, proposals: Sequence[Proposal], scopes: Sequence[str | None] | None = None
               ) -> tuple[list[Verified], list[tuple[Proposal, str]]]:
        """(kept, dropped with reasons); duplicates (same kind, same segment, same words) are dropped too."""
        kept: list[Verified] = []
        dropped: list[tuple[Proposal, str]] = []
        seen: set[tuple] = set()
        for i, proposal in enumerate(proposals):
            n, reason = self._anchor(proposal, scopes[i] if scopes else None)
            if reason is None:
                key = (proposal.kind, n, _squash(proposal.text))
                if key in seen:
                    reason = "duplicate"
                else:
                    seen.add(key)
            if reason is None:
                kept.append(Verified(proposal, self.segments[n]))
            else:
                dropped.append((proposal, reason))
        return kept, dropped
