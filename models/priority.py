"""Live work before batch work, in one process: a caller waiting for an answer goes before a minutes upload.

A thread that does batch work (a job worker: minutes uploads, re-composing, complaint copies) calls
:func:`become_background` once. That lowers its CPU priority (Linux threads have their own nice value, and the
threads it starts later, such as its math libraries' worker threads, inherit it), and marks it, so that
:class:`LiveFirstLock` makes it wait while any other thread is waiting for the same model, and while a call's model
work (:func:`live_work`: its decodes, the reply, its speech synthesis) is running, for up to
:data:`MAX_YIELD_S` each time, so that an upload still moves on a busy day. Every other thread is live (a call, a
live meeting, a chat request). The main thread is never lowered: a job run there (a test calling
``Worker.run_one``) leaves its caller as it was.

Why a lock and not the nice value alone: a model's own threads (CTranslate2's, made when the model loaded) run at
the priority of whoever loaded it, whoever asked for the decode, so only taking turns at the model keeps an
upload's window from competing with a call's.

What it does not do: a model call already running in a background thread is not stopped (one decode window, at most
a few seconds of audio, finishes first), and work in other processes (``dasan worker``) is ordered by the OS alone
(its threads are lowered the same way).
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
    """Around a live thread's model work: background model calls (:class:`LiveFirstLock`) wait until it ends."""
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


def live_work_running() -> int:
    return _live_running


def _yield_to_live_work(timeout: float) -> None:
    with _live:
        _live.wait_for(lambda: _live_running == 0, timeout)


class LiveFirstLock:
    """A mutex (``with lock:``) that hands itself to live threads before background ones: a background thread
    takes it only when no live thread is waiting, so a call's decode waits for at most the one window a minutes
    upload has in progress, never behind the upload's next windows."""

    def __init__(self, max_yield_s: float = MAX_YIELD_S) -> None:
        self.max_yield_s = max_yield_s
        self._condition = threading.Condition(threading.Lock())
        self._held = False
        self._live_waiting = 0

    def __enter__(self) -> "LiveFirstLock":
        live = not in_background()
        if not live and live_work_running():  # a call is decoding, replying or speaking: let it finish first
            _yield_to_live_work(self.max_yield_s)
        with self._condition:
            if live:
                self._live_waiting += 1
                try:
                    self._condition.wait_for(lambda: not self._held)
                finally:
                    self._live_waiting -= 1
            else:
                self._condition.wait_for(lambda: not self._held and not self._live_waiting)
            self._held = True
        return self

    def __exit__(self, *_exc) -> None:
        with self._condition:
            self._held = False
            self._condition.notify_all()
