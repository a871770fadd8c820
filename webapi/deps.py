"""The running process's parts as FastAPI dependencies.

The composition root puts one runtime on ``app.state.runtime``; it answers :meth:`part` with the object of that
name or raises :class:`PartUnavailable` with a sentence (still loading, turned off, failed). Each ``api.py`` names
what it needs as a typed alias, the way the FastAPI template's ``api/deps.py`` does::

    ComplaintsDep = Annotated[ComplaintService, Depends(part("complaints"))]

and a route taking ``service: ComplaintsDep`` gets the service, or a 503 that says why it is not there.
"""

from __future__ import annotations

from typing import Any, Protocol

from fastapi import HTTPException
from starlette.requests import HTTPConnection


class PartUnavailable(Exception):
    """A part of the process that cannot serve now; the message says why (and, while loading, how far along)."""


class Parts(Protocol):
    def part(self, name: str) -> Any: ...


def get_part(connection: HTTPConnection, name: str) -> Any:
    """The runtime's ``name`` part for a request or WebSocket; :class:`PartUnavailable` when it is not there."""
    runtime: Parts | None = getattr(connection.app.state, "runtime", None)
    if runtime is None:
        raise PartUnavailable("the server is starting")
    return runtime.part(name)


def part(name: str):
    """A dependency that hands a route the runtime's ``name`` part, or answers 503 with the reason."""

    def dependency(connection: HTTPConnection) -> Any:
        try:
            return get_part(connection, name)
        except PartUnavailable as exc:
            raise HTTPException(503, str(exc)) from None

    dependency.__name__ = f"{name}_part"
    return dependency
