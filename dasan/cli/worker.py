"""``dasan worker``: run queued jobs (minutes uploads, re-composing, the public copies of complaint media) from the
database every Dasan process shares,
as many of these processes, on as many machines, as the load needs."""

from __future__ import annotations

import signal
import threading
from typing import Annotated

import typer

from dasan.cli.common import console, load_settings, open_runtime


def worker(
    poll: Annotated[float, typer.Option(min=0.1, max=60, help="Seconds between looks at the queue when idle.")] = 1.0,
) -> None:
    """Run queued jobs until stopped (Ctrl-C or SIGTERM give the job in hand back to the queue).

    Uses the server's settings: the same DATABASE_URL, and DASAN_UPLOADS_DIR on storage every worker shares. Set
    DASAN_JOBS_IN_PROCESS=false on the web servers to leave all jobs to workers."""
    settings = load_settings()
    runtime = open_runtime(settings, logs=True)
    stopping = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stopping.set())
    runner = runtime.start_jobs()
    runner.poll_s = poll
    if runtime.copy_worker is not None:
        runtime.copy_worker.poll_s = poll
    counts = runtime.jobs.counts()
    console.print(f"[bold]Dasan worker[/] {runtime.jobs.owner}: {counts['queued']} queued, {counts['running']} "
                  "running; Ctrl-C to stop")
    try:
        stopping.wait()
    finally:
        console.print("stopping: the job in hand goes back to the queue")
        runtime.close()
        console.print(f"stopped after {runner.done} job(s)")
