"""IoT ingestion benchmark on PostgreSQL, each figure against a baseline measured in the same run:

1. HTTP batch ingestion: CreateObservations requests of --http-batch observations to a real server, versus
   single-observation POSTs.
2. End to end, one MQTT message per reading (SensorThings' binding): `dasan iot simulate` -> MQTT broker ->
   `dasan iot consume` (--consumers N of one shared subscription) -> PostgreSQL. The figure is committed
   observations per second counted in the database over the steady part of the run (`mqtt_per_message_obs_per_s`);
   `lost` is what the simulator published (it stops once the broker has acknowledged every message) and the
   database does not hold once the consumer has drained. The simulator offers more than the 10,000/s target (500 stations every 0.35 s:
   15,714/s), so the figure is the offered rate when the consumer keeps up; `mqtt_per_message_cores_busy` says
   how much of the 2 cores each party (consumers, simulator, broker, database) used meanwhile.
3. The same consumer committing each message on its own (--batch-size 1), and gateways' CreateObservations
   messages of 11 readings each.

    python bench/iot_ingest.py [--database-url URL] [--stations 500] [--interval 0.35] [--seconds 30]
        [--consumers N] [--skip-http] [--per-message-only] [--json]

The benchmark runs on a scratch database (bench/common.py) on the local PostgreSQL, or beside the one
--database-url names, dropped afterwards.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from sqlalchemy import text  # noqa: E402

from common import bench_engine  # noqa: E402  (bench/common.py)
from civic_services.iot import IoTService  # noqa: E402


TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of one process so far (0 once it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICK


def cpu_by_name(names: tuple[str, ...]) -> float:
    """CPU time so far of every process whose command is one of ``names`` (the broker, the database's backends)."""
    total = 0.0
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                comm = (entry / "comm").read_text().strip()
            except OSError:
                continue
            if comm in names:
                total += cpu_seconds(int(entry.name))
    return total


def count(engine) -> int:
    with engine.connect() as connection:
        return connection.execute(text("SELECT count(*) FROM iot_observations")).scalar_one()


def http_part(url: str, engine, streams: list[int], seconds: float, batch: int) -> None:
    import tempfile


    from dasan.app import create_app
    from dasan.serving import serve_in_thread
    from dasan.settings import Settings

    settings = Settings(data_dir=Path(tempfile.mkdtemp()), database_url=url, warm_up=False, chat_enabled=False,
                        log_level="WARNING")
    served = serve_in_thread(create_app(settings))
    served.wait_ready()
    token = served.runtime.staff_tokens.create("bench", ["iot:write"]).token
    headers = {"Authorization": f"Bearer {token}"}
    base = served.base
    start_time = datetime.now(timezone.utc) - timedelta(days=2)
    clock = {"tick": 0}
    lock = threading.Lock()

    def next_stamp() -> str:
        with lock:
            clock["tick"] += 1
            return (start_time + timedelta(milliseconds=clock["tick"])).isoformat()

    def single(deadline: float) -> int:
        done = 0
        with httpx.Client(base_url=base, timeout=60) as client:
            while time.monotonic() < deadline:
                ds = streams[done % len(streams)]
                answer = client.post(f"/v1.1/Datastreams({ds})/Observations", headers=headers,
                                     json={"phenomenonTime": next_stamp(), "result": 5.5})
                assert answer.status_code == 201, answer.text[:300]
                done += 1
        return done

    def batches(deadline: float) -> int:
        done = 0
        with httpx.Client(base_url=base, timeout=120) as client:
            while time.monotonic() < deadline:
                stamp = next_stamp()
                body = [{"Datastream": {"@iot.id": ds}, "components": ["phenomenonTime", "result"],
                         "dataArray": [[stamp, 5.5]]} for ds in streams[:batch]]
                answer = client.post("/v1.1/CreateObservations", headers=headers, json=body)
                assert answer.status_code == 201 and answer.headers["X-Observations-Rejected"] == "0", answer.text[:300]
                done += int(answer.headers["X-Observations-Stored"])
        return done

    for name, worker, duration in (("single POST Observations (baseline)", single, min(8.0, seconds)),
                                   (f"CreateObservations, {batch:,} per request", batches, seconds)):
        deadline = time.monotonic() + duration
        results = []
        threads = [threading.Thread(target=lambda: results.append(worker(deadline))) for _ in range(2)]
        started = time.monotonic()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.monotonic() - started
        rate = sum(results) / elapsed
        print(f"HTTP {name}: {sum(results):,} observations committed in {elapsed:.1f} s = {rate:,.0f}/s "
              "(2 client threads)")
        if name.startswith("single"):
            baseline = rate
        else:
            print(f"HTTP batch / single: {rate / baseline:.1f}x")
    served.stop()
    return {"http_single_obs_per_s": round(baseline), "http_batch_obs_per_s": round(rate)}


def mqtt_part(url: str, engine, args, batch_size: int | None, seconds: float, label: str,
              payload_format: str = "observation", consumers: int = 1) -> tuple[float, int]:
    """(sustained observations/s, observations published but not committed)."""
    env = {**os.environ, "DATABASE_URL": url, "DASAN_LOG_LEVEL": "WARNING", "DASAN_MQTT_URL": args.mqtt_url,
           "DASAN_MQTT_TOPIC_PREFIX": args.prefix, "DASAN_DATA_DIR": "/tmp/dasan-bench-var"}
    if consumers > 1:  # one shared subscription: the broker gives each message to one of them
        env["DASAN_MQTT_SHARE_GROUP"] = f"bench-{os.getpid()}"
    before = count(engine)
    processes = []
    for n in range(consumers):
        consume = [sys.executable, "-m", "dasan.cli", "iot", "consume", "--client-id",
                   f"bench-{os.getpid()}-{n}-{label}"[:60]]
        if batch_size:
            consume += ["--batch-size", str(batch_size)]
        processes.append(subprocess.Popen(consume, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                          cwd=ROOT))
    time.sleep(4)
    simulator = subprocess.Popen([sys.executable, "-m", "dasan.cli", "iot", "simulate", "--sensors",
                                  str(args.stations), "--interval", str(args.interval), "--duration", str(seconds),
                                  "--fault-rate", "0", "--prefix", "bench", "--format", payload_format], env=env, stdout=subprocess.PIPE,
                                 stderr=subprocess.DEVNULL, text=True, cwd=ROOT)
    def cpu() -> dict[str, float]:
        return {"consumers": sum(cpu_seconds(p.pid) for p in processes), "simulator": cpu_seconds(simulator.pid),
                "broker": cpu_by_name(("mosquitto",)), "database": cpu_by_name(("postgres", "postmaster"))}

    samples = []
    began = time.monotonic()
    while simulator.poll() is None:
        samples.append((time.monotonic() - began, count(engine), cpu()))
        time.sleep(1)
    published = simulator.stdout.read().strip().splitlines()[-1]
    end_published = time.monotonic()
    # let the consumer drain what is in flight
    last, stable = count(engine), 0
    while stable < 3 and time.monotonic() - end_published < 120:
        time.sleep(1)
        now = count(engine)
        stable = stable + 1 if now == last else 0
        last = now
    drain = time.monotonic() - end_published - 3
    for consumer in processes:
        consumer.terminate()
        consumer.wait(60)
    steady = [s for s in samples if s[0] >= 8]  # skip provisioning and warm-up
    rate = (steady[-1][1] - steady[0][1]) / (steady[-1][0] - steady[0][0]) if len(steady) > 2 else float("nan")
    sent = json.loads(published)["published"]
    # Where the 2 cores went over the steady part: CPU seconds per second of each party (1.0 = one core busy).
    span = steady[-1][0] - steady[0][0] if len(steady) > 2 else float("nan")
    cores = {k: round((steady[-1][2][k] - steady[0][2][k]) / span, 2) for k in steady[0][2]} if len(steady) > 2 else {}
    print(f"  cores busy over the steady part: {cores} (consumer CPU per 10,000 observations: "
          f"{10000 * cores.get('consumers', float('nan')) / rate:.2f} s)")
    print(f"MQTT end to end, {label}: simulator {published}; committed {last - before:,} of {sent:,} "
          f"({sent - (last - before):,} not committed: unsent at the publisher's stop or dropped by the broker's "
          f"queue limit when the consumer fell behind); sustained "
          f"{rate:,.0f} observations/s over the steady {steady[-1][0] - steady[0][0]:.0f} s; drained "
          f"{max(0.0, drain):.1f} s after the publisher stopped")
    return rate, sent - (last - before), cores


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url")
    parser.add_argument("--mqtt-url", default="mqtt://127.0.0.1:1883")
    parser.add_argument("--prefix", default=f"bench-{os.getpid()}/v1.1")
    parser.add_argument("--stations", type=int, default=500)
    parser.add_argument("--interval", type=float, default=0.35, help="seconds between a station's reports: with 500 "
                        "stations, 15,714 observations/s offered (each its own message)")
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--http-batch", type=int, default=5000)
    parser.add_argument("--skip-http", action="store_true")
    parser.add_argument("--skip-mqtt", action="store_true")
    parser.add_argument("--consumers", type=int, default=1, help="MQTT consumers in one shared subscription "
                        "(--share) for the one-message-per-reading run")
    parser.add_argument("--per-message-only", action="store_true", help="only the one-message-per-reading MQTT "
                        "run (no per-commit baseline, no gateway run)")
    parser.add_argument("--json", action="store_true", help="print one JSON object last")
    args = parser.parse_args()
    result: dict = {"consumers": args.consumers}
    with bench_engine(args.database_url) as engine:
        url = engine.url.render_as_string(hide_password=False)
        service = IoTService(engine)
        started = time.perf_counter()
        stations = service.provision_stations(args.stations, prefix="bench")
        streams = [s for st in stations for s in st["datastreams"].values()]
        print(f"provisioned {len(stations):,} stations / {len(streams):,} datastreams in "
              f"{time.perf_counter() - started:.1f} s; offered MQTT load {len(streams) / args.interval:,.0f} obs/s")
        result["offered_obs_per_s"] = round(len(streams) / args.interval)
        if not args.skip_http:
            result.update(http_part(url, engine, streams, min(args.seconds, 20), args.http_batch))
        if not args.skip_mqtt:
            rate, lost, cores = mqtt_part(url, engine, args, None, args.seconds,
                                          f"batched commits (default), {args.consumers} consumer(s)",
                                          consumers=args.consumers)
            result.update({"mqtt_per_message_obs_per_s": round(rate), "lost": lost,
                           "mqtt_per_message_cores_busy": cores})
            if not args.per_message_only:
                base, _, _ = mqtt_part(url, engine, args, 1, min(args.seconds, 20),
                                       "baseline: one commit per message")
                print(f"MQTT batched / per-message commits: {rate / base:.1f}x")
                gateway, _, _ = mqtt_part(url, engine, args, None, args.seconds, "batched commits, gateway "
                                          "CreateObservations messages (11 readings each)", "dataarray")
                print(f"MQTT gateway messages / one message per reading: {gateway / rate:.1f}x")
                result.update({"mqtt_commit_per_message_obs_per_s": round(base),
                               "mqtt_batched_over_per_commit": round(rate / base, 2),
                               "mqtt_gateway_obs_per_s": round(gateway)})
    if args.json:
        print(json.dumps(result))


if __name__ == "__main__":
    main()
