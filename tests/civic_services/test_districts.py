"""Which district a point is in: point in polygon on KOSTAT's district boundaries (civic_services.boundaries)."""

from __future__ import annotations

import pytest

from civic_services import boundaries, districts


@pytest.mark.parametrize(("lat", "lon", "district"), [
    (37.5663, 126.9779, "중구"),  # Seoul City Hall
    (37.5198, 126.9401, "영등포구"),  # the 63 Building on Yeouido
    (37.5126, 127.1025, "송파구"),  # Lotte World Tower
    (37.6586, 127.0570, "노원구"),  # Nowon station
    (37.5509, 126.8495, "강서구"),  # Gangseo-gu office
])
def test_a_point_is_in_the_district_whose_boundary_holds_it(lat, lon, district):
    assert districts.district_at(lat, lon).name_ko == district


@pytest.mark.parametrize(("lat", "lon"), [
    (37.4602, 126.4407),  # Incheon airport: outside Seoul's box
    (37.4292, 126.9876),  # Gwacheon: inside the box, outside every district
    (37.6584, 126.8320),  # Goyang (Hwajeong): inside the box, outside every district
])
def test_a_point_outside_every_district_is_not_in_seoul(lat, lon):
    assert districts.district_at(lat, lon) is None


def test_a_point_just_outside_the_city_edge_counts_for_the_nearest_district():
    """GPS noise: a point a few metres outside the city's edge still belongs to the district at that edge."""
    gangnam = next(a for a in boundaries.areas("full") if a.name_ko == "강남구")
    # the southernmost vertex of Gangnam's ring lies on the city's edge; step 20 m further south
    i = int(gangnam.ys.argmin())
    lat, lon = float(gangnam.ys[i]) - 20 / boundaries.M_PER_DEG_LAT, float(gangnam.xs[i])
    assert boundaries.area_at(lon, lat, "full") is None
    assert districts.district_at(lat, lon).name_ko == "강남구"
    far = float(gangnam.ys[i]) - 400 / boundaries.M_PER_DEG_LAT
    assert districts.district_at(far, lon) is None


def test_polygons_and_centroids_disagree_near_a_border():
    """The polygons fix what the nearest-centroid rule gets wrong near borders (bench/district_routing.py
    measures how often)."""
    wrong = 0
    for area in boundaries.areas("full"):
        for k in range(0, len(area.xs) - 1, 97):  # points a little inside each ring
            lon, lat = float(area.xs[k]), float(area.ys[k])
            clat = sum(area.ys[:-1]) / (len(area.ys) - 1)
            clon = sum(area.xs[:-1]) / (len(area.xs) - 1)
            lat, lon = lat + (clat - lat) * 0.01, lon + (clon - lon) * 0.01
            found = districts.district_at(lat, lon)
            if found is None or found.name_ko != area.name_ko:
                continue  # a concave ring: the step went outside
            guess = districts.nearest_centroid(lat, lon)
            wrong += guess is None or guess.name_ko != area.name_ko
    assert wrong > 0


def test_every_district_has_a_polygon_and_the_simplified_outlines_agree():
    full = {a.name_ko for a in boundaries.areas("full")}
    assert full == {d.name_ko for d in districts.districts()}
    assert {a.name_ko for a in boundaries.areas("simple")} == full
