"""Correctness across processes: two real `dasan serve` processes on one PostgreSQL database, one Redis, one
uploads folder and one copy of the ledger keys, as two machines behind a load balancer would run them.

    python bench/cross_process.py --json

* ``cross_process_context_ok``: a conversation whose turns alternate between the servers keeps its context (the
  follow-up "그럼 어르신은요?" on the second server is read with the first server's question).
* ``ledger_clean_ok``: 40 voters casting at once, alternately through both servers, give one contiguous log
  (leaves 0..39) that audits clean.
* ``job_recovered_ok``: an upload is sent to one server; the server holding the job is killed mid-job; the other
  finishes it (second try), and there is one meeting.

Used by ``bench/scale_out.py`` (its JSON has these keys too); the same checks run as tests
(tests/chatbot/test_shared_sessions.py, tests/civic_services/test_voting_ledger.py,
tests/minutes/test_jobs_across_servers.py).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

from dasan.serving import free_port
from common import scratch_url  # bench/common.py

ROOT = Path(__file__).resolve().parent.parent
JFK = ROOT / "tests" / "data" / "jfk.flac"


def start_server(data_dir: Path, env: dict, timeout: float = 300) -> tuple[subprocess.Popen, str]:
    port = free_port()
    data_dir.mkdir(parents=True, exist_ok=True)
    clean = {k: v for k, v in os.environ.items() if not k.startswith("DASAN_") and k != "DATABASE_URL"}
    process = subprocess.Popen([sys.executable, "-m", "dasan.cli", "serve", "--port", str(port)],
                               env={**clean, **env, "DASAN_DATA_DIR": str(data_dir)}, cwd=data_dir.parent,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server on {base} exited at start")
        try:
            if httpx.get(f"{base}/readyz", timeout=2).json()["checks"]["startup"]["stage"] == "ready":
                return process, base
        except (httpx.TransportError, ValueError, KeyError):
            pass
        time.sleep(0.3)
    process.kill()
    raise RuntimeError(f"the server on {base} did not start within {timeout:.0f} s")


def conversation_across(base_a: str, base_b: str) -> bool:
    first = httpx.post(f"{base_a}/chat", json={"message": "지하철 요금 얼마예요"}, timeout=60).json()
    follow = httpx.post(f"{base_b}/chat", json={"message": "그럼 어르신은요?", "session_id": first["session_id"]},
                        timeout=60).json()
    return bool(follow["citations"]) and "지하철" in follow["citations"][0]["question"] and not follow["handoff"]


def votes_across(bases: list[str], admin: dict, url: str, keys_dir: Path) -> tuple[bool, dict]:
    from datetime import datetime, timedelta, timezone

    from civic_services.voting import VotingService
    from civic_services.voting.audit import audit
    from database import make_engine

    now = datetime.now(timezone.utc)
    poll = httpx.post(f"{bases[0]}/voting/polls", headers=admin, timeout=30, json={
        "kind": "policy", "title": "한강 불꽃축제 확대", "title_en": "Bigger fireworks",
        "options": [{"label": "찬성", "label_en": "Yes"}, {"label": "반대", "label_en": "No"}],
        "opens_at": (now - timedelta(minutes=1)).isoformat(), "closes_at": (now + timedelta(days=1)).isoformat()})
    poll.raise_for_status()
    poll_id = poll.json()["id"]
    voters = httpx.post(f"{bases[1]}/voting/voters", headers=admin, timeout=60,
                        json={"voters": [{"person": f"bench-{n}", "district": "Nowon-gu"} for n in range(40)]})
    voters.raise_for_status()
    credentials = [v["credential"] for v in voters.json()["registered"]]

    def cast(n: int) -> dict:
        answer = httpx.post(f"{bases[n % 2]}/voting/polls/{poll_id}/ballots", timeout=60,
                            headers={"Authorization": f"Bearer {credentials[n]}"}, json={"choices": [1 + n % 2]})
        answer.raise_for_status()
        return answer.json()

    with ThreadPoolExecutor(16) as pool:
        receipts = list(pool.map(cast, range(40)))
    engine = make_engine(url)
    service = VotingService(engine, keys_dir)
    try:
        report = audit(service, poll_id)
    finally:
        service.close()
        engine.dispose()
    leaves = sorted(r["leaf_index"] for r in receipts)
    ok = report.ok and report.ballots == 40 and leaves == list(range(40))
    return ok, {"ballots": report.ballots, "problems": report.problems[:3]}


def job_survives_its_server(servers: dict, official: dict, url: str, uploads: Path) -> tuple[bool, dict]:
    from sqlalchemy import create_engine, func, select

    from database.jobs import JobRow
    from minutes.store import meetings

    first = next(iter(servers))
    with open(JFK, "rb") as f:
        created = httpx.post(f"{first}/minutes/jobs", headers=official, timeout=60,
                             files={"file": ("jfk.flac", f, "audio/flac")},
                             data={"language": "en", "compose": "extractive", "title": "bench"})
    created.raise_for_status()
    job_id = created.json()["job_id"]
    engine = create_engine(url)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with engine.connect() as conn:
                row = conn.execute(select(JobRow.status, JobRow.lease_owner).where(JobRow.id == job_id)).one()
            if row.status == "running":
                break
            time.sleep(0.05)
        pid = int(row.lease_owner.rsplit(":", 1)[1])
        killed_at = time.monotonic()
        os.kill(pid, signal.SIGKILL)
        doomed = next(base for base, process in servers.items() if process.pid == pid)
        servers.pop(doomed).wait(30)
        survivor = next(iter(servers))
        job = {"status": "queued"}
        deadline = time.monotonic() + 300
        while job["status"] not in ("done", "failed") and time.monotonic() < deadline:
            time.sleep(0.5)
            job = httpx.get(f"{survivor}/minutes/jobs/{job_id}", headers=official, timeout=30).json()
        with engine.connect() as conn:
            meetings_stored = conn.execute(select(func.count()).select_from(meetings)).scalar()
    finally:
        engine.dispose()
    ok = job["status"] == "done" and job.get("attempts") == 2 and meetings_stored == 1
    return ok, {"recovered_in_s": round(time.monotonic() - killed_at, 1), "attempts": job.get("attempts"),
                "meetings": meetings_stored}


def run(database_url: str | None = None, redis_url: str = "redis://127.0.0.1:6379/13") -> dict:
    from dasan.runtime import Runtime
    from dasan.settings import Settings

    result: dict = {}
    with scratch_url(database_url) as url, tempfile.TemporaryDirectory(prefix="dasan-cross-") as tmp:
        tmp = Path(tmp)
        env = {"DATABASE_URL": url, "DASAN_REDIS_URL": redis_url, "DASAN_UPLOADS_DIR": str(tmp / "uploads"),
               "DASAN_VOTING_KEYS_DIR": str(tmp / "keys"), "DASAN_INDEX_DIR": str(tmp / "index"),
               "DASAN_JOB_LEASE_S": "5"}
        servers: dict[str, subprocess.Popen] = {}
        try:
            for name in ("a", "b"):  # one after the other: the first builds the shared index
                process, base = start_server(tmp / name / "var", env)
                servers[base] = process
            with Runtime.open(Settings(database_url=url, data_dir=tmp / "cli" / "var",
                                       voting_keys_dir=tmp / "keys", warm_up=False, chat_enabled=False)) as runtime:
                admin = runtime.staff_tokens.create("bench-admin", [], role="admin").token
                official = runtime.staff_tokens.create("bench-official", [], role="official",
                                                       department="도시교통실").token
            bases = list(servers)
            result["cross_process_context_ok"] = conversation_across(bases[0], bases[1])
            result["ledger_clean_ok"], result["ledger"] = votes_across(
                bases, {"Authorization": f"Bearer {admin}"}, url, tmp / "keys")
            result["job_recovered_ok"], result["job"] = job_survives_its_server(
                servers, {"Authorization": f"Bearer {official}"}, url, tmp / "uploads")
        finally:
            for process in servers.values():
                process.terminate()
                try:
                    process.wait(30)
                except subprocess.TimeoutExpired:
                    process.kill()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", help="PostgreSQL to make a scratch database beside (default: local)")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/13", help="Redis the two servers share")
    parser.add_argument("--json", action="store_true", help="print one JSON object last")
    args = parser.parse_args()
    started = time.monotonic()
    print(f"machine load (1/5/15 min): {os.getloadavg()}; {os.cpu_count()} CPUs", flush=True)
    result = run(args.database_url, args.redis_url)
    result["seconds"] = round(time.monotonic() - started, 1)
    for key in ("cross_process_context_ok", "ledger_clean_ok", "job_recovered_ok"):
        print(f"{key}: {result[key]}")
    print(f"machine load after: {os.getloadavg()}")
    if args.json:
        print(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main()
