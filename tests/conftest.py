"""Shared fixtures. Models come from the real models directory that `make test` fills (no stand-ins); settings are
built from a clean slate (:mod:`tests.harness`), and the assistant is the one the server's runtime builds."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from dasan.settings import Settings
from models.store import ModelStore
from tests.harness import clean_settings

# The bundled knowledge base's index, built once and kept between runs (safe: the index records the knowledge base
# and embedder it was built from and is rebuilt when either changes).
TEST_INDEX = Path(__file__).resolve().parents[1] / "var" / "test-index" / "kb"


@pytest.fixture(scope="session")
def settings(tmp_path_factory) -> Settings:
    return clean_settings(data_dir=tmp_path_factory.mktemp("runtime") / "var", index_dir=TEST_INDEX,
                          index_auto_rebuild=True, warm_up=False)


@pytest.fixture(scope="session")
def runtime(settings):
    """The runtime the server would open from these settings (SQLite in a temporary data directory); its assistant
    is opened on first use of the ``assistant`` fixture."""
    from dasan.runtime import Runtime

    with Runtime.open(settings) as opened:
        yield opened


@pytest.fixture(scope="session")
def store(settings: Settings) -> ModelStore:
    return ModelStore(settings.models_dir)


@pytest.fixture(scope="session")
def model_set(runtime):
    return runtime.models


@pytest.fixture(scope="session")
def llm_available(store: ModelStore) -> None:
    skip_llm = os.environ.get("DASAN_SKIP_LLM", "").lower() in ("1", "true", "yes")
    if skip_llm and not store.status("qwen2.5-coder-1.5b-q4km").installed:
        pytest.skip("DASAN_SKIP_LLM=1: the local LLM was deliberately not installed")


@pytest.fixture(scope="session")
def embedder(model_set):
    return model_set.embedder()


@pytest.fixture(scope="session")
def kb_index_dir(assistant) -> str:
    return str(TEST_INDEX)


@pytest.fixture(scope="session")
def assistant(runtime):
    opened = runtime.open_assistant()
    assert opened is not None, runtime.assistant_error
    return opened


@pytest.fixture(scope="session")
def live_server_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("server") / "var"


@pytest.fixture(scope="session")
def live_server(live_server_dir, kb_index_dir):
    """One real `dasan serve` process (SQLite in a temporary data directory) shared by the HTTP tests."""
    from tests.harness import start_process, stop_process

    process, base = start_process(live_server_dir, DASAN_INDEX_DIR=kb_index_dir)
    yield base
    stop_process(process)


@pytest.fixture(scope="session")
def live_auth(live_server, live_server_dir):
    """``live_auth(role, department=None, *scopes)``: the Authorization header of a new staff token of the live
    server (made in its database, as `dasan staff token create` would)."""
    from dasan.runtime import Runtime
    from tests.harness import clean_settings

    runtime = Runtime.open(clean_settings(data_dir=live_server_dir))

    def make(role: str, department: str | None = None, *scopes: str) -> dict:
        token = runtime.staff_tokens.create(f"tests-{role}", list(scopes), role=role, department=department).token
        return {"Authorization": f"Bearer {token}"}

    make.runtime = runtime  # for tests that make accounts (runtime.staff_users) on the live server
    yield make
    runtime.close()
