"""Prometheus metrics and the request id, for every web worker.

* :class:`RequestContext` (ASGI middleware): each HTTP request gets an id (the caller's ``X-Request-ID`` when it
  is a plain token, else a new one), answered in the ``X-Request-ID`` header and put on every log line written
  while the request runs (:class:`RequestIdFilter`); work queued for another process carries it
  (:func:`current_request_id`, :func:`bound_request_id`), so one id follows a request across workers.
* :class:`HttpMetrics` (ASGI middleware): requests by method, route template and status, and their latency.
* The counters the domains keep (calls in progress, the voicebot's time per stage) are defined here once.

With several worker processes (``dasan serve --workers N``) the metrics are kept in files under
``PROMETHEUS_MULTIPROC_DIR`` (set by ``dasan serve`` before the workers start) and ``/metrics`` sums them.
"""

from __future__ import annotations

import contextvars
import logging
import os
import re
import time
import uuid
from contextlib import contextmanager

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client import CONTENT_TYPE_LATEST  # noqa: F401  (re-exported for the route)

_REQUEST_ID: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)
_GIVEN_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0)

HTTP_REQUESTS = Counter("dasan_http_requests", "HTTP requests answered", ["method", "route", "status"])
HTTP_SECONDS = Histogram("dasan_http_request_seconds", "Time to answer an HTTP request (to the last byte)",
                         ["method", "route"], buckets=LATENCY_BUCKETS)
CALLS_IN_PROGRESS = Gauge("dasan_voice_calls_in_progress", "Voice calls being answered",
                          multiprocess_mode="livesum")
CALLS_ENDED = Counter("dasan_voice_calls", "Voice calls ended, by outcome", ["outcome"])
VOICE_STAGE_SECONDS = Histogram("dasan_voice_turn_stage_seconds", "Model time per caller turn, by stage "
                                "(asr: transcription; assistant: the answer; first_tts: the first sentence's "
                                "synthesis; response: caller silent to the bot's first audio)", ["stage"],
                                buckets=LATENCY_BUCKETS)


def current_request_id() -> str | None:
    """The id of the request (or job) this code runs for, if any."""
    return _REQUEST_ID.get()


@contextmanager
def bound_request_id(request_id: str | None):
    """Log lines inside carry ``request_id`` (a queued job runs under the id of the request that queued it)."""
    token = _REQUEST_ID.set(request_id)
    try:
        yield
    finally:
        _REQUEST_ID.reset(token)


class RequestIdFilter(logging.Filter):
    """Puts ``record.request_id`` ("-" outside a request) on every record, for the formatters."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = _REQUEST_ID.get() or "-"
        return True


class RequestContext:
    """ASGI middleware: the request id (see the module's docstring), shared with :mod:`webapi.errors`' 500s."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        given = dict(scope.get("headers") or ()).get(b"x-request-id", b"").decode("latin-1")
        request_id = given if _GIVEN_ID.fullmatch(given) else uuid.uuid4().hex[:16]
        scope["webapi.request_id"] = request_id

        async def send_with_id(message) -> None:
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != b"x-request-id"]
                message = {**message, "headers": [*headers, (b"x-request-id", request_id.encode())]}
            await send(message)

        token = _REQUEST_ID.set(request_id)
        try:
            await self.app(scope, receive, send_with_id if scope["type"] == "http" else send)
        finally:
            _REQUEST_ID.reset(token)


class HttpMetrics:
    """ASGI middleware: counts and times every HTTP request by its route's template (``/minutes/jobs/{job_id}``,
    never the raw path, so the label set stays small)."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = {"code": 500}

        async def send_counted(message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_counted)
        finally:
            route = scope.get("route")
            template = getattr(route, "path", None) or "(no route)"
            method = scope.get("method", "GET")
            HTTP_REQUESTS.labels(method, template, str(status["code"])).inc()
            HTTP_SECONDS.labels(method, template).observe(time.perf_counter() - started)


def exposition(extra_collectors=()) -> bytes:
    """The text format of every metric: this process's (or, with ``PROMETHEUS_MULTIPROC_DIR``, all worker
    processes' summed), then ``extra_collectors`` (figures read at scrape time, such as queue depths)."""
    from prometheus_client import REGISTRY

    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    else:
        registry = REGISTRY
    extra = CollectorRegistry()
    for collector in extra_collectors:
        extra.register(collector)
    return generate_latest(registry) + generate_latest(extra)
