"""One phone call: a state machine (greeting, listening, thinking, speaking, transferring, ended) run as one
asyncio task tree, cancelled as a whole on hang-up or error.

The transport (see :mod:`voicebot.transport`) feeds the caller's audio (16 kHz float32) and keys in, and gives the
call an :class:`~voicebot.transport.Outbound` for the bot's audio (20 ms frames of 16 kHz int16; each transport
encodes them for its wire), ``clear``, the transfer and events. Listening runs the speech engine's VAD gate
(:mod:`speech.vad_gate`, the minutes transcriber's too) on every 32 ms of caller audio; frames that are the echo of
the bot's own voice count as silence (:mod:`voicebot.echo`). The turn ends on silence plus whether the voice and the
words sound finished (:mod:`voicebot.turn_end`): at its first short pause the utterance is transcribed with the speech
engine's window decoder while the end-of-turn model (:mod:`models.turn`) hears it, and that transcript is reused
when nothing new was said (:mod:`voicebot.asr`). The call's language follows the caller (:mod:`voicebot.language`). Caller speech (or
a key) while the bot thinks or speaks is a barge-in: ``clear`` goes out at once and the turn's task (assistant,
TTS, playback) is cancelled; the new utterance is then handled. Blocking model work runs in the call's worker
threads, each awaited by the call before it ends, so no job outlives its call.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import enum
import logging
import re
import time
import uuid
from dataclasses import asdict, dataclass, field

import numpy as np

from models.priority import run_live
from models.store import ModelError
from speech.vad_gate import GateOptions, GateStep, VadGate
from voicebot.asr import Heard, hear
from voicebot.codec import FRAME_MS, pcm_frames
from voicebot.echo import EchoGate, EchoOptions
from voicebot.language import LANGUAGES, PHRASES, SPOKEN, only_a_request, requested_language
from voicebot.spoken import reply_to_offer, spoken_reply
from voicebot.turn_end import TurnEnd, TurnEndOptions

log = logging.getLogger("dasan.voicebot")

SAMPLE_RATE = 16_000
__all__ = ["Call", "CallConfig", "CallRecord", "CallState", "LANGUAGES", "PHRASES", "korean_voice_configured",
           "speech_chunks"]
TEXT_LINK = {"en": "Seoul 120 Dasan call center, text service: {url}", "ko": "서울시 120 다산콜센터 문자 상담: {url}"}


def korean_voice_configured(models) -> bool:
    """Whether the model set has a Korean voice a caller can understand: any configured ``tts_ko`` voice but the
    espeak-ng fallback (whose Korean even Whisper cannot transcribe back)."""
    from models.registry import MODELS

    ref = (getattr(models, "refs", None) or {}).get("tts_ko")
    if not ref:
        return False
    spec = MODELS.get(ref)
    return not (spec is not None and spec.system_package == "espeak-ng")


def speech_chunks(text: str, first_max_chars: int = 60) -> list[str]:
    """The text in sentences, the first cut shorter at a comma, colon or semicolon (or after 10 words when it is
    very long) so that its synthesis, which the caller waits for, is quick."""
    from retrieval_index.text import split_sentences

    chunks = [c.strip() for c in split_sentences(text) if c.strip()]
    if chunks and len(chunks[0]) > first_max_chars:
        first = chunks[0]
        cut = re.search(r"[,;:，]\s", first[15:])
        if cut:
            at = 15 + cut.end()
        elif len(first) > 2 * first_max_chars and len(first.split()) > 14:
            at = len(" ".join(first.split()[:10])) + 1
        else:
            at = 0
        if at and first[at:].strip():
            chunks[:1] = [first[:at].strip(), first[at:].strip()]
    return chunks


class CallState(str, enum.Enum):
    GREETING = "greeting"
    LISTENING = "listening"
    THINKING = "thinking"
    SPEAKING = "speaking"
    TRANSFERRING = "transferring"
    ENDED = "ended"


@dataclass(frozen=True)
class CallConfig:
    lang: str = "en"  # en, ko, or auto (the caller's language, identified on each turn)
    vad_threshold: float = 0.5
    vad_neg_threshold: float = 0.35
    turn: TurnEndOptions = TurnEndOptions()  # when the caller's turn is over
    echo: EchoOptions = EchoOptions()
    pre_roll_s: float = 0.2
    barge_in_threshold: float = 0.6  # stricter while the bot talks (echo of its own voice)
    barge_in_s: float = 0.096  # this much speech while the bot talks interrupts it (3 VAD frames)
    reprompt_after_s: float = 8.0
    max_silences: int = 2  # reprompts before the goodbye
    max_utterance_s: float = 20.0
    send_ahead_s: float = 0.06  # audio sent ahead of real time (jitter margin; `clear` drops it)
    korean_voice: bool | None = None  # None: decided from the model set (korean_voice_configured)
    text_channel_url: str = "https://example.invalid/120-text"  # DASAN_TEXT_CHANNEL_URL (a placeholder)
    spoken_answers: bool = True  # say the short spoken form of answers (voicebot.spoken), not the whole text
    slow_words_per_minute: int = 110  # espeak-ng's rate for Korean without a Korean voice (its default: 165)

    def gate(self) -> GateOptions:
        return GateOptions(threshold=self.vad_threshold, neg_threshold=self.vad_neg_threshold,
                           pre_roll_s=self.pre_roll_s, loud_threshold=self.barge_in_threshold)


@dataclass
class TurnTimings:
    end_of_turn_s: float = 0.0  # last caller speech frame -> turn declared over
    asr_s: float = 0.0  # 0 when the transcript of the utterance's last pause was reused
    assistant_s: float = 0.0
    first_tts_s: float = 0.0  # synthesis of the first sentence
    response_s: float = 0.0  # last caller speech frame -> first bot audio frame sent


@dataclass
class CallRecord:
    call_id: str
    lang: str  # the language the call ended in
    started_at: float
    mode: str = "en"  # the language it started with: en, ko or auto
    ended_at: float | None = None
    outcome: str = "in progress"  # completed, hangup, transferred, no_input, error
    transcript: list[dict] = field(default_factory=list)  # {"role": "caller"|"bot", "text", "at", ...}
    tools: list[dict] = field(default_factory=list)
    turns: list[dict] = field(default_factory=list)  # per caller turn: text, entry, timings
    barge_ins: list[dict] = field(default_factory=list)
    lang_switches: list[dict] = field(default_factory=list)  # {"to", "reason", "at"}
    echo: dict = field(default_factory=dict)  # the echo path estimated, frames treated as echo
    transfer_summary: str | None = None
    transfer_target: str | None = None
    error: str | None = None
    # text messages for the caller (SMS/KakaoTalk placeholder): {"kind": link|answer|details, "text", "url", ...}
    texts: list[dict] = field(default_factory=list)
    korean_voice: bool = True  # False: Korean was answered by text (no Korean voice configured)

    def to_dict(self) -> dict:
        return asdict(self)


class _Ended(Exception):
    """Raised inside the call's task group to end the call (every task is then cancelled)."""


