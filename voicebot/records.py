"""The records of calls, looked up by call id: the calls in progress in this process, and every call's record in a
shared store (the process database, or Redis when ``DASAN_REDIS_URL`` is set: the same store as the chat
conversations), so an agent on any web worker can read a call that another worker answered, and a restart keeps
it. A record is written when its call starts and again when it ends (with the whole transcript); while a call
is in progress, other workers see it as it was at its start."""

from __future__ import annotations

import json
import logging
import threading

from chatbot.sessions import KeyValue

log = logging.getLogger("voicebot.records")

PREFIX = "call:"


class CallRecords:
    """Records (a :class:`voicebot.call.CallRecord` each) of the calls in progress here, and, with ``store``, of
    every call for ``keep_s`` seconds; without a store at most ``keep`` recent records in this process."""

    def __init__(self, store: KeyValue | None = None, keep_s: float = 7 * 86400, keep: int = 500) -> None:
        self.store = store
        self.keep_s = keep_s
        self.keep = keep
        self._live: dict[str, object] = {}
        self._ended: dict[str, dict] = {}  # without a store: the newest ended calls' records
        self._lock = threading.Lock()

    def add(self, call_id: str, record) -> None:
        """A call started here (its record is the live object the call keeps writing to)."""
        with self._lock:
            self._live[call_id] = record
        self._save(call_id, record.to_dict())

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
        """A call's record as a dict: live here, or from the shared store; None when unknown (or expired)."""
        with self._lock:
            live = self._live.get(call_id)
            ended = self._ended.get(call_id)
        if live is not None:
            return live.to_dict()
        if ended is not None:
            return ended
        if self.store is None:
            return None
        stored = self.store.get(PREFIX + call_id)
        return json.loads(stored) if stored is not None else None

    def in_progress(self) -> int:
        """Calls being answered by this process."""
        with self._lock:
            return len(self._live)

    def __len__(self) -> int:
        with self._lock:
            return len(self._live) + len(self._ended)
