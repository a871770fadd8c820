"""The 120 assistant as the settings configure it: the embedder and (optionally) the LLM from the model set, the
knowledge base and its index, and the tool dialogue over the tool registry, given to the assistant when it is
built. :class:`dasan.runtime.Runtime` calls this once per process."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping

from chatbot.assistant import Assistant, AssistantConfig
from chatbot.runtime import open_assistant
from dasan.settings import Settings
from models.loaded import ModelSet
from models.store import ModelError
from retrieval_index.text import warm_up as warm_up_text

log = logging.getLogger("dasan.assistant")


def assistant_config(settings: Settings) -> AssistantConfig:
    return AssistantConfig(answer_threshold=settings.chat_answer_threshold,
                           compose_with_llm=settings.chat_compose_with_llm,
                           rerank_with_llm=settings.chat_rerank_with_llm)


def tool_router(kind: str, models: ModelSet, registry, none_examples=(), cache_dir=None):
    """The tool router of that kind (``nlu`` or ``llm``), with the model set's embedder for the nearest labelled
    examples and ``none_examples`` (the knowledge base's questions) standing for "not a tool". The LLM router falls
    back to the lexical one, with a warning, when the local LLM cannot be loaded; both route by cue words alone when
    the embedder cannot be. ``cache_dir`` keeps the examples' vectors between runs."""
    from chatbot.routing.nlu import NluRouter

    try:
        embedder = models.embedder()
    except ModelError as exc:
        log.warning("tool requests are routed by cue words alone: the embedder is unavailable (%s)", exc)
        embedder = None
    if kind == "llm":
        try:
            from chatbot.routing.llm_router import LlmRouter

            return LlmRouter(models.llm(), registry, embedder=embedder, none_examples=none_examples,
                             cache_dir=cache_dir)
        except ModelError as exc:
            log.warning("tool requests use the lexical router: the local LLM is unavailable (%s)", exc)
    return NluRouter(embedder, none_examples, cache_dir=cache_dir)


def routing_cache_dir(settings: Settings):
    """Where the tool router keeps its examples' vectors: beside the knowledge base's index."""
    return settings.resolved_index_dir.parent / "tools"


def knowledge_base_questions(kb_path) -> tuple[str, ...]:
    """The knowledge base's questions in both languages: requests that are not for a tool."""
    from chatbot.kb import KnowledgeBase

    try:
        kb = KnowledgeBase.from_file(kb_path)
    except Exception as exc:  # the assistant reports a broken knowledge base itself; routing goes on without it
        log.warning("tool routing without the knowledge base's questions: %s", exc)
        return ()
    return tuple(q for entry in kb.entries for q in (entry.question("ko"), entry.question("en")) if q)


def build_tool_dialogue(settings: Settings, models: ModelSet, registry, services: Callable[[], Mapping] | Mapping):
    """The assistant's tool calling, with the router the settings choose (None when turned off); the router's
    examples are embedded here, while the runtime loads, not on the first request."""
    from chatbot.tool_dialogue import ToolDialogue

    if settings.chat_tool_router == "off":
        return None
    router = tool_router(settings.chat_tool_router, models, registry, knowledge_base_questions(settings.kb_path),
                         routing_cache_dir(settings))
    router.warm_up()
    return ToolDialogue(registry, router, services, answer_threshold=settings.chat_answer_threshold)


def build_assistant(settings: Settings, models: ModelSet, registry=None,
                    services: Callable[[], Mapping] | Mapping | None = None, rebuild: bool = False,
                    progress=None, sessions=None) -> Assistant:
    """The assistant; ``registry`` and ``services`` give it its tools (none without a registry); ``sessions``
    keeps its conversations (this process's memory when None: see :func:`shared_sessions`)."""
    llm = None
    if (settings.chat_compose_with_llm or settings.chat_rerank_with_llm) and settings.llm_enabled:
        try:
            llm = models.llm()
        except ModelError as exc:
            log.warning("answers stay curated: the local LLM is unavailable (%s)", exc)
    warm_up_text()
    tools = build_tool_dialogue(settings, models, registry, services or {}) if registry is not None else None
    return open_assistant(settings.kb_path, settings.resolved_index_dir, models.embedder(),
                          config=assistant_config(settings), llm=llm, rebuild=rebuild,
                          rebuild_if_stale=settings.index_auto_rebuild, tools=tools, progress=progress,
                          sessions=sessions)


def shared_store(settings: Settings, engine):
    """The key-value store for state every worker shares and a restart keeps (chat conversations, call records):
    Redis when ``DASAN_REDIS_URL`` is set, the process database otherwise."""
    from database.keyvalue import RedisKeyValue, SqlKeyValue

    return RedisKeyValue(settings.redis_url) if settings.redis_url else SqlKeyValue(engine)


def shared_sessions(settings: Settings, store, error: str | None = None):
    """Conversations every worker sees and a restart keeps, in ``store`` (:func:`shared_store`); SharedStateError
    with ``error`` when there is none."""
    from chatbot.sessions import SharedSessionStore
    from database.keyvalue import SharedStateError

    if store is None:
        raise SharedStateError(error or "no shared store for the conversations")
    return SharedSessionStore(store, idle_seconds=settings.chat_session_idle_s)
