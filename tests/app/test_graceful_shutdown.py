"""SIGTERM to a real `dasan serve` process while a voice call is connected and an upload is being transcribed:
the server says it is draining, the job runs to its end, the call goes on until the caller hangs up, and only
then does the process stop."""

from __future__ import annotations

import asyncio
import json
import signal
import time

import httpx
import pytest

from tests.speech_data import JFK

pytestmark = pytest.mark.slow


def _job(data_dir, job_id: str):
    from database import make_engine
    from database.jobs import JobQueue

    engine = make_engine(f"sqlite:///{data_dir / 'dasan.db'}")
    try:
        return JobQueue(engine).get(job_id)
    finally:
        engine.dispose()


def test_sigterm_finishes_the_call_and_the_job_in_flight_then_stops(tmp_path, kb_index_dir):
    import websockets

    from dasan.runtime import Runtime
    from tests.harness import clean_settings, start_process, stop_process

    data_dir = tmp_path / "var"
    server, base = start_process(data_dir, DASAN_INDEX_DIR=kb_index_dir, DASAN_SHUTDOWN_GRACE_S="120")
    try:
        with Runtime.open(clean_settings(data_dir=data_dir)) as runtime:
            token = runtime.staff_tokens.create("tests-official", [], role="official", department="도시교통실").token
        auth = {"Authorization": f"Bearer {token}"}
        assert (data_dir / "dasan.db").exists()

        async def call_through_shutdown() -> dict:
            ws_url = base.replace("http://", "ws://") + "/voicebot/browser?lang=en"
            async with websockets.connect(ws_url, max_size=None) as ws:
                first = json.loads(await ws.recv())
                assert first["type"] == "call"
                with open(JFK, "rb") as f:
                    created = httpx.post(f"{base}/minutes/jobs", headers=auth, timeout=60,
                                         files={"file": ("jfk.flac", f, "audio/flac")},
                                         data={"language": "en", "compose": "extractive"})
                job_id = created.json()["job_id"]
                deadline = time.monotonic() + 60
                while _job(data_dir, job_id).status != "running" and time.monotonic() < deadline:
                    await asyncio.sleep(0.05)
                server.send_signal(signal.SIGTERM)
                await ws.send(json.dumps({"type": "dtmf", "digit": "*"}))
                await asyncio.sleep(1.0)
                draining = httpx.get(f"{base}/readyz", timeout=10)
                seen = {"draining": draining.status_code == 503 and "draining" in draining.json()["checks"],
                        "alive_while_busy": server.poll() is None, "job_id": job_id}
                deadline, nudged = time.monotonic() + 120, time.monotonic()
                while _job(data_dir, job_id).status == "running" and time.monotonic() < deadline:
                    await asyncio.sleep(0.2)
                    if time.monotonic() - nudged > 4:  # a key press now and then: the caller is still there
                        await ws.send(json.dumps({"type": "dtmf", "digit": "*"}))
                        nudged = time.monotonic()
                seen["alive_after_job"] = server.poll() is None  # the call still holds it open
                await ws.send(json.dumps({"type": "hangup"}))
                try:
                    while True:
                        await asyncio.wait_for(ws.recv(), 30)
                except websockets.ConnectionClosed as closed:
                    seen["close_code"] = closed.rcvd.code if closed.rcvd else None
            return seen

        seen = asyncio.run(call_through_shutdown())
        exit_code = server.wait(60)
    finally:
        log = stop_process(server)
    assert seen["draining"] and seen["alive_while_busy"] and seen["alive_after_job"], (seen, log[-3000:])
    assert seen["close_code"] != 1012, seen  # ended by the hang-up, not cut by the shutdown
    job = _job(data_dir, seen["job_id"])
    assert job.status == "done" and job.attempts == 1, job  # finished here, not given back
    # uvicorn ends by the signal it caught, once shut down (exit status -15), as without the drain
    assert exit_code in (0, -signal.SIGTERM) and "finishing what is in flight" in log, (exit_code, log[-3000:])
    assert log.index("nothing in flight: stopping") < log.index("Shutting down")
