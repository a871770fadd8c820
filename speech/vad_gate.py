"""The VAD gate that the minutes transcriber and the voicebot's call share: audio in any lengths, cut into Silero
frames (512 samples, 32 ms at 16 kHz), each judged speech or silence with hysteresis and a short pre-roll.

Outside speech, a frame at ``threshold`` or over starts an utterance: the :class:`GateStep` of that frame carries
the pre-roll (the last ``pre_roll_s`` of frames before it) and the frame itself. Inside speech, every frame is
counted as a pause frame (under ``neg_threshold``) or a speech frame; when the utterance ends is the caller's
decision (a pause long enough for the transcriber, the turn-end rule for the call), told by :meth:`VadGate.end`.

What differs between the two callers is an option: the thresholds and pre-roll, ``loud_threshold`` (the call's
stricter barge-in threshold: each step says whether its frame reached it) and ``silence``, a check that may declare
a frame silence whatever the VAD says (the voicebot's echo gate: the bot's own voice coming back). It is asked only
of frames at ``neg_threshold`` or over, with the frame and the gate's sample clock at its end.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class GateOptions:
    threshold: float = 0.5  # a frame this probable starts speech
    neg_threshold: float = 0.35  # inside speech, a frame under this is a pause frame
    pre_roll_s: float = 0.25  # audio kept from before the speech onset
    loud_threshold: float | None = None  # frames at least this probable are reported loud (barge-in); None: never


@dataclass(frozen=True)
class GateStep:
    frame: np.ndarray
    probability: float  # the VAD's, or 0.0 where ``silence`` overrode it
    onset: tuple[np.ndarray, ...] = ()  # speech began at this frame: the pre-roll frames, then this one
    in_speech: bool = False  # the frame belongs to an utterance (its onset included)
    voiced: bool = False  # ... and is not a pause frame
    loud: bool = False  # at ``loud_threshold`` or over


class VadGate:
    """One stream's gate. Not thread-safe; ``vad`` is a fresh :class:`models.vad.SileroVAD` (stateful, reset here)."""

    def __init__(self, vad, options: GateOptions = GateOptions(),
                 silence: Callable[[np.ndarray, int], bool] | None = None):
        self.vad = vad
        self.vad.reset()
        self.options = options
        self.silence = silence
        self.sample_rate = getattr(vad, "sample_rate", 16_000)
        self.frame_size = vad.frame_size
        self.frame_s = self.frame_size / self.sample_rate
        self._carry = np.zeros(0, dtype=np.float32)
        self._pre_roll: deque[np.ndarray] = deque(
            maxlen=max(1, int(options.pre_roll_s * self.sample_rate / self.frame_size)))
        self.in_speech = False
        self.speech_frames = 0  # of the current (or last) utterance
        self.silence_frames = 0  # consecutive pause frames at its end
        self.samples = 0  # samples through the VAD (the carry not yet)
        self.overridden = 0  # frames that ``silence`` declared silence

    @property
    def carried(self) -> int:
        """Samples waiting for the rest of their frame."""
        return self._carry.size

    @property
    def silence_s(self) -> float:
        return self.silence_frames * self.frame_s

    @property
    def speech_s(self) -> float:
        return self.speech_frames * self.frame_s

    def feed(self, samples: np.ndarray) -> Iterator[GateStep]:
        """The steps of every whole frame ``samples`` completes (the rest waits for the next call)."""
        data = np.concatenate([self._carry, samples]) if self._carry.size else samples
        n_frames = data.size // self.frame_size
        self._carry = data[n_frames * self.frame_size:].copy()
        for i in range(n_frames):
            yield self.step(data[i * self.frame_size:(i + 1) * self.frame_size])

    def step(self, frame: np.ndarray) -> GateStep:
        """Judge one frame of ``frame_size`` samples."""
        o = self.options
        probability = self.vad.probability(frame)
        self.samples += frame.size
        if self.silence is not None and probability >= o.neg_threshold and self.silence(frame, self.samples):
            probability = 0.0
            self.overridden += 1
        loud = o.loud_threshold is not None and probability >= o.loud_threshold
        if not self.in_speech:
            if probability < o.threshold:
                self._pre_roll.append(frame)
                return GateStep(frame, probability, loud=loud)
            self.in_speech = True
            self.speech_frames, self.silence_frames = 1, 0
            onset = (*self._pre_roll, frame)
            self._pre_roll.clear()
            return GateStep(frame, probability, onset, True, True, loud)
        voiced = probability >= o.neg_threshold
        if voiced:
            self.silence_frames = 0
            self.speech_frames += 1
        else:
            self.silence_frames += 1
        return GateStep(frame, probability, (), True, voiced, loud)

    def end(self) -> None:
        """The utterance is over (the counters keep its figures until the next onset)."""
        self.in_speech = False


__all__ = ["GateOptions", "GateStep", "VadGate"]
