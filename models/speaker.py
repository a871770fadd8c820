"""Speaker embeddings: Resemblyzer's GE2E voice encoder (Apache-2.0), weights taken from its PyPI wheel.

The network (3-layer LSTM over 40 mel bands, 256-d output, ReLU, L2 norm) and its mel front end (25 ms Hann
window, 10 ms hop, power spectrum, Slaney mel filters, no log) are rebuilt here with torch and numpy, so neither
the ``resemblyzer`` package nor its librosa/webrtcvad dependencies are needed: only the weights file, fetched and
pinned by ``dasan models fetch resemblyzer-ge2e``. Embeddings of 1.6 s partial windows are averaged, as
Resemblyzer does; two segments of one voice have cosine similarity around 0.8 or more, different voices less.
"""

from __future__ import annotations

import threading
from functools import lru_cache

import numpy as np

from models.store import ModelError, ModelStore

SAMPLE_RATE = 16_000
N_FFT = 400  # 25 ms
HOP = 160  # 10 ms
N_MELS = 40
PARTIAL_FRAMES = 160  # 1.6 s per partial window
EMBEDDING_SIZE = 256


def _hz_to_mel(freq: np.ndarray) -> np.ndarray:
    """Slaney's mel scale (librosa's default): linear below 1 kHz, logarithmic above."""
    freq = np.asarray(freq, dtype=np.float64)
    f_sp = 200.0 / 3
    mels = freq / f_sp
    min_log_hz = 1000.0
    min_log_mel = min_log_hz / f_sp
    logstep = np.log(6.4) / 27.0
    above = freq >= min_log_hz
    mels[above] = min_log_mel + np.log(freq[above] / min_log_hz) / logstep
    return mels


def _mel_to_hz(mels: np.ndarray) -> np.ndarray:
    mels = np.asarray(mels, dtype=np.float64)
    f_sp = 200.0 / 3
    freqs = f_sp * mels
    min_log_hz = 1000.0
    min_log_mel = min_log_hz / f_sp
    logstep = np.log(6.4) / 27.0
    above = mels >= min_log_mel
    freqs[above] = min_log_hz * np.exp(logstep * (mels[above] - min_log_mel))
    return freqs


