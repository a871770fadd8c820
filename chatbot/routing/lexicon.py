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


@lru_cache(maxsize=4096)
def _word_pattern(word: str) -> re.Pattern:
    # an English word also matches its plural and past forms (alert -> alerts, report -> reported), so the lists
    # name each word once
    inflect = r"(?:s|es|ed|d|ing)?" if len(word) >= 3 and word[-1].isalpha() else ""
    return re.compile(r"(?<![a-z0-9])" + re.escape(word) + inflect + r"(?![a-z0-9])")


def contains(lowered: str, word: str) -> int:
    """Position of ``word`` in the lower-cased text, or -1. English words match whole words only ("hot" is not
    in "photo"), with their inflections ("alerts", "reported"); Korean matches inside words, as particles attach
    to them."""
    if word.isascii() and word[:1].isalnum():
        match = _word_pattern(word).search(lowered)
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
            forms.append(re.escape(short_ko) + r"(?=\s|$|에|의|은|는|이|가|도|쪽|동네|지역|랑|하고|와|과|[?,.])")
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


_SPAN_ONLY = ("하루 동안", "하루", "past day", "last day")  # a span that a named day ("어제 하루 동안") makes precise


def find_period(text: str) -> str | None:
    lowered = text.lower()
    found = [period for period, words in PERIODS if mentions(lowered, words)]
    if not found:
        return None
    named_day = next((p for p in found if p in ("yesterday", "today")), None)
    if found[0] == "last_24h" and named_day and not mentions(
            lowered, [w for w in dict(PERIODS)["last_24h"] if w not in _SPAN_ONLY]):
        return named_day  # "어제 하루 동안" is yesterday, "지난 24시간" the last 24 hours
    return found[0]


# --- complaints: the services citizens can report, from the complaints catalogue --------------------------------
COMPLAINT_CATEGORIES: dict[str, tuple[str, ...]] = {code: s.phrases for code, s in complaint_catalogue.SERVICES.items()}
# order matters where several match ("가로수가 쓰러져 ... 파손"): the most specific categories first
_CATEGORY_ORDER = tuple(sorted(COMPLAINT_CATEGORIES, key=lambda code: complaint_catalogue.SERVICES[code].precedence))
REPORT_WORDS = ("신고", "접수", "제보", "첨부", "사진", "민원 넣", "report", "file a", "log a", "complain", "photo", "pic",
                "attached", "fix", "고쳐", "처리해", "치워", "생겼", "있어요", "났어요", "돼 있어요", "막고", "keeps",
                "every night", "all night", "please send", "send someone")


def find_complaint_category(text: str) -> str | None:
    lowered = text.lower()
    for category in _CATEGORY_ORDER:
        if mentions(lowered, COMPLAINT_CATEGORIES[category]):
            return category
    return None


def find_media_count(text: str) -> int:
    lowered = text.lower()
    match = re.search(r"(?:사진|동영상|영상)\s*(\d+|[가-힣]+)\s*(?:장|개|편)", lowered) or \
        re.search(r"(\d+|[가-힣]+)\s*장\s*(?:첨부|보내|올려|찍어)", lowered)
    if match:
        word = match.group(1)
        return int(word) if word.isdigit() else _KO_SMALL.get(word, 1)
    match = re.search(r"\b(\d+|a|an|one|single|two|couple|three|four|five|six)\s+(?:of\s+)?"
                      r"(?:photos?|pics?|pictures?|images?|videos?)\b", lowered)
    if match:
        word = match.group(1)
        return int(word) if word.isdigit() else _EN_SMALL[word]
    if re.search(r"\b(?:a|the) (?:photo|picture|pic|video)\b|\b(?:photo|picture|pic|image) (?:is )?attached\b|"
                 r"\battach(?:ed|ing)? (?:a |the )?(?:photo|picture|pic)\b|\bwith (?:a )?(?:photo|picture|pic)\b|"
                 r"사진\s*(?:도\s*)?(?:첨부|보내|올려|찍어)", lowered):
        return 1
    return 0


