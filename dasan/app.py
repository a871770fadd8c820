"""The FastAPI application: mounts each domain's router and the composition's own routes; its lifespan holds the
process's one :class:`~dasan.runtime.Runtime`.

The server listens as soon as the runtime is open (database migrated, service objects built); the slow part
(models, the knowledge-base index) loads in a background thread while ``/readyz`` answers 503 with the stage and
its progress, and routes that need what is still loading answer 503 with the same sentence.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError, WebSocketRequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from dasan import __version__
from database.keyvalue import SharedStateError
from dasan.runtime import Runtime
from dasan.settings import Settings, get_settings

log = logging.getLogger("dasan.app")


@asynccontextmanager
async def lifespan(app: FastAPI):
    from dasan.draining import drain_on_sigterm
    from dasan.routes.mcp import mcp_lifespan

    given: Runtime | None = app.state.given_runtime
    runtime = given or await asyncio.to_thread(Runtime.open, app.state.settings)
    app.state.runtime = runtime
    if runtime.settings.jobs_in_process:
        runtime.start_jobs()
    drain_on_sigterm(runtime, runtime.settings.shutdown_grace_s)  # SIGTERM: finish calls and jobs first
    samples = None
    if runtime.settings.sample_data:  # a fresh install shows something (DASAN_SAMPLE_DATA; dasan/samples.py)
        from dasan import samples as sample_data

        samples = sample_data.start(runtime)
    app.state.samples = samples
    if not runtime.startup.ready:
        threading.Thread(target=runtime.load, name="dasan-startup", daemon=True).start()
    sip = await _start_sip(runtime)
    try:
        async with mcp_lifespan(app, runtime):  # the MCP endpoint's sessions live in a task group for the app's life
            log.info("Dasan %s listening on http://%s:%d (API docs at /docs)", __version__, runtime.settings.host,
                     runtime.settings.port)
            yield
    finally:
        if sip is not None:
            await sip.stop()
        if samples is not None:
            samples.stop()
        app.state.runtime = None
        if given is None:
            runtime.close()


async def _start_sip(runtime: Runtime):
    """The SIP listener when ``DASAN_SIP_PORT`` is set (docs/voicebot.md, "SIP"); None otherwise, or when another
    worker of ``dasan serve --workers N`` holds the port already."""
    if not runtime.settings.sip_port:
        return None
    from voicebot.api import sip_server

    server = sip_server(runtime.part, runtime.settings)
    try:
        await server.start()
    except OSError as exc:
        log.warning("no SIP listener in this process: udp %s:%d: %s", runtime.settings.sip_host,
                    runtime.settings.sip_port, exc)
        return None
    return server


def create_app(settings: Settings | None = None, runtime: Runtime | None = None) -> FastAPI:
    """The app; with ``runtime`` it serves that runtime (which its caller opened and closes) instead of opening one
    from ``settings`` in its lifespan."""
    from chatbot.api import router as chatbot_router
    from civic_services.complaints.api import router as complaints_router
    from civic_services.iot.api import queries as iot_queries_router
    from civic_services.iot.api import router as sensorthings_router
    from civic_services.opendata.api import router as opendata_router
    from civic_services.opendata.api import UPLOAD_MAX_BYTES, resource_create, seoul_router
    from civic_services.staff.api import router as staff_router
    from civic_services.tools.api import router as tools_router
    from civic_services.voting.api import router as voting_router
    from dasan.routes.docs import mount_docs
    from dasan.routes.health import router as health_router
    from dasan.routes.metrics import router as metrics_router
    from dasan.routes.mcp import mount_mcp
    from dasan.routes.models import router as models_router
    from dasan.routes.pages import page_access_denied
    from dasan.routes.pages import router as pages_router
    from dasan.routes.portal import router as portal_router
    from dasan.routes.search import router as search_router
    from dasan.routes.staff_ask import router as staff_ask_router
    from dasan.routes.staff_console import router as staff_console_router
    from dasan.routes.speech import router as speech_router
    from minutes.api import create_job
    from minutes.api import router as minutes_router
    from voicebot.api import router as voicebot_router
    from webapi.access import AccessDenied
    from webapi.audit import AuditWrites
    from webapi.errors import ServerErrors, http_error, validation_error, websocket_validation_error
    from webapi.limits import BodyLimit, upload_max
    from webapi.metrics import HttpMetrics, RequestContext

    settings = runtime.settings if runtime is not None else (settings or get_settings())
    app = FastAPI(
        title="Dasan",
        version=__version__,
        description="AI assistant and speech services for city governments (120 call center, minutes, "
                    "voicebot, civic services).",
        lifespan=lifespan,
        docs_url=None,  # FastAPI's pages load from CDNs: dasan.routes.docs serves them from this machine
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.given_runtime = runtime
    app.state.runtime = None
    for router in (health_router, metrics_router, pages_router, portal_router, models_router, speech_router, chatbot_router,
                   complaints_router, opendata_router, sensorthings_router, iot_queries_router, voting_router,
                   tools_router, minutes_router, voicebot_router, staff_router, staff_console_router, search_router,
                   staff_ask_router):
        app.include_router(router)
    mount_docs(app)  # /docs and /redoc, with their assets
    mount_mcp(app)  # MCP over streamable HTTP at /mcp
    app.add_middleware(AuditWrites)  # every write by a staff token or a signed-in person is in the audit log
    app.add_exception_handler(AccessDenied, page_access_denied)  # browsers are sent to sign in
    app.include_router(seoul_router)  # last: its /{key}/json/... pattern must not shadow other routes
    # Errors: FastAPI's 422 and {"detail"} bounded, encodable and path-free; anything else a 500 with a request id
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(WebSocketRequestValidationError, websocket_validation_error)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(SharedStateError, shared_state_unavailable)  # Redis gone mid-run: 503, not 500
    # Every body within its route's limit; the uploads' limits come from their settings
    app.add_middleware(BodyLimit, default_max=settings.request_body_max_bytes,
                       route_max={create_job: upload_max(settings.minutes_upload_max_bytes),
                                  resource_create: upload_max(UPLOAD_MAX_BYTES)})
    app.add_middleware(ServerErrors)  # what nothing below answered
    app.add_middleware(HttpMetrics)  # every request counted and timed, 500s included
    app.add_middleware(RequestContext)  # outermost: the request id, on every response and log line
    return app


async def shared_state_unavailable(request, exc: Exception) -> JSONResponse:
    log.error("shared state unavailable for %s: %s", request.url.path, exc)
    return JSONResponse({"detail": "the server's shared state (DASAN_REDIS_URL) is not answering; try again in a "
                                   "moment"}, status_code=503, headers={"Retry-After": "5"})


def asgi_app() -> FastAPI:
    """Factory for ``uvicorn --factory dasan.app:asgi_app``."""
    from dasan.logging_setup import configure_logging

    settings = get_settings()
    configure_logging(settings.log_level, settings.log_json)
    return create_app(settings)


__all__ = ["create_app", "asgi_app"]
