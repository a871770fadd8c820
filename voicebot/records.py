"""The records of recent calls in this process, newest kept, looked up by call id."""

from __future__ import annotations

import threading
from collections import OrderedDict


class CallRecords:
    """At most ``keep`` call records (a :class:`voicebot.call.CallRecord` each); the oldest are forgotten first."""

    def __init__(self, keep: int = 500) -> None:
        self.keep = keep
        self._records: OrderedDict[str, object] = OrderedDict()
        self._lock = threading.Lock()

    def add(self, call_id: str, record) -> None:
        with self._lock:
            self._records[call_id] = record
            while len(self._records) > self.keep:
                self._records.popitem(last=False)

    def get(self, call_id: str):
        with self._lock:
            return self._records.get(call_id)

    def __len__(self) -> int:
        with self._lock:
            return len(self._records)
