"""Speakers with the real GE2E encoder on a real two-speaker AMI meeting excerpt."""

from pathlib import Path

import numpy as np
import pytest

from minutes.evaluation import read_rttm
from minutes.metrics import der
from minutes.speakers import SpeakerTracker, diarize
from models.audio import load_audio

pytestmark = pytest.mark.slow
DATA = Path(__file__).resolve().parents[1] / "data"


def test_encoder_tells_voices_apart(speaker_encoder):
    audio = load_audio(DATA / "ami_dev00.wav")
    turns = read_rttm(DATA / "ami_dev00.rttm")
    a1 = speaker_encoder.embed(audio[int(1.5 * 16000):int(13.0 * 16000)])  # MEE009
    a2 = speaker_encoder.embed(audio[int(22.0 * 16000):int(26.0 * 16000)])  # MEE009 again
    b = speaker_encoder.embed(audio[int(13.4 * 16000):int(16.9 * 16000)])  # MEE012
    assert {t[2] for t in turns} == {"MEE009", "MEE012"}
    assert abs(float(np.linalg.norm(a1)) - 1.0) < 1e-4
    assert float(a1 @ a2) > float(a1 @ b)


def test_diarization_of_a_real_meeting(speaker_encoder, model_set):
    audio = load_audio(DATA / "ami_dev00.wav")
    hypothesis = diarize(audio, speaker_encoder, model_set.new_vad())
    assert hypothesis and all(s < e for s, e, _ in hypothesis)
    assert der(read_rttm(DATA / "ami_dev00.rttm"), hypothesis) < 0.6  # see the README for the measured DER


def test_live_tracker_keeps_one_speaker_for_one_voice_and_refines(speaker_encoder, jfk_audio):
    tracker = SpeakerTracker(speaker_encoder)
    labels = [tracker.assign(n, jfk_audio[int(a * 16000):int(b * 16000)], a, b)
              for n, (a, b) in enumerate([(0.3, 2.5), (3.2, 4.5), (4.6, 7.5), (7.8, 10.8)])]
    assert labels[0] == "Speaker 1"
    assert tracker.refine() == {} or set(tracker.refine().values()) == {"Speaker 1"}
    assert tracker.assign(9, np.zeros(1000, dtype=np.float32), 11.0, 11.06) == labels[-1]  # too short to embed


def test_tracker_refine_stays_bounded_on_long_meetings(speaker_encoder):
    """Past ``max_refine`` segments, runs of one live speaker are pooled before the final clustering."""
    audio = load_audio(DATA / "ami_dev00.wav")
    turns = [t for t in read_rttm(DATA / "ami_dev00.rttm") if t[1] - t[0] >= 1.0]
    tracker = SpeakerTracker(speaker_encoder)
    tracker.max_refine = 4
    for n, (start, end, _) in enumerate(turns):
        tracker.assign(n, audio[int(start * 16000):int(end * 16000)], start, end)
    assert len(turns) > tracker.max_refine
    units = tracker._units()
    assert len(units) <= tracker.max_refine
    assert sorted(i for members, _ in units for i in members) == list(range(len(turns)))
    assert all(abs(float(np.linalg.norm(vector)) - 1.0) < 1e-3 for _, vector in units)
    tracker.refine()
    assert 1 <= tracker.speakers <= len(units)
    assert tracker._segments[0][1].dtype == np.float16  # half a kilobyte a segment
