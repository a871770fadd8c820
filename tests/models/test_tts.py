"""Speech out: the bundled voices produce audio that Whisper transcribes back."""

import pytest

from minutes.metrics import wer
from models.asr import TranscribeOptions, load_transcriber
from models.audio import resample
from models.tts import EspeakTTS, PiperTTS, load_tts

pytestmark = pytest.mark.slow

SENTENCE = "The public library opens at nine in the morning and closes at six in the evening."


@pytest.fixture(scope="module")
def transcriber(store):
    return load_transcriber("whisper-base", store)


@pytest.mark.parametrize("voice", ["piper-joe-en", "espeak-ng"])
def test_round_trip_through_whisper(voice, store, transcriber):
    engine = load_tts(voice, store, language="en")
    assert isinstance(engine, PiperTTS if voice.startswith("piper") else EspeakTTS)
    speech = engine.synthesize(SENTENCE)
    assert 2.0 < speech.duration < 12.0
    assert abs(speech.audio).max() > 0.05
    heard = transcriber.transcribe(resample(speech.audio, speech.sample_rate),
                                   TranscribeOptions(language="en")).text
    assert wer(SENTENCE, heard) < 0.25, heard


def test_piper_streams_one_chunk_per_sentence(store):
    chunks = list(load_tts("piper-joe-en", store).stream("Hello. Your ticket is open. Goodbye."))
    assert len(chunks) == 3
    assert all(c.sample_rate == 22050 for c in chunks)


def test_empty_text_is_refused(store):
    with pytest.raises(ValueError, match="empty"):
        load_tts("piper-joe-en", store).synthesize("   ")
