"""The bot's own voice coming back on the caller's line (echo), told apart from the caller's speech.

The call knows exactly what it played. :class:`EchoGate` keeps that reference in step with the caller's audio
(each inbound sample consumes one played sample, so the two streams share one clock up to a fixed offset),
estimates the echo path's delay by normalised cross-correlation of the two over the last half second
(band-limited to the telephone band, 200-3400 Hz, where both the 8 kHz line and the loudspeaker carry it), and
then asks of each VAD frame: how much of it does the reference explain? The frame is matched against the
reference around that delay (``jitter_s`` either way: playout buffers restart after each pause in the bot's
speech, so the delay moves by a frame or so); where the best match correlates at ``explained_correlation`` or more
(what is left after subtracting the scaled reference is under about half of the frame) the frame is echo: the call
treats it as silence, so it neither barges in nor starts an utterance. Caller speech over the echo spoils the match
and barges in as before.

The delay estimate is refreshed every ``refresh_s`` while the bot talks, and follows the best per-frame match;
it is kept only when the correlation is strong (double talk does not corrupt it). A delay-and-gain model fits line echo and a loudspeaker close to the
microphone; a reverberant room is not modelled, and there the call still relies on the stricter barge-in VAD
threshold.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

RATE = 16_000


@dataclass(frozen=True)
class EchoOptions:
    max_delay_s: float = 0.6  # longest echo path searched (network both ways plus the phone)
    window_s: float = 0.5  # caller audio correlated against the reference for one estimate
    refresh_s: float = 0.5
    min_correlation: float = 0.6  # weaker peaks leave the previous estimate in place
    jitter_s: float = 0.03  # each frame is matched this far either side of the estimated delay
    explained_correlation: float = 0.88  # a frame matching the reference this well is echo (residual < 0.47)
    quiet_rms: float = 0.008  # ... and so is one whose unexplained rest is this quiet (about -42 dBFS)
    silent_rms: float = 0.003  # a reference this quiet (at the echo's delay) cannot explain anything


@dataclass(frozen=True)
class EchoPath:
    delay: int  # samples
    gain: float
    correlation: float


class EchoGate:
    def __init__(self, options: EchoOptions = EchoOptions()):
        from scipy.signal import butter

        self.options = options
        self._sos = butter(4, [200, 3400], btype="bandpass", fs=RATE, output="sos")
        self._mic_state = self._ref_state = None
        keep = int((options.max_delay_s + options.window_s + 1.0) * RATE)
        self._mic = np.zeros(keep, dtype=np.float32)  # band-limited histories; index -1 is the newest sample
        self._ref = np.zeros(keep, dtype=np.float32)
        self._pending: list[np.ndarray] = []  # played audio the caller's clock has not reached yet
        self._pending_at = 0
        self.samples = 0  # caller samples seen
        self._last_played = -10**9  # sample clock of the last played (non-silent) reference sample
        self._estimated_at = -10**9
        self.path: EchoPath | None = None
        self.estimates = 0

    # ---------------------------------------------------------------- streams in
    def played(self, frame: np.ndarray) -> None:
        """The bot's audio as sent to the caller (16 kHz, int16 or float)."""
        frame = np.asarray(frame)
        scale = 1 / 32768.0 if frame.dtype == np.int16 else 1.0
        self._pending.append(frame.astype(np.float32) * scale)

    def dropped(self) -> None:
        """The transport dropped the audio not yet played (``clear``)."""
        self._pending.clear()
        self._pending_at = 0

    def heard(self, samples: np.ndarray) -> None:
        """Caller audio (16 kHz float); advances the shared clock by its length."""
        from scipy.signal import sosfilt, sosfilt_zi

        n = len(samples)
        if n == 0:
            return
        reference = self._take(n)
        if self._mic_state is None:
            self._mic_state = sosfilt_zi(self._sos) * 0.0
            self._ref_state = sosfilt_zi(self._sos) * 0.0
        mic, self._mic_state = sosfilt(self._sos, samples, zi=self._mic_state)
        ref, self._ref_state = sosfilt(self._sos, reference, zi=self._ref_state)
        self._mic = _push(self._mic, mic)
        self._ref = _push(self._ref, ref)
        if np.abs(reference).max(initial=0) > 0.0:
            self._last_played = self.samples + n
        self.samples += n

    def _take(self, n: int) -> np.ndarray:
        out = np.zeros(n, dtype=np.float32)
        filled = 0
        while filled < n and self._pending:
            head = self._pending[0][self._pending_at:]
            take = min(n - filled, len(head))
            out[filled:filled + take] = head[:take]
            filled += take
            self._pending_at += take
            if self._pending_at >= len(self._pending[0]):
                self._pending.pop(0)
                self._pending_at = 0
        return out

    # ---------------------------------------------------------------- the question
    def active(self) -> bool:
        """Whether bot audio played recently enough for its echo to be on the line now."""
        return self.samples - self._last_played <= int(self.options.max_delay_s * RATE) + RATE // 10

    def explains(self, end: int, length: int) -> bool:
        """Whether the caller audio ``[end - length, end)`` (sample clock) is the bot's echo."""
        if not self.active():
            return False
        if self.path is None or self.samples - self._estimated_at >= int(self.options.refresh_s * RATE):
            self._estimate()  # until a first estimate holds, on every frame that needs one
        back = self.samples - end  # how far before the newest sample the frame ends
        n = len(self._mic)
        if back < 0 or back + length > n:
            return False
        mic = self._mic[n - back - length: n - back].astype(np.float64)
        if _rms(mic) < self.options.quiet_rms:
            return True  # the echo's faint tail (the VAD lingers on it); no caller speaks this softly
        path = self.path
        if path is None:
            return False
        jitter = int(self.options.jitter_s * RATE)
        low, high = max(0, path.delay - jitter), path.delay + jitter  # the delays tried
        if back + length + high > n:
            return False
        ref = self._ref[n - back - length - high: n - back - low].astype(np.float64)
        if _rms(ref) * abs(path.gain) < self.options.silent_rms:
            return False
        dots = np.correlate(ref, mic, mode="valid")  # dots[j]: the reference at a delay of high - j
        energy = np.concatenate([[0.0], np.cumsum(ref ** 2)])
        ref_energy = energy[length:] - energy[:-length]
        correlation = dots / np.sqrt(np.maximum(ref_energy, 1e-12) * max(float(mic @ mic), 1e-12))
        best = int(np.argmax(correlation))
        rho = float(max(correlation[best], 0.0))
        rest_rms = _rms(mic) * np.sqrt(max(0.0, 1.0 - rho * rho))  # after subtracting the best-scaled reference
        if rho < self.options.explained_correlation and rest_rms >= self.options.quiet_rms:
            return False
        if rho >= self.options.explained_correlation:
            self.path = EchoPath(high - best, path.gain, path.correlation)  # follow the delay as it moves
        return True

    def _estimate(self) -> None:
        self._estimated_at = self.samples
        o = self.options
        window, max_delay = int(o.window_s * RATE), int(o.max_delay_s * RATE)
        mic = self._mic[-window:].astype(np.float64)
        ref = self._ref[-(window + max_delay):].astype(np.float64)
        if _rms(mic) < o.silent_rms or _rms(ref) < o.silent_rms:
            return
        size = 1 << int(np.ceil(np.log2(len(ref) + window)))
        # correlation of mic[i] with ref[i + max_delay - lag] for lag in 0..max_delay
        spectrum = np.fft.rfft(ref, size) * np.conj(np.fft.rfft(mic, size))
        full = np.fft.irfft(spectrum, size)[: max_delay + 1]  # full[k] = sum mic[i] * ref[i + k]
        energy = np.concatenate([[0.0], np.cumsum(ref ** 2)])
        k = np.arange(max_delay + 1)
        ref_energy = energy[k + window] - energy[k]
        denominator = np.sqrt(np.maximum(ref_energy, 1e-12) * float(mic @ mic))
        correlation = full / denominator
        best = int(np.argmax(correlation))
        if correlation[best] >= o.min_correlation:
            delay = max_delay - best
            gain = float(full[best] / max(ref_energy[best], 1e-12))
            self.path = EchoPath(delay, gain, float(correlation[best]))
            self.estimates += 1


def _push(history: np.ndarray, new: np.ndarray) -> np.ndarray:
    n = len(new)
    if n >= len(history):
        return np.asarray(new[-len(history):], dtype=np.float32)
    history[:-n] = history[n:]
    history[-n:] = new
    return history


def _rms(x: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.square(x, dtype=np.float64)))) if len(x) else 0.0
