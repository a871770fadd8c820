"""Long jobs kept in the process database, taken by whichever worker is free (this process or a ``dasan worker``
on another machine), with a lease so a job lost with its worker is taken again.

A job is a row of ``jobs``: its kind, its input (JSON), its state (``queued``, ``running``, ``done``,
``failed``), its progress (JSON, written by the worker as it goes) and its result. A worker *claims* a job with one
conditional UPDATE (only one claimer's UPDATE matches the row, on SQLite and on PostgreSQL alike), which gives it a
lease token and a lease that it renews while it works (:meth:`JobQueue.heartbeat`). A worker that dies stops
renewing; once the lease has run out another worker claims the job again (``attempts`` counts the tries, and past
``max_attempts`` the job fails, saying so). Finishing is conditional on the token too, so a job is completed once:
a worker that lost its lease (it was paused too long, say) finds out at its next heartbeat or at the end and
stops, and its late result is not recorded. A job's work must therefore be idempotent (the minutes service
writes the meeting under the job's id, so a second try overwrites the first try's partial meeting).

No broker is involved: the database every Dasan process already shares is the queue, so the embedded default
(one process, SQLite) needs nothing more, and several servers on one PostgreSQL share one queue. Workers find new
jobs by polling (every ``poll_s``; a submit in the same process wakes its own worker at once).
"""

from __future__ import annotations

import json
import logging
import threading
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy import JSON, Engine, Integer, String, Text, or_, select, update
from sqlalchemy.orm import Mapped, mapped_column

from database.base import Base, UTCDateTime

log = logging.getLogger("database.jobs")

STATES = ("queued", "running", "done", "failed")


class JobRow(Base):
    __tablename__ = "jobs"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    kind: Mapped[str] = mapped_column(String(60), index=True)
    status: Mapped[str] = mapped_column(String(10), index=True)
    payload: Mapped[dict] = mapped_column(JSON)
    progress: Mapped[dict] = mapped_column(JSON)
    result: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    max_attempts: Mapped[int] = mapped_column(Integer, default=3)
    lease_token: Mapped[str | None] = mapped_column(String(40), nullable=True)
    lease_owner: Mapped[str | None] = mapped_column(String(120), nullable=True)  # host:pid of the worker
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


@dataclass(frozen=True)
class Job:
    """One job as read from the database."""

    id: str
    kind: str
    status: str
    payload: dict
    progress: dict
    result: dict | None
    error: str | None
    attempts: int
    max_attempts: int
    lease_owner: str | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, row) -> "Job":
        return cls(row.id, row.kind, row.status, dict(row.payload or {}), dict(row.progress or {}),
                   None if row.result is None else dict(row.result), row.error, row.attempts, row.max_attempts,
                   row.lease_owner, row.created_at, row.updated_at)


@dataclass(frozen=True)
class Claim:
    """A job this worker holds: its id, kind, input, and the lease token that proves it."""

    job_id: str
    kind: str
    payload: dict
    token: str
    attempt: int


class LeaseLost(RuntimeError):
    """This worker no longer holds the job (its lease ran out and another worker took it)."""


class WorkerStopping(RuntimeError):
    """This worker is shutting down: the job in hand is given back to the queue for another worker."""


class JobNotFound(KeyError):
    def __str__(self) -> str:
        return str(self.args[0])


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _jsonable(value: Any) -> Any:
    """``value`` as it will read back from a JSON column (a ValueError here, not at commit, if it cannot be)."""
    return json.loads(json.dumps(value))


