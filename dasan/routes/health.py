"""``/healthz`` (the process is up) and ``/readyz`` (the database answers, the required models are present, the
assistant is open and the start-up has finished; 503 with each check, and the start-up's stage and progress,
while it has not)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from webapi.access import PUBLIC
from dasan import __version__

router = APIRouter(tags=["health"])


@router.get("/healthz", dependencies=[PUBLIC], summary="The process is up")
def healthz() -> dict:
    return {"status": "ok", "version": __version__}


@router.get("/readyz", summary="The database answers, the required models are present, start-up is done",
            responses={503: {"description": "Not ready: each check says what is missing or still loading"}},
            dependencies=[PUBLIC])
def readyz(request: Request) -> JSONResponse:
    runtime = request.app.state.runtime
    if runtime is None:
        return JSONResponse({"status": "not ready", "checks": {"startup": {"ok": False, "stage": "starting"}}},
                            status_code=503)
    ready, checks = runtime.readiness()
    return JSONResponse({"status": "ready" if ready else "not ready", "checks": checks},
                        status_code=200 if ready else 503)
