"""Graceful shutdown: on SIGTERM a server first finishes what is in flight (voice calls, live meetings, the job
its worker holds) for up to ``DASAN_SHUTDOWN_GRACE_S`` seconds, answering ``/readyz`` with 503 meanwhile so a load
balancer sends new work elsewhere, and only then lets uvicorn close the connections and stop. A second SIGTERM,
or SIGINT (Ctrl-C), stops at once. ``dasan serve --workers N`` forwards SIGTERM to every worker, and each drains.
"""

from __future__ import annotations

import logging
import signal
import threading
import time

log = logging.getLogger("dasan.draining")


def drain_on_sigterm(runtime, grace_s: float) -> None:
    """Wrap the SIGTERM handler uvicorn installed (call from the lifespan, in the main thread) so that it runs
    after ``runtime`` has drained; does nothing in a server that runs in a thread (tests) or with ``grace_s`` 0."""
    if grace_s <= 0 or threading.current_thread() is not threading.main_thread():
        return
    stop_now = signal.getsignal(signal.SIGTERM)
    if not callable(stop_now):
        return
    started = threading.Event()

    def drain_then_stop() -> None:
        deadline = time.monotonic() + grace_s
        busy = runtime.in_flight()
        log.info("SIGTERM: finishing what is in flight (%s) for up to %.0f s before stopping", _said(busy), grace_s)
        while busy and time.monotonic() < deadline:
            time.sleep(0.2)
            busy = runtime.in_flight()
        if busy:
            log.warning("stopping with %s still in flight after %.0f s", _said(busy), grace_s)
        else:
            log.info("nothing in flight: stopping")
        stop_now(signal.SIGTERM, None)

    def on_sigterm(signum, frame) -> None:
        if started.is_set():  # a second SIGTERM: stop now
            stop_now(signum, frame)
            return
        started.set()
        runtime.start_draining()
        threading.Thread(target=drain_then_stop, name="dasan-drain", daemon=True).start()

    signal.signal(signal.SIGTERM, on_sigterm)


def _said(busy: dict[str, int]) -> str:
    return ", ".join(f"{n} {what}" for what, n in busy.items()) or "nothing"
