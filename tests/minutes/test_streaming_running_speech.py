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
    decodes = _record_decodes(transcriber, monkeypatch)
    segments = run_stream(transcriber, [audio[i:i + step] for i in range(0, len(audio), step)])
    texts = [s.text for s in segments]
    streamed = score(reference, " ".join(texts), "ko").rate
    whole = model_set.transcriber().transcribe(audio, TranscribeOptions(language="ko", beam_size=1)).text
    offline = score(reference, whole, "ko").rate
    parts = breakdown("joined", reference, texts, whole, whole, "ko")
    # On another machine (probably its CPU's kernels) Whisper still wrote "이 장관은" (4 syllables) into that
    # opening, not the twelve words of before the density check; none on this project's machine of 2026-12-07
    assert parts.errors["inserted"] <= 4 and parts.errors["dropped"] == 0, (parts.errors, texts)
    # the two decodes hear a few syllables differently, more or fewer by machine: with ctranslate2's MKL kernels
    # (CT2_USE_MKL=1, as on an Intel CPU) 0.107 streamed against 0.069 whole, 5 of the 131 syllables; the defect
    # above cost 15 points
    assert streamed <= offline + 0.05, (streamed, offline, texts)
    # Whisper looped at the second clip's start in the runs of 2026-12-04 ("현재 100화점과 영화간되는 오픈의 영화
    # 파구이." three times over, compression 2.85), not in those of 2026-12-07: a loop, where there is one, is decoded
    # again (the next test makes sure of a loop)
    assert all(decodes[k + 1][0] > 1.0 for k in _loops(decodes, 2.4)), decodes


def test_a_window_that_loops_is_decoded_again_with_repetition_made_costly(model_set, monkeypatch):
    """Whether Whisper loops on a given window differs from one machine to another (probably its CPU's int8
    kernels: the same package versions looped in one CI run and not here), so here the loop threshold is set
    under an ordinary window's compression ratio (about 1 to 1.5 for Korean): every window with words counts as
    a loop and must be decoded once more with the repetition penalty."""
    from speech.filters import FilterOptions, HallucinationFilter

    transcriber = make_transcriber(model_set, options=StreamingOptions(language="ko"))
    transcriber.processor.filters = HallucinationFilter(FilterOptions(max_compression_ratio=0.5))
    decodes = _record_decodes(transcriber, monkeypatch)
    audio = load_audio(KO_CLIP)
    step = int(0.256 * 16_000)
    run_stream(transcriber, [audio[i:i + step] for i in range(0, len(audio), step)])
    loops = _loops(decodes, 0.5)
    assert loops, decodes
    assert all(k + 1 < len(decodes) and decodes[k + 1][0] > 1.0 for k in loops), decodes


def _record_decodes(transcriber, monkeypatch) -> list[tuple[float, float]]:
    """(repetition penalty, compression ratio) of every decode the stream makes, in order (ratio 0 without words)."""
    decodes = []
    decode = transcriber.processor.decoder.decode

    def recorded(window, options):
        result = decode(window, options)
        decodes.append((options.repetition_penalty, result.compression_ratio if result.words else 0.0))
        return result

    # the decoder is the process's shared one: the recorder is taken off it after the test
    monkeypatch.setattr(transcriber.processor.decoder, "decode", recorded)
    return decodes


def _loops(decodes: list[tuple[float, float]], threshold: float) -> list[int]:
    return [k for k, (penalty, ratio) in enumerate(decodes) if penalty == 1.0 and ratio > threshold]
