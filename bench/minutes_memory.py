"""Resident memory of a long live meeting: does anything grow with the meeting's length?

Real speech from the shared dev sets (English read speech and the multi-speaker AMI meeting excerpts, with
pauses between clips) is looped into one stream of ``--minutes`` of audio and fed through the streaming
transcriber with the live speaker tracker, as fast as it goes. The resident set is sampled every
``--every`` minutes of audio. Printed: the baseline (the resident set once the models are loaded and warm,
measured in the same run), the samples, the growth per hour of audio fitted over the second half of the run
(allocator arenas and model caches settle in the first minutes), and what that slope projects for a
``--project-hours`` meeting. The projection is an extrapolation; only the run's own minutes are measured.

    python bench/minutes_memory.py --minutes 24
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

SPEECH = Path(os.environ.get("DASAN_SPEECH_DATA", Path(__file__).resolve().parents[2] / "shared/data/speech"))
SETS = ("en-librispeech-testclean", "en-librivox-pocketsphinx", "en-misc", "meeting-ami-excerpts")


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def clips() -> list[np.ndarray]:
    from minutes.evaluation import read_manifests
    from models.audio import load_audio

    items = read_manifests([SPEECH / name for name in SETS if (SPEECH / name).exists()])
    pause = np.zeros(int(1.5 * 16_000), dtype=np.float32)
    return [np.concatenate([load_audio(item.path), pause]) for item in items]


def growth_per_hour(minutes: np.ndarray, rss: np.ndarray) -> float:
    """MB per hour of audio: a straight line through the second half of the samples."""
    late = minutes >= minutes[-1] / 2
    if late.sum() < 2:
        return 0.0
    return float(np.polyfit(minutes[late], rss[late], 1)[0]) * 60


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=24.0, help="minutes of audio to stream")
    parser.add_argument("--every", type=float, default=2.0, help="sample the resident set every this many minutes")
    parser.add_argument("--project-hours", type=float, default=2.0)
    parser.add_argument("--no-speakers", action="store_true")
    args = parser.parse_args()

    from dasan.runtime import build_model_set
    from dasan.settings import Settings
    from minutes.speakers import SpeakerTracker
    from speech.transcriber import StreamingOptions, make_transcriber

    settings = Settings()
    models = build_model_set(settings)
    audio_clips = clips()
    tracker = None
    if not args.no_speakers:
        encoder = models.speaker_encoder()
        encoder.embed(audio_clips[0][:3 * 16_000])
        tracker = SpeakerTracker(encoder)
    transcriber = make_transcriber(models, options=StreamingOptions(language="en"), speakers=tracker)
    transcriber.processor.decoder.warm_up()
    gc.collect()
    baseline = rss_mb()

    target = int(args.minutes * 60 * 16_000)
    every = int(args.every * 60 * 16_000)
    fed = segments = 0
    next_sample = every
    samples: list[tuple[float, float]] = [(0.0, baseline)]
    started = time.perf_counter()
    n = 0
    while fed < target:
        clip = audio_clips[n % len(audio_clips)]
        n += 1
        for i in range(0, len(clip), 8_000):
            piece = clip[i:i + 8_000]
            segments += sum(e.type == "final" for e in transcriber.feed(piece))
            fed += len(piece)
            if fed >= next_sample:
                samples.append((fed / 16_000 / 60, rss_mb()))
                print(f"{samples[-1][0]:6.1f} min  rss {samples[-1][1]:7.1f} MB  segments {segments}",
                      file=sys.stderr, flush=True)
                next_sample += every
    segments += sum(e.type == "final" for e in transcriber.finish())
    if tracker is not None:
        tracker.refine()
    elapsed = time.perf_counter() - started
    end_rss = rss_mb()
    minutes = np.array([m for m, _ in samples])
    rss = np.array([r for _, r in samples])
    slope = growth_per_hour(minutes, rss)
    audio_min = fed / 16_000 / 60
    result = {
        "audio_min": round(audio_min, 1), "segments": segments,
        "speakers": tracker.speakers if tracker is not None else None,
        "speed_x": round(audio_min * 60 / elapsed, 2),
        "rss_baseline_mb": round(baseline, 1), "rss_end_mb": round(end_rss, 1), "rss_max_mb": round(rss.max(), 1),
        "rss_over_baseline_mb": round(end_rss - baseline, 1),
        "rss_samples": [[round(m, 1), round(r, 1)] for m, r in samples],
        "growth_mb_per_hour": round(slope, 1),
        "projected_hours": args.project_hours,
        "projected_rss_mb": round(end_rss + max(slope, 0.0) * max(0.0, args.project_hours - audio_min / 60), 1),
        "measured": f"{audio_min:.0f} min of audio; the {args.project_hours:g} h figure is extrapolated",
        "load_avg": round(os.getloadavg()[0], 2),
    }
    for key, value in result.items():
        if key != "rss_samples":
            print(f"{key:>22}: {value}", file=sys.stderr)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
