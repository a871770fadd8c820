"""The composition root: one :class:`Runtime`, opened from :class:`~dasan.settings.Settings`, builds once everything
a Dasan process runs, in this order:

settings -> engine (with migrations) -> model set -> civic services -> tool registry and its services ->
assistant (tools given to its constructor) -> minutes service -> the voicebot's call records.

The web app's lifespan holds one runtime (routes reach its parts through the typed dependencies of
:mod:`webapi.deps`); the CLI, the benches and the tests open the same runtime. Opening it is quick (the engine,
migrations and service objects); :meth:`Runtime.load` does the slow part (warming models, opening or building the
knowledge-base index) and reports how far it has got in :attr:`Runtime.startup`, which ``/readyz`` serves while
the server already listens.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine, MetaData

from civic_services.tools.registry import ToolRegistry
from dasan.settings import Settings
from models.loaded import ROLES, ModelSet
from models.store import ModelError, ModelStore
from webapi.deps import PartUnavailable

log = logging.getLogger("dasan.runtime")


def gather_tools() -> ToolRegistry:
    """The assistant's tool registry: each package declares its own tools (schema and handler side by side) and
    the registry gathers them; :meth:`Runtime.tool_services` hands the handlers the services they name."""
    from chatbot.tools import TOOLS as assistant_tools
    from civic_services.complaints.tools import TOOLS as complaint_tools
    from civic_services.iot.tools import TOOLS as iot_tools
    from civic_services.opendata.tools import TOOLS as opendata_tools
    from civic_services.voting.tools import TOOLS as voting_tools
    from dasan.search_tool import TOOLS as search_tools

    return ToolRegistry.of(assistant_tools, complaint_tools, voting_tools, opendata_tools, iot_tools, search_tools)


def declared_metadata() -> list[MetaData]:
    """Every table the process keeps in its database, by the domain that declares it (what the migrations must
    build; autogenerate compares against these, so it never proposes dropping one)."""
    import database.jobs  # noqa: F401  (the job queue: registers jobs on database.Base)
    import database.keyvalue  # noqa: F401  (shared state: registers kv_entries on database.Base)
    from civic_services.tables import metadata as civic_metadata
    from minutes.store import metadata as minutes_metadata

    return [civic_metadata(), minutes_metadata]


def build_model_set(settings: Settings) -> ModelSet:
    """The process's models; with ``ray_address`` set, the roles Ray serves are stand-ins for its deployments (an
    unreachable cluster or a role not deployed raises :class:`dasan.ray_serve.RayUnavailable` here, at start)."""
    remote = {}
    if settings.ray_address:
        from dasan.ray_serve import connect

        remote = connect(settings)
    return ModelSet(
        store=ModelStore(settings.models_dir),
        refs={role.key: settings.model_ref(role.key) for role in ROLES},
        asr_backend=settings.asr_backend,
        asr_compute_type=settings.asr_compute_type,
        threads=settings.threads,
        tts_api_key=settings.tts_api_key.get_secret_value() if settings.tts_api_key else None,
        remote=remote,
    )


@dataclass
class Startup:
    """How far the slow part of opening a runtime has got (served by ``/readyz`` and the home page)."""

    stage: str = "starting"  # starting, models, assistant, ready
    detail: str = ""
    done: int = 0
    total: int = 0
    started: float = field(default_factory=time.monotonic)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def at(self, stage: str, detail: str = "", done: int = 0, total: int = 0) -> None:
        with self._lock:
            self.stage, self.detail, self.done, self.total = stage, detail, done, total
        if stage != "ready":
            log.info("start-up: %s %s%s", stage, detail, f" ({done}/{total})" if total else "")

    @property
    def ready(self) -> bool:
        return self.stage == "ready"

    def to_dict(self) -> dict:
        with self._lock:
            body: dict[str, Any] = {"stage": self.stage, "detail": self.detail,
                                    "seconds": round(time.monotonic() - self.started, 1)}
            if self.total:
                body["progress"] = {"done": self.done, "total": self.total}
            return body

    def sentence(self) -> str:
        state = self.to_dict()
        progress = f" ({state['progress']['done']}/{state['progress']['total']})" if "progress" in state else ""
        return f"the server is still starting: {state['stage']}{': ' + state['detail'] if state['detail'] else ''}" \
               f"{progress}"


class Runtime:
    """Everything one process runs. Build it with :meth:`open`; finish the slow part with :meth:`load`."""

    def __init__(self, settings: Settings, engine: Engine, models: ModelSet) -> None:
        from civic_services.complaints import ComplaintLimits, ComplaintService
        from civic_services.complaints.media import MediaStore
        from civic_services.iot import IoTOptions, IoTService
        from civic_services.opendata import OpenData, OpenDataOptions
        from civic_services.staff import StaffTokens
        from civic_services.staff.access import StaffAuthenticator
        from civic_services.staff.audit import AuditLog
        from civic_services.staff.sessions import BrowserSessions
        from civic_services.staff.users import StaffUsers
        from civic_services.voting import VotingService
        from database.jobs import JobQueue, Worker
        from minutes.service import MinutesOptions, MinutesService
        from minutes.store import MeetingStore
        from dasan.assistant import shared_store
        from database.keyvalue import SharedStateError
        from voicebot.records import CallRecords

        self.settings = settings
        self.engine = engine
        self.models = models
        self.startup = Startup()
        self.staff_tokens = StaffTokens(engine)
        self.staff_users = StaffUsers(engine)
        self.staff_sessions = BrowserSessions(engine)
        self.audit = AuditLog(engine)
        self.authenticator = StaffAuthenticator(self.staff_tokens, self.staff_sessions)
        # The public copies of complaint media are queued jobs of their own queue object (same table), so that a
        # report wakes the copying worker at once and never waits behind a long minutes job.
        self.copy_jobs = JobQueue(engine, lease_s=settings.job_lease_s, max_attempts=settings.job_max_attempts)
        self.complaints = ComplaintService(
            engine, MediaStore(settings.resolved_uploads_dir / "complaints"),
            ComplaintLimits(photo_max_bytes=settings.complaint_photo_max_bytes,
                            video_max_bytes=settings.complaint_video_max_bytes), jobs=self.copy_jobs)
        self.opendata = OpenData(engine, OpenDataOptions(rows_max=settings.datastore_rows_max,
                                                         sql_enabled=settings.datastore_sql_enabled,
                                                         sql_rows_max=settings.datastore_sql_rows_max,
                                                         sql_timeout_ms=settings.datastore_sql_timeout_ms,
                                                         sql_max_bytes=settings.datastore_sql_max_bytes))
        if settings.datastore_sql_enabled:  # on PostgreSQL it runs only with its read-only role: say which
            sql_state = self.opendata.open_sql()
            log.log(logging.INFO if sql_state.enabled else logging.ERROR, "datastore_search_sql is %s: %s",
                    "on" if sql_state.enabled else "DISABLED", sql_state.reason)
        self.iot = IoTService(engine, IoTOptions(raw_retention_days=settings.iot_raw_retention_days,
                                                 hourly_retention_days=settings.iot_hourly_retention_days))
        self.voting = VotingService(engine, settings.resolved_voting_keys_dir, batch_max=settings.vote_batch_max)
        self.tools = gather_tools()
        self.assistant = None
        self.assistant_error: str | None = None
        uploads = settings.resolved_uploads_dir / "minutes"
        uploads.mkdir(parents=True, exist_ok=True)
        self.jobs = JobQueue(engine, lease_s=settings.job_lease_s, max_attempts=settings.job_max_attempts)
        self.job_worker: Worker | None = None
        self.copy_worker: Worker | None = None  # complaint media's public copies
        self.draining = False  # SIGTERM received: finishing what is in flight (dasan.draining)
        self.minutes = MinutesService(models, MeetingStore(engine), uploads, self.jobs,
                                      MinutesOptions(upload_max_bytes=settings.minutes_upload_max_bytes,
                                                     llm_enabled=settings.llm_enabled,
                                                     time_zone=settings.time_zone))
        self.shared_state, self.shared_state_error = None, None  # what every worker shares (sessions, calls)
        try:
            self.shared_state = shared_store(settings, engine)
        except SharedStateError as exc:
            self.shared_state_error = str(exc)
            log.error("shared state unavailable (calls recorded in this process only): %s", exc)
        self.calls = CallRecords(self.shared_state, keep_s=settings.call_record_keep_s)
        self.model_errors: dict[str, str] = {}
        self._assistant_lock = threading.Lock()

    # ------------------------------------------------------------------ opening
    @classmethod
    def open(cls, settings: Settings, *, load: bool = False) -> "Runtime":
        """The engine (migrated to the newest schema) and every service object; with ``load`` also the slow part."""
        from database import describe, make_engine, upgrade

        settings.data_dir.mkdir(parents=True, exist_ok=True)
        engine = make_engine(settings.resolved_database_url, settings.database_pool_size)
        try:
            upgrade(engine, metadata=declared_metadata())
        except BaseException:
            engine.dispose()
            raise
        log.info("database: %s", describe(settings.resolved_database_url))
        runtime = cls(settings, engine, build_model_set(settings))
        if load:
            runtime.load()
        return runtime

    def load(self, rebuild_index: bool = False) -> None:
        """Warm the required models (when the settings ask) and open the assistant; progress in :attr:`startup`.
        A model or an index that cannot be had is recorded (``/readyz`` says what), never raised."""
        settings = self.settings
        if settings.warm_up:
            roles = list(settings.required_roles)
            for n, role in enumerate(roles):
                self.startup.at("models", f"loading {role} ({settings.model_ref(role)})", n, len(roles))
                try:
                    self.models.load_role(role)
                except ModelError as exc:
                    self.model_errors[role] = str(exc)
                    log.error("model for %s unavailable: %s", role, exc)
            if settings.turn_model and "turn" not in roles:
                # not required (calls judge turns by their words without it), but loaded now rather than at the
                # first caller's first pause, where loading it would hold up that call's audio
                try:
                    self.models.turn_model()
                except Exception as exc:  # a missing or broken model: calls judge turns by their words
                    log.warning("end-of-turn model unavailable, turns are judged by their words: %s", exc)
        self.open_assistant(rebuild=rebuild_index)
        self.startup.at("ready")

    def open_assistant(self, rebuild: bool = False):
        """The 120 assistant over the knowledge base, with its tools (None, with :attr:`assistant_error` set, when
        it cannot start); built once."""
        with self._assistant_lock:
            return self._open_assistant(rebuild)

    def _open_assistant(self, rebuild: bool):
        from dasan.assistant import build_assistant, shared_sessions
        from database.keyvalue import SharedStateError
        from retrieval_index import IndexCorruptError, IndexMismatchError

        if self.assistant is not None and not rebuild:
            return self.assistant
        if not self.settings.chat_enabled:
            self.assistant_error = "the assistant is turned off (DASAN_CHAT_ENABLED=false)"
            return None
        self.startup.at("assistant", "opening the knowledge-base index")
        try:
            self.assistant = build_assistant(
                self.settings, self.models, self.tools, self.tool_services, rebuild=rebuild,
                sessions=shared_sessions(self.settings, self.shared_state, self.shared_state_error),
                progress=lambda done, total: self.startup.at("assistant", "building the knowledge-base index",
                                                             done, total))
            self.assistant_error = None
            log.info("assistant ready: %d knowledge-base entries", len(self.assistant.kb))
        except (IndexMismatchError, IndexCorruptError) as exc:
            self.assistant_error = f"{exc} (or set DASAN_INDEX_AUTO_REBUILD=true)"
            log.error("assistant unavailable: %s", self.assistant_error)
        except (ModelError, FileNotFoundError, ValueError, SharedStateError) as exc:
            self.assistant_error = str(exc)
            log.error("assistant unavailable: %s", exc)
        return self.assistant

    def start_jobs(self) -> "Worker":
        """Run queued jobs in a thread of this process (the server when DASAN_JOBS_IN_PROCESS, ``dasan worker``)."""
        from database.jobs import Worker
        from models.priority import become_background

        if self.job_worker is None:  # batch work: a call or a live meeting in this process goes first
            self.job_worker = Worker(self.jobs, self.job_handlers(), name="minutes",
                                     initializer=become_background).start()
        if self.copy_worker is None:
            self.copy_worker = Worker(self.copy_jobs, self.complaints.job_handlers(), name="complaint-copies",
                                      initializer=become_background).start()
        return self.job_worker

    def start_draining(self) -> None:
        """Shutting down: take no new job, and say so in /readyz (what is in flight goes on)."""
        self.draining = True
        for worker in (self.job_worker, self.copy_worker):
            if worker is not None:
                worker.finish_current()

    def in_flight(self) -> dict[str, int]:
        """What this process is in the middle of: voice calls, live meetings, a queued job (only those above 0)."""
        counts = {"voice calls": self.calls.in_progress(), "live meetings": self.minutes.live_count,
                  "jobs": sum(1 for w in (self.job_worker, self.copy_worker) if w is not None and w.current)}
        return {what: n for what, n in counts.items() if n}

    def job_handlers(self) -> dict:
        """The minutes jobs this process can run, with their handlers (the complaint copies have their own worker,
        :attr:`copy_worker`, over :attr:`copy_jobs`)."""
        return self.minutes.job_handlers()

    def close(self) -> None:
        for worker in (self.job_worker, self.copy_worker):
            if worker is not None:  # the job in hand goes back to the queue for another worker
                worker.stop(timeout=10)
        self.engine.dispose()

    def __enter__(self) -> "Runtime":
        return self

    def __exit__(self, *_exc) -> None:
        self.close()

    # ------------------------------------------------------------------ parts
    def tool_services(self) -> Mapping[str, Any]:
        """Service name -> the object the tool handlers call (None where it does not run), for every service a
        tool names (:attr:`~civic_services.tools.registry.Tool.service`)."""
        return {name: getattr(self, name) for name in self.tools.services()}

    def part(self, name: str) -> Any:
        """The part ``name`` for a route (see :mod:`webapi.deps`); :class:`PartUnavailable` says why it is not
        there."""
        if name == "assistant":
            if self.assistant is not None:
                return self.assistant
            if self.assistant_error is not None:
                raise PartUnavailable(f"the assistant is not available: {self.assistant_error}")
            raise PartUnavailable(self.startup.sentence())
        if name == "tool_services":
            return self.tool_services()
        if name not in PARTS:
            raise PartUnavailable(f"this server has no part named {name!r}")
        return getattr(self, name)

    # ------------------------------------------------------------------ readiness
    def _redis_check(self) -> dict:
        if self.shared_state is None:
            return {"ok": False, "error": self.shared_state_error}
        try:
            self.shared_state.client.ping()
            return {"ok": True}
        except Exception as exc:  # any driver error means "not ready"
            return {"ok": False, "error": f"{type(exc).__name__}: {exc}"}

    def readiness(self) -> tuple[bool, dict]:
        """(ready, checks) for ``/readyz``: the database, the assistant, each required model, and the start-up."""
        from database import ping
        from models.refs import resolve

        checks: dict[str, dict] = {"startup": {"ok": self.startup.ready, **self.startup.to_dict()}}
        try:
            ping(self.engine)
            checks["database"] = {"ok": True}
        except Exception as exc:  # any driver error means "not ready", reported, not raised
            checks["database"] = {"ok": False, "error": f"{type(exc).__name__}: {exc}"}
        if self.draining:
            checks["draining"] = {"ok": False, "error": "shutting down: finishing what is in flight "
                                                        f"({', '.join(self.in_flight()) or 'nothing left'})"}
        if self.settings.redis_url:
            checks["redis"] = self._redis_check()
        if self.models.remote:  # the models Ray serves: their applications must run
            from dasan.ray_serve import health

            checks["ray"] = health(self.settings)
        if self.voting.keys_problem:  # a server with other ledger keys must not take ballots
            checks["voting"] = {"ok": False, "error": self.voting.keys_problem}
        if self.assistant is not None:
            checks["assistant"] = {"ok": True, "entries": len(self.assistant.kb)}
        elif not self.settings.chat_enabled:
            checks["assistant"] = {"ok": True, "disabled": True}
        else:
            checks["assistant"] = {"ok": False, "error": self.assistant_error or self.startup.sentence()}
        for role in self.settings.required_roles:
            ref = self.settings.model_ref(role)
            entry: dict = {"ok": True, "model": ref}
            if role in self.models.remote:  # its weights are on the Ray nodes, not here
                entry["served_by"] = "ray"
            else:
                try:
                    resolve(ref, self.models.store)
                except ModelError as exc:
                    entry = {"ok": False, "model": ref, "error": str(exc)}
            if role in self.model_errors:
                entry = {"ok": False, "model": ref, "error": self.model_errors[role]}
            checks[f"model:{role}"] = entry
        return all(check["ok"] for check in checks.values()), checks


# The parts routes may ask for by name (besides "assistant" and "tool_services").
PARTS = frozenset({"settings", "engine", "models", "staff_tokens", "staff_users", "staff_sessions", "audit",
                   "authenticator", "complaints", "opendata", "iot", "voting", "tools",
                   "minutes", "calls", "startup", "jobs"})
