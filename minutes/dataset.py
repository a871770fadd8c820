"""The speech dataset the city discloses: consented meetings as an ASR corpus.

A meeting is in it only when its speakers consented (``Meeting.consented``) and its recording was kept: a
recording is kept (16 kHz mono FLAC: :func:`keep_audio` for an upload, :class:`minutes.pipeline.LiveMeeting` for a
live stream) only for a meeting recorded with consent, and withdrawing consent deletes it.
:func:`export_dataset` writes one utterance per transcript segment:

* ``audio/<utt>.flac``: the segment's audio (16 kHz mono FLAC), silenced over the words in which the masker
  (:func:`retrieval_index.privacy.pii_spans`) found personal data, padded by :data:`PAD_S` on each side;
* the corrected segment text with that personal data masked (:func:`retrieval_index.privacy.mask_pii`);
* the speaker as a pseudonym: a stable hash of the meeting id and the speaker label (never a name given to it).

Files: ``manifest.jsonl``, Kaldi/ESPnet-style ``wav.scp``, ``text``, ``utt2spk`` (and ``spk2utt``), and
``DATASHEET.md``. A segment whose text holds personal data that cannot be located in its word timings (a
corrected segment has none) is left out rather than exported unsilenced.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from minutes.document import Meeting
from models.audio import SAMPLE_RATE
from retrieval_index.privacy import mask_pii, pii_spans
from speech.streaming import StreamWord

PAD_S = 0.15  # silence this much before and after the words that held personal data
MIN_UTTERANCE_S = 0.2


class DatasetError(ValueError):
    """A meeting that may not (or cannot) be exported."""


def keep_audio(source: str | Path, target: str | Path) -> Path:
    """Write ``source`` (any format) as 16 kHz mono FLAC at ``target``, decoded the way the transcriber decodes
    it (so the segments' times point into it), chunk by chunk (memory stays bounded)."""
    import soundfile

    from speech.audio import iter_file

    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".part")
    with soundfile.SoundFile(partial, "w", samplerate=SAMPLE_RATE, channels=1, format="FLAC",
                             subtype="PCM_16") as out:
        for chunk in iter_file(source, chunk_s=10.0):
            out.write(chunk)
    partial.replace(target)
    return target


def speaker_pseudonym(meeting_id: str, speaker: str | None) -> str:
    """A stable pseudonym of a meeting's speaker label (the same person in two meetings gets two pseudonyms)."""
    digest = hashlib.sha256(f"dasan-speaker\0{meeting_id}\0{speaker or 'unknown'}".encode()).hexdigest()
    return f"spk{digest[:10]}"


def exportable(meeting: Meeting) -> str | None:
    """Why ``meeting`` cannot be exported (None when it can)."""
    if not meeting.consented:
        return f"meeting {meeting.id} is not consented for the speech dataset (`dasan minutes consent {meeting.id}`)"
    if not meeting.audio_path or not Path(meeting.audio_path).is_file():
        return (f"meeting {meeting.id} is consented but its recording was not kept (only meetings recorded with "
                "consent keep their audio)")
    return None


_NUMERIC_WORD = re.compile(r"[\s\d,.\-+()/]*\d[\s\d,.\-+()/]*")


_AMOUNT = re.compile(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?[.,]?")  # "1,250,000,000": money, not personal data


def _personal_number(run) -> str | None:
    """The masker's label when a run of number words holds personal data: its digits read together, or those of
    any stretch of it (a streaming recogniser may say part of a number twice: "0, 10, 1234, 5 01012345678"), or
    9 or more digits starting with 0 (a phone number with a piece doubled or lost: "0, 10, 1234, 5 5678"), or 12 or
    more digits that are not a thousands-grouped amount; the whole run is then masked."""
    pieces = [re.sub(r"\D", "", w.text) for w, _ in run]
    for size in range(1, len(pieces) + 1):  # the shortest stretch names it best ("01012345678" a phone number)
        for i in range(len(pieces) - size + 1):
            found = pii_spans("".join(pieces[i:i + size]))
            if found:
                return found[0][2]
    found = pii_spans("".join(w.text for w, _ in run))
    if found:
        return found[0][2]
    digits = "".join(pieces)
    if digits.startswith("0") and len(digits) >= 9:  # a Korean phone number heard with a piece doubled or lost
        return "[phone]"
    if len(digits) >= 12 and not any(_AMOUNT.fullmatch(w.text.strip()) for w, _ in run):
        return "[number]"  # an account, card or registration number the rules do not know
    return None


def _digit_runs(words, offsets) -> list[tuple[int, int, str]]:
    """Character spans of runs of number words whose digits, read together, the masker takes for personal data:
    a recogniser writes a number said aloud in pieces ("0 10,,1234,5,678") that the text rules would miss."""
    runs, run = [], []
    for word, offset in zip([*words, None], [*offsets, None]):
        if word is not None and _NUMERIC_WORD.fullmatch(word.text):
            run.append((word, offset))
            continue
        if run:
            text = "".join(w.text for w, _ in run)
            found = _personal_number(run)
            if found:
                first = run[0][1][0] + re.search(r"\d", text).start()
                last = run[0][1][0] + max(m.end() for m in re.finditer(r"\d", text))
                runs.append((first, last, found))
            run = []
    return runs


def redact(segment) -> tuple[str, list[tuple[float, float]]] | None:
    """The segment's text with personal data masked and the stream-time spans of its audio to silence (the words
    that said it, padded by :data:`PAD_S`); None when its text holds personal data its words cannot locate (a
    corrected segment has no word timings)."""
    words = [w for w in segment.words if w.text.strip()]
    joined = "".join(w.text for w in words)
    if not words or " ".join(joined.split()) != " ".join(segment.text.split()):  # no timings for this text
        tokens = [StreamWord(0.0, 0.0, " " + t) for t in segment.text.split()]
        personal = pii_spans(segment.text) or _digit_runs(tokens, [(0, 0)] * len(tokens))
        return None if personal else (" ".join(segment.text.split()), [])
    offsets, at = [], 0
    for word in words:
        offsets.append((at, at + len(word.text)))
        at += len(word.text)
    found = sorted(pii_spans(joined) + _digit_runs(words, offsets))
    merged: list[list] = []
    for start, end, label in found:
        if merged and start < merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end, label])
    spans, text, kept = [], "", 0
    for start, end, label in merged:
        hit = [w for w, (a, b) in zip(words, offsets) if a < end and b > start]
        spans.append((min(w.start for w in hit) - PAD_S, max(w.end for w in hit) + PAD_S))
        text += joined[kept:start] + label
        kept = end
    text = " ".join(mask_pii(text + joined[kept:]).split())
    return text, spans


