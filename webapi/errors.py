"""One error shell for the routes of an API, and the app's own handlers: whatever a route raises becomes a response
with a message a client can read, never a stack trace, never unbounded input echoed back, never a server path.
The mechanism is here and knows no domain; an API supplies only how its errors look (a function from a
:class:`Failure` to a response) and which of its own exceptions carry a status::

    router = APIRouter(route_class=error_route(render_ckan, service_errors=OpenDataError, invalid_status=409))

What becomes what in a shell: a body over the route's limit (:mod:`webapi.limits`, which enforces the
``body_max`` declared here) is 413; a service error is its own ``status`` and ``message``; a malformed request
(FastAPI's validation) is ``invalid_status`` with one problem per field; an ``HTTPException`` (a missing staff
token, a 503 while a part is loading) keeps its status and headers; a value the database cannot hold, or text with
a lone surrogate, is ``invalid_status``; a write that conflicts with stored data is 409; anything else is a 500
that says only its request id (the traceback is logged under it).

The app's handlers (registered by the composition root) do the same for the routes outside a shell:
:func:`validation_error` (FastAPI's 422, its ``input`` echo bounded and encodable), :func:`http_error` (FastAPI's
``{"detail"}``, made path-free and encodable) and :class:`ServerErrors` (ASGI middleware: the 500 with a request id).
Every text a client gets from here goes through :func:`public_text`.
"""

from __future__ import annotations

import json
import logging
import os
import re
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any, Literal

from fastapi import Request, WebSocket
from fastapi.exceptions import RequestValidationError, WebSocketRequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.routing import APIRoute
from fastapi.utils import is_body_allowed_for_status_code
from pydantic import BaseModel
from sqlalchemy.exc import DataError, IntegrityError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from webapi.limits import BodyTooLarge

log = logging.getLogger("webapi.errors")

# Parts of a validation error's location that name where a value came from, not which value it is.
_SOURCES = ("body", "query", "path", "form")
TEXT_MAX = 500  # characters of one message a client gets back
ECHO_MAX = 100  # characters of an input a validation error echoes back
_SURROGATE_MESSAGE = ("the request holds text that is not valid Unicode (a lone surrogate such as \\ud800); send "
                      "UTF-8 text")
# An absolute path: after a start, a space, a quote or a bracket (not in a URL), up to a space or a quote.
_PATH = re.compile(r"(?<![\w:/.~-])/[^\s'\"<>()\[\]{},;|]+")


@cache
def _server_roots() -> frozenset[str]:
    """The folders at the file system's root (/tmp, /home, /var...): a path under one is a server path."""
    try:
        return frozenset(entry.name for entry in os.scandir("/") if entry.is_dir())
    except OSError:
        return frozenset()


def _file_name(match: re.Match) -> str:
    path = match.group(0)
    top = path[1:].split("/", 1)[0]
    if top not in _server_roots():
        return path  # an API path (/minutes/jobs/...), not a file
    return path.rstrip("/").rsplit("/", 1)[-1] or "(a server path)"


