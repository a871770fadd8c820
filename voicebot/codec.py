"""Audio formats of the transports, in numpy (``audioop`` leaves the standard library in 3.13).

A call works in 16 kHz: the caller's audio reaches it as float32 and the bot's speech leaves it as 20 ms frames of
16 kHz int16 (:func:`pcm_frames`). Each transport converts at its edge: telephony carries G.711 mu-law at 8 kHz in
20 ms frames (160 bytes), converted by streaming filters whose state carries across frames (so frame edges add no
clicks): :class:`Upsampler` for the caller, :class:`Downsampler` for the bot; the browser carries 16 kHz int16
as it is. SIP calls may carry G.711 A-law instead (:func:`alaw_encode`, :func:`alaw_decode`; RTP payload type 8).
"""

from __future__ import annotations

import numpy as np

from models.audio import resample

TELEPHONY_RATE = 8_000
FRAME_MS = 20
FRAME_BYTES = TELEPHONY_RATE * FRAME_MS // 1000  # 160 samples (bytes) of mu-law per frame
CALL_RATE = 16_000
CALL_FRAME = CALL_RATE * FRAME_MS // 1000  # 320 samples of 16 kHz int16 per frame

_BIAS = 0x84


def _decode_table() -> np.ndarray:
    codes = ~np.arange(256, dtype=np.int32) & 0xFF
    sign = codes & 0x80
    exponent = (codes >> 4) & 0x07
    mantissa = codes & 0x0F
    magnitude = (((mantissa << 3) + _BIAS) << exponent) - _BIAS
    return np.where(sign != 0, -magnitude, magnitude).astype(np.int16)


_DECODE = _decode_table()


def ulaw_decode(data: bytes) -> np.ndarray:
    """mu-law bytes -> int16 samples."""
    return _DECODE[np.frombuffer(data, dtype=np.uint8)]


def ulaw_encode(samples: np.ndarray) -> bytes:
    """int16 samples -> mu-law bytes (ITU-T G.711, bit-exact with ``audioop.lin2ulaw``)."""
    value = np.asarray(samples, dtype=np.int32) >> 2  # 14-bit
    mask = np.where(value < 0, 0x7F, 0xFF)
    value = np.minimum(np.abs(value), 8159) + 0x21
    raw = np.floor(np.log2(value)).astype(np.int32) - 5
    segment = np.clip(raw, 0, 7)
    code = np.where(raw > 7, 0x7F, (segment << 4) | ((value >> (segment + 1)) & 0x0F))
    return ((code ^ mask) & 0xFF).astype(np.uint8).tobytes()


def _alaw_decode_table() -> np.ndarray:
    codes = np.arange(256, dtype=np.int32) ^ 0x55
    segment = (codes >> 4) & 0x07
    magnitude = ((codes & 0x0F) << 4) + np.where(segment == 0, 8, 0x108)
    magnitude = np.where(segment > 1, magnitude << np.maximum(segment - 1, 0), magnitude)
    return np.where(codes & 0x80, magnitude, -magnitude).astype(np.int16)


def _alaw_encode_table() -> np.ndarray:
    """The A-law code of every 13-bit sample (index: ``(sample >> 3) + 4096``)."""
    value = np.arange(-4096, 4096, dtype=np.int32)
    mask = np.where(value >= 0, 0xD5, 0x55)
    value = np.where(value >= 0, value, -value - 1)  # 0..4095
    segment = np.clip(np.floor(np.log2(np.maximum(value, 1))).astype(np.int32) - 4, 0, 7)
    mantissa = np.where(segment < 2, value >> 1, value >> np.maximum(segment, 1)) & 0x0F
    return (((segment << 4) | mantissa) ^ mask).astype(np.uint8)


_ALAW_DECODE = _alaw_decode_table()
_ALAW_ENCODE = _alaw_encode_table()


def alaw_decode(data: bytes) -> np.ndarray:
    """A-law bytes -> int16 samples (ITU-T G.711)."""
    return _ALAW_DECODE[np.frombuffer(data, dtype=np.uint8)]


def alaw_encode(samples: np.ndarray) -> bytes:
    """int16 samples -> A-law bytes (ITU-T G.711, bit-exact with ``audioop.lin2alaw``)."""
    return _ALAW_ENCODE[(np.asarray(samples, dtype=np.int32) >> 3) + 4096].tobytes()


def float_to_int16(audio: np.ndarray) -> np.ndarray:
    return (np.clip(np.asarray(audio, dtype=np.float32), -1.0, 1.0) * 32767).astype(np.int16)


class Upsampler:
    """8 kHz -> 16 kHz, one frame at a time: zero insertion and a windowed-sinc low-pass with carried state."""

    def __init__(self, taps: int = 31):
        from scipy.signal import firwin, lfilter_zi

        self._kernel = (firwin(taps, 0.5) * 2).astype(np.float64)
        self._state = lfilter_zi(self._kernel, [1.0]) * 0.0

    def __call__(self, samples_8k: np.ndarray) -> np.ndarray:
        from scipy.signal import lfilter

        stuffed = np.zeros(len(samples_8k) * 2, dtype=np.float64)
        stuffed[::2] = samples_8k
        out, self._state = lfilter(self._kernel, [1.0], stuffed, zi=self._state)
        return out.astype(np.float32)


class Downsampler:
    """16 kHz -> 8 kHz, one frame at a time: a windowed-sinc low-pass with carried state, then every other sample."""

    def __init__(self, taps: int = 31):
        from scipy.signal import firwin, lfilter_zi

        self._kernel = firwin(taps, 0.5).astype(np.float64)
        self._state = lfilter_zi(self._kernel, [1.0]) * 0.0

    def __call__(self, samples_16k: np.ndarray) -> np.ndarray:
        from scipy.signal import lfilter

        if len(samples_16k) % 2:
            raise ValueError("16 kHz frames must hold an even number of samples")
        out, self._state = lfilter(self._kernel, [1.0], np.asarray(samples_16k, dtype=np.float64), zi=self._state)
        return out[::2].astype(np.float32)


def ulaw_to_pcm16k(data: bytes, upsampler: Upsampler) -> np.ndarray:
    """A mu-law 8 kHz frame -> float32 16 kHz samples in [-1, 1]."""
    return upsampler(ulaw_decode(data).astype(np.float32) / 32768.0)


def pcm_frames(audio: np.ndarray, sample_rate: int) -> list[np.ndarray]:
    """Float audio at any rate -> 20 ms frames of 16 kHz int16 (the last one padded with silence)."""
    pcm = float_to_int16(resample(np.asarray(audio, dtype=np.float32), sample_rate, CALL_RATE))
    pad = (-len(pcm)) % CALL_FRAME
    if pad:
        pcm = np.concatenate([pcm, np.zeros(pad, dtype=np.int16)])
    return [pcm[i:i + CALL_FRAME] for i in range(0, len(pcm), CALL_FRAME)]


def pcm16k_to_ulaw(frame: np.ndarray, downsampler: Downsampler) -> bytes:
    """A 16 kHz int16 frame -> mu-law 8 kHz bytes (half as many)."""
    return ulaw_encode(float_to_int16(downsampler(np.asarray(frame, dtype=np.float32) / 32768.0)))
