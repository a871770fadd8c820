"""Every request body has a size limit, before and after decompression.

:class:`BodyLimit` is one ASGI middleware for the whole app. It counts the bytes of every HTTP request body as the
route reads them: a ``Content-Length`` over the route's limit is refused before a byte is read, and a body streamed
past it (chunked, or longer than it said) is cut off there. Either way the route's read raises
:class:`BodyTooLarge`, an ``HTTPException`` 413, which the route's error shell (:func:`webapi.errors.error_route`)
writes in its API's envelope and the app's handler writes as ``{"detail"}``.

A route's limit is, first to last: what its route class declares (``body_max``, set by ``error_route``), what the
composition root gives for its endpoint (``route_max``: the uploads, from their settings), the default::

    app.add_middleware(BodyLimit, default_max=settings.request_body_max_bytes,
                       route_max={create_job: upload_max(settings.minutes_upload_max_bytes)})

:func:`inflate` is the one way a compressed body is decompressed: bounded by the same limit (:func:`body_limit`),
so a small body cannot become a large one in memory.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Mapping
from typing import Any

from fastapi import HTTPException
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

DEFAULT_BODY_MAX = 1_000_000  # a JSON API's body; uploads have limits of their own
FORM_MARGIN = 1_000_000  # room for the multipart framing and the other fields of a form around its files
_SCOPE_KEY = "webapi.body_limit"
_CODINGS = {"deflate": zlib.MAX_WBITS, "gzip": 16 + zlib.MAX_WBITS, "x-gzip": 16 + zlib.MAX_WBITS}


class BodyTooLarge(HTTPException):
    """A request body (as sent, or once decompressed) over its route's limit: 413."""

    def __init__(self, limit: int, size: int | None = None, what: str = "the request body") -> None:
        said = f" ({size:,} bytes)" if size is not None else ""
        super().__init__(413, f"{what}{said} is larger than this endpoint accepts: at most {limit:,} bytes")
        self.limit = limit


def upload_max(file_bytes: int) -> int:
    """The body limit of a form that carries files of at most ``file_bytes`` in all."""
    return file_bytes + FORM_MARGIN


class _Budget:
    """One request's limit, looked up when the body is first read (the route is known by then)."""

    def __init__(self, middleware: BodyLimit, scope: Scope) -> None:
        self._middleware, self._scope, self._limit = middleware, scope, None

    @property
    def limit(self) -> int:
        if self._limit is None:
            self._limit = self._middleware.limit_of(self._scope)
        return self._limit


class BodyLimit:
    """ASGI middleware: no route reads more body than its limit (see the module's docstring)."""

    def __init__(self, app: ASGIApp, default_max: int = DEFAULT_BODY_MAX,
                 route_max: Mapping[Callable[..., Any], int] | None = None) -> None:
        self.app = app
        self.default_max = default_max
        self.route_max = dict(route_max or {})

    def limit_of(self, scope: Scope) -> int:
        route = scope.get("route")
        declared: Callable[[Request], int | None] | None = getattr(route, "body_max", None)
        limit = declared(Request(scope)) if declared is not None else None
        if limit is None:
            limit = self.route_max.get(getattr(route, "endpoint", None))
        return self.default_max if limit is None else limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        budget = scope[_SCOPE_KEY] = _Budget(self, scope)
        received = 0
        checked = False

        async def limited() -> Message:
            nonlocal received, checked
            if not checked:  # the first read: refuse a declared length over the limit before reading any of it
                checked = True
                declared = _content_length(scope)
                if declared is not None and declared > budget.limit:
                    raise BodyTooLarge(budget.limit, declared)
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > budget.limit:
                    raise BodyTooLarge(budget.limit)
            return message

        await self.app(scope, limited, send)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            return int(value) if value.isdigit() else None
    return None


def body_limit(request: Request) -> int:
    """The body limit :class:`BodyLimit` applies to this request (the default where no middleware counts)."""
    budget: _Budget | None = request.scope.get(_SCOPE_KEY)
    return budget.limit if budget is not None else DEFAULT_BODY_MAX


def inflate(data: bytes, encoding: str | None, limit: int) -> bytes:
    """``data`` decoded from its ``Content-Encoding`` (identity, deflate or gzip), never more than ``limit`` bytes.

    Raises :class:`BodyTooLarge` (413) past the limit, an ``HTTPException`` 415 for another encoding and 400 for
    data that does not decompress."""
    coding = (encoding or "").strip().lower()
    if coding in ("", "identity"):
        if len(data) > limit:
            raise BodyTooLarge(limit, len(data))
        return data
    wbits = _CODINGS.get(coding)
    if wbits is None:
        raise HTTPException(415, f"Content-Encoding {coding[:40]!r} is not accepted; send identity, deflate or gzip")
    inflater = zlib.decompressobj(wbits)
    try:
        out = inflater.decompress(data, limit + 1)
    except zlib.error as exc:
        raise HTTPException(400, f"the body is not valid {coding} data ({exc})") from None
    if len(out) > limit:
        raise BodyTooLarge(limit, what="the decompressed request body")
    if not inflater.eof or inflater.unused_data:
        raise HTTPException(400, f"the body is not valid {coding} data (truncated, or data after its end)")
    return out
