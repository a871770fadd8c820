"""The minutes service the web adapter and the CLI share: live meetings, upload jobs with progress, stored
meetings, search. No web framework here (see :mod:`minutes.api`).

Uploads and re-composing are jobs in the database's queue (:mod:`database.jobs`): the web worker that took the
upload queues it, and a worker thread of any Dasan process (the server's own, or ``dasan worker`` processes)
runs it; its progress is written to the job as it goes, so any web worker can report it."""

from __future__ import annotations

import logging
import threading
from dataclasses import asdict, dataclass, field
from pathlib import Path

from database.jobs import Job as QueuedJob
from database.jobs import JobContext, JobQueue, LeaseLost, WorkerStopping

from minutes.compose import ComposeOptions, check_method, compose_minutes, reverify
from minutes.document import Meeting
from minutes.pipeline import MAX_DURATION_S, LiveMeeting, MeetingRequest, speaker_encoder_for, transcribe_file
from minutes.store import MeetingStore
from speech.events import Final
from webapi.metrics import bound_request_id, current_request_id

log = logging.getLogger("minutes.service")


class Busy(RuntimeError):
    """Too many live meetings at once for this machine."""


TRANSCRIBE, COMPOSE = "minutes.transcribe", "minutes.compose"  # the kinds of job this service runs


@dataclass(frozen=True)
class Job:
    """A minutes job as its officials follow it: read from the job queue (:mod:`database.jobs`), so any worker
    process may be running it and any web worker may report it."""

    id: str
    title: str
    status: str  # queued, running, done, failed
    stage: str  # queued, transcribing, composing, done, failed
    duration_s: float | None
    processed_s: float
    compose_done: int  # chunks of the transcript composed so far (stage "composing")
    compose_total: int
    segments: int
    meeting_id: str | None
    error: str | None
    attempts: int
    department: str | None  # the meeting's (who may follow the job: minutes.access)
    shared_with: tuple[str, ...]

    @classmethod
    def of(cls, job: QueuedJob) -> "Job":
        payload, progress = job.payload, job.progress
        stage = {"done": "done", "failed": "failed", "queued": "queued"}.get(job.status) \
            or progress.get("stage", "running")
        return cls(job.id, payload.get("title", ""), job.status, stage, payload.get("duration_s"),
                   float(progress.get("processed_s", 0.0)), int(progress.get("compose_done", 0)),
                   int(progress.get("compose_total", 0)), int(progress.get("segments", 0)),
                   progress.get("meeting_id") or payload.get("meeting_id"), job.error, job.attempts,
                   payload.get("department"), tuple(payload.get("shared_with") or ()))

    def to_dict(self) -> dict:
        progress = None
        if self.status == "done":
            progress = 1.0
        elif self.duration_s:
            progress = round(min(self.processed_s / self.duration_s, 0.99), 3)
        return {"job_id": self.id, "title": self.title, "status": self.status, "stage": self.stage,
                "progress": progress, "processed_s": round(self.processed_s, 1), "duration_s": self.duration_s,
                "compose": {"done": self.compose_done, "total": self.compose_total}, "segments": self.segments,
                "meeting_id": self.meeting_id, "error": self.error, "attempts": self.attempts}


def _logged_as_its_request(handler):
    """The handler, its log lines carrying the id of the request that queued the job (on whichever worker)."""
    def run(context: JobContext):
        with bound_request_id(context.payload.get("request_id")):
            return handler(context)

    return run


@dataclass(frozen=True)
class MinutesOptions:
    upload_max_bytes: int = 2_000_000_000  # the largest recording an upload may be
    llm_enabled: bool = True  # may the local LLM compose minutes (when it is installed)?
    max_live: int = 2  # live meetings transcribed at once
    max_duration_s: float = MAX_DURATION_S  # the longest recording
    compose: ComposeOptions = ComposeOptions()
    time_zone: str = "Asia/Seoul"  # the zone of the dates in the minutes' exports


