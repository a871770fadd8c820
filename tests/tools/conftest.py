"""A real Dasan app (uvicorn on a free port, in a thread) over SQLite, with one small open-data sample dataset
loaded, for the tool tests: MCP over streamable HTTP, the Rasa action server and GET /tools."""

from __future__ import annotations

import httpx
import pytest

from tests.civic_services.conftest import start_server

SEEDED = "public_parking_lots"  # about 350 rows: small enough to seed in a second


@pytest.fixture(scope="session")
def server(tmp_path_factory):
    from civic_services.opendata import samples

    tmp = tmp_path_factory.mktemp("tools")
    running = start_server(tmp, f"sqlite:///{tmp / 'tools.db'}", "sqlite")
    samples.seed(running.runtime.opendata, only=[SEEDED])
    yield running
    running.stop()


@pytest.fixture(scope="session")
def http(server):
    with httpx.Client(base_url=server.base, timeout=30) as client:
        yield client


@pytest.fixture(scope="session")
def services(server):
    return server.runtime.tool_services()
