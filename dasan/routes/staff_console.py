"""The staff console's dashboard, complaint queue and calls (issue 15).

* ``GET /staff``: the dashboard (any staff role); ``GET /staff/dashboard/summary`` its figures as JSON and
  ``GET /staff/dashboard/stream`` the same as server-sent events (``event: summary`` when anything shown changed,
  a comment every ``every`` seconds otherwise; the stream ends after ten minutes and EventSource reconnects).
* ``GET /staff/complaints``: the queue (the scope ``complaints:read``; writes need ``complaints:write``), over the
  complaint service's staff endpoints (``/open311/v2/staff/...``).
* ``GET /staff/calls``: agents' calls (agent or admin); ``GET /staff/calls/recent`` the list as JSON,
  ``POST /staff/calls/{id}/take`` an agent takes over a handed-off call.
* ``GET /staff/console.js``: the pages' shared script.

The figures are computed by :mod:`dasan.console_summary`; this module only serves them.
"""

from __future__ import annotations

import asyncio
import json
import time
from importlib import resources
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, Response, StreamingResponse

from dasan import console_summary
from dasan.routes.staff_chrome import StaffPerson, staff_page
from dasan.routes.staff_console_text import CALLS, COMPLAINTS, DASHBOARD
from webapi.access import Principal, requires
from webapi.deps import get_part

router = APIRouter(include_in_schema=False)
Lang = Annotated[str | None, Query(max_length=5, description="ko or en")]
Agent = Annotated[Principal, Depends(requires("agent", "admin"))]
QueueReader = Annotated[Principal, Depends(requires(scope="complaints:read"))]
STREAM_S = 600  # one server-sent-events connection lasts this long; the browser reconnects


def _summary(request: Request) -> dict:
    """The dashboard's summary, shared by every open dashboard of this process for a second."""
    state = request.app.state
    if getattr(state, "summary_cache", None) is None:
        state.summary_cache = console_summary.SummaryCache(ttl_s=1.0)
    complaints = get_part(request, "complaints")
    assistant = getattr(state.runtime, "assistant", None)  # names the calls' topics when it is loaded
    return state.summary_cache.get(lambda: console_summary.summary(
        complaints, get_part(request, "iot"), complaints.engine, get_part(request, "calls"),
        kb=assistant.kb if assistant is not None else None))


@router.get("/staff", response_class=HTMLResponse)
def dashboard_page(request: Request, who: StaffPerson, lang: Lang = None,
                   every: Annotated[int, Query(ge=2, le=60, description="seconds between updates")] = 5) -> HTMLResponse:
    return staff_page(request, who, "dashboard.html", DASHBOARD, lang, "dashboard", {"every_s": every})


@router.get("/staff/dashboard/summary")
async def dashboard_summary(request: Request, who: StaffPerson) -> dict:
    return await run_in_threadpool(_summary, request)


@router.get("/staff/dashboard/stream")
async def dashboard_stream(request: Request, who: StaffPerson,
                           every: Annotated[int, Query(ge=2, le=60)] = 5) -> StreamingResponse:
    async def events():
        last, until = None, time.monotonic() + STREAM_S
        yield f"retry: {every * 1000}\n\n"
        while time.monotonic() < until and not await request.is_disconnected():
            try:
                body = await run_in_threadpool(_summary, request)
            except Exception as exc:  # noqa: BLE001  (the page says the live view paused, and why)
                yield f"event: problem\ndata: {json.dumps({'detail': str(exc)[:300]})}\n\n"
            else:
                if body["version"] != last:
                    last = body["version"]
                    yield f"event: summary\ndata: {json.dumps(body, ensure_ascii=False, default=str)}\n\n"
                else:
                    yield ": unchanged\n\n"
            await asyncio.sleep(every)

    return StreamingResponse(events(), media_type="text/event-stream",
                             headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})


@router.get("/staff/complaints", response_class=HTMLResponse)
def complaints_page(request: Request, who: QueueReader, lang: Lang = None) -> HTMLResponse:
    return staff_page(request, who, "complaints.html", COMPLAINTS, lang, "complaints",
                      {"may_write": who.may("complaints:write")})


@router.get("/staff/calls", response_class=HTMLResponse)
def calls_page(request: Request, who: Agent, lang: Lang = None) -> HTMLResponse:
    return staff_page(request, who, "calls.html", CALLS, lang, "calls", {"agent": who.actor})


@router.get("/staff/calls/recent")
async def recent_calls(request: Request, who: Agent,
                       limit: Annotated[int, Query(ge=1, le=500)] = 100) -> list[dict]:
    records = await run_in_threadpool(get_part(request, "calls").recent, limit)
    return [console_summary.call_row(r) for r in records]


@router.post("/staff/calls/{call_id}/take")
async def take_call(request: Request, who: Agent, call_id: Annotated[str, Path(max_length=100)]) -> dict:
    try:
        record = await run_in_threadpool(get_part(request, "calls").take_over, call_id, who.actor)
    except KeyError:
        raise HTTPException(404, f"no call {call_id!r}") from None
    except ValueError as exc:
        raise HTTPException(409, str(exc)) from None
    return console_summary.call_row(record)


@router.get("/staff/console.js")
def console_script(who: StaffPerson) -> Response:
    body = resources.files("dasan").joinpath("web/staff/console.js").read_bytes()
    return Response(body, media_type="text/javascript", headers={"Cache-Control": "no-cache"})
