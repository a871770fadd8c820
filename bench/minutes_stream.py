"""Long-meeting benchmark of the streaming minutes pipeline: resident memory and speed over a simulated meeting.

The dev clips (English and Korean read speech, each followed by a pause) are looped into one stream of
``--minutes`` of audio and fed through a live meeting (VAD, streaming Whisper, speakers) as fast as it goes.
Resident memory is sampled every minute of audio; the growth per hour of audio is projected to a 2-hour
meeting. The baseline, measured in the same run, is offline faster-whisper (beam 5) on the same clips once.

    python bench/minutes_stream.py --minutes 10
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

SPEECH = Path(os.environ.get("DASAN_SPEECH_DATA", Path(__file__).resolve().parents[2] / "shared/data/speech"))


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def clips() -> list[np.ndarray]:
    from minutes.evaluation import read_manifests
    from models.audio import load_audio

    items = read_manifests([SPEECH / name for name in ("en-librispeech-testclean", "ko-zeroth")])
    pause = np.zeros(16_000 * 2, dtype=np.float32)
    return [np.concatenate([load_audio(i.path), pause]) for i in items]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10.0, help="minutes of audio to stream")
    parser.add_argument("--no-speakers", action="store_true")
    args = parser.parse_args()

    from dasan.app import build_model_set
    from dasan.settings import Settings
    from minutes.pipeline import LiveMeeting, MeetingRequest, speaker_encoder_for
    from models.asr import TranscribeOptions

    settings = Settings()
    models = build_model_set(settings)
    audio_clips = clips()
    transcriber = models.transcriber()
    transcriber.transcribe(audio_clips[0][:16_000], TranscribeOptions(language="en"))  # warm
    started = time.perf_counter()
    for clip in audio_clips:
        transcriber.transcribe(clip, TranscribeOptions(beam_size=5))
    baseline_speed = sum(len(c) for c in audio_clips) / 16_000 / (time.perf_counter() - started)

    encoder = None if args.no_speakers else speaker_encoder_for(models, settings)
    live = LiveMeeting(models, MeetingRequest(title="bench", language=None, speakers=encoder is not None), encoder)
    target = args.minutes * 60 * 16_000
    fed = 0
    samples = []
    next_sample = 0
    start_rss = rss_mb()
    started = time.perf_counter()
    n = 0
    while fed < target:
        clip = audio_clips[n % len(audio_clips)]
        n += 1
        for i in range(0, len(clip), 4096):
            live.feed(clip[i:i + 4096])
        fed += len(clip)
        if fed >= next_sample:
            samples.append((fed / 16_000 / 60, rss_mb()))
            next_sample += 60 * 16_000
    live.finish()
    elapsed = time.perf_counter() - started
    audio_min = fed / 16_000 / 60
    minutes_axis = np.array([m for m, _ in samples])
    rss_axis = np.array([r for _, r in samples])
    # growth after the first minute (model arenas and caches settle first)
    steady = minutes_axis >= 1.0
    slope = float(np.polyfit(minutes_axis[steady], rss_axis[steady], 1)[0]) if steady.sum() >= 2 else 0.0
    result = {
        "audio_min": round(audio_min, 1), "segments": len(live.meeting.segments),
        "speakers": len(set(s.speaker for s in live.meeting.segments)),
        "speed_x": round(audio_min * 60 / elapsed, 2), "baseline_offline_speed_x": round(baseline_speed, 2),
        "speed_vs_offline": round(audio_min * 60 / elapsed / baseline_speed, 2),
        "rss_start_mb": round(start_rss), "rss_end_mb": round(rss_axis[-1]), "rss_max_mb": round(rss_axis.max()),
        "rss_growth_mb_per_hour": round(slope * 60, 1),
        "rss_projected_2h_mb": round(float(rss_axis[-1] + slope * max(0.0, 120 - audio_min))),
        "load_avg": os.getloadavg()[0],
    }
    for key, value in result.items():
        print(f"{key:>24}: {value}", file=sys.stderr)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
