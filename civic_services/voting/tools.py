"""The assistant's tools over mVoting: list polls, cast a verified voter's vote, and show a poll's results."""

from __future__ import annotations

from civic_services.tools.registry import ToolContext, ToolError, ToolResult, tool

POLL_ID = {"type": "string", "pattern": "^MV-[0-9]{4}$", "description": "poll id such as MV-1187"}


@tool("list_polls", service="voting",
      en="List mVoting polls: open, closed or all.", ko="엠보팅 투표 목록(진행 중, 종료, 전체)을 보여 줍니다.",
      parameters={"type": "object", "properties": {"status": {"type": "string", "enum": ["open", "closed", "all"]}},
                  "required": ["status"], "additionalProperties": False})
def list_polls(args: dict, ctx: ToolContext) -> ToolResult:
    polls = ctx.services["voting"].list_polls(args["status"])
    rows = [{"id": p["id"], "title": p["title"] if ctx.lang == "ko" else (p.get("title_en") or p["title"]),
             "status": p["status"], "closes_at": p["closes_at"]} for p in polls]
    text = (f"투표 {len(rows)}건" if ctx.lang == "ko" else f"{len(rows)} poll(s)") + (
        ": " + ", ".join(f"{r['id']} {r['title']}" for r in rows[:5]) if rows else "")
    return ToolResult(text, polls, rows)


@tool("cast_vote", service="voting", role="verified_voter", writes=True,
      en="Cast the verified voter's vote in a poll (MV-NNNN) for a choice (label or option number).",
      ko="본인 확인된 투표자가 투표(MV-NNNN)의 선택지(이름 또는 번호)에 투표합니다.",
      parameters={"type": "object", "properties": {"poll_id": POLL_ID, "choice": {"type": "string", "minLength": 1}},
                  "required": ["poll_id", "choice"], "additionalProperties": False})
def cast_vote(args: dict, ctx: ToolContext) -> ToolResult:
    if not ctx.voter_key:
        raise ToolError("voting needs a verified voter's credential")
    receipt = ctx.services["voting"].cast(args["poll_id"], ctx.voter_key, [args["choice"]])
    text = (f"{args['poll_id']} 투표가 기록되었습니다. 영수증의 투표 해시로 포함 여부를 확인할 수 있습니다." if ctx.lang == "ko"
            else f"Your vote in {args['poll_id']} is recorded; the receipt's ballot hash lets you check it is "
                 "included.")
    return ToolResult(text, receipt)


@tool("poll_results", service="voting",
      en="Show a poll's results (when the poll allows).", ko="투표 결과를 보여 줍니다(공개된 경우).",
      parameters={"type": "object", "properties": {"poll_id": POLL_ID}, "required": ["poll_id"],
                  "additionalProperties": False})
def poll_results(args: dict, ctx: ToolContext) -> ToolResult:
    results = ctx.services["voting"].results(args["poll_id"])
    rows = results.get("options") or results.get("tally") or []
    text = (f"{args['poll_id']} 결과" if ctx.lang == "ko" else f"Results of {args['poll_id']}") + (
        " (최종)" if ctx.lang == "ko" and results.get("final") else " (final)" if results.get("final") else "")
    return ToolResult(text, results, rows if isinstance(rows, list) else None)


TOOLS = (list_polls, cast_vote, poll_results)
