"""``dasan eval voicebot``: spoken queries (a bundled voice as the caller) through real calls over the
Twilio-protocol WebSocket, at real-time pace, judged from each call's record.

Per call: wait for the greeting, say the query, measure end of speech -> first bot audio frame; then, while the
bot answers, say a short interruption and measure its onset -> ``clear``; then hang up with that turn's work in
flight. After all calls, count the call tasks and call threads still alive (``leaked_tasks``). With ``echo`` the
caller's line carries the bot's own voice back (attenuated, delayed): ``false_barge_ins`` counts the calls where
the bot interrupted itself before the caller spoke over it. With ``hesitation`` the caller stops for that long in
the middle of the question, as people do ("Where can I renew ... my passport?"): ``false_cutoff_rate`` is the share
of calls whose first turn the bot ended before the caller had finished: it started speaking over them, or its first
turn holds less audio than the question (the rest became a turn of its own). Such a call's latency is not counted.
The pause goes into the question as spoken whole (``HESITATION_STYLES`` "inner": the voice's intonation runs on
through it, as a person's does who stops to think), or, "halves", between its halves spoken as two utterances
(each ends as a finished sentence does, which a person pausing mid-question does not: the method of the earlier
measurements).
"""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import Callable

import numpy as np

from voicebot.simulated_caller import LineEcho, SimulatedCaller, call_threads

INTERRUPTION = {"en": "Sorry, wait a moment.", "ko": "잠깐만요."}
HESITATION_STYLES = ("inner", "halves")
SAMPLE_RATE = 16_000
CUT_MARGIN_S = 0.2  # a first turn this much shorter than the question was cut off (the rest is two words at least)


def trim(audio: np.ndarray, level: float = 0.01) -> np.ndarray:
    """Drop the synthesised silence after the words (so "end of speech" is the end of the words)."""
    loud = np.nonzero(np.abs(audio) > level)[0]
    return audio[:loud[-1] + 1] if loud.size else audio


def percentile(values: list[float], q: float) -> float | None:
    return round(float(np.percentile(values, q)), 3) if values else None


def halves(text: str) -> tuple[str, str] | None:
    """``text`` cut at the word boundary nearest its middle (two words at least on each side), or None."""
    words = text.split()
    if len(words) < 4:
        return None
    cut = min(max(2, round(len(words) / 2)), len(words) - 2)
    return " ".join(words[:cut]), " ".join(words[cut:])


def speak(tts, text: str) -> np.ndarray:
    """``text`` in the voice ``tts`` as a caller says it: 16 kHz, without the silence after the words."""
    from models.audio import resample

    speech = tts.synthesize(text)
    return trim(resample(speech.audio, speech.sample_rate, SAMPLE_RATE))


def quietest_between(audio: np.ndarray, start_s: float, end_s: float, margin_s: float = 0.04) -> tuple[int, float]:
    """The quietest 10 ms of ``audio`` from ``start_s - margin_s`` to ``end_s + margin_s`` (a word boundary as the
    recogniser timed it, give or take its error): (its middle sample, its energy), where a pause can go in unheard."""
    frame = SAMPLE_RATE // 100
    first = max(0, int((start_s - margin_s) * SAMPLE_RATE))
    last = min(len(audio), int((end_s + margin_s) * SAMPLE_RATE))
    if last - first < frame:
        return min(max(int(start_s * SAMPLE_RATE), 0), len(audio)), float("inf")
    energy = np.convolve(np.square(audio[first:last], dtype=np.float64), np.ones(frame), mode="valid")
    quietest = int(np.argmin(energy))
    return first + quietest + frame // 2, float(energy[quietest])


def with_inner_pause(audio: np.ndarray, words, pause_s: float) -> np.ndarray | None:
    """``audio`` with ``pause_s`` of silence at a boundary between the recognised ``words`` (``start``/``end`` in
    seconds): of the boundaries at the middle and one word either side (two words at least on each side of it), the
    one with the quietest moment, as a speaker pauses where the words part; None under four words."""
    if len(words) < 4:
        return None
    middle = round(len(words) / 2)
    cuts = [cut for cut in (middle - 1, middle, middle + 1) if 2 <= cut <= len(words) - 2]
    at, _ = min((quietest_between(audio, words[cut - 1].end, words[cut].start) for cut in cuts),
                key=lambda place: place[1])
    return np.concatenate([audio[:at], np.zeros(int(pause_s * SAMPLE_RATE), dtype=np.float32), audio[at:]])