# --- addresses: a road and number, or a landmark, as the citizen said it, with its district -------------------
_ROAD = re.compile(r"([가-힣0-9]+(?:대로|로|길)\s*\d+(?:-\d+)?(?:번?길\s*\d+)?)")
_PLACE = re.compile(r"([가-힣A-Za-z0-9]+(?:공원|근린공원|역|시장|센터|학교|초등학교|병원|터널|다리|교|사거리|삼거리|광장|"
                    r"정류장|아파트|입구|앞|뒤|옆|지하도|육교|주민센터|도서관|체육관|놀이터)"
                    r"(?:\s*\d+\s*번\s*(?:출구|출입구))?(?:\s*(?:입구|앞|뒤|옆|버스정류장 앞|정류장 앞))?)")
_KO_TAIL = re.compile(r"\s*((?:[가-힣]+\s*)?(?:앞|뒤|옆|입구|건너편|근처))")
# English roads: "Olympic-ro 300", "World Cup-buk-ro 396", "396 World Cup-ro", "Teheran-ro"
# up to two capitalised words before the name's last part (World Cup buk-ro), never a lower-case word ("on", "at")
_EN_ROAD_NAME = r"(?:(?-i:[A-Z][a-z]+)\s){0,2}[A-Z][a-z]+(?:-[a-z0-9]+)*-(?:ro|gil|daero|dong)\b"
_EN_ROAD = re.compile(r"(?:(\d+(?:-\d+)?)\s+)?(" + _EN_ROAD_NAME + r")(?:\s*(\d+(?:-\d+)?)\b)?", re.IGNORECASE)
_LANDMARK = (r"station|park|school|university|college|hospital|library|market|center|centre|complex|stadium|"
             r"square|underpass|overpass|bridge|tunnel|tower|hall|office|building|mall|plaza|terminal|gate|palace|"
             r"church|temple|apartments?|crossing|intersection|bus stop")
_EN_PLACE = re.compile(r"((?:[A-Z][\w'-]*\s+){1,4}(?:" + _LANDMARK + r")(?:\s+(?:main gate|bus stop|exit\s*\d+|"
                       r"entrance))*(?:\s+exit\s*\d+)?)\b", re.IGNORECASE)
_EN_NOT_PLACE = {"the", "a", "an", "my", "our", "this", "that", "near", "at", "by", "outside", "in", "of", "on",
                 "front", "there's", "there", "is", "some", "seoul", "report", "please", "someone", "to", "from",
                 "and", "with", "for"}


def _english_place(text: str) -> str | None:
    for match in _EN_PLACE.finditer(text):
        words = match.group(1).split()
        while words and words[0].lower() in _EN_NOT_PLACE:  # "the Nowon Station" -> "Nowon Station"
            words.pop(0)
        if len(words) >= 2 or (words and words[0][:1].isupper()):
            return " ".join(words)
    return None


def find_address(text: str, district: str | None) -> str | None:
    """The location a report names, whole, as the citizen said it, with its district; None if there is none."""
    if re.search(r"[가-힣]", text) and not re.search(r"[A-Za-z]{3,}-(?:ro|gil|daero)", text):
        road = _ROAD.search(text)
        parts = []
        if road:
            parts.append(road.group(1))
            tail = _KO_TAIL.match(text[road.end():])
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
    parts = []
    road = _EN_ROAD.search(text)
    if road:
        parts.append(re.sub(r"\s+", " ", road.group(0)).strip())  # as said: "396 World Cup-buk-ro", "Olympic-ro 300"
    place = _english_place(text)
    if place and (not road or place.lower() not in road.group(0).lower()) and \
            not any(place.lower() == name.lower() for name in _district_words()):
        parts.append(place if not road else f"in front of {place}")
    if not parts:
        return None
    if district and not any(district.lower() in p.lower() for p in parts):
        parts.append(district)
    parts.append("Seoul")
    return ", ".join(parts)


def has_road(text: str) -> bool:
    """Does the text name a road and number (월드컵북로 396, Olympic-ro 300)?"""
    return bool(_ROAD.search(text) or _EN_ROAD.search(text))


