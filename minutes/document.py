"""The meeting and its minutes document: title, date, attendees, agenda items, summary, decisions, action items,
in the meeting's language, each item pointing at the transcript by timestamp.

Extracted here (cue phrases in Korean and English, sentence centrality for the summary), or composed by the local
LLM (:mod:`minutes.compose`, which verifies every item against the transcript and falls back to these).
"""

from __future__ import annotations

import re
import uuid
from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone

from speech.events import Segment


@dataclass(frozen=True)
class Item:
    text: str
    at: float  # seconds into the meeting (the transcript reference)
    speaker: str | None = None
    by: str = "extractive"  # what wrote it: "extractive" (the transcript's own words) or "llm" (verified)


@dataclass(frozen=True)
class ActionItem:
    task: str
    at: float
    owner: str | None = None
    due: str | None = None
    by: str = "extractive"


@dataclass(frozen=True)
class Minutes:
    summary: tuple[Item, ...] = ()
    agenda: tuple[Item, ...] = ()
    decisions: tuple[Item, ...] = ()
    actions: tuple[ActionItem, ...] = ()
    composed_by: str = "extractive"  # "extractive", "llm", or "llm+extractive" (some parts fell back)
    composition: dict = field(default_factory=dict, compare=False)  # how: model, chunks, dropped items, seconds


@dataclass
class Meeting:
    title: str
    segments: list[Segment] = field(default_factory=list)
    language: str | None = None
    id: str = field(default_factory=lambda: uuid.uuid4().hex[:12])
    created: datetime = field(default_factory=lambda: datetime.now(timezone.utc))
    duration: float = 0.0
    speaker_names: dict[str, str] = field(default_factory=dict)  # "Speaker 2" -> "Director Kim"
    minutes: Minutes = field(default_factory=Minutes)
    backend: str | None = None
    department: str | None = None  # the department whose officials see it (minutes.access)
    owner: str | None = None  # who recorded or uploaded it ("official:kim")
    shared_with: tuple[str, ...] = ()  # other departments, or "user:NAME", who may see it too
    consented: bool = False  # the speakers agreed to its release in the city's speech dataset
    audio_path: str | None = None  # its kept recording (16 kHz FLAC), only while consented (minutes.dataset)

    def name_of(self, speaker: str | None) -> str | None:
        if speaker is None:
            return None
        return self.speaker_names.get(speaker, speaker)

    @property
    def attendees(self) -> list[str]:
        seen: dict[str, None] = {}
        for segment in self.segments:
            if segment.speaker:
                seen.setdefault(self.name_of(segment.speaker), None)
        return list(seen)

    @property
    def text(self) -> str:
        return " ".join(s.text for s in self.segments)

    def rename_speaker(self, speaker: str, name: str) -> None:
        name = " ".join(name.split())
        if not name or len(name) > 80:
            raise ValueError("a speaker's name has 1 to 80 characters")
        if speaker not in {s.speaker for s in self.segments} and speaker not in self.speaker_names:
            raise KeyError(f"no speaker {speaker!r} in this meeting")
        self.speaker_names[speaker] = name

    def correct(self, segment_id: int, text: str) -> None:
        """A person's correction of one segment's text (word timings are dropped: they no longer match)."""
        text = " ".join(text.split())
        for i, segment in enumerate(self.segments):
            if segment.id == segment_id:
                self.segments[i] = replace(segment, text=text, words=())
                return
        raise KeyError(f"no segment {segment_id} in this meeting")

    def to_dict(self) -> dict:
        return {
            "id": self.id, "title": self.title, "created": self.created.isoformat(), "language": self.language,
            "duration_s": round(self.duration, 2), "backend": self.backend, "speaker_names": self.speaker_names,
            "attendees": self.attendees, "department": self.department, "owner": self.owner,
            "shared_with": list(self.shared_with), "consented": self.consented,
            "audio_kept": self.audio_path is not None,
            "segments": [{**s.to_dict(), "speaker_name": self.name_of(s.speaker)} for s in self.segments],
            "minutes": minutes_to_dict(self.minutes, self),
        }


def minutes_to_dict(minutes: Minutes, meeting: Meeting | None = None) -> dict:
    name = meeting.name_of if meeting else (lambda s: s)
    return {
        "composed_by": minutes.composed_by,
        "composition": minutes.composition,
        "summary": [{"text": i.text, "at": round(i.at, 2), "speaker": name(i.speaker), "by": i.by}
                    for i in minutes.summary],
        "agenda": [{"text": i.text, "at": round(i.at, 2)} for i in minutes.agenda],
        "decisions": [{"text": i.text, "at": round(i.at, 2), "speaker": name(i.speaker), "by": i.by}
                      for i in minutes.decisions],
        "actions": [{"task": a.task, "owner": name(a.owner) if a.owner and a.owner.startswith("Speaker ")
                     else a.owner, "due": a.due, "at": round(a.at, 2), "by": a.by} for a in minutes.actions],
    }


# ------------------------------------------------------------------------------------------------ extraction
_AGENDA = re.compile(r"\b(agenda|item (one|two|three|\d+)|next (item|topic)|moving on to|first topic|"
                     r"let's (talk|discuss) about)\b|안건|의제|다음 (순서|주제)|첫 번째로|두 번째로", re.I)
