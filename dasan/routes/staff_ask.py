"""Staff questions in plain language (issue 15): the 120 assistant in staff mode on a console page.

* ``GET /staff/ask``: the page (any staff role).
* ``POST /staff/ask``: one question (JSON ``{message, session_id?, lang?}``, the session's CSRF token on a browser's
  request). The assistant answers with the staff role, so the staff's tools (the complaint figures) run and a
  citizen's limits do not apply; the reply carries what the chat API's does, plus the data behind a chart
  (``series`` and ``chart``), the table's column names in the page's language, and ``map`` when the figures are
  per district (the page draws them as a choropleth).

The assistant and its tools decide everything; this module only passes the signed-in person's role and shapes the
reply for the page.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, Field

from chatbot.assistant import MAX_MESSAGE_CHARS
from civic_services.tools import wording
from dasan.routes.staff_chrome import StaffPerson, staff_page
from dasan.routes.staff_console_text import ASK
from webapi.deps import part

router = APIRouter(include_in_schema=False)
Lang = Annotated[str | None, Query(max_length=5, description="ko or en")]
TOOL_ROLE = "staff"  # every staff role asks with the tools' staff role


class StaffQuestion(BaseModel):
    message: str = Field(min_length=1, max_length=MAX_MESSAGE_CHARS)
    session_id: str | None = Field(None, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")
    lang: Literal["ko", "en"] | None = None


def shaped(reply: dict, lang: str) -> dict:
    """The reply for the page: the chat reply's fields (the table's column names among them) and the map of
    per-district figures (which column holds the value, its name, the title) when there is one."""
    out = {k: reply[k] for k in ("session_id", "answer", "lang", "handoff", "decline", "tool", "tool_arguments",
                                 "awaiting", "table", "chart_svg", "series", "chart", "citations", "confidence")}
    out["columns"] = reply.get("columns") or {}  # named by the tool dialogue (chatbot.tool_dialogue.table_columns)
    chart = reply.get("chart")
    out["map"] = None
    if chart and chart.get("x") == "district" and reply.get("series"):
        out["map"] = {"value": chart["y"], "label": chart.get("y_label") or wording.column(chart["y"], lang),
                      "title": chart.get("title", "")}
    return out


@router.get("/staff/ask", response_class=HTMLResponse)
def ask_page(request: Request, who: StaffPerson, lang: Lang = None) -> HTMLResponse:
    return staff_page(request, who, "ask.html", ASK, lang, "ask")


@router.post("/staff/ask")
async def ask(body: StaffQuestion, who: StaffPerson, assistant=Depends(part("assistant"))) -> dict:
    try:
        reply = await run_in_threadpool(assistant.reply, body.message, body.session_id, body.lang, TOOL_ROLE)
    except ValueError as exc:
        raise HTTPException(400, str(exc)) from None
    return shaped(reply.to_dict(), reply.lang)
