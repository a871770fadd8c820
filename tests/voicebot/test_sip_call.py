"""Real SIP calls: baresip (a SIP phone) calls a real Dasan server started with ``DASAN_SIP_PORT``, speaking a
synthesised question from a WAV file over G.711 RTP; the call's record is read over the HTTP API with an agent's
token, and what the phone heard is the WAV baresip's ``sndfile`` module dumps."""

import json
import shutil
import socket
import subprocess
import threading
import time
import wave
from pathlib import Path

import numpy as np
import pytest

from voicebot.language import PHRASES
from voicebot.sip import record_id

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(shutil.which("baresip") is None,
                                 reason="baresip is not installed (`make` installs it, see SYSTEM_PACKAGES)")]
PHONE_RATE = 8_000


def _free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _free_tcp_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class _WithSip:
    """The tests' runtime as a server started with these ``DASAN_SIP_*`` settings sees it."""

    def __init__(self, runtime, **settings):
        self._runtime = runtime
        self.settings = runtime.settings.model_copy(update={"jobs_in_process": False, "sample_data": False,
                                                            **settings})

    def __getattr__(self, name: str):
        return getattr(self._runtime, name)


class Phone:
    """baresip in a directory of its own, driven over its ``ctrl_tcp`` socket (JSON in netstrings)."""

    def __init__(self, directory: Path, source: Path):
        self.dir = directory
        self.dir.mkdir(parents=True, exist_ok=True)
        self.ctrl_port = _free_tcp_port()
        (self.dir / "config").write_text("\n".join([
            "poll_method epoll", "sip_listen 127.0.0.1:0", "sip_trans_def udp",
            f"audio_source aufile,{source}", "audio_player aubridge,nil", "audio_alert aubridge,nil",
            "module_path /usr/lib/baresip/modules", "module g711.so", "module aufile.so", "module aubridge.so",
            "module sndfile.so", f"snd_path {self.dir}", "module_app account.so", "module_app menu.so",
            "module_app ctrl_tcp.so", f"ctrl_tcp_listen 127.0.0.1:{self.ctrl_port}", ""]))
        (self.dir / "accounts").write_text("<sip:caller@127.0.0.1>;regint=0;audio_codecs=PCMU,PCMA\n")
        self.log = open(self.dir / "baresip.log", "w")
        self.process = subprocess.Popen(["baresip", "-f", str(self.dir)], stdin=subprocess.DEVNULL,
                                        stdout=self.log, stderr=subprocess.STDOUT)
        self.events: list[dict] = []
        deadline = time.monotonic() + 10
        while True:
            try:
                self.sock = socket.create_connection(("127.0.0.1", self.ctrl_port), timeout=1)
                break
            except OSError:
                if time.monotonic() > deadline or self.process.poll() is not None:
                    raise AssertionError(f"baresip did not start: {self.output()}")
                time.sleep(0.1)
        self.sock.settimeout(None)
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        buffer = b""
        while True:
            try:
                data = self.sock.recv(65536)
            except OSError:
                return
            if not data:
                return
            buffer += data
            while b":" in buffer:
                length, _, rest = buffer.partition(b":")
                if len(rest) < int(length) + 1:
                    break
                self.events.append(json.loads(rest[:int(length)]))
                buffer = rest[int(length) + 1:]

    def command(self, command: str, params: str = "") -> None:
        body = json.dumps({"command": command, "params": params, "token": command}).encode()
        self.sock.sendall(str(len(body)).encode() + b":" + body + b",")

    def event(self, kind: str, timeout: float) -> dict:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for event in self.events:
                if event.get("event") and event.get("type") == kind:
                    return event
            time.sleep(0.05)
        raise AssertionError(f"no {kind} from baresip in {timeout} s; events: {self.events}\n{self.output()}")

    def heard(self) -> np.ndarray:
        """What the phone played: the decoded audio sndfile dumped (8 kHz int16)."""
        (dump,) = self.dir.glob("dump-*-dec.wav")
        with wave.open(str(dump)) as wav:
            return np.frombuffer(wav.readframes(wav.getnframes()), dtype=np.int16)

    def output(self) -> str:
        self.log.flush()
        return (self.dir / "baresip.log").read_text(errors="replace")[-4000:]

    def close(self) -> None:
        self.command("quit")
        try:
            self.process.wait(5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.sock.close()
        self.log.close()


def _wav(path: Path, *parts: np.ndarray) -> Path:
    """16 kHz float parts -> an 8 kHz int16 WAV for baresip's aufile (which ends the call at its end)."""
    from models.audio import resample

    audio = resample(np.concatenate(parts).astype(np.float32), 16_000, PHONE_RATE)
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(PHONE_RATE)
        wav.writeframes((np.clip(audio, -1, 1) * 32767).astype("<i2").tobytes())
    return path


def _silence(seconds: float) -> np.ndarray:
    return np.zeros(int(seconds * 16_000), dtype=np.float32)


@pytest.fixture(scope="module")
def sip_server(runtime, assistant, server):
    from tests.harness import serve

    port = _free_udp_port()
    nobody = _free_tcp_port()  # the transfer target: the phone's connection is refused, its NOTIFY says so at once
    with serve(runtime=_WithSip(runtime, sip_port=port, sip_host="127.0.0.1",
                                sip_transfer_uri=f"sip:{{target}}@127.0.0.1:{nobody};transport=tcp"),
               ready=False, ws="websockets-sansio") as served:
        served.sip_port, served.transfer_port = port, nobody
        served.agent_token = server.agent_token
        yield served


def _wait_record(server, call_id: str, done, timeout: float) -> dict:
    """The call's record from the SIP server's HTTP API (with an agent's token) once ``done(record)``."""
    from voicebot.simulated_caller import call_record

    deadline = time.monotonic() + timeout
    record = None
    while time.monotonic() < deadline:
        try:
            record = call_record(server.base, call_id, server.agent_token)
        except Exception:  # not registered yet (404)
            record = None
        if record is not None and done(record):
            return record
        time.sleep(0.2)
    raise AssertionError(f"call {call_id}: not there in {timeout} s: {record}")


def _answered(record: dict) -> bool:
    roles = [line["role"] for line in record["transcript"] if line.get("text")]
    return "caller" in roles and roles[roles.index("caller") + 1:].count("bot") >= 1


def _words(text: str) -> set[str]:
    return {word.strip(".,?!:;\"'").lower() for word in text.split() if len(word.strip(".,?!:;\"'")) >= 5}


def test_a_sip_phone_asks_hears_the_answer_and_presses_0_for_an_agent(sip_server, server, speak, model_set,
                                                                      tmp_path):
    greeting = speak(PHRASES["en"]["greeting"])
    source = _wav(tmp_path / "question.wav", _silence(len(greeting) / 16_000 + 1.5),
                  speak("What time does the last subway leave?"), _silence(60))
    phone = Phone(tmp_path / "phone", source)
    try:
        phone.command("dial", f"sip:en@127.0.0.1:{sip_server.sip_port}")
        established = phone.event("CALL_ESTABLISHED", 10)
        call_id = record_id(established["id"])
        record = _wait_record(sip_server, call_id, _answered, 45)
        asked = next(line for line in record["transcript"] if line["role"] == "caller" and line.get("text"))
        assert "subway" in asked["text"].lower()
        said = [line for line in record["transcript"] if line["role"] == "bot" and line.get("text")][-1]
        time.sleep(len((said.get("spoken") or said["text"]).split()) / 2.5 + 1.0)  # the answer is heard out
        phone.command("sndcode", "0")
        phone.event("CALL_CLOSED", 20)  # the REFER, the phone's NOTIFY (the target refused), then Dasan's BYE
        record = _wait_record(sip_server, call_id, lambda r: r["ended_at"] is not None, 15)
        heard = phone.heard().astype(np.float32) / 32768
        referred = f"connecting to '<sip:agent@127.0.0.1:{sip_server.transfer_port};transport=tcp>'"
        assert referred in phone.output()  # the phone followed the REFER to the agent's URI
    finally:
        phone.close()
    assert record["outcome"] == "transferred" and record["transfer_target"] == "agent"
    assert [line.get("dtmf") for line in record["transcript"] if line.get("dtmf")] == ["0"]
    turn = record["turns"][0]
    assert "subway" in turn["text"].lower() and turn["entry"] == "faq-0007"
    assert record["transcript"][-1]["role"] == "bot"  # the transfer line, said before the REFER
    frames = heard[: len(heard) // 160 * 160].reshape(-1, 160)
    loud = np.sqrt((frames ** 2).mean(axis=1)) > 0.01
    assert loud.sum() * 0.02 > 5.0, f"the phone heard {loud.sum() * 0.02:.1f} s of the bot"  # greeting + answer
    # what the phone heard, transcribed: the greeting, then words of the answer as the record says it was said
    from models.audio import resample
    from voicebot.asr import hear

    text = hear(model_set, resample(heard, PHONE_RATE, 16_000)[:28 * 16_000], "en", identify=False).text
    bot = [line for line in record["transcript"] if line["role"] == "bot" and line.get("text")]
    answer = bot[1].get("spoken") or bot[1]["text"]
    assert "help" in text.lower(), text
    assert len(_words(answer) & _words(text)) >= 2, (answer, text)


def test_a_sip_phone_barges_in_on_the_greeting_and_hangs_up(sip_server, server, speak, tmp_path):
    source = _wav(tmp_path / "interrupt.wav", _silence(1.5), speak("Wait, stop please."), _silence(60))
    phone = Phone(tmp_path / "phone", source)
    try:
        phone.command("dial", f"sip:120@127.0.0.1:{sip_server.sip_port};lang=en")
        call_id = record_id(phone.event("CALL_ESTABLISHED", 10)["id"])
        _wait_record(sip_server, call_id, lambda r: r["barge_ins"], 20)
        phone.command("hangup")
        phone.event("CALL_CLOSED", 5)
        record = _wait_record(sip_server, call_id, lambda r: r["ended_at"] is not None, 15)
    finally:
        phone.close()
    assert record["outcome"] == "hangup" and record["barge_ins"] and record["mode"] == "en"
    deadline = time.monotonic() + 5
    while sip_server.tasks("call-") and time.monotonic() < deadline:
        time.sleep(0.1)
    assert sip_server.tasks("call-") == []
