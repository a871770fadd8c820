"""Benchmark: ``datastore_search`` over a large resource loaded through the real ingest (which picks indexes).

    python bench/datastore_search.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/test --rows 1000000
    python bench/datastore_search.py --rows 200000          # SQLite file

Generates a seeded CSV (date, district, category, count, lat, lon, note), ingests it (two passes, COPY on
PostgreSQL, indexes chosen from the data), then times filtered, sorted pages (limit 100, with total), as the
API runs them (OpenData.search_datastore: SQL + row conversion, no HTTP). With a PostgreSQL URL a scratch
database is created and dropped.
"""

from __future__ import annotations

import argparse
import csv
import random
import statistics
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from civic_services.districts import districts  # noqa: E402
from civic_services.opendata import DatasetMeta, OpenData, OpenDataOptions  # noqa: E402
from civic_services.opendata.samples import COMPLAINT_CATEGORIES  # noqa: E402
from common import bench_engine  # noqa: E402  (bench/common.py)


def write_csv(path: Path, rows: int, seed: int = 1) -> None:
    rng = random.Random(seed)
    names = [d.name_en for d in districts()]
    start = date(2024, 11, 1)
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["date", "district", "category", "count", "lat", "lon", "note"])
        for i in range(rows):
            writer.writerow([(start + timedelta(days=rng.randrange(730))).isoformat(), rng.choice(names),
                             rng.choice(COMPLAINT_CATEGORIES), rng.randrange(1, 500),
                             f"{37.45 + rng.random() * 0.25:.6f}", f"{126.8 + rng.random() * 0.4:.6f}",
                             f"row {i}"])


def pct(values: list[float], p: int) -> float:
    return statistics.quantiles(values, n=100)[p - 1] * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default="")
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=300)
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="dasan-ds-bench-"))
    with bench_engine(args.database_url or f"sqlite:///{tmp / 'bench.db'}") as engine:
        opendata = OpenData(engine, OpenDataOptions())
        opendata.catalog.upsert(DatasetMeta(id="bench_events", title_ko="", title_en="Benchmark events", publisher="Bench",
                                            synthetic=True))
        source = tmp / "events.csv"
        started = time.perf_counter()
        write_csv(source, args.rows)
        generated = time.perf_counter() - started
        started = time.perf_counter()
        report = opendata.ingest("bench_events", path=source)
        ingested = time.perf_counter() - started
        rng = random.Random(2)
        names = [d.name_en for d in districts()]
        shapes = {
            "district filter, sort date desc": lambda: dict(filters={"district": rng.choice(names)},
                                                            sort="date desc"),
            "district+category, sort date desc": lambda: dict(filters={"district": rng.choice(names),
                                                                       "category": rng.choice(COMPLAINT_CATEGORIES)},
                                                              sort="date desc"),
            "district filter, sort date desc, offset 1000": lambda: dict(filters={"district": rng.choice(names)},
                                                                         sort="date desc", offset=1000),
        }
        engine_name = "PostgreSQL" if engine.dialect.name == "postgresql" else "SQLite"
        print(f"datastore_search over {report.rows:,} rows on {engine_name}: CSV generated in {generated:.1f} s, "
              f"ingested in {ingested:.1f} s; indexes chosen: "
              + ", ".join("(" + ", ".join(c) + ")" for c in report.indexes))
        for label, make in shapes.items():
            for _ in range(10):  # warm the cache
                opendata.search_datastore("bench_events", limit=100, **make())
            timings, totals = [], []
            for _ in range(args.queries):
                query = make()
                t0 = time.perf_counter()
                _, result = opendata.search_datastore("bench_events", limit=100, **query)
                timings.append(time.perf_counter() - t0)
                totals.append(result.total)
                assert len(result.records) == 100
            print(f"  {label:46s} p50 {pct(timings, 50):6.1f} ms  p95 {pct(timings, 95):6.1f} ms  "
                  f"(limit 100 + total, ~{statistics.mean(totals):,.0f} matching rows, {args.queries} queries)")


if __name__ == "__main__":
    main()
