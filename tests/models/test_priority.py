"""Live work before batch work: a job worker's thread is lowered and marked, and a model's lock is handed to a
waiting live thread before a waiting background one (real threads, real scheduler priorities)."""

from __future__ import annotations

import os
import sys
import threading
import time

import pytest

from database.jobs import JobQueue, Worker
from models.priority import BACKGROUND_NICE, LiveFirstLock, become_background, in_background


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


def test_a_waiting_live_thread_takes_the_lock_before_a_waiting_background_one():
    lock = LiveFirstLock()
    order: list[str] = []
    holding, waiting = threading.Event(), threading.Event()

    def holder():
        become_background()
        with lock:
            holding.set()
            waiting.wait(10)
            time.sleep(0.1)  # both others are waiting by now
        order.append("held")

    def taker(name: str, background: bool):
        if background:
            become_background()
        with lock:
            order.append(name)

    first = threading.Thread(target=holder)
    first.start()
    holding.wait(10)
    later = [threading.Thread(target=taker, args=("batch", True)), threading.Thread(target=taker, args=("live", False))]
    later[0].start()
    time.sleep(0.05)  # the batch thread asked first...
    later[1].start()
    time.sleep(0.05)
    waiting.set()
    for thread in [first, *later]:
        thread.join(10)
    assert [name for name in order if name != "held"] == ["live", "batch"]  # ... the live one went first


def test_a_background_thread_takes_a_free_lock_at_once():
    lock = LiveFirstLock()

    def take():
        become_background()
        with lock:
            return True

    assert _in_thread(take)


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
