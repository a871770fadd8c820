"""Voice activity detection with Silero VAD (ONNX, run by onnxruntime; no torch needed)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from models.store import ModelStore


@dataclass(frozen=True)
class VadOptions:
    threshold: float = 0.5  # speech probability at which speech starts
    neg_threshold: float | None = None  # probability under which it ends (default threshold - 0.15)
    min_speech_ms: int = 250  # shorter bursts are dropped
    min_silence_ms: int = 100  # gaps shorter than this do not split speech
    pad_ms: int = 30  # padding added around each segment


class SileroVAD:
    """Frame-level speech probabilities and speech segments for 16 kHz (or 8 kHz) mono audio.

    The model is stateful: :meth:`probability` feeds one frame of a stream (512 samples at 16 kHz, 256 at 8 kHz)
    and :meth:`reset` starts a new stream.
    """

    def __init__(self, model_path: str, sample_rate: int = 16_000):
        if sample_rate not in (8_000, 16_000):
            raise ValueError(f"Silero VAD runs at 8000 or 16000 Hz, not {sample_rate}")
        self._model_path = model_path
        self._session = None
        self.sample_rate = sample_rate
        self.frame_size = 512 if sample_rate == 16_000 else 256
        self._context_size = 64 if sample_rate == 16_000 else 32
        self._sr = np.array(sample_rate, dtype=np.int64)
        self.reset()

    def warm_up(self) -> None:
        if self._session is None:
            import onnxruntime

            options = onnxruntime.SessionOptions()
            options.inter_op_num_threads = 1
            options.intra_op_num_threads = 1
            self._session = onnxruntime.InferenceSession(self._model_path, sess_options=options,
                                                         providers=["CPUExecutionProvider"])

    def reset(self) -> None:
        self._state = np.zeros((2, 1, 128), dtype=np.float32)
        self._context = np.zeros((1, self._context_size), dtype=np.float32)

    def probability(self, frame: np.ndarray) -> float:
        frame = np.asarray(frame, dtype=np.float32).reshape(1, -1)
        if frame.shape[1] != self.frame_size:
            raise ValueError(f"a VAD frame has {self.frame_size} samples at {self.sample_rate} Hz, "
                             f"got {frame.shape[1]}")
        self.warm_up()
        window = np.concatenate([self._context, frame], axis=1)
        out, self._state = self._session.run(None, {"input": window, "state": self._state, "sr": self._sr})
        self._context = window[:, -self._context_size:]
        return float(out.reshape(-1)[0])

    def probabilities(self, audio: np.ndarray) -> np.ndarray:
        """Speech probability of each frame of ``audio`` (a fresh stream; the tail is zero-padded)."""
        self.reset()
        audio = np.asarray(audio, dtype=np.float32).reshape(-1)
        n_frames = -(-len(audio) // self.frame_size)
        padded = np.zeros(n_frames * self.frame_size, dtype=np.float32)
        padded[: len(audio)] = audio
        frames = padded.reshape(n_frames, self.frame_size)
        return np.array([self.probability(frame) for frame in frames], dtype=np.float32)

    def speech_segments(self, audio: np.ndarray, options: VadOptions = VadOptions()) -> list[tuple[float, float]]:
        """(start, end) in seconds of each stretch of speech, with hysteresis and minimum durations."""
        probs = self.probabilities(audio)
        frame_s = self.frame_size / self.sample_rate
        low = options.neg_threshold if options.neg_threshold is not None else max(options.threshold - 0.15, 0.01)
        raw: list[list[float]] = []
        start = None
        for index, prob in enumerate(probs):
            if start is None and prob >= options.threshold:
                start = index * frame_s
            elif start is not None and prob < low:
                raw.append([start, index * frame_s])
                start = None
        if start is not None:
            raw.append([start, len(probs) * frame_s])
        merged: list[list[float]] = []
        for segment in raw:
            if merged and segment[0] - merged[-1][1] < options.min_silence_ms / 1000:
                merged[-1][1] = segment[1]
            else:
                merged.append(segment)
        duration = len(audio) / self.sample_rate
        pad = options.pad_ms / 1000
        return [
            (max(0.0, s - pad), min(duration, e + pad))
            for s, e in merged
            if e - s >= options.min_speech_ms / 1000
        ]


def load_vad(ref: str, store: ModelStore, sample_rate: int = 16_000) -> SileroVAD:
    from models.refs import resolve

    resolved = resolve(ref, store)
    path = resolved.location
    if resolved.spec is not None:
        path = str(store.file_path(resolved.spec.name))
    return SileroVAD(path, sample_rate)
