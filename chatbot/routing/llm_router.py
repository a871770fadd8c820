"""The router with the local LLM, used where it helps: the lexical cues and the nearest examples
(:class:`~chatbot.routing.nlu.NluRouter`) rank the tools; when the first two are close, the LLM chooses among the
best few; when a required slot is still empty after the gazetteers, the LLM reads that slot alone.

Both completions are short and grammar-constrained: the choice is one of the candidates' names (a few
tokens), a slot is a JSON object with just the missing properties of the chosen tool's schema. The system prompt
is identical for every request, so llama.cpp keeps its KV cache and only the request itself is read each time.
Values the LLM writes are kept only where they can be checked: enumerations (a metric, a category) and text the
request contains (an address, a vote's label); districts, periods and ids come from the text alone.
"""

from __future__ import annotations

import json
import logging
import time

from chatbot.routing.base import ToolCall
from chatbot.routing.nlu import NluRouter, is_question, lexical_scores
from retrieval_index.text import analyze

log = logging.getLogger("dasan.routing")

# the tools in a line each, for the choice; written for a 1.5B model (short, concrete, both languages)
_TOOLS = {
    "submit_complaint": "report a street problem at a place (pothole, broken streetlight, illegal parking, "
                        "dumped rubbish, graffiti, ...) / 민원 신고",
    "complaint_status": "the status of a filed report with a ticket id SR-YYYY-NNNNNN / 민원 처리 상태",
    "list_polls": "list mVoting polls (open, closed, all) / 투표 목록",
    "cast_vote": "vote for an option in a poll MV-NNNN / 투표하기",
    "poll_results": "the results of a poll MV-NNNN / 투표 결과",
    "search_datasets": "find datasets in the open-data plaza, or list them / 데이터셋 검색",
    "query_dataset": "a number from a dataset: how many, total, top N, per district / 데이터 집계",
    "sensor_latest": "a live sensor reading now: fine dust, temperature, humidity, noise, wind, UV, "
                     "floating population / 현재 측정값",
    "sensor_history": "sensor readings over a past period, trends, comparisons / 기간별 측정 추이",
    "air_quality_alerts": "fine-dust alerts and warnings / 미세먼지 경보",
    "none": "a question about rules, fees, how to do something, or anything else / 일반 문의",
}
SYSTEM = ("You route requests to the city of Seoul's service tools. Tools:\n"
          + "\n".join(f"- {name}: {about}" for name, about in _TOOLS.items())
          + "\nA question about how something works, what it costs or where to go is none, even if it names a "
            "tool's subject. Reply with JSON only.")
_SLOT_FROM_TEXT = ("location", "choice", "query", "description")  # free text: kept only if the request contains it
_SLOT_FROM_ENUM = ("metric", "category", "status", "dataset")  # an enumeration the schema checks
# a tool is taken without the LLM when it leads the next by this much (chosen on the tuning split, docs/tools.md)
DECIDE_MARGIN = 0.03
CANDIDATES = 3


