"""Streaming on running speech (real clips joined with short pauses, so the decoder cuts and commits inside the
talk, as in a meeting), with the real models: nothing invented after a pause, a loop decoded again."""

import numpy as np
import pytest

from minutes.error_breakdown import breakdown
from minutes.metrics import score
from models.asr import TranscribeOptions
from models.audio import load_audio
from speech.transcriber import StreamingOptions, make_transcriber, run_stream
from tests.speech_data import KO_CLIP, KO_MORE, KO_TEXT

pytestmark = pytest.mark.slow


def test_korean_running_speech_streams_about_as_well_as_it_decodes_whole(model_set, monkeypatch):
    """Three read Korean clips with 0.3 s pauses between them. At the third clip's start the VAD opened a short
    utterance with no word in it (the next window, from where it ended, begins with the clip's first word), and
    Whisper, prompted with the two sentences before, wrote twelve words of its own into it ("이 장관은 이 장관의
    동작을 통해 공사에 ...", 0.86 s of audio). On the five dev clips joined so (``bench/streaming_breakdown.py
    --joined 0.3``) that was CER 0.197 streamed against 0.047 decoded whole."""
    gap = np.zeros(int(0.3 * 16_000), dtype=np.float32)
    pieces = [load_audio(KO_CLIP), gap, load_audio(KO_MORE[0][0]), gap, load_audio(KO_MORE[1][0])]
    audio = np.concatenate(pieces)
    reference = KO_TEXT + KO_MORE[0][1] + KO_MORE[1][1]
    step = int(0.256 * 16_000)
    transcriber = make_transcriber(model_set, options=StreamingOptions(language="ko"))
    decodes = []  # (repetition penalty, compression ratio) of every decode the stream made
    decode = transcriber.processor.decoder.decode

    def recorded(window, options):
        result = decode(window, options)
        decodes.append((options.repetition_penalty, result.compression_ratio))
        return result

    # the decoder is the process's shared one: the recorder is taken off it after the test
    monkeypatch.setattr(transcriber.processor.decoder, "decode", recorded)
    segments = run_stream(transcriber, [audio[i:i + step] for i in range(0, len(audio), step)])
    texts = [s.text for s in segments]
    streamed = score(reference, " ".join(texts), "ko").rate
    whole = model_set.transcriber().transcribe(audio, TranscribeOptions(language="ko", beam_size=1)).text
    offline = score(reference, whole, "ko").rate
    parts = breakdown("joined", reference, texts, whole, whole, "ko")
    assert parts.errors["inserted"] == 0 and parts.errors["dropped"] == 0, (parts.errors, texts)
    assert streamed <= offline + 0.03, (streamed, offline, texts)
    # Whisper looped at the second clip's start ("현재 100화점과 영화간되는 오픈의 영화 파구이." three times over,
    # compression 2.85): such a window is decoded once more with repetition made costly
    loops = [k for k, (penalty, ratio) in enumerate(decodes) if penalty == 1.0 and ratio > 2.4]
    assert loops, decodes
    assert all(decodes[k + 1][0] > 1.0 for k in loops), decodes
