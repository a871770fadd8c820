"""Silero VAD finds speech in speech and none in silence or steady noise."""

import numpy as np
import pytest

from models.audio import load_audio, resample
from models.vad import load_vad
from tests.speech_data import JFK


@pytest.fixture(scope="module")
def vad(store):
    return load_vad("silero-vad", store)


def test_speech_is_found_in_speech(vad):
    audio = load_audio(JFK)
    segments = vad.speech_segments(audio)
    assert segments
    speech = sum(end - start for start, end in segments)
    assert 6.0 < speech <= 11.0
    assert segments[0][0] < 1.0


def test_no_speech_in_silence_or_noise(vad):
    rng = np.random.default_rng(0)
    assert vad.speech_segments(np.zeros(16000 * 5, dtype=np.float32)) == []
    noise = (0.05 * rng.standard_normal(16000 * 5)).astype(np.float32)
    assert vad.speech_segments(noise) == []


def test_speech_after_silence_is_timed(vad):
    audio = np.concatenate([np.zeros(16000 * 3, dtype=np.float32), load_audio(JFK)[: 16000 * 4]])
    segments = vad.speech_segments(audio)
    assert segments and 2.5 < segments[0][0] < 3.6


def test_eight_kilohertz_telephone_audio(store):
    vad8 = load_vad("silero-vad", store, sample_rate=8000)
    audio = resample(load_audio(JFK), 16000, 8000)
    assert vad8.speech_segments(audio)


def test_wrong_frame_size_is_refused(vad):
    with pytest.raises(ValueError, match="512 samples"):
        vad.probability(np.zeros(100, dtype=np.float32))
