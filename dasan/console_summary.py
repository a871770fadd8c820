"""The staff dashboard's summary, framework-free: the complaints' figures (from the complaint service), the air
quality by district, each district's noise and temperature and the stations reporting (from the IoT service),
today's calls by outcome and topic (from the call records; topics named by the knowledge base), and the alerts
drawn from them. The console's route sends it as JSON and as server-sent
events."""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections import Counter
from datetime import datetime, timedelta, timezone

from sqlalchemy import func, select

from civic_services.periods import KST

SILENT_AFTER = timedelta(hours=1)  # a station with no reading for this long is silent


def call_kind(record: dict) -> str:
    """A call's outcome as the console names it: answered, handed_off, interpretation, abandoned, in_progress."""
    outcome = record.get("outcome")
    if outcome == "in progress":
        return "in_progress"
    if outcome == "transferred":
        return "interpretation" if record.get("transfer_target") == "interpretation" else "handed_off"
    answered = any(line.get("role") == "bot" and line.get("entry") for line in record.get("transcript") or [])
    if outcome == "completed" or answered:
        return "answered"
    return "abandoned"  # hung up or silent before any answer, or failed


def call_topic(record: dict) -> str | None:
    """The knowledge-base entry of the call's first answered turn (its topic), if any."""
    for turn in record.get("turns") or []:
        if turn.get("entry"):
            return turn["entry"]
    return None


def call_row(record: dict) -> dict:
    """A call in the console's list."""
    return {"call_id": record.get("call_id"), "started_at": record.get("started_at"),
            "ended_at": record.get("ended_at"), "lang": record.get("lang"), "outcome": record.get("outcome"),
            "kind": call_kind(record), "topic": call_topic(record), "summary": record.get("transfer_summary"),
            "target": record.get("transfer_target"), "taken": record.get("taken"),
            "turns": len(record.get("turns") or [])}


def topic_titles(kb, entry_ids) -> dict[str, dict]:
    """Each knowledge-base entry's question in Korean and English (what a topic reads as), where ``kb`` has it."""
    titles = {}
    for entry_id in entry_ids:
        if kb is not None and entry_id in kb:
            entry = kb.get(entry_id)
            titles[entry_id] = {"ko": entry.question("ko"), "en": entry.question("en")}
    return titles


def calls_today(records: list[dict], now: datetime, kb=None) -> dict:
    """Today's calls (Seoul's day) by outcome and by topic (the ten commonest, each with its question in both
    languages when the knowledge base ``kb`` is loaded), and the handed-off ones no agent has taken."""
    start = now.astimezone(KST).replace(hour=0, minute=0, second=0, microsecond=0).timestamp()
    today = [r for r in records if (r.get("started_at") or 0) >= start]
    kinds = Counter(call_kind(r) for r in today)
    topics = Counter(call_topic(r) or "none" for r in today)
    waiting = [r.get("call_id") for r in today if call_kind(r) in ("handed_off", "interpretation")
               and not r.get("taken")]
    common = topics.most_common(10)
    titles = topic_titles(kb, [entry for entry, _ in common if entry != "none"])
    return {"total": len(today), "kinds": dict(kinds), "topics": dict(common),
            "topic_list": [{"entry": entry, "count": n, "title": titles.get(entry)} for entry, n in common],
            "answered_by_bot": kinds.get("answered", 0),
            "handed_off": kinds.get("handed_off", 0) + kinds.get("interpretation", 0), "waiting": waiting}


def stations(engine, now: datetime) -> dict:
    """Stations (SensorThings Things with datastreams) and which of them sent a reading in the past hour."""
    from civic_services.iot.tables import Datastream, Observation, Thing

    since = now - SILENT_AFTER
    with engine.connect() as connection:
        every = connection.execute(select(Thing.id, Thing.name, Thing.district)
                                   .where(Thing.id.in_(select(Datastream.thing_id)))).all()
        reporting = set(connection.execute(
            select(Datastream.thing_id).join(Observation, Observation.datastream_id == Datastream.id)
            .where(Observation.phenomenon_time >= since).group_by(Datastream.thing_id)
            .having(func.count() > 0)).scalars())
    silent = [{"name": name, "district": district} for ident, name, district in every if ident not in reporting]
    return {"total": len(every), "reporting": len(reporting), "silent": len(silent), "silent_names": silent[:20]}


# the sensor layers beside the fine-dust grades: each district's mean of its stations' readings of the past hour
LAYER_METRICS = ("noise", "temperature")


def sensor_layers(iot) -> dict:
    """Each district's latest noise and temperature (None where no station reported in the past hour)."""
    from civic_services.tools.wording import unit

    layers = {}
    for metric in LAYER_METRICS:
        compared = iot.analytics.compare(metric)
        layers[metric] = {"unit": compared["unit"], "unit_shown": {lang: unit(compared["unit"], lang) for lang in
                                                                   ("ko", "en")},
                          "districts": {r["district"]: r["value"] for r in compared["districts"]}}
    return layers


def summary(complaints, iot, engine, calls, now: datetime | None = None, kb=None) -> dict:
    """Everything the dashboard shows, with a ``version`` that changes when anything shown changes; ``kb`` (the
    knowledge base, when loaded) names the calls' topics."""
    now = now or datetime.now(timezone.utc)
    figures = complaints.overview()
    air = iot.analytics.air_quality_alerts("all")
    layers = sensor_layers(iot)
    sensors = stations(engine, now)
    today = calls_today(calls.recent(500), now, kb)
    alerts = []
    for entry in air["alerts"]:
        alerts.append({"kind": "fine_dust", "district": entry["district"], "district_ko": entry["district_ko"],
                       "grade": entry["grade"]})
    if sensors["silent"]:
        alerts.append({"kind": "stations_silent", "count": sensors["silent"],
                       "names": [s["name"] for s in sensors["silent_names"][:5]]})
    if figures["overdue"]:
        alerts.append({"kind": "overdue", "count": figures["overdue"],
                       "tickets": [o["service_request_id"] for o in figures["overdue_oldest"][:5]]})
    if today["waiting"]:
        alerts.append({"kind": "calls_waiting", "count": len(today["waiting"])})
    body = {"complaints": figures, "air": {"districts": air["districts"], "as_of": air["as_of"]},
            "sensors": layers, "stations": sensors, "calls": today, "alerts": alerts}
    shown = json.dumps({k: v for k, v in body.items() if k != "air"} | {"air": air["districts"]},
                       sort_keys=True, default=str)
    shown = shown.replace(figures["as_of"] or "", "")
    body["version"] = hashlib.sha256(shown.encode()).hexdigest()[:16]
    body["as_of"] = now.astimezone(KST).isoformat(timespec="seconds")
    body["generated"] = time.time()
    return body


class SummaryCache:
    """The summary computed at most once per ``ttl_s`` however many dashboards are open (each stream asks every few
    seconds; a figure a second old is as good)."""

    def __init__(self, ttl_s: float = 1.0):
        self.ttl_s = ttl_s
        self._lock = threading.Lock()
        self._at = 0.0
        self._body: dict | None = None

    def get(self, compute) -> dict:
        with self._lock:
            if self._body is None or time.monotonic() - self._at >= self.ttl_s:
                self._body = compute()
                self._at = time.monotonic()
            return self._body
