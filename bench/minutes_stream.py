"""Streaming commit policies side by side on the dev sets, with the offline baseline, in one run.

Each round streams every dev file through each policy variant (simulated real time, as ``dasan eval asr
--streaming``) and transcribes the files offline once (faster-whisper, beam 5). Rounds alternate the variants
so that load from other work on a shared machine falls on all of them alike; the figures are pooled over the
rounds. Printed per variant: speed_x (audio seconds per compute second), latency p50/p90 (end of a word in the
audio to its commit), decodes per audio second, wer_en and cer_ko; and the offline speed_x, wer_en, cer_ko.

Variants: ``legacy`` is the policy before the token budget and the pause deferral (LocalAgreement-2, a decode
every second of new speech, up to 224 tokens a window, decodes in pauses too); ``current`` is the default
:class:`speech.transcriber.StreamingOptions`. Memory over a long meeting: ``bench/minutes_memory.py``.

    python bench/minutes_stream.py --rounds 2
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

SPEECH = Path(os.environ.get("DASAN_SPEECH_DATA", Path(__file__).resolve().parents[2] / "shared/data/speech"))


def variants(extra: list[str]) -> dict:
    from speech.transcriber import StreamingOptions

    out = {"legacy": {"max_tokens_per_s": None, "defer_in_pauses": False}, "current": {}}
    for spec in extra:  # name:field=value,field=value (floats or ints), e.g. "step1.25:min_chunk_s=1.25"
        name, _, fields = spec.partition(":")
        out[name] = {key: float(value) for key, value in (f.split("=") for f in fields.split(",") if f)}
    for name, fields in out.items():
        StreamingOptions(**fields)  # fails early on a misspelt field
    return out


def pooled(runs: list[dict]) -> dict:
    """Figures of several evaluation runs of one variant, pooled (latency percentiles over all words)."""
    audio = sum(r["audio_s"] for r in runs)
    compute = sum(r["compute_s"] for r in runs)
    latencies = np.concatenate([r["latencies"] for r in runs]) if runs else np.zeros(0)
    out = {"speed_x": round(audio / compute, 2), "audio_s": round(audio, 1), "compute_s": round(compute, 1),
           "wer_en": runs[-1]["wer_en"], "cer_ko": runs[-1]["cer_ko"],
           "speed_x_per_round": [r["speed_x"] for r in runs]}
    if latencies.size:
        out["latency_p50_s"] = round(float(np.percentile(latencies, 50)), 3)
        out["latency_p90_s"] = round(float(np.percentile(latencies, 90)), 3)
    if "decodes" in runs[-1]:
        out["decodes_per_audio_s"] = round(sum(r["decodes"] for r in runs) / audio, 3)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--manifest", action="append", default=None, help="manifest or folder (repeatable)")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--variant", action="append", default=[], help="name:field=value,... (StreamingOptions)")
    parser.add_argument("--no-offline", action="store_true")
    args = parser.parse_args()

    from dasan.runtime import build_model_set
    from dasan.settings import Settings
    from minutes.evaluation import evaluate_offline, evaluate_streaming, read_manifests
    from speech.transcriber import StreamingOptions, make_transcriber

    settings = Settings()
    models = build_model_set(settings)
    items = [i for i in read_manifests(args.manifest or [SPEECH]) if i.reference]
    policies = variants(args.variant)
    make_transcriber(models, options=StreamingOptions(language="en")).processor.decoder.warm_up()
    runs: dict[str, list[dict]] = {name: [] for name in policies}
    offline: list[dict] = []
    for round_no in range(args.rounds):
        order = list(policies) if round_no % 2 == 0 else list(reversed(policies))
        for name in order:
            def make(language: str, fields=policies[name]):
                return make_transcriber(models, options=StreamingOptions(language=language, **fields))

            result = evaluate_streaming(items, make, keep_latencies=True)
            runs[name].append(result)
            print(f"round {round_no + 1} {name}: speed_x {result['speed_x']} p50 {result['latency_p50_s']} "
                  f"p90 {result['latency_p90_s']} wer_en {result['wer_en']} cer_ko {result['cer_ko']}",
                  file=sys.stderr, flush=True)
        if not args.no_offline and round_no == 0:
            offline.append(evaluate_offline(items, models.transcriber(), beam_size=5))
            print(f"offline: speed_x {offline[-1]['speed_x']} wer_en {offline[-1]['wer_en']} "
                  f"cer_ko {offline[-1]['cer_ko']}", file=sys.stderr, flush=True)
    result = {"files": len(items), "rounds": args.rounds, "threads": settings.threads,
              "load_avg": round(os.getloadavg()[0], 2),
              "streaming": {name: {**pooled(rs), "options": policies[name]} for name, rs in runs.items()}}
    if offline:
        result["offline"] = {k: offline[0][k] for k in ("speed_x", "wer_en", "cer_ko", "beam_size")}
    print(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main()
