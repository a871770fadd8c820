"""The assistant's ``search_city`` tool: the one search (:mod:`dasan.search`) over the public sources (knowledge
base, datasets, stations, complaints' public fields). A tool call carries a role (citizen or staff) but no person,
so meetings, which belong to a department, are never searched through it; the routers have no cue for it (it is
listed for MCP and OpenAI-style callers, who choose it by name)."""

from __future__ import annotations

from types import SimpleNamespace

from civic_services.tools.registry import ToolContext, ToolResult, tool
from dasan.search import search
from webapi.access import ANONYMOUS

PUBLIC_KINDS = ("kb", "dataset", "station", "complaint")


@tool("search_city", service="opendata",
      en="Search the city's systems at once: knowledge base, open datasets, sensor stations, complaints.",
      ko="지식베이스, 공공데이터, 측정소, 민원을 한 번에 검색합니다.",
      parameters={"type": "object", "properties": {"query": {"type": "string", "minLength": 1, "maxLength": 500}},
                  "required": ["query"], "additionalProperties": False})
def search_city(args: dict, ctx: ToolContext) -> ToolResult:
    services = ctx.services
    parts = SimpleNamespace(assistant=services.get("assistant"), opendata=services.get("opendata"),
                            iot=services.get("iot"), complaints=services.get("complaints"), minutes=None)
    kinds = tuple(k for k in PUBLIC_KINDS if k == "kb" and parts.assistant is not None
                  or k != "kb" and getattr(parts, {"dataset": "opendata", "station": "iot",
                                                   "complaint": "complaints"}[k]) is not None)
    lang = "ko" if ctx.lang == "ko" else "en"
    found = search(parts, args["query"], ANONYMOUS, lang, 5, kinds)
    rows = [{"kind": h["kind"], "title": h["title"], "link": h["link"]} for h in found["hits"][:10]]
    if not rows:
        return ToolResult("찾은 결과가 없습니다." if lang == "ko" else "Nothing found.", found, rows)
    named = "; ".join(f"{r['title']} ({r['link']})" for r in rows[:5])
    text = (f"{found['count']}건을 찾았습니다: {named}" if lang == "ko"
            else f"Found {found['count']} result{'s' if found['count'] != 1 else ''}: {named}")
    return ToolResult(text, found, rows)


TOOLS = (search_city,)