@lru_cache(maxsize=4)
def mel_filters(sample_rate: int = SAMPLE_RATE, n_fft: int = N_FFT, n_mels: int = N_MELS) -> np.ndarray:
    """Slaney-normalised triangular mel filters, shape (n_mels, n_fft // 2 + 1), as ``librosa.filters.mel``."""
    fft_freqs = np.linspace(0, sample_rate / 2, 1 + n_fft // 2)
    mel_points = _mel_to_hz(np.linspace(_hz_to_mel(np.array([0.0]))[0],
                                        _hz_to_mel(np.array([sample_rate / 2]))[0], n_mels + 2))
    fdiff = np.diff(mel_points)
    ramps = mel_points[:, None] - fft_freqs[None, :]
    weights = np.zeros((n_mels, len(fft_freqs)))
    for i in range(n_mels):
        lower = -ramps[i] / fdiff[i]
        upper = ramps[i + 2] / fdiff[i + 1]
        weights[i] = np.maximum(0, np.minimum(lower, upper))
    weights *= (2.0 / (mel_points[2:n_mels + 2] - mel_points[:n_mels]))[:, None]
    return weights.astype(np.float32)


def mel_spectrogram(wav: np.ndarray) -> np.ndarray:
    """(frames, 40) mel power spectrogram of 16 kHz audio (centred frames, zero padding, periodic Hann)."""
    wav = np.asarray(wav, dtype=np.float32).reshape(-1)
    padded = np.pad(wav, (N_FFT // 2, N_FFT // 2))
    n_frames = 1 + (len(padded) - N_FFT) // HOP
    if n_frames <= 0:
        return np.zeros((0, N_MELS), dtype=np.float32)
    idx = np.arange(N_FFT)[None, :] + HOP * np.arange(n_frames)[:, None]
    window = (0.5 - 0.5 * np.cos(2 * np.pi * np.arange(N_FFT) / N_FFT)).astype(np.float32)
    spectrum = np.abs(np.fft.rfft(padded[idx] * window, axis=1)) ** 2
    return (spectrum @ mel_filters().T).astype(np.float32)


def normalize_volume(wav: np.ndarray, target_dbfs: float = -30.0) -> np.ndarray:
    """Raise quiet audio to ``target_dbfs`` RMS (never lowers it), as Resemblyzer's preprocessing does."""
    rms = float(np.sqrt(np.mean(np.square(wav, dtype=np.float64)))) if wav.size else 0.0
    if rms <= 1e-6:
        return wav
    change = target_dbfs - 20 * np.log10(rms)
    return wav if change < 0 else (wav * (10 ** (change / 20))).astype(np.float32)


class SpeakerEncoder:
    """GE2E speaker embeddings. ``embed`` takes 16 kHz mono float32 audio; returns a unit vector (256,)."""

    def __init__(self, weights_path: str, threads: int = 2, identity: str | None = None):
        self._weights_path = weights_path
        self._threads = threads
        self.identity = identity or weights_path
        self._net = None
        self._lock = threading.Lock()

    def warm_up(self) -> None:
        with self._lock:
            if self._net is not None:
                return
            import torch
            from torch import nn

            class _GE2E(nn.Module):
                def __init__(self):
                    super().__init__()
                    self.lstm = nn.LSTM(N_MELS, 256, 3, batch_first=True)
                    self.linear = nn.Linear(256, EMBEDDING_SIZE)

                def forward(self, mels):
                    _, (hidden, _) = self.lstm(mels)
                    raw = torch.relu(self.linear(hidden[-1]))
                    return raw / torch.norm(raw, dim=1, keepdim=True).clamp_min(1e-8)

            try:
                checkpoint = torch.load(self._weights_path, map_location="cpu", weights_only=True)
                state = {k: v for k, v in checkpoint["model_state"].items() if k.startswith(("lstm.", "linear."))}
                net = _GE2E()
                net.load_state_dict(state, strict=True)
            except (OSError, KeyError, RuntimeError) as exc:
                raise ModelError(f"cannot load the speaker encoder from {self._weights_path}: {exc}; "
                                 "run `dasan models fetch --force resemblyzer-ge2e`") from exc
            self._net = net.eval()

    def embed_partials(self, wav: np.ndarray, rate: float = 1.3) -> np.ndarray:
        """Embeddings of the 1.6 s windows of ``wav`` (``rate`` windows a second), shape (n, 256)."""
        import torch

        self.warm_up()
        wav = normalize_volume(np.asarray(wav, dtype=np.float32).reshape(-1))
        step = max(1, int(round(SAMPLE_RATE / rate / HOP)))
        mel = mel_spectrogram(wav)
        if len(mel) < PARTIAL_FRAMES:
            mel = np.pad(mel, ((0, PARTIAL_FRAMES - len(mel)), (0, 0)))
        starts = list(range(0, len(mel) - PARTIAL_FRAMES + 1, step)) or [0]
        batch = np.stack([mel[s:s + PARTIAL_FRAMES] for s in starts])
        with self._lock, torch.inference_mode():
            torch.set_num_threads(self._threads)
            return self._net(torch.from_numpy(batch)).numpy()

    def embed(self, wav: np.ndarray) -> np.ndarray:
        """One unit-length embedding of an utterance (the normalised mean of its partial windows)."""
        partials = self.embed_partials(wav)
        mean = partials.mean(axis=0)
        return (mean / max(float(np.linalg.norm(mean)), 1e-8)).astype(np.float32)


def load_speaker_encoder(ref: str, store: ModelStore, threads: int = 2) -> SpeakerEncoder:
    """A registry name (``resemblyzer-ge2e``) or a path to a Resemblyzer-format ``.pt`` file."""
    from models.refs import resolve

    resolved = resolve(ref, store)
    path = resolved.location
    if resolved.spec is not None:
        path = str(store.file_path(resolved.spec.name))
    elif resolved.kind == "hub":
        raise ModelError(f"the speaker encoder needs a .pt file path or a registry name, not {ref!r}")
    return SpeakerEncoder(path, threads=threads, identity=resolved.identity)
