"""HTTP faces of the tool registry: ``GET /tools`` (OpenAI function-calling format) and the Rasa action server
(``POST /webhook``, ``GET /actions``, ``GET /health``). The registry and the services its handlers call are the
running process's parts ``tools`` and ``tool_services`` (:mod:`webapi.deps`)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Annotated, Any, Literal

import anyio
from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import JSONResponse

from civic_services.tools import rasa_actions
from civic_services.tools.registry import ToolRegistry
from webapi.access import PUBLIC
from webapi.deps import part
from webapi.errors import public_text
from webapi.limits import body_limit, inflate

router = APIRouter(tags=["tools"])

RegistryDep = Annotated[ToolRegistry, Depends(part("tools"))]
ServicesDep = Annotated[Mapping[str, Any], Depends(part("tool_services"))]


@router.get("/tools", dependencies=[PUBLIC], summary="The assistant's tools in OpenAI function-calling format")
def openai_tools(
    registry: RegistryDep,
    lang: Literal["en", "ko"] = Query("en", description="Language of the descriptions."),
    role: Literal["citizen", "verified_voter", "staff"] | None = Query(
        None, description="Only the tools this role may call (default: every tool)."),
) -> list[dict]:
    return registry.openai_tools(lang=lang, role=role)


@router.post("/webhook", dependencies=[PUBLIC], summary="Rasa action server: run a custom action (a tool) on a tracker",
             responses={400: {"description": "Action execution rejected (a required slot is empty)"},
                        404: {"description": "No registered action of that name"}})
async def rasa_webhook(request: Request, registry: RegistryDep, services: ServicesDep) -> JSONResponse:
    try:  # the body as sent and once decompressed (deflate, as rasa_sdk accepts) within the same limit
        raw = inflate(await request.body(), request.headers.get("content-encoding"), body_limit(request))
        payload = json.loads(raw)
    except HTTPException as exc:
        return JSONResponse({"error": public_text(exc.detail), "action_name": None}, status_code=exc.status_code)
    except ValueError as exc:
        return JSONResponse({"error": f"the body is not JSON: {public_text(exc)}", "action_name": None},
                            status_code=400)
    # Tool handlers are synchronous and reach the database: a worker thread, not the event loop.
    answer = await anyio.to_thread.run_sync(rasa_actions.run_action, registry, services, payload)
    return JSONResponse(answer.body, status_code=answer.status)


@router.get("/actions", dependencies=[PUBLIC], summary="Rasa action server: the custom actions served here")
def rasa_actions_list(registry: RegistryDep) -> list[dict]:
    return rasa_actions.list_actions(registry)


@router.get("/health", dependencies=[PUBLIC], summary="Rasa action server: health check")
def rasa_health() -> dict:
    return {"status": "ok"}
