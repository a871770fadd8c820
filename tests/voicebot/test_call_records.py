"""Call records every web worker can read: two record books (as two workers keep them) over one real SQLite
database, a call started on one and read on the other while in progress and once ended."""

from __future__ import annotations

import time

from voicebot.call import CallRecord
from voicebot.records import CallRecords


def _store(path):
    from dasan.runtime import declared_metadata
    from database import make_engine, upgrade
    from database.keyvalue import SqlKeyValue

    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine, metadata=declared_metadata())
    return SqlKeyValue(engine)


def test_a_call_answered_by_one_worker_is_read_by_another(tmp_path):
    answering, reading = CallRecords(_store(tmp_path / "dasan.db")), CallRecords(_store(tmp_path / "dasan.db"))
    record = CallRecord("CA1", "ko", time.time(), mode="ko")
    answering.add("CA1", record)
    assert reading.get("CA1")["outcome"] == "in progress"
    record.transcript.append({"role": "caller", "text": "여권 발급 어디서 해요?", "at": 1.0})
    record.transcript.append({"role": "bot", "text": "구청 민원실에서 신청합니다.", "at": 2.5})
    record.outcome = "transferred"
    assert answering.get("CA1")["transcript"] == record.transcript  # live here: as it is now
    answering.finish("CA1")
    ended = reading.get("CA1")
    assert ended["outcome"] == "transferred" and ended["transcript"][0]["text"] == "여권 발급 어디서 해요?"
    assert reading.get("CA-unknown") is None


def test_without_a_store_the_newest_calls_are_kept_here():
    records = CallRecords(keep=2)
    for n in range(3):
        records.add(f"CA{n}", CallRecord(f"CA{n}", "en", time.time()))
        records.finish(f"CA{n}")
    assert records.get("CA0") is None and records.get("CA2")["call_id"] == "CA2" and len(records) == 2
