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
