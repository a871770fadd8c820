"""``dasan eval asr`` and ``dasan eval diarization``: score labelled recordings (manifests in the schema of the
shared speech sets) offline or through the streaming transcriber at simulated real time.

Simulated real time: audio chunks "arrive" at the pace of the recording; each chunk is processed when it has
arrived and the previous one is done, so a word's latency is the time from its end in the audio to the moment
the decode that made it final finished (queueing included, as a live stream would feel it).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from minutes.metrics import DiarizationScore, Score, diarization_score, score


class ManifestError(ValueError):
    pass


@dataclass(frozen=True)
class Item:
    path: Path
    language: str
    reference: str | None  # None when the file has no transcript (diarization sets)
    set_name: str
    utt_id: str
    turns: tuple[tuple[float, float, str], ...] = field(default=())


def read_rttm(path: Path) -> tuple[tuple[float, float, str], ...]:
    """The (start, end, speaker) turns of an RTTM file, as the diarization references carry them."""
    turns = []
    for line in path.read_text(encoding="utf-8").splitlines():
        parts = line.split()
        if len(parts) >= 8 and parts[0] == "SPEAKER":
            start, duration = float(parts[3]), float(parts[4])
            turns.append((start, start + duration, parts[7]))
    return tuple(turns)


def read_manifests(paths: Iterable[str | Path]) -> list[Item]:
    """Items of every manifest given (a folder means every ``manifest.jsonl`` below it)."""
    files: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found = sorted(path.rglob("manifest.jsonl"))
            if not found:
                raise ManifestError(f"no manifest.jsonl under {path}")
            files += found
        elif path.is_file():
            files.append(path)
        else:
            raise ManifestError(f"no such manifest or folder: {path}")
    items: list[Item] = []
    for manifest in files:
        set_name = manifest.parent.name
        for number, line in enumerate(manifest.read_text(encoding="utf-8").splitlines(), start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
                audio = manifest.parent / row["file"]
            except (ValueError, KeyError, TypeError) as exc:
                raise ManifestError(f"{manifest}:{number}: not a manifest row ({exc})") from None
            language = row.get("language") or "en"
            reference = row.get("transcript_nospace") if language == "ko" else None
            reference = reference or row.get("transcript")
            turns: tuple = ()
            if row.get("rttm"):
                turns = read_rttm(manifest.parent / row["rttm"])
            elif row.get("segments"):
                turns = tuple((s["start"], s["end"], s["speaker"]) for s in row["segments"])
            items.append(Item(audio, language, reference, set_name, str(row.get("utt_id") or audio.stem), turns))
    return items


def _pooled(scores: dict[str, list[tuple[str, Score]]]) -> dict:
    """Per set (per set and language when a set mixes languages) and pooled over all files of a language."""
    sets = {}
    pooled = {"en": [0, 0], "ko": [0, 0]}
    for name, rows in scores.items():
        languages = sorted({language for language, _ in rows})
        for language in languages:
            mine = [s for lang, s in rows if lang == language]
            errors, length = sum(s.errors for s in mine), sum(s.length for s in mine)
            key = name if len(languages) == 1 else f"{name}/{language}"
            sets[key] = {"lang": language, "metric": "cer" if language == "ko" else "wer",
                         "error": round(errors / max(length, 1), 4), "n": len(mine)}
            bucket = "ko" if language == "ko" else "en"
            pooled[bucket][0] += errors
            pooled[bucket][1] += length
    return {
        "sets": sets,
        "wer_en": round(pooled["en"][0] / pooled["en"][1], 4) if pooled["en"][1] else None,
        "cer_ko": round(pooled["ko"][0] / pooled["ko"][1], 4) if pooled["ko"][1] else None,
    }


def evaluate_offline(items: list[Item], transcriber, beam_size: int = 5,
                     progress: Callable[[Item], None] | None = None) -> dict:
    """Whole-file transcription with the backend's own long-form decoding."""
    from models.asr import TranscribeOptions
    from models.audio import load_audio

    scores: dict[str, list[tuple[str, Score]]] = {}
    audio_s = compute_s = 0.0
    hypotheses = []
    transcriber.warm_up()
    for item in items:
        if item.reference is None:
            continue
        audio = load_audio(item.path)
        started = time.perf_counter()
        result = transcriber.transcribe(audio, TranscribeOptions(language=item.language, beam_size=beam_size))
        compute_s += time.perf_counter() - started
        audio_s += len(audio) / 16_000
        scores.setdefault(item.set_name, []).append((item.language, score(item.reference, result.text,
                                                                          item.language)))
        hypotheses.append({"utt_id": item.utt_id, "text": result.text})
        if progress:
            progress(item)
    out = _pooled(scores)
    out.update({"mode": "offline", "backend": transcriber.backend, "model": transcriber.identity,
                "beam_size": beam_size, "n": sum(len(v) for v in scores.values()),
                "audio_s": round(audio_s, 2), "compute_s": round(compute_s, 2),
                "speed_x": round(audio_s / compute_s, 2) if compute_s else None, "hypotheses": hypotheses})
    return out


