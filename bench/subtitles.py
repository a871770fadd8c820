"""Live English subtitles of Korean speech: how good and how costly, on the Korean dev clips.

Each clip of ``bench/data/subtitle_references.jsonl`` (English translations written for this project of the
Zeroth-Korean dev clips in ``shared/data/speech``) is streamed twice through the live transcriber, as
``dasan serve`` runs it: without subtitles (the baseline) and with ``subtitles="en"`` (each closed segment's audio
translated by Whisper's translate task, beam 1, the same window decoder). Printed: chrF of the live subtitles and,
for comparison, of Whisper's offline translation of the whole clip (beam 5), both against the references; the
compute per audio second with and without subtitles and their ratio; the words of each subtitle beside its
reference. The last line is one JSON object.

    python bench/subtitles.py [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

SPEECH = Path(os.environ.get("DASAN_SPEECH_DATA", Path(__file__).resolve().parents[2] / "shared/data/speech"))
REFERENCES = Path(__file__).resolve().parent / "data" / "subtitle_references.jsonl"


def stream(models, path: Path, subtitles: str | None) -> tuple[str, float, float]:
    """(subtitle text, compute seconds, audio seconds) of one clip streamed through the live transcriber."""
    from speech.audio import iter_file
    from speech.events import Subtitle
    from speech.transcriber import StreamingOptions, make_transcriber

    transcriber = make_transcriber(models, options=StreamingOptions(language="ko", subtitles=subtitles))
    events = []
    for chunk in iter_file(path, 0.256):
        events += transcriber.feed(chunk)
    events += transcriber.finish()
    text = " ".join(e.text for e in events if isinstance(e, Subtitle))
    return text, transcriber.compute_seconds, transcriber.audio_seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="only the JSON line")
    args = parser.parse_args()

    from dasan.runtime import build_model_set
    from dasan.settings import Settings
    from minutes.chrf import chrf
    from models.asr import TranscribeOptions
    from models.audio import load_audio

    say = (lambda *a: None) if args.json else print
    items = [json.loads(line) for line in REFERENCES.read_text(encoding="utf-8").splitlines() if line.strip()]
    missing = [i["file"] for i in items if not (SPEECH / i["file"]).is_file()]
    if missing:
        sys.exit(f"the dev clips are not here ({SPEECH}): {', '.join(missing)}; set DASAN_SPEECH_DATA")
    models = build_model_set(Settings())
    stream(models, SPEECH / items[0]["file"], "en")  # warm up both tasks
    live, offline, plain_s, subtitled_s, audio_s = [], [], 0.0, 0.0, 0.0
    for item in items:
        path = SPEECH / item["file"]
        _, plain, _ = stream(models, path, None)
        text, subtitled, seconds = stream(models, path, "en")
        plain_s, subtitled_s, audio_s = plain_s + plain, subtitled_s + subtitled, audio_s + seconds
        started = time.perf_counter()
        whole = models.transcriber().transcribe(load_audio(path), TranscribeOptions(
            language="ko", task="translate", beam_size=5, temperature=(0.0,))).text
        live.append(text)
        offline.append(whole)
        say(f"{Path(item['file']).name}  live {subtitled - plain:.2f} s extra, offline {time.perf_counter() - started:.2f} s")
        say(f"  reference: {item['en']}\n  live:      {text}\n  offline:   {whole}")
    references = [i["en"] for i in items]
    result = {"clips": len(items), "audio_s": round(audio_s, 1),
              "chrf_live": round(chrf(references, live), 1), "chrf_offline_beam5": round(chrf(references, offline), 1),
              "compute_per_audio_s_plain": round(plain_s / audio_s, 3),
              "compute_per_audio_s_subtitled": round(subtitled_s / audio_s, 3),
              "subtitle_cost_ratio": round(subtitled_s / plain_s, 2), "load_avg": round(os.getloadavg()[0], 2)}
    say(f"chrF live {result['chrf_live']}, offline beam 5 {result['chrf_offline_beam5']}; compute per audio second "
        f"{result['compute_per_audio_s_plain']} without subtitles, {result['compute_per_audio_s_subtitled']} with "
        f"({result['subtitle_cost_ratio']}x)")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
