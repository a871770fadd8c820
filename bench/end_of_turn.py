"""End of turn on real speech: the word rules (voicebot.turn_end.sounds_finished on the call's own partial
transcript), the Smart Turn v3.2 model, and their combinations, judged at the call's first pause.

    python bench/end_of_turn.py [--data ../shared/data/speech] [--questions 20] [--phone] [--json]

Each clip of the read-speech sets (English and Korean) gives turns a call would judge at its first pause
(TurnEndOptions.first_pause_s of silence after speech, what the call hands both judges):

- complete: the whole utterance up to its last speech (Silero VAD) plus the pause that follows it;
- incomplete, "pause": cut at one of the speaker's own inner pauses (the real silence of that pause follows) -
  the speaker went on, so ending the turn there is a false cut-off, even where the words before it happen to
  form a sentence;
- incomplete, "mid-phrase": cut after a word in the middle of the utterance where the speaker did not pause
  (silence appended), as a caller who stops to think;
- incomplete, "mid-word": cut inside a word two thirds of the way through (silence appended).

Besides, as conversational turns (reported apart, as "ami_en"): the AMI meeting excerpts' annotated speaker
turns (see meeting_turns), and as call-like but synthetic turns (reported apart, as "piper_en"): the first ``--questions`` English
questions of the knowledge base's eval set spoken by the bundled Piper voice (what `dasan eval voicebot` calls
with), cut the same way. There is no Korean voice to do the same in Korean.

The words judge the whole turn audio (the call transcribes it with its pause); the model hears it up to
TurnEndOptions.model_pause_s into the pause (the call's choice; ``--model-silence`` compares other amounts).
``--phone`` passes every turn through an 8 kHz mu-law line first.

False cut-off rate: incomplete turns judged complete (the bot would speak while the caller is mid-sentence).
Missed ends: complete turns judged incomplete (the call then waits out TurnEndOptions.max_pause_s, so each costs
max_pause_s - first_pause_s of added delay). Latency: one TurnModel.probability call (features + ONNX) on this
machine, one thread. The last line is the result object as JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DEFAULT_DATA = ROOT.parent / "shared" / "data" / "speech"
DEFAULT_QUESTIONS = ROOT.parent / "shared" / "data" / "kb" / "eval_paraphrases.jsonl"
SETS = ("en-librispeech-testclean", "en-librivox-pocketsphinx", "en-misc", "ko-zeroth")
SR = 16_000
THRESHOLDS = (0.3, 0.5, 0.7, 0.9)
WINDOW = 8.0  # seconds the model hears


@dataclass
class Turn:
    clip: str
    lang: str
    kind: str  # complete, pause, mid-phrase, mid-word
    audio: np.ndarray
    probability: float = 0.0
    text: str = ""
    words_finished: bool = False
    by_silence: dict = field(default_factory=dict)  # seconds of the pause the model hears -> its probability

    @property
    def complete(self) -> bool:
        return self.kind == "complete"


def _with_pause(audio: np.ndarray, end_s: float, pause_s: float, real_pause: bool) -> np.ndarray:
    """The audio up to ``end_s`` and then ``pause_s`` of silence: the clip's own when ``real_pause`` (and it has
    that much), else zeros."""
    end = int(end_s * SR)
    if real_pause:
        out = audio[: end + int(pause_s * SR)]
    else:
        out = audio[:end]
    missing = end + int(pause_s * SR) - len(out)
    return np.concatenate([out, np.zeros(max(missing, 0), dtype=np.float32)]).astype(np.float32)


def turns_of(name: str, audio: np.ndarray, lang: str, vad, decoder, pause_s: float) -> list[Turn]:
    from models.vad import VadOptions
    from speech.backends import DecodeOptions

    segments = vad.speech_segments(audio, VadOptions(min_silence_ms=150, pad_ms=30))
    if not segments:
        return []
    turns = [Turn(name, lang, "complete", _with_pause(audio, segments[-1][1], pause_s, True))]
    gaps = sorted(((b[0] - a[1], a[1]) for a, b in zip(segments, segments[1:]) if b[0] - a[1] >= 0.2), reverse=True)
    for _gap, start in gaps[:2]:  # the two longest inner pauses
        if start >= 0.8:
            turns.append(Turn(name, lang, "pause", _with_pause(audio, start, pause_s, True)))
    words = [w for w in decoder.decode(audio, DecodeOptions(language=lang)).words if w.end <= segments[-1][1] + 0.3]
    if len(words) >= 4:
        in_pause = [any(abs(w.end - start) < 0.3 for _gap, start in gaps) for w in words]
        middle = [i for i in range(1, len(words) - 2) if not in_pause[i]]
        if middle:
            i = min(middle, key=lambda i: abs(i - len(words) / 2))
            turns.append(Turn(name, lang, "mid-phrase", _with_pause(audio, words[i].end, pause_s, False)))
        word = words[min(len(words) - 2, max(1, round(len(words) * 2 / 3)))]
        turns.append(Turn(name, lang, "mid-word", _with_pause(audio, (word.start + word.end) / 2, pause_s, False)))
    return turns


def meeting_turns(folder: Path, pause_s: float) -> list[Turn]:
    """Conversational English: the AMI meeting excerpts' annotated speaker turns. Complete: a speaker's segment
    that another speaker follows within 2 s, not overlapped in its last 0.5 s (an interruption is not a turn's end)
    and not taken up again by the same speaker within 1 s. Incomplete: a segment cut every 1.5 s from 1 s after its start
    to 1 s before its end, where nobody else speaks within 0.5 s. The audio is the segment alone (its last 8 s), then the pause."""
    from models.audio import load_audio

    turns: list[Turn] = []
    manifest = folder / "manifest.jsonl"
    if not manifest.is_file():
        return turns
    for line in manifest.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        row = json.loads(line)
        audio = load_audio(folder / row["file"])
        segments = sorted(row.get("segments") or [], key=lambda seg: seg["start"])
        name = f"ami/{Path(row['file']).stem}"
        for seg in segments:
            start, end, who = seg["start"], seg["end"], seg["speaker"]
            if end - start < 1.0:
                continue
            others = [o for o in segments if o["speaker"] != who]
            same_later = [o["start"] for o in segments if o["speaker"] == who and o["start"] >= end]
            overlapped_end = any(o["start"] < end and o["end"] > end - 0.5 for o in others)
            followed = any(end - 0.2 <= o["start"] <= end + 2.0 for o in others)
            goes_on = bool(same_later) and min(same_later) - end < 1.0
            if followed and not overlapped_end and not goes_on:
                piece = audio[int(max(start, end - WINDOW) * SR): int(end * SR)]
                turns.append(Turn(name, "ami_en", "complete", np.concatenate(
                    [piece, np.zeros(int(pause_s * SR), dtype=np.float32)])))
            for cut in np.arange(start + 1.0, end - 1.0, 1.5):  # every 1.5 s, 1 s from either end
                if not any(o["start"] < cut + 0.5 and o["end"] > cut - 0.5 for o in others):
                    piece = audio[int(max(start, cut - WINDOW) * SR): int(cut * SR)]
                    turns.append(Turn(name, "ami_en", "mid-phrase", np.concatenate(
                        [piece, np.zeros(int(pause_s * SR), dtype=np.float32)])))
    return turns


def telephone(audio: np.ndarray) -> np.ndarray:
    """``audio`` as it reaches the call over a Twilio line: 8 kHz mu-law, then the call's own upsampling."""
    from models.audio import resample
    from voicebot.codec import Upsampler, float_to_int16, ulaw_encode, ulaw_to_pcm16k

    narrow = resample(audio, SR, 8000)
    return ulaw_to_pcm16k(ulaw_encode(float_to_int16(narrow)), Upsampler())[: len(audio)]


def rates(turns: list[Turn], judge) -> dict:
    incomplete = [t for t in turns if not t.complete]
    complete = [t for t in turns if t.complete]
    cut = sum(judge(t) for t in incomplete)
    missed = sum(not judge(t) for t in complete)
    return {"false_cutoff_rate": round(cut / len(incomplete), 3) if incomplete else None,
            "missed_end_rate": round(missed / len(complete), 3) if complete else None,
            "false_cutoffs": cut, "incomplete": len(incomplete), "missed_ends": missed, "complete": len(complete)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", default=str(DEFAULT_DATA), help="the shared speech sets (manifest.jsonl each)")
    parser.add_argument("--questions", type=int, default=20, help="spoken (Piper) English eval questions; 0: none")
    parser.add_argument("--questions-file", default=str(DEFAULT_QUESTIONS))
    parser.add_argument("--model-silence", type=float, nargs="*", default=[0.1, 0.25], help="also judge with the "
                        "model hearing this much of the pause (seconds, up to the first pause; the call gives it "
                        "TurnEndOptions.model_pause_s)")
    parser.add_argument("--no-meetings", dest="meetings", action="store_false", help="leave out the AMI meeting "
                        "turns (conversational English, reported apart as ami_en)")
    parser.add_argument("--phone", action="store_true", help="pass every turn through the telephone line first "
                        "(8 kHz mu-law and back to 16 kHz, as a Twilio caller arrives)")
    parser.add_argument("--json", action="store_true", help="print only the result object")
    parser.add_argument("--verbose", action="store_true", help="print every turn")
    args = parser.parse_args()
    data = Path(args.data)
    if not data.is_dir():
        sys.exit(f"no speech data at {data}")

    from dasan.runtime import build_model_set
    from dasan.settings import get_settings
    from models.audio import load_audio
    from speech.transcriber import window_decoder_for
    from voicebot.asr import hear
    from voicebot.turn_end import TurnEndOptions, judge, partial_finished

    settings = get_settings()
    options = TurnEndOptions(model_threshold=settings.turn_threshold)
    models = build_model_set(settings)
    vad = models.new_vad()
    decoder = window_decoder_for(models)
    turn_model = models.turn_model()
    load = os.getloadavg()

    turns: list[Turn] = []
    for set_name in SETS:
        manifest = data / set_name / "manifest.jsonl"
        if not manifest.is_file():
            continue
        for line in manifest.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            row = json.loads(line)
            lang = row.get("language", "en")[:2]
            audio = load_audio(data / set_name / row["file"])
            turns += turns_of(f"{set_name}/{Path(row['file']).name}", audio, lang, vad, decoder,
                              options.first_pause_s)

    real = len(turns)
    if args.questions and Path(args.questions_file).is_file():
        from models.audio import resample

        tts = models.tts("en")
        rows = [json.loads(line) for line in open(args.questions_file, encoding="utf-8") if line.strip()]
        for n, row in enumerate([r for r in rows if r.get("lang") == "en"][: args.questions]):
            speech = tts.synthesize(row["query"])
            audio = np.concatenate([np.zeros(SR // 2, dtype=np.float32),
                                    resample(speech.audio, speech.sample_rate, SR), np.zeros(SR, dtype=np.float32)])
            turns += [Turn(f"piper/q{n:02d}", "piper_en", t.kind, t.audio)
                      for t in turns_of(f"q{n}", audio, "en", vad, decoder, options.first_pause_s)]

    latencies = []
    if args.meetings:
        turns += meeting_turns(data / "meeting-ami-excerpts", options.first_pause_s)
    if args.phone:
        for turn in turns:
            turn.audio = telephone(turn.audio)
    unheard = int((options.first_pause_s - options.model_pause_s) * SR)  # what the call keeps from the model
    for turn in turns:
        started = time.perf_counter()
        turn.probability = turn_model.probability(turn.audio[: len(turn.audio) - unheard])
        latencies.append((time.perf_counter() - started) * 1000)
        # as the call hears it: the words Whisper starts in the closing pause left out
        heard = hear(models, turn.audio, turn.lang[-2:], False, voiced_s=len(turn.audio) / SR - options.first_pause_s)
        turn.text = heard.text
        turn.words_finished = partial_finished(heard.text, heard.lang, heard.restarted)
        if args.verbose:
            print(f"{turn.kind:>10} {turn.probability:5.3f} {'F' if turn.words_finished else '.'} {turn.clip:48} "
                  f"{turn.text[-60:]!r}", file=sys.stderr)

    judges = {"words": lambda t: t.words_finished}
    for threshold in THRESHOLDS:
        judges[f"model@{threshold}"] = lambda t, th=threshold: t.probability >= th
        judges[f"model_and_words@{threshold}"] = lambda t, th=threshold: t.probability >= th and t.words_finished
        judges[f"model_or_words@{threshold}"] = lambda t, th=threshold: t.probability >= th or t.words_finished
    judges["shipped"] = lambda t: judge(t.probability, t.words_finished, options.model_threshold)
    # the model given less of the pause (its probability grows with the silence it hears)
    for silence in args.model_silence:
        cut = int((options.first_pause_s - silence) * SR)
        for turn in turns:
            turn.by_silence[silence] = turn_model.probability(turn.audio[: len(turn.audio) - cut])
        for threshold in (0.5, 0.7):
            judges[f"model@{threshold}/silence {silence}"] = (
                lambda t, th=threshold, si=silence: t.by_silence[si] >= th)
            judges[f"model_and_words@{threshold}/silence {silence}"] = (
                lambda t, th=threshold, si=silence: t.by_silence[si] >= th and t.words_finished)

    by_lang = {lang: [t for t in turns if t.lang == lang] for lang in sorted({t.lang for t in turns})}
    turns_real = turns[:real]
    delay_per_miss = options.max_pause_s - options.first_pause_s
    result = {
        "turns": real, "clips": len({t.clip for t in turns_real}),
        "piper_turns": sum(t.lang == "piper_en" for t in turns), "ami_turns": sum(t.lang == "ami_en" for t in turns),
        "kinds": {kind: sum(t.kind == kind for t in turns_real) for kind in ("complete", "pause", "mid-phrase",
                                                                            "mid-word")},
        "line": "8 kHz mu-law" if args.phone else "16 kHz", "threshold": options.model_threshold, "rule": judge.__doc__.strip().splitlines()[0],
        "delay_per_missed_end_s": delay_per_miss,
        "latency_ms": {"p50": round(float(np.percentile(latencies, 50)), 1),
                       "p95": round(float(np.percentile(latencies, 95)), 1),
                       "mean": round(statistics.fmean(latencies), 1)},
        "machine_load": [round(x, 2) for x in load],
        "all": {name: rates(turns_real, fn) for name, fn in judges.items()},
        **{lang: {name: rates(group, fn) for name, fn in judges.items()} for lang, group in by_lang.items()},
        "per_turn": [{"clip": t.clip, "lang": t.lang, "kind": t.kind, "probability": round(t.probability, 4),
                      "words_finished": t.words_finished, "text": t.text} for t in turns],
        "false_cutoff_by_kind": {kind: {name: rates([t for t in turns_real if t.kind in (kind, "complete")],
                                                    judges[name])
                                        ["false_cutoff_rate"] for name in ("words", "model@0.5", "shipped")}
                                 for kind in ("pause", "mid-phrase", "mid-word")},
    }
    if not args.json:
        print(f"{result['turns']} real turns from {result['clips']} clips {result['kinds']}, "
              f"{result['piper_turns']} Piper turns, {result['ami_turns']} AMI meeting turns; model latency "
              f"p50 {result['latency_ms']['p50']} ms, p95 {result['latency_ms']['p95']} ms (load {load[0]:.1f})",
              file=sys.stderr)
        print(f"{'judge':>24} | {'scope':>4} | false cut-off | missed ends | added delay per complete turn",
              file=sys.stderr)
        for name in judges:
            for scope in ("all", *by_lang):
                r = result[scope][name]
                print(f"{name:>24} | {scope:>4} | {r['false_cutoff_rate']:5.3f} ({r['false_cutoffs']:2}/"
                      f"{r['incomplete']:2}) | {r['missed_end_rate']:5.3f} ({r['missed_ends']:2}/{r['complete']:2}) | "
                      f"{r['missed_end_rate'] * delay_per_miss:4.2f} s", file=sys.stderr)
        print(f"false cut-off by kind: {result['false_cutoff_by_kind']}", file=sys.stderr)
    print(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main()
