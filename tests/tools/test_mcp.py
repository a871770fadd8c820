"""The tool registry over MCP, driven by the SDK's own client: in process (over memory streams with the
initialize handshake, and over the direct dispatcher), over the app's streamable-HTTP endpoint at /mcp, and over
stdio from a `dasan mcp` process."""

from __future__ import annotations

import os
import sys

import anyio
import pytest
from mcp import Client
from mcp.client.stdio import StdioServerParameters

from civic_services.tools.mcp_server import build_mcp_server
from dasan.runtime import gather_tools
from tests.tools.conftest import SEEDED

REGISTRY = gather_tools()
TOOLS = set(REGISTRY.names())


async def _exercise(client: Client) -> dict:
    """List the tools and make the calls every transport must answer the same way (``no_service`` is checked only
    where the test removed the voting service: the app runs it once it lands)."""
    listed = (await client.list_tools()).tools
    out = {"tools": {t.name: t for t in listed}}
    out["search"] = await client.call_tool("search_datasets", {"query": "parking"})
    out["sum"] = await client.call_tool("query_dataset", {
        "dataset": SEEDED, "aggregate": {"op": "sum", "field": "capacity", "group_by": "district", "top": 3}})
    out["unknown_ticket"] = await client.call_tool("complaint_status", {"ticket_id": "SR-2026-999999"})
    out["bad_args"] = await client.call_tool("complaint_status", {"ticket_id": "12345"})
    out["no_service"] = await client.call_tool("list_polls", {"status": "open"})
    out["role"] = await client.call_tool("cast_vote", {"poll_id": "MV-1187", "choice": "1"})
    out["no_tool"] = await client.call_tool("launch_rockets", {})
    return out


def _check(out: dict, without_voting: bool = False) -> None:
    tools = out["tools"]
    assert set(tools) == TOOLS and len(tools) == 13
    for name, tool in tools.items():
        assert tool.input_schema == REGISTRY.get(name).parameters
        assert tool.description == REGISTRY.get(name).description_en
    assert tools["submit_complaint"].annotations.read_only_hint is False
    assert tools["search_datasets"].annotations.read_only_hint is True

    search = out["search"]
    assert not search.is_error
    assert SEEDED in search.content[0].text
    assert any(row["id"] == SEEDED for row in search.structured_content["table"])

    total = out["sum"]
    assert not total.is_error, total.content[0].text
    table = total.structured_content["table"]
    assert len(table) == 3 and all(set(row) == {"district", "sum"} for row in table)
    assert table[0]["sum"] >= table[1]["sum"] >= table[2]["sum"] > 0
    assert total.structured_content["series"] == table

    checks = [("unknown_ticket", "SR-2026-999999"), ("bad_args", "invalid arguments for complaint_status"),
              ("role", "needs the role verified_voter"), ("no_tool", "no tool named 'launch_rockets'")]
    if without_voting:
        checks.append(("no_service", "not available on this server"))
    assert out["no_service"].content[0].text
    for key, phrase in checks:
        result = out[key]
        assert result.is_error, key
        assert phrase in result.content[0].text, (key, result.content[0].text)
        assert result.structured_content is None


@pytest.mark.parametrize("mode", ["legacy", "auto"])
def test_in_process_client_session(services, mode):
    """`legacy` runs the server loop over memory streams with the initialize handshake; `auto` the SDK's modern
    per-request path. Both reach the real open-data and complaints services on SQLite."""
    server = build_mcp_server(REGISTRY, {**services, "voting": None})

    async def main():
        async with Client(server, mode=mode) as client:
            assert client.server_info.name == "dasan-civic-tools"
            return await _exercise(client)

    _check(anyio.run(main), without_voting=True)


def test_korean_server_and_role_filter(services):
    server = build_mcp_server(REGISTRY, services, lang="ko", list_all=False)

    async def main():
        async with Client(server) as client:
            return (await client.list_tools()).tools, await client.call_tool("search_datasets", {"query": "주차"})

    tools, found = anyio.run(main)
    assert {t.name for t in tools} == TOOLS - {"cast_vote", "complaint_statistics"}  # not the voter's or staff's
    assert all(t.description == REGISTRY.get(t.name).description_ko for t in tools)
    assert found.content[0].text.startswith("1개 데이터셋을 찾았습니다")


def test_bad_server_options():
    with pytest.raises(ValueError, match="unknown role"):
        build_mcp_server(REGISTRY, {}, role="mayor")
    with pytest.raises(ValueError, match="unknown language"):
        build_mcp_server(REGISTRY, {}, lang="fr")


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["legacy", "auto"])
def test_streamable_http_endpoint_of_the_app(server, mode):
    """The app's /mcp mount, over real HTTP, with both protocol eras; a second client gets its own session."""

    async def main():
        async with Client(f"{server.base}/mcp", mode=mode) as client:
            out = await _exercise(client)
        async with Client(f"{server.base}/mcp", mode=mode) as again:
            out["again"] = await again.call_tool("search_datasets", {"query": "parking"})
        return out

    out = anyio.run(main)
    _check(out)
    assert not out["again"].is_error


@pytest.mark.slow
def test_streamable_http_in_korean(server):
    async def main():
        async with Client(f"{server.base}/mcp?lang=ko") as client:
            return (await client.list_tools()).tools, await client.call_tool("search_datasets", {"query": "주차"})

    tools, found = anyio.run(main)
    assert all(t.description == REGISTRY.get(t.name).description_ko for t in tools) and len(tools) == 13
    assert found.content[0].text.startswith("1개 데이터셋을 찾았습니다")


@pytest.mark.slow
def test_mcp_endpoint_refuses_foreign_host_header(server, http):
    """DNS-rebinding protection on a loopback-bound server: a page on another origin cannot drive the tools."""
    body = {"jsonrpc": "2.0", "id": 1, "method": "initialize",
            "params": {"protocolVersion": "2025-06-18", "capabilities": {},
                       "clientInfo": {"name": "evil", "version": "1"}}}
    response = http.post("/mcp", json=body, headers={"Host": "evil.example:80",
                                                      "Accept": "application/json, text/event-stream"})
    assert response.status_code == 421, response.text
    ok = http.post("/mcp", json=body, headers={"Accept": "application/json, text/event-stream"})
    assert ok.status_code == 200, ok.text


@pytest.mark.slow
def test_dasan_mcp_over_stdio(server, tmp_path):
    """`dasan mcp` as a subprocess, spoken to over its stdin/stdout, on the same database as the app."""
    env = {**os.environ, "DASAN_DATA_DIR": str(tmp_path / "var"), "DATABASE_URL": server.settings.database_url,
           "DASAN_CHAT_ENABLED": "false", "DASAN_LOG_LEVEL": "WARNING"}
    params = StdioServerParameters(command=sys.executable, args=["-m", "dasan.cli", "mcp", "--lang", "en"], env=env,
                                   cwd=os.getcwd())

    async def main():
        with anyio.fail_after(120):
            async with Client(params) as client:
                return await _exercise(client)

    _check(anyio.run(main))
