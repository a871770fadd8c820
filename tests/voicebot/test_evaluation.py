"""``dasan eval voicebot``'s measurement itself (voicebot.evaluation, dasan.minutes_load): a real call through the
real server with the caller pausing mid-question while a minutes upload is transcribed in the same process."""

from __future__ import annotations

import pytest

from dasan.minutes_load import MinutesLoad
from tests.speech_data import DATA, JFK
from voicebot.evaluation import evaluate, halves

pytestmark = pytest.mark.slow


def test_a_question_is_cut_in_two_halves_at_a_word_boundary():
    assert halves("Where can I renew my passport") == ("Where can I", "renew my passport")
    assert halves("How do I pay") == ("How do", "I pay")
    assert halves("Bus fare?") is None  # too short to pause inside


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
    # "How much is the ... bus fare in Seoul?": the pause after "the" is no end of turn
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
