"""Audio in pieces: files decoded chunk by chunk (any format PyAV reads, audio or video), and raw PCM frames from
a live source converted to 16 kHz mono float32 with a stateful resampler. Nothing holds a whole file."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np

from models.audio import SAMPLE_RATE, AudioDecodeError

MAX_INPUT_RATE = 192_000


def probe_duration(path: str | Path) -> float | None:
    """The duration the container declares, in seconds (None when it declares none)."""
    import av

    try:
        with av.open(str(path), metadata_errors="ignore") as container:
            streams = container.streams.audio
            if not streams:
                raise AudioDecodeError(f"{Path(path).name} has no audio stream")
            stream = streams[0]
            if stream.duration is not None and stream.time_base is not None:
                return float(stream.duration * stream.time_base)
            if container.duration is not None:
                return container.duration / 1_000_000
    except AudioDecodeError:
        raise
    except Exception as exc:  # PyAV raises many types for corrupt or non-audio input
        raise AudioDecodeError(f"cannot read {Path(path).name} as audio: {exc}") from exc
    return None


def iter_file(path: str | Path, chunk_s: float = 1.0) -> Iterator[np.ndarray]:
    """16 kHz mono float32 chunks of about ``chunk_s`` seconds from any audio or video file."""
    import av

    path = Path(path)
    if not path.is_file():
        raise AudioDecodeError(f"no such audio file: {path}")
    chunk = int(chunk_s * SAMPLE_RATE)
    pending: list[np.ndarray] = []
    pending_len = 0
    try:
        container = av.open(str(path), metadata_errors="ignore")
    except Exception as exc:
        raise AudioDecodeError(f"cannot open {path.name} as audio: {exc}") from exc
    with container:
        if not container.streams.audio:
            raise AudioDecodeError(f"{path.name} has no audio stream")
        stream = container.streams.audio[0]
        resampler = av.AudioResampler(format="s16", layout="mono", rate=SAMPLE_RATE)
        decoded_any = False
        try:
            for frame in container.decode(stream):
                decoded_any = True
                frame.pts = None
                for out in resampler.resample(frame):
                    pending.append(out.to_ndarray().reshape(-1).astype(np.float32) / 32768.0)
                    pending_len += pending[-1].size
                while pending_len >= chunk:
                    data = np.concatenate(pending)
                    yield data[:chunk]
                    pending, pending_len = [data[chunk:]], data.size - chunk
        except av.error.FFmpegError as exc:
            if not decoded_any:
                raise AudioDecodeError(f"cannot decode {path.name} as audio: {exc}") from exc
            # a truncated file: keep what was decoded
        for out in resampler.resample(None):
            pending.append(out.to_ndarray().reshape(-1).astype(np.float32) / 32768.0)
        if not decoded_any:
            raise AudioDecodeError(f"{path.name} holds no decodable audio")
    if pending:
        data = np.concatenate(pending)
        for start in range(0, data.size, chunk):
            yield data[start:start + chunk]


class PcmConverter:
    """Raw little-endian PCM (s16 or f32, interleaved channels, any rate) to 16 kHz mono float32, chunk by chunk,
    keeping the resampler's state across chunks (no clicks at chunk borders)."""

    def __init__(self, sample_rate: int = SAMPLE_RATE, channels: int = 1, sample_format: str = "s16"):
        if not 8_000 <= sample_rate <= MAX_INPUT_RATE:
            raise ValueError(f"sample rate {sample_rate} Hz is outside 8000-{MAX_INPUT_RATE}")
        if channels not in (1, 2):
            raise ValueError(f"{channels} channels: send mono or stereo")
        if sample_format not in ("s16", "f32"):
            raise ValueError(f"sample format {sample_format!r}: send s16 or f32 little-endian PCM")
        self.sample_rate = sample_rate
        self.channels = channels
        self.sample_format = sample_format
        self._width = 2 if sample_format == "s16" else 4
        self._carry = b""
        self._resampler = None

    def convert(self, data: bytes) -> np.ndarray:
        data = self._carry + data
        frame_bytes = self._width * self.channels
        usable = len(data) - len(data) % frame_bytes
        self._carry = data[usable:]
        if usable == 0:
            return np.zeros(0, dtype=np.float32)
        if self.sample_format == "s16":
            samples = np.frombuffer(data[:usable], dtype="<i2").astype(np.float32) / 32768.0
        else:
            samples = np.frombuffer(data[:usable], dtype="<f4").astype(np.float32)
            samples = np.nan_to_num(np.clip(samples, -1.0, 1.0))
        if self.channels == 2:
            samples = samples.reshape(-1, 2).mean(axis=1)
        if self.sample_rate == SAMPLE_RATE:
            return samples
        return self._resample(samples)

    def _resample(self, samples: np.ndarray) -> np.ndarray:
        import av

        if self._resampler is None:
            self._resampler = av.AudioResampler(format="flt", layout="mono", rate=SAMPLE_RATE)
        frame = av.AudioFrame.from_ndarray(samples.reshape(1, -1), format="flt", layout="mono")
        frame.sample_rate = self.sample_rate
        out = [f.to_ndarray().reshape(-1) for f in self._resampler.resample(frame)]
        return np.concatenate(out).astype(np.float32) if out else np.zeros(0, dtype=np.float32)
