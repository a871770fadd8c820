"""Every write by a known principal (a staff token or a signed-in person) leaves an audit entry: who, which
request, when, and the status it ended with. An ASGI middleware, so no route can forget it; the entries go to the
runtime's part ``audit`` (anything with ``record(actor, action, target=..., outcome=...)``)."""

from __future__ import annotations

import logging

from fastapi.concurrency import run_in_threadpool
from starlette.requests import HTTPConnection
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from webapi.access import SAFE_METHODS
from webapi.deps import PartUnavailable, get_part

log = logging.getLogger("dasan.audit")


class AuditWrites:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("method") in SAFE_METHODS:
            await self.app(scope, receive, send)
            return
        status = {"code": 500}

        async def send_and_note(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_and_note)
        finally:
            principal = scope.get("state", {}).get("principal")
            if principal is not None and not principal.anonymous:
                await run_in_threadpool(self._record, scope, principal, status["code"])

    @staticmethod
    def _record(scope: Scope, principal, status: int) -> None:
        connection = HTTPConnection(scope)
        try:
            get_part(connection, "audit").record(principal.actor, f"{scope['method']} {scope['path']}",
                                                 outcome=str(status), via=principal.via)
        except PartUnavailable:
            pass
        except Exception:  # an audit failure is logged loudly; the write itself has already happened
            log.exception("could not record the audit entry of %s %s by %s", scope["method"], scope["path"],
                          principal.actor)
