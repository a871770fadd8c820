"""Load test: Open311 ``POST requests`` with one photo against a real ``dasan serve --workers N``.

    python bench/complaints_load.py                       # SQLite (a fresh file), 2 workers
    python bench/complaints_load.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/test

With a PostgreSQL URL the script creates a scratch database next to the one named and drops it afterwards.
The load generator (asyncio, one process, each multipart body assembled from pre-encoded parts and sent over
keep-alive connections by ``bench/lean_http.py``, or by httpx with ``--client httpx``) runs on the same machine
as the server and shares its CPUs; figures are sustained requests/s and latency percentiles over the measured
window (after a warm-up). The public copies of the photos are made after each report is acknowledged (a queued
job): the script then waits for the last of them and says how long after the load it came
(``copies_done_after_s``; ``copies_failed``).
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import nullcontext
from pathlib import Path

import httpx
from PIL import Image
from PIL.TiffImagePlugin import IFDRational

from civic_services.boundaries import area_at
from civic_services.districts import districts
from dasan.serving import free_port
import lean_http  # bench/lean_http.py
from common import scratch_url  # bench/common.py

DISTRICTS = districts()


def photo(seed: int) -> bytes:
    rng = random.Random(seed)
    # A textured 640x480 picture (a flat colour would compress to almost nothing).
    noise = bytes(rng.randrange(256) for _ in range(160 * 120 * 3))
    image = Image.frombytes("RGB", (160, 120), noise).resize((640, 480), Image.BILINEAR)
    exif = Image.Exif()
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2] = "N", (IFDRational(37, 1), IFDRational(33, 1), IFDRational(0, 1))
    gps[3], gps[4] = "E", (IFDRational(126, 1), IFDRational(58, 1), IFDRational(0, 1))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85, exif=exif.tobytes())
    return out.getvalue()


BOUNDARY = "dasanbench7f3a9c"


def multipart(fields: dict[str, str], photo_part: bytes) -> bytes:
    """A multipart/form-data body: the text fields, then the pre-encoded photo part (``photo_part``)."""
    head = b"".join(f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
                    for name, value in fields.items())
    return head + photo_part + f"--{BOUNDARY}--\r\n".encode()


def photo_part(data: bytes) -> bytes:
    return (f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="media"; filename="p.jpg"\r\n'
            "Content-Type: image/jpeg\r\n\r\n").encode() + data + b"\r\n"


def copies_state(url: str) -> dict[str, int] | None:
    """The public copies by state (pending, ready, failed) in the bench's database; None where the schema has none
    (the code before copies were queued made them in the request)."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(text("SELECT public_state, count(*) FROM complaint_media GROUP BY 1")).all()
        return {state: int(n) for state, n in rows}
    except Exception:  # noqa: BLE001  (no public_state column: copies made in the request)
        return None
    finally:
        engine.dispose()


