"""Conversations outside the process: the shared key-value stores on a real SQLite file, the local PostgreSQL and
the local Redis, and two real `dasan serve` processes over one database carrying one conversation."""

from __future__ import annotations

import time
import uuid

import httpx
import pytest

from chatbot.sessions import SharedSessionStore, Turn
from chatbot.tool_dialogue import PendingCall
from database.keyvalue import RedisKeyValue, SharedStateError, SqlKeyValue
from tests.civic_services.conftest import postgres_available  # noqa: F401  (the fixture, for PostgreSQL)


def _sql_store(kind: str, tmp_path, request):
    from dasan.runtime import declared_metadata
    from database import make_engine, upgrade
    from tests.civic_services.conftest import make_database_url

    engine = make_engine(make_database_url(kind, tmp_path, request))
    upgrade(engine, metadata=declared_metadata())
    request.addfinalizer(engine.dispose)
    return SqlKeyValue(engine)


@pytest.fixture(params=["sqlite", "postgresql", "redis"])
def kv(request, tmp_path):
    if request.param != "redis":
        yield _sql_store(request.param, tmp_path, request)
        return
    try:
        store = RedisKeyValue("redis://127.0.0.1:6379/15", prefix=f"dasan-test-{uuid.uuid4().hex[:8]}:")
    except SharedStateError as exc:
        pytest.skip(f"Redis is not reachable at 127.0.0.1:6379 ({exc})")
    yield store
    for key in store.client.scan_iter(f"{store.prefix}*"):
        store.client.delete(key)


def test_a_value_is_read_back_replaced_expires_and_is_deleted(kv):
    kv.put("a", "첫 번째", 60)
    assert kv.get("a") == "첫 번째"
    kv.put("a", "second", 60)
    assert kv.get("a") == "second" and kv.get("missing") is None
    kv.put("short", "x", 0.2)
    time.sleep(0.4)
    assert kv.get("short") is None
    kv.delete("a")
    assert kv.get("a") is None
    with pytest.raises(ValueError):
        kv.put("k" * 201, "x", 60)


def test_a_session_with_a_pending_tool_call_round_trips(kv):
    store = SharedSessionStore(kv, idle_seconds=60)
    session = store.get_or_create(None)
    store.append(session, Turn("user", "포트홀 신고할게요", "ko", query="포트홀 신고할게요"))
    store.append(session, Turn("assistant", "어디인가요?", "ko"))
    session.pending_call = PendingCall("submit_complaint", {"service_code": "pothole"}, "slot", "포트홀 신고할게요", 1)
    store.save(session)
    again = SharedSessionStore(kv, idle_seconds=60).get_or_create(session.id)  # as another worker reads it
    assert again.turns == session.turns and again.pending_call == session.pending_call
    assert again.last_user_query() == "포트홀 신고할게요"


def test_an_unreachable_redis_is_a_clear_error():
    with pytest.raises(SharedStateError, match="cannot reach Redis"):
        RedisKeyValue("redis://127.0.0.1:1/0")


@pytest.mark.slow
def test_two_servers_over_one_database_carry_one_conversation(tmp_path, kb_index_dir):
    """The first question on one server, the follow-up on a second one started afterwards (a second worker, or
    the same server after a restart): the second reads the follow-up with the first question."""
    from tests.harness import start_process, stop_process

    data_dir = tmp_path / "var"
    first, base_a = start_process(data_dir, DASAN_INDEX_DIR=kb_index_dir)
    try:
        opened = httpx.post(f"{base_a}/chat", json={"message": "지하철 요금 얼마예요"}, timeout=60).json()
        second, base_b = start_process(data_dir, DASAN_INDEX_DIR=kb_index_dir)
        try:
            followed = httpx.post(f"{base_b}/chat", json={"message": "그럼 어르신은요?",
                                                          "session_id": opened["session_id"]}, timeout=60).json()
            alone = httpx.post(f"{base_b}/chat", json={"message": "그럼 어르신은요?"}, timeout=60).json()
        finally:
            stop_process(second)
    finally:
        stop_process(first)
    assert opened["citations"], opened
    assert followed["session_id"] == opened["session_id"]
    assert followed["citations"] and not followed["handoff"], followed
    assert "지하철" in followed["citations"][0]["question"], followed  # the fare for seniors on the subway
    assert alone["handoff"] or not alone["citations"] or alone["citations"] != followed["citations"], alone


@pytest.mark.slow
def test_redis_gone_mid_run_is_a_503_with_a_sentence_and_readyz_says_so(tmp_path, kb_index_dir):
    """A Redis of the test's own (a real redis-server on a free port) is stopped while the server runs."""
    import shutil
    import subprocess

    from tests.harness import free_port, start_process, stop_process

    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed")
    port = free_port()
    redis_process = subprocess.Popen(["redis-server", "--port", str(port), "--save", "", "--appendonly", "no"],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                RedisKeyValue(f"redis://127.0.0.1:{port}/0")
                break
            except SharedStateError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        server, base = start_process(tmp_path / "var", DASAN_INDEX_DIR=kb_index_dir,
                                     DASAN_REDIS_URL=f"redis://127.0.0.1:{port}/0")
        try:
            assert httpx.post(f"{base}/chat", json={"message": "여권 발급"}, timeout=60).status_code == 200
            assert httpx.get(f"{base}/readyz", timeout=10).json()["checks"]["redis"] == {"ok": True}
            redis_process.terminate()
            redis_process.wait(10)
            gone = httpx.post(f"{base}/chat", json={"message": "여권 발급"}, timeout=60)
            ready = httpx.get(f"{base}/readyz", timeout=30)
        finally:
            log = stop_process(server)
    finally:
        if redis_process.poll() is None:
            redis_process.kill()
    assert gone.status_code == 503 and "DASAN_REDIS_URL" in gone.json()["detail"], gone.text
    assert gone.headers["Retry-After"] == "5"
    assert ready.status_code == 503 and ready.json()["checks"]["redis"]["ok"] is False
    assert "Traceback" not in log
