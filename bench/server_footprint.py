"""Start-up time and resident memory of the Dasan server, with its models loaded and without (the baseline,
measured in the same run): `dasan serve` in a subprocess, timed until /readyz answers, then its RSS read from
/proc while idle.

    python bench/server_footprint.py [--index-dir DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.server_process import start_server, stop_server  # noqa: E402


def rss_mb(pid: int) -> float:
    """Resident set of a process and its children (uvicorn runs the app in the serving process itself)."""
    total = 0
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            total += int(line.split()[1])
    return total / 1024


def measure(label: str, data_dir: Path, **env) -> dict:
    started = time.perf_counter()
    process, base = start_server(data_dir, timeout=600, **env)
    while True:
        ready = httpx.get(f"{base}/readyz", timeout=10)
        if ready.status_code == 200 or time.perf_counter() - started > 600:
            break
        if env.get("DASAN_MODELS_DIR"):
            break  # the baseline has no models: it never becomes ready
        time.sleep(0.5)
    ready_s = time.perf_counter() - started
    time.sleep(3)
    row = {"server": label, "start_to_answer_s": round(ready_s, 2), "idle_rss_mb": round(rss_mb(process.pid), 1),
           "ready": ready.status_code == 200}
    stop_server(process)
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--index-dir", help="a built knowledge-base index to reuse (otherwise one is built, timed)")
    args = parser.parse_args()
    extra = {"DASAN_INDEX_DIR": args.index_dir} if args.index_dir else {}
    with tempfile.TemporaryDirectory() as tmp:
        baseline = measure("no models (baseline)", Path(tmp) / "a", DASAN_MODELS_DIR=str(Path(tmp) / "none"),
                           DASAN_WARM_UP="false")
        loaded = measure("models loaded (ASR, embedder, VAD) + assistant", Path(tmp) / "b", **extra)
    loaded["rss_vs_baseline"] = round(loaded["idle_rss_mb"] / baseline["idle_rss_mb"], 2)
    for row in (baseline, loaded):
        print(f"{row['server']:<50} start {row['start_to_answer_s']:>7.2f} s   idle RSS {row['idle_rss_mb']:>8.1f} MB")
    print(json.dumps([baseline, loaded]))


if __name__ == "__main__":
    os.environ.setdefault("DASAN_LOG_LEVEL", "WARNING")
    main()
