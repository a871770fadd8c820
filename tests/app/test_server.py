"""The real server over real HTTP: a `dasan serve` process on a free port."""

import os
import socket
import subprocess
import sys
import time

import httpx
import pytest

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _start(tmp_path, **env_extra):
    port = _free_port()
    env = {**os.environ, "DASAN_DATA_DIR": str(tmp_path / "var"), **env_extra}
    process = subprocess.Popen([sys.executable, "-m", "dasan.cli", "serve", "--port", str(port)], env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"server exited: {process.stdout.read()}")
        try:
            httpx.get(f"{base}/healthz", timeout=1)
            return process, base
        except httpx.TransportError:
            time.sleep(0.3)
    process.kill()
    raise AssertionError("server did not start within 120 s")


def _stop(process):
    process.terminate()
    try:
        return process.communicate(timeout=30)[0]
    except subprocess.TimeoutExpired:
        process.kill()
        return process.communicate()[0]


@pytest.fixture(scope="module")
def server(tmp_path_factory, kb_index_dir):
    process, base = _start(tmp_path_factory.mktemp("server"), DASAN_INDEX_DIR=kb_index_dir)
    yield base
    _stop(process)


def test_health_and_readiness(server):
    health = httpx.get(f"{server}/healthz")
    assert health.status_code == 200 and health.json()["status"] == "ok"
    ready = httpx.get(f"{server}/readyz")
    assert ready.status_code == 200, ready.text
    checks = ready.json()["checks"]
    assert checks["database"]["ok"]
    assert checks["model:asr"]["ok"] and checks["model:embedder"]["ok"] and checks["model:vad"]["ok"]
    assert checks["assistant"]["ok"] and checks["assistant"]["entries"] == 239


def test_openapi_docs_and_home_page(server):
    docs = httpx.get(f"{server}/docs")
    assert docs.status_code == 200 and "swagger" in docs.text.lower()
    spec = httpx.get(f"{server}/openapi.json").json()
    assert {"/healthz", "/readyz", "/models"} <= set(spec["paths"])
    home = httpx.get(f"{server}/")
    assert home.status_code == 200 and 'href="/docs"' in home.text


def test_models_endpoint_reports_the_registry(server):
    rows = {row["name"]: row for row in httpx.get(f"{server}/models").json()}
    assert rows["whisper-base"]["verified"] is True
    assert rows["whisper-base"]["license"] == "MIT"


def test_unknown_path_is_a_404_with_a_message(server):
    response = httpx.get(f"{server}/no/such/page")
    assert response.status_code == 404 and response.json()["detail"]


def test_not_ready_without_models_and_says_what_to_run(tmp_path):
    process, base = _start(tmp_path, DASAN_MODELS_DIR=str(tmp_path / "empty-models"))
    try:
        assert httpx.get(f"{base}/healthz").status_code == 200
        ready = httpx.get(f"{base}/readyz")
        assert ready.status_code == 503
        assert "dasan models fetch whisper-base" in ready.json()["checks"]["model:asr"]["error"]
    finally:
        log = _stop(process)
    assert "Traceback" not in log
    assert "dasan models fetch" in log  # the warm-up says what to run, too