def speak_all(models, texts: list[str], lang: str, hesitation: float = 0.0,
              style: str = "inner") -> list[np.ndarray]:
    """Each text in the bundled voice at 16 kHz; with ``hesitation`` (seconds), that much silence in its middle
    (``style``: see the module's docstring; texts too short to cut are said whole)."""
    if style not in HESITATION_STYLES:
        raise ValueError(f"hesitation style {style!r}: one of {', '.join(HESITATION_STYLES)}")
    tts = models.tts(lang)
    out = []
    for text in texts:
        if hesitation <= 0:
            out.append(speak(tts, text))
        elif style == "inner":
            from speech.backends import DecodeOptions
            from speech.filters import HallucinationFilter
            from speech.transcriber import window_decoder_for

            speech = speak(tts, text)
            # without the copy Whisper may squeeze into the padding after the sentence (as a call hears it)
            words = HallucinationFilter().window_words(
                list(window_decoder_for(models).decode(speech, DecodeOptions(language=lang)).words))
            paused = with_inner_pause(speech, words, hesitation)
            out.append(speech if paused is None else paused)
        else:
            parts = halves(text)
            if parts is None:
                out.append(speak(tts, text))
            else:
                pause = np.zeros(int(hesitation * SAMPLE_RATE), dtype=np.float32)
                out.append(np.concatenate([speak(tts, parts[0]), pause, speak(tts, parts[1])]))
    return out


async def _one_call(url: str, lang: str, question: np.ndarray, interruption: np.ndarray | None,
                    timeout: float, echo: LineEcho | None = None) -> dict:
    result: dict = {"latency_s": None, "barge_in_ms": None, "error": None, "self_interrupted": False,
                    "cut_off": False}
    async with SimulatedCaller(url, lang, echo=echo) as caller:
        log = caller.log
        result["call_id"] = log.call_id
        if not await caller.wait_for(lambda: log.time_of("mark") is not None, timeout):
            result["error"] = "no greeting"
            return result
        await caller.wait_quiet()
        caller.say(question)
        await caller.wait_said()
        start, end = log.speech_starts[-1], log.speech_ends[-1]
        early = log.first_audio_after(start)
        result["cut_off"] = early is not None and early < end  # the bot spoke while the caller was mid-question
        if not await caller.wait_for(lambda: log.first_audio_after(end) is not None, timeout):
            result["error"] = "no answer audio"
            return result
        result["latency_s"] = log.first_audio_after(end) - end
        if interruption is None:
            await caller.wait_for(lambda: log.time_of("mark", end) is not None, timeout)
            return result
        await asyncio.sleep(0.5)
        if log.time_of("mark", end) is not None:
            return result  # the answer was too short to interrupt
        caller.say(interruption)
        await caller.wait_for(lambda: len(log.speech_starts) >= 2, 5)
        onset = log.speech_starts[-1]
        result["self_interrupted"] = log.time_of("clear") is not None and log.time_of("clear") < onset
        if await caller.wait_for(lambda: log.time_of("clear", onset) is not None, 10):
            result["barge_in_ms"] = (log.time_of("clear", onset) - onset) * 1000
        await asyncio.sleep(0.3)  # then hang up with the interruption's turn in flight
    return result