class JobQueue:
    """Jobs in ``engine``'s ``jobs`` table (created by the migrations); safe to share between threads."""

    def __init__(self, engine: Engine, lease_s: float = 30.0, max_attempts: int = 3) -> None:
        if lease_s <= 0:
            raise ValueError("a lease lasts more than 0 seconds")
        self.engine = engine
        self.lease_s = lease_s
        self.max_attempts = max_attempts
        self.owner = f"{_hostname()}:{_pid()}"
        self._wake = threading.Event()

    # ------------------------------------------------------------------ submitting and reading
    def submit(self, kind: str, payload: dict, progress: dict | None = None, job_id: str | None = None) -> Job:
        """Queue a job; committed before this returns (a worker anywhere may take it from then on)."""
        now = _now()
        row = JobRow(id=job_id or uuid.uuid4().hex[:12], kind=kind, status="queued", payload=_jsonable(payload),
                     progress=_jsonable(progress or {}), attempts=0, max_attempts=self.max_attempts,
                     created_at=now, updated_at=now)
        with self.engine.begin() as conn:
            conn.execute(JobRow.__table__.insert().values(
                id=row.id, kind=row.kind, status=row.status, payload=row.payload, progress=row.progress,
                attempts=0, max_attempts=row.max_attempts, created_at=now, updated_at=now))
        self._wake.set()
        return self.get(row.id)

    def submit_within(self, connection, kind: str, payload: dict, progress: dict | None = None,
                      job_id: str | None = None) -> str:
        """Queue a job inside the caller's transaction (``connection``: a Connection or an ORM Session), so that
        it exists exactly when the caller's change commits; returns its id. Call :meth:`wake` after the commit
        to have this process's worker take it at once."""
        now = _now()
        job_id = job_id or uuid.uuid4().hex[:12]
        connection.execute(JobRow.__table__.insert().values(
            id=job_id, kind=kind, status="queued", payload=_jsonable(payload), progress=_jsonable(progress or {}),
            attempts=0, max_attempts=self.max_attempts, created_at=now, updated_at=now))
        return job_id

    def wake(self) -> None:
        """A job was queued: this process's idle worker looks at the queue now rather than at its next poll."""
        self._wake.set()

    def get(self, job_id: str) -> Job:
        with self.engine.connect() as conn:
            row = conn.execute(select(JobRow).where(JobRow.id == job_id)).first()
        if row is None:
            raise JobNotFound(f"no job {job_id!r}")
        return Job.of(row)

    def counts(self, kinds: Iterable[str] | None = None) -> dict[str, int]:
        """Jobs by state (for health pages and metrics)."""
        from sqlalchemy import func

        query = select(JobRow.status, func.count()).group_by(JobRow.status)
        if kinds is not None:
            query = query.where(JobRow.kind.in_(list(kinds)))
        with self.engine.connect() as conn:
            found = dict(conn.execute(query).all())
        return {state: int(found.get(state, 0)) for state in STATES}

    # ------------------------------------------------------------------ working
    def claim(self, kinds: Iterable[str]) -> Claim | None:
        """Take the oldest job of ``kinds`` that is queued, or whose worker's lease has run out; None if none."""
        kinds = list(kinds)
        for _ in range(5):  # another worker may win a candidate; try the next one
            now = _now()
            takeable = or_(JobRow.status == "queued", (JobRow.status == "running") & (JobRow.lease_until < now))
            with self.engine.connect() as conn:
                found = conn.execute(select(JobRow.id, JobRow.attempts, JobRow.max_attempts)
                                     .where(JobRow.kind.in_(kinds), takeable)
                                     .order_by(JobRow.created_at).limit(1)).first()
            if found is None:
                return None
            if found.attempts >= found.max_attempts:  # lost with its worker too often: give up, saying why
                self._give_up(found.id, takeable, now)
                continue
            token = uuid.uuid4().hex
            with self.engine.begin() as conn:
                taken = conn.execute(update(JobRow).where(JobRow.id == found.id, takeable).values(
                    status="running", lease_token=token, lease_owner=self.owner,
                    lease_until=now + timedelta(seconds=self.lease_s), attempts=JobRow.attempts + 1,
                    updated_at=now))
                if taken.rowcount != 1:
                    continue
                row = conn.execute(select(JobRow.kind, JobRow.payload, JobRow.attempts)
                                   .where(JobRow.id == found.id)).one()
            if found.attempts:
                log.warning("job %s taken again (try %d of %d): its last worker's lease ran out", found.id,
                            row.attempts, found.max_attempts)
            return Claim(found.id, row.kind, dict(row.payload), token, row.attempts)
        return None

    def _give_up(self, job_id: str, takeable, now: datetime) -> None:
        with self.engine.begin() as conn:
            conn.execute(update(JobRow).where(JobRow.id == job_id, takeable).values(
                status="failed", lease_token=None, lease_until=None, updated_at=now,
                error="the job's worker stopped before finishing it, on every try (the recording may be too long "
                      "for the workers' memory or time; see the workers' logs)"))
        log.error("job %s failed: its workers stopped on every try", job_id)

    def heartbeat(self, claim: Claim, progress: dict | None = None) -> None:
        """Renew the lease (and record progress); LeaseLost when another worker has the job now."""
        values: dict[str, Any] = {"lease_until": _now() + timedelta(seconds=self.lease_s), "updated_at": _now()}
        if progress is not None:
            values["progress"] = _jsonable(progress)
        self._update_held(claim, values)

    def finish(self, claim: Claim, result: dict | None = None, progress: dict | None = None) -> None:
        """Record the job done; LeaseLost (and nothing recorded) when this worker no longer holds it."""
        values: dict[str, Any] = {"status": "done", "result": _jsonable(result or {}), "lease_token": None,
                                  "lease_until": None, "error": None, "updated_at": _now()}
        if progress is not None:
            values["progress"] = _jsonable(progress)
        self._update_held(claim, values)

    def fail(self, claim: Claim, error: str, progress: dict | None = None) -> None:
        """Record the job failed (its work raised: trying again would fail the same way)."""
        values: dict[str, Any] = {"status": "failed", "error": error[:2000], "lease_token": None,
                                  "lease_until": None, "updated_at": _now()}
        if progress is not None:
            values["progress"] = _jsonable(progress)
        self._update_held(claim, values)

    def release(self, claim: Claim) -> None:
        """Give the job back untouched (this worker is shutting down): queued again at once, this try not counted."""
        self._update_held(claim, {"status": "queued", "lease_token": None, "lease_until": None,
                                  "lease_owner": None, "attempts": JobRow.attempts - 1, "updated_at": _now()})

    def _update_held(self, claim: Claim, values: dict) -> None:
        with self.engine.begin() as conn:
            done = conn.execute(update(JobRow).where(JobRow.id == claim.job_id, JobRow.status == "running",
                                                     JobRow.lease_token == claim.token).values(**values))
        if done.rowcount != 1:
            raise LeaseLost(f"job {claim.job_id} is no longer held by this worker")

    def wait(self, timeout: float) -> None:
        """Sleep until ``timeout`` or until a job is submitted in this process."""
        self._wake.wait(timeout)
        self._wake.clear()


