"""The minutes against reference minutes written by a person (bench/data/reference_minutes.jsonl): decision and
action recall and precision, and summary coverage, for the extractive composer and the local LLM, in one run.

Recordings are transcribed as an upload is (the streaming transcriber with speakers, faster-whisper base); the
scripted meetings are given as their transcripts. How a composed item matches a reference point is in
minutes/reference_score.py. The sets: the 7 real AMI meeting excerpts of the shared speech data (30 s of real
conversation each, no decision or action said in any: there, every decision or action the minutes write is a
false one), the English test meeting (tests/minutes/meeting_en.json, the real ASR transcript of a synthetic voice)
and its Korean text version (bench/data/meeting_ko.json; no Korean meeting audio exists in the dev data).

    python bench/minutes_reference.py [--references FILE] [--speech-data DIR] [--no-llm] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
SPEECH = Path(os.environ.get("DASAN_SPEECH_DATA", ROOT.parent / "shared/data/speech"))


def meeting_of(reference, models, speech: Path):
    from minutes.document import Meeting
    from minutes.pipeline import MeetingRequest, transcribe_file
    from speech.events import Segment

    if reference.is_audio:
        path = speech / reference.source
        if not path.is_file():
            sys.exit(f"{path} is not here: set --speech-data (or DASAN_SPEECH_DATA) to the shared speech sets")
        return transcribe_file(path, models, MeetingRequest(title=path.stem, language=reference.language,
                                                            compose="extractive"))
    rows = json.loads((ROOT / reference.source).read_text(encoding="utf-8"))["segments"]
    segments = [Segment(n, r["start"], r["end"], r["text"], (), r.get("speaker"), reference.language)
                for n, r in enumerate(rows)]
    return Meeting(title=Path(reference.source).stem, segments=segments, language=reference.language,
                   duration=segments[-1].end if segments else 0.0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--references", default=str(ROOT / "bench/data/reference_minutes.jsonl"))
    parser.add_argument("--speech-data", default=str(SPEECH), help="the shared speech sets (for the recordings)")
    parser.add_argument("--no-llm", action="store_true", help="the extractive composer only")
    parser.add_argument("--json", action="store_true", help="end with one JSON object of the figures")
    args = parser.parse_args()

    from dasan.runtime import build_model_set
    from dasan.settings import get_settings
    from minutes.compose import ComposeOptions, compose_with_llm
    from minutes.document import extract_minutes
    from minutes.reference_score import pooled, read_references, score

    try:
        references = read_references(args.references)
    except (OSError, ValueError) as exc:
        sys.exit(str(exc))
    models = build_model_set(get_settings())
    llm = None if args.no_llm else models.llm()
    composers = {"extractive": extract_minutes}
    if llm is not None:
        llm.chat([{"role": "user", "content": "Hi"}], max_tokens=1)  # loaded before timing
        composers["llm"] = lambda meeting: compose_with_llm(meeting, llm, ComposeOptions(budget_s=float("inf")))
    groups = {"real conversation (AMI)": lambda r: r.is_audio, "scripted, English": lambda r: not r.is_audio and
              r.language == "en", "scripted, Korean": lambda r: not r.is_audio and r.language == "ko"}
    per_file: dict[str, list[dict]] = {name: [] for name in composers}
    seconds = {name: 0.0 for name in composers}
    for reference in references:
        meeting = meeting_of(reference, models, Path(args.speech_data))
        for name, compose in composers.items():
            started = time.perf_counter()
            minutes = compose(meeting)
            seconds[name] += time.perf_counter() - started
            counts = score(reference, minutes)
            per_file[name].append({"source": reference.source, "reference": reference, **counts})
            print(f"{name:>10}  {Path(reference.source).name:<18} " + "  ".join(
                f"{part} {c['recalled']}/{c['reference']} (items {c['items_matched']}/{c['items']})"
                for part, c in counts.items()), file=sys.stderr)
    result = {"references": args.references, "composers": {}}
    print(f"\n{'set':<26} {'composer':<10} {'summary cov.':>12} {'decision R/P':>13} {'action R/P':>11} "
          f"{'false items':>11}", file=sys.stderr)
    for name in composers:
        result["composers"][name] = {"seconds": round(seconds[name], 2)}
        for group, member in groups.items():
            rows = [row for row in per_file[name] if member(row["reference"])]
            if not rows:
                continue
            figures = pooled(rows)
            false = sum(r[p]["items"] - r[p]["items_matched"] for r in rows for p in ("decisions", "actions"))
            figures["false_decisions_and_actions"] = false
            result["composers"][name][group] = figures
            recall_precision = {part: "/".join("-" if figures[part][k] is None else str(figures[part][k])
                                               for k in ("recall", "precision")) for part in ("decisions", "actions")}
            print(f"{group:<26} {name:<10} {figures['summary']['coverage'] or 0:>12} "
                  f"{recall_precision['decisions']:>13} {recall_precision['actions']:>11} {false:>11}", file=sys.stderr)
    if args.json:
        print(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main()
