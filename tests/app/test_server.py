"""The real server over real HTTP: a `dasan serve` process on a free port."""

import httpx
import pytest

from tests.harness import start_process, stop_process

pytestmark = pytest.mark.slow


@pytest.fixture
def server(live_server):
    return live_server


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
    process, base = start_process(tmp_path / "var", DASAN_MODELS_DIR=str(tmp_path / "empty-models"))
    try:
        assert httpx.get(f"{base}/healthz").status_code == 200
        ready = httpx.get(f"{base}/readyz")
        assert ready.status_code == 503
        assert "dasan models fetch whisper-base" in ready.json()["checks"]["model:asr"]["error"]
    finally:
        log = stop_process(process)
    assert "Traceback" not in log
    assert "dasan models fetch" in log  # the warm-up says what to run, too
