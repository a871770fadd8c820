"""A short English meeting of a district office, written for these tests, and how its committed transcript
(``meeting_en.json``) was made: each line spoken by the bundled Piper voice, 0.8 s apart, and the recording
transcribed by the real streaming transcriber (faster-whisper base). Run ``python -m tests.minutes.meeting_script``
to make it again (needs the models)."""

from __future__ import annotations

import json
from pathlib import Path

TRANSCRIPT = Path(__file__).with_name("meeting_en.json")

LINES = [
    "Good morning everyone. This is the weekly meeting of the Mapo district transport team.",
    "The first item on the agenda is the bike lanes on World Cup Road.",
    "Since the new lanes opened in March, daily riders went up from eight hundred to about twelve hundred.",
    "Complaints about parked delivery scooters on the lanes also doubled in the same period.",
    "After some discussion, we agreed to extend the bike lanes to Hapjeong station this autumn.",
    "Director Kim will send the revised budget for the extension to the city council by Friday.",
    "The second item is the night bus route N62.",
    "Ridership on N62 fell by fifteen percent after the schedule change in May.",
    "We decided to restore the twenty minute interval on weekends starting next month.",
    "Manager Lee will publish the new timetable on the district website before the end of the month.",
    "Finally, the public hearing on the parking fees will be held at the community center on July 14th.",
    "Officer Park will book the hall and send the invitations by next Wednesday.",
    "Thank you all. The meeting is adjourned.",
]


def synthesize(path: Path) -> None:
    import numpy as np
    import soundfile

    from dasan.runtime import build_model_set
    from models.audio import resample
    from tests.harness import clean_settings

    tts = build_model_set(clean_settings()).tts("en")
    pieces = []
    for line in LINES:
        speech = tts.synthesize(line)
        pieces += [resample(np.asarray(speech.audio, dtype=np.float32), speech.sample_rate, 16_000),
                   np.zeros(12_800, np.float32)]
    soundfile.write(path, np.concatenate(pieces), 16_000, subtype="PCM_16")


def make_transcript(wav: Path) -> list[dict]:
    from dasan.runtime import build_model_set
    from minutes.pipeline import MeetingRequest, transcribe_file
    from tests.harness import clean_settings

    meeting = transcribe_file(wav, build_model_set(clean_settings()),
                              MeetingRequest("Transport team", "en", speakers=False))
    return [{"id": s.id, "start": round(s.start, 2), "end": round(s.end, 2), "text": s.text} for s in meeting.segments]


def load_meeting():
    """The committed transcript as a meeting (segments only; its minutes are for the test to write)."""
    from minutes.document import Meeting
    from speech.events import Segment

    rows = json.loads(TRANSCRIPT.read_text(encoding="utf-8"))["segments"]
    segments = [Segment(r["id"], r["start"], r["end"], r["text"], (), None, "en") for r in rows]
    return Meeting(title="Transport team", segments=segments, language="en", duration=segments[-1].end)


if __name__ == "__main__":
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        wav = Path(folder) / "meeting.wav"
        synthesize(wav)
        segments = make_transcript(wav)
    TRANSCRIPT.write_text(json.dumps({"made_by": "tests/minutes/meeting_script.py (Piper joe voice -> "
                                      "faster-whisper base, streaming)", "segments": segments},
                                     ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"{len(segments)} segments -> {TRANSCRIPT}")
