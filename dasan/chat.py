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
                           compose_with_llm=settings.chat_compose_with_llm,
                           rerank_with_llm=settings.chat_rerank_with_llm)


def build_tool_dialogue(settings: Settings, models: ModelSet, registry, services):
    """The assistant's tool calling, with the router the settings choose (None when turned off)."""
    from chatbot.routing.nlu import NluRouter
    from chatbot.tool_dialogue import ToolDialogue

    if settings.chat_tool_router == "off":
        return None
    router = NluRouter()
    if settings.chat_tool_router == "llm":
        try:
            from chatbot.routing.llm_router import LlmRouter

            router = LlmRouter(models.llm(), registry)
        except ModelError as exc:
            log.warning("tool requests use the lexical router: the local LLM is unavailable (%s)", exc)
    return ToolDialogue(registry, router, services, answer_threshold=settings.chat_answer_threshold)


def build_assistant(settings: Settings, models: ModelSet, rebuild: bool = False, registry=None,
                    services=None) -> Assistant:
    llm = None
    if (settings.chat_compose_with_llm or settings.chat_rerank_with_llm) and settings.llm_enabled:
        try:
            llm = models.llm()
        except ModelError as exc:
            log.warning("answers stay curated: the local LLM is unavailable (%s)", exc)
    warm_up_text()
    assistant = open_assistant(settings.kb_path, settings.resolved_index_dir, models.embedder(),
                               config=assistant_config(settings), llm=llm, rebuild=rebuild,
                               rebuild_if_stale=settings.index_auto_rebuild)
    if registry is not None:
        assistant.tools = build_tool_dialogue(settings, models, registry, services or {})
    return assistant


def attach(state, settings: Settings) -> None:
    """Set ``state.assistant`` (or ``state.assistant_error`` with what to do) for the app."""
    state.assistant = None
    state.assistant_error = None
    if not settings.chat_enabled:
        state.assistant_error = "the assistant is turned off (DASAN_CHAT_ENABLED=false)"
        return
    try:
        from dasan.tools_wiring import tool_services

        state.assistant = build_assistant(settings, state.models, registry=getattr(state, "tools", None),
                                          services=lambda: tool_services(state))
        log.info("assistant ready: %d knowledge-base entries", len(state.assistant.kb))
    except (IndexMismatchError, IndexCorruptError) as exc:
        state.assistant_error = f"{exc} (or set DASAN_INDEX_AUTO_REBUILD=true)"
        log.error("assistant unavailable: %s", state.assistant_error)
    except (ModelError, FileNotFoundError, ValueError) as exc:
        state.assistant_error = str(exc)
        log.error("assistant unavailable: %s", exc)


def build_standalone_assistant(settings: Settings, rebuild: bool = False) -> Assistant:
    """The assistant as the server builds it (knowledge base, tools over the civic services of the configured
    database), for the command line."""
    from civic_services.storage import upgrade
    from civic_services.tools.catalog import build_registry
    from dasan.app import build_model_set
    from dasan.civic import build_civic_services
    from dasan.db import make_engine

    settings.data_dir.mkdir(parents=True, exist_ok=True)
    engine = make_engine(settings.resolved_database_url)
    upgrade(engine)
    civic = build_civic_services(settings, engine)
    services = {name: getattr(civic, name, None) for name in ("complaints", "opendata", "iot", "voting")}
    assistant = build_assistant(settings, build_model_set(settings), rebuild=rebuild, registry=build_registry(),
                                services=services)
    services["assistant"] = assistant
    return assistant
