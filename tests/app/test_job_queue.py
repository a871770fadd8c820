"""The job queue in the process database (database.jobs) on a real SQLite file and the local PostgreSQL: one claimer
per job, leases that run out and are taken again, a late worker's result refused, workers in several processes."""

from __future__ import annotations

import multiprocessing
import threading
import time

import pytest

from database.jobs import JobQueue, LeaseLost, Worker
from tests.civic_services.conftest import postgres_available  # noqa: F401  (the fixture, for PostgreSQL)


def _engine(url: str):
    from dasan.runtime import declared_metadata
    from database import make_engine, upgrade

    engine = make_engine(url)
    upgrade(engine, metadata=declared_metadata())
    return engine


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path):
    from tests.civic_services.conftest import make_database_url

    url = make_database_url(request.param, tmp_path, request)
    _engine(url).dispose()  # migrated once, before any worker process opens it
    return url


@pytest.fixture
def engine(database_url):
    engine = _engine(database_url)
    yield engine
    engine.dispose()


def test_a_job_is_claimed_worked_and_finished_once(engine):
    queue = JobQueue(engine, lease_s=30)
    job = queue.submit("test.echo", {"text": "회의록"}, {"stage": "queued"})
    assert job.status == "queued" and job.payload == {"text": "회의록"} and job.attempts == 0
    claim = queue.claim(["test.echo"])
    assert claim is not None and claim.payload == {"text": "회의록"} and claim.attempt == 1
    assert queue.claim(["test.echo"]) is None  # held: nobody else gets it
    queue.heartbeat(claim, {"stage": "working", "done": 3})
    assert queue.get(job.id).progress == {"stage": "working", "done": 3}
    queue.finish(claim, {"answer": 42})
    done = queue.get(job.id)
    assert done.status == "done" and done.result == {"answer": 42} and done.attempts == 1
    with pytest.raises(LeaseLost):  # finishing twice records nothing more
        queue.finish(claim, {"answer": 43})
    assert queue.get(job.id).result == {"answer": 42}
    assert queue.counts() == {"queued": 0, "running": 0, "done": 1, "failed": 0}
    assert queue.claim(["other.kind"]) is None


def test_concurrent_claimers_never_share_a_job(engine):
    queue = JobQueue(engine, lease_s=30)
    ids = {queue.submit("test.echo", {"n": n}).id for n in range(30)}
    taken: list[str] = []
    lock = threading.Lock()

    def claimer():
        mine = JobQueue(engine, lease_s=30)
        while (claim := mine.claim(["test.echo"])) is not None:
            with lock:
                taken.append(claim.job_id)

    threads = [threading.Thread(target=claimer) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(taken) == sorted(ids)  # every job once, none twice


def test_a_lost_worker_s_job_is_taken_again_and_its_late_result_refused(engine):
    first = JobQueue(engine, lease_s=0.4)
    second = JobQueue(engine, lease_s=30)
    job = first.submit("test.echo", {})
    lost = first.claim(["test.echo"])
    assert second.claim(["test.echo"]) is None
    time.sleep(0.6)  # the first worker stopped renewing its lease
    again = second.claim(["test.echo"])
    assert again is not None and again.job_id == job.id and again.attempt == 2
    with pytest.raises(LeaseLost):
        first.heartbeat(lost)
    with pytest.raises(LeaseLost):
        first.finish(lost, {"by": "first"})
    second.finish(again, {"by": "second"})
    assert queue_row(second, job.id) == ("done", {"by": "second"}, 2)


def test_a_job_lost_on_every_try_fails_saying_why(engine):
    queue = JobQueue(engine, lease_s=0.2, max_attempts=2)
    job = queue.submit("test.echo", {})
    for _ in range(2):
        assert queue.claim(["test.echo"]) is not None
        time.sleep(0.3)
    assert queue.claim(["test.echo"]) is None
    failed = queue.get(job.id)
    assert failed.status == "failed" and "every try" in failed.error and failed.attempts == 2


def test_the_worker_records_results_failures_and_gives_a_job_back_when_stopping(engine):
    queue = JobQueue(engine, lease_s=1.0)
    started = threading.Event()

    def slow(context):
        started.set()
        while True:  # reports progress until the worker stops
            context.report(stage="working")
            time.sleep(0.05)

    handlers = {"test.ok": lambda context: {"twice": context.payload["n"] * 2},
                "test.bad": lambda context: int("not a number"),
                "test.slow": slow}
    ok, bad = queue.submit("test.ok", {"n": 21}), queue.submit("test.bad", {})
    worker = Worker(queue, handlers, poll_s=0.05, heartbeat_s=0.1).start()
    deadline = time.monotonic() + 20
    while queue.get(bad.id).status != "failed" and time.monotonic() < deadline:
        time.sleep(0.05)
    assert queue.get(ok.id).status == "done" and queue.get(ok.id).result == {"twice": 42}
    assert "invalid literal" in queue.get(bad.id).error
    slow_job = queue.submit("test.slow", {})
    assert started.wait(20)
    time.sleep(0.3)  # a few heartbeats
    assert queue.get(slow_job.id).progress == {"stage": "working"}
    worker.stop(timeout=10)
    back = queue.get(slow_job.id)
    assert back.status == "queued" and back.attempts == 0, back  # another worker may start it at once


def queue_row(queue: JobQueue, job_id: str) -> tuple:
    job = queue.get(job_id)
    return job.status, job.result, job.attempts


def _work_in_process(url: str, seconds: float) -> None:
    """A worker process: takes test.effect jobs for ``seconds`` and records, per job, that it ran here."""
    import os

    from database.keyvalue import SqlKeyValue

    engine = _engine(url)
    effects = SqlKeyValue(engine)

    def effect(context):
        time.sleep(0.2)  # long enough that the processes share the work
        effects.put(f"ran:{context.job_id}:{os.getpid()}", "1", 600)
        return {"pid": os.getpid()}

    worker = Worker(JobQueue(engine, lease_s=30), {"test.effect": effect}, poll_s=0.05).start()
    time.sleep(seconds)
    worker.stop(timeout=10)
    engine.dispose()


def test_workers_in_three_processes_run_each_job_once(engine, database_url):
    from sqlalchemy import select

    from database.keyvalue import KvEntry

    queue = JobQueue(engine)
    ids = [queue.submit("test.effect", {"n": n}).id for n in range(40)]
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=_work_in_process, args=(database_url, 12.0)) for _ in range(3)]
    for process in workers:
        process.start()
    for process in workers:
        process.join(60)
        assert process.exitcode == 0
    jobs = [queue.get(job_id) for job_id in ids]
    assert all(job.status == "done" for job in jobs), [job for job in jobs if job.status != "done"]
    with engine.connect() as conn:
        ran = [key for (key,) in conn.execute(select(KvEntry.key).where(KvEntry.key.like("ran:%")))]
    per_job = {job_id: [key for key in ran if key.split(":")[1] == job_id] for job_id in ids}
    assert all(len(keys) == 1 for keys in per_job.values()), per_job  # run once, by one process
    assert len({job.result["pid"] for job in jobs}) >= 2  # the work was shared
