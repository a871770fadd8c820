"""Seoul's 25 autonomous districts (ko/en names, approximate centroids) and what the services need from them:
telling whether a point or an address is in Seoul, and which district it falls in.

A point's district is the district polygon that holds it (:mod:`civic_services.boundaries`, KOSTAT's 2013
boundaries at full detail); a point outside every polygon but within :data:`EDGE_TOLERANCE_M` of one (GPS noise at
the city's edge) belongs to the nearest, and anything farther is outside Seoul. The centroids
(``data/districts.json``, about 1 km) place sample data and stations; :func:`nearest_centroid` is the rule the
polygons replaced, kept as the baseline ``bench/district_routing.py`` measures against.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from civic_services import boundaries

# Seoul's extent (WGS84), a little generous.
LAT_MIN, LAT_MAX = 37.413, 37.716
LON_MIN, LON_MAX = 126.734, 127.270
# A point this close outside the city's edge still counts as in its nearest district (a phone's GPS is off by
# 5-30 m, more between tall buildings).
EDGE_TOLERANCE_M = 50.0
# The old rule's cut-off: farthest a point in Seoul lies from its nearest centroid (Seoul's largest districts are
# ~47 km2).
MAX_CENTROID_KM = 5.5

# Places outside Seoul that citizens name: Korean morphemes and English words (one list for the whole project:
# address checks here, the assistant's scope rules in chatbot/scope.py).
OTHER_CITIES_KO = (
    "부산", "대구", "인천", "광주", "대전", "울산", "세종", "경기", "경기도", "수원", "성남", "고양", "용인", "부천",
    "안산", "안양", "과천", "광명", "의정부", "하남", "구리", "남양주", "화성", "평택", "시흥", "파주", "김포", "군포",
    "오산", "이천", "양주", "제주", "강원", "강원도", "충북", "충남", "충청도", "전북", "전남", "전라도", "경북", "경남",
    "경상도", "창원", "청주", "전주", "천안", "포항", "김해", "원주", "춘천", "강릉", "여수", "순천", "목포", "경주",
    "구미", "진주", "거제", "아산", "익산", "군산",
)
OTHER_CITIES_EN = (
    "busan", "incheon", "daegu", "daejeon", "gwangju", "ulsan", "sejong", "gyeonggi", "suwon", "seongnam", "goyang",
    "yongin", "bucheon", "ansan", "anyang", "gwacheon", "gwangmyeong", "uijeongbu", "hanam", "guri", "namyangju",
    "hwaseong", "pyeongtaek", "siheung", "paju", "gimpo", "jeju", "changwon", "cheongju", "jeonju", "cheonan",
    "pohang", "gimhae", "wonju", "chuncheon", "gangneung", "tokyo", "osaka", "beijing", "shanghai", "new york",
    "london", "paris",
)
OTHER_CITIES = OTHER_CITIES_KO + OTHER_CITIES_EN


@dataclass(frozen=True)
class District:
    name_ko: str  # 종로구
    name_en: str  # Jongno-gu
    short_en: str  # Jongno
    lat: float
    lon: float


@lru_cache(maxsize=1)
def districts() -> tuple[District, ...]:
    data = json.loads(resources.files("civic_services").joinpath("data/districts.json").read_text("utf-8"))
    return tuple(District(d["name_ko"], d["name_en"], d["short_en"], d["lat"], d["lon"]) for d in data["districts"])


def by_name(name: str) -> District | None:
    """A district by its Korean, English or short English name, any case (``Mapo``, ``mapo-gu``, ``마포구``)."""
    key = name.strip().lower().replace(" ", "-")
    for d in districts():
        if key in (d.name_ko, d.name_en.lower(), d.short_en.lower(), d.name_ko.removesuffix("구")):
            return d
    return None


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres (haversine)."""
    r = 6_371_008.8
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * r * math.asin(min(1.0, math.sqrt(a)))


def district_at(lat: float, lon: float) -> District | None:
    """The district whose boundary holds a point, or None when the point is not in Seoul."""
    if not (LAT_MIN <= lat <= LAT_MAX and LON_MIN <= lon <= LON_MAX):
        return None
    area = boundaries.area_at(lon, lat, "full", tolerance_m=EDGE_TOLERANCE_M)
    return by_name(area.name_ko) if area is not None else None


def nearest_centroid(lat: float, lon: float) -> District | None:
    """The rule polygons replaced: the nearest centroid within Seoul's box (a baseline for the benchmark)."""
    if not (LAT_MIN <= lat <= LAT_MAX and LON_MIN <= lon <= LON_MAX):
        return None
    nearest = min(districts(), key=lambda d: distance_m(lat, lon, d.lat, d.lon))
    if distance_m(lat, lon, nearest.lat, nearest.lon) > MAX_CENTROID_KM * 1000:
        return None
    return nearest


@lru_cache(maxsize=1)
def _address_patterns() -> tuple[tuple[re.Pattern, District], ...]:
    patterns = []
    for d in districts():
        # Korean names are matched as words too: "중구" must not match inside another word.
        patterns.append((re.compile(rf"(?<![가-힣]){re.escape(d.name_ko)}(?![가-힣])"), d))
        patterns.append((re.compile(rf"\b{re.escape(d.short_en)}[- ]?gu\b", re.IGNORECASE), d))
    return tuple(patterns)


def district_in_address(address: str) -> District | None:
    """The Seoul district an address names, or None if it names none (or names another city)."""
    lowered = address.lower()
    if any(city in lowered for city in OTHER_CITIES):
        return None
    found = {d.name_en: d for pattern, d in _address_patterns() if pattern.search(address)}
    return next(iter(found.values())) if len(found) == 1 else None


def normalize_address(address: str) -> str:
    """A key under which two spellings of the same address compare equal (spacing, case, punctuation)."""
    text = address.lower()
    text = re.sub(r"서울(특별시|시)?|\bseoul\b|\bkorea\b|대한민국", " ", text)
    text = re.sub(r"[^\w가-힣]+", " ", text)
    return " ".join(text.split())
