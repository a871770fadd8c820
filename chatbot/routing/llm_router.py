"""The router with the local LLM: one grammar-constrained completion whose JSON must match one tool's schema.

The schema is the union of every tool's argument schema (plus "none" for requests that are not tool calls), so
the output is always a valid call; the system prompt, identical for every request, stays in llama.cpp's cache.
"""

from __future__ import annotations

import json
import logging

from chatbot.routing.base import ToolCall
from chatbot.routing.lexicon import DATASETS

log = logging.getLogger("dasan.routing")

_RULES = (
    "Arguments: districts are English names such as Mapo-gu (a list for comparisons); periods are one of "
    "last_24h, yesterday, today, last_7d (the past seven days, 최근 일주일), last_week (the previous calendar week, "
    "지난주), last_month, last_30d (지난 한 달), this_year, last_year; ticket ids SR-YYYY-NNNNNN; poll ids MV-NNNN; "
    "a vote choice is the label the user gave or the option number as a string; a complaint location is "
    "{\"address\": the address as the user said it, with its district} or {\"lat\", \"lon\"}; media_count is the "
    "number of photos the user says they attached (0 if none); search queries are short keywords in the user's "
    "language. If the request is a general question about city rules or services, answer with tool \"none\". "
    "Use search_datasets when the user looks for data or asks whether a dataset exists (검색, 데이터 있나요, is there "
    "data on); use query_dataset when they ask for a number from a dataset (몇 개, 건수, how many, top N, 합계). "
    "Live measurements (fine dust, temperature, humidity, noise, light, wind, UV, vibration, floating population "
    "유동인구) are sensor_latest (now) or sensor_history (over a period), never query_dataset."
)
_EXAMPLES = (
    ("종로구 세종대로 175 앞 보도블록이 깨져 있어요 사진 한 장 보냅니다",
     {"tool": "submit_complaint", "arguments": {"category": "broken_sidewalk", "description": "보도블록 파손",
                                                "location": {"address": "서울 종로구 세종대로 175 앞"},
                                                "media_count": 1}}),
    ("someone dumped a pile of trash bags at 37.5512, 126.9882, near Namsan",
     {"tool": "submit_complaint", "arguments": {"category": "illegal_dumping", "description": "Pile of dumped trash bags",
                                                "location": {"lat": 37.5512, "lon": 126.9882}, "media_count": 0}}),
    ("what's the noise level in Nowon right now",
     {"tool": "sensor_latest", "arguments": {"metric": "noise", "district": "Nowon-gu"}}),
    ("지난주 송파구랑 강동구 미세먼지 비교해 줘",
     {"tool": "sensor_history", "arguments": {"metric": "pm10", "district": ["Songpa-gu", "Gangdong-gu"],
                                              "period": "last_week"}}),
    ("엠보팅 2041번 결과 알려줘", {"tool": "poll_results", "arguments": {"poll_id": "MV-2041"}}),
    ("중구 전기차 충전소 몇 개야", {"tool": "query_dataset", "arguments": {
        "dataset": "ev_chargers", "filters": {"district": "Jung-gu"}, "aggregate": {"op": "count"}}}),
    ("how do I apply for a resident parking permit", {"tool": "none", "arguments": {}}),
    ("진행 중인 엠보팅 투표 보여 줘", {"tool": "list_polls", "arguments": {"status": "open"}}),
    ("any open data about parking lots?", {"tool": "search_datasets", "arguments": {"query": "parking lots"}}),
    ("노원구 도서관 개수", {"tool": "query_dataset", "arguments": {
        "dataset": "public_libraries", "filters": {"district": "Nowon-gu"}, "aggregate": {"op": "count"}}}),
    ("따릉이 대여 건수 구별 합계", {"tool": "query_dataset", "arguments": {
        "dataset": "ttareungyi_rentals", "filters": {}, "aggregate": {"op": "sum", "field": "rentals",
                                                                      "group_by": "district"}}}),
)


_GRAMMAR_UNSAFE = {"minLength", "maxLength", "minItems", "maxItems", "pattern", "minimum", "maximum", "description"}


def grammar_friendly(schema):
    """The schema without length, range and pattern limits, which blow up llama.cpp's grammar; the registry
    validates the arguments afterwards anyway."""
    if isinstance(schema, dict):
        return {k: grammar_friendly(v) for k, v in schema.items() if k not in _GRAMMAR_UNSAFE}
    if isinstance(schema, list):
        return [grammar_friendly(v) for v in schema]
    return schema


def union_schema(registry, names: list[str]) -> dict:
    options = [{"type": "object",
                "properties": {"tool": {"const": name},
                               "arguments": grammar_friendly(registry.get(name).parameters)},
                "required": ["tool", "arguments"]} for name in names]
    options.append({"type": "object", "properties": {"tool": {"const": "none"},
                                                     "arguments": {"type": "object", "properties": {}}},
                    "required": ["tool", "arguments"]})
    return {"oneOf": options}


class LlmRouter:
    name = "llm"

    def __init__(self, llm, registry, tools: list[str] | None = None):
        self.llm = llm
        self.registry = registry
        self.tools = tools or [n for n in registry.names() if n != "search_faq"]
        self.schema = union_schema(registry, self.tools)
        listing = "\n".join(f"- {n}: {registry.get(n).description('en')}" for n in self.tools)
        examples = "\n".join(f"Request: {q}\nJSON: {json.dumps(a, ensure_ascii=False)}" for q, a in _EXAMPLES)
        datasets = ", ".join(DATASETS)
        self.system = (f"Datasets of the open-data plaza (query_dataset): {datasets}. Sensors (sensor_*) measure "
                       "live values only.\n"
                       "You route requests to the city of Seoul's service tools. Reply with JSON naming one tool "
                       f"and its arguments.\nTools:\n{listing}\n- none: not a request for one of these tools.\n"
                       f"{_RULES}\nExamples:\n{examples}")
        from chatbot.routing.nlu import NluRouter

        self._normaliser = NluRouter()

    def route(self, text: str, lang: str | None = None) -> ToolCall:
        messages = [{"role": "system", "content": self.system}, {"role": "user", "content": text}]
        try:
            reply = self.llm.chat(messages, max_tokens=200, json_schema=self.schema)
            data = json.loads(reply)
        except Exception as exc:  # a malformed or failed completion is "no tool", not an error for the citizen
            log.warning("LLM routing failed: %s", exc)
            return ToolCall(None, {}, 0.0)
        tool = data.get("tool")
        if tool not in self.tools:
            return ToolCall(None, {}, 0.5)
        arguments = data.get("arguments") or {}
        # Slot values the gazetteers and normalisers read off the text (districts, ids, periods, addresses) are
        # more reliable than a small model's; they win where both name the same tool.
        lexical = self._normaliser.route(text, lang)
        if lexical.tool == tool:
            arguments = {**arguments, **lexical.arguments}
        invalid = {problem.split(":")[0].split(".")[0] for problem in self.registry.errors(tool, arguments)}
        arguments = {k: v for k, v in arguments.items() if k not in invalid}
        required = self.registry.get(tool).parameters.get("required", [])
        missing = tuple(k for k in required if k not in arguments)
        return ToolCall(tool, arguments, 0.8, missing)
