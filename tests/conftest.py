"""Shared fixtures. Models come from the real models directory that `make test` fills (no stand-ins)."""

from __future__ import annotations

import os
import pytest

from dasan.settings import Settings
from models.store import ModelStore



@pytest.fixture(scope="session")
def settings() -> Settings:
    return Settings()


@pytest.fixture(scope="session")
def store(settings: Settings) -> ModelStore:
    return ModelStore(settings.models_dir)


@pytest.fixture(scope="session")
def model_set(settings: Settings):
    from dasan.app import build_model_set

    return build_model_set(settings)


@pytest.fixture(scope="session")
def llm_available(store: ModelStore) -> None:
    skip_llm = os.environ.get("DASAN_SKIP_LLM", "").lower() in ("1", "true", "yes")
    if skip_llm and not store.status("qwen2.5-coder-1.5b-q4km").installed:
        pytest.skip("DASAN_SKIP_LLM=1: the local LLM was deliberately not installed")


@pytest.fixture(scope="session")
def embedder(store):
    from models.embedder import load_embedder

    return load_embedder("multilingual-e5-small-q4", store)


@pytest.fixture(scope="session")
def kb_index_dir(embedder) -> str:
    """The bundled knowledge base's index, built once and kept between runs under var/test-index (safe: the
    index records the knowledge base and embedder it was built from and is rebuilt when either changes)."""
    from pathlib import Path

    from chatbot.kb import KnowledgeBase
    from chatbot.runtime import open_index

    path = Path(__file__).resolve().parents[1] / "var" / "test-index" / "kb"
    open_index(KnowledgeBase.from_file(), embedder, path, rebuild_if_stale=True)
    return str(path)


@pytest.fixture(scope="session")
def assistant(kb_index_dir, embedder):
    from pathlib import Path

    from chatbot.runtime import open_assistant

    return open_assistant(None, Path(kb_index_dir), embedder)


@pytest.fixture(scope="session")
def live_server(tmp_path_factory, kb_index_dir):
    """One real `dasan serve` process (SQLite in a temporary data directory) shared by the HTTP tests."""
    from tests.server_process import start_server, stop_server

    process, base = start_server(tmp_path_factory.mktemp("server") / "var", DASAN_INDEX_DIR=kb_index_dir)
    yield base
    stop_server(process)
