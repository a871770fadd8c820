"""The assistant's tools over mVoting: list polls, cast a verified voter's vote, and show a poll's results.

Answers are sentences in the request's language: poll titles in that language, statuses and closing times in
words (Seoul time), each option's votes and share."""

from __future__ import annotations

from civic_services.tools import wording as w
from civic_services.tools.registry import ChartSpec, ToolContext, ToolError, ToolResult, tool

POLL_ID = {"type": "string", "pattern": "^MV-[0-9]{4}$", "description": "poll id such as MV-1187"}


def _title(poll: dict, lang: str) -> str:
    return poll["title"] if lang == "ko" else (poll.get("title_en") or poll["title"])


@tool("list_polls", service="voting",
      en="List mVoting polls: open, closed or all.", ko="엠보팅 투표 목록(진행 중, 종료, 전체)을 보여 줍니다.",
      parameters={"type": "object", "properties": {"status": {"type": "string", "enum": ["open", "closed", "all"]}},
                  "required": ["status"], "additionalProperties": False})
def list_polls(args: dict, ctx: ToolContext) -> ToolResult:
    polls = ctx.services["voting"].list_polls(args["status"])
    lang = w.lang_of(ctx.lang)
    rows = [{"id": p["id"], "title": _title(p, lang), "status": p["status"], "closes_at": p["closes_at"]}
            for p in polls]
    which = w.POLL_STATUS[lang][args["status"]]
    if not rows:
        text = f"{which} 투표가 없습니다." if lang == "ko" else f"There are no {which} polls."
        return ToolResult(text, polls, rows)
    shown = [f"{r['id']} {r['title']} ({w.seoul_time(r['closes_at'], lang)} "
             f"{'마감' if lang == 'ko' else 'closing'})" if r["status"] == "open" else f"{r['id']} {r['title']}"
             for r in rows[:5]]
    more = len(rows) - len(shown)
    if lang == "ko":
        text = f"{which} 투표 {len(rows)}건: " + ", ".join(shown) + (f" 외 {more}건" if more else "")
    else:
        text = (f"{len(rows)} {which} poll{'s' if len(rows) != 1 else ''}: " if args["status"] != "all" else
                f"{len(rows)} poll{'s' if len(rows) != 1 else ''}: ") + "; ".join(shown) + (
            f"; and {more} more" if more else "")
    return ToolResult(text, polls, rows)


def confirm_vote(args: dict, lang: str) -> str:
    if lang == "ko":
        return f"{args['poll_id']} 투표에 '{args['choice']}'(으)로 투표할까요?"
    return f"Shall I cast your vote for '{args['choice']}' in {args['poll_id']}?"


@tool("cast_vote", service="voting", role="verified_voter", writes=True, confirm=confirm_vote,
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
    lang = w.lang_of(ctx.lang)
    options = results.get("options") or []
    rows = [{"label": o["label"] if lang == "ko" else (o.get("label_en") or o["label"]), "votes": o["votes"],
             "percent": o["percent"]} for o in options]
    ballots = results.get("ballots", sum(r["votes"] for r in rows))
    counted = ", ".join(f"{r['label']} {r['votes']:,}{'표' if lang == 'ko' else ' votes' if r['votes'] != 1 else ' vote'}"
                        f" ({w.number(r['percent'], lang)}%)" for r in rows)
    if lang == "ko":
        text = f"{args['poll_id']} {'최종 ' if results.get('final') else '현재까지 '}결과(투표 {ballots:,}표): {counted}"
    else:
        text = (f"{'Final' if results.get('final') else 'Results so far'} of {args['poll_id']} "
                f"({ballots:,} ballot{'s' if ballots != 1 else ''}): {counted}")
    chart = ChartSpec(title=(f"{args['poll_id']} 선택지별 득표" if lang == "ko" else f"Votes per option, {args['poll_id']}"),
                      x="label", y="votes", x_label=w.column("label", lang), y_label=w.column("votes", lang))
    return ToolResult(text, results, rows, series=rows if len(rows) >= 2 else None, chart=chart)


TOOLS = (list_polls, cast_vote, poll_results)
