"""Live work before batch work, in one process: a caller waiting for an answer goes before a minutes upload.

A thread that does batch work (a job worker: minutes uploads, re-composing, complaint copies) calls
:func:`become_background` once. That lowers its CPU priority (Linux threads have their own nice value, and the
threads it starts later, such as its math libraries' worker threads, inherit it) and marks it. Then:

* the model set gives it its own copy of the speech model (:meth:`models.loaded.ModelSet.transcriber`), loaded in
  that thread, because a model's compute threads (CTranslate2's) keep the priority of the thread that loaded them:
  sharing the live copy would run an upload's decode at full priority;
* before each decode it calls :func:`yield_to_live_work`, which waits while a call's model work (:func:`live_work`:
  its decodes, the reply, its speech synthesis) is running, for up to :data:`MAX_YIELD_S` each time, so that an
  upload still moves on a busy day.

Every other thread is live (a call, a live meeting, a chat request). The main thread is never lowered: a job run
there (a test calling ``Worker.run_one``) leaves its caller as it was.

What it does not do: a decode already running in a background thread is not stopped (one window, at most a few
seconds of audio, finishes first, at the lowered priority), and work in other processes (``dasan worker``) is
ordered by the OS alone (its job threads are lowered the same way).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

T = TypeVar("T")

BACKGROUND_NICE = 10  # CFS gives a nice-0 thread about nine times the CPU of a nice-10 one when both want it
MAX_YIELD_S = 5.0  # a background model call waits at most this long for the live work running to stop

_local = threading.local()
_live = threading.Condition()
_live_running = 0


def become_background() -> None:
    """Mark the calling thread as batch work and lower its CPU priority (once; never the main thread)."""
    if getattr(_local, "background", False) or threading.current_thread() is threading.main_thread():
        return
    _local.background = True
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), BACKGROUND_NICE)
    except (AttributeError, OSError):  # not Linux, or not allowed: the lock's ordering still holds
        pass


def in_background() -> bool:
    return getattr(_local, "background", False)


@contextmanager
def live_work() -> Iterator[None]:
    """Around a live thread's model work: background decodes wait until it ends (:func:`yield_to_live_work`)."""
    global _live_running
    with _live:
        _live_running += 1
    try:
        yield
    finally:
        with _live:
            _live_running -= 1
            _live.notify_all()


def run_live(fn: Callable[..., T], *args) -> T:
    """``fn(*args)`` as live work (for an executor: ``pool.submit(run_live, fn, ...)``)."""
    with live_work():
        return fn(*args)


def yield_to_live_work(max_s: float = MAX_YIELD_S) -> None:
    """In a background thread: wait until no live work runs (at most ``max_s``). In a live thread: return at once."""
    if not in_background():
        return
    with _live:
        _live.wait_for(lambda: _live_running == 0, max_s)
