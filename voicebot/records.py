"""The records of calls, looked up by call id: the calls in progress in this process, and every call's record in a
shared store (the process database, or Redis when ``DASAN_REDIS_URL`` is set: the same store as the chat
conversations), so an agent on any web worker can read a call that another worker answered, and a restart keeps
it. A record is written when its call starts and again when it ends (with the whole transcript); while a call
is in progress, other workers see it as it was at its start."""

from __future__ import annotations

import json
import logging
import threading
import time

from chatbot.sessions import KeyValue

log = logging.getLogger("voicebot.records")

PREFIX = "call:"
INDEX = "calls:index"  # the newest calls' ids and start times, newest last (JSON)
TAKEN = "call-taken:"  # an agent's take-over of a handed-off call: who and when (JSON)


class CallRecords:
    """Records (a :class:`voicebot.call.CallRecord` each) of the calls in progress here, and, with ``store``, of
    every call for ``keep_s`` seconds; without a store at most ``keep`` recent records in this process."""

    def __init__(self, store: KeyValue | None = None, keep_s: float = 7 * 86400, keep: int = 500) -> None:
        self.store = store
        self.keep_s = keep_s
        self.keep = keep
        self._live: dict[str, object] = {}
        self._ended: dict[str, dict] = {}  # without a store: the newest ended calls' records
        self._taken: dict[str, dict] = {}  # without a store: take-overs made here
        self._lock = threading.Lock()

    def add(self, call_id: str, record) -> None:
        """A call started here (its record is the live object the call keeps writing to)."""
        with self._lock:
            self._live[call_id] = record
        self._save(call_id, record.to_dict())
        self._index(call_id, getattr(record, "started_at", time.time()))

    def finish(self, call_id: str) -> None:
        """The call ended: its whole record is written to the shared store."""
        with self._lock:
            record = self._live.pop(call_id, None)
        if record is None:
            return
        data = record.to_dict()
        if self.store is None:
            with self._lock:
                self._ended[call_id] = data
                while len(self._ended) > self.keep:
                    self._ended.pop(next(iter(self._ended)))
        self._save(call_id, data)

    def _save(self, call_id: str, data: dict) -> None:
        if self.store is None:
            return
        try:
            self.store.put(PREFIX + call_id, json.dumps(data, ensure_ascii=False), self.keep_s)
        except Exception as exc:  # noqa: BLE001  (a call goes on without its shared record; the log says why)
            log.error("the record of call %s could not be written to the shared store: %s", call_id, exc)

    def get(self, call_id: str) -> dict | None:
        """A call's record as a dict: live here, or from the shared store; None when unknown (or expired). A call
        an agent took over carries ``taken`` (who, when)."""
        record = self._record(call_id)
        if record is not None:
            record["taken"] = self._taken_of(call_id)
        return record

    def _record(self, call_id: str) -> dict | None:
        with self._lock:
            live = self._live.get(call_id)
            ended = self._ended.get(call_id)
        if live is not None:
            return live.to_dict()
        if ended is not None:
            return dict(ended)
        if self.store is None:
            return None
        stored = self.store.get(PREFIX + call_id)
        return json.loads(stored) if stored is not None else None

    def _index(self, call_id: str, started_at: float) -> None:
        """Add a call to the shared list of recent calls (a read and a write: two workers starting calls at the
        same moment may lose one entry of the list, never a record)."""
        if self.store is None:
            return
        try:
            known = json.loads(self.store.get(INDEX) or "[]")
            known = [k for k in known if k[0] != call_id] + [[call_id, started_at]]
            self.store.put(INDEX, json.dumps(known[-self.keep:]), self.keep_s)
        except Exception as exc:  # noqa: BLE001  (the call's own record is kept; only the list misses it)
            log.error("call %s could not be added to the list of recent calls: %s", call_id, exc)

    def recent(self, limit: int = 100) -> list[dict]:
        """The records of the newest calls (live here, or kept in the shared store), newest first, each with the
        agent's take-over (``taken``) when there is one."""
        with self._lock:
            ids = {cid: getattr(r, "started_at", 0.0) for cid, r in self._live.items()}
            ids.update({cid: r.get("started_at", 0.0) for cid, r in self._ended.items()})
        if self.store is not None:
            for call_id, started in json.loads(self.store.get(INDEX) or "[]"):
                ids.setdefault(call_id, started)
        found = []
        for call_id in sorted(ids, key=ids.get, reverse=True):
            record = self.get(call_id)
            if record is not None:
                found.append(record)
            if len(found) >= limit:
                break
        return found

    def take_over(self, call_id: str, agent: str) -> dict:
        """An agent takes over a handed-off call: who and when, kept beside its record (the call's own record is
        written by the worker that answered it). A ``KeyError`` when the call is unknown, ``ValueError`` when it
        was not handed off or another agent has it."""
        record = self.get(call_id)
        if record is None:
            raise KeyError(call_id)
        if record.get("outcome") != "transferred":
            raise ValueError(f"call {call_id} was not handed off to an agent (its outcome is {record.get('outcome')})")
        taken = record.get("taken")
        if taken and taken.get("by") != agent:
            raise ValueError(f"call {call_id} was already taken over by {taken.get('by')}")
        taken = taken or {"by": agent, "at": time.time()}
        with self._lock:
            self._taken[call_id] = taken
        if self.store is not None:
            self.store.put(TAKEN + call_id, json.dumps(taken, ensure_ascii=False), self.keep_s)
        return {**record, "taken": taken}

    def _taken_of(self, call_id: str) -> dict | None:
        with self._lock:
            taken = self._taken.get(call_id)
        if taken is None and self.store is not None:
            stored = self.store.get(TAKEN + call_id)
            taken = json.loads(stored) if stored else None
        return taken

    def in_progress(self) -> int:
        """Calls being answered by this process."""
        with self._lock:
            return len(self._live)

    def __len__(self) -> int:
        with self._lock:
            return len(self._live) + len(self._ended)