@lru_cache(maxsize=1)
def _district_words() -> tuple[str, ...]:
    return tuple(w for d in districts() for w in (d.name_en, d.short_en))


_LATLON = re.compile(r"(3[67]\.\d{3,})\s*[, ]\s*(12[67]\.\d{3,})")


def find_lat_lon(text: str) -> dict | None:
    match = _LATLON.search(text)
    return {"lat": float(match.group(1)), "lon": float(match.group(2))} if match else None


# --- ids -------------------------------------------------------------------------------------------------------
_TICKET = re.compile(r"s\s*-?\s*r\s*[-\s]?\s*(\d{4})\s*[-\s]?\s*(\d{6})", re.IGNORECASE)
_TICKET_KO = re.compile(r"(?:번호|티켓|접수번호|ticket|number)\D{0,6}(\d{4})\s*-?\s*(\d{6})", re.IGNORECASE)


def find_ticket_id(text: str) -> str | None:
    text = spoken_digits_to_numbers(text.replace("에스알", "SR").replace("에스 알", "SR"))
    match = _TICKET.search(text) or _TICKET_KO.search(text)
    return f"SR-{match.group(1)}-{match.group(2)}" if match else None


_POLL = re.compile(r"(?:mv\s*-?\s*(\d{1,4})\b)|(?:(?:poll|vote|투표|엠보팅|mvoting)\D{0,12}?(\d{3,4})\s*번?)|"
                   r"(?:(\d{3,4})\s*번\s*(?:투표|안건|poll))|(?:(\d{3,4})번)", re.IGNORECASE)


def find_poll(text: str) -> tuple[str, tuple[int, int]] | None:
    """The poll id a text names (``MV-NNNN``) and where it stands in the normalised text."""
    normalised = spoken_digits_to_numbers(text)
    match = _POLL.search(normalised)
    if not match:
        return None
    index = next(i for i, g in enumerate(match.groups(), start=1) if g)
    return f"MV-{int(match.group(index)):04d}", match.span(index)


def find_poll_id(text: str) -> str | None:
    found = find_poll(text)
    return found[0] if found else None


_CHOICE_NUMBER = re.compile(r"(?<!\d)(\d{1,2})\s*번\s*(?:선택지|항목|으로|로|안(?!건)|에)|(?:option|choice|number)\s*"
                            r"(?:no\.?\s*)?(\d{1,2})\b|\bvote\s+(\d{1,2})\b(?!\s*(?:번|%))|선택지\s*(\d{1,2})\s*번?",
                            re.IGNORECASE)
_CHOICE_WORDS = (("찬성", "찬성"), ("반대", "반대"), ("vote yes", "yes"), ("vote no", "no"), ("a yes", "yes"),
                 ("a no", "no"), ("in favor", "yes"), ("in favour", "yes"), ("against", "no"), (" is yes", "yes"),
                 (" is no", "no"), ("yes on", "yes"), ("no on", "no"))


def find_choice(text: str) -> str | None:
    """The option a vote names: a quoted label, an option number, or yes/no (찬성/반대)."""
    quoted = re.search(r"['\"‘“「『](.+?)['\"’”」』]", text)
    if quoted:
        return quoted.group(1).strip()
    poll = find_poll(text)
    normalised = spoken_digits_to_numbers(text)
    for match in _CHOICE_NUMBER.finditer(normalised):
        index = next(i for i, g in enumerate(match.groups(), start=1) if g)
        if poll and match.span(index)[0] < poll[1][1] and match.span(index)[1] > poll[1][0]:
            continue  # the poll's own number
        return match.group(index)
    lowered = f" {text.lower()} "
    for word, label in _CHOICE_WORDS:
        if word in lowered:
            return label
    return None


