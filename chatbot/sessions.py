"""Conversation state: the turns of each session, with an idle timeout and a size bound.

:class:`SessionStore` keeps sessions in this process's memory (tests, evaluations, a one-off `dasan chat`);
:class:`SharedSessionStore` keeps them in a shared key-value store (the process database, or Redis when
``DASAN_REDIS_URL`` is set: :mod:`database.keyvalue`), so every web worker sees the same conversation and a
restart keeps it. The assistant calls :meth:`save` once a turn is done.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections import OrderedDict
from dataclasses import asdict, dataclass, field
from typing import Protocol


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
    """Sessions in this process's memory, the least recently used dropped past ``max_sessions``."""

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

    def save(self, session: Session) -> None:
        """Nothing to do: the session is the one in memory."""

    def _expire(self, now: float) -> None:
        while self._sessions:
            oldest = next(iter(self._sessions.values()))
            if now - oldest.last_seen < self.idle_seconds:
                break
            self._sessions.popitem(last=False)

    def __len__(self) -> int:
        return len(self._sessions)


class KeyValue(Protocol):  # database.keyvalue's stores have this shape
    def get(self, key: str) -> str | None: ...

    def put(self, key: str, value: str, ttl_s: float) -> None: ...


class SharedSessionStore:
    """Sessions in a shared key-value store, one JSON value a session, expiring ``idle_seconds`` after its last
    turn. A session is read at the start of a turn and written back by :meth:`save`; two turns of one session
    at the same moment on two workers keep the one saved last."""

    KEY = "chat:session:"

    def __init__(self, kv: KeyValue, idle_seconds: float = 3600, max_turns: int = 40) -> None:
        self.kv = kv
        self.idle_seconds = idle_seconds
        self.max_turns = max_turns

    def get_or_create(self, session_id: str | None) -> Session:
        stored = self.kv.get(self.KEY + session_id) if session_id else None
        if stored is None:
            return Session(id=session_id or uuid.uuid4().hex)
        return session_from_json(stored)

    def append(self, session: Session, turn: Turn) -> None:
        session.turns.append(turn)
        del session.turns[: -self.max_turns]

    def save(self, session: Session) -> None:
        self.kv.put(self.KEY + session.id, session_to_json(session), self.idle_seconds)


def session_to_json(session: Session) -> str:
    pending = session.pending_call
    return json.dumps({"id": session.id, "lang": session.lang, "turns": [asdict(t) for t in session.turns],
                       "pending_call": asdict(pending) if pending is not None else None},
                      ensure_ascii=False, default=str)


def session_from_json(text: str) -> Session:
    from chatbot.tool_dialogue import PendingCall

    data = json.loads(text)
    pending = data.get("pending_call")
    return Session(id=data["id"], lang=data.get("lang"), turns=[Turn(**t) for t in data.get("turns", [])],
                   pending_call=PendingCall(**pending) if pending else None)
