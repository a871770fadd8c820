"""How long the voicebot's answers are to listen to: the real assistant's reply to each English voicebot eval
query, synthesised by the bundled English voice (Piper joe) as a call speaks it (sentence chunks, every chunk's
audio counted): the whole answer read aloud (before issue 19) and its spoken form (voicebot/spoken.py, what a
call says now). Korean answers are compared in characters (no Korean voice is bundled).

    python bench/spoken_answers.py [--calls 20] [--json]

Seconds of speech per answer, median and max, before and after; and the same for all queries of the file.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DEFAULT_QUERIES = ROOT.parent / "shared" / "data" / "kb" / "eval_paraphrases.jsonl"


def seconds(tts, text: str) -> float:
    from voicebot.call import speech_chunks

    return sum(speech.duration for chunk in speech_chunks(text) for speech in tts.stream(chunk.strip()))


def summary(values: list[float]) -> dict:
    return {"median": round(statistics.median(values), 2), "max": round(max(values), 2),
            "mean": round(statistics.fmean(values), 2)} if values else {}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--queries", default=str(DEFAULT_QUERIES))
    parser.add_argument("--calls", type=int, default=20, help="the first N English queries (as `dasan eval "
                        "voicebot --calls N`); 0 for all")
    parser.add_argument("--json", action="store_true", help="print only the result object")
    args = parser.parse_args()

    from dasan.runtime import Runtime
    from dasan.settings import get_settings
    from voicebot.spoken import spoken_reply

    rows = [json.loads(line) for line in open(args.queries, encoding="utf-8") if line.strip()]
    english = [r for r in rows if r.get("lang", "en") == "en"]
    korean = [r for r in rows if r.get("lang") == "ko"]
    if args.calls:
        english = english[: args.calls]
    runtime = Runtime.open(get_settings())
    assistant = runtime.open_assistant()
    tts = runtime.models.tts("en")
    calls = []
    for row in english:
        reply = assistant.reply(row["query"], lang="en")
        spoken = spoken_reply(reply, "en")
        calls.append({"query": row["query"], "entry": reply.citations[0].entry_id if reply.citations else None,
                      "before_s": round(seconds(tts, reply.answer), 2), "after_s": round(seconds(tts, spoken.text), 2),
                      "before_chars": len(reply.answer), "after_chars": len(spoken.text), "offered": spoken.offered,
                      "spoken": spoken.text})
    ko_chars = []
    for row in korean:
        reply = assistant.reply(row["query"], lang="ko")
        ko_chars.append((len(reply.answer), len(spoken_reply(reply, "ko").text)))
    result = {
        "n": len(calls), "tts": getattr(tts, "name", "?"),
        "before_s": summary([c["before_s"] for c in calls]), "after_s": summary([c["after_s"] for c in calls]),
        "before_chars": summary([c["before_chars"] for c in calls]),
        "after_chars": summary([c["after_chars"] for c in calls]),
        "ko_n": len(ko_chars), "ko_before_chars": summary([b for b, _ in ko_chars]),
        "ko_after_chars": summary([a for _, a in ko_chars]),
        "calls": calls,
    }
    runtime.close()
    if not args.json:
        for call in calls:
            print(f"{call['before_s']:6.1f} s -> {call['after_s']:5.1f} s  {call['query'][:60]!r}", file=sys.stderr)
        for key, value in result.items():
            if key != "calls":
                print(f"{key:>16}: {value}", file=sys.stderr)
    print(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main()
