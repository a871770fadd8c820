"""Audio held by a live stream, in preallocated float32 arrays that are reused rather than reallocated.

A stream appends 512 samples every 32 ms for hours. Concatenating a new array each time (the buffer being
decoded, the audio kept for speaker embeddings) allocates tens of megabytes a second in varying sizes, which
the allocator does not always hand back; these two keep one array each and only copy within it.
"""

from __future__ import annotations

import numpy as np


class SampleBuffer:
    """A growing run of samples whose oldest part can be dropped (the rolling buffer Whisper re-decodes)."""

    def __init__(self, capacity: int = 16_000 * 8):
        self._data = np.zeros(max(capacity, 1), dtype=np.float32)
        self._start = 0
        self._end = 0

    def __len__(self) -> int:
        return self._end - self._start

    def view(self) -> np.ndarray:
        """The samples held (a view: valid until the next append or drop)."""
        return self._data[self._start:self._end]

    def append(self, samples: np.ndarray) -> None:
        n = len(samples)
        if self._end + n > len(self._data):
            held = len(self)
            if held + n > len(self._data) // 2:  # more than half full after compacting: grow
                data = np.zeros(max(2 * len(self._data), held + n), dtype=np.float32)
                data[:held] = self.view()
                self._data = data
            else:
                self._data[:held] = self.view()
            self._start, self._end = 0, held
        self._data[self._end:self._end + n] = samples
        self._end += n

    def drop(self, n: int) -> None:
        """Forget the oldest ``n`` samples."""
        self._start = min(self._end, self._start + max(0, n))

    def clear(self) -> None:
        self._start = self._end = 0


class AudioRing:
    """The last ``seconds`` of a stream, addressable by stream time (a circular array)."""

    def __init__(self, seconds: float, sample_rate: int = 16_000):
        self.sample_rate = sample_rate
        self._data = np.zeros(max(1, int(seconds * sample_rate)), dtype=np.float32)
        self.end = 0  # samples fed in total

    def add(self, samples: np.ndarray) -> None:
        total = len(samples)
        samples = samples[-len(self._data):]  # only the newest fit
        n = len(samples)
        at = (self.end + total - n) % len(self._data)
        first = min(n, len(self._data) - at)
        self._data[at:at + first] = samples[:first]
        self._data[:n - first] = samples[first:]
        self.end += total

    def slice(self, start_s: float, end_s: float) -> np.ndarray:
        """A copy of the samples between two stream times (clipped to what is still held)."""
        size = len(self._data)
        a = max(int(start_s * self.sample_rate), self.end - size, 0)
        b = min(int(end_s * self.sample_rate), self.end)
        if b <= a:
            return np.zeros(0, dtype=np.float32)
        idx = np.arange(a, b) % size
        return self._data[idx]
