"""Stored meetings (SQLite by default, PostgreSQL by URL, the process's database) and search over what was said.

Tables ``minutes_meetings`` and ``minutes_segments``, created by the Alembic revisions 0004, 0006 and 0011 of the
database floor (``database/migrations``) (the definitions below are what the store reads and writes; a test checks that the
migrated schema matches them). Search uses the shared hybrid index
(:class:`retrieval_index.HybridIndex`, dense e5 + Korean/English BM25) over segments grouped by meeting, built
from the database on first use and kept up to date as meetings are saved.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path

from sqlalchemy import JSON, Boolean, Column, Float, ForeignKey, Integer, MetaData, String, Table, Text, select
from sqlalchemy import delete as sql_delete

from database.base import UTCDateTime
from minutes.document import ActionItem, Item, Meeting, Minutes
from speech.streaming import StreamWord
from speech.events import Segment

metadata = MetaData()

meetings = Table(
    "minutes_meetings", metadata,
    Column("id", String(32), primary_key=True),
    Column("title", String(300), nullable=False),
    Column("created", UTCDateTime(), nullable=False),
    Column("language", String(8)),
    Column("duration_s", Float, nullable=False, default=0.0),
    Column("backend", String(40)),
    Column("speaker_names", JSON, nullable=False),
    Column("minutes", JSON, nullable=False),
    # who may see it (revision 0006; see minutes.access)
    Column("department", String(100), index=True),
    Column("owner", String(200)),
    Column("shared_with", JSON, nullable=False, default=list),
    Column("consented", Boolean, nullable=False, default=False),
    # the kept recording of a meeting consented for the speech dataset (revision 0011; see minutes.dataset)
    Column("audio_path", String(500)),
)

segments = Table(
    "minutes_segments", metadata,
    Column("meeting_id", String(32), ForeignKey("minutes_meetings.id", ondelete="CASCADE"), primary_key=True),
    Column("seq", Integer, primary_key=True),
    Column("segment_id", Integer, nullable=False),
    Column("start_s", Float, nullable=False),
    Column("end_s", Float, nullable=False),
    Column("speaker", String(80)),
    Column("language", String(8)),
    Column("text", Text, nullable=False),
    Column("words", JSON, nullable=False),
)


class MeetingNotFound(KeyError):
    def __str__(self) -> str:
        return str(self.args[0])


def _minutes_to_json(minutes: Minutes) -> dict:
    return {
        "composed_by": minutes.composed_by,
        "composition": minutes.composition,
        "summary": [[i.text, i.at, i.speaker, i.by] for i in minutes.summary],
        "agenda": [[i.text, i.at, i.speaker, i.by] for i in minutes.agenda],
        "decisions": [[i.text, i.at, i.speaker, i.by] for i in minutes.decisions],
        "actions": [[a.task, a.at, a.owner, a.due, a.by] for a in minutes.actions],
    }


def _minutes_from_json(data: dict) -> Minutes:
    return Minutes(
        tuple(Item(*row) for row in data.get("summary", ())),
        tuple(Item(*row) for row in data.get("agenda", ())),
        tuple(Item(*row) for row in data.get("decisions", ())),
        tuple(ActionItem(*row) for row in data.get("actions", ())),
        data.get("composed_by", "extractive"),
        dict(data.get("composition") or {}),
    )


class MeetingStore:
    """Meetings in the tables of migration 0004 (the runtime migrates the database before it builds a store)."""

    def __init__(self, engine):
        self.engine = engine
        self._index = None
        self._index_lock = threading.Lock()

    # ------------------------------------------------------------------ write
    def save(self, meeting: Meeting) -> None:
        """Insert or replace the meeting with all its segments (one transaction)."""
        with self.engine.begin() as connection:
            connection.execute(sql_delete(segments).where(segments.c.meeting_id == meeting.id))
            connection.execute(sql_delete(meetings).where(meetings.c.id == meeting.id))
            connection.execute(meetings.insert().values(
                id=meeting.id, title=meeting.title[:300], created=meeting.created, language=meeting.language,
                duration_s=meeting.duration, backend=meeting.backend, speaker_names=meeting.speaker_names,
                minutes=_minutes_to_json(meeting.minutes), department=meeting.department, owner=meeting.owner,
                shared_with=list(meeting.shared_with), consented=meeting.consented,
                audio_path=meeting.audio_path))
            rows = [{"meeting_id": meeting.id, "seq": n, "segment_id": s.id, "start_s": s.start, "end_s": s.end,
                     "speaker": s.speaker, "language": s.language, "text": s.text,
                     "words": [[round(w.start, 3), round(w.end, 3), w.text, round(w.probability, 3)] for w in s.words]}
                    for n, s in enumerate(meeting.segments)]
            if rows:
                connection.execute(segments.insert(), rows)
        with self._index_lock:
            if self._index is not None:
                self._index.delete_group(meeting.id)
                self._add_to_index(self._index, meeting.id, meeting.title, meeting.segments)

    def delete(self, meeting_id: str) -> None:
        """Delete the meeting, its segments and its kept recording (if any)."""
        with self.engine.begin() as connection:
            audio = connection.execute(select(meetings.c.audio_path).where(meetings.c.id == meeting_id)).scalar()
            connection.execute(sql_delete(segments).where(segments.c.meeting_id == meeting_id))
            gone = connection.execute(sql_delete(meetings).where(meetings.c.id == meeting_id)).rowcount
        if not gone:
            raise MeetingNotFound(f"no meeting {meeting_id!r}")
        if audio:
            Path(audio).unlink(missing_ok=True)
        with self._index_lock:
            if self._index is not None:
                self._index.delete_group(meeting_id)

    # ------------------------------------------------------------------ read
    def list(self, limit: int = 200, visible=None) -> list[dict]:
        """The newest meetings first; with ``visible`` (a test of a row's ``department`` and ``shared_with``) only
        those it accepts."""
        columns = (meetings.c.id, meetings.c.title, meetings.c.created, meetings.c.language, meetings.c.duration_s,
                   meetings.c.department, meetings.c.owner, meetings.c.shared_with, meetings.c.consented)
        found = []
        with self.engine.connect() as connection:
            for r in connection.execute(select(*columns).order_by(meetings.c.created.desc())):
                row = {"id": r.id, "title": r.title, "created": r.created.isoformat(), "language": r.language,
                       "duration_s": r.duration_s, "department": r.department, "owner": r.owner,
                       "shared_with": list(r.shared_with or ()), "consented": bool(r.consented)}
                if visible is None or visible(row):
                    found.append(row)
                    if len(found) >= limit:
                        break
        return found

    def get(self, meeting_id: str) -> Meeting:
        with self.engine.connect() as connection:
            row = connection.execute(select(meetings).where(meetings.c.id == meeting_id)).first()
            if row is None:
                raise MeetingNotFound(f"no meeting {meeting_id!r}")
            segs = connection.execute(select(segments).where(segments.c.meeting_id == meeting_id)
                                      .order_by(segments.c.seq)).all()
        return Meeting(
            title=row.title, id=row.id, created=row.created, language=row.language, duration=row.duration_s,
            backend=row.backend, speaker_names=dict(row.speaker_names or {}),
            minutes=_minutes_from_json(row.minutes or {}), department=row.department, owner=row.owner,
            shared_with=tuple(row.shared_with or ()), consented=bool(row.consented), audio_path=row.audio_path,
            segments=[Segment(s.segment_id, s.start_s, s.end_s, s.text,
                              tuple(StreamWord(*w) for w in (s.words or ())), s.speaker, s.language) for s in segs],
        )

    # ------------------------------------------------------------------ search
    @staticmethod
    def _add_to_index(index, meeting_id: str, title: str, segs) -> None:
        from retrieval_index import Document

        documents = []
        # neighbouring segments together: a passage of ~3 segments reads as a unit and embeds better
        for n in range(0, len(segs), 2):
            window = segs[n:n + 3]
            text = " ".join(s.text for s in window).strip()
            if text:
                documents.append(Document(f"{meeting_id}:{n}", text, {
                    "meeting": meeting_id, "title": title, "start": f"{window[0].start:.2f}"}))
        if documents:
            index.add(documents)

    def _ensure_index(self, embedder):
        from retrieval_index import HybridIndex

        with self._index_lock:
            if self._index is None:
                index = HybridIndex(embedder, group_key="meeting")
                with self.engine.connect() as connection:
                    rows = connection.execute(select(meetings.c.id, meetings.c.title)).all()
                for meeting_id, title in rows:
                    meeting = self.get(meeting_id)
                    self._add_to_index(index, meeting_id, title, meeting.segments)
                self._index = index
            return self._index

    def search(self, query: str, embedder, k: int = 10, among: list[str] | None = None) -> list[dict]:
        """Meetings whose words best match ``query``, each with its best passage and where it starts; with
        ``among`` only those meetings (the ones the asker may see)."""
        query = " ".join(query.split())
        if not query:
            raise ValueError("an empty search")
        if among is not None and not among:
            return []
        index = self._ensure_index(embedder)
        hits = index.search(query[:500], k=k, filters={"meeting": list(among)} if among is not None else None)
        return [{"meeting_id": hit.group, "title": hit.document.meta.get("title", ""),
                 "start": float(hit.document.meta.get("start", 0.0)), "text": hit.document.text,
                 "score": round(hit.score, 4)} for hit in hits]


def dumps(meeting: Meeting) -> str:
    return json.dumps(meeting.to_dict(), ensure_ascii=False)


__all__ = ["MeetingStore", "MeetingNotFound"]