# --- datasets: the open-data plaza's datasets the tools can count, and the words for them and their columns -------
DATASETS: dict[str, tuple[str, ...]] = {
    "public_parking_lots": ("공영주차장", "주차장", "parking lot", "car park", "parking garage", "parking"),
    "subway_ridership": ("지하철 승하차", "승하차", "지하철 이용", "지하철역", "지하철", "ridership", "subway passengers",
                         "subway station", "subway", "metro", "passengers", "busiest station", "승객", "이용객"),
    "public_wifi_hotspots": ("와이파이", "wifi", "wi-fi", "hotspot"),
    "cctv_locations": ("cctv", "씨씨티비", "방범카메라", "감시카메라", "security camera"),
    "heat_shelters": ("무더위쉼터", "무더위 쉼터", "폭염 쉼터", "heat shelter", "cooling center", "cooling centre"),
    "ttareungyi_rentals": ("따릉이", "공공자전거", "공공 자전거", "ttareungyi", "bike rental", "public bike",
                           "bike share", "bike-share"),
    "public_libraries": ("도서관", "library", "libraries"),
    "traffic_accidents": ("교통사고", "traffic accident", "car accident", "road accident", "crashes", "collision"),
    "resident_population": ("주민등록인구", "인구", "population", "residents", "inhabitants"),
    "civil_complaints": ("민원 건수", "민원 통계", "민원 접수 현황", "민원 접수 건수", "민원 유형별", "civil complaints",
                         "complaint statistics", "complaints by", "complaints per", "complaints were filed"),
    "ev_chargers": ("전기차 충전", "충전소", "충전기", "ev charger", "ev charging", "charging station", "charging point",
                    "electric vehicle", "electric car charger"),
    "street_trees": ("가로수", "street tree", "roadside tree"),
    "public_toilets": ("공중화장실", "화장실", "public toilet", "restroom", "toilet", "bathroom"),
}
COUNT_WORDS = ("개수", "몇 개", "몇개", "건수", "몇 건", "그루 수", "몇 그루", "몇 곳", "몇 군데", "몇 대", "몇 명", "몇 번", "수는",
               "how many", "number of", "count", "total", "합계", "총", "얼마나 많")
# a dataset's measure: "how many passengers" sums ridership; a row is a station-day, not a passenger
SUM_FIELDS = {"subway_ridership": "ridership", "ttareungyi_rentals": "rentals", "resident_population": "population",
              "civil_complaints": "count"}
_OPS = (("avg", ("평균", "average", "mean", "avg")), ("max", ("최대", "최고", "가장 큰", "maximum", "max", "highest")),
        ("min", ("최소", "최저", "가장 작은", "minimum", "min", "lowest")))