def stream_segments(transcriber, path: Path, chunk_s: float = 0.256, realtime: bool = False
                    ) -> tuple[list[str], list[float], float]:
    """Feed a file through a streaming transcriber; returns (the text of each committed segment, in order, word
    latencies, compute seconds)."""
    from speech.audio import iter_file
    from speech.events import Final

    clock = 0.0  # simulated wall clock, seconds since the stream began
    arrived = 0.0
    latencies: list[float] = []
    texts: list[str] = []
    wall_start = time.perf_counter()

    def handle(events, at: float) -> None:
        for event in events:
            latencies.extend(at - word.end for word in event.new_words)
            if isinstance(event, Final):
                texts.append(event.segment.text)

    for chunk in iter_file(path, chunk_s):
        arrived += len(chunk) / 16_000
        if realtime:
            time.sleep(max(0.0, arrived - (time.perf_counter() - wall_start)))
        started = time.perf_counter()
        events = transcriber.feed(chunk)
        clock = max(clock, arrived) + (time.perf_counter() - started)
        if realtime:
            clock = time.perf_counter() - wall_start
        handle(events, clock)
    started = time.perf_counter()
    events = transcriber.finish()
    clock = max(clock, arrived) + (time.perf_counter() - started)
    handle(events, clock)
    return texts, latencies, transcriber.compute_seconds


def evaluate_streaming(items: list[Item], make: Callable[[str], object], realtime: bool = False,
                       progress: Callable[[Item], None] | None = None, keep_latencies: bool = False) -> dict:
    """Each file through a fresh streaming transcriber (``make(language)``) at (simulated) real time.
    ``keep_latencies`` adds every word's latency (``latencies``), for pooling several runs."""
    scores: dict[str, list[tuple[str, Score]]] = {}
    latencies: list[float] = []
    audio_s = compute_s = 0.0
    hypotheses = []
    decodes = 0
    for item in items:
        if item.reference is None:
            continue
        transcriber = make(item.language)
        segments, item_latencies, item_compute = stream_segments(transcriber, item.path, realtime=realtime)
        text = " ".join(segments)
        latencies += item_latencies
        audio_s += transcriber.audio_seconds
        compute_s += item_compute
        decodes += transcriber.processor.decodes
        scores.setdefault(item.set_name, []).append((item.language, score(item.reference, text, item.language)))
        hypotheses.append({"utt_id": item.utt_id, "text": text, "segments": segments})
        if progress:
            progress(item)
    out = _pooled(scores)
    lat = np.array(latencies) if latencies else np.zeros(0)
    out.update({"mode": "streaming", "realtime": realtime, "n": sum(len(v) for v in scores.values()),
                "audio_s": round(audio_s, 2), "compute_s": round(compute_s, 2),
                "speed_x": round(audio_s / compute_s, 2) if compute_s else None,
                "latency_p50_s": round(float(np.percentile(lat, 50)), 3) if lat.size else None,
                "latency_p90_s": round(float(np.percentile(lat, 90)), 3) if lat.size else None,
                "words": int(lat.size), "decodes": decodes, "hypotheses": hypotheses})
    if keep_latencies:
        out["latencies"] = latencies
    return out


def evaluate_diarization(items: list[Item], encoder, vad, options=None, collar: float = 0.25,
                         progress: Callable[[Item], None] | None = None) -> dict:
    from minutes.speakers import DiarizationOptions, diarize
    from models.audio import load_audio

    options = options or DiarizationOptions()
    pooled = DiarizationScore(0.0, 0.0, 0.0, 0.0, 0.0)
    files = []
    audio_s = compute_s = 0.0
    for item in items:
        if not item.turns:
            continue
        audio = load_audio(item.path)
        started = time.perf_counter()
        turns = diarize(audio, encoder, vad, options)
        compute_s += time.perf_counter() - started
        audio_s += len(audio) / 16_000
        result = diarization_score(item.turns, turns, collar)
        pooled = pooled + result
        files.append({"utt_id": item.utt_id, **_der_parts(result),
                      "speakers_ref": len({x[2] for x in item.turns}), "speakers_hyp": len({x[2] for x in turns})})
        if progress:
            progress(item)
    return {**_der_parts(pooled), "n": len(files), "collar": collar,
            "speed_x": round(audio_s / compute_s, 2) if compute_s else None, "files": files}


def _der_parts(result: DiarizationScore) -> dict:
    """DER and its three components, each as a fraction of the scored reference speech, and the overlapped
    share of that speech (the least a one-speaker-at-a-time diarization misses)."""
    parts = {"der": result.errors, "missed": result.missed, "false_alarm": result.false_alarm,
             "confusion": result.confusion, "overlap": result.overlap}
    return {key: round(value / result.speech, 4) if result.speech else None for key, value in parts.items()}
