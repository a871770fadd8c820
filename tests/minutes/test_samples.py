"""The preallocated audio stores of a live stream against plain concatenation."""

import numpy as np

from speech.samples import AudioRing, SampleBuffer


def test_sample_buffer_matches_concatenation_through_appends_and_drops():
    rng = np.random.default_rng(3)
    buffer, expected = SampleBuffer(capacity=16), np.zeros(0, dtype=np.float32)
    for _ in range(3000):
        piece = rng.standard_normal(int(rng.integers(0, 40))).astype(np.float32)
        buffer.append(piece)
        expected = np.concatenate([expected, piece])
        if rng.random() < 0.3:
            n = int(rng.integers(0, 60))
            buffer.drop(n)
            expected = expected[n:]
        assert len(buffer) == len(expected)
        assert np.array_equal(buffer.view(), expected)
    buffer.clear()
    assert len(buffer) == 0 and buffer.view().size == 0


def test_sample_buffer_reuses_its_array_when_the_held_audio_stays_short():
    buffer = SampleBuffer(capacity=1000)
    frame = np.ones(100, dtype=np.float32)
    for _ in range(10_000):  # a stream that keeps about 300 samples
        buffer.append(frame)
        if len(buffer) > 300:
            buffer.drop(len(buffer) - 300)
    assert buffer._data.size == 1000


def test_audio_ring_keeps_the_last_seconds_by_stream_time():
    rng = np.random.default_rng(5)
    ring, stream = AudioRing(0.01, sample_rate=1000), np.zeros(0, dtype=np.float32)  # holds 10 samples
    for _ in range(500):
        piece = rng.standard_normal(int(rng.integers(0, 25))).astype(np.float32)
        ring.add(piece)
        stream = np.concatenate([stream, piece])
        start = rng.uniform(0, len(stream) / 1000)
        end = rng.uniform(start, len(stream) / 1000 + 0.005)
        lo, hi = max(int(start * 1000), len(stream) - 10), min(int(end * 1000), len(stream))
        assert np.array_equal(ring.slice(start, end), stream[lo:hi] if hi > lo else np.zeros(0))
    assert ring.end == len(stream)