def public_text(text: Any, limit: int = TEXT_MAX) -> str:
    """``text`` fit to send: lone surrogates escaped (encodable as UTF-8), server paths cut to their file name, at
    most ``limit`` characters."""
    text = str(text).encode("utf-8", "backslashreplace").decode("utf-8")
    text = _PATH.sub(_file_name, text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def public_value(value: Any, limit: int = TEXT_MAX) -> Any:
    """A JSON-able value fit to send: every string in it through :func:`public_text`."""
    if isinstance(value, str):
        return public_text(value, limit)
    if value is None or isinstance(value, (bool, int, float)):
        return value
    if isinstance(value, Mapping):
        return {public_text(k, limit): public_value(v, limit) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [public_value(v, limit) for v in value]
    return public_text(value, limit)


_NO_ECHO = object()


def _echo(value: Any) -> Any:
    """What a validation error may say of the input it refused: a short string cut, a small value cleaned, a large
    one not at all."""
    if isinstance(value, str):
        return public_text(value, ECHO_MAX)
    cleaned = public_value(value, ECHO_MAX)
    if isinstance(cleaned, (dict, list)) and len(json.dumps(cleaned, ensure_ascii=False)) > 4 * ECHO_MAX:
        return _NO_ECHO
    return cleaned


def public_errors(errors: Any) -> list[dict]:
    """FastAPI's validation errors (``type``, ``loc``, ``msg``, ``input``, ``ctx``) fit to send back."""
    out = []
    for error in errors:
        item: dict[str, Any] = {"type": public_text(error.get("type", "invalid"), 100),
                                "loc": [p if isinstance(p, int) else public_text(p, ECHO_MAX)
                                        for p in error.get("loc", ())],
                                "msg": public_text(error.get("msg", "invalid"))}
        if "input" in error and (echo := _echo(error["input"])) is not _NO_ECHO:
            item["input"] = echo
        if isinstance(error.get("ctx"), Mapping):
            item["ctx"] = {public_text(k, ECHO_MAX): public_value(v if isinstance(v, (str, int, float, bool))
                                                                  else str(v), ECHO_MAX)
                           for k, v in error["ctx"].items()}
        out.append(item)
    return out


def is_surrogate_error(exc: BaseException) -> bool:
    """Whether ``exc`` is text with a lone surrogate (from JSON's ``\\ud800``) that could not be encoded."""
    return (isinstance(exc, UnicodeEncodeError) and isinstance(exc.object, str)
            and all("\ud800" <= c <= "\udfff" for c in exc.object[exc.start:exc.end]))


def request_id(scope: Scope) -> str:
    """This request's id, the same for every caller (made on first use)."""
    return scope.setdefault("webapi.request_id", uuid.uuid4().hex[:16])


@dataclass(frozen=True)
class Failure:
    """What went wrong in one request, before an API writes it in its envelope."""

    status: int
    message: str  # one sentence (an invalid request's problems joined with "; ")
    kind: str = "service"  # too_large, service, invalid, http, database, conflict or internal
    problems: tuple[tuple[str, str], ...] = ()  # (field, sentence) for each problem of an invalid request
    headers: Mapping[str, str] | None = None
    error: BaseException | None = None  # what was raised, for an envelope that carries more of it

    @property
    def sentences(self) -> list[str]:
        """The problems as sentences ("field: what is wrong"), or the message alone."""
        return [f"{where}: {text}" if where else text for where, text in self.problems] or [self.message]


Render = Callable[[Request, Failure], Response]
BodyMax = Callable[[Request], "int | None"]


def plain_json(request: Request, failure: Failure) -> JSONResponse:
    """The plain JSON error ``{"code", "type": "error", "message"}`` (the SensorThings and voting APIs')."""
    return JSONResponse({"code": failure.status, "type": "error", "message": failure.message},
                        status_code=failure.status, headers=dict(failure.headers) if failure.headers else None)


def invalid(exc: RequestValidationError, status: int) -> Failure:
    problems = tuple((public_text(".".join(str(p) for p in error.get("loc", ()) if p not in _SOURCES), ECHO_MAX),
                      public_text(error.get("msg", "invalid")))
                     for error in exc.errors())
    message = "; ".join(f"{where}: {text}" if where else text for where, text in problems) or "invalid request"
    return Failure(status, public_text(message, 4 * TEXT_MAX), "invalid", problems, error=exc)


def unexpected(scope: Scope, exc: BaseException, invalid_status: int = 400) -> Failure:
    """An exception no route answers: text with a lone surrogate is ``invalid_status``; anything else is a 500 that
    says only its request id, and is logged with its traceback under that id."""
    if is_surrogate_error(exc):
        return Failure(invalid_status, _SURROGATE_MESSAGE, "invalid", error=exc)
    rid = request_id(scope)
    log.error("unexpected error in %s %s (request id %s)", scope.get("method"), scope.get("path"), rid,
              exc_info=exc)
    return Failure(500, f"internal server error (request id {rid}); the server has logged what went wrong",
                   "internal", headers={"X-Request-ID": rid}, error=exc)


def _failure(request: Request, exc: Exception, service_errors: tuple[type[Exception], ...],
             invalid_status: int) -> Failure:
    """The failure one of the exceptions the shell answers stands for."""
    if service_errors and isinstance(exc, service_errors):
        return Failure(exc.status, public_text(exc.message), "service", error=exc)
    if isinstance(exc, RequestValidationError):
        return invalid(exc, invalid_status)
    if isinstance(exc, BodyTooLarge):
        return Failure(413, exc.detail, "too_large", error=exc)
    if isinstance(exc, StarletteHTTPException):
        return Failure(exc.status_code, public_text(exc.detail), "http", headers=exc.headers, error=exc)
    if isinstance(exc, (DataError, OverflowError)):  # a value the database cannot hold (NUL, out of range)
        return Failure(invalid_status, f"a value is out of range or holds a NUL character ({type(exc).__name__})",
                       "database", error=exc)
    if isinstance(exc, IntegrityError):
        return Failure(409, "the request conflicts with stored data (a referenced entity is missing or the entity "
                            "exists)", "conflict", error=exc)
    return unexpected(request.scope, exc, invalid_status)


def error_route(render: Render, *, service_errors: type[Exception] | tuple[type[Exception], ...] = (),
                invalid_status: int = 400, body_max: int | BodyMax | None = None) -> type[APIRoute]:
    """A route class for an API's router: every failure of its routes goes through ``render``.

    ``service_errors``: the API's own exceptions, each with ``status`` and ``message``; ``invalid_status``: the
    status of a malformed request (400, or 409 in CKAN's envelope); ``body_max``: the largest body in bytes, or a
    function of the request giving it (None: the app's default, :class:`webapi.limits.BodyLimit`)."""
    caught = service_errors if isinstance(service_errors, tuple) else (service_errors,)
    limit: BodyMax = body_max if callable(body_max) else (lambda _request: body_max)

    class ErrorShellRoute(APIRoute):
        body_max = staticmethod(limit)  # read by webapi.limits.BodyLimit, which refuses a larger body

        def get_route_handler(self):
            handler = super().get_route_handler()

            async def shell(request: Request) -> Response:
                try:
                    return await handler(request)
                except Exception as exc:  # noqa: BLE001  (every failure becomes the API's envelope)
                    failure = _failure(request, exc, caught, invalid_status)
                try:
                    return render(request, failure)
                except Exception as exc:  # noqa: BLE001  (an envelope whose text could not be written)
                    return render(request, unexpected(request.scope, exc, invalid_status))

            return shell

    return ErrorShellRoute


# --- what the error statuses look like, for the OpenAPI document

class PlainError(BaseModel):
    """:func:`plain_json`'s envelope (the SensorThings and voting APIs')."""

    code: int
    type: Literal["error"]
    message: str


class Detail(BaseModel):
    """FastAPI's ``{"detail"}`` as :func:`http_error` writes it (the routes outside a shell)."""

    detail: str


class DetailOrProblems(BaseModel):
    """A 422 of a route that refuses some values itself: one sentence, or FastAPI's list of problems."""

    detail: str | list[dict[str, Any]]


# What each error status of the server means, as the OpenAPI document says it.
ERROR_STATUSES = {
    400: "The request is malformed or a value is invalid (the message says which)",
    401: "No credential, or an unknown, revoked or expired one",
    403: "The caller's role or scope does not allow this (or a session's CSRF token is missing)",
    404: "Not found (or not visible to the caller)",
    405: "The method is not allowed here",
    409: "The request conflicts with stored data",
    413: "The body is larger than the route's limit",
    415: "The upload is not a format this server reads",
    422: "A value is invalid",
    503: "A part the route needs is still loading or not available (the message says which)",
}


def error_responses(*statuses: int, model: type[BaseModel] | None = Detail,
                    content: Mapping[str, Any] | None = None) -> dict[int | str, dict[str, Any]]:
    """``responses=`` for a router or a route: each of ``statuses`` documented with its meaning and its body
    (``model``, or ``content``: media types and their schemas, for an envelope that is not one model)."""
    out: dict[int | str, dict[str, Any]] = {}
    for status in statuses:
        entry: dict[str, Any] = {"description": ERROR_STATUSES[status]}
        if content is not None:
            entry["content"] = dict(content)
        elif model is not None:
            entry["model"] = model
        out[status] = entry
    return out


# --- the app's handlers, for the routes outside a shell

async def validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
    """FastAPI's 422 ``{"detail": [{"type", "loc", "msg", "input", "ctx"}]}``, with the input bounded and every
    text encodable (a lone surrogate in the input was a 500)."""
    return JSONResponse({"detail": public_errors(exc.errors())}, status_code=422)


async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
    """FastAPI's ``{"detail"}`` for an ``HTTPException``, its texts through :func:`public_text`."""
    if not is_body_allowed_for_status_code(exc.status_code):
        return Response(status_code=exc.status_code, headers=exc.headers)
    return JSONResponse({"detail": public_value(exc.detail)}, status_code=exc.status_code, headers=exc.headers)


async def websocket_validation_error(websocket: WebSocket, exc: WebSocketRequestValidationError) -> None:
    """A WebSocket with invalid parameters is closed (1008) with a short reason (a close reason has 123 bytes)."""
    reason = "; ".join(f"{'.'.join(map(str, e['loc'][1:]))}: {e['msg']}" for e in public_errors(exc.errors()))
    await websocket.close(code=1008, reason=reason.encode("utf-8")[:123].decode("utf-8", "ignore"))


class ServerErrors:
    """ASGI middleware: an exception no handler answered becomes a 500 ``{"detail", "request_id"}`` (or the 400 of
    :func:`unexpected`), logged with its traceback; after the response has started, it is only logged."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def noting(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, noting)
        except Exception as exc:  # noqa: BLE001  (the last line: nothing below answered)
            failure = unexpected(scope, exc)
            if started:
                return
            body: dict[str, Any] = {"detail": failure.message}
            if failure.kind == "internal":
                body["request_id"] = request_id(scope)
            await JSONResponse(body, status_code=failure.status, headers=failure.headers)(scope, receive, send)