async def run_load(base: str, seconds: float, warmup: float, concurrency: int, photos: list[bytes],
                   client: str = "lean"):
    latencies: list[float] = []
    errors: dict[str, int] = {}
    stop_at = time.perf_counter() + warmup + seconds
    measure_from = time.perf_counter() + warmup
    rng = random.Random(1)
    parts = [photo_part(p) for p in photos]
    content_type = f"multipart/form-data; boundary={BOUNDARY}"
    url = httpx.URL(base)
    path = "/open311/v2/requests.json"
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)

    async with httpx.AsyncClient(base_url=base, timeout=60, limits=limits) as pool:
        async def worker(index: int):
            connection = lean_http.Connection(url.host, url.port)
            n = 0
            while time.perf_counter() < stop_at:
                n += 1
                while True:  # a point inside the city (a report outside Seoul is refused, rightly)
                    district = rng.choice(DISTRICTS)
                    lat, lon = district.lat + rng.uniform(-0.01, 0.01), district.lon + rng.uniform(-0.01, 0.01)
                    if area_at(lon, lat) is not None:
                        break
                data = {"service_code": rng.choice(["pothole", "illegal_dumping", "graffiti", "streetlight"]),
                        "description": f"bench report {index}-{n}", "lat": f"{lat:.6f}", "long": f"{lon:.6f}",
                        "email": "bench@example.kr"}
                body = multipart(data, parts[n % len(parts)])
                raw = lean_http.request_bytes("POST", path, url.netloc.decode(), body, content_type) \
                    if client == "lean" else b""
                started = time.perf_counter()
                try:
                    if client == "lean":
                        status, _ = await connection.send(raw)
                    else:
                        status = (await pool.post(path, content=body, headers={"content-type": content_type})
                                  ).status_code
                    ok, key = status == 201, str(status)
                except (httpx.HTTPError, lean_http.HTTPConnectionError, OSError, asyncio.TimeoutError) as exc:
                    ok, key = False, type(exc).__name__
                ended = time.perf_counter()
                if started >= measure_from:
                    if ok:
                        latencies.append(ended - started)
                    else:
                        errors[key] = errors.get(key, 0) + 1
            connection.close()

        await asyncio.gather(*(worker(i) for i in range(concurrency)))
    return latencies, errors


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default="", help="empty: a fresh SQLite file")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--warmup", type=float, default=3)
    parser.add_argument("--client", choices=["lean", "httpx"], default="lean",
                        help="the load generator's HTTP client: lean (bench/lean_http.py, little CPU) or httpx")
    parser.add_argument("--json", action="store_true", help="print one JSON object last")
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="dasan-bench-"))
    with scratch_url(args.database_url) if args.database_url else nullcontext("") as url:
        port = free_port()
        env = {**os.environ, "DASAN_DATA_DIR": str(tmp / "var"), "DASAN_WARM_UP": "false",
               "DASAN_MODELS_DIR": str(tmp / "no-models"), "DASAN_LOG_LEVEL": "WARNING", "DATABASE_URL": url}
        server = subprocess.Popen([sys.executable, "-m", "dasan.cli", "serve", "--port", str(port), "--workers",
                                   str(args.workers)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 180
            while True:
                try:
                    if httpx.get(f"{base}/open311/v2/services.json", timeout=2).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if time.monotonic() > deadline or server.poll() is not None:
                    raise SystemExit(f"server did not start: {server.stderr.read().decode()[-2000:]}")
                time.sleep(0.5)
            photos = [photo(i) for i in range(8)]
            latencies, errors = asyncio.run(run_load(base, args.seconds, args.warmup, args.concurrency, photos,
                                                         args.client))
            load_ended = time.monotonic()
            copies = copies_state(url or f"sqlite:///{tmp / 'var' / 'dasan.db'}")
            at_end = dict(copies or {})
            while copies and copies.get("pending") and time.monotonic() - load_ended < 300:
                time.sleep(0.5)
                copies = copies_state(url or f"sqlite:///{tmp / 'var' / 'dasan.db'}")
            copies_after = round(time.monotonic() - load_ended, 1) if copies is not None else None
        finally:
            server.terminate()
            server.wait(timeout=30)
    latencies.sort()
    q = statistics.quantiles(latencies, n=100) if len(latencies) > 1 else [float("nan")] * 99
    engine = "PostgreSQL" if url.startswith("postgresql") else "SQLite"
    print(f"POST /open311/v2/requests.json, one {len(photos[0]) // 1024} KB JPEG, {engine}, {args.workers} workers, "
          f"concurrency {args.concurrency}, {args.seconds:.0f} s measured on {os.cpu_count()} CPUs "
          f"(load generator on the same machine, {args.client} client)")
    print(f"  {len(latencies) / args.seconds:8.1f} requests/s sustained ({len(latencies)} ok, errors: {errors or 0})")
    print(f"  latency p50 {q[49] * 1000:6.1f} ms   p95 {q[94] * 1000:6.1f} ms   p99 {q[98] * 1000:6.1f} ms")
    if copies is not None:
        print(f"  public copies: {at_end.get('pending', 0)} still to make when the load ended, all made "
              f"{copies_after} s later ({copies.get('ready', 0)} made, {copies.get('failed', 0)} failed)")
    if args.json:
        print(json.dumps({"database": engine, "workers": args.workers, "client": args.client,
                          "concurrency": args.concurrency,
                          "requests_per_s": round(len(latencies) / args.seconds, 1), "ok": len(latencies),
                          "errors": errors, "p50_ms": round(q[49] * 1000, 1), "p95_ms": round(q[94] * 1000, 1),
                          "p99_ms": round(q[98] * 1000, 1),
                          "copies_pending_at_end": at_end.get("pending") if copies is not None else None,
                          "copies_done_after_s": copies_after,
                          "copies_failed": copies.get("failed", 0) if copies is not None else None}))


if __name__ == "__main__":
    main()