@dataclass
class MinutesService:
    models: object  # models.loaded.ModelSet
    store: MeetingStore
    uploads_dir: Path
    jobs: JobQueue  # uploads and re-composing run as jobs that any worker process may take
    options: MinutesOptions = MinutesOptions()
    _live: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    # ------------------------------------------------------------------ live
    @property
    def live_count(self) -> int:
        """Live meetings being transcribed by this process."""
        with self._lock:
            return self._live

    def open_live(self, request: MeetingRequest) -> LiveMeeting:
        with self._lock:
            if self._live >= self.options.max_live:
                raise Busy(f"{self._live} live meetings are being transcribed; at most {self.options.max_live} "
                           "at once")
            self._live += 1
        try:
            encoder = speaker_encoder_for(self.models) if request.speakers else None
            return LiveMeeting(self.models, request, encoder,
                               audio_dir=self.audio_dir if request.dataset_consent else None)
        except BaseException:
            self.close_live(None)
            raise

    def close_live(self, live: LiveMeeting | None, save: bool = True, progress=None) -> Meeting | None:
        """End a live meeting: stored as transcribed (extractive minutes) first, then composed as its request
        asked and stored again."""
        with self._lock:
            self._live = max(0, self._live - 1)
        if live is not None and live.close_audio() and not save:  # consented: the recording is kept with it
            Path(live.meeting.audio_path).unlink(missing_ok=True)
            live.meeting.audio_path = None
        if live is not None and save:
            self.store.save(live.meeting)
            return self.compose(live.meeting, live.request.compose, progress)
        return None

    def compose(self, meeting: Meeting, method: str, progress=None) -> Meeting:
        """Compose a stored meeting's minutes by ``method`` and store them; a failure keeps the stored minutes."""
        try:
            meeting.minutes = compose_minutes(meeting, method, self.models, self.options.llm_enabled,
                                              self.options.compose, progress)
        except (LeaseLost, WorkerStopping):  # the job was taken away or given back: stop here
            raise
        except Exception as exc:  # the transcript is safe; the minutes stay as they were
            log.warning("composing the minutes of %s failed: %s", meeting.id, exc)
            return meeting
        self._keep_stored_consent(meeting)
        self.store.save(meeting)
        return meeting

    # ------------------------------------------------------------------ jobs
    def submit(self, path: Path, request: MeetingRequest, duration_s: float | None) -> Job:
        """Queue the transcription of an upload kept at ``path`` (under :attr:`uploads_dir`, which every worker
        process must see: a shared volume when workers run on other machines); the meeting gets the job's id."""
        payload = {"path": str(path), "request": asdict(request), "title": request.title, "duration_s": duration_s,
                   "department": request.department, "shared_with": [], "request_id": current_request_id()}
        return Job.of(self.jobs.submit(TRANSCRIBE, payload, {"stage": "queued"}))

    def submit_compose(self, meeting_id: str, method: str) -> Job:
        """Write a stored meeting's minutes again by ``method``, as a job (MeetingNotFound at once if unknown)."""
        meeting = self.store.get(meeting_id)
        payload = {"meeting_id": meeting.id, "method": method, "title": meeting.title,
                   "duration_s": meeting.duration, "department": meeting.department,
                   "shared_with": list(meeting.shared_with), "request_id": current_request_id()}
        return Job.of(self.jobs.submit(COMPOSE, payload, {"stage": "queued", "processed_s": meeting.duration}))

    def job(self, job_id: str) -> Job:
        """A minutes job by id (KeyError if there is none)."""
        job = self.jobs.get(job_id)
        if job.kind not in (TRANSCRIBE, COMPOSE):
            raise KeyError(f"no job {job_id!r}")
        return Job.of(job)

    def job_handlers(self) -> dict:
        """The handlers a :class:`database.jobs.Worker` runs this service's jobs with."""
        return {TRANSCRIBE: _logged_as_its_request(self._transcribe_job),
                COMPOSE: _logged_as_its_request(self._compose_job)}

    def _transcribe_job(self, context: JobContext) -> dict:
        payload = context.payload
        path = Path(payload["path"])
        if not path.exists():
            raise FileNotFoundError(f"the uploaded recording is gone from {self.uploads_dir} (a worker on another "
                                    "machine needs DASAN_UPLOADS_DIR on storage every worker shares)")
        request = MeetingRequest(**payload["request"])
        context.report(stage="transcribing", processed_s=0.0, segments=0)

        def on_event(event) -> None:
            if isinstance(event, Final):
                context.report(segments=context.progress.get("segments", 0) + 1)

        try:
            meeting = transcribe_file(path, self.models, request, progress=lambda done: context.report(
                processed_s=done), on_event=on_event, max_duration_s=self.options.max_duration_s)
        except (LeaseLost, WorkerStopping):  # another worker carries on from the same upload
            raise
        except Exception:  # the job fails for good (a try again would fail the same way): the upload goes
            path.unlink(missing_ok=True)
            raise
        meeting.id = context.job_id  # a second try (its first worker died) writes the same meeting again
        if request.dataset_consent:  # kept for the speech dataset (minutes.dataset) before the upload goes
            meeting.audio_path = str(self.keep_audio(path, meeting.id))
        self.store.save(meeting)  # the transcript is durable before the (slower) composing starts
        context.report(meeting_id=meeting.id, stage="composing")
        self.compose(meeting, request.compose, lambda done, total: context.report(compose_done=done,
                                                                                  compose_total=total))
        path.unlink(missing_ok=True)
        return {"meeting_id": meeting.id}

    def _compose_job(self, context: JobContext) -> dict:
        payload = context.payload
        meeting = self.store.get(payload["meeting_id"])
        context.report(stage="composing", meeting_id=meeting.id)
        self.compose(meeting, payload["method"], lambda done, total: context.report(compose_done=done,
                                                                                    compose_total=total))
        return {"meeting_id": meeting.id}

    # ------------------------------------------------------------------ speech dataset
    @property
    def audio_dir(self) -> Path:
        """Where the recordings of meetings consented for the speech dataset are kept (beside the uploads, which
        every worker process sees)."""
        return self.uploads_dir / "kept-audio"

    def keep_audio(self, source: Path, meeting_id: str) -> Path:
        """Keep ``source`` as the 16 kHz mono FLAC recording of ``meeting_id`` (minutes.dataset)."""
        from minutes.dataset import keep_audio

        return keep_audio(source, self.audio_dir / f"{meeting_id}.flac")

    def _keep_stored_consent(self, meeting: Meeting) -> None:
        """A consent given or withdrawn while the meeting was being composed stays as recorded."""
        from minutes.store import MeetingNotFound

        try:
            stored = self.store.get(meeting.id)
        except MeetingNotFound:
            return
        meeting.consented, meeting.audio_path = stored.consented, stored.audio_path

    def set_consent(self, meeting_id: str, consented: bool) -> Meeting:
        """Record the speakers' consent to the speech dataset; withdrawing it deletes the kept recording (a
        consent given after the upload keeps nothing: the recording is gone by then)."""
        meeting = self.store.get(meeting_id)
        meeting.consented = consented
        if not consented and meeting.audio_path:
            Path(meeting.audio_path).unlink(missing_ok=True)
            meeting.audio_path = None
        self.store.save(meeting)
        return meeting

    # ------------------------------------------------------------------ stored meetings
    def rename_speaker(self, meeting_id: str, speaker: str, name: str) -> Meeting:
        meeting = self.store.get(meeting_id)
        meeting.rename_speaker(speaker, name)
        self.store.save(meeting)
        return meeting

    def correct_segment(self, meeting_id: str, segment_id: int, text: str) -> Meeting:
        meeting = self.store.get(meeting_id)
        meeting.correct(segment_id, text)
        meeting.minutes = reverify(meeting)
        self.store.save(meeting)
        return meeting

    def search(self, query: str, k: int = 10, among: list[str] | None = None) -> list[dict]:
        return self.store.search(query, self.models.embedder(), k, among)

    def check_method(self, method: str | None) -> str:
        """``method`` validated for this service (see :func:`minutes.compose.check_method`)."""
        return check_method(method, self.models, self.options.llm_enabled)

