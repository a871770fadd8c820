"""Where streaming loses against offline, clip by clip: each dev clip decoded offline at beam 5 and at beam 1
and streamed through the default commit policy (beam 1), and each streaming edit put in a category
(``minutes/error_breakdown.py``: shared with offline, the beam, a repeated commit, a segment join, dropped
speech, other).

    python bench/streaming_breakdown.py                  # Korean dev clips
    python bench/streaming_breakdown.py --language en --json
    python bench/streaming_breakdown.py --joined 0.3     # the clips as one recording, 0.3 s of silence between
    python bench/streaming_breakdown.py --set pre_roll_s=0.5   # a streaming option other than its default

``--joined`` makes one long recording of the clips (real speech, a short pause between clips), so that the
streaming has to cut and commit inside running speech as in a meeting; the reference is the clips' transcripts in
order. The dev clips alone are single sentences of read speech, which a streaming decoder rarely cuts.

Prints a table per clip (error rates and the streaming edits by category) and the pooled breakdown; with
``--json`` one JSON object last.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from dataclasses import fields, replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

SPEECH = Path(os.environ.get("DASAN_SPEECH_DATA", Path(__file__).resolve().parents[2] / "shared/data/speech"))


def joined(items: list, gap_s: float, folder: Path):
    """One recording of ``items`` in order, ``gap_s`` of silence between them, with their references joined."""
    import numpy as np
    import soundfile

    from minutes.evaluation import Item
    from models.audio import load_audio

    gap = np.zeros(int(gap_s * 16_000), dtype=np.float32)
    pieces = []
    for item in items:
        pieces += [load_audio(item.path), gap]
    path = folder / f"joined-{items[0].language}.wav"
    soundfile.write(path, np.concatenate(pieces[:-1]), 16_000, subtype="PCM_16")
    glue = "" if items[0].language == "ko" else " "
    return Item(path, items[0].language, glue.join(i.reference for i in items), "joined",
                f"joined {len(items)} clips, {gap_s:g} s gaps")


OWN_FLAGS = ("language",)  # options the script sets from its own flags, for both decodes


def streaming_overrides(settings: list[str]) -> dict:
    """``NAME=VALUE`` strings as StreamingOptions fields, each value of its field's default's type."""
    from speech.transcriber import StreamingOptions

    defaults = {f.name: f.default for f in fields(StreamingOptions) if f.name not in OWN_FLAGS}
    out = {}
    for setting in settings:
        name, sep, value = setting.partition("=")
        if name in OWN_FLAGS:
            raise ValueError(f"--set {name}: use --{name}, which sets it for the offline decode too")
        if not sep or name not in defaults:
            raise ValueError(f"--set {setting!r}: NAME=VALUE with NAME one of {', '.join(defaults)}")
        kind = type(defaults[name])
        if kind is bool:
            if value.lower() not in ("true", "false", "1", "0"):
                raise ValueError(f"--set {name}: true or false, not {value!r}")
            out[name] = value.lower() in ("true", "1")
        elif kind in (int, float):
            try:
                out[name] = kind(value)
            except ValueError:
                raise ValueError(f"--set {name}: a number, not {value!r}") from None
        else:
            out[name] = value or None
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--manifest", action="append", default=None, help="manifest or folder (repeatable)")
    parser.add_argument("--language", default="ko", choices=["ko", "en"])
    parser.add_argument("--joined", type=float, default=None, metavar="GAP_S",
                        help="decode the clips as one recording with GAP_S seconds of silence between them")
    parser.add_argument("--set", action="append", default=[], metavar="NAME=VALUE",
                        help="a streaming option other than its default, e.g. pre_roll_s=0.5 (repeatable; the "
                             "fields of speech.transcriber.StreamingOptions)")
    parser.add_argument("--json", action="store_true", help="print one JSON object last")
    args = parser.parse_args()
    try:
        overrides = streaming_overrides(args.set)
    except ValueError as error:
        parser.error(str(error))
    if args.joined is not None and not 0 <= args.joined <= 10:
        parser.error("--joined takes a pause of 0 to 10 seconds")

    from dasan.runtime import build_model_set
    from dasan.settings import Settings
    from minutes.error_breakdown import CATEGORIES, breakdown, pooled
    from minutes.evaluation import evaluate_offline, evaluate_streaming, read_manifests
    from minutes.metrics import score
    from speech.transcriber import StreamingOptions, make_transcriber

    models = build_model_set(Settings())
    items = [i for i in read_manifests(args.manifest or [SPEECH]) if i.reference and i.language == args.language]
    if not items:
        parser.error(f"no {args.language} clips with a reference in {args.manifest or SPEECH}")
    scratch = tempfile.TemporaryDirectory()
    if args.joined is not None:
        items = [joined(items, args.joined, Path(scratch.name))]
    print(f"{len(items)} {args.language} clips; decoding offline at beam 5 and 1, then streaming", file=sys.stderr)
    runs = {"offline": evaluate_offline(items, models.transcriber(), beam_size=5),
            "offline_beam1": evaluate_offline(items, models.transcriber(), beam_size=1),
            "streaming": evaluate_streaming(items, lambda language: make_transcriber(
                models, options=replace(StreamingOptions(language=language), **overrides)))}
    texts = {name: {h["utt_id"]: h for h in run["hypotheses"]} for name, run in runs.items()}
    clips, rows = [], []
    for item in items:
        stream = texts["streaming"][item.utt_id]
        clip = breakdown(item.utt_id, item.reference, stream["segments"], texts["offline"][item.utt_id]["text"],
                         texts["offline_beam1"][item.utt_id]["text"], item.language)
        clips.append(clip)
        rates = {name: round(score(item.reference, texts[name][item.utt_id]["text"], item.language).rate, 4)
                 for name in runs}
        rows.append({"utt_id": item.utt_id, **rates, "segments": clip.segments, "edits": clip.errors,
                     "streaming_text": stream["text"], "offline_text": texts["offline"][item.utt_id]["text"]})
    metric = "cer" if args.language == "ko" else "wer"
    header = f"{'clip':24s} {metric + ' off5':>9s} {'off1':>6s} {'stream':>6s} {'segs':>4s} " + \
        " ".join(f"{c:>7s}" for c in CATEGORIES)
    print(header)
    for row in rows:
        print(f"{row['utt_id'][:24]:24s} {row['offline']:9.3f} {row['offline_beam1']:6.3f} {row['streaming']:6.3f} "
              f"{row['segments']:4d} " + " ".join(f"{row['edits'][c]:7d}" for c in CATEGORIES))
    summary = pooled(clips)
    print("pooled edits:", summary["edits"], " points of error rate:", summary["points"])
    key = "cer_ko" if args.language == "ko" else "wer_en"
    result = {"language": args.language, "metric": metric, "options": overrides,
              **{f"{name}_{metric}": run[key] for name, run in runs.items()}, "breakdown": summary, "clips": rows}
    if args.json:
        print(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main()
