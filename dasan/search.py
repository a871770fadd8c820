"""One search over the city's systems (issue 15): the knowledge base, open datasets, sensor stations, complaints
(public fields for everyone, the originals for staff holding ``complaints:read``) and meetings (what was said, for
the officials who may see them: :mod:`minutes.access`). Framework-free: the route (:mod:`dasan.routes.search`) and
the assistant's tool (:mod:`dasan.search_tool`) call :func:`search`.

Ranking per source: the knowledge base and meetings use their hybrid retrieval indexes (dense e5 + BM25); datasets
the catalogue's own term-match ranking; stations and complaints a simple term overlap over their names and text.
Each hit: ``kind``, ``title``, ``snippet``, ``link`` (a page), ``score``.
"""

from __future__ import annotations

import logging
import re

from minutes.access import may_see
from webapi.access import Principal

log = logging.getLogger("dasan.search")
KINDS = ("kb", "dataset", "station", "complaint", "meeting")
_WORD = re.compile(r"\w+", re.U)


def _terms(text: str) -> set[str]:
    return {w.lower() for w in _WORD.findall(text or "") if len(w) > 1}


def _overlap(query: set[str], text: str) -> float:
    """Share of the query's terms found in ``text`` (Korean terms also inside words, as particles attach)."""
    if not query:
        return 0.0
    lowered = (text or "").lower()
    words = _terms(text)
    found = sum(1 for t in query if t in words or (not t.isascii() and t in lowered))
    return found / len(query)


def _snippet(text: str, n: int = 200) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= n else text[:n - 1] + "…"


def kb_hits(assistant, q: str, lang: str, k: int) -> list[dict]:
    if assistant is None:
        return []
    hits = []
    for hit in assistant.index.search(q, k=k):
        entry = assistant.kb.get(hit.group)
        hits.append({"kind": "kb", "title": entry.question(lang), "snippet": _snippet(entry.answer(lang)),
                     "link": f"/chat?q={entry.question(lang)}", "id": hit.group, "score": round(float(hit.score), 4)})
    return hits


def dataset_hits(opendata, q: str, lang: str, k: int) -> list[dict]:
    from civic_services.opendata.catalogue import SearchParams

    found = opendata.catalog.search(SearchParams(q=q, rows=k))
    terms = _terms(q)
    hits = []
    for d in found["results"]:
        title = (d.get("title_ko") if lang == "ko" else d.get("title_en")) or d.get("title") or d["name"]
        notes = (d.get("notes_ko") if lang == "ko" else d.get("notes_en")) or d.get("notes") or ""
        hits.append({"kind": "dataset", "title": title, "snippet": _snippet(notes), "link": f"/data/{d['name']}",
                     "id": d["name"], "score": round(max(_overlap(terms, f"{title} {notes}"), 0.1), 4)})
    return hits


def station_hits(iot, q: str, k: int) -> list[dict]:
    from sqlalchemy import select

    from civic_services.iot.tables import Thing

    terms = _terms(q)
    with iot.engine.connect() as connection:
        rows = connection.execute(select(Thing.id, Thing.name, Thing.description, Thing.district)).all()
    scored = [(_overlap(terms, f"{r.name} {r.description} {r.district or ''}"), r) for r in rows]
    scored = sorted((s for s in scored if s[0] > 0), key=lambda s: -s[0])[:k]
    return [{"kind": "station", "title": r.name, "snippet": _snippet(f"{r.district or ''} {r.description}"),
             "link": f"/air#{r.district or ''}", "id": str(r.id), "score": round(score, 4)} for score, r in scored]


def complaint_hits(complaints, q: str, k: int, staff: bool) -> list[dict]:
    from civic_services.complaints.views import ListQuery

    terms = _terms(q)
    records = complaints.list_public(ListQuery(page_size=1000), lambda media_id: f"/open311/media/{media_id}")
    scored = []
    for r in records:
        text = f"{r['service_request_id']} {r.get('service_name') or ''} {r.get('description') or ''} " \
               f"{r.get('address') or ''} {r.get('district') or ''}"
        score = 1.0 if r["service_request_id"].lower() in q.lower() else _overlap(terms, text)
        if score > 0:
            scored.append((score, r))
    scored.sort(key=lambda s: -s[0])
    hits = []
    for score, r in scored[:k]:
        ticket = r["service_request_id"]
        hits.append({"kind": "complaint", "title": f"{ticket} · {r.get('service_name') or ''}",
                     "snippet": _snippet(r.get("description") or ""), "id": ticket,
                     "link": f"/staff/complaints?ticket={ticket}" if staff else f"/complaints/{ticket}",
                     "score": round(score, 4)})
    return hits


def meeting_hits(minutes, q: str, who: Principal, k: int) -> list[dict]:
    if not who.acts_as("official"):
        return []
    among = None if who.role == "admin" else [m["id"] for m in minutes.store.list(100_000, lambda m: may_see(m, who))]
    if among is not None and not among:
        return []
    return [{"kind": "meeting", "title": h["title"], "snippet": _snippet(h["text"]), "id": h["meeting_id"],
             "link": f"/staff/meetings/{h['meeting_id']}#t={h['start']:.1f}", "start": h["start"],
             "score": h["score"]} for h in minutes.search(q, k, among)]


def search(parts, q: str, who: Principal, lang: str = "ko", k: int = 10, kinds=KINDS) -> dict:
    """Hits from every source ``who`` may see, best first within each source, interleaved by score.

    ``parts``: an object with the runtime's ``assistant``, ``opendata``, ``iot``, ``complaints``, ``minutes`` (any
    may be None). ValueError for an empty query. A source that fails is reported in ``unavailable``."""
    q = " ".join((q or "").split())[:500]
    if not q:
        raise ValueError("type something to search for")
    lang = "en" if lang == "en" else "ko"
    staff_complaints = not who.anonymous and who.may("complaints:read")
    sources = {
        "kb": lambda: kb_hits(getattr(parts, "assistant", None), q, lang, k),
        "dataset": lambda: dataset_hits(parts.opendata, q, lang, k),
        "station": lambda: station_hits(parts.iot, q, k),
        "complaint": lambda: complaint_hits(parts.complaints, q, k, staff_complaints),
        "meeting": lambda: meeting_hits(parts.minutes, q, who, k),
    }
    hits, unavailable = [], []
    for kind in kinds:
        if kind not in sources:
            continue
        try:
            hits.extend(sources[kind]())
        except Exception as exc:  # one source down must not take the search with it; say which
            log.warning("search: %s unavailable: %s", kind, exc)
            unavailable.append(kind)
    hits.sort(key=lambda h: -h["score"])
    return {"query": q, "count": len(hits), "hits": hits, "unavailable": unavailable,
            "searched": [kind for kind in kinds if kind in sources and kind not in unavailable
                         and (kind != "meeting" or who.acts_as("official"))]}


__all__ = ["KINDS", "search"]