def evaluate(server, models, rows: list[dict], record: Callable[[str], dict], lang: str = "en", concurrency: int = 1,
             barge_in: bool = True, timeout: float = 90.0, progress: Callable[[], None] | None = None,
             echo: LineEcho | None = None, hesitation: float = 0.0, hesitation_style: str = "inner") -> dict:
    """Each query spoken (by the bundled voice of ``models``) as a caller into a real call on ``server`` (a running
    Dasan server: ``base``, ``ws_base`` and ``tasks(prefix)``, as :class:`dasan.serving.InThread` has), interrupted
    once when ``barge_in``; accuracy, latency, barge-in, stage timings and leftovers. ``record(call_id)`` reads a
    finished call's record (the server keeps it for agents)."""
    texts = [row["query"] for row in rows]
    questions = speak_all(models, texts, lang, hesitation, hesitation_style)
    interruption = speak_all(models, [INTERRUPTION.get(lang, INTERRUPTION["en"])], lang)[0] if barge_in else None
    models.transcriber(), models.tts(lang)  # loaded before the first call, not during it

    ws_url = f"{server.ws_base}/voicebot/twilio"

    async def run_all() -> list[dict]:
        gate = asyncio.Semaphore(concurrency)

        async def guarded(question: np.ndarray) -> dict:
            async with gate:
                try:
                    return await _one_call(ws_url, lang, question, interruption, timeout, echo)
                finally:
                    if progress is not None:
                        progress()

        return await asyncio.gather(*(guarded(q) for q in questions))

    results = asyncio.run(run_all())
    deadline = time.monotonic() + 15
    while (server.tasks("call-") or call_threads()) and time.monotonic() < deadline:
        time.sleep(0.2)
    leaked = len(server.tasks("call-")) + len(call_threads())
    records = [record(r["call_id"]) if r.get("call_id") else {} for r in results]

    correct = 0
    reused = 0
    ended_by: dict[str, int] = {}  # how each first turn's end was judged (TurnEnd.summary: model+words, words, pause)
    stages: dict[str, list[float]] = {"end_of_turn": [], "asr": [], "assistant": [], "first_tts_chunk": []}
    calls = []
    for row, question, result, record in zip(rows, questions, results, records):
        turns = [t for t in record.get("turns", []) if t.get("text")]
        first = turns[0] if turns else {}
        if first.get("audio_s", CUT_MARGIN_S) + CUT_MARGIN_S < len(question) / SAMPLE_RATE:
            result["cut_off"] = True  # the turn was ended before the caller's last words
        if result["cut_off"]:
            result["latency_s"] = None  # measured from the end of a question the bot did not wait for
        ok = first.get("entry") == row["expected_id"]
        correct += ok
        timings = first.get("timings") or {}
        reused += bool(first.get("partial_reused"))
        by = (first.get("end_of_turn") or {}).get("by", "none")
        ended_by[by] = ended_by.get(by, 0) + 1
        for stage, key in (("end_of_turn", "end_of_turn_s"), ("asr", "asr_s"), ("assistant", "assistant_s"),
                           ("first_tts_chunk", "first_tts_s")):
            if key in timings and (timings[key] or stage == "asr"):  # ASR is 0 where the partial was reused
                stages[stage].append(timings[key])
        calls.append({"query": row["query"], "heard": first.get("text"), "expected": row["expected_id"],
                      "entry": first.get("entry"), "correct": ok, "latency_s": result["latency_s"] and
                      round(result["latency_s"], 3), "barge_in_ms": result["barge_in_ms"] and
                      round(result["barge_in_ms"], 1), "outcome": record.get("outcome"), "error": result["error"],
                      "stages": {k: round(v, 3) for k, v in timings.items() if isinstance(v, float)},
                      "partial_reused": first.get("partial_reused"), "end_of_turn": first.get("end_of_turn"),
                      "cut_off": result["cut_off"]})
    latencies = [r["latency_s"] for r in results if r["latency_s"] is not None]
    barges = [r["barge_in_ms"] for r in results if r["barge_in_ms"] is not None]
    return {
        "n": len(rows),
        "lang": lang,
        "answer_accuracy": round(correct / len(rows), 4) if rows else None,
        "latency_p50_s": percentile(latencies, 50),
        "latency_p95_s": percentile(latencies, 95),
        "stages": {k: round(statistics.median(v), 3) if v else None for k, v in stages.items()},
        "stages_p95": {k: percentile(v, 95) for k, v in stages.items()},
        "hesitation_s": hesitation,
        "hesitation_style": hesitation_style if hesitation else None,
        "false_cutoff_rate": round(sum(r["cut_off"] for r in results) / len(rows), 4) if rows else None,
        "barge_in_p50_ms": round(statistics.median(barges), 1) if barges else None,
        "barge_ins_measured": len(barges),
        "echo": echo and {"gain": echo.gain, "delay_s": echo.delay_s},
        "false_barge_ins": sum(r["self_interrupted"] for r in results),
        "partial_transcript_reused": round(reused / len(rows), 3) if rows else None,
        "end_of_turn_by": ended_by,
        "leaked_tasks": leaked,
        "concurrency": concurrency,
        "tts": getattr(models.tts(lang), "name", "?"),
        "calls": calls,
    }
