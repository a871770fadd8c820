"""A whole meeting through the streaming transcriber: from a file (decoded chunk by chunk, faster than real time,
with progress) or from live frames (:class:`LiveMeeting`), with speakers, then the extractive minutes document
(composing them with the LLM, slower, is the caller's next step: :func:`minutes.compose.compose_minutes`)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from minutes.document import Meeting, extract_minutes
from speech.events import Event, Final, Segment, SpeakerLabel
from speech.transcriber import StreamingOptions, make_transcriber

log = logging.getLogger("minutes.pipeline")

MAX_DURATION_S = 6 * 3600.0  # longer files are refused before any work (bounded time and storage)


class FileTooLongError(ValueError):
    pass


@dataclass(frozen=True)
class MeetingRequest:
    title: str = "Meeting"
    language: str | None = None  # "ko", "en" or None
    backend: str | None = None  # one of models.asr.BACKENDS, or None (the configured one)
    glossary: str | None = None
    speakers: bool = True
    compose: str = "auto"  # the minutes: "auto" (the local LLM when available), "llm" or "extractive"
    department: str | None = None  # whose meeting it is (minutes.access)
    owner: str | None = None  # who records or uploads it
    subtitles: str | None = None  # "en": live English subtitles of segments in another language (not stored)
    dataset_consent: bool = False  # the speakers consented to the speech dataset: the recording is kept

    def options(self) -> StreamingOptions:
        glossary = None
        if self.glossary:
            terms = [t.strip() for t in self.glossary.replace("\n", ",").split(",") if t.strip()]
            glossary = ", ".join(terms)[:400] or None
        return StreamingOptions(language=self.language, glossary=glossary, subtitles=self.subtitles)


class LiveMeeting:
    """A meeting being transcribed: events in order, segments and speakers kept, the minutes at the end."""

    def __init__(self, models, request: MeetingRequest, speaker_encoder=None, audio_dir: Path | None = None):
        """With ``audio_dir`` (a live meeting consented for the speech dataset) the audio fed is also written there
        as the meeting's 16 kHz FLAC recording (:meth:`close_audio` ends it)."""
        from minutes.speakers import SpeakerTracker

        self.request = request
        self.tracker = SpeakerTracker(speaker_encoder) if (request.speakers and speaker_encoder is not None) else None
        self.transcriber = make_transcriber(models, request.backend, request.options(), self.tracker)
        self.meeting = Meeting(title=request.title, language=request.language,
                               backend=self.transcriber.processor.decoder.backend, department=request.department,
                               owner=request.owner, consented=request.dataset_consent)
        self._segments: dict[int, Segment] = {}
        self._audio, self._audio_path = None, None
        if audio_dir is not None:
            import soundfile

            Path(audio_dir).mkdir(parents=True, exist_ok=True)
            self._audio_path = Path(audio_dir) / f"{self.meeting.id}.flac"
            self._audio = soundfile.SoundFile(self._audio_path.with_name(self._audio_path.name + ".part"), "w",
                                              samplerate=16_000, channels=1, format="FLAC", subtype="PCM_16")

    def _absorb(self, events: list[Event]) -> list[Event]:
        for event in events:
            if isinstance(event, Final):
                segment = event.segment
                self._segments[segment.id] = segment
                self.meeting.segments.append(segment)
        self.meeting.language = self.meeting.language or self.transcriber.language
        self.meeting.duration = self.transcriber.now
        return events

    def feed(self, samples) -> list[Event]:
        if self._audio is not None:
            import numpy as np

            self._audio.write(np.clip(samples, -1.0, 1.0))
        return self._absorb(self.transcriber.feed(samples))

    def close_audio(self) -> Path | None:
        """End the recording being kept (if any): it becomes the meeting's ``audio_path``."""
        if self._audio is None:
            return None
        self._audio.close()
        self._audio = None
        self._audio_path.with_name(self._audio_path.name + ".part").replace(self._audio_path)
        self.meeting.audio_path = str(self._audio_path)
        return self._audio_path

    def finish(self) -> list[Event]:
        events = self._absorb(self.transcriber.finish())
        if self.tracker is not None:
            changed = self.tracker.refine()
            for segment_id, label in changed.items():
                events.append(SpeakerLabel(segment_id, label, refined=True))
            if changed:
                self.meeting.segments = [replace(s, speaker=changed.get(s.id, s.speaker))
                                         for s in self.meeting.segments]
        self.meeting.minutes = extract_minutes(self.meeting)
        self.meeting.duration = self.transcriber.now
        return events


def speaker_encoder_for(models) -> object | None:
    """The model set's speaker encoder, or None (with a logged reason) when it cannot be loaded."""
    from models.store import ModelError

    try:
        return models.speaker_encoder()
    except ModelError as exc:
        log.warning("speakers are not told apart: %s", exc)
        return None


def transcribe_file(path: str | Path, models, request: MeetingRequest = MeetingRequest(),
                    progress: Callable[[float], None] | None = None, on_event: Callable[[Event], None] | None = None,
                    max_duration_s: float = MAX_DURATION_S) -> Meeting:
    """Transcribe a recording (any audio/video format) into a meeting with minutes; memory stays bounded."""
    from speech.audio import iter_file, probe_duration

    duration = probe_duration(path)
    if duration is not None and duration > max_duration_s:
        raise FileTooLongError(f"{Path(path).name} lasts {duration / 3600:.1f} h; the limit is "
                               f"{max_duration_s / 3600:.1f} h")
    encoder = speaker_encoder_for(models) if request.speakers else None
    live = LiveMeeting(models, request, encoder)
    done = 0.0
    for chunk in iter_file(path, chunk_s=1.0):
        done += len(chunk) / 16_000
        if done > max_duration_s:
            raise FileTooLongError(f"{Path(path).name} is longer than {max_duration_s / 3600:.1f} h")
        for event in live.feed(chunk):
            if on_event:
                on_event(event)
        if progress:
            progress(done)
    for event in live.finish():
        if on_event:
            on_event(event)
    if progress:
        progress(done)
    return live.meeting
