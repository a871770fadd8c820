"""``dasan eval voicebot``'s measurement itself (voicebot.evaluation, dasan.minutes_load): a real call through the
real server with the caller pausing mid-question while a minutes upload is transcribed in the same process."""

from __future__ import annotations

import numpy as np
import pytest

from dasan.minutes_load import MinutesLoad
from minutes.metrics import edit_distance
from tests.speech_data import DATA, JFK
from voicebot.evaluation import evaluate, halves, speak_all, with_inner_pause

pytestmark = pytest.mark.slow


def test_a_question_is_cut_in_two_halves_at_a_word_boundary():
    assert halves("Where can I renew my passport") == ("Where can I", "renew my passport")
    assert halves("How do I pay") == ("How do", "I pay")
    assert halves("Bus fare?") is None  # too short to pause inside


def test_an_inner_pause_goes_into_the_quietest_moment_between_middle_words():
    rate = 16_000
    tone = (0.5 + 0.4 * np.sin(np.arange(rate) * 0.3)).astype(np.float32)
    audio = tone.copy()
    audio[int(0.52 * rate):int(0.55 * rate)] = 0.0  # the real gap lies a little after the recogniser's boundary
    audio[int(0.69 * rate):int(0.71 * rate)] *= 0.1  # a quieter moment at the next boundary, not a silent one
    words = [Word(0.0, 0.15), Word(0.15, 0.3), Word(0.3, 0.5), Word(0.56, 0.7), Word(0.7, 0.85), Word(0.85, 1.0)]
    paused = with_inner_pause(audio, words, 0.5)
    assert len(paused) == len(audio) + rate // 2
    silent = np.flatnonzero(paused == 0.0)
    # one run of silence (the gap's and the pause's), starting inside the gap, not in a word
    assert 0.52 * rate <= silent[0] <= 0.55 * rate and len(silent) >= rate // 2
    assert np.array_equal(paused[:silent[0]], audio[:silent[0]])
    assert with_inner_pause(audio, words[:3], 0.5) is None  # too short to pause inside


def test_a_question_spoken_whole_pauses_between_its_middle_words(model_set):
    """The bundled voice says the question once; the pause goes in at a boundary Whisper timed near the middle,
    and what comes before and after it are the question's two parts (no word cut in two). Piper's voice varies
    from one synthesis to the next and Whisper mishears some ("where can I run into my passport", in CI): two of
    three syntheses must come out right."""
    from speech.backends import DecodeOptions
    from speech.transcriber import window_decoder_for

    decoder = window_decoder_for(model_set)
    sentence = ["where", "can", "i", "renew", "my", "passport"]

    def heard(part):  # Whisper sometimes says the text again into the padding, with no duration: left out
        return " ".join(w.text for w in decoder.decode(part, DecodeOptions(language="en")).words if w.end > w.start)

    outcomes = []
    for _ in range(3):
        audio = speak_all(model_set, ["Where can I renew my passport?"], "en", 0.6)[0]
        quiet = np.abs(audio) < 1e-4
        runs = np.flatnonzero(np.diff(np.concatenate([[0], quiet.astype(np.int8), [0]])))
        starts, ends = runs[::2], runs[1::2]
        longest = int(np.argmax(ends - starts))
        assert ends[longest] - starts[longest] >= 0.6 * 16_000
        before, after, whole = heard(audio[:starts[longest]]), heard(audio[ends[longest]:]), heard(audio)
        # the pause went in between two words, near the middle (Whisper may time "passport" as two words), and
        # cut no word in two
        outcomes.append((before, after, whole))
    # Whisper hears a part on its own less surely than the whole, and not the same on every machine (CI heard
    # "where can I ring?" + "my passport." and "where can I renew?" + "do my passport."): one word misheard,
    # added or dropped at the cut is tolerated; a word cut in two leaves a wrong word on both sides
    right = [o for o in outcomes if _parts_heard_right(*o, sentence)]
    assert len(right) >= 2, outcomes


def _parts_heard_right(before: str, after: str, whole: str, sentence: list[str]) -> bool:
    first, second = _words(before), _words(after)
    return (_words(whole) == sentence and edit_distance(sentence, first + second) <= 1 and 2 <= len(first) <= 5
            and first[:2] == sentence[:2] and second[-1:] == sentence[-1:])


def _words(text: str) -> list[str]:
    return "".join(c for c in text.lower() if c.isalpha() or c.isspace()).split()


class Word:
    def __init__(self, start: float, end: float):
        self.start, self.end = start, end


def test_a_hesitating_caller_during_a_minutes_upload(server, runtime, model_set, no_leftovers):
    rows = [{"query": "How much is the bus fare in Seoul?", "expected_id": "faq-0001"}]
    with MinutesLoad(runtime, JFK) as load:
        result = evaluate(server.served, model_set, rows, server.record, "en", barge_in=False, hesitation=0.6)
    summary = load.summary()
    assert summary["jobs_done"] + summary["jobs_failed"] >= 1 and summary["jobs_failed"] == 0
    assert summary["audio_s_transcribed"] > 10  # the upload was really transcribed, meanwhile
    assert result["hesitation_s"] == 0.6 and result["n"] == 1 and result["leaked_tasks"] == 0
    call = result["calls"][0]
    assert call["error"] is None
    # "How much is ... the bus fare in Seoul?" (or "How much is the ... bus fare"): the pause is no end of turn;
    # Whisper hears the first part as "How much is?" (before the fix in sounds_finished, a false cut-off)
    assert not call["cut_off"] and result["false_cutoff_rate"] == 0.0 and 0 < result["latency_p50_s"] < 10
    heard = (call["heard"] or "").lower()
    # both halves in one turn: the words after the pause too (Whisper hears "bus fare in Seoul" several ways:
    # "busfaring soul", "best-faring soul")
    assert heard.startswith("how much is the") and len(heard.removeprefix("how much is the").split()) >= 2
    assert set(result["stages_p95"]) == {"end_of_turn", "asr", "assistant", "first_tts_chunk"}


def test_while_minutes_without_a_job_worker_is_refused_by_name(tmp_path):
    from tests.minutes.test_cli import dasan

    done = dasan("eval", "voicebot", "--paraphrases", str(DATA / "kb" / "eval_paraphrases.jsonl"), "--while-minutes",
                 str(JFK), data_dir=tmp_path / "var", timeout=120, env={"DASAN_JOBS_IN_PROCESS": "false"})
    assert done.returncode == 2 and "DASAN_JOBS_IN_PROCESS" in done.stderr