def silenced_spans(segment) -> list[tuple[float, float]] | None:
    """The stream-time spans :func:`redact` silences in ``segment`` (None: it cannot be exported)."""
    redacted = redact(segment)
    return None if redacted is None else redacted[1]


@dataclass
class ExportReport:
    out_dir: Path
    meetings: list[str] = field(default_factory=list)
    utterances: int = 0
    seconds: float = 0.0
    languages: Counter = field(default_factory=Counter)
    masked_utterances: int = 0  # utterances whose text was masked and audio silenced
    silenced_s: float = 0.0
    left_out: int = 0  # segments with personal data that could not be located in the audio
    empty: int = 0  # segments with no text or too short

    def to_dict(self) -> dict:
        return {"out_dir": str(self.out_dir), "meetings": self.meetings, "utterances": self.utterances,
                "hours": round(self.seconds / 3600, 4), "seconds": round(self.seconds, 2),
                "languages": dict(self.languages), "masked_utterances": self.masked_utterances,
                "silenced_s": round(self.silenced_s, 2), "left_out": self.left_out, "empty": self.empty}


def export_dataset(meetings: Iterable[Meeting], out_dir: str | Path,
                   progress: Callable[[int], None] | None = None) -> ExportReport:
    """Write ``meetings`` (each :func:`exportable`; DatasetError otherwise) as the corpus under ``out_dir``;
    ``progress`` is called with the number of segments done so far."""
    import soundfile

    out_dir = Path(out_dir)
    audio_dir = out_dir / "audio"
    audio_dir.mkdir(parents=True, exist_ok=True)
    report = ExportReport(out_dir)
    rows: list[dict] = []
    done = 0
    for meeting in meetings:
        reason = exportable(meeting)
        if reason:
            raise DatasetError(reason)
        report.meetings.append(meeting.id)
        with soundfile.SoundFile(meeting.audio_path) as recording:
            rate = recording.samplerate
            for n, segment in enumerate(meeting.segments):
                done += 1
                row = _utterance(meeting, n, segment, recording, rate, audio_dir, report)
                if row is not None:
                    rows.append(row)
                if progress:
                    progress(done)
    rows.sort(key=lambda r: r["id"])
    _write_lists(out_dir, rows)
    (out_dir / "DATASHEET.md").write_text(datasheet(report), encoding="utf-8")
    return report


def _utterance(meeting: Meeting, n: int, segment, recording, rate: int, audio_dir: Path,
               report: ExportReport) -> dict | None:
    import soundfile

    if not segment.text.strip() or segment.end - segment.start < MIN_UTTERANCE_S:
        report.empty += 1
        return None
    redacted = redact(segment)
    if redacted is None:
        report.left_out += 1
        return None
    text, spans = redacted
    first, last = int(round(segment.start * rate)), int(round(segment.end * rate))
    recording.seek(min(first, recording.frames))
    audio = recording.read(max(0, min(last, recording.frames) - first), dtype="float32", always_2d=True)[:, 0]
    if audio.size < MIN_UTTERANCE_S * rate:
        report.empty += 1
        return None
    audio = np.array(audio)
    for start, end in spans:
        a = max(0, int((start - segment.start) * rate))
        b = min(audio.size, int(np.ceil((end - segment.start) * rate)))
        if b > a:
            audio[a:b] = 0.0
            report.silenced_s += (b - a) / rate
    if spans:
        report.masked_utterances += 1
    speaker = speaker_pseudonym(meeting.id, segment.speaker)
    utt = f"{speaker}-{meeting.id}-{n:05d}"  # Kaldi wants utterance ids to start with the speaker id
    path = audio_dir / f"{utt}.flac"
    soundfile.write(path, audio, rate, format="FLAC", subtype="PCM_16")
    duration = audio.size / rate
    language = segment.language or meeting.language
    report.utterances += 1
    report.seconds += duration
    report.languages[language or "unknown"] += 1
    return {"id": utt, "audio": f"audio/{utt}.flac", "duration": round(duration, 3), "text": text,
            "language": language, "speaker": speaker, "meeting": meeting.id,
            "offset": round(segment.start, 3)}


