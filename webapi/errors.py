"""One error shell for the routes of an API: whatever a route raises becomes a 4xx response in that API's error
envelope, never a stack trace. The mechanism is here and knows no domain; an API supplies only how its errors
look (a function from a :class:`Failure` to a response) and which of its own exceptions carry a status::

    router = APIRouter(route_class=error_route(render_ckan, service_errors=OpenDataError, invalid_status=409))

What becomes what: an oversize body (by ``Content-Length``, before the body is read) is 413; a service error is
its own ``status`` and ``message``; a malformed request (FastAPI's validation) is ``invalid_status`` with one
problem per field; an ``HTTPException`` (a missing staff token, a 503 while a part is loading) keeps its status
and headers; a value the database cannot hold is ``invalid_status``; a write that conflicts with stored data is
409.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from fastapi import HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.routing import APIRoute
from sqlalchemy.exc import DataError, IntegrityError

# Parts of a validation error's location that name where a value came from, not which value it is.
_SOURCES = ("body", "query", "path", "form")


@dataclass(frozen=True)
class Failure:
    """What went wrong in one request, before an API writes it in its envelope."""

    status: int
    message: str  # one sentence (an invalid request's problems joined with "; ")
    kind: str = "service"  # too_large, service, invalid, http, database or conflict
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
    problems = tuple((".".join(str(p) for p in error.get("loc", ()) if p not in _SOURCES), error.get("msg", "invalid"))
                     for error in exc.errors())
    message = "; ".join(f"{where}: {text}" if where else text for where, text in problems) or "invalid request"
    return Failure(status, message, "invalid", problems, error=exc)


def _failure(exc: Exception, service_errors: tuple[type[Exception], ...], invalid_status: int) -> Failure:
    """The failure one of the exceptions the shell answers stands for."""
    if service_errors and isinstance(exc, service_errors):
        return Failure(exc.status, exc.message, "service", error=exc)
    if isinstance(exc, RequestValidationError):
        return invalid(exc, invalid_status)
    if isinstance(exc, HTTPException):
        return Failure(exc.status_code, str(exc.detail), "http", headers=exc.headers, error=exc)
    if isinstance(exc, (DataError, OverflowError)):  # a value the database cannot hold (NUL, out of range)
        return Failure(invalid_status, f"a value is out of range or holds a NUL character ({type(exc).__name__})",
                       "database", error=exc)
    return Failure(409, "the request conflicts with stored data (a referenced entity is missing or the entity "
                        "exists)", "conflict", error=exc)  # an IntegrityError


def error_route(render: Render, *, service_errors: type[Exception] | tuple[type[Exception], ...] = (),
                invalid_status: int = 400, body_max: int | BodyMax | None = None) -> type[APIRoute]:
    """A route class for an API's router: every failure of its routes goes through ``render``.

    ``service_errors``: the API's own exceptions, each with ``status`` and ``message``; ``invalid_status``: the
    status of a malformed request (400, or 409 in CKAN's envelope); ``body_max``: the largest body in bytes, or a
    function of the request giving it (None: no limit)."""
    caught = service_errors if isinstance(service_errors, tuple) else (service_errors,)
    handled = (*caught, RequestValidationError, HTTPException, DataError, OverflowError, IntegrityError)
    limit: BodyMax = body_max if callable(body_max) else (lambda _request: body_max)

    class ErrorShellRoute(APIRoute):
        def get_route_handler(self):
            handler = super().get_route_handler()

            async def shell(request: Request) -> Response:
                length = request.headers.get("content-length", "")
                most = limit(request) if length.isdigit() else None
                if most is not None and int(length) > most:
                    return render(request, Failure(413, f"the request body is {int(length):,} bytes; at most "
                                                        f"{most:,}", "too_large"))
                try:
                    return await handler(request)
                except handled as exc:
                    return render(request, _failure(exc, caught, invalid_status))

            return shell

    return ErrorShellRoute
