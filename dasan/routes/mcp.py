"""The tools over MCP (streamable HTTP) at ``/mcp``.

The MCP SDK's session manager runs its sessions in a task group that must live as long as the app serves, and a
manager runs only once, so :func:`mcp_lifespan` (entered inside the app's lifespan) makes one per language and
:class:`McpEndpoint` hands each request to the manager of the running lifespan; ``?lang=ko`` picks the server
whose tool descriptions and answers are in Korean.
"""

from __future__ import annotations

from contextlib import asynccontextmanager

from starlette.responses import JSONResponse
from starlette.types import Receive, Scope, Send


class McpEndpoint:
    """ASGI endpoint of ``/mcp``."""

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


def mount_mcp(app) -> None:
    app.state.mcp_sessions = None
    app.add_route("/mcp", McpEndpoint(app), include_in_schema=False)


@asynccontextmanager
async def mcp_lifespan(app, runtime):
    """Run the MCP session managers over the runtime's tools for as long as the app serves."""
    from civic_services.tools.mcp_server import build_mcp_server, session_manager
    from dasan import __version__

    managers = {lang: session_manager(build_mcp_server(runtime.tools, runtime.tool_services, lang=lang,
                                                       version=__version__), host=runtime.settings.host)
                for lang in ("en", "ko")}
    async with managers["en"].run(), managers["ko"].run():
        app.state.mcp_sessions = managers
        try:
            yield
        finally:
            app.state.mcp_sessions = None