def _grounded(value, text: str) -> bool:
    """Does the request contain this free-text value (most of its words)?"""
    if isinstance(value, dict):
        return all(_grounded(v, text) for v in value.values() if isinstance(v, str))
    if not isinstance(value, str) or not value.strip():
        return False
    words = set(analyze(value))
    return bool(words) and len(words & set(analyze(text))) >= max(1, (len(words) + 1) // 2)


class LlmRouter:
    name = "llm"

    def __init__(self, llm, registry, tools: list[str] | None = None, embedder=None, none_examples=(),
                 decide_margin: float | None = None, cache_dir=None):
        self.llm = llm
        self.registry = registry
        self.tools = tools or [n for n in registry.names() if n != "search_faq"]
        self.ranker = NluRouter(embedder, none_examples, cache_dir=cache_dir)
        self.decide_margin = DECIDE_MARGIN if decide_margin is None else decide_margin
        if embedder is None and decide_margin is None:
            self.decide_margin = 0.2  # lexical scores alone are coarser: ask the LLM more often
        self.calls = 0  # completions made, for the evaluation's report

    def warm_up(self) -> None:
        self.ranker.warm_up()
        if hasattr(self.llm, "warm_up"):
            self.llm.warm_up()

    def route(self, text: str, lang: str | None = None) -> ToolCall:
        cues = lexical_scores(text)
        vector = self.ranker.vector(text, cues)
        if self.ranker.intents is not None and vector is None:
            return ToolCall(None, {}, 0.0)  # nothing points to a tool: the knowledge base answers, no LLM call
        ranked = [(t, s) for t, s in self.ranker.rank(text, vector, cues) if t in self.tools or t == "none"]
        (best, first), (runner_up, second) = ranked[0], ranked[1]
        tool = best
        close = first - second < self.decide_margin
        if close and best != "none" and runner_up != "none":
            # two tools close together: the LLM reads the request and chooses between the tools. Between a tool
            # and "none" the ranking stands: on the examples the LLM took how-to questions for tool requests
            tool = self._choose(text, [t for t, _ in ranked[:CANDIDATES] if t != "none"]) or best
        if tool == "none":
            return ToolCall(None, {}, 0.0)
        call = self.ranker.fill(tool, text, 0.8 if close else 0.9, vector)
        if call.missing and is_question(text) and not any(call.arguments.get(k) for k in ("ticket_id", "poll_id")):
            return ToolCall(None, {}, 0.0)  # "where can I check ...", with nothing to act on: a question
        if call.missing:
            call = self._fill_missing(call, text)
        return call

    # ------------------------------------------------------------------ the two completions
    def _complete(self, user: str, schema: dict, max_tokens: int):
        started = time.perf_counter()
        self.calls += 1
        try:
            reply = self.llm.chat([{"role": "system", "content": SYSTEM}, {"role": "user", "content": user}],
                                  max_tokens=max_tokens, json_schema=schema)
            data = json.loads(reply)
        except Exception as exc:  # a malformed or failed completion leaves the lexical decision standing
            log.warning("LLM routing failed: %s", exc)
            return None
        finally:
            log.debug("LLM routing took %.0f ms", (time.perf_counter() - started) * 1000)
        return data

    def _choose(self, text: str, candidates: list[str]) -> str | None:
        schema = {"type": "string", "enum": candidates}  # the name alone: a few tokens
        chosen = self._complete(f"Request: {text}\nChoose one of: {', '.join(candidates)}", schema, 12)
        return chosen if chosen in candidates else None

    def _fill_missing(self, call: ToolCall, text: str) -> ToolCall:
        properties = self.registry.get(call.tool).parameters.get("properties", {})
        wanted = [k for k in call.missing if k in properties and k in _SLOT_FROM_TEXT + _SLOT_FROM_ENUM]
        if not wanted:
            return call
        schema = {"type": "object", "properties": {k: _plain(properties[k]) for k in wanted}, "required": wanted}
        data = self._complete(f"Request: {text}\nTool: {call.tool}. Give {', '.join(wanted)} from the request.",
                              schema, 80)
        if not isinstance(data, dict):
            return call
        arguments = dict(call.arguments)
        for key in wanted:
            value = data.get(key)
            if value is None or (key in _SLOT_FROM_TEXT and not _grounded(value, text)):
                continue
            trial = {**arguments, key: value}
            if not any(p.split(":")[0].split(".")[0] == key for p in self.registry.errors(call.tool, trial)):
                arguments = trial
        required = self.registry.get(call.tool).parameters.get("required", [])
        return ToolCall(call.tool, arguments, call.confidence, tuple(k for k in required if k not in arguments))


_GRAMMAR_UNSAFE = {"minLength", "maxLength", "minItems", "maxItems", "pattern", "minimum", "maximum", "description"}


def _plain(schema):
    """The schema without length, range and pattern limits, which blow up llama.cpp's grammar; the registry
    validates the arguments afterwards anyway."""
    if isinstance(schema, dict):
        return {k: _plain(v) for k, v in schema.items() if k not in _GRAMMAR_UNSAFE}
    if isinstance(schema, list):
        return [_plain(v) for v in schema]
    return schema
