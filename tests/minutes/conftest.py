"""Fixtures of the minutes tests: the real models (faster-whisper base, Silero VAD, the GE2E speaker encoder)."""

import pytest


@pytest.fixture(scope="session")
def speaker_encoder(model_set):
    return model_set.speaker_encoder()


@pytest.fixture(scope="session")
def jfk_audio():
    from models.audio import load_audio
    from tests.speech_data import JFK

    return load_audio(JFK)
