"""The FastAPI application: mounts each domain's router, owns the process's resources (settings, database
engine, models) through its lifespan, and answers health checks."""

from __future__ import annotations

import asyncio
import logging
from contextlib import asynccontextmanager
from importlib import resources

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse

from dasan import __version__
from dasan.chat import attach as attach_assistant
from dasan.civic import attach as attach_civic_services
from dasan.db import describe, make_engine, ping
from minutes.api import attach as attach_minutes
from minutes.api import router as minutes_router
from dasan.settings import Settings, get_settings
from dasan.tools_wiring import attach_tools, tools_lifespan
from models.loaded import ModelSet
from models.refs import resolve
from models.store import ModelError, ModelStore

log = logging.getLogger("dasan.app")


def build_model_set(settings: Settings) -> ModelSet:
    return ModelSet(
        store=ModelStore(settings.models_dir),
        refs={role: settings.model_ref(role) for role in ("asr", "embedder", "vad", "tts_en", "tts_ko", "llm")},
        asr_backend=settings.asr_backend,
        asr_compute_type=settings.asr_compute_type,
        threads=settings.threads,
        tts_api_key=settings.tts_api_key.get_secret_value() if settings.tts_api_key else None,
    )


def model_problems(settings: Settings, model_set: ModelSet) -> dict[str, str]:
    """Role -> what is wrong with its configured model, for every required role that cannot be used."""
    problems = {}
    for role in settings.required_roles:
        ref = settings.model_ref(role)
        try:
            resolve(ref, model_set.store)
        except ModelError as exc:
            problems[role] = str(exc)
    return problems


async def _warm_up(app: FastAPI) -> None:
    settings: Settings = app.state.settings
    for role in settings.required_roles:
        try:
            await asyncio.to_thread(app.state.models.load_role, role)
            log.info("model for %s loaded: %s", role, settings.model_ref(role))
        except ModelError as exc:
            log.error("model for %s unavailable: %s", role, exc)


@asynccontextmanager
async def lifespan(app: FastAPI):
    settings: Settings = app.state.settings
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    app.state.engine = make_engine(settings.resolved_database_url)
    log.info("database: %s", describe(settings.resolved_database_url))
    await asyncio.to_thread(attach_civic_services, app.state, settings, app.state.engine)
    if settings.warm_up:
        await _warm_up(app)
    await asyncio.to_thread(attach_assistant, app.state, settings)
    await asyncio.to_thread(attach_minutes, app.state, settings, app.state.engine)
    async with tools_lifespan(app):  # the MCP endpoint's sessions live in a task group for the app's life
        log.info("Dasan %s ready on http://%s:%d (API docs at /docs)", __version__, settings.host, settings.port)
        yield
    app.state.engine.dispose()


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    app = FastAPI(
        title="Dasan",
        version=__version__,
        description="AI assistant and speech services for city governments (120 call center, minutes, "
                    "voicebot, civic services).",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.models = build_model_set(settings)
    app.state.assistant = None
    app.state.assistant_error = None

    from chatbot.api import router as chatbot_router
    from civic_services.complaints.api import router as complaints_router
    from civic_services.iot.api import queries as iot_queries_router
    from civic_services.iot.api import router as sensorthings_router
    from civic_services.opendata.api import router as opendata_router
    from civic_services.opendata.api import seoul_router
    from civic_services.voting.api import router as voting_router
    from models.api import router as models_router
    from models.speech_api import router as speech_router

    for router in (models_router, speech_router, chatbot_router, complaints_router, opendata_router, sensorthings_router,
                   iot_queries_router, voting_router):
        app.include_router(router)
    attach_tools(app)  # GET /tools, the Rasa action server (/webhook, /actions, /health) and MCP at /mcp

    @app.get("/healthz", tags=["health"], summary="The process is up")
    def healthz() -> dict:
        return {"status": "ok", "version": __version__}

    @app.get("/readyz", tags=["health"], summary="The database answers and the required models are present")
    def readyz(request: Request) -> JSONResponse:
        checks: dict[str, dict] = {}
        try:
            ping(request.app.state.engine)
            checks["database"] = {"ok": True}
        except Exception as exc:  # any driver error means "not ready", reported, not raised
            checks["database"] = {"ok": False, "error": f"{type(exc).__name__}: {exc}"}
        if request.app.state.assistant is not None:
            checks["assistant"] = {"ok": True, "entries": len(request.app.state.assistant.kb)}
        elif not settings.chat_enabled:
            checks["assistant"] = {"ok": True, "disabled": True}
        else:
            checks["assistant"] = {"ok": False, "error": request.app.state.assistant_error or "starting"}
        problems = model_problems(settings, request.app.state.models)
        for role in settings.required_roles:
            entry: dict = {"ok": role not in problems, "model": settings.model_ref(role)}
            if role in problems:
                entry["error"] = problems[role]
            checks[f"model:{role}"] = entry
        ready = all(check["ok"] for check in checks.values())
        return JSONResponse({"status": "ready" if ready else "not ready", "checks": checks},
                            status_code=200 if ready else 503)

    @app.get("/", include_in_schema=False, response_class=HTMLResponse)
    def home() -> HTMLResponse:
        page = resources.files("dasan").joinpath("web/index.html").read_text(encoding="utf-8")
        return HTMLResponse(page.replace("{{version}}", __version__))

    @app.get("/chat", include_in_schema=False, response_class=HTMLResponse)
    def chat_page() -> HTMLResponse:
        return HTMLResponse(resources.files("dasan").joinpath("web/chat.html").read_text(encoding="utf-8"))

    app.include_router(minutes_router)

    from voicebot.api import router as voicebot_router

    app.include_router(voicebot_router)  # the Twilio Media Streams WebSocket at /voicebot/twilio

    @app.get("/minutes", include_in_schema=False, response_class=HTMLResponse)
    def minutes_page() -> HTMLResponse:
        return HTMLResponse(resources.files("dasan").joinpath("web/minutes.html").read_text(encoding="utf-8"))

    @app.get("/voicebot", include_in_schema=False, response_class=HTMLResponse)
    def call_page() -> HTMLResponse:
        return HTMLResponse(resources.files("dasan").joinpath("web/call.html").read_text(encoding="utf-8"))

    app.include_router(seoul_router)  # last: its /{key}/json/... pattern must not shadow other routes
    return app


def asgi_app() -> FastAPI:
    """Factory for ``uvicorn --factory dasan.app:asgi_app``."""
    from dasan.logging_setup import configure_logging

    settings = get_settings()
    configure_logging(settings.log_level, settings.log_json)
    return create_app(settings)


__all__ = ["create_app", "asgi_app"]
