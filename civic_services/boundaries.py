"""Seoul's district boundaries as polygons (KOSTAT 2013, ``data/geo``, see its SOURCE.md) and the two questions
asked of them: is a point inside a district (ray casting over the ring's edges, numpy), and how far is a point from
a district's edge (metres, on a local flat projection: good to a few centimetres over Seoul's 40 km).

A bounding box per polygon keeps a lookup to the two or three districts whose box holds the point. Two detail
levels ship: ``full`` (25,222 vertices; what the server routes by) and ``simple`` (1,374 vertices; what the maps
draw, served as GeoJSON by the pages).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import numpy as np

FILES = {"full": "seoul_municipalities_geo.json", "simple": "seoul_municipalities_geo_simple.json",
         "neighbourhoods": "seoul_submunicipalities_geo_simple.json"}
M_PER_DEG_LAT = 111_320.0


def geojson_text(detail: str) -> str:
    """The GeoJSON file of a detail level (``full``, ``simple`` or ``neighbourhoods``), as shipped."""
    return resources.files("civic_services").joinpath(f"data/geo/{FILES[detail]}").read_text("utf-8")


@dataclass(frozen=True)
class Area:
    """One polygon (a single outer ring, as every KOSTAT district is) with its name and bounding box."""

    code: str
    name_ko: str
    name_en: str
    xs: np.ndarray  # longitudes of the ring, closed (first == last)
    ys: np.ndarray  # latitudes
    box: tuple[float, float, float, float]  # lon_min, lat_min, lon_max, lat_max

    @classmethod
    def from_feature(cls, feature: dict) -> Area:
        geometry = feature["geometry"]
        if geometry["type"] != "Polygon" or len(geometry["coordinates"]) != 1:
            raise ValueError(f"{feature['properties'].get('name')}: expected a polygon of one ring")
        ring = np.asarray(geometry["coordinates"][0], dtype=float)
        if not np.array_equal(ring[0], ring[-1]):
            ring = np.vstack([ring, ring[:1]])
        props = feature["properties"]
        return cls(props["code"], props["name"], props["name_eng"], ring[:, 0].copy(), ring[:, 1].copy(),
                   (float(ring[:, 0].min()), float(ring[:, 1].min()), float(ring[:, 0].max()),
                    float(ring[:, 1].max())))

    def in_box(self, lon: float, lat: float, margin: float = 0.0) -> bool:
        x0, y0, x1, y1 = self.box
        return x0 - margin <= lon <= x1 + margin and y0 - margin <= lat <= y1 + margin

    def contains(self, lon: float, lat: float) -> bool:
        """Even-odd ray casting: does a ray to the east from the point cross the ring an odd number of times?"""
        if not self.in_box(lon, lat):
            return False
        x0, y0, x1, y1 = self.xs[:-1], self.ys[:-1], self.xs[1:], self.ys[1:]
        straddles = (y0 > lat) != (y1 > lat)
        with np.errstate(divide="ignore", invalid="ignore"):
            crossing_x = x0 + (lat - y0) * (x1 - x0) / (y1 - y0)
        return bool(np.count_nonzero(straddles & (lon < crossing_x)) % 2)

    def edge_distance_m(self, lon: float, lat: float) -> float:
        """Distance from the point to the nearest point of the ring, in metres."""
        kx = M_PER_DEG_LAT * math.cos(math.radians(lat))
        x, y = (self.xs - lon) * kx, (self.ys - lat) * M_PER_DEG_LAT
        ax, ay, bx, by = x[:-1], y[:-1], x[1:], y[1:]
        dx, dy = bx - ax, by - ay
        length2 = dx * dx + dy * dy
        with np.errstate(divide="ignore", invalid="ignore"):
            t = np.clip(np.where(length2 > 0, -(ax * dx + ay * dy) / length2, 0.0), 0.0, 1.0)
        px, py = ax + t * dx, ay + t * dy
        return float(np.sqrt(px * px + py * py).min())


@lru_cache(maxsize=4)
def areas(detail: str = "full") -> tuple[Area, ...]:
    return tuple(Area.from_feature(f) for f in json.loads(geojson_text(detail))["features"])


def area_at(lon: float, lat: float, detail: str = "full", tolerance_m: float = 0.0) -> Area | None:
    """The area holding the point; else, within ``tolerance_m`` of an area's edge, the nearest such area (GPS noise
    at the city's edge, slivers between simplified rings); else None."""
    candidates = [a for a in areas(detail) if a.in_box(lon, lat)]
    for area in candidates:
        if area.contains(lon, lat):
            return area
    if tolerance_m <= 0:
        return None
    margin = tolerance_m / M_PER_DEG_LAT * 2  # degrees, generous for longitude at Seoul's latitude
    near = [(a.edge_distance_m(lon, lat), a) for a in areas(detail) if a.in_box(lon, lat, margin)]
    near = [(d, a) for d, a in near if d <= tolerance_m]
    return min(near, key=lambda pair: pair[0])[1] if near else None
