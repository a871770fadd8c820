"""Both Whisper backends load the registry's weights and transcribe real English and Korean speech."""

import pytest
import torch

from minutes.metrics import cer, wer
from models.asr import TranscribeOptions, load_transcriber
from models.audio import load_audio
from tests.speech_data import JFK, JFK_TEXT, KO_CLIP, KO_TEXT

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def jfk():
    return load_audio(JFK)  # 44.1 kHz stereo FLAC -> 16 kHz mono


@pytest.fixture(scope="module")
def korean():
    return load_audio(KO_CLIP)


@pytest.mark.parametrize("backend", ["faster-whisper", "openai-whisper"])
def test_whisper_base_transcribes_english_and_korean(backend, store, jfk, korean):
    transcriber = load_transcriber("whisper-base", store, backend=backend)
    english = transcriber.transcribe(jfk, TranscribeOptions(language="en"))
    assert "ask not what your country can do for you" in english.text.lower()
    assert wer(JFK_TEXT, english.text) < 0.1
    assert english.segments and english.segments[-1].end == pytest.approx(11.0, abs=1.5)

    detected = transcriber.transcribe(korean, TranscribeOptions())  # language detected, not given
    assert detected.language == "ko"
    assert cer(KO_TEXT, detected.text) < 0.2, detected.text


def test_word_timestamps_from_both_backends(store, jfk):
    for backend in ("faster-whisper", "openai-whisper"):
        transcript = load_transcriber("whisper-base", store, backend=backend).transcribe(
            jfk, TranscribeOptions(language="en", beam_size=1, word_timestamps=True))
        words = [w for s in transcript.segments for w in s.words]
        country = [w for w in words if "country" in w.text.lower()]
        assert len(country) == 2, backend
        assert all(0 <= w.start < w.end <= 11.5 for w in words), backend


def test_tiny_en_transcribes_english(store, jfk):
    transcript = load_transcriber("whisper-tiny.en", store).transcribe(jfk, TranscribeOptions(language="en"))
    assert wer(JFK_TEXT, transcript.text) < 0.15


def test_converted_checkpoint_loads_strictly_in_openai_whisper(store):
    import whisper

    model = whisper.load_model(str(store.file_path("whisper-base-openai")), device="cpu")
    assert model.dims.n_text_layer == 6 and model.dims.n_vocab == 51865
    assert model.is_multilingual


def test_converted_weights_equal_the_ctranslate2_weights(store):
    """The conversion is a relabelling: the fused CTranslate2 projection equals the split openai-whisper ones."""
    from models.ct2_format import read_ct2_model

    ct2 = read_ct2_model(store.model_dir("whisper-base") / "model.bin")
    state = torch.load(store.file_path("whisper-base-openai"), map_location="cpu", weights_only=True)[
        "model_state_dict"]
    fused = torch.from_numpy(ct2.get("decoder/layer_2/self_attention/linear_0/weight").copy())
    split = torch.cat([state[f"decoder.blocks.2.attn.{p}.weight"] for p in ("query", "key", "value")])
    assert torch.equal(fused, split)
    assert torch.equal(torch.from_numpy(ct2.get("decoder/projection/weight").copy()),
                       state["decoder.token_embedding.weight"])