FIELD_WORDS: dict[str, tuple[tuple[str, str, tuple[str, ...]], ...]] = {  # numeric columns people ask about, with
    # the aggregate a question naming them means when it names none ("평균 요금" is explicit; "주차면 수" is a sum)
    "public_parking_lots": (("capacity", "sum", ("주차면", "면수", "capacity", "spaces")),
                            ("fee_per_10min_krw", "avg", ("요금", "주차비", "fee", "price", "cost"))),
    "public_libraries": (("books", "sum", ("장서", "books")), ("seats", "sum", ("열람석", "좌석", "seats"))),
    "heat_shelters": (("capacity", "sum", ("수용", "정원", "capacity")),),
    "ev_chargers": (("kw", "avg", ("출력", "kw", "power")),),
    "street_trees": (("height_m", "avg", ("높이", "height", "tall")), ("diameter_cm", "avg", ("흉고", "지름", "diameter"))),
    "cctv_locations": (("cameras", "sum", ("카메라 수", "카메라 대수", "number of cameras")),),
    "subway_ridership": (("boardings", "sum", ("승차", "boardings", "boarding")),
                         ("alightings", "sum", ("하차", "alightings"))),
    "ttareungyi_rentals": (("returns", "sum", ("반납", "returns")),),
    "traffic_accidents": (("deaths", "sum", ("사망", "deaths", "killed", "fatalities")),
                          ("serious_injuries", "sum", ("중상", "serious injur")),
                          ("minor_injuries", "sum", ("경상", "minor injur"))),
}
# grouping words, and the columns they may mean, in order; the first column the dataset has is taken
GROUP_BY_WORDS: tuple[tuple[tuple[str, ...], tuple[str, ...]], ...] = (
    (("수종별", "수종", "나무 종류", "by species", "species", "kinds of tree", "types of tree"), ("species",)),
    (("역별", "역마다", "by station", "per station", "each station", "대여소별"), ("station", "station_name")),
    (("호선별", "노선별", "by line", "per line", "each line"), ("line",)),
    (("연령별", "연령대별", "나이별", "by age", "age group"), ("age_group",)),
    (("성별", "by sex", "by gender", "male and female"), ("sex",)),
    (("월별", "달마다", "by month", "per month", "monthly", "each month"), ("month",)),
    (("유형별", "종류별", "목적별", "by type", "by purpose", "by category", "per category", "each type", "kinds of",
      "types of"), ("species", "category", "accident_type", "purpose", "charger_type", "facility_type", "place_type",
                    "kind")),
    (("운영사별", "운영기관별", "by operator"), ("operator",)),
    (("구별", "자치구별", "구마다", "자치구마다", "각 구", "by district", "per district", "each district", "every district",
      "all districts", "district by district", "which district"), ("district",)),
)
DATASET_COLUMNS: dict[str, tuple[str, ...]] = {  # the columns each sample dataset has (grouping is checked against them)
    "public_parking_lots": ("district", "kind", "capacity", "fee_per_10min_krw", "operator"),
    "subway_ridership": ("date", "line", "station", "district", "boardings", "alightings", "ridership"),
    "public_wifi_hotspots": ("district", "place_type", "provider", "install_year"),
    "cctv_locations": ("district", "purpose", "cameras"),
    "heat_shelters": ("district", "facility_type", "capacity"),
    "ttareungyi_rentals": ("date", "station_id", "station_name", "district", "rentals", "returns"),
    "public_libraries": ("district", "kind", "books", "seats"),
    "traffic_accidents": ("date", "district", "accident_type", "weather", "deaths", "serious_injuries",
                          "minor_injuries"),
    "resident_population": ("district", "age_group", "sex", "population"),
    "civil_complaints": ("month", "district", "category", "count"),
    "ev_chargers": ("district", "charger_type", "kw", "operator"),
    "street_trees": ("district", "road", "species", "height_m", "diameter_cm", "planted_year"),
    "public_toilets": ("district", "kind", "open_hours"),
}


def find_dataset(text: str) -> str | None:
    return longest_mention(text, DATASETS)


def find_subway_line(text: str) -> str | None:
    match = re.search(r"(\d)\s*호선|line\s*(?:no\.?\s*)?(\d)\b", text, re.IGNORECASE)
    return next(g for g in match.groups() if g) if match else None


_EN_NUMBER = r"(\d+|one|two|three|four|five|six|seven|eight|nine|ten|twenty)"
_TOP = re.compile(r"top\s*" + _EN_NUMBER + r"|상위\s*(\d+)|(\d+)\s*위까지|가장 많은\s*(\d+)|많은\s*순(?:서)?(?:으로|대로)?\s*(\d+)|"
                  r"베스트\s*(\d+)|\b" + _EN_NUMBER + r"\s+(?:busiest|most|biggest|largest|highest|best)\b|"
                  r"\b(?:which|what)\s+" + _EN_NUMBER + r"\s+\w+.*\b(?:most|busiest|highest|largest)\b",
                  re.IGNORECASE)
_EN_NUMBER_WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
                    "nine": 9, "ten": 10, "twenty": 20}


def find_top(text: str) -> int | None:
    match = _TOP.search(text)
    if not match:
        return None
    word = next(g for g in match.groups() if g).lower()
    return int(word) if word.isdigit() else _EN_NUMBER_WORDS[word]


def find_group_by(text: str, dataset: str) -> str | None:
    lowered = text.lower()
    columns = DATASET_COLUMNS.get(dataset, ())
    for words, fields in GROUP_BY_WORDS:
        if mentions(lowered, words):
            field = next((f for f in fields if f in columns), None)
            if field:
                return field
    return None


