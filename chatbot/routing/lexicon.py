"""Gazetteers and normalisers for tool arguments: districts, metrics, periods, complaint categories, datasets,
ticket and poll ids, counts. Korean and English. Every list here is data a city can extend.

Districts, sensor metrics, periods and complaint categories, with the words people use for them, come from the
services' catalogues (:mod:`civic_services.districts`, :mod:`civic_services.iot.catalogue`,
:mod:`civic_services.periods`, :mod:`civic_services.complaints.catalogue`): a city adds one there and the router
knows it."""

from __future__ import annotations

import re
from functools import lru_cache

from civic_services import periods
from civic_services.complaints import catalogue as complaint_catalogue
from civic_services.districts import districts
from civic_services.iot import catalogue as iot_catalogue


def contains(lowered: str, word: str) -> int:
    """Position of ``word`` in the lower-cased text, or -1. English words match whole words only ("hot" is not
    in "photo"); Korean matches inside words, as particles attach to them."""
    if word.isascii() and word[:1].isalnum():
        match = re.search(r"(?<![a-z0-9])" + re.escape(word) + r"(?![a-z0-9])", lowered)
        return match.start() if match else -1
    return lowered.find(word)


def mentions(lowered: str, words) -> bool:
    return any(contains(lowered, word) >= 0 for word in words)


# --- numbers spoken as words -------------------------------------------------------------------------------
_EN_DIGITS = {"zero": "0", "oh": "0", "o": "0", "one": "1", "two": "2", "three": "3", "four": "4", "five": "5",
              "six": "6", "seven": "7", "eight": "8", "nine": "9"}
_KO_DIGITS = {"공": "0", "영": "0", "일": "1", "이": "2", "삼": "3", "사": "4", "오": "5", "육": "6", "륙": "6",
              "칠": "7", "팔": "8", "구": "9"}
