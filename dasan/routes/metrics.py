"""``GET /metrics``: Prometheus's text format (webapi.metrics' counters, summed over the worker processes, and
figures read from the runtime at scrape time: jobs by state, live meetings). For a scraper with a staff token
holding ``metrics:read`` (or an administrator's)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from prometheus_client.core import GaugeMetricFamily

from webapi.access import Principal, requires
from webapi.errors import error_responses
from webapi.metrics import CONTENT_TYPE_LATEST, exposition

router = APIRouter(tags=["health"])


class RuntimeFigures:
    """Gauges read from the runtime when scraped (one database query for the queue)."""

    def __init__(self, runtime) -> None:
        self.runtime = runtime

    def collect(self):
        jobs = GaugeMetricFamily("dasan_jobs", "Queued jobs (minutes uploads, re-composing) by state, in the shared "
                                 "database", labels=["state"])
        for state, count in self.runtime.jobs.counts().items():
            jobs.add_metric([state], count)
        yield jobs
        worker = self.runtime.job_worker
        busy = GaugeMetricFamily("dasan_job_worker_busy", "1 while this process's job worker runs a job")
        busy.add_metric([], 1 if worker is not None and worker.current else 0)
        yield busy
        ready = GaugeMetricFamily("dasan_ready", "1 when this process's /readyz would answer 200")
        ready.add_metric([], 1 if self.runtime.startup.ready else 0)
        yield ready


@router.get("/metrics", summary="Prometheus metrics: requests, latencies, jobs, calls in progress, model time",
            response_class=Response, responses={200: {"content": {CONTENT_TYPE_LATEST: {}}}, **error_responses(401, 403)})
def metrics(request: Request, who: Annotated[Principal, Depends(requires(scope="metrics:read"))]) -> Response:
    runtime = request.app.state.runtime
    extra = [RuntimeFigures(runtime)] if runtime is not None else []
    return Response(exposition(extra), media_type=CONTENT_TYPE_LATEST)
