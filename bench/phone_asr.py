"""The voicebot's speech recognition over the phone: the dev clips heard wide-band and as a phone line carries them.

Each clip of ``shared/data/speech`` with a transcript (LibriSpeech, LibriVox, the English misc set, Zeroth-Korean),
up to 28 s, is heard by the call's own recogniser (``voicebot.asr.hear``: the Whisper window decoder with its
repetition and non-speech guards) twice: as the 16 kHz file, and over the phone (``over_the_phone``: resampled to
8 kHz, mu-law coded, brought back to 16 kHz by the server's upsampler, 20 ms at a time). Printed: WER (English) or
CER (Korean) per set, both ways, and the ratio. These are read-speech copies, not real telephone speech (no phone
corpus is available offline here): the line's band limit and coding are in them, not a phone's microphone, its
noise or a caller's way of talking. The last line is one JSON object.

    python bench/phone_asr.py [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

SPEECH = Path(os.environ.get("DASAN_SPEECH_DATA", Path(__file__).resolve().parents[2] / "shared/data/speech"))
SETS = ("en-librispeech-testclean", "en-librivox-pocketsphinx", "en-misc", "ko-zeroth")
MAX_S = 28.0  # one utterance for the call's recogniser (one Whisper window)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="only the JSON line")
    args = parser.parse_args()

    from dasan.runtime import build_model_set
    from dasan.settings import Settings
    from minutes.evaluation import read_manifests
    from minutes.metrics import score
    from models.audio import load_audio
    from voicebot.asr import hear
    from voicebot.simulated_caller import over_the_phone

    say = (lambda *a: None) if args.json else print
    folders = [SPEECH / name for name in SETS if (SPEECH / name).is_dir()]
    if not folders:
        sys.exit(f"the dev clips are not here ({SPEECH}); set DASAN_SPEECH_DATA")
    items = [item for item in read_manifests(folders) if item.reference]
    models = build_model_set(Settings())
    totals: dict[str, dict[str, list[int]]] = {}
    heard = 0
    for item in items:
        audio = load_audio(item.path)
        if len(audio) / 16_000 > MAX_S:
            continue
        heard += 1
        sums = totals.setdefault(item.set_name, {"wide": [0, 0], "phone": [0, 0]})
        texts = {}
        for way, heard_audio in (("wide", audio), ("phone", over_the_phone(audio))):
            texts[way] = hear(models, heard_audio, item.language, identify=False).text
            result = score(item.reference, texts[way], item.language)
            sums[way][0] += result.errors
            sums[way][1] += result.length
        say(f"{item.set_name:<26} {item.utt_id:<28} wide: {texts['wide'][:60]!r}\n{'':<55} phone: "
            f"{texts['phone'][:60]!r}")
    result = {}
    for name, sums in totals.items():
        wide, phone = (round(errors / max(length, 1), 4) for errors, length in (sums["wide"], sums["phone"]))
        result[name] = {"metric": "cer" if name.startswith("ko") else "wer", "wide": wide, "phone": phone,
                        "ratio": round(phone / wide, 2) if wide else None}
    say(f"\n{'set':<26} {'metric':<6} {'wide':>7} {'phone':>7} {'ratio':>6}")
    for name, row in result.items():
        ratio = "-" if row["ratio"] is None else row["ratio"]
        say(f"{name:<26} {row['metric']:<6} {row['wide']:>7.2%} {row['phone']:>7.2%} {ratio:>6}")
    print(json.dumps({"sets": result, "clips": heard}, ensure_ascii=False))


if __name__ == "__main__":
    main()