Handler = Callable[["JobContext"], dict | None]


@dataclass
class JobContext:
    """What a handler gets: the job's input, and :meth:`report` to record progress (which also says, by raising
    LeaseLost, that the job was taken away and the handler must stop)."""

    claim: Claim
    queue: JobQueue
    progress: dict = field(default_factory=dict)
    _lost: threading.Event = field(default_factory=threading.Event)
    _stopping: threading.Event = field(default_factory=threading.Event)

    @property
    def payload(self) -> dict:
        return self.claim.payload

    @property
    def job_id(self) -> str:
        return self.claim.job_id

    def report(self, **progress: Any) -> None:
        """Update the progress the heartbeat writes; raises LeaseLost once the job is no longer this worker's, and
        WorkerStopping once the worker is shutting down (the job goes back to the queue)."""
        self.progress.update(progress)
        if self._lost.is_set():
            raise LeaseLost(f"job {self.claim.job_id} was taken by another worker")
        if self._stopping.is_set():
            raise WorkerStopping(f"job {self.claim.job_id} given back: this worker is stopping")


class Worker:
    """Takes jobs of the kinds it has handlers for, one at a time, in a thread (``start``/``stop``) or in the
    calling thread (``run``: the ``dasan worker`` command). Progress is written and the lease renewed every
    ``heartbeat_s`` while a handler runs."""

    def __init__(self, queue: JobQueue, handlers: dict[str, Handler], poll_s: float = 1.0,
                 heartbeat_s: float | None = None, name: str = "jobs",
                 initializer: Callable[[], None] | None = None) -> None:
        """``initializer`` runs once in the worker's thread before its first job (the runtime lowers the thread's
        priority there: :func:`models.priority.become_background`)."""
        self.queue = queue
        self.initializer = initializer
        self.handlers = dict(handlers)
        self.poll_s = poll_s
        self.heartbeat_s = heartbeat_s if heartbeat_s is not None else max(0.2, queue.lease_s / 4)
        self.name = name
        self._stop = threading.Event()
        self._no_new = threading.Event()  # finish the job in hand, take no other
        self._thread: threading.Thread | None = None
        self.current: str | None = None  # the job being worked on
        self.done = 0

    def start(self) -> "Worker":
        self._thread = threading.Thread(target=self.run, name=f"worker-{self.name}", daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout: float = 0.0) -> None:
        """Stop taking jobs; the job in hand stops at its next progress report and goes back to the queue (wait up
        to ``timeout`` s for that; if the process ends first, another worker takes the job once its lease runs
        out)."""
        self._stop.set()
        self.queue._wake.set()
        if self._thread is not None and timeout:
            self._thread.join(timeout)

    def finish_current(self) -> None:
        """Take no new job; the one in hand (if any) runs to its end (a server draining before it stops)."""
        self._no_new.set()
        self.queue._wake.set()

    def run(self) -> None:
        log.info("job worker %s taking %s", self.queue.owner, ", ".join(sorted(self.handlers)))
        if self.initializer is not None:
            self.initializer()
        while not self._stop.is_set() and not self._no_new.is_set():
            try:
                if not self.run_one():
                    self.queue.wait(self.poll_s)
            except Exception:  # the database went away for a moment, say: keep going
                log.exception("the job worker could not read the queue; trying again")
                self._stop.wait(min(5.0, self.poll_s * 5))

    def run_one(self) -> bool:
        """Claim and run one job; False when there was none to take."""
        claim = self.queue.claim(self.handlers)
        if claim is None:
            return False
        self.current = claim.job_id
        context = JobContext(claim, self.queue, _stopping=self._stop)
        released = False
        beating = threading.Event()
        beat = threading.Thread(target=self._beat, args=(context, beating), name=f"heartbeat-{claim.job_id}",
                                daemon=True)
        beat.start()
        try:
            result = self.handlers[claim.kind](context)
        except LeaseLost as exc:
            log.warning("%s; stopped working on it", exc)
            return True
        except WorkerStopping as exc:
            log.info("%s", exc)
            released = True
            return True
        except Exception as exc:  # the job's own failure: recorded on it, the worker goes on
            log.warning("job %s (%s) failed: %s", claim.job_id, claim.kind, exc)
            message = str(exc) if isinstance(exc, (ValueError, OSError)) else f"{type(exc).__name__}: {exc}"
            self._settle(self.queue.fail, claim, message, progress=context.progress)
            return True
        finally:
            beating.set()
            beat.join()
            self.current = None
            if released:
                self._settle(self.queue.release, claim)
        self._settle(self.queue.finish, claim, result, progress=context.progress)
        self.done += 1
        return True

    @staticmethod
    def _settle(record, claim: Claim, *args, **kwargs) -> None:
        try:
            record(claim, *args, **kwargs)
        except LeaseLost as exc:
            log.warning("%s: its result is not recorded (another worker has it)", exc)

    def _beat(self, context: JobContext, done: threading.Event) -> None:
        while not done.wait(self.heartbeat_s):
            try:
                self.queue.heartbeat(context.claim, dict(context.progress))
            except LeaseLost:
                context._lost.set()
                return
            except Exception as exc:  # noqa: BLE001  (a missed beat is retried; the lease is several beats long)
                log.warning("heartbeat of job %s failed: %s", context.claim.job_id, exc)


def _hostname() -> str:
    import socket

    return socket.gethostname()[:80]


def _pid() -> int:
    import os

    return os.getpid()
