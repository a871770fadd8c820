"""The server-database pool (database.engine) on the local PostgreSQL: connections are reused across requests, a
burst beyond the pool is served, and a connection the server closed while it sat idle is replaced unnoticed."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

import database.engine as engine_module
from database import make_engine
from tests.civic_services.conftest import postgres_available  # noqa: F401  (the fixture, for PostgreSQL)


@pytest.fixture
def pg_url(request, tmp_path):
    from tests.civic_services.conftest import make_database_url

    return make_database_url("postgresql", tmp_path, request)


def _backend_pid(engine) -> int:
    with engine.connect() as connection:
        return connection.execute(text("SELECT pg_backend_pid()")).scalar_one()


def _terminate(url: str, pid: int) -> None:
    """The server ends a connection (as a restart or an idle timeout would)."""
    admin = make_engine(url)
    try:
        with admin.connect() as connection:
            assert connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid}).scalar_one()
    finally:
        admin.dispose()


def test_one_connection_serves_request_after_request(pg_url):
    engine = make_engine(pg_url, pool_size=2)
    try:
        assert len({_backend_pid(engine) for _ in range(20)}) == 1
    finally:
        engine.dispose()


def test_a_burst_beyond_the_pool_is_served_and_the_pool_keeps_its_size(pg_url):
    engine = make_engine(pg_url, pool_size=2)
    gate = threading.Barrier(4)

    def hold():
        with engine.connect() as connection:
            gate.wait(timeout=10)  # four connections open at once: the pool's two and two for the burst
            return connection.execute(text("SELECT pg_backend_pid()")).scalar_one()

    try:
        with ThreadPoolExecutor(4) as pool:
            assert len(set(pool.map(lambda _: hold(), range(4)))) == 4
        assert engine.pool.checkedin() == 2
    finally:
        engine.dispose()


def test_a_connection_closed_by_the_server_while_idle_is_replaced(pg_url, monkeypatch):
    engine = make_engine(pg_url, pool_size=1)
    try:
        first = _backend_pid(engine)
        _terminate(pg_url, first)
        monkeypatch.setattr(engine_module, "STALE_AFTER_S", 0.0)  # idle long enough to be tried before use
        second = _backend_pid(engine)
        assert second != first
    finally:
        engine.dispose()


def test_a_recently_used_connection_is_not_tried_first(pg_url):
    """Without the ping a connection killed a moment ago fails its next query: proof that no round trip was spent
    on it (the pool then replaces it, so the query after that works)."""
    engine = make_engine(pg_url, pool_size=1)
    try:
        first = _backend_pid(engine)
        _terminate(pg_url, first)
        with pytest.raises(OperationalError):
            _backend_pid(engine)
        assert _backend_pid(engine) != first
    finally:
        engine.dispose()
