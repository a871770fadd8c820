"""Conversation state: the turns of each session, kept in memory with an idle timeout and a size bound."""

from __future__ import annotations

import threading
import time
import uuid
from collections import OrderedDict
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Turn:
    role: str  # "user" or "assistant"
    text: str  # already masked of personal data
    lang: str
    entry_id: str | None = None  # the entry an assistant turn answered from
    query: str | None = None  # for a user turn: the text that was searched (with context, if a follow-up)


@dataclass
class Session:
    id: str
    lang: str | None = None
    turns: list[Turn] = field(default_factory=list)
    last_seen: float = field(default_factory=time.monotonic)
    pending_call: object | None = None  # a tool call waiting for a missing argument or a confirmation

    def last_answer(self) -> Turn | None:
        for turn in reversed(self.turns):
            if turn.role == "assistant" and turn.entry_id:
                return turn
        return None

    def last_user_query(self) -> str | None:
        for turn in reversed(self.turns):
            if turn.role == "user":
                return turn.query or turn.text
        return None


class SessionStore:
    def __init__(self, max_sessions: int = 10_000, idle_seconds: float = 3600, max_turns: int = 40):
        self._sessions: OrderedDict[str, Session] = OrderedDict()
        self._lock = threading.Lock()
        self.max_sessions = max_sessions
        self.idle_seconds = idle_seconds
        self.max_turns = max_turns

    def get_or_create(self, session_id: str | None) -> Session:
        now = time.monotonic()
        with self._lock:
            self._expire(now)
            session = self._sessions.get(session_id) if session_id else None
            if session is None:
                session = Session(id=session_id or uuid.uuid4().hex)
                self._sessions[session.id] = session
                while len(self._sessions) > self.max_sessions:
                    self._sessions.popitem(last=False)
            self._sessions.move_to_end(session.id)
            session.last_seen = now
            return session

    def append(self, session: Session, turn: Turn) -> None:
        with self._lock:
            session.turns.append(turn)
            del session.turns[: -self.max_turns]

    def _expire(self, now: float) -> None:
        while self._sessions:
            oldest = next(iter(self._sessions.values()))
            if now - oldest.last_seen < self.idle_seconds:
                break
            self._sessions.popitem(last=False)

    def __len__(self) -> int:
        return len(self._sessions)
