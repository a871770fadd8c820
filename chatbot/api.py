"""HTTP for the assistant: chat (whole replies and a server-sent-events stream) and knowledge-base entries."""

from __future__ import annotations

import json
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, HTTPException
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field, field_validator

from chatbot.assistant import MAX_MESSAGE_CHARS, Assistant
from webapi.access import PUBLIC
from webapi.deps import part
from webapi.errors import error_responses

# Errors outside validation are FastAPI's {"detail": "..."}: an unreadable body 400, one over the limit 413, the
# assistant still loading or turned off 503; an invalid field is the 422 list FastAPI documents.
router = APIRouter(tags=["chatbot"], responses=error_responses(400, 413, 503))


class ChatRequest(BaseModel):
    session_id: str | None = Field(None, max_length=64, pattern=r"^[A-Za-z0-9_-]+$",
                                   description="Continue this conversation; omit to start one.")
    message: str = Field(min_length=1, max_length=MAX_MESSAGE_CHARS)
    lang: Literal["ko", "en"] | None = Field(None, description="Reply language; detected from the message if omitted.")

    @field_validator("message")
    @classmethod
    def _not_blank(cls, message: str) -> str:
        """A message of only spaces is refused like any invalid field (the 422 list, not a bare sentence)."""
        if not message.strip():
            raise ValueError("the message is empty")
        return message


class CitationOut(BaseModel):
    entry_id: str
    question: str
    department: str
    contact: str
    updated: str
    category: str


class ChatResponse(BaseModel):
    session_id: str
    answer: str
    lang: str
    citations: list[CitationOut]
    handoff: bool
    decline: bool
    confidence: float
    reason: str = ""
    handoff_summary: str | None = None
    composed_by: str = "curated"
    tool: str | None = Field(None, description="The civic tool this turn called or is preparing.")
    tool_arguments: dict | None = None
    awaiting: Literal["slot", "confirm"] | None = Field(None, description="The tool call waits for a missing "
                                                        "detail or a yes/no confirmation.")
    table: list[dict] | None = None
    columns: dict[str, str] | None = Field(None, description="The table's column keys, in order, with their names "
                                           "in the reply's language (what a page shows as its headers).")
    chart_svg: str | None = Field(None, description="An SVG chart of the tool's result, when a chart is clearer.")


AssistantDep = Annotated[Assistant, Depends(part("assistant"))]


def _response(reply) -> ChatResponse:
    data = reply.to_dict()
    return ChatResponse(**{k: data[k] for k in ChatResponse.model_fields})


@router.post("/chat", dependencies=[PUBLIC], response_model=ChatResponse, summary="Ask the 120 assistant")
def chat(body: ChatRequest, assistant: AssistantDep) -> ChatResponse:
    return _response(assistant.reply(body.message, session_id=body.session_id, lang=body.lang))


@router.post("/chat/stream", summary="Ask the 120 assistant; the reply streams as server-sent events",
             response_class=StreamingResponse,
             responses={200: {"content": {"text/event-stream": {}},
                              "description": "`delta` events carry pieces of the answer, a `replace` event (rare) "
                                             "replaces what was shown, and a final `reply` event carries the whole "
                                             "reply as /chat returns it."}}, dependencies=[PUBLIC])
def chat_stream(body: ChatRequest, assistant: AssistantDep) -> StreamingResponse:
    events = assistant.stream(body.message, session_id=body.session_id, lang=body.lang)

    def encode():
        for event in events:
            payload = {"type": "reply", **_response_dict(event["reply"])} if event["type"] == "reply" else event
            yield f"event: {event['type']}\ndata: {json.dumps(payload, ensure_ascii=False)}\n\n"

    return StreamingResponse(encode(), media_type="text/event-stream",
                             headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})


def _response_dict(reply: dict) -> dict:
    return {k: reply[k] for k in ChatResponse.model_fields}


@router.get("/kb/{entry_id}", dependencies=[PUBLIC], summary="One knowledge-base entry, both languages",
            responses=error_responses(404))
def kb_entry(entry_id: str, assistant: AssistantDep) -> dict:
    if entry_id not in assistant.kb:
        raise HTTPException(status_code=404, detail=f"no knowledge-base entry {entry_id!r}")
    return assistant.kb.get(entry_id).model_dump()