def _write_lists(out_dir: Path, rows: list[dict]) -> None:
    def line(*parts: str) -> str:
        return " ".join(parts) + "\n"

    with open(out_dir / "manifest.jsonl", "w", encoding="utf-8") as manifest:
        for row in rows:
            manifest.write(json.dumps(row, ensure_ascii=False) + "\n")
    (out_dir / "wav.scp").write_text("".join(line(r["id"], r["audio"]) for r in rows), encoding="utf-8")
    (out_dir / "text").write_text("".join(line(r["id"], r["text"]) for r in rows), encoding="utf-8")
    (out_dir / "utt2spk").write_text("".join(line(r["id"], r["speaker"]) for r in rows), encoding="utf-8")
    speakers: dict[str, list[str]] = {}
    for row in rows:
        speakers.setdefault(row["speaker"], []).append(row["id"])
    (out_dir / "spk2utt").write_text("".join(line(s, *u) for s, u in sorted(speakers.items())), encoding="utf-8")


def datasheet(report: ExportReport) -> str:
    languages = ", ".join(f"{lang} ({n} utterances)" for lang, n in sorted(report.languages.items())) or "none"
    made = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    return f"""# Datasheet: city meeting speech corpus

Made by `dasan minutes export-dataset` on {made}.

## Contents

- Sources: recordings of {len(report.meetings)} city meeting(s) transcribed by the Dasan minutes service (Whisper),
  with the transcripts as corrected by city officials: meetings {", ".join(report.meetings) or "none"}.
- {report.utterances} utterances, {report.seconds / 3600:.3f} hours ({report.seconds:.1f} s) of audio.
- Languages: {languages}.
- Layout: `audio/<utterance>.flac` (16 kHz mono, 16-bit FLAC), one per transcript segment; `manifest.jsonl`
  (`id`, `audio`, `duration`, `text`, `language`, `speaker`, `meeting`, `offset` in the meeting in seconds);
  Kaldi/ESPnet-style `wav.scp`, `text`, `utt2spk`, `spk2utt` (paths relative to this folder).

## Consent

Only meetings whose speakers consented to the release of the recording in the city's speech dataset are exported,
and only while the consent stands: a withdrawn consent deletes the kept recording, and a later export no longer
contains the meeting. Earlier copies of this corpus are not recalled by a withdrawal; whoever received one must be
told.

## Personal data

- Text: phone numbers, e-mail addresses, resident registration numbers and card numbers found by the city's text
  masker are replaced by `[phone]`, `[email]`, `[주민번호]`, `[card]`; a run of number words is masked whole
  when its digits are such data, or are 9 or more starting with 0 (`[phone]`), or 12 or more that are not an
  amount (`[number]`).
- Audio: the words in which the masker found such data are silenced (zeroed) from {PAD_S:.2f} s before the first
  to {PAD_S:.2f} s after the last, by the recogniser's word timestamps. {report.masked_utterances} utterance(s) were
  masked, {report.silenced_s:.1f} s silenced in all. {report.left_out} segment(s) held personal data that could not be
  located in the audio (a corrected segment has no word timings) and were left out; {report.empty} empty or very
  short segment(s) were left out.
- Speakers: pseudonyms (`spk` + a hash of the meeting id and the diarizer's speaker label). Names given to speakers in
  the minutes are never exported. The same person in two meetings has two pseudonyms.

## What this does not guarantee

- Names, addresses, account numbers and other personal data that the masker does not recognise (for instance a
  name said aloud, or a number the recogniser wrote in words) are neither masked nor silenced.
- Word timestamps can be off by a fraction of a second; the padding covers most, not all, of it.
- Voices are identifiable: a recording of a person's voice is personal data even under a pseudonym.
- Transcripts are machine transcriptions, corrected only where an official corrected them; they contain errors.
- Speaker labels come from automatic diarization and can merge or split people.

## License

LICENSE: _the city fills in the terms of use here (for example a research-only licence, no re-identification,
no redistribution) before the corpus is disclosed._
"""


__all__ = ["DatasetError", "ExportReport", "export_dataset", "exportable", "keep_audio", "speaker_pseudonym",
           "silenced_spans", "redact", "PAD_S"]
