"""The VAD gate the minutes transcriber and the voicebot share (speech.vad_gate), on real speech with the real
Silero VAD: frames cut the same however the audio arrives, speech found with hysteresis and a pre-roll, the
silence override (the voicebot's echo gate) and the stricter barge-in threshold."""

import numpy as np
import pytest

from models.vad import load_vad
from speech.vad_gate import GateOptions, VadGate


@pytest.fixture(scope="module")
def vad(store):
    return load_vad("silero-vad", store)


@pytest.fixture(scope="module")
def audio(jfk_audio):
    silence = np.zeros(16_000, dtype=np.float32)
    return np.concatenate([silence, jfk_audio[: 6 * 16_000], silence, silence])


def _steps(gate, audio, sizes=(700, 3, 1500, 512, 4001)):
    steps, at, i = [], 0, 0
    while at < len(audio):
        size = sizes[i % len(sizes)]
        steps += list(gate.feed(audio[at:at + size]))
        at, i = at + size, i + 1
    return steps


def test_frames_and_speech_follow_the_probabilities_with_hysteresis(vad, audio):
    options = GateOptions(threshold=0.5, neg_threshold=0.35, pre_roll_s=0.25, loud_threshold=0.6)
    gate = VadGate(vad, options)
    steps = _steps(gate, audio)
    expected = vad.probabilities(audio[: len(audio) // 512 * 512])
    assert len(steps) == len(audio) // 512 and gate.samples == len(steps) * 512
    assert gate.carried == len(audio) % 512
    assert np.allclose([s.probability for s in steps], expected, atol=1e-6)
    assert all(np.array_equal(s.frame, audio[i * 512:(i + 1) * 512]) for i, s in enumerate(steps))
    onsets = [i for i, s in enumerate(steps) if s.onset]
    assert onsets and 0.9 < onsets[0] * 0.032 < 1.5  # the speech after a second of silence
    first = steps[onsets[0]]
    assert len(first.onset) == 8  # 0.25 s of pre-roll (7 frames) and the onset frame itself
    assert all(np.array_equal(f, audio[(onsets[0] - 7 + k) * 512:(onsets[0] - 6 + k) * 512])
               for k, f in enumerate(first.onset))
    in_speech = False
    for step, p in zip(steps, expected):
        if not in_speech:
            in_speech = p >= 0.5
            assert bool(step.onset) == in_speech and step.in_speech == in_speech
        else:
            assert step.in_speech and not step.onset and step.voiced == (p >= 0.35)
        assert step.loud == (p >= 0.6)
    assert not any(VadGate(vad, GateOptions()).step(s.frame).loud for s in steps[:50])  # no loud threshold


def test_the_caller_ends_an_utterance_and_the_next_speech_starts_another(vad, audio):
    gate = VadGate(vad, GateOptions())
    onsets = 0
    for at in range(0, len(audio), 1000):
        for step in gate.feed(audio[at:at + 1000]):  # the caller acts between one frame's step and the next
            onsets += bool(step.onset)
            if step.in_speech and (gate.speech_frames >= 10 or gate.silence_s >= 0.25):
                assert gate.speech_s == pytest.approx(gate.speech_frames * 0.032)
                assert gate.silence_s == pytest.approx(gate.silence_frames * 0.032)
                gate.end()  # e.g. a turn judged over, or a pause long enough
    assert onsets >= 3 and not gate.in_speech


def test_frames_declared_silence_never_start_speech(vad, audio):
    asked = []

    def echo(frame, end):
        asked.append(end)
        return True

    gate = VadGate(vad, GateOptions(loud_threshold=0.6), silence=echo)
    steps = _steps(gate, audio)
    expected = vad.probabilities(audio[: len(audio) // 512 * 512])
    assert not any(s.in_speech or s.loud for s in steps)
    # asked only of the frames that sound like speech or near it, with the sample clock at each frame's end
    near = [(i + 1) * 512 for i, p in enumerate(expected) if p >= 0.35]
    assert asked == near and gate.overridden == len(near) > 20
