"""The assistant's own tool: the 120 knowledge base (``search_faq``), beside the civic services' tools."""

from __future__ import annotations

from civic_services.tools.registry import ToolContext, ToolResult, tool


@tool("search_faq", service="assistant",
      en="Search the 120 knowledge base for an answer.", ko="120 지식베이스에서 답을 찾습니다.",
      parameters={"type": "object", "properties": {"query": {"type": "string", "minLength": 1, "maxLength": 500}},
                  "required": ["query"], "additionalProperties": False})
def search_faq(args: dict, ctx: ToolContext) -> ToolResult:
    assistant = ctx.services["assistant"]
    hits = assistant.index.search(args["query"], k=3)
    rows = [{"entry_id": h.group, "question": assistant.kb.get(h.group).question(ctx.lang)} for h in hits]
    if not rows:
        return ToolResult("Nothing in the knowledge base matches.", [], rows)
    best = assistant.kb.get(rows[0]["entry_id"])
    return ToolResult(best.answer(ctx.lang), rows, rows)


TOOLS = (search_faq,)
