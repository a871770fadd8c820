"""`dasan minutes transcribe` and `dasan eval asr / diarization` as a user runs them (real models, real files)."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.speech_data import JFK, JFK_TEXT, KO_CLIP, KO_TEXT

pytestmark = pytest.mark.slow
DATA = Path(__file__).resolve().parents[1] / "data"


def dasan(*args, data_dir, timeout=600, env=None):
    env = {**os.environ, "DASAN_DATA_DIR": str(data_dir), **(env or {})}
    return subprocess.run([sys.executable, "-m", "dasan.cli", *args], capture_output=True, text=True, env=env,
                          timeout=timeout)


def test_transcribe_a_file_to_srt_and_find_it_again(tmp_path):
    out = tmp_path / "jfk.srt"
    done = dasan("minutes", "transcribe", str(JFK), "--language", "en", "-o", str(out), data_dir=tmp_path / "var")
    assert done.returncode == 0, done.stderr
    srt = out.read_text()
    assert srt.startswith("1\n00:00:0") and "Speaker 1: " in srt and "country" in srt
    listed = json.loads(dasan("minutes", "list", "--json", data_dir=tmp_path / "var").stdout)
    assert [m["title"] for m in listed] == ["jfk"]
    shown = dasan("minutes", "show", listed[0]["id"], data_dir=tmp_path / "var").stdout
    assert shown.startswith("# jfk")


def test_transcribe_refuses_bad_files_clearly(tmp_path):
    bad = tmp_path / "broken.wav"
    bad.write_bytes(b"RIFF\x00\x00\x00\x00WAVEjunk" * 10)
    done = dasan("minutes", "transcribe", str(bad), data_dir=tmp_path / "var")
    assert done.returncode == 2 and "broken.wav" in done.stderr and "Traceback" not in done.stderr
    done = dasan("minutes", "transcribe", str(tmp_path / "missing.mp3"), data_dir=tmp_path / "var")
    assert done.returncode == 2 and "no such file" in done.stderr
    done = dasan("minutes", "transcribe", str(JFK), "-o", str(tmp_path / "x.pdf"), data_dir=tmp_path / "var")
    assert done.returncode == 2 and ".docx" in done.stderr


@pytest.fixture(scope="module")
def manifest(tmp_path_factory):
    folder = tmp_path_factory.mktemp("set") / "mini"
    (folder / "audio").mkdir(parents=True)
    for clip in (JFK, KO_CLIP, DATA / "ami_dev00.wav"):
        shutil.copy(clip, folder / "audio" / clip.name)
    shutil.copy(DATA / "ami_dev00.rttm", folder / "dev00.rttm")
    rows = [{"file": f"audio/{JFK.name}", "transcript": JFK_TEXT, "language": "en", "utt_id": "jfk"},
            {"file": f"audio/{KO_CLIP.name}", "transcript": "지난해 삼 월 ...", "transcript_nospace": KO_TEXT,
             "language": "ko", "utt_id": "ko"},
            {"file": "audio/ami_dev00.wav", "transcript": None, "language": "en", "utt_id": "dev00",
             "rttm": "dev00.rttm"}]
    (folder / "manifest.jsonl").write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n")
    return folder


def test_eval_asr_offline_and_streaming_json_contract(manifest, tmp_path):
    offline = dasan("eval", "asr", "--manifest", str(manifest.parent), "--json", data_dir=tmp_path)
    assert offline.returncode == 0, offline.stderr
    result = json.loads(offline.stdout.strip().splitlines()[-1])
    assert result["sets"]["mini/en"]["n"] == result["sets"]["mini/ko"]["n"] == 1 and result["n"] == 2
    assert result["wer_en"] < 0.1 and result["cer_ko"] < 0.15 and result["speed_x"] > 0
    streaming = dasan("eval", "asr", "--manifest", str(manifest / "manifest.jsonl"), "--streaming", "--json",
                      data_dir=tmp_path)
    assert streaming.returncode == 0, streaming.stderr
    result = json.loads(streaming.stdout.strip().splitlines()[-1])
    assert result["wer_en"] < 0.1 and result["cer_ko"] < 0.15
    assert 0 < result["latency_p50_s"] <= result["latency_p90_s"] < 10 and result["speed_x"] > 0


def test_eval_diarization_json_contract(manifest, tmp_path):
    done = dasan("eval", "diarization", "--manifest", str(manifest), "--json", data_dir=tmp_path)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["n"] == 1 and 0 <= result["der"] < 0.6 and result["files"][0]["speakers_ref"] == 2


def test_eval_refuses_a_bad_manifest(tmp_path):
    bad = tmp_path / "manifest.jsonl"
    bad.write_text("{not json\n")
    done = dasan("eval", "asr", "--manifest", str(bad), data_dir=tmp_path)
    assert done.returncode == 2 and "manifest.jsonl:1" in done.stderr


def test_compose_is_chosen_per_run_and_bad_choices_are_refused(tmp_path):
    var = tmp_path / "var"
    out = tmp_path / "jfk.json"
    done = dasan("minutes", "transcribe", str(JFK), "--language", "en", "--compose", "extractive", "-o", str(out),
                 data_dir=var)
    assert done.returncode == 0, done.stderr
    assert "minutes by extractive" in done.stderr
    meeting = json.loads(out.read_text())
    assert meeting["minutes"]["composed_by"] == "extractive"
    done = dasan("minutes", "transcribe", str(JFK), "--compose", "poetry", data_dir=var)
    assert done.returncode == 2 and "compose must be one of" in done.stderr and "Traceback" not in done.stderr
    env_off = {"DASAN_LLM_ENABLED": "false"}
    done = dasan("minutes", "compose", meeting["id"], "--compose", "llm", data_dir=var, env=env_off)
    assert done.returncode == 2 and "disabled" in done.stderr and "Traceback" not in done.stderr
    done = dasan("minutes", "compose", "no-such-meeting", "--compose", "extractive", data_dir=var)
    assert done.returncode == 2 and "no meeting" in done.stderr
    done = dasan("minutes", "compose", meeting["id"], "--compose", "auto", data_dir=var, env=env_off)
    assert done.returncode == 0 and "## Decisions" in done.stdout and "extracted from the transcript" in done.stdout
