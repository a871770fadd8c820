"""Smart Turn v3.2, the end-of-turn model, on real speech (the committed JFK and Zeroth-Korean clips): the fetched
model loads through the registry and the model set, its features are Whisper's, a finished sentence is heard as
complete and the same audio cut mid-sentence as not."""

import numpy as np
import pytest

from models.audio import load_audio
from models.loaded import ModelSet
from models.store import ModelError
from models.turn import N_MELS, SAMPLE_RATE, WINDOW_S, TurnModel, log_mel, model_input
from tests.speech_data import JFK, KO_CLIP

PAUSE = np.zeros(SAMPLE_RATE // 4, dtype=np.float32)  # the call asks at its first pause, 0.25 s of silence


@pytest.fixture(scope="module")
def turn(store):
    model = TurnModel.load("smart-turn-v3.2", store)
    model.warm_up()
    return model


def _cut(audio: np.ndarray, seconds: float) -> np.ndarray:
    return np.concatenate([audio[: int(seconds * SAMPLE_RATE)], PAUSE])


def test_the_fetched_model_loads_through_the_model_set(store, model_set):
    assert store.status("smart-turn-v3.2").verified
    model = model_set.turn_model()
    assert isinstance(model, TurnModel) and model is model_set.turn_model()  # one for the process
    assert 0.0 <= model.probability(np.zeros(SAMPLE_RATE, dtype=np.float32)) <= 1.0


def test_no_configured_model_is_a_clear_error(store):
    with pytest.raises(ModelError, match="no end-of-turn model"):
        ModelSet(store=store, refs={"turn": ""}).turn_model()


def test_the_features_are_whispers_log_mel_of_the_last_eight_seconds():
    from transformers import WhisperFeatureExtractor

    audio = load_audio(JFK)  # 11 s: the model hears its last 8
    window = model_input(audio)
    assert window.shape == (WINDOW_S * SAMPLE_RATE,) and np.array_equal(window, audio[-len(window):])
    short = model_input(audio[:SAMPLE_RATE])  # 1 s: zeros in front
    assert not short[: 7 * SAMPLE_RATE].any() and np.array_equal(short[-SAMPLE_RATE:], audio[:SAMPLE_RATE])
    reference = WhisperFeatureExtractor(chunk_length=8)
    for clip in (window, short):
        expected = reference(clip, sampling_rate=SAMPLE_RATE, return_tensors="np", padding="max_length",
                             max_length=len(clip), truncation=True, do_normalize=True).input_features[0]
        ours = log_mel(clip)
        assert ours.shape == expected.shape == (N_MELS, 800)
        assert np.abs(ours - expected).max() < 1e-4


def test_a_finished_english_sentence_is_complete_and_cut_mid_sentence_it_is_not(turn):
    audio = load_audio(JFK)  # "... ask not what your country can do for you, ask what you can do for your country."
    finished = turn.probability(audio)
    mid_sentence = turn.probability(_cut(audio, 4.0))  # 4.0 s: "... ask not | what your country ..."
    # the int8 model's score of this clip depends on the CPU's kernels: 0.83 on one host, 0.76 on another
    assert finished > 0.7, finished
    assert mid_sentence < 0.2 and mid_sentence < finished - 0.5, (finished, mid_sentence)


def test_a_finished_korean_sentence_is_complete_and_cut_mid_sentence_it_is_not(turn):
    audio = load_audio(KO_CLIP)  # "... 민간 자문단장으로 위촉되면서 본격적인 공모와 개발 작업에 들어갔다"
    finished = turn.probability(audio)
    mid_sentence = turn.probability(_cut(audio, 7.25))  # 7.25 s: "... 위촉되면서 본격적 | 인 공모와 ..."
    assert finished > 0.9, finished
    assert mid_sentence < 0.3 and mid_sentence < finished - 0.5, (finished, mid_sentence)


def test_telephone_rate_audio_is_resampled(turn):
    from models.audio import resample

    audio = load_audio(JFK)
    assert abs(turn.probability(resample(audio, SAMPLE_RATE, 8000), sample_rate=8000)
               - turn.probability(audio)) < 0.15
