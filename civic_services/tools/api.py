"""HTTP faces of the tool registry: ``GET /tools`` (OpenAI function-calling format) and the Rasa action server
(``POST /webhook``, ``GET /actions``, ``GET /health``). The registry is ``app.state.tools``; the services the
handlers call come from :func:`dasan.tools_wiring.tool_services` (the app's state)."""

from __future__ import annotations

import json
import zlib
from typing import Literal

import anyio
from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse

from civic_services.tools import rasa_actions

router = APIRouter(tags=["tools"])


def _registry(request: Request):
    return request.app.state.tools


def _services(request: Request):
    from dasan.tools_wiring import tool_services

    return tool_services(request.app.state)


@router.get("/tools", summary="The assistant's tools in OpenAI function-calling format")
def openai_tools(
    request: Request,
    lang: Literal["en", "ko"] = Query("en", description="Language of the descriptions."),
    role: Literal["citizen", "verified_voter", "staff"] | None = Query(
        None, description="Only the tools this role may call (default: every tool)."),
) -> list[dict]:
    return _registry(request).openai_tools(lang=lang, role=role)


@router.post("/webhook", summary="Rasa action server: run a custom action (a tool) on a tracker",
             responses={400: {"description": "Action execution rejected (a required slot is empty)"},
                        404: {"description": "No registered action of that name"}})
async def rasa_webhook(request: Request) -> JSONResponse:
    raw = await request.body()
    try:
        if request.headers.get("content-encoding", "").lower() == "deflate":  # as rasa_sdk accepts
            raw = zlib.decompress(raw)
        payload = json.loads(raw)
    except (ValueError, zlib.error) as exc:
        return JSONResponse({"error": f"the body is not JSON: {exc}", "action_name": None}, status_code=400)
    registry, services = _registry(request), _services(request)
    # Tool handlers are synchronous and reach the database: a worker thread, not the event loop.
    answer = await anyio.to_thread.run_sync(rasa_actions.run_action, registry, services, payload)
    return JSONResponse(answer.body, status_code=answer.status)


@router.get("/actions", summary="Rasa action server: the custom actions served here")
def rasa_actions_list(request: Request) -> list[dict]:
    return rasa_actions.list_actions(_registry(request))


@router.get("/health", summary="Rasa action server: health check")
def rasa_health() -> dict:
    return {"status": "ok"}