_EN_SMALL = {"a": 1, "an": 1, "one": 1, "single": 1, "two": 2, "couple": 2, "three": 3, "four": 4, "five": 5,
             "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10}
_KO_SMALL = {"한": 1, "하나": 1, "두": 2, "둘": 2, "세": 3, "셋": 3, "석": 3, "네": 4, "넷": 4, "다섯": 5, "여섯": 6,
             "일곱": 7, "여덟": 8, "아홉": 9, "열": 10}


def spoken_digits_to_numbers(text: str) -> str:
    """'s r two zero two five one zero one nine zero two' -> 's r 2025101902'; '이공이오' -> '2025' when a run of
    Korean digit syllables is long enough to be a number spelled out."""
    words = text.split()
    out: list[str] = []
    for word in words:
        key = word.lower().strip(",.")
        if key in _EN_DIGITS and (out and out[-1].isdigit() or key not in ("o", "oh")):
            if out and out[-1].isdigit():
                out[-1] += _EN_DIGITS[key]
            else:
                out.append(_EN_DIGITS[key])
        elif word.isdigit() and out and out[-1].isdigit() and len(out[-1]) < 4:
            out.append(word)
        else:
            out.append(word)
    text = " ".join(out)
    return re.sub(r"[공영일이삼사오육륙칠팔구]{4,}",
                  lambda m: "".join(_KO_DIGITS[c] for c in m.group(0)), text)


# --- districts --------------------------------------------------------------------------------------------
@lru_cache(maxsize=1)
def _district_patterns() -> list[tuple[re.Pattern, str, str]]:
    patterns = []
    for d in districts():
        short_ko = d.name_ko[:-1] if len(d.name_ko) > 2 else d.name_ko  # 강남구 -> 강남 (but 중구 stays)
        forms = [re.escape(d.name_ko)]
        if len(short_ko) >= 2:
            forms.append(re.escape(short_ko) + r"(?=\s|$|에|의|은|는|이|가|도|쪽|동네|지역|[?,.])")
        ko = re.compile("|".join(forms))
        en = re.compile(r"\b(" + re.escape(d.name_en.lower()) + "|" + re.escape(d.short_en.lower()) + r")\b")
        patterns.append((ko, d.name_en, "ko"))
        patterns.append((en, d.name_en, "en"))
    return patterns


def find_districts(text: str) -> list[str]:
    """English names of the districts a text mentions, in order of appearance."""
    found: list[tuple[int, str]] = []
    lowered = text.lower()
    for pattern, name, lang in _district_patterns():
        match = pattern.search(text if lang == "ko" else lowered)
        if match and name not in [n for _, n in found]:
            found.append((match.start(), name))
    return [name for _, name in sorted(found)]


def district_ko(name_en: str) -> str:
    return next(d.name_ko for d in districts() if d.name_en == name_en)


# --- sensor metrics and periods: the services' catalogues name them and the words for them -----------------
METRICS: dict[str, tuple[str, ...]] = {m.code: m.phrases for m in iot_catalogue.METRICS}
PERIODS: list[tuple[str, tuple[str, ...]]] = [  # first match wins: specific phrases before general ones
    (p.code, p.phrases) for p in sorted(periods.CATALOGUE, key=lambda p: p.precedence)]
HISTORY_WORDS = ("추이", "기록", "변화", "동안", "데이터", "history", "trend", "over the", "hourly", "daily", "how did",
                 "how hot did", "그래프", "chart")
LATEST_WORDS = ("지금", "현재", "최신", "실시간", "right now", "now", "currently", "current", "latest")


def longest_mention(text: str, words_of: dict[str, tuple[str, ...]]) -> str | None:
    """The key whose words the text mentions, preferring the longest word (초미세먼지 over 미세먼지), then the
    earliest."""
    lowered = text.lower()
    best: tuple[tuple[int, int], str] | None = None
    for key, words in words_of.items():
        for word in words:
            index = contains(lowered, word)
            if index >= 0 and (best is None or (-len(word), index) < best[0]):
                best = ((-len(word), index), key)
    return best[1] if best else None


def find_metric(text: str) -> str | None:
    return longest_mention(text, METRICS)


def find_period(text: str) -> str | None:
    lowered = text.lower()
    for period, words in PERIODS:
        if mentions(lowered, words):
            return period
    return None


# --- complaints: the services citizens can report, from the complaints catalogue --------------------------------
COMPLAINT_CATEGORIES: dict[str, tuple[str, ...]] = {code: s.phrases for code, s in complaint_catalogue.SERVICES.items()}
# order matters where several match ("가로수가 쓰러져 ... 파손"): the most specific categories first
_CATEGORY_ORDER = tuple(sorted(COMPLAINT_CATEGORIES, key=lambda code: complaint_catalogue.SERVICES[code].precedence))
REPORT_WORDS = ("신고", "접수", "제보", "첨부", "사진", "report", "file a", "photo", "pic", "attached", "fix", "고쳐",
                "처리해", "생겼", "있어요", "났어요", "돼 있어요", "막고", "keeps", "every night", "all night")


def find_complaint_category(text: str) -> str | None:
    lowered = text.lower()
    for category in _CATEGORY_ORDER:
        if mentions(lowered, COMPLAINT_CATEGORIES[category]):
            return category
    return None


def find_media_count(text: str) -> int:
    lowered = text.lower()
    match = re.search(r"(?:사진|동영상|영상)\s*(\d+|[가-힣]+)\s*(?:장|개|편)", lowered) or \
        re.search(r"(\d+|[가-힣]+)\s*장\s*(?:첨부|보내|올려)", lowered)
    if match:
        word = match.group(1)
        return int(word) if word.isdigit() else _KO_SMALL.get(word, 1)
    match = re.search(r"\b(\d+|a|an|one|single|two|couple|three|four|five|six)\s+(?:of\s+)?"
                      r"(?:photos?|pics?|pictures?|images?|videos?)\b", lowered)
    if match:
        word = match.group(1)
        return int(word) if word.isdigit() else _EN_SMALL[word]
    if re.search(r"\b(a|the) (photo|picture|pic|video)\b|사진 첨부|사진도 첨부", lowered):
        return 1
    return 0


_ROAD = re.compile(r"([가-힣0-9]+(?:대로|로|길)\s*\d+(?:-\d+)?(?:번?길\s*\d+)?)")
_PLACE = re.compile(r"([가-힣A-Za-z0-9]+(?:공원|근린공원|역|시장|센터|학교|초등학교|병원|터널|다리|교|사거리|삼거리|광장|"
                    r"정류장|아파트|입구|앞|뒤|옆)(?:\s*(?:입구|앞|뒤|옆|버스정류장 앞|정류장 앞))?)")
_EN_ROAD = re.compile(r"\b([A-Z][a-z]+(?:-[a-z]+)?-(?:ro|gil|daero)(?:\s*\d+(?:-\d+)?)?)", re.IGNORECASE)
_EN_PLACE = re.compile(r"\b(?:in front of|outside|near|at|by)\s+((?:the\s+)?[A-Z][\w'-]*(?:\s+[A-Z][\w'-]*)*)")


def find_address(text: str, district: str | None) -> str | None:
    """The location a report names, as the citizen said it, with its district; None if there is none."""
    if re.search(r"[가-힣]", text):
        road = _ROAD.search(text)
        place = None
        parts = []
        if road:
            parts.append(road.group(1))
            rest = text[road.end():]
            tail = re.match(r"\s*((?:[가-힣]+\s*)?(?:앞|뒤|옆|입구|건너편|근처))", rest)
            if tail:
                parts.append(tail.group(1).strip())
        else:
            place = _PLACE.search(text.replace(district_ko(district) if district else "\0", ""))
            if place:
                parts.append(place.group(1))
        if not parts:
            return None
        prefix = f"서울 {district_ko(district)}" if district else "서울"
        return f"{prefix} {' '.join(parts)}".strip()
    road = _EN_ROAD.search(text)
    place = _EN_PLACE.search(text)
    parts = []
    if road:
        parts.append(road.group(1))
    if place and place.group(1).lower() not in ("seoul",) and (not road or place.group(1) not in road.group(1)):
        parts.append(f"in front of {place.group(1)}")
    if not parts:
        return None
    if district:
        parts.append(district)
    parts.append("Seoul")
    return ", ".join(parts)


_LATLON = re.compile(r"(3[67]\.\d{3,})\s*[, ]\s*(12[67]\.\d{3,})")


def find_lat_lon(text: str) -> dict | None:
    match = _LATLON.search(text)
    return {"lat": float(match.group(1)), "lon": float(match.group(2))} if match else None


# --- ids -------------------------------------------------------------------------------------------------------
_TICKET = re.compile(r"s\s*-?\s*r\s*[-\s]?\s*(\d{4})\s*[-\s]?\s*(\d{6})", re.IGNORECASE)
_TICKET_KO = re.compile(r"(?:번호|티켓|접수번호)\D{0,6}(\d{4})\s*-?\s*(\d{6})")


def find_ticket_id(text: str) -> str | None:
    text = spoken_digits_to_numbers(text.replace("에스알", "SR").replace("에스 알", "SR"))
    match = _TICKET.search(text) or _TICKET_KO.search(text)
    return f"SR-{match.group(1)}-{match.group(2)}" if match else None


_POLL = re.compile(r"(?:mv\s*-?\s*(\d{1,4})\b)|(?:(?:poll|vote|투표|엠보팅|mvoting)\D{0,12}?(\d{3,4})\s*번?)|"
                   r"(?:(\d{3,4})\s*번\s*(?:투표|안건|poll))|(?:(\d{3,4})번)", re.IGNORECASE)


def find_poll_id(text: str) -> str | None:
    match = _POLL.search(spoken_digits_to_numbers(text))
    if not match:
        return None
    number = next(g for g in match.groups() if g)
    return f"MV-{int(number):04d}"


# --- datasets --------------------------------------------------------------------------------------------------
DATASETS: dict[str, tuple[str, ...]] = {
    "public_parking_lots": ("공영주차장", "주차장", "parking lot", "parking"),
    "subway_ridership": ("지하철 승하차", "승하차", "지하철 이용", "ridership", "subway passengers", "승객"),
    "public_wifi_hotspots": ("와이파이", "wifi", "wi-fi"),
    "cctv_locations": ("cctv", "씨씨티비", "방범카메라"),
    "heat_shelters": ("무더위쉼터", "무더위 쉼터", "heat shelter", "cooling center"),
    "ttareungyi_rentals": ("따릉이", "공공자전거", "ttareungyi", "bike rental", "public bike"),
    "public_libraries": ("도서관", "library", "libraries"),
    "traffic_accidents": ("교통사고", "traffic accident", "car accident", "crashes"),
    "resident_population": ("주민등록인구", "인구", "population", "residents"),
    "civil_complaints": ("민원 건수", "민원 통계", "civil complaints", "complaint statistics"),
    "ev_chargers": ("전기차 충전", "충전소", "ev charger", "charging station", "electric vehicle"),
    "street_trees": ("가로수", "street tree"),
    "public_toilets": ("공중화장실", "화장실", "public toilet", "restroom", "toilet"),
}
COUNT_WORDS = ("개수", "몇 개", "몇개", "건수", "몇 건", "그루 수", "몇 그루", "몇 곳", "how many", "number of", "count")
GROUP_BY_WORDS = {"species": ("수종별", "수종", "by species", "species"), "station": ("역별", "by station", "stations"),
                  "district": ("구별", "자치구별", "by district", "per district", "each district"),
                  "line": ("호선별", "by line", "per line")}
SUM_FIELDS = {"subway_ridership": "ridership", "ttareungyi_rentals": "rentals", "resident_population": "population",
              "civil_complaints": "complaints", "traffic_accidents": "accidents"}


def find_dataset(text: str) -> str | None:
    return longest_mention(text, DATASETS)


def find_subway_line(text: str) -> str | None:
    match = re.search(r"(\d)\s*호선|line\s*(\d)", text, re.IGNORECASE)
    return next(g for g in match.groups() if g) if match else None


def find_top(text: str) -> int | None:
    match = re.search(r"top\s*(\d+)|상위\s*(\d+)|(\d+)\s*위까지|가장 많은\s*(\d+)", text, re.IGNORECASE)
    return int(next(g for g in match.groups() if g)) if match else None
