"""A minutes upload kept transcribing in a runtime's job worker while something else is measured (``dasan eval
voicebot --while-minutes``: the calls of a call center share the server with the officials' uploads).

While open, one transcription job of the recording is always queued or running: when one finishes another is
submitted (the upload is copied into the uploads directory each time, as the upload route does, since a finished
job removes its upload). The jobs run in the runtime's own worker (``DASAN_JOBS_IN_PROCESS``), as in production.
"""

from __future__ import annotations

import shutil
import threading
import uuid
from pathlib import Path

from minutes.pipeline import MeetingRequest


class MinutesLoad:
    """``with MinutesLoad(runtime, recording) as load:`` ... ``load.summary()`` (jobs done, audio seconds)."""

    def __init__(self, runtime, recording: Path, poll_s: float = 0.25):
        self.runtime = runtime
        self.recording = Path(recording)
        self.poll_s = poll_s
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.submitted: list[str] = []

    def __enter__(self) -> "MinutesLoad":
        if not self.recording.is_file():
            raise FileNotFoundError(f"no recording at {self.recording}")
        self._submit()
        self._thread = threading.Thread(target=self._keep_busy, name="minutes-load", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *_exc) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()

    def _submit(self) -> None:
        service = self.runtime.minutes
        target = service.uploads_dir / f"load-{uuid.uuid4().hex[:8]}{self.recording.suffix}"
        shutil.copyfile(self.recording, target)
        request = MeetingRequest(title="load", compose="extractive", speakers=True)
        self.submitted.append(service.submit(target, request, None).id)

    def _keep_busy(self) -> None:
        while not self._stop.wait(self.poll_s):
            if self._state(self.submitted[-1]) in ("done", "failed"):
                self._submit()

    def _state(self, job_id: str) -> str:
        return self.runtime.jobs.get(job_id).status

    def summary(self) -> dict:
        """What the worker got through while open: jobs finished and failed, and audio seconds transcribed."""
        jobs = [self.runtime.jobs.get(job_id) for job_id in self.submitted]
        processed = sum(float((job.progress or {}).get("processed_s") or 0.0) for job in jobs)
        return {"recording": self.recording.name, "jobs_done": sum(job.status == "done" for job in jobs),
                "jobs_failed": sum(job.status == "failed" for job in jobs), "audio_s_transcribed": round(processed, 1)}
