"""The dashboard's summary without a browser: today's calls by topic named by the bundled knowledge base's
questions, in both languages, and one summary shared by all open dashboards for a second."""

from __future__ import annotations

import time
from datetime import datetime, timezone

from chatbot.kb import KnowledgeBase
from dasan.console_summary import SummaryCache, calls_today


def test_call_topics_read_as_the_knowledge_base_questions():
    kb = KnowledgeBase.from_file()
    entry = kb.entries[0]
    now = datetime.now(timezone.utc)
    started = now.timestamp()
    records = [{"call_id": f"CA{i}", "started_at": started, "outcome": "completed",
                "turns": [{"entry": entry.id}]} for i in range(3)]
    records.append({"call_id": "CA9", "started_at": started, "outcome": "hung up", "turns": []})
    today = calls_today(records, now, kb)
    assert today["topic_list"][0] == {"entry": entry.id, "count": 3,
                                      "title": {"ko": entry.question("ko"), "en": entry.question("en")}}
    assert {"entry": "none", "count": 1, "title": None} in today["topic_list"]
    without = calls_today(records, now)  # the assistant not loaded: the ids stand
    assert without["topic_list"][0]["title"] is None and without["topics"][entry.id] == 3


def test_one_summary_a_second_for_every_dashboard():
    computed = []
    cache = SummaryCache(ttl_s=0.3)

    def compute():
        computed.append(time.monotonic())
        return {"n": len(computed)}

    assert [cache.get(compute)["n"] for _ in range(5)] == [1] * 5
    time.sleep(0.35)
    assert cache.get(compute)["n"] == 2
