"""District history query benchmark: a district's hourly averages of one metric over 30 days, on PostgreSQL,
read from raw observations (the baseline) and from the hourly aggregates, then projected to 1e8 observations.

Loads --stations S-DoT-style stations (11 metrics each) reporting every --every minutes for 30 days (default
110 stations x 11 x 2,160 = 2.6e6 observations, a minute or two to load), measures p50/p95 of
Analytics.history(metric, district, "last_30d") over random districts and metrics, and projects linearly in
the rows each query touches: raw rows per district and metric, or hourly rows (stations per district x 720).

    python bench/iot_query.py [--database-url URL] [--stations 110] [--every 20] [--queries 40]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from common import bench_engine  # noqa: E402  (bench/common.py)

from civic_services import districts  # noqa: E402
from civic_services.iot import IoTService, catalogue  # noqa: E402


def timed_queries(service: IoTService, count: int, seed: int) -> list[float]:
    rng = random.Random(seed)
    times = []
    for _ in range(count):
        district = rng.choice(districts.districts()).name_en
        metric = rng.choice(catalogue.METRICS).code
        started = time.perf_counter()
        answer = service.analytics.history(metric, district, period="last_30d")
        times.append(time.perf_counter() - started)
        assert answer["summary"] is not None
    return times


def p(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[int(q) - 1] if len(values) > 2 else max(values)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url")
    parser.add_argument("--stations", type=int, default=110)
    parser.add_argument("--every", type=int, default=20, help="minutes between a station's reports")
    parser.add_argument("--queries", type=int, default=40)
    args = parser.parse_args()
    with bench_engine(args.database_url) as engine:
        service = IoTService(engine)
        stations = service.provision_stations(args.stations, prefix="q")
        now = datetime.now(timezone.utc).replace(second=0, microsecond=0)
        steps = 30 * 24 * 60 // args.every
        rng = random.Random(5)
        started = time.perf_counter()
        total = 0
        streams = [(ident, catalogue.BY_CODE[m]) for s in stations for m, ident in s["datastreams"].items()]
        for step in range(steps, 0, -1):
            moment = now - timedelta(minutes=step * args.every)
            rows = [{"datastream_id": ident, "phenomenon_time": moment, "result_time": None,
                     "result": round(rng.uniform(m.low, min(m.high, m.low + 100)), 2), "foi_id": None, "extra": None}
                    for ident, m in streams]
            total += service.writer.write(rows).stored
        load_s = time.perf_counter() - started
        print(f"loaded {total:,} observations ({args.stations} stations x 11 metrics, every {args.every} min, 30 days)"
              f" in {load_s:.0f} s = {total / load_s:,.0f}/s")
        with engine.connect() as connection:
            from sqlalchemy import text
            connection.execute(text("ANALYZE"))
        raw = timed_queries(service, args.queries, 1)
        started = time.perf_counter()
        service.maintenance.roll_up()
        rollup_s = time.perf_counter() - started
        hourly = timed_queries(service, args.queries, 1)
        per_district = args.stations / 25
        raw_rows = total / 25 / 11
        hourly_rows = per_district * 720
        target = 1e8
        # At 1e8: Seoul's ~1,100 S-DoT stations x 11 metrics every ~5 minutes for 30 days.
        raw_rows_1e8 = target / 25 / 11
        hourly_rows_1e8 = 1100 / 25 * 720
        print(f"raw (baseline): p50 {p(raw, 50) * 1000:.1f} ms, p95 {p(raw, 95) * 1000:.1f} ms "
              f"(~{raw_rows:,.0f} raw rows per query)")
        print(f"rollup of {total:,} observations into hourly aggregates: {rollup_s:.1f} s")
        print(f"hourly aggregates: p50 {p(hourly, 50) * 1000:.1f} ms, p95 {p(hourly, 95) * 1000:.1f} ms "
              f"(~{hourly_rows:,.0f} hourly rows per query); {p(raw, 95) / p(hourly, 95):.0f}x faster than raw")
        print(f"projected to 1e8 observations (linear in rows touched; measured at {total:.1e}): raw p95 "
              f"~{p(raw, 95) * raw_rows_1e8 / raw_rows * 1000:,.0f} ms, hourly p95 "
              f"~{p(hourly, 95) * hourly_rows_1e8 / hourly_rows * 1000:,.0f} ms")


if __name__ == "__main__":
    main()
