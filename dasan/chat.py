"""Wiring the 120 assistant into the process: embedder from the model set, knowledge base, index, LLM."""

from __future__ import annotations

import logging

from chatbot.assistant import Assistant, AssistantConfig
from chatbot.runtime import open_assistant
from dasan.settings import Settings
from models.loaded import ModelSet
from models.store import ModelError
from retrieval_index import IndexCorruptError, IndexMismatchError
from retrieval_index.text import warm_up as warm_up_text

log = logging.getLogger("dasan.chat")


def assistant_config(settings: Settings) -> AssistantConfig:
    return AssistantConfig(answer_threshold=settings.chat_answer_threshold,
                           compose_with_llm=settings.chat_compose_with_llm)


def build_assistant(settings: Settings, models: ModelSet, rebuild: bool = False) -> Assistant:
    llm = None
    if settings.chat_compose_with_llm and settings.llm_enabled:
        try:
            llm = models.llm()
        except ModelError as exc:
            log.warning("answers stay curated: the local LLM is unavailable (%s)", exc)
    warm_up_text()
    return open_assistant(settings.kb_path, settings.resolved_index_dir, models.embedder(),
                          config=assistant_config(settings), llm=llm, rebuild=rebuild,
                          rebuild_if_stale=settings.index_auto_rebuild)


def attach(state, settings: Settings) -> None:
    """Set ``state.assistant`` (or ``state.assistant_error`` with what to do) for the app."""
    state.assistant = None
    state.assistant_error = None
    if not settings.chat_enabled:
        state.assistant_error = "the assistant is turned off (DASAN_CHAT_ENABLED=false)"
        return
    try:
        state.assistant = build_assistant(settings, state.models)
        log.info("assistant ready: %d knowledge-base entries", len(state.assistant.kb))
    except (IndexMismatchError, IndexCorruptError) as exc:
        state.assistant_error = f"{exc} (or set DASAN_INDEX_AUTO_REBUILD=true)"
        log.error("assistant unavailable: %s", state.assistant_error)
    except (ModelError, FileNotFoundError, ValueError) as exc:
        state.assistant_error = str(exc)
        log.error("assistant unavailable: %s", exc)
