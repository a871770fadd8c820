"""The minutes service the web adapter and the CLI share: live meetings, upload jobs with progress, stored
meetings, search. No web framework here (see :mod:`minutes.api`)."""

from __future__ import annotations

import logging
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from minutes.compose import ComposeOptions, check_method, compose_minutes, reverify
from minutes.document import Meeting
from minutes.pipeline import MAX_DURATION_S, LiveMeeting, MeetingRequest, speaker_encoder_for, transcribe_file
from minutes.store import MeetingStore
from speech.events import Final

log = logging.getLogger("minutes.service")


class Busy(RuntimeError):
    """Too many live meetings at once for this machine."""


@dataclass
class Job:
    id: str
    title: str
    status: str = "queued"  # queued, running, done, failed
    stage: str = "queued"  # queued, transcribing, composing, done, failed
    compose_done: int = 0  # chunks of the transcript composed so far (stage "composing")
    compose_total: int = 0
    duration_s: float | None = None
    processed_s: float = 0.0
    meeting_id: str | None = None
    error: str | None = None
    segments: int = 0
    department: str | None = None  # the meeting's (who may follow the job: minutes.access)
    shared_with: tuple[str, ...] = ()

    def composing(self, done: int, total: int) -> None:
        """Progress of the composing stage (chunks of the transcript done, of total)."""
        self.compose_done, self.compose_total = done, total

    def to_dict(self) -> dict:
        progress = None
        if self.status == "done":
            progress = 1.0
        elif self.duration_s:
            progress = round(min(self.processed_s / self.duration_s, 0.99), 3)
        return {"job_id": self.id, "title": self.title, "status": self.status, "stage": self.stage,
                "progress": progress, "processed_s": round(self.processed_s, 1), "duration_s": self.duration_s,
                "compose": {"done": self.compose_done, "total": self.compose_total}, "segments": self.segments,
                "meeting_id": self.meeting_id, "error": self.error}


@dataclass(frozen=True)
class MinutesOptions:
    upload_max_bytes: int = 2_000_000_000  # the largest recording an upload may be
    llm_enabled: bool = True  # may the local LLM compose minutes (when it is installed)?
    max_live: int = 2  # live meetings transcribed at once
    max_duration_s: float = MAX_DURATION_S  # the longest recording
    compose: ComposeOptions = ComposeOptions()


@dataclass
class MinutesService:
    models: object  # models.loaded.ModelSet
    store: MeetingStore
    uploads_dir: Path
    options: MinutesOptions = MinutesOptions()
    _jobs: dict[str, Job] = field(default_factory=dict)
    _live: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _executor: ThreadPoolExecutor = field(default_factory=lambda: ThreadPoolExecutor(1, "minutes-job"))

    # ------------------------------------------------------------------ live
    def open_live(self, request: MeetingRequest) -> LiveMeeting:
        with self._lock:
            if self._live >= self.options.max_live:
                raise Busy(f"{self._live} live meetings are being transcribed; at most {self.options.max_live} "
                           "at once")
            self._live += 1
        try:
            encoder = speaker_encoder_for(self.models) if request.speakers else None
            return LiveMeeting(self.models, request, encoder)
        except BaseException:
            self.close_live(None)
            raise

    def close_live(self, live: LiveMeeting | None, save: bool = True, progress=None) -> Meeting | None:
        """End a live meeting: stored as transcribed (extractive minutes) first, then composed as its request
        asked and stored again."""
        with self._lock:
            self._live = max(0, self._live - 1)
        if live is not None and save:
            self.store.save(live.meeting)
            return self.compose(live.meeting, live.request.compose, progress)
        return None

    def compose(self, meeting: Meeting, method: str, progress=None) -> Meeting:
        """Compose a stored meeting's minutes by ``method`` and store them; a failure keeps the stored minutes."""
        try:
            meeting.minutes = compose_minutes(meeting, method, self.models, self.options.llm_enabled,
                                              self.options.compose, progress)
        except Exception as exc:  # the transcript is safe; the minutes stay as they were
            log.warning("composing the minutes of %s failed: %s", meeting.id, exc)
            return meeting
        self.store.save(meeting)
        return meeting

    # ------------------------------------------------------------------ upload jobs
    def submit(self, path: Path, request: MeetingRequest, duration_s: float | None) -> Job:
        job = self._new_job(request.title, duration_s, request.department)
        self._executor.submit(self._run, job, path, request)
        return job

    def _new_job(self, title: str, duration_s: float | None, department: str | None,
                 shared_with: tuple[str, ...] = ()) -> Job:
        job = Job(uuid.uuid4().hex[:12], title, duration_s=duration_s, department=department, shared_with=shared_with)
        with self._lock:
            self._jobs[job.id] = job
            while len(self._jobs) > 500:  # forget the oldest finished jobs
                oldest = next((j for j in self._jobs.values() if j.status in ("done", "failed")), None)
                if oldest is None:
                    break
                del self._jobs[oldest.id]
        return job

    def _run(self, job: Job, path: Path, request: MeetingRequest) -> None:
        job.status, job.stage = "running", "transcribing"

        def progress(done: float) -> None:
            job.processed_s = done

        def on_event(event) -> None:
            if isinstance(event, Final):
                job.segments += 1

        try:
            meeting = transcribe_file(path, self.models, request, progress=progress, on_event=on_event,
                                      max_duration_s=self.options.max_duration_s)
            self.store.save(meeting)  # the transcript is durable before the (slower) composing starts
            job.meeting_id = meeting.id
            job.stage = "composing"
            self.compose(meeting, request.compose, job.composing)
            job.status = job.stage = "done"
        except Exception as exc:  # a job reports its failure; the server goes on
            log.warning("minutes job %s failed: %s", job.id, exc)
            job.error = str(exc) if isinstance(exc, (ValueError, OSError)) else f"{type(exc).__name__}: {exc}"
            job.status = job.stage = "failed"
        finally:
            path.unlink(missing_ok=True)

    def submit_compose(self, meeting_id: str, method: str) -> Job:
        """Write a stored meeting's minutes again by ``method``, as a job (MeetingNotFound at once if unknown)."""
        meeting = self.store.get(meeting_id)
        job = self._new_job(meeting.title, meeting.duration, meeting.department, meeting.shared_with)
        job.meeting_id, job.processed_s = meeting.id, meeting.duration

        def run() -> None:
            job.status, job.stage = "running", "composing"
            try:
                self.compose(meeting, method, job.composing)
                job.status = job.stage = "done"
            except Exception as exc:  # noqa: BLE001  (reported on the job)
                job.error, job.status, job.stage = f"{type(exc).__name__}: {exc}", "failed", "failed"

        self._executor.submit(run)
        return job

    def job(self, job_id: str) -> Job:
        with self._lock:
            if job_id not in self._jobs:
                raise KeyError(f"no job {job_id!r}")
            return self._jobs[job_id]

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

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)
