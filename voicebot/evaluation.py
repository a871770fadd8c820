"""``dasan eval voicebot``: spoken queries (a bundled voice as the caller) through real calls over the
Twilio-protocol WebSocket, at real-time pace, judged from each call's record.

Per call: wait for the greeting, say the query, measure end of speech -> first bot audio frame; then, while the
bot answers, say a short interruption and measure its onset -> ``clear``; then hang up with that turn's work in
flight. After all calls, count the call tasks and call threads still alive (``leaked_tasks``). With ``echo`` the
caller's line carries the bot's own voice back (attenuated, delayed): ``false_barge_ins`` counts the calls where
the bot interrupted itself before the caller spoke over it.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import Callable

import numpy as np

from voicebot.simulated_caller import LineEcho, SimulatedCaller, call_threads

INTERRUPTION = {"en": "Sorry, wait a moment.", "ko": "잠깐만요."}


def trim(audio: np.ndarray, level: float = 0.01) -> np.ndarray:
    """Drop the synthesised silence after the words (so "end of speech" is the end of the words)."""
    loud = np.nonzero(np.abs(audio) > level)[0]
    return audio[:loud[-1] + 1] if loud.size else audio


def percentile(values: list[float], q: float) -> float | None:
    return round(float(np.percentile(values, q)), 3) if values else None


def speak_all(models, texts: list[str], lang: str) -> list[np.ndarray]:
    from models.audio import resample

    tts = models.tts(lang)
    out = []
    for text in texts:
        speech = tts.synthesize(text)
        out.append(trim(resample(speech.audio, speech.sample_rate, 16_000)))
    return out


async def _one_call(url: str, lang: str, question: np.ndarray, interruption: np.ndarray | None,
                    timeout: float, echo: LineEcho | None = None) -> dict:
    result: dict = {"latency_s": None, "barge_in_ms": None, "error": None, "self_interrupted": False}
    async with SimulatedCaller(url, lang, echo=echo) as caller:
        log = caller.log
        result["call_id"] = log.call_id
        if not await caller.wait_for(lambda: log.time_of("mark") is not None, timeout):
            result["error"] = "no greeting"
            return result
        await caller.wait_quiet()
        caller.say(question)
        await caller.wait_said()
        end = log.speech_ends[-1]
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
             echo: LineEcho | None = None) -> dict:
    """Each query spoken (by the bundled voice of ``models``) as a caller into a real call on ``server`` (a running
    Dasan server: ``base``, ``ws_base`` and ``tasks(prefix)``, as :class:`dasan.serving.InThread` has), interrupted
    once when ``barge_in``; accuracy, latency, barge-in, stage timings and leftovers. ``record(call_id)`` reads a
    finished call's record (the server keeps it for agents)."""
    texts = [row["query"] for row in rows]
    audio = speak_all(models, texts + [INTERRUPTION.get(lang, INTERRUPTION["en"])], lang)
    questions, interruption = audio[:-1], (audio[-1] if barge_in else None)
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
    for row, result, record in zip(rows, results, records):
        turns = [t for t in record.get("turns", []) if t.get("text")]
        first = turns[0] if turns else {}
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
                      "partial_reused": first.get("partial_reused"), "end_of_turn": first.get("end_of_turn")})
    latencies = [r["latency_s"] for r in results if r["latency_s"] is not None]
    barges = [r["barge_in_ms"] for r in results if r["barge_in_ms"] is not None]
    return {
        "n": len(rows),
        "lang": lang,
        "answer_accuracy": round(correct / len(rows), 4) if rows else None,
        "latency_p50_s": percentile(latencies, 50),
        "latency_p95_s": percentile(latencies, 95),
        "stages": {k: round(statistics.median(v), 3) if v else None for k, v in stages.items()},
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
