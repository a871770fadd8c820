"""Audio helpers shared by every speech model: decoding any format to 16 kHz mono float32."""

from __future__ import annotations

from pathlib import Path

import numpy as np

SAMPLE_RATE = 16_000


class AudioDecodeError(ValueError):
    """The input is not audio that can be decoded."""


def load_audio(path: str | Path, sample_rate: int = SAMPLE_RATE) -> np.ndarray:
    """Decode an audio or video file (any format FFmpeg's libraries read) to mono float32 at ``sample_rate``."""
    from faster_whisper.audio import decode_audio  # PyAV underneath: no ffmpeg program needed

    path = Path(path)
    if not path.is_file():
        raise AudioDecodeError(f"no such audio file: {path}")
    try:
        audio = decode_audio(str(path), sampling_rate=sample_rate)
    except Exception as exc:  # PyAV raises many types for corrupt or non-audio input
        raise AudioDecodeError(f"cannot decode {path.name} as audio: {exc}") from exc
    return np.asarray(audio, dtype=np.float32)


def resample(audio: np.ndarray, source_rate: int, target_rate: int = SAMPLE_RATE) -> np.ndarray:
    """Band-limited polyphase resampling of a mono signal."""
    if source_rate == target_rate:
        return np.asarray(audio, dtype=np.float32)
    from math import gcd

    from scipy.signal import resample_poly

    divisor = gcd(source_rate, target_rate)
    return resample_poly(audio, target_rate // divisor, source_rate // divisor).astype(np.float32)