def find_aggregate(text: str, dataset: str) -> dict:
    """``{"op", "field"?, "group_by"?, "top"?}`` for a question about a dataset: a count of rows, or the sum (or
    average, maximum, minimum) of the dataset's measure or of the column the question names."""
    lowered = text.lower()
    top = find_top(text)
    group_by = find_group_by(text, dataset)
    if top is not None and group_by is None and dataset == "subway_ridership":
        group_by = "station"
    fields_text = lowered.replace("승하차", "")  # "승하차 인원" is the measure itself, not 하차 alone
    named = next(((f, default) for f, default, words in FIELD_WORDS.get(dataset, ()) if mentions(fields_text, words)),
                 None)
    op = next((o for o, words in _OPS if mentions(lowered, words)), None)
    field = named[0] if named else SUM_FIELDS.get(dataset)
    if field is None:  # nothing to add up: rows are counted
        aggregate = {"op": "count"}
    else:
        aggregate = {"op": op or (named[1] if named else "sum"), "field": field}
    if group_by:
        aggregate["group_by"] = group_by
    if top is not None:
        aggregate["top"] = top
    return aggregate


# --- staff's figures of complaints ---------------------------------------------------------------------------
COMPLAINT_WORDS = ("민원", "신고", "complaint", "reports", "report")
STATISTICS_WORDS = ("몇 건", "건수", "통계", "분포", "자치구별", "구별로", "구별 ", "시간대별", "시간대", "유형별", "상태별", "일별",
                    "날짜별", "많이 들어", "가장 많", "제일 많", "많은 곳", "몰려", "몰렸", "몰린", "집중", "어느 구", "어느 자치구",
                    "how many", "count", "statistics",
                    "stats", "breakdown", "by district", "per district", "each district", "by hour", "per hour",
                    "by type", "by service", "by status", "per day", "by day", "cluster", "most complaints",
                    "most reports", "which districts", "where do", "hotspot", "hot spot", "concentrated")
TIME_OF_DAY_WORDS = {"night": ("밤", "야간", "심야", "새벽", "night", "overnight", "after dark"),
                     "morning": ("오전", "아침", "morning"), "afternoon": ("오후", "afternoon"),
                     "evening": ("저녁", "evening")}
_GROUP_WORDS = (("hour", ("시간대", "몇 시", "시각별", "hour", "time of day")),
                ("service", ("유형", "종류", "분야", "service", "type", "category", "kind")),
                ("status", ("상태별", "처리 상태", "status")),
                ("day", ("일별", "날짜별", "매일", "하루하루", "per day", "by day", "daily", "each day")))
OPEN_ONLY_WORDS = ("미처리", "처리 안 된", "처리 안된", "밀린", "아직 안", "unresolved", "still open", "outstanding",
                   "open complaints", "open reports", "not yet closed")
ALL_DISTRICTS_WORDS = ("자치구별", "구별", "어느 구", "어느 자치구", "모든 구", "모든 자치구", "구마다", "각 구", "which district",
                       "which districts", "each district", "every district", "by district", "per district",
                       "all districts", "worst", "best", "highest", "lowest", "가장 나쁜", "가장 나빴", "제일 나빴",
                       "가장 높", "가장 낮", "제일 나쁜", "제일 높", "순위", "rank")


def find_time_of_day(text: str) -> str | None:
    lowered = text.lower()
    return next((name for name, words in TIME_OF_DAY_WORDS.items() if mentions(lowered, words)), None)


def find_statistics_group(text: str) -> str | None:
    """What a count of reports is by: hour, service, status or day (None: by district)."""
    lowered = text.lower()
    return next((name for name, words in _GROUP_WORDS if mentions(lowered, words)), None)


def asks_statistics(text: str) -> bool:
    """A request for figures of complaints (how many, where, by what), not for one report."""
    lowered = text.lower()
    return mentions(lowered, COMPLAINT_WORDS) and mentions(lowered, STATISTICS_WORDS) and find_ticket_id(text) is None


def asks_all_districts(text: str) -> bool:
    return mentions(text.lower(), ALL_DISTRICTS_WORDS)
