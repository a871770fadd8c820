"""The tool registry over the Model Context Protocol.

Every registry tool becomes an MCP tool with the registry's JSON Schema as its input schema, its description (in the
server's language) and annotations saying whether it writes. Calls go through :meth:`ToolRegistry.call`, so the
role check and argument validation are the registry's; a :class:`ToolError` comes back as a tool result with
``isError`` and the plain sentence, and so does any other failure (logged), so a client never sees a crash.

The installed SDK is ``mcp`` 2.x, where v1's ``FastMCP`` became ``MCPServer``. ``MCPServer`` derives each tool's
schema from a Python signature; the registry already has hand-written schemas (enums for districts, metrics,
periods), so this module builds the SDK's low-level :class:`mcp.server.Server` with ``tools/list`` and
``tools/call`` handlers, which is the layer both ``MCPServer`` and the transports sit on: stdio
(:func:`run_stdio`), in-process client sessions (``mcp.Client(server)``) and streamable HTTP
(:func:`session_manager`, mounted by the app at ``/mcp``).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from typing import Any

import anyio
import mcp_types as types
from mcp.server import Server
from mcp.server.streamable_http_manager import StreamableHTTPSessionManager
from mcp.server.transport_security import TransportSecuritySettings

from civic_services.tools.registry import ROLES, Tool, ToolContext, ToolError, ToolRegistry, ToolResult

log = logging.getLogger("civic_services.tools.mcp")

SERVER_NAME = "dasan-civic-tools"
INSTRUCTIONS = ("Tools of Seoul's 120 Dasan civic services: the 120 knowledge base, street complaints (Open311), "
                "mVoting polls, the open-data plaza and IoT sensors. Districts are English names such as Mapo-gu; "
                "ticket ids look like SR-2026-000123 and poll ids like MV-1187.")

Services = Mapping[str, Any] | Callable[[], Mapping[str, Any]]


def json_safe(value: Any) -> Any:
    """``value`` with everything JSON cannot carry (dates, decimals, tuples, ...) turned into strings or lists."""
    return json.loads(json.dumps(value, default=str, ensure_ascii=False))


def result_payload(name: str, result: ToolResult) -> dict:
    """The structured form of a tool result, shared by the MCP and Rasa servers."""
    payload: dict[str, Any] = {"tool": name, "text": result.text, "data": result.data}
    if result.table is not None:
        payload["table"] = result.table
    if result.series is not None:
        payload["series"] = result.series
    return json_safe(payload)


def annotations(tool: Tool) -> types.ToolAnnotations:
    return types.ToolAnnotations(read_only_hint=not tool.writes, destructive_hint=False,
                                 idempotent_hint=not tool.writes, open_world_hint=False)


def mcp_tools(registry: ToolRegistry, lang: str = "en", role: str | None = None) -> list[types.Tool]:
    return [types.Tool(name=tool.name, description=tool.description(lang), input_schema=tool.parameters,
                       annotations=annotations(tool),
                       meta={"dasan/role": tool.role, "dasan/description_ko": tool.description_ko,
                             "dasan/description_en": tool.description_en})
            for tool in registry.tools.values() if role is None or registry.allowed(tool, role)]


def call_registry(registry: ToolRegistry, name: str, arguments: dict, context: ToolContext) -> types.CallToolResult:
    """One tool call as an MCP result; never raises for what the tool or its service does."""
    try:
        result = registry.call(name, arguments, context)
    except ToolError as exc:
        return types.CallToolResult(content=[types.TextContent(type="text", text=str(exc))], is_error=True)
    except Exception:  # a bug or an outage in a service: logged here, a sentence for the client
        log.exception("tool %s failed", name)
        text = (f"{name} 도구 실행 중 오류가 발생했습니다. 잠시 후 다시 시도해 주세요." if context.lang == "ko"
                else f"{name} failed on the server; please try again later.")
        return types.CallToolResult(content=[types.TextContent(type="text", text=text)], is_error=True)
    return types.CallToolResult(content=[types.TextContent(type="text", text=result.text)],
                                structured_content=result_payload(name, result), is_error=False)


def build_mcp_server(registry: ToolRegistry, services: Services, *, lang: str = "en", role: str = "citizen",
                     voter_key: str | None = None, version: str = "", list_all: bool = True) -> Server:
    """An MCP server for ``registry``. ``services`` is the mapping handed to the handlers (service name -> object),
    or a function returning it at each call (the app's services are built in its lifespan, after this).

    Calls run as ``role``. ``list_all`` lists every tool (a tool's role is in its ``_meta``; a call the role does not
    allow is refused with a sentence), so an agent can tell a citizen that voting needs a verified voter;
    ``list_all=False`` lists only the tools ``role`` may call."""
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}; one of {', '.join(ROLES)}")
    if lang not in ("en", "ko"):
        raise ValueError(f"unknown language {lang!r}; en or ko")

    def current_services() -> Mapping[str, Any]:
        return services() if callable(services) else services

    async def list_tools(ctx, params: types.PaginatedRequestParams | None) -> types.ListToolsResult:
        return types.ListToolsResult(tools=mcp_tools(registry, lang, None if list_all else role))

    async def call_tool(ctx, params: types.CallToolRequestParams) -> types.CallToolResult:
        context = ToolContext(services=current_services(), role=role, lang=lang, voter_key=voter_key)
        arguments = dict(params.arguments or {})
        # Handlers are synchronous and touch the database: keep them off the event loop.
        return await anyio.to_thread.run_sync(call_registry, registry, params.name, arguments, context)

    def input_schema(name: str) -> dict | None:
        tool = registry.tools.get(name)
        return None if tool is None else tool.parameters

    return Server(SERVER_NAME, version=version, title="Dasan civic services", instructions=INSTRUCTIONS,
                  get_tool_input_schema=input_schema, on_list_tools=list_tools, on_call_tool=call_tool)


def loopback_security(host: str) -> TransportSecuritySettings | None:
    """DNS-rebinding protection for a server bound to the loopback interface, as the SDK's own apps do."""
    if host not in ("127.0.0.1", "localhost", "::1"):
        return None
    return TransportSecuritySettings(enable_dns_rebinding_protection=True,
                                     allowed_hosts=["127.0.0.1:*", "localhost:*", "[::1]:*"],
                                     allowed_origins=["http://127.0.0.1:*", "http://localhost:*", "http://[::1]:*"])


def session_manager(server: Server, host: str = "127.0.0.1") -> StreamableHTTPSessionManager:
    """The streamable-HTTP session manager for ``server``. Run it once (``async with manager.run():``) for the
    whole life of the web app; its ``handle_request`` is then the ASGI endpoint.

    Stateless, with JSON responses (not SSE): the tools are plain request/response calls that need no server-sent
    stream or session state, and a stateless endpoint also works behind ``dasan serve --workers N`` (a stateful
    session lives in one worker process, and the next request may reach another)."""
    return StreamableHTTPSessionManager(app=server, json_response=True, stateless=True,
                                        security_settings=loopback_security(host))


async def run_stdio(server: Server) -> None:
    """Serve one client over this process's stdin/stdout until it closes them."""
    from mcp.server.stdio import stdio_server

    async with stdio_server() as (read_stream, write_stream):
        await server.run(read_stream, write_stream, server.create_initialization_options())
