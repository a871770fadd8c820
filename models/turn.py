"""End of turn from the voice: Smart Turn v3 (an ONNX classifier on a Whisper-style encoder), run by onnxruntime.

The model hears the last 8 s of an utterance (16 kHz mono, zeros in front when it is shorter) as an 80-bin
Whisper log-mel spectrogram, the features of ``transformers.WhisperFeatureExtractor(chunk_length=8)`` with the
waveform normalised to zero mean and unit variance first, and answers the probability that the speaker has
finished their turn: intonation, a drawn-out last syllable and the words themselves all count. It knows nothing of
silence length; the caller of :meth:`TurnModel.probability` decides when to ask (at a pause).

The features are computed here with numpy (periodic Hann window, centred reflect-padded STFT of 400 samples every
160, power spectrum, Slaney mel filters from 0 to 8 kHz, log10 floored at 1e-10, clamped to 8 below the maximum,
then scaled as (x + 4) / 4); ``tests/models/test_smart_turn.py`` checks them against transformers'.
"""

from __future__ import annotations

import threading
from functools import cache

import numpy as np

from models.store import ModelStore

SAMPLE_RATE = 16_000
WINDOW_S = 8  # seconds of audio the model hears (the end of the utterance)
N_FFT = 400
HOP = 160
N_MELS = 80


def _hz_to_mel(hz: np.ndarray) -> np.ndarray:
    """Slaney's mel scale: linear up to 1 kHz (3 mels per 200 Hz), logarithmic above (27 mels per factor 6.4)."""
    hz = np.asarray(hz, dtype=np.float64)
    return np.where(hz < 1000.0, hz * 3.0 / 200.0, 15.0 + np.log(np.maximum(hz, 1e-12) / 1000.0) * 27.0 / np.log(6.4))


def _mel_to_hz(mel: np.ndarray) -> np.ndarray:
    mel = np.asarray(mel, dtype=np.float64)
    return np.where(mel < 15.0, mel * 200.0 / 3.0, 1000.0 * np.exp((mel - 15.0) * np.log(6.4) / 27.0))


@cache
def mel_filters() -> np.ndarray:
    """(N_MELS, N_FFT // 2 + 1) triangular filters, evenly spaced in mels, each of unit area (Slaney norm)."""
    bins = np.linspace(0.0, SAMPLE_RATE / 2, N_FFT // 2 + 1)
    edges = _mel_to_hz(np.linspace(_hz_to_mel(0.0), _hz_to_mel(SAMPLE_RATE / 2), N_MELS + 2))
    low, mid, high = edges[:-2, None], edges[1:-1, None], edges[2:, None]
    triangles = np.maximum(0.0, np.minimum((bins - low) / (mid - low), (high - bins) / (high - mid)))
    return triangles * (2.0 / (high - low))


@cache
def _hann() -> np.ndarray:
    n = np.arange(N_FFT)
    return 0.5 - 0.5 * np.cos(2.0 * np.pi * n / N_FFT)  # periodic


def model_input(audio: np.ndarray) -> np.ndarray:
    """The last ``WINDOW_S`` seconds of 16 kHz ``audio``, zeros in front when it is shorter (float32)."""
    audio = np.asarray(audio, dtype=np.float32).reshape(-1)
    size = WINDOW_S * SAMPLE_RATE
    if audio.size >= size:
        return audio[-size:].copy()
    return np.concatenate([np.zeros(size - audio.size, dtype=np.float32), audio])


def log_mel(audio: np.ndarray) -> np.ndarray:
    """(N_MELS, frames) Whisper log-mel features of exactly one window (``model_input``), normalised waveform."""
    x = np.asarray(audio, dtype=np.float32)
    x = (x - x.mean()) / np.sqrt(x.var() + 1e-7)
    padded = np.pad(x.astype(np.float64), N_FFT // 2, mode="reflect")
    frames = np.lib.stride_tricks.sliding_window_view(padded, N_FFT)[::HOP]
    power = np.abs(np.fft.rfft(frames * _hann(), axis=-1)) ** 2  # (frames, bins)
    mel = np.log10(np.maximum(mel_filters() @ power.T, 1e-10))[:, :-1]  # the last frame is dropped, as Whisper does
    mel = np.maximum(mel, mel.max() - 8.0)
    return ((mel + 4.0) / 4.0).astype(np.float32)


class TurnModel:
    """P(the speaker's turn is complete) for the audio of an utterance so far. Stateless and thread-safe: one
    instance serves every call."""

    def __init__(self, model_path: str, threads: int = 1):
        self.model_path = model_path
        self.threads = threads
        self._session = None
        self._input = "input_features"
        self._lock = threading.Lock()

    @classmethod
    def load(cls, ref: str, store: ModelStore, threads: int = 1) -> "TurnModel":
        """From a registry name (installed and verified) or the path of a Smart Turn v3 ONNX file."""
        from models.refs import resolve

        resolved = resolve(ref, store)
        path = resolved.location
        if resolved.spec is not None:
            path = str(store.file_path(resolved.spec.name))
        return cls(path, threads)

    def warm_up(self) -> None:
        with self._lock:
            if self._session is not None:
                return
            import onnxruntime

            options = onnxruntime.SessionOptions()
            options.execution_mode = onnxruntime.ExecutionMode.ORT_SEQUENTIAL
            options.inter_op_num_threads = 1
            options.intra_op_num_threads = self.threads
            session = onnxruntime.InferenceSession(self.model_path, sess_options=options,
                                                   providers=["CPUExecutionProvider"])
            shape = session.get_inputs()[0].shape
            if len(shape) != 3 or shape[1] != N_MELS:
                raise ValueError(f"{self.model_path} is not a Smart Turn v3 model: its input has shape {shape}, "
                                 f"expected (batch, {N_MELS}, frames)")
            self._input = session.get_inputs()[0].name
            self._session = session

    def probability(self, audio: np.ndarray, sample_rate: int = SAMPLE_RATE) -> float:
        """The probability that the utterance in ``audio`` (mono float32, best with the pause that follows it)
        is a finished turn."""
        if sample_rate != SAMPLE_RATE:
            from models.audio import resample

            audio = resample(audio, sample_rate, SAMPLE_RATE)
        if self._session is None:
            self.warm_up()
        features = log_mel(model_input(audio))[None]
        (out, *_) = self._session.run(None, {self._input: features})
        return float(np.asarray(out).reshape(-1)[0])


def load_turn_model(ref: str, store: ModelStore, threads: int = 1) -> TurnModel:
    return TurnModel.load(ref, store, threads)
