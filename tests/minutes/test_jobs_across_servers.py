"""Minutes jobs across processes: two real `dasan serve` processes on one PostgreSQL database and one uploads
folder; the server working on an upload is killed mid-job and the other server's worker finishes it, once."""

from __future__ import annotations

import os
import signal
import time

import httpx
import pytest

from tests.civic_services.conftest import postgres_available  # noqa: F401  (the fixture, for PostgreSQL)
from tests.speech_data import JFK

pytestmark = pytest.mark.slow


def _official_token(database_url: str, data_dir) -> dict:
    from dasan.runtime import Runtime
    from tests.harness import clean_settings

    with Runtime.open(clean_settings(database_url=database_url, data_dir=data_dir)) as runtime:
        token = runtime.staff_tokens.create("tests-official", [], role="official", department="도시교통실").token
    return {"Authorization": f"Bearer {token}"}


def _job_row(database_url: str, job_id: str):
    from sqlalchemy import create_engine, select

    from database.jobs import JobRow

    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            return conn.execute(select(JobRow.status, JobRow.lease_owner, JobRow.attempts)
                                .where(JobRow.id == job_id)).one()
    finally:
        engine.dispose()


def test_a_job_whose_server_is_killed_is_finished_by_the_other_server(tmp_path, request, postgres_available):
    from sqlalchemy import create_engine, func, select

    from minutes.store import meetings
    from tests.civic_services.conftest import make_database_url
    from tests.harness import start_process, stop_process

    url = make_database_url("postgresql", tmp_path, request)
    env = {"DATABASE_URL": url, "DASAN_UPLOADS_DIR": str(tmp_path / "uploads"), "DASAN_JOB_LEASE_S": "3",
           "DASAN_CHAT_ENABLED": "false"}
    servers = {}  # base URL -> the server's process
    try:
        for name in ("a", "b"):
            process, base = start_process(tmp_path / name / "var", **env)
            servers[base] = process
        auth = _official_token(url, tmp_path / "tokens" / "var")
        base_a = next(iter(servers))
        with open(JFK, "rb") as f:
            created = httpx.post(f"{base_a}/minutes/jobs", headers=auth, timeout=60,
                                 files={"file": ("jfk.flac", f, "audio/flac")},
                                 data={"language": "en", "title": "Inaugural", "compose": "extractive"})
        assert created.status_code == 202, created.text
        job_id = created.json()["job_id"]
        deadline = time.monotonic() + 60
        while (row := _job_row(url, job_id)).status != "running" and time.monotonic() < deadline:
            time.sleep(0.05)
        assert row.status == "running" and row.attempts == 1, row
        owner_pid = int(row.lease_owner.rsplit(":", 1)[1])
        doomed = next(base for base, process in servers.items() if process.pid == owner_pid)
        survivor = next(base for base in servers if base != doomed)
        os.kill(owner_pid, signal.SIGKILL)  # the worker dies with the job in hand
        servers.pop(doomed).wait(30)
        deadline = time.monotonic() + 180
        job = httpx.get(f"{survivor}/minutes/jobs/{job_id}", headers=auth, timeout=30).json()
        while job["status"] not in ("done", "failed") and time.monotonic() < deadline:
            time.sleep(0.5)
            job = httpx.get(f"{survivor}/minutes/jobs/{job_id}", headers=auth, timeout=30).json()
        assert job["status"] == "done" and job["attempts"] == 2, job
        assert job["meeting_id"] == job_id and job["progress"] == 1.0
        meeting = httpx.get(f"{survivor}/minutes/meetings/{job_id}", headers=auth, timeout=30).json()
        assert meeting["title"] == "Inaugural" and "country" in " ".join(s["text"] for s in meeting["segments"])
        engine = create_engine(url)
        with engine.connect() as conn:
            assert conn.execute(select(func.count()).select_from(meetings)).scalar() == 1  # one meeting, not two
        engine.dispose()
        assert not list((tmp_path / "uploads" / "minutes").iterdir())  # the upload is gone once the job is done
    finally:
        for process in servers.values():
            stop_process(process)
