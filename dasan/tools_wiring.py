"""The assistant's tool registry in the app: built once per app, served as ``GET /tools``, the Rasa action server
(``/webhook``, ``/actions``, ``/health``) and MCP over streamable HTTP at ``/mcp``.

``attach_tools(app)`` is called when the app is created (routes), ``tools_lifespan(app)`` inside its lifespan:
the MCP SDK's streamable-HTTP session manager runs its sessions in a task group that must live as long as the
app serves, and a manager runs only once, so each lifespan makes its own.
"""

from __future__ import annotations

import logging
from contextlib import asynccontextmanager
from typing import Any

from starlette.responses import JSONResponse
from starlette.types import Receive, Scope, Send

log = logging.getLogger("dasan.tools")

SERVICE_NAMES = ("assistant", "complaints", "opendata", "iot", "voting")


def tool_services(state: Any) -> dict[str, Any]:
    """Service name -> the object on the app's state the tool handlers call (None where it does not run)."""
    return {name: getattr(state, name, None) for name in SERVICE_NAMES}


class McpEndpoint:
    """ASGI endpoint of ``/mcp``: hands each request to the session manager of the running lifespan; ``?lang=ko``
    picks the server whose tool descriptions and answers are in Korean."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        managers = getattr(self.app.state, "mcp_sessions", None) or {}
        lang = "ko" if b"lang=ko" in scope.get("query_string", b"").split(b"&") else "en"
        manager = managers.get(lang)
        if manager is None:
            response = JSONResponse({"error": "the MCP endpoint is not running (the app's lifespan has not "
                                              "started)"}, status_code=503)
            await response(scope, receive, send)
            return
        await manager.handle_request(scope, receive, send)


def attach_tools(app) -> None:
    """The registry on ``app.state.tools`` and the routes that serve it."""
    from civic_services.tools.api import router
    from civic_services.tools.catalog import build_registry

    app.state.tools = build_registry()
    app.state.mcp_sessions = None
    app.include_router(router)
    app.add_route("/mcp", McpEndpoint(app), include_in_schema=False)


@asynccontextmanager
async def tools_lifespan(app):
    """Run the MCP session manager for as long as the app serves (enter it inside the app's lifespan)."""
    from civic_services.tools.mcp_server import build_mcp_server, session_manager
    from dasan import __version__

    managers = {lang: session_manager(build_mcp_server(app.state.tools, lambda: tool_services(app.state), lang=lang,
                                                       version=__version__), host=app.state.settings.host)
                for lang in ("en", "ko")}
    async with managers["en"].run(), managers["ko"].run():
        app.state.mcp_sessions = managers
        try:
            yield
        finally:
            app.state.mcp_sessions = None
