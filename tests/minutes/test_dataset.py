"""`dasan minutes export-dataset` as a user runs it, on a meeting where someone says a phone number (synthesised by
the bundled English Piper voice, transcribed by the real Whisper): the number is masked in the text and silenced in
the audio (Whisper hears no digits there), only consented meetings are exported, the Kaldi lists agree with the
manifest, speakers are pseudonyms, withdrawing consent deletes the kept recording."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import httpx
import numpy as np
import pytest
import soundfile

from tests.minutes.test_cli import dasan
from tests.speech_data import JFK

pytestmark = pytest.mark.slow

SCRIPT = "Good morning. My phone number is 010 1234 5678. The budget review starts now."
DIGITS = re.compile(r"\d|\b(zero|oh|one|two|three|four|five|six|seven|eight|nine|ten)\b", re.I)


@pytest.fixture(scope="module")
def recording(store, tmp_path_factory) -> Path:
    """The meeting: half a second of room silence, the sentence in the Piper voice, half a second of silence."""
    from models.audio import resample
    from models.tts import load_tts

    speech = load_tts("piper-joe-en", store, language="en").synthesize(SCRIPT)
    pad = np.zeros(8000, np.float32)
    path = tmp_path_factory.mktemp("dataset") / "budget-meeting.wav"
    soundfile.write(path, np.concatenate([pad, resample(speech.audio, speech.sample_rate), pad]), 16_000)
    return path


@pytest.fixture(scope="module")
def whisper(store):
    from models.asr import TranscribeOptions, load_transcriber

    transcriber = load_transcriber("whisper-base", store)
    return lambda audio: transcriber.transcribe(np.asarray(audio, np.float32), TranscribeOptions(language="en")).text


def meeting_store(data_dir: Path):
    from database import make_engine
    from minutes.store import MeetingStore

    return MeetingStore(make_engine(f"sqlite:///{data_dir / 'dasan.db'}"))


def read_corpus(out: Path) -> tuple[list[dict], dict[str, dict[str, str]]]:
    rows = [json.loads(line) for line in (out / "manifest.jsonl").read_text(encoding="utf-8").splitlines()]
    lists = {}
    for name in ("wav.scp", "text", "utt2spk"):
        lines = (out / name).read_text(encoding="utf-8").splitlines()
        lists[name] = dict(line.split(" ", 1) for line in lines)
        assert len(lists[name]) == len(lines) == len(rows), name
    return rows, lists


def longest_zero_run(audio: np.ndarray) -> tuple[int, int]:
    """Where the longest run of exactly zero samples (the silenced span) starts and ends."""
    edges = np.diff(np.concatenate([[0], (audio == 0.0).astype(np.int8), [0]]))
    starts, ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
    longest = int(np.argmax(ends - starts))
    return int(starts[longest]), int(ends[longest])


def check_masked_and_silenced(out: Path, whisper, recording: Path) -> list[dict]:
    """The corpus at ``out`` holds the meeting (``recording``) with the number masked in the text and silent in
    the audio."""
    rows, lists = read_corpus(out)
    for row in rows:  # the Kaldi lists are the manifest's
        assert lists["wav.scp"][row["id"]] == row["audio"] and lists["text"][row["id"]] == row["text"]
        assert lists["utt2spk"][row["id"]] == row["speaker"] and row["id"].startswith(row["speaker"])
        audio, rate = soundfile.read(out / row["audio"], dtype="float32")
        assert rate == 16_000 and audio.ndim == 1 and abs(audio.size / rate - row["duration"]) < 0.01
        assert row["language"] == "en" and re.fullmatch(r"spk[0-9a-f]{10}", row["speaker"])
    text = " ".join(r["text"] for r in rows)
    assert "[phone]" in text and not re.search(r"\d", text), text  # masked: no digit of the number is left
    assert "budget review" in text.lower() and "phone number" in text.lower()  # the rest is kept
    # ("Good morning." is not asserted: the streaming decoder sometimes drops a short first utterance, issue 18)
    masked = next(r for r in rows if "[phone]" in r["text"])
    audio, _ = soundfile.read(out / masked["audio"], dtype="float32")
    start, end = longest_zero_run(audio)
    assert end - start > 1.5 * 16_000, "the number was not silenced"  # "010 1234 5678" takes seconds to say
    span = audio[start:end]
    heard_span = whisper(np.concatenate([np.zeros(8000, np.float32), span, np.zeros(8000, np.float32)]))
    assert not DIGITS.search(heard_span), heard_span
    original, _ = soundfile.read(recording, dtype="float32")  # the same span of the recording said the number
    at = int(round(masked["offset"] * 16_000))
    pad = np.zeros(8000, np.float32)
    said = whisper(np.concatenate([pad, original[at + start:at + end], pad]))
    assert re.search(r"\d{3}", said), said
    heard = whisper(audio)  # the whole utterance: the rest of the sentence is still there, the number is not
    assert "phone" in heard.lower() and not DIGITS.search(heard), heard
    everything = np.concatenate([soundfile.read(out / r["audio"], dtype="float32")[0] for r in rows])
    heard_all = whisper(everything).lower()
    assert "budget" in heard_all and "phone" in heard_all and not DIGITS.search(heard_all), heard_all
    sheet = (out / "DATASHEET.md").read_text(encoding="utf-8")
    assert "Consent" in sheet and "LICENSE" in sheet and "does not guarantee" in sheet
    return rows


def test_a_consented_meeting_is_exported_with_the_phone_number_masked_and_silenced(recording, whisper, tmp_path):
    data = tmp_path / "var"
    done = dasan("minutes", "transcribe", str(recording), "--language", "en", "--compose", "extractive",
                 "--dataset-consent", data_dir=data)
    assert done.returncode == 0, done.stderr
    assert re.search(r"\d{4}", done.stdout), done.stdout  # Whisper heard the number in the recording
    other = dasan("minutes", "transcribe", str(JFK), "--language", "en", "--compose", "extractive", data_dir=data)
    assert other.returncode == 0, other.stderr
    store = meeting_store(data)
    consented = next(m for m in store.list() if m["consented"])
    unconsented = next(m for m in store.list() if not m["consented"])
    meeting = store.get(consented["id"])
    assert meeting.audio_path and Path(meeting.audio_path).is_file()
    assert soundfile.info(meeting.audio_path).samplerate == 16_000 and soundfile.info(meeting.audio_path).channels == 1
    assert store.get(unconsented["id"]).audio_path is None  # no consent: the recording is not kept
    meeting.rename_speaker("Speaker 1", "Director Kim")  # a name given in the minutes never reaches the corpus
    store.save(meeting)

    out = tmp_path / "corpus"
    done = dasan("minutes", "export-dataset", str(out), "--json", data_dir=data)  # default: every consented one
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout.strip().splitlines()[-1])
    assert summary["meetings"] == [meeting.id] and summary["masked_utterances"] == 1 and summary["left_out"] == 0
    rows = check_masked_and_silenced(out, whisper, recording)
    assert {r["meeting"] for r in rows} == {meeting.id}  # the unconsented meeting is not in it
    assert summary["utterances"] == len(rows)
    corpus_text = "".join(p.read_text(encoding="utf-8") for p in out.iterdir() if p.is_file())
    assert "Kim" not in corpus_text and "Speaker 1" not in corpus_text and "country" not in corpus_text

    again = dasan("minutes", "export-dataset", str(tmp_path / "again"), "--meeting", meeting.id, "--json",
                  data_dir=data)
    assert again.returncode == 0, again.stderr
    assert read_corpus(tmp_path / "again")[0] == rows  # stable ids and pseudonyms

    refused = dasan("minutes", "export-dataset", str(tmp_path / "no"), "--meeting", unconsented["id"], data_dir=data)
    assert refused.returncode == 2 and "not consented" in refused.stderr and "Traceback" not in refused.stderr
    unknown = dasan("minutes", "export-dataset", str(tmp_path / "no"), "--meeting", "nosuchmeeting", data_dir=data)
    assert unknown.returncode == 2 and "nosuchmeeting" in unknown.stderr
    full = dasan("minutes", "export-dataset", str(out), data_dir=data)
    assert full.returncode == 2 and "not an empty folder" in full.stderr

    # consent given later keeps nothing (the recording is gone), so the meeting stays out
    late = dasan("minutes", "consent", unconsented["id"], data_dir=data)
    assert late.returncode == 0 and "not kept" in late.stderr
    refused = dasan("minutes", "export-dataset", str(tmp_path / "no"), "--meeting", unconsented["id"], data_dir=data)
    assert refused.returncode == 2 and "not kept" in refused.stderr

    withdrawn = dasan("minutes", "consent", meeting.id, "--withdraw", data_dir=data)
    assert withdrawn.returncode == 0, withdrawn.stderr
    assert not Path(meeting.audio_path).exists() and store.get(meeting.id).audio_path is None
    nothing = dasan("minutes", "export-dataset", str(tmp_path / "none"), data_dir=data)
    assert nothing.returncode == 2 and "no meeting is consented" in nothing.stderr


def test_an_upload_consented_for_the_dataset_keeps_its_recording(recording, whisper, live_server, live_server_dir,
                                                                 live_auth, tmp_path):
    auth = live_auth("official", "기획조정실")
    with httpx.Client(base_url=live_server, timeout=60, headers=auth) as http:
        ids = []
        for consent in ("true", "false"):
            with open(recording, "rb") as f:
                created = http.post("/minutes/jobs", files={"file": (recording.name, f, "audio/wav")},
                                    data={"language": "en", "compose": "extractive", "dataset_consent": consent})
            assert created.status_code == 202, created.text
            job = created.json()
            deadline = time.monotonic() + 300
            while job["status"] not in ("done", "failed") and time.monotonic() < deadline:
                time.sleep(0.5)
                job = http.get(created.headers["Location"]).json()
            assert job["status"] == "done", job
            ids.append(job["meeting_id"])
        kept, plain = (http.get(f"/minutes/meetings/{i}").json() for i in ids)
        assert kept["consented"] and kept["audio_kept"] and not plain["consented"] and not plain["audio_kept"]

        out = tmp_path / "corpus"
        done = dasan("minutes", "export-dataset", str(out), "--meeting", ids[0], data_dir=live_server_dir)
        assert done.returncode == 0, done.stderr
        check_masked_and_silenced(out, whisper, recording)
        refused = dasan("minutes", "export-dataset", str(tmp_path / "no"), "--meeting", ids[1],
                        data_dir=live_server_dir)
        assert refused.returncode == 2 and "not consented" in refused.stderr

        withdrawn = http.put(f"/minutes/meetings/{ids[0]}/consent", json={"consented": False})
        assert withdrawn.status_code == 200 and withdrawn.json() == {"id": ids[0], "consented": False,
                                                                    "audio_kept": False}
    assert not list((live_server_dir / "uploads" / "minutes" / "kept-audio").glob(f"{ids[0]}*"))


def test_a_live_meeting_consented_for_the_dataset_keeps_what_was_streamed(recording, whisper, live_server,
                                                                          live_server_dir, live_auth, tmp_path):
    import asyncio

    from tests.minutes.test_api import stream_pcm, ws_url

    auth = live_auth("official", "기획조정실")
    audio, _ = soundfile.read(recording, dtype="float32")
    pcm = (np.clip(audio, -1, 1) * 32767).astype("<i2").tobytes()
    events = asyncio.run(stream_pcm(ws_url(live_server, language="en", compose="extractive", dataset_consent="true"),
                                    pcm, 3200, auth))
    meeting = next(e for e in events if e["type"] == "minutes")["meeting"]
    assert meeting["consented"] and meeting["audio_kept"]
    kept = live_server_dir / "uploads" / "minutes" / "kept-audio" / f"{meeting['id']}.flac"
    assert abs(soundfile.info(kept).duration - audio.size / 16_000) < 0.05  # all that was streamed, at 16 kHz
    out = tmp_path / "corpus"
    done = dasan("minutes", "export-dataset", str(out), "--meeting", meeting["id"], data_dir=live_server_dir)
    assert done.returncode == 0, done.stderr
    check_masked_and_silenced(out, whisper, recording)
    plain = asyncio.run(stream_pcm(ws_url(live_server, language="en", compose="extractive"), pcm, 3200, auth))
    plain = next(e for e in plain if e["type"] == "minutes")["meeting"]
    assert not plain["consented"] and not plain["audio_kept"]
    assert not (kept.parent / f"{plain['id']}.flac").exists()