_DECISION = re.compile(r"\b(we (have )?(decided|agreed)|(it is|it's) (decided|agreed)|approved|the decision is|"
                       r"we will go with|motion (passes|carried)|let's go with)\b|결정(했|하였|되었|됐)|의결|합의(했|하였|됐)|"
                       r"승인(했|되었|됐)|[가-힣]기로 (했|하였|결정|합의)|확정(했|되었|됐)", re.I)
_ACTION = re.compile(r"\b(will|shall|going to|needs? to|has to|have to|please|action item|take care of|"
                     r"follow up|responsible for)\b|(해|하겠|보내|준비하|검토하|작성하|제출하|확인하) ?(주세요|겠습니다|기로|도록)|"
                     r"[가-힣](겠습니다|겠어요|도록 하겠|기 바랍니다)|"
                     r"까지 (제출|보고|완료|준비|검토)", re.I)
_DUE = re.compile(r"\b(by|before|until|due)\s+((next\s+)?(monday|tuesday|wednesday|thursday|friday|saturday|sunday|"
                  r"week|month)|tomorrow|(the\s+)?end of (the\s+)?(day|week|month)|"
                  r"(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s+\d{1,2}(st|nd|rd|th)?|\d{1,2}(st|nd|rd|th)?"
                  r"\s+of\s+[a-z]+)\b|((다음|이번) ?(주|달)( ?[월화수목금토일]요일)?|내일|모레|\d{1,2}월 ?\d{1,2}일|"
                  r"[월화수목금토일]요일|월말|주말|(이달|이번 ?달|다음 ?달|금주|이번 ?주) ?말)(까지)?|\d{1,2}일까지", re.I)
_OWNER_EN = re.compile(r"\b((?:Mr|Ms|Mrs|Dr|Director|Manager|Chief|Team Leader)\.?\s+[A-Z][a-z]+|[A-Z][a-z]+)\s+"
                       r"(will|shall|is going to|needs to|has to)\b")
_OWNER_KO = re.compile(r"([가-힣]{1,4} ?(국장|과장|팀장|주무관|부장|실장|위원|대리|차장|님))(이|가|께서|은|는)?")
_WORD = re.compile(r"\w+", re.U)
_FIRST_PERSON = re.compile(r"^\s*i\s*(will|'ll|shall)\b|제가", re.I)  # "we will" names no one
# Running the meeting is not a task: "제가 설명드리겠습니다", "회의를 마치겠습니다" (unless a date comes with it).
_PROCEDURE_KO = re.compile(r"(말씀|설명|소개|인사|보고|발표|시작|마치|마무리|정리|진행)(을|를)? ?(드리|하)?겠습니다")


def sentences(segments: list[Segment]) -> list[Item]:
    """Transcript sentences with their time and speaker (a segment may hold several sentences)."""
    out: list[Item] = []
    for segment in segments:
        parts = [p.strip() for p in re.split(r"(?<=[.?!。？！])\s+", segment.text) if p.strip()]
        if not parts:
            continue
        span = max(segment.end - segment.start, 0.0)
        total = sum(len(p) for p in parts) or 1
        offset = 0
        for part in parts:
            out.append(Item(part, segment.start + span * offset / total, segment.speaker))
            offset += len(part)
    return out


def _summary(items: list[Item], k: int) -> list[Item]:
    """The ``k`` most central sentences (word overlap with the whole meeting), in meeting order."""
    candidates = [i for i in items if len(_WORD.findall(i.text)) >= 4]
    if not candidates:
        return []
    freq = Counter(w.lower() for i in candidates for w in _WORD.findall(i.text) if len(w) > 1)
    common = {w for w, _ in freq.most_common(8)}  # drop the commonest function words' dominance

    def weight(item: Item) -> float:
        words = [w.lower() for w in _WORD.findall(item.text) if len(w) > 1]
        if not words:
            return 0.0
        return sum(freq[w] for w in set(words) if w not in common) / (len(set(words)) ** 0.5)

    best = sorted(candidates, key=weight, reverse=True)[:k]
    return sorted(best, key=lambda i: i.at)


def _owner(item: Item) -> str | None:
    match = _OWNER_EN.search(item.text)
    if match and match.group(1).lower() not in {"we", "i", "you", "they", "it", "this", "that", "there"}:
        return match.group(1)
    match = _OWNER_KO.search(item.text)
    if match:
        return match.group(1)
    if _FIRST_PERSON.search(item.text):
        return item.speaker
    return None


def extract_minutes(meeting: Meeting, summary_sentences: int = 5) -> Minutes:
    items = sentences(meeting.segments)
    agenda = [i for i in items if _AGENDA.search(i.text)]
    decisions = [i for i in items if _DECISION.search(i.text)]
    actions = []
    for item in items:
        if item in decisions or not _ACTION.search(item.text):
            continue
        due = _DUE.search(item.text)
        owner = _owner(item)
        if owner is None and due is None:
            continue  # "we will see": no one and no date, not an action item
        if due is None and _PROCEDURE_KO.search(item.text):
            continue
        actions.append(ActionItem(item.text, item.at, owner, due.group(0) if due else None))
    n = max(1, min(summary_sentences, len(items) // 4 or 1))
    return Minutes(tuple(_summary(items, n)), tuple(agenda), tuple(decisions), tuple(actions), "extractive")