@dataclass(frozen=True)
class _Utterance:
    audio: np.ndarray
    speech_end: float  # monotonic time of the last speech frame
    declared: float  # monotonic time the turn was declared over
    heard: Heard | None = None  # the transcript made at the last pause, when it covers the whole utterance
    hearing: asyncio.Future | None = None  # ... or the one still being made of it
    judged: dict | None = None  # how the end of the turn was decided (TurnEnd.summary)
    voiced_s: float | None = None  # where in ``audio`` the caller's voice stopped (the closing pause follows)


@dataclass(frozen=True)
class _Digit:
    digit: str


class Call:
    """One call. ``await call.run()`` until it ends; feed audio with :meth:`feed_audio`, keys with :meth:`dtmf`."""

    def __init__(self, outbound, assistant, models, config: CallConfig = CallConfig(), call_id: str | None = None):
        if config.lang not in LANGUAGES:
            raise ValueError(f"unknown call language {config.lang!r}: use {', '.join(LANGUAGES)}")
        self.out = outbound
        self.assistant = assistant
        self.models = models
        self.config = config
        self.mode = config.lang
        self.lang = config.lang if config.lang in SPOKEN else "en"
        self.id = call_id or uuid.uuid4().hex[:12]
        self.record = CallRecord(self.id, self.lang, time.time(), mode=self.mode)
        self.state = CallState.GREETING
        self.states: list[str] = [self.state.value]
        self._inbox: asyncio.Queue = asyncio.Queue()
        self._echo = EchoGate(config.echo)
        # the bot's own voice coming back is silence as far as listening goes
        self._gate = VadGate(models.new_vad(), config.gate(),
                             silence=lambda frame, end: self._echo.explains(end, len(frame)))
        self._frame_s = self._gate.frame_s
        self._speech: list[np.ndarray] = []
        self._last_speech_at = 0.0
        self._turn_end: TurnEnd | None = None
        # no end-of-turn model (none in the model set, or DASAN_TURN_MODEL deliberately empty): the words decide alone
        self._turn_model_off = (getattr(models, "turn_model", None) is None
                                or (getattr(models, "refs", None) or {}).get("turn") == "")
        self._loud_frames = 0  # consecutive frames over the barge-in threshold
        self._group: asyncio.TaskGroup | None = None
        self._turn: asyncio.Task | None = None
        self._jobs: set[concurrent.futures.Future] = set()
        self._session_id: str | None = None
        self._last_answer: tuple[str, str] | None = None  # (the answer, what was said of it)
        self._offered: tuple[str, str | None] | None = None  # (answer, entry) whose details were offered by text
        self._korean_voice = (config.korean_voice if config.korean_voice is not None
                              else korean_voice_configured(models))
        self.record.korean_voice = self._korean_voice
        self._notice_given = False
        self._slow_tts = None
        self._speech_end = 0.0
        self._turn_timings: TurnTimings | None = None
        self._executor = concurrent.futures.ThreadPoolExecutor(max_workers=2, thread_name_prefix=f"call-{self.id}")

    # ------------------------------------------------------------------ input from the transport
    def feed_audio(self, samples: np.ndarray) -> None:
        """Caller audio, 16 kHz float32 (any length). Runs the VAD; may end a turn or barge in."""
        samples = np.asarray(samples, dtype=np.float32).reshape(-1)
        if self.state == CallState.ENDED or samples.size == 0:
            return
        self._echo.heard(samples)  # the gate's sample clock and the echo gate's are one (both count every sample)
        for step in self._gate.feed(samples):
            self._frame_in(step)

    def dtmf(self, digit: str) -> None:
        if digit not in set("0123456789*#") or self.state == CallState.ENDED:
            return
        if self.state in (CallState.THINKING, CallState.SPEAKING, CallState.GREETING):
            self._interrupt("dtmf", time.monotonic())
        self._inbox.put_nowait(_Digit(digit))

    def _frame_in(self, step: GateStep) -> None:
        cfg = self.config
        gate = self._gate
        now = time.monotonic()
        busy = self.state in (CallState.THINKING, CallState.SPEAKING, CallState.GREETING)
        if busy and self._turn is not None and not self._turn.done():
            self._loud_frames = self._loud_frames + 1 if step.loud else 0
            if self._loud_frames * self._frame_s >= cfg.barge_in_s:
                onset = now - (self._loud_frames - 1) * self._frame_s
                self._interrupt("speech", onset)
        else:
            self._loud_frames = 0
        if step.onset:
            self._speech = list(step.onset)
            self._last_speech_at = now
            self._turn_end = TurnEnd(cfg.turn, self.lang)
            return
        if not step.in_speech:
            return
        self._speech.append(step.frame)
        if step.voiced:
            self._last_speech_at = now
        silence_s = gate.silence_s
        turn_end = self._turn_end
        if (turn_end.partial_wanted(gate.speech_frames, silence_s)
                and gate.speech_s >= cfg.turn.min_speech_s and self._group is not None):
            audio = np.concatenate(self._speech)
            voiced_s = len(audio) / SAMPLE_RATE - silence_s
            hearing = self._group.create_task(self._in_thread(hear, self.models, audio, self.lang,
                                                              self.mode == "auto", voiced_s),
                                              name=f"call-{self.id}-hear")
            turn_end.partial_started(gate.speech_frames, hearing)
            self._group.create_task(self._partial(audio, hearing, gate.speech_frames, turn_end, silence_s),
                                    name=f"call-{self.id}-partial")
        too_long = len(self._speech) * self._frame_s >= cfg.max_utterance_s
        if too_long or turn_end.over(gate.speech_frames, silence_s):
            self._end_utterance(now)

    async def _partial(self, audio: np.ndarray, hearing: asyncio.Future, speech_frames: int, turn_end: TurnEnd,
                       silence_s: float) -> None:
        """While the utterance so far is transcribed (``hearing``) at a pause, the end-of-turn model hears it (up to
        ``model_pause_s`` into the pause); end the turn now if both sound finished and the caller is still silent."""
        unheard = int(max(0.0, silence_s - self.config.turn.model_pause_s) * SAMPLE_RATE)
        voiced = audio[: len(audio) - unheard] if 0 < unheard < len(audio) else audio
        probability = await self._in_thread(self._turn_probability, voiced)
        heard = await asyncio.shield(hearing)
        turn_end.partial_ready(heard.text, speech_frames, heard.lang, heard, probability, restarted=heard.restarted)
        if (turn_end is self._turn_end and self._gate.in_speech
                and turn_end.over(self._gate.speech_frames, self._gate.silence_s)):
            self._end_utterance(time.monotonic())

    def _end_utterance(self, now: float) -> None:
        self._gate.end()
        turn_end, self._turn_end = self._turn_end, None
        if self._gate.speech_s >= self.config.turn.min_speech_s:
            frames = self._gate.speech_frames
            heard = turn_end.reusable(frames) if turn_end is not None else None
            hearing = turn_end.in_flight(frames) if turn_end is not None and heard is None else None
            judged = turn_end.summary(frames) if turn_end is not None else None
            audio = np.concatenate(self._speech)
            self._inbox.put_nowait(_Utterance(audio, self._last_speech_at, now, heard=heard, hearing=hearing,
                                              judged=judged, voiced_s=len(audio) / SAMPLE_RATE - self._gate.silence_s))
        self._speech = []

    def _turn_probability(self, audio: np.ndarray) -> float | None:
        """The end-of-turn model's P(complete) for the utterance so far (in a worker thread: the model loads on
        its first use in the process), or None when there is no model; then the words decide alone."""
        if self._turn_model_off:
            return None
        try:
            return self.models.turn_model().probability(audio)
        except ModelError as exc:
            self._turn_model_off = True
            log.warning("call %s: no end-of-turn model, the words alone end turns: %s", self.id, exc)
        except Exception:  # a broken model file or runtime must not end the call: the words still judge
            self._turn_model_off = True
            log.exception("call %s: the end-of-turn model failed; the words alone end turns", self.id)
        return None

    def _interrupt(self, cause: str, onset: float) -> None:
        """Barge-in: drop the queued audio at the transport and cancel the turn in flight."""
        self._loud_frames = 0
        turn = self._turn
        if turn is None or turn.done():
            return
        turn.cancel()
        self.out.clear()
        self._echo.dropped()
        self.record.barge_ins.append({"cause": cause, "state": self.state.value, "at": time.time(),
                                      "detect_ms": round((time.monotonic() - onset) * 1000, 1)})

    # ------------------------------------------------------------------ the task tree
    async def run(self) -> CallRecord:
        try:
            try:
                async with asyncio.TaskGroup() as group:
                    self._group = group
                    group.create_task(self._dialogue(), name=f"call-{self.id}-dialogue")
            except* _Ended:
                pass
            except* Exception as errors:
                self.record.outcome = "error"
                self.record.error = "; ".join(f"{type(e).__name__}: {e}" for e in errors.exceptions)
                log.error("call %s failed: %s", self.id, self.record.error, exc_info=errors.exceptions[0])
            if self.record.outcome == "in progress":
                self.record.outcome = "completed"
        except asyncio.CancelledError:
            if self.record.outcome == "in progress":
                self.record.outcome = "hangup"
            raise
        finally:
            self._group = None
            self._set_state(CallState.ENDED)
            await self._drain_jobs()
            # the jobs are done: wait for the call's worker threads to exit too
            await asyncio.shield(asyncio.to_thread(self._executor.shutdown, True))
            path = self._echo.path
            self.record.echo = {"frames_ignored": self._gate.overridden, "estimates": self._echo.estimates,
                                "delay_ms": path and round(path.delay / 16, 1), "gain": path and round(path.gain, 3),
                                "correlation": path and round(path.correlation, 3)}
            self.record.ended_at = time.time()
        return self.record

    async def _drain_jobs(self) -> None:
        """Wait (shielded from the cancellation that ended the call) for model jobs already running in threads."""
        pending = [asyncio.wrap_future(job) for job in self._jobs if not job.done()]
        if pending:
            await asyncio.shield(asyncio.wait(pending, timeout=30))

    async def _in_thread(self, fn, *args):
        job = self._executor.submit(run_live, fn, *args)  # live work: a minutes upload's decodes wait for it
        self._jobs.add(job)
        job.add_done_callback(self._jobs.discard)
        return await asyncio.wrap_future(job)

    def _set_state(self, state: CallState) -> None:
        if state != self.state:
            self.state = state
            self.states.append(state.value)
            self.out.event("state", state=state.value)

    def _line(self, role: str, text: str | None = None, **extra) -> None:
        """One line of the call's transcript, recorded and shown to the caller's screen (if any)."""
        self.record.transcript.append({"role": role, "text": text, "at": time.time(), **extra})
        self.out.event("transcript", role=role, text=text, **extra)

    async def _run_turn(self, coro) -> bool:
        """Run one bot turn as a cancellable child task; False when a barge-in cancelled it."""
        self._turn = self._group.create_task(coro, name=f"call-{self.id}-turn")
        await asyncio.wait({self._turn})
        turn, self._turn = self._turn, None
        if turn.cancelled():
            return False
        turn.result()  # re-raise an error or _Ended
        return True

    async def _dialogue(self) -> None:
        if self._without_voice:
            phrases = PHRASES["ko"]
            greeting = f"{phrases['greeting_no_voice']} {self._notice()} {phrases['ask']}"
        else:
            greeting = PHRASES[self.lang]["greeting"]
        await self._run_turn(self._say(greeting, CallState.GREETING))
        silences = 0
        while True:
            self._set_state(CallState.LISTENING)
            try:
                item = await asyncio.wait_for(self._inbox.get(), timeout=self.config.reprompt_after_s)
            except TimeoutError:
                if self._gate.in_speech:
                    continue
                silences += 1
                if silences > self.config.max_silences:
                    await self._say(PHRASES[self.lang]["goodbye"])
                    self.record.outcome = "no_input"
                    raise _Ended
                await self._run_turn(self._say(PHRASES[self.lang]["reprompt"]))
                continue
            silences = 0
            if isinstance(item, _Digit):
                await self._on_digit(item.digit)
            else:
                await self._run_turn(self._answer(item))

    async def _on_digit(self, digit: str) -> None:
        self._line("caller", dtmf=digit)
        if digit == "0":
            await self._transfer("the caller pressed 0 for an agent", target="agent")
        elif digit == "9":
            await self._transfer("the caller pressed 9 for interpretation (foreign-language help)",
                                 target="interpretation")
        elif digit == "*" and self._last_answer:
            answer, said = self._last_answer
            await self._run_turn(self._say(answer, spoken=said))

    async def _transfer(self, reason: str, summary: str | None = None, target: str = "agent") -> None:
        self._set_state(CallState.TRANSFERRING)
        summary = summary or self._summary(reason, target)
        await self._say(PHRASES[self.lang]["interpretation" if target == "interpretation" else "transfer"],
                        CallState.TRANSFERRING)
        self.record.transfer_summary = summary
        self.record.transfer_target = target
        self.record.outcome = "transferred"
        self.out.transfer(summary, reason, target)
        raise _Ended

    def _summary(self, reason: str, target: str = "agent") -> str:
        asked = [t["text"] for t in self.record.transcript if t["role"] == "caller" and t.get("text")]
        entries = [t["entry"] for t in self.record.turns if t.get("entry")]
        line = "interpretation" if target == "interpretation" else "agent"
        parts = [f"[120 hand-off to {line}] Voice call {self.id}, spoken language {self.lang}. Reason: {reason}."]
        parts.append(f"The caller asked: {' / '.join(repr(q) for q in asked)}." if asked
                     else "The caller asked nothing yet.")
        if entries:
            parts.append(f"The voicebot answered from {', '.join(entries)}.")
        return " ".join(parts)

    def _switch_language(self, lang: str, reason: str) -> None:
        if lang == self.lang or lang not in SPOKEN:
            return
        self.lang = self.record.lang = lang
        self.record.lang_switches.append({"to": lang, "reason": reason, "at": time.time()})
        self.out.event("lang", lang=lang, reason=reason)

    # ------------------------------------------------------------------ one caller turn
    async def _answer(self, utterance: _Utterance) -> None:
        timings = TurnTimings(end_of_turn_s=utterance.declared - utterance.speech_end)
        self._turn_timings = timings
        self._set_state(CallState.THINKING)
        started = time.monotonic()
        heard = utterance.heard
        if heard is None and utterance.hearing is not None:  # the pause's transcript, nearly done: no second decode
            heard = await asyncio.shield(utterance.hearing)
            timings.asr_s = time.monotonic() - started
        if heard is None:
            heard = await self._in_thread(hear, self.models, utterance.audio, self.lang, self.mode == "auto",
                                          utterance.voiced_s)
            timings.asr_s = time.monotonic() - started
        text = heard.text
        turn = {"text": text, "lang": heard.lang, "audio_s": round(len(utterance.audio) / SAMPLE_RATE, 2),
                "entry": None, "handoff": False,
                "partial_reused": utterance.heard is not None or utterance.hearing is not None,
                "end_of_turn": utterance.judged, "timings": timings}
        self.record.turns.append(turn)
        if not text:
            turn["timings"] = asdict(timings)
            await self._say(PHRASES[self.lang]["not_heard"])
            return
        self._line("caller", text, lang=heard.lang)
        offered, self._offered = self._offered, None
        if offered is not None and (accepted := reply_to_offer(text, self.lang)) is not None:
            turn["timings"] = asdict(timings)
            turn["offer"] = accepted
            if accepted == "yes":
                self._text("details", offered[0], entry=offered[1])
            await self._say(PHRASES[self.lang]["texted" if accepted == "yes" else "not_texted"])
            return
        if heard.lang != self.lang:
            self._switch_language(heard.lang, f"the caller spoke {heard.lang} (probability {heard.probability:.2f})")
        asked = requested_language(text)
        if asked is not None:
            self._switch_language(asked, "the caller asked for it")
            if only_a_request(text):
                turn["timings"] = asdict(timings)
                if self._without_voice and not self._notice_given:
                    await self._say(f"{self._notice()} {PHRASES['ko']['ask']}")
                else:
                    await self._say(PHRASES[self.lang]["switched"])
                return
        started = time.monotonic()
        reply = await self._in_thread(self._reply, text)
        timings.assistant_s = time.monotonic() - started
        self._session_id = reply.session_id
        turn.update(entry=reply.citations[0].entry_id if reply.citations else None, handoff=reply.handoff,
                    answer=reply.answer, confidence=reply.confidence)
        if reply.tool:
            self.record.tools.append({"tool": reply.tool, "arguments": reply.tool_arguments,
                                      "awaiting": reply.awaiting})
        self._speech_end = utterance.speech_end
        said = self._spoken(reply)
        turn["spoken"] = said
        self._last_answer = (reply.answer, said)  # "*" repeats it even when a key or speech cut it short
        try:
            await self._say(reply.answer, entry=turn["entry"], spoken=said)
        finally:
            turn["timings"] = asdict(timings)
        if reply.handoff:
            await self._transfer(reply.reason or "the assistant handed off", reply.handoff_summary)

    def _reply(self, text: str):
        return self.assistant.reply(text, session_id=self._session_id, lang=self.lang)

    # ------------------------------------------------------------------ what is said, what goes by text
    @property
    def _without_voice(self) -> bool:
        """A Korean call with no Korean voice: answers go by text, the few spoken lines in slow espeak-ng."""
        return self.lang == "ko" and not self._korean_voice

    def _notice(self) -> str:
        """The once-per-call notice that spoken Korean answers are not available (the text channel's link is
        sent with it); empty once given."""
        if self._notice_given:
            return ""
        self._notice_given = True
        self._text("link", TEXT_LINK["ko"].format(url=self.config.text_channel_url))
        return PHRASES["ko"]["no_voice"]

    def _text(self, kind: str, text: str, entry: str | None = None) -> None:
        """A text message for the caller (the SMS/KakaoTalk gateway is a placeholder: the record keeps it and the
        transport gets a ``text`` event)."""
        message = {"kind": kind, "text": text, "url": self.config.text_channel_url, "entry": entry,
                   "lang": self.lang, "at": time.time()}
        self.record.texts.append(message)
        self.out.event("text", purpose=kind, text=text, url=message["url"], entry=entry, lang=self.lang)

    def _spoken(self, reply) -> str:
        """What the call says of an assistant reply (the whole answer stays in the transcript)."""
        if self._without_voice:
            notice = self._notice()
            if reply.handoff:  # the transfer's own line follows
                return notice
            self._text("answer", reply.answer, entry=reply.citations[0].entry_id if reply.citations else None)
            return f"{notice} {PHRASES['ko']['sent_by_text']}".strip()
        if not self.config.spoken_answers:
            return reply.answer
        spoken = spoken_reply(reply, self.lang)
        if spoken.offered:
            self._offered = (reply.answer, reply.citations[0].entry_id if reply.citations else None)
        return spoken.text

    def _voice(self):
        if self._without_voice:
            if self._slow_tts is None:
                from models.tts import EspeakTTS

                self._slow_tts = EspeakTTS("ko", words_per_minute=self.config.slow_words_per_minute)
            return self._slow_tts
        return self.models.tts(self.lang)

    # ------------------------------------------------------------------ speaking
    async def _say(self, text: str, state: CallState = CallState.SPEAKING, entry: str | None = None,
                   spoken: str | None = None) -> None:
        """Synthesise sentence by sentence (the next while the current plays) and play at real time. ``text`` goes
        in the transcript; ``spoken`` (default: ``text``) is what is said."""
        timings = self._turn_timings if state == CallState.SPEAKING and entry is not None else None
        self._turn_timings = None
        extra = {"spoken": spoken} if spoken is not None and spoken != text else {}
        if self._without_voice:
            extra["channel"] = "text" if spoken is not None and spoken != text else "voice"
        self._line("bot", text, entry=entry, lang=self.lang, **extra)
        tts = self._voice()
        chunks: asyncio.Queue = asyncio.Queue(maxsize=2)
        said = text if spoken is None else spoken

        async def synthesise() -> None:
            for sentence in speech_chunks(said):
                started = time.monotonic()
                stream = iter(tts.stream(sentence.strip()))
                while True:
                    speech = await self._in_thread(next, stream, None)
                    if speech is None:
                        break
                    if timings is not None and timings.first_tts_s == 0.0:
                        timings.first_tts_s = time.monotonic() - started
                    await chunks.put(await self._in_thread(pcm_frames, speech.audio, speech.sample_rate))
            await chunks.put(None)

        async with asyncio.TaskGroup() as group:
            group.create_task(synthesise(), name=f"call-{self.id}-tts")
            self._set_state(state)
            clock = None
            sent = 0
            frame_s = FRAME_MS / 1000
            while (frames := await chunks.get()) is not None:
                for frame in frames:
                    if clock is None:
                        clock = time.monotonic()
                        if timings is not None:
                            timings.response_s = clock - self._speech_end
                    delay = clock + sent * frame_s - self.config.send_ahead_s - time.monotonic()
                    if delay > 0:
                        await asyncio.sleep(delay)
                    self.out.send_audio(frame)
                    self._echo.played(frame)
                    sent += 1
            self.out.mark(f"{self.id}-{len(self.record.transcript)}")
            if clock is not None:  # wait until the caller has heard the end
                await asyncio.sleep(max(0.0, clock + sent * frame_s - time.monotonic()))
