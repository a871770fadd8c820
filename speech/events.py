"""What the streaming transcriber says, as typed objects: a closed :class:`Segment` (its words, times, speaker,
language) and the events of a stream, :class:`Partial` (the open segment so far), :class:`Final` (a segment closed)
and :class:`SpeakerLabel` (a segment's speaker named again, once the meeting's speakers are refined), and
:class:`Subtitle` (a closed segment translated, when subtitles are asked for).

The events stay Python objects all the way through the engine and the minutes pipeline; only a wire adapter (the
minutes WebSocket, :mod:`minutes.api`) turns them into JSON. ``type`` names each kind on the wire.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import ClassVar

from speech.streaming import StreamWord


def join_words(words: Iterable[StreamWord]) -> str:
    return "".join(w.text for w in words).strip()


@dataclass(frozen=True)
class Segment:
    id: int
    start: float
    end: float
    text: str
    words: tuple[StreamWord, ...] = ()
    speaker: str | None = None
    language: str | None = None

    def to_dict(self, with_words: bool = True) -> dict:
        data = {"id": self.id, "start": round(self.start, 3), "end": round(self.end, 3), "text": self.text,
                "speaker": self.speaker, "language": self.language}
        if with_words:
            data["words"] = [{"start": round(w.start, 3), "end": round(w.end, 3), "text": w.text,
                              "probability": round(w.probability, 3)} for w in self.words]
        return data


class Event:
    """One event of a stream. ``new_words``: the words that became final with it (partial events carry them)."""

    type: ClassVar[str]
    new_words: tuple[StreamWord, ...] = ()


@dataclass(frozen=True)
class Partial(Event):
    """The open segment as it stands: its final words so far and the tentative rest."""

    type: ClassVar[str] = "partial"
    segment_id: int
    start: float | None  # stream seconds of its first word (final or tentative); None before any
    final_text: str
    tentative_text: str
    new_words: tuple[StreamWord, ...] = ()

    @property
    def text(self) -> str:
        return (self.final_text + " " + self.tentative_text).strip()


@dataclass(frozen=True)
class Final(Event):
    """A segment closed (at a sentence end, a pause or its length limit), with its speaker where one is tracked."""

    type: ClassVar[str] = "final"
    segment: Segment


@dataclass(frozen=True)
class SpeakerLabel(Event):
    """A closed segment's speaker named again (``refined``: by the end-of-meeting re-clustering)."""

    type: ClassVar[str] = "speaker"
    segment_id: int
    speaker: str | None
    refined: bool = True


@dataclass(frozen=True)
class Subtitle(Event):
    """A closed segment in another language (Whisper's translation of its audio into English)."""

    type: ClassVar[str] = "subtitle"
    segment_id: int
    language: str
    text: str


__all__ = ["Event", "Final", "Partial", "Segment", "SpeakerLabel", "Subtitle", "join_words"]
