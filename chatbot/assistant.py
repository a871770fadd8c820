"""The 120 assistant: one turn of a conversation, from a citizen's message to a grounded reply.

For each message it decides whether to answer from the knowledge base (with a citation), hand the citizen to a
120 agent (with a summary of the conversation for the agent), or politely decline. It never writes a fee, phone
number or rule of its own: answers are the curated text, or, with a local LLM, text composed only from the
retrieved passages whose every number must appear in them.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field, replace

from chatbot.confidence import Calibration, retrieval_features
from chatbot.followups import is_elliptic
from chatbot.kb import Entry, KnowledgeBase
from chatbot.messages import decline_message, handoff_message
from retrieval_index.privacy import mask_pii
from chatbot.scope import ROUTE_PLACE_TERMS, classify_scope, route_ends
from chatbot.sessions import Session, SessionStore, SharedSessionStore, Turn
from retrieval_index import HybridIndex
from retrieval_index.text import (analyze, detect_language, grounded, normalize, nouns, repair_spacing,
                                  split_sentences)

log = logging.getLogger("dasan.chatbot")

MAX_MESSAGE_CHARS = 2000
_TRAILING_NUMBER = re.compile(r"\d[\d,.\-]*$")
SUMMARY_PHRASES = {
    "ko": {"asked": '[120 상담 이관] 시민의 문의: "{message}".', "earlier": "이전 질문 {count}건: {questions}.",
           "answered": "챗봇이 안내한 항목: {entries}.", "reason": "이관 사유: {reason}.",
           "topic": "관련 추정 주제: {topic}, 신뢰도 {confidence:.2f}."},
    "en": {"asked": '[120 hand-off] The citizen asked: "{message}".', "earlier": "Earlier questions ({count}): {questions}.",
           "answered": "The assistant answered from {entries}.", "reason": "Reason for hand-off: {reason}.",
           "topic": "Likely topic: {topic}, confidence {confidence:.2f}."},
}


@dataclass(frozen=True)
class Citation:
    entry_id: str
    question: str
    department: str
    contact: str
    updated: str
    category: str


@dataclass(frozen=True)
class Reply:
    session_id: str
    answer: str
    lang: str
    citations: tuple[Citation, ...]
    handoff: bool
    decline: bool
    confidence: float
    ranked_ids: tuple[str, ...] = ()
    reason: str = ""
    handoff_summary: str | None = None
    composed_by: str = "curated"  # "curated" or "llm"
    timings_ms: dict = field(default_factory=dict)
    tool: str | None = None  # the civic tool this turn called or is preparing
    tool_arguments: dict | None = None
    awaiting: str | None = None  # "slot" or "confirm" while a tool call waits for the citizen
    table: list | None = None
    chart_svg: str | None = None
    series: list | None = None  # the chart's data as the tool gave it (a district choropleth, a download)
    chart: dict | None = None  # what the series shows: title, x, y, axis names, shown labels
    columns: dict | None = None  # the table's column keys -> their names in the reply's language

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class AssistantConfig:
    answer_threshold: float = 0.3  # below this confidence the assistant does not answer (see chatbot.confidence)
    nonsense_coverage: float = 0.4  # below this share of known terms, a low-confidence message is "not understood"
    candidates: int = 10
    compose_with_llm: bool = False
    llm_passages: int = 3
    rerank_with_llm: bool = False  # let the local LLM reorder the best few entries (slower; see README)


@dataclass(frozen=True)
class _Retrieval:
    query: str
    ranked_ids: tuple[str, ...]
    confidence: float
    coverage: float


@dataclass(frozen=True)
class _Decision:
    """What one turn will do: ``kind`` is answer, tool, handoff or decline (``reason`` says why for the last two;
    ``turn`` is the tool dialogue's turn for a tool)."""

    session: Session
    lang: str
    retrieval: _Retrieval
    kind: str
    reason: str = ""
    turn: object = None


class Assistant:
    def __init__(self, kb: KnowledgeBase, index: HybridIndex,
                 sessions: SessionStore | SharedSessionStore | None = None,
                 config: AssistantConfig = AssistantConfig(), calibration: Calibration = Calibration(), llm=None,
                 tools=None):
        self.kb = kb
        self.tools = tools  # a chatbot.tool_dialogue.ToolDialogue, or None for knowledge-base answers only
        self.index = index
        self.sessions = sessions if sessions is not None else SessionStore()
        self.config = config
        self.calibration = calibration
        self.llm = llm

    # ------------------------------------------------------------------ retrieval
    def _search(self, query: str, exclude: str | None = None) -> tuple[list, list[str], float]:
        """(hits, search terms, coverage) of ``query``: short forms written out, run-together Korean spaced,
        analysed once for the sparse side and the coverage. ``exclude`` leaves one entry out (for calibration)."""
        text = repair_spacing(normalize(query))
        terms = analyze(text)
        hits = self.index.search(text, k=self.config.candidates + (exclude is not None), terms=terms)
        if exclude is not None:
            hits = [h for h in hits if h.group != exclude][: self.config.candidates]
        return hits, terms, self.index.coverage(text, terms=terms)

    def confidence_features(self, query: str, exclude: str | None = None
                            ) -> tuple[str | None, tuple[str, ...], list[float], float]:
        """(best entry, ranked entries, the calibration's features of the best, coverage) for ``query``."""
        hits, terms, coverage = self._search(query, exclude)
        if not hits:
            return None, (), [], coverage
        shared = self.index.shared_terms(terms, hits[0].group)
        features = retrieval_features(hits, shared)
        return hits[0].group, tuple(h.group for h in hits), list(features), coverage

    def _retrieve(self, query: str) -> _Retrieval:
        best, ranked, features, coverage = self.confidence_features(query)
        if best is None:
            return _Retrieval(query, (), 0.0, coverage)
        confidence = self.calibration.probability_of(features)
        if self.config.rerank_with_llm and self.llm is not None:
            from retrieval_index.rerank import LlmReranker

            lang = detect_language(query)
            ranked = tuple(LlmReranker(self.llm).rerank(
                query, [(entry_id, self.kb.get(entry_id).question(lang)) for entry_id in ranked]))
        return _Retrieval(query, ranked, confidence, coverage)

    def _retrieve_in_context(self, message: str, session: Session) -> _Retrieval:
        """Search the message alone or, when it is elliptic (:mod:`chatbot.followups`: no topic of its own, and a
        cue, an anaphor or too few words to stand alone), together with the previous question; a message that
        names a topic of its own is always searched alone. Of an elliptic message, the conversation's reading is
        taken when it can be answered, else whichever reading is more confident."""
        previous = session.last_user_query()
        if previous is None or session.last_answer() is None or not is_elliptic(message, previous):
            return self._retrieve(message)
        combined = self._retrieve(f"{previous} {message}")
        if combined.confidence >= self.config.answer_threshold:
            return combined
        alone = self._retrieve(message)
        return combined if combined.confidence > alone.confidence else alone

    # ------------------------------------------------------------------ answers
    def _citation(self, entry: Entry, lang: str) -> Citation:
        department = entry.department_ko if lang == "ko" and entry.department_ko else entry.department
        return Citation(entry.id, entry.question(lang), department, entry.contact, entry.updated, entry.category)

    def _compose(self, entry_ids: tuple[str, ...], message: str, lang: str) -> Iterator[dict]:
        """Events of the answer: ``delta`` pieces, maybe a ``replace``, and last ``composed`` (text and author).

        Without an LLM the curated text comes as one piece per sentence. With one, its text is released as it is
        generated but held back at every number until the number is complete and found in the passages; a number
        that is not there withdraws the LLM's text (``replace``) in favour of the curated answer."""
        curated = self.kb.get(entry_ids[0]).answer(lang)
        if not (self.config.compose_with_llm and self.llm is not None):
            for sentence in split_sentences(curated):
                yield {"type": "delta", "text": sentence}
            yield {"type": "composed", "text": curated, "by": "curated"}
            return
        passages = [self.kb.get(i).answer(lang) for i in entry_ids[: self.config.llm_passages]]
        shown, pending, failed = "", "", False
        try:
            for piece in self._llm_stream(message, passages, lang):
                pending += piece
                trailing = _TRAILING_NUMBER.search(pending)
                cut = trailing.start() if trailing else len(pending)
                if not grounded(shown + pending[:cut], passages):
                    failed = True
                    break
                if cut:
                    yield {"type": "delta", "text": pending[:cut]}
                    shown, pending = shown + pending[:cut], pending[cut:]
            if not failed and pending:
                failed = not grounded(shown + pending, passages)
                if not failed:
                    yield {"type": "delta", "text": pending}
                    shown += pending
        except Exception as exc:  # a failing LLM never costs the citizen an answer
            log.warning("LLM composition failed, using the curated answer: %s", exc)
            failed = True
        if failed or not shown.strip():
            if shown:
                yield {"type": "replace", "text": curated}
            else:
                for sentence in split_sentences(curated):
                    yield {"type": "delta", "text": sentence}
            yield {"type": "composed", "text": curated, "by": "curated"}
        else:
            yield {"type": "composed", "text": shown.strip(), "by": "llm"}

    def _llm_stream(self, message: str, passages: list[str], lang: str) -> Iterator[str]:
        language = "Korean" if lang == "ko" else "English"
        context = "\n".join(f"[{n}] {p}" for n, p in enumerate(passages, start=1))
        messages = [
            {"role": "system", "content": (
                "You are Seoul's 120 Dasan call-center assistant. Answer the citizen's question using only the "
                f"passages below, in {language}, in at most three sentences. Copy every number, fee, date and phone "
                "number exactly as the passages write it; never add one. If the passages do not answer the question, "
                f"say so briefly.\n\nPassages:\n{context}")},
            {"role": "user", "content": message},
        ]
        yield from self.llm.stream_chat(messages, max_tokens=220)

    def _handoff_summary(self, session: Session, message: str, reason: str, retrieval: _Retrieval, lang: str) -> str:
        """One paragraph for the agent, in the conversation's language, with personal data masked."""
        phrases = SUMMARY_PHRASES["ko" if lang == "ko" else "en"]
        asked = [t.text for t in session.turns if t.role == "user"]
        answered = [t.entry_id for t in session.turns if t.role == "assistant" and t.entry_id]
        parts = [phrases["asked"].format(message=mask_pii(message))]
        if asked:
            parts.append(phrases["earlier"].format(count=len(asked), questions=" / ".join(f'"{q}"' for q in asked[-3:])))
        if answered:
            parts.append(phrases["answered"].format(entries=", ".join(answered[-3:])))
        parts.append(phrases["reason"].format(reason=reason))
        if retrieval.ranked_ids:
            entry = self.kb.get(retrieval.ranked_ids[0])
            parts.append(phrases["topic"].format(topic=f"{entry.id} ({entry.question(lang)}, {entry.department})",
                                                 confidence=retrieval.confidence))
        return " ".join(parts)

    # ------------------------------------------------------------------ one turn
    def _validate(self, message: str) -> str:
        if not isinstance(message, str) or not message.strip():
            raise ValueError("the message is empty")
        if len(message) > MAX_MESSAGE_CHARS:
            raise ValueError(f"the message is longer than {MAX_MESSAGE_CHARS} characters")
        return message.strip()

    def _decide(self, message: str, session_id: str | None, lang: str | None, role: str = "citizen",
                voter_key: str | None = None) -> _Decision:
        """What to do with the message: answer, tool, handoff or decline. The scope check comes first, so a
        declined message costs no search."""
        message = self._validate(message)
        if lang is not None and lang not in ("ko", "en"):
            raise ValueError("lang must be 'ko' or 'en'")
        session = self.sessions.get_or_create(session_id)
        lang = lang or detect_language(message)
        verdict = classify_scope(message)
        if verdict.kind == "decline":
            return _Decision(session, lang, _Retrieval(message, (), 0.0, 0.0), "decline", verdict.reason)
        retrieval = self._retrieve_in_context(message, session)
        if self.tools is not None:
            turn = self.tools.handle(session, message, lang, retrieval.confidence, role, voter_key)
            if turn is not None:
                return _Decision(session, lang, retrieval, "tool", turn=turn)
        if verdict.kind != "answer":
            return _Decision(session, lang, retrieval, verdict.kind, verdict.reason)
        if not retrieval.ranked_ids or retrieval.confidence < self.config.answer_threshold:
            if retrieval.coverage < self.config.nonsense_coverage:
                return _Decision(session, lang, retrieval, "decline", "not understood")
            return _Decision(session, lang, retrieval, "handoff", "no confident answer in the knowledge base")
        ends = route_ends(message)
        if ends and not all(self._names(retrieval.ranked_ids[0], place) for place in ends):
            return _Decision(session, lang, retrieval, "handoff", "a route between places the knowledge base "
                                                                  "does not cover")
        return _Decision(session, lang, retrieval, "answer")

    def _names(self, entry_id: str, place: str) -> bool:
        """Whether the entry's text names the place (every word of it but "station", "역" and the like)."""
        terms = [t for t in nouns(place) if t not in ROUTE_PLACE_TERMS]
        return not terms or self.index.shared_terms(terms, entry_id) == 1.0

    def reply(self, message: str, session_id: str | None = None, lang: str | None = None, role: str = "citizen",
              voter_key: str | None = None) -> Reply:
        started = time.perf_counter()
        decision = self._decide(message, session_id, lang, role, voter_key)
        decided = time.perf_counter()
        composed = None
        if decision.kind == "answer":
            events = self._compose(decision.retrieval.ranked_ids, message, decision.lang)
            final = [e for e in events if e["type"] == "composed"][-1]
            composed = (final["text"], final["by"])
        reply = self._finish(decision, message.strip(), composed)
        return replace(reply, timings_ms={"retrieve": round((decided - started) * 1000, 2),
                                          "total": round((time.perf_counter() - started) * 1000, 2)})

    def _finish(self, decision: _Decision, message: str, composed: tuple[str, str] | None = None) -> Reply:
        session, lang, retrieval, kind, reason, turn = (decision.session, decision.lang, decision.retrieval,
                                                        decision.kind, decision.reason, decision.turn)
        citations: tuple[Citation, ...] = ()
        summary = None
        composed_by = "curated"
        entry_id = None
        if kind == "tool":
            answer = turn.answer
        elif kind == "answer":
            answer, composed_by = composed
            entry_id = retrieval.ranked_ids[0]
            citations = (self._citation(self.kb.get(entry_id), lang),)
        elif kind == "handoff":
            answer = handoff_message(lang)
            summary = self._handoff_summary(session, message, reason, retrieval, lang)
        else:
            answer = decline_message(reason, lang)
        masked = mask_pii(message)
        self.sessions.append(session, Turn("user", masked, lang, query=mask_pii(retrieval.query)))
        self.sessions.append(session, Turn("assistant", answer, lang, entry_id=entry_id))
        self.sessions.save(session)  # shared state: written before the reply goes out
        log.info("session %s %s [%s] conf=%.2f entry=%s message=%r", session.id[:8], kind, reason or "-",
                 retrieval.confidence, entry_id or "-", masked)
        reply = Reply(session.id, answer, lang, citations, kind == "handoff", kind == "decline",
                      round(retrieval.confidence, 4), retrieval.ranked_ids, reason, summary, composed_by)
        if turn is not None:
            reply = replace(reply, tool=turn.tool, tool_arguments=turn.arguments, awaiting=turn.awaiting,
                            table=turn.table, chart_svg=turn.chart_svg, series=turn.series, chart=turn.chart,
                            columns=turn.columns, ranked_ids=())
        return reply

    def stream(self, message: str, session_id: str | None = None, lang: str | None = None, role: str = "citizen",
               voter_key: str | None = None) -> Iterator[dict]:
        """Events for a streaming client: ``delta`` pieces of the answer as they are ready (a ``replace`` when
        composed text is withdrawn), then ``reply``."""
        decision = self._decide(message, session_id, lang, role, voter_key)
        composed = None
        if decision.kind == "answer":
            for event in self._compose(decision.retrieval.ranked_ids, message, decision.lang):
                if event["type"] == "composed":
                    composed = (event["text"], event["by"])
                else:
                    yield event
        reply = self._finish(decision, message.strip(), composed)
        if decision.kind != "answer":
            for sentence in split_sentences(reply.answer):
                yield {"type": "delta", "text": sentence}
        yield {"type": "reply", "reply": reply.to_dict()}

