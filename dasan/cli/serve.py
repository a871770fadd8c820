"""``dasan serve``: the Dasan server (API, web pages, health checks) under uvicorn."""

from __future__ import annotations

import os
from typing import Annotated, Optional

import typer

from dasan.cli.common import console
from dasan.cli.common import load_settings as _settings


def serve(
    host: Annotated[Optional[str], typer.Option(help="Interface to listen on \\[default: DASAN_HOST or 127.0.0.1].")] = None,
    port: Annotated[Optional[int], typer.Option(help="Port \\[default: DASAN_PORT or 8000].")] = None,
    workers: Annotated[int, typer.Option(min=1, help="Worker processes (each loads its own models).")] = 1,
) -> None:
    """Start the Dasan server (API, web pages, health checks)."""
    import uvicorn

    from dasan.logging_setup import configure_logging

    # The app reads its settings from the environment (also in worker processes), so options go there first.
    if host:
        os.environ["DASAN_HOST"] = host
    if port:
        os.environ["DASAN_PORT"] = str(port)
    settings = _settings()
    host, port = settings.host, settings.port
    configure_logging(settings.log_level, settings.log_json)
    if workers > 1 and not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):  # /metrics sums what every worker counted
        import shutil

        metrics_dir = settings.data_dir.resolve() / "metrics"
        shutil.rmtree(metrics_dir, ignore_errors=True)  # counts of an earlier run's workers
        metrics_dir.mkdir(parents=True)
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(metrics_dir)
    console.print(f"[bold]Dasan[/] starting on [link]http://{host}:{port}[/link]  (API docs: http://{host}:{port}/docs)")
    uvicorn.run("dasan.app:asgi_app", factory=True, host=host, port=port, workers=workers, log_config=None)
