"""Voices served over the OpenAI-style speech API: Dasan's own endpoint, and the engine that uses any such
server, tested against each other through a real server process and checked by Whisper."""

import io
import socket

import httpx
import pytest
import soundfile

from minutes.metrics import wer
from models.asr import TranscribeOptions, load_transcriber
from models.audio import resample
from models.loaded import ModelSet
from models.speech_server import SpeechServer, SpeechServerTTS
from models.store import ModelError
from models.tts import load_tts

SENTENCE = "The public library opens at nine in the morning and closes at six in the evening."


def test_url_names_endpoint_and_request_fields():
    server = SpeechServer.from_url("http://tts.local:8880/v1?model=kokoro&voice=ko_f&format=wav&rate=22050")
    assert server == SpeechServer("http://tts.local:8880/v1/audio/speech", "kokoro", "ko_f", "wav", 22050)
    assert SpeechServer.from_url("https://h").endpoint == "https://h/v1/audio/speech"
    assert SpeechServer.from_url("http://h:1/api/v1/audio/speech/").endpoint == "http://h:1/api/v1/audio/speech"
    assert SpeechServer.from_url("http://h?speed=1.25").speed == 1.25


@pytest.mark.parametrize("url, problem", [
    ("ftp://h/v1", "not a speech server URL"),
    ("http://h/v1?format=mp3", "format 'mp3' is not supported"),
    ("http://h/v1?rate=abc", "bad number"),
    ("http://h/v1?rate=100", "out of range"),
    ("http://h/v1?vocie=x", "unknown speech server parameter"),
])
def test_bad_urls_are_refused_with_the_reason(url, problem):
    with pytest.raises(ModelError, match=problem):
        SpeechServer.from_url(url)


def test_a_voice_setting_with_a_url_loads_the_speech_server_engine(store):
    models = ModelSet(store, {"tts_en": "piper-joe-en", "tts_ko": "http://127.0.0.1:9/v1?voice=ko"},
                      tts_api_key="secret")
    engine = models.tts("ko")
    assert isinstance(engine, SpeechServerTTS)
    assert engine.server.voice == "ko"
    assert engine._client.headers["authorization"] == "Bearer secret"


def test_an_unreachable_server_is_a_clear_model_error(store):
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    engine = load_tts(f"http://127.0.0.1:{port}/v1?voice=ko", store)
    with pytest.raises(ModelError, match="speech server .* failed: ConnectError"):
        list(engine.stream("안녕하세요."))


@pytest.fixture(scope="module")
def transcriber(store):
    return load_transcriber("whisper-base", store)


def _heard(transcriber, audio, rate) -> str:
    return transcriber.transcribe(resample(audio, rate), TranscribeOptions(language="en")).text


@pytest.fixture(scope="module")
def key(live_auth) -> str:
    """A staff token: Dasan's speech service is for the city's own programs (DASAN_TTS_API_KEY of another Dasan)."""
    return live_auth("staff", None, "complaints:read")["Authorization"].removeprefix("Bearer ")


@pytest.mark.slow
def test_the_endpoint_needs_a_staff_credential(live_server):
    response = httpx.post(f"{live_server}/v1/audio/speech", json={"input": "Hello.", "voice": "en"}, timeout=30)
    assert response.status_code == 401 and "sign in" in response.text


@pytest.mark.slow
def test_the_endpoint_speaks_wav_that_whisper_understands(live_server, key, transcriber):
    response = httpx.post(f"{live_server}/v1/audio/speech", timeout=60, headers={"Authorization": f"Bearer {key}"},
                          json={"model": "tts-1", "input": SENTENCE, "voice": "en", "response_format": "wav"})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "audio/wav"
    audio, rate = soundfile.read(io.BytesIO(response.content), dtype="float32")
    assert 2.0 < len(audio) / rate < 12.0
    assert wer(SENTENCE, _heard(transcriber, audio, rate)) < 0.25


@pytest.mark.slow
@pytest.mark.parametrize("body, status, message", [
    ({"input": "Hello.", "voice": "fr"}, 400, "unknown voice 'fr'"),
    ({"input": "Hello.", "voice": "en", "speed": 1.5}, 400, "speed"),
    ({"input": "   ", "voice": "en"}, 400, "empty"),
    ({"input": "Hello.", "voice": "en", "response_format": "mp3"}, 422, "response_format"),
    ({"voice": "en"}, 422, "input"),
])
def test_the_endpoint_refuses_bad_requests_with_a_reason(live_server, key, body, status, message):
    response = httpx.post(f"{live_server}/v1/audio/speech", json=body, timeout=30,
                          headers={"Authorization": f"Bearer {key}"})
    assert response.status_code == status
    assert message in response.text


@pytest.mark.slow
def test_the_engine_streams_pcm_from_a_real_server(live_server, key, store, transcriber):
    engine = load_tts(f"{live_server}/v1?model=dasan&voice=en&format=pcm&rate=24000", store, api_key=key)
    text = "Your report was received. A city worker will visit within three days."
    chunks = list(engine.stream(text))
    assert len(chunks) >= 4  # streamed in pieces, not one blob per request
    assert {c.sample_rate for c in chunks} == {24_000}
    speech = engine.synthesize(text)
    assert wer(text, _heard(transcriber, speech.audio, speech.sample_rate)) < 0.25


@pytest.mark.slow
def test_the_engine_reports_a_server_refusal(live_server, key, store):
    engine = load_tts(f"{live_server}/v1?voice=fr&format=wav", store, api_key=key)
    with pytest.raises(ModelError, match="answered 400: .*unknown voice 'fr'"):
        engine.synthesize("Hello.")
