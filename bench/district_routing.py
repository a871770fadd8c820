"""District routing near borders: which district a report's point is given, by the old rule (nearest centroid) and
by point in polygon on the simplified outlines the maps draw and on the full-detail outlines the server uses,
scored against the full-detail KOSTAT polygons (the truth here).

Points are sampled along every district border (uniformly by length), pushed a random distance to either side,
in bands of distance from the border; points that land outside Seoul are scored separately (a report there must
be refused). A uniform sample over the whole city is the baseline of an average report.

    python bench/district_routing.py [--per-band 2000] [--seed 14]
"""

from __future__ import annotations

import argparse
import math
import random
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from civic_services import boundaries, districts  # noqa: E402

BANDS_M = ((0, 25), (25, 50), (50, 100), (100, 250), (250, 500), (500, 1000))


def truth(lat: float, lon: float) -> str | None:
    area = boundaries.area_at(lon, lat, "full")
    return area.name_ko if area else None


METHODS = {
    "nearest centroid (before)": lambda lat, lon: getattr(districts.nearest_centroid(lat, lon), "name_ko", None),
    "polygon, simplified (map)": lambda lat, lon: getattr(
        boundaries.area_at(lon, lat, "simple", tolerance_m=districts.EDGE_TOLERANCE_M), "name_ko", None),
    "polygon, full (server)": lambda lat, lon: getattr(districts.district_at(lat, lon), "name_ko", None),
}


def border_points(rng: random.Random, low: float, high: float, count: int) -> list[tuple[float, float]]:
    """Points ``low``..``high`` metres from a district border, on either side."""
    segments = []
    for area in boundaries.areas("full"):
        kx = boundaries.M_PER_DEG_LAT * math.cos(math.radians(float(area.ys.mean())))
        dx, dy = np.diff(area.xs) * kx, np.diff(area.ys) * boundaries.M_PER_DEG_LAT
        for i, length in enumerate(np.hypot(dx, dy)):
            if length > 0:
                segments.append((area, i, float(length), kx))
    weights = [s[2] for s in segments]
    points = []
    for area, i, length, kx in rng.choices(segments, weights=weights, k=count):
        t = rng.random()
        lon = area.xs[i] + t * (area.xs[i + 1] - area.xs[i])
        lat = area.ys[i] + t * (area.ys[i + 1] - area.ys[i])
        ex, ey = (area.xs[i + 1] - area.xs[i]) * kx / length, (area.ys[i + 1] - area.ys[i]) * \
            boundaries.M_PER_DEG_LAT / length
        offset = rng.uniform(low, high) * rng.choice((-1, 1))
        points.append((float(lat + ex * offset / boundaries.M_PER_DEG_LAT), float(lon - ey * offset / kx)))
    return points


def city_points(rng: random.Random, count: int) -> list[tuple[float, float]]:
    out = []
    while len(out) < count:
        lat, lon = rng.uniform(districts.LAT_MIN, districts.LAT_MAX), rng.uniform(districts.LON_MIN, districts.LON_MAX)
        if truth(lat, lon):
            out.append((lat, lon))
    return out


def score(points: list[tuple[float, float]]) -> tuple[int, int, dict[str, tuple[int, int]]]:
    """(points inside, points outside, method -> (right inside, wrongly accepted outside))."""
    answers = [truth(lat, lon) for lat, lon in points]
    inside = sum(a is not None for a in answers)
    result = {}
    for name, method in METHODS.items():
        right = accepted = 0
        for (lat, lon), expected in zip(points, answers):
            got = method(lat, lon)
            if expected is None:
                accepted += got is not None
            else:
                right += got == expected
        result[name] = (right, accepted)
    return inside, len(points) - inside, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--per-band", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=14)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    names = list(METHODS)
    print(f"truth: full-detail polygons ({sum(len(a.xs) for a in boundaries.areas('full')):,} vertices); "
          f"{args.per_band:,} points per band; edge tolerance {districts.EDGE_TOLERANCE_M:.0f} m")
    print(f"{'distance from a border':<24}{'in Seoul':>9}" + "".join(f"{n:>28}" for n in names)
          + f"{'outside Seoul':>15}" + "".join(f"{'accepted: ' + n.split(' (')[0]:>30}" for n in names))
    bands = [(f"{low}-{high} m", border_points(rng, low, high, args.per_band)) for low, high in BANDS_M]
    bands.append(("whole city (uniform)", city_points(rng, args.per_band)))
    for label, points in bands:
        inside, outside, result = score(points)
        row = f"{label:<24}{inside:>9,}" + "".join(f"{100 * result[n][0] / max(inside, 1):>27.1f}%" for n in names)
        row += f"{outside:>15,}" + "".join(f"{100 * result[n][1] / max(outside, 1):>29.1f}%" if outside else
                                           f"{'-':>30}" for n in names)
        print(row)
    sample = city_points(rng, 2000)
    for name, method in METHODS.items():
        started = time.perf_counter()
        for lat, lon in sample:
            method(lat, lon)
        print(f"lookup time, {name}: {1e6 * (time.perf_counter() - started) / len(sample):.0f} µs")


if __name__ == "__main__":
    main()
