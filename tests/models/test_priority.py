"""Live work before batch work: a job worker's thread is lowered and marked, it waits while a call's model work
runs, and it decodes on its own copy of the speech model whose threads are lowered too (real threads, real
scheduler priorities, the real model)."""

from __future__ import annotations

import os
import sys
import threading
import time

import pytest

from database.jobs import JobQueue, Worker
from models.priority import BACKGROUND_NICE, become_background, in_background, live_work, yield_to_live_work


def _nice() -> int:
    return os.getpriority(os.PRIO_PROCESS, threading.get_native_id())


def _in_thread(fn):
    out: dict = {}
    thread = threading.Thread(target=lambda: out.update(value=fn()))
    thread.start()
    thread.join(10)
    return out["value"]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="thread nice values are Linux's")
def test_a_background_thread_is_lowered_and_the_threads_it_starts_too():
    before = _in_thread(_nice)

    def work():
        become_background()
        become_background()  # once only: not lowered twice
        child = _in_thread(_nice)
        return in_background(), _nice(), child

    marked, mine, child = _in_thread(work)
    assert marked
    assert mine == min(19, before + BACKGROUND_NICE)
    assert child == mine  # a math library's worker threads, started later, inherit it
    assert _in_thread(_nice) == before and not _in_thread(in_background)  # other threads are untouched


def test_the_main_thread_is_never_lowered():
    before = _nice()
    become_background()
    assert _nice() == before and not in_background()


def test_batch_work_waits_while_a_calls_model_work_runs():
    working, done_at = threading.Event(), {}

    def call_work():
        with live_work():
            working.set()
            time.sleep(0.3)
        done_at["live"] = time.monotonic()

    def upload_window():
        become_background()
        working.wait(10)
        yield_to_live_work()
        done_at["batch"] = time.monotonic()

    threads = [threading.Thread(target=call_work), threading.Thread(target=upload_window)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert done_at["batch"] >= done_at["live"] - 0.01  # the upload's window started only after the call's work


def test_a_live_thread_never_waits_and_a_batch_thread_waits_at_most_its_limit():
    with live_work():
        started = time.monotonic()
        yield_to_live_work()  # this (live) thread: at once, although live work is running
        assert time.monotonic() - started < 0.05

        def batch():
            become_background()
            begun = time.monotonic()
            yield_to_live_work(max_s=0.2)  # live work never ends here: it gives up after 0.2 s
            return time.monotonic() - begun

        assert 0.15 < _in_thread(batch) < 2


def test_the_runtime_kind_of_worker_runs_its_jobs_in_the_background(tmp_path):
    from dasan.runtime import declared_metadata
    from database import make_engine, upgrade

    engine = make_engine(f"sqlite:///{tmp_path / 'jobs.db'}")
    upgrade(engine, metadata=declared_metadata())
    queue = JobQueue(engine, lease_s=5)
    seen: dict = {}
    done = threading.Event()

    def handler(context):
        seen.update(background=in_background(), nice=_nice())
        done.set()
        return {}

    base = _in_thread(_nice)
    worker = Worker(queue, {"probe": handler}, poll_s=0.05, initializer=become_background).start()
    try:
        queue.submit("probe", {})
        assert done.wait(10)
    finally:
        worker.stop(5)
        engine.dispose()
    assert seen == {"background": True, "nice": min(19, base + BACKGROUND_NICE)}


def _threads_nice() -> dict[int, int]:
    """Every thread of this process and its nice value (/proc: field 19 of each task's stat)."""
    out = {}
    for task in os.listdir("/proc/self/task"):
        try:
            stat = open(f"/proc/self/task/{task}/stat").read()
        except FileNotFoundError:  # it ended meanwhile
            continue
        out[int(task)] = int(stat.rsplit(")", 1)[1].split()[16])
    return out


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="thread nice values are Linux's")
def test_batch_work_decodes_on_its_own_copy_of_the_model_whose_threads_are_lowered(model_set):
    import numpy as np

    from speech.backends import DecodeOptions
    from speech.transcriber import window_decoder_for

    live = window_decoder_for(model_set)
    live.warm_up()
    base = _in_thread(_nice)
    before = _threads_nice()

    def batch():
        become_background()
        decoder = window_decoder_for(model_set)
        decoder.decode(np.zeros(16_000, dtype=np.float32), DecodeOptions(language="en"))
        return decoder

    decoder = _in_thread(batch)
    assert decoder is not live and decoder.model is not live.model
    assert window_decoder_for(model_set) is live  # a live thread still gets the first one
    started = {tid: nice for tid, nice in _threads_nice().items() if tid not in before}
    assert started, "loading the batch copy started no compute thread"
    assert set(started.values()) == {min(19, base + BACKGROUND_NICE)}  # all of them run at the batch priority
