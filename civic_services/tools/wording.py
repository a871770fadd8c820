"""Words for tool answers in the citizen's language: districts, metrics and their units, periods, statuses, grades,
column names, numbers and Seoul times as people write them. The names come from the catalogues where they have
them (districts, sensor metrics, complaint services); the rest is here, once, for every tool and the chat."""

from __future__ import annotations

from datetime import date, datetime, timezone

from civic_services.districts import districts
from civic_services.periods import KST


UNITS = {  # UCUM symbols of the sensor catalogue -> how a person writes them
    "ko": {"ug/m3": "㎍/㎥", "Cel": "℃", "%": "%", "lx": "lx", "dB(A)": "dB", "m/s": "m/s", "deg": "°", "mm/s": "mm/s",
           "UVI": "", "{persons}": "명"},
    "en": {"ug/m3": "µg/m³", "Cel": "°C", "%": "%", "lx": "lux", "dB(A)": "dB", "m/s": "m/s", "deg": "°",
           "mm/s": "mm/s", "UVI": "", "{persons}": "people"},
}
PERIODS = {
    "ko": {"last_24h": "최근 24시간", "today": "오늘", "yesterday": "어제", "last_7d": "최근 7일", "last_week": "지난주",
           "last_30d": "최근 30일", "last_month": "지난달", "this_year": "올해", "last_year": "작년", "now": "현재"},
    "en": {"last_24h": "the last 24 hours", "today": "today", "yesterday": "yesterday", "last_7d": "the last 7 days",
           "last_week": "last week", "last_30d": "the last 30 days", "last_month": "last month",
           "this_year": "this year", "last_year": "last year", "now": "now"},
}
VALUES = {  # statuses of complaints and polls, fine-dust grades
    "ko": {"open": "진행 중", "acknowledged": "접수 확인", "in_progress": "처리 중", "closed": "처리 완료",
           "upcoming": "시작 전", "good": "좋음", "moderate": "보통", "bad": "나쁨", "very_bad": "매우나쁨"},
    "en": {"open": "open", "acknowledged": "acknowledged", "in_progress": "in progress", "closed": "closed",
           "upcoming": "not open yet", "good": "good", "moderate": "moderate", "bad": "bad", "very_bad": "very bad"},
}
POLL_STATUS = {"ko": {"open": "진행 중", "closed": "종료", "upcoming": "시작 전", "all": "전체"},
               "en": {"open": "open", "closed": "closed", "upcoming": "upcoming", "all": "all"}}
COMPLAINT_STATUS = {"ko": {"open": "접수됨", "acknowledged": "접수 확인", "in_progress": "처리 중", "closed": "처리 완료"},
                    "en": {"open": "received", "acknowledged": "acknowledged", "in_progress": "being worked on",
                           "closed": "closed"}}
COLUMNS = {  # table columns and chart axes
    "ko": {"district": "자치구", "value": "값", "avg": "평균", "min": "최저", "max": "최고", "sum": "합계", "count": "개수",
           "start": "시각", "species": "수종", "station": "역", "station_name": "대여소", "line": "호선", "month": "월",
           "age_group": "연령대", "sex": "성별", "category": "유형", "accident_type": "사고 유형", "purpose": "목적",
           "charger_type": "충전기 종류", "facility_type": "시설 유형", "place_type": "설치 장소", "kind": "종류",
           "operator": "운영 기관", "id": "번호", "title": "제목", "status": "상태", "closes_at": "마감",
           "records": "파일 수", "grade": "등급", "as_of": "측정 시각", "label": "선택지", "votes": "득표",
           "percent": "득표율(%)", "position": "번호", "ridership": "승하차 인원", "rentals": "대여 건수",
           "population": "인구", "capacity": "주차면 수", "fee_per_10min_krw": "10분 요금(원)", "books": "장서 수",
           "seats": "열람석", "kw": "출력(kW)", "height_m": "높이(m)", "diameter_cm": "흉고 지름(cm)",
           "cameras": "카메라 수", "boardings": "승차 인원", "alightings": "하차 인원", "returns": "반납 건수",
           "deaths": "사망자", "serious_injuries": "중상자", "minor_injuries": "경상자", "date": "날짜",
           "name": "이름", "unit": "단위", "reporting": "보고 센서 수", "sensors": "센서 수", "district_ko": "자치구",
           "alert": "경보", "pm10": "미세먼지", "pm2_5": "초미세먼지", "funded": "선정", "cost": "사업비",
           "label_en": "선택지(영문)", "group": "구분", "reports": "민원 수", "open": "미처리", "service": "민원 유형",
           "hour": "시각(서울)", "day": "날짜"},
    "en": {"district": "District", "value": "Value", "avg": "Average", "min": "Lowest", "max": "Highest", "sum": "Total",
           "count": "Count", "start": "Time", "species": "Species", "station": "Station", "station_name": "Station",
           "line": "Line", "month": "Month", "age_group": "Age group", "sex": "Sex", "category": "Category",
           "accident_type": "Accident type", "purpose": "Purpose", "charger_type": "Charger type",
           "facility_type": "Facility type", "place_type": "Place", "kind": "Kind", "operator": "Operator",
           "id": "Id", "title": "Title", "status": "Status", "closes_at": "Closes", "records": "Files",
           "grade": "Grade", "as_of": "Measured at", "label": "Option", "votes": "Votes", "percent": "Share (%)",
           "position": "No.", "ridership": "Riders", "rentals": "Rentals", "population": "Residents",
           "capacity": "Spaces", "fee_per_10min_krw": "Fee per 10 min (KRW)", "books": "Books", "seats": "Seats",
           "kw": "Power (kW)", "height_m": "Height (m)", "diameter_cm": "Trunk diameter (cm)", "cameras": "Cameras",
           "boardings": "Boardings", "alightings": "Alightings", "returns": "Returns", "deaths": "Deaths",
           "serious_injuries": "Serious injuries", "minor_injuries": "Minor injuries", "date": "Date",
           "name": "Name", "unit": "Unit", "reporting": "Sensors reporting", "sensors": "Sensors",
           "district_ko": "District (Korean)", "alert": "Alert", "pm10": "PM10", "pm2_5": "PM2.5",
           "funded": "Funded", "cost": "Cost", "label_en": "Option (English)", "group": "Group", "reports": "Reports",
           "open": "Still open", "service": "Service", "hour": "Hour (Seoul)", "day": "Day"},
}
SEX = {"ko": {"male": "남성", "female": "여성"}, "en": {"male": "male", "female": "female"}}
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def lang_of(lang: str) -> str:
    return "ko" if lang == "ko" else "en"


def district(name_en, lang: str) -> str:
    """A district (or a list of them) in the citizen's language: Mapo-gu / 마포구; "all" is Seoul."""
    if isinstance(name_en, list):
        return (", " if lang_of(lang) == "en" else "·").join(district(d, lang) for d in name_en)
    if name_en in (None, "all"):
        return "서울 전체" if lang_of(lang) == "ko" else "all of Seoul"
    if lang_of(lang) == "en":
        return name_en
    return next((d.name_ko for d in districts() if d.name_en == name_en), name_en)


def metric(code: str, lang: str) -> str:
    from civic_services.iot.catalogue import BY_CODE

    m = BY_CODE.get(code)
    if m is None:
        return code.replace("_", " ")
    return m.name_ko if lang_of(lang) == "ko" else m.name_en


def unit(symbol: str | None, lang: str) -> str:
    return UNITS[lang_of(lang)].get(symbol or "", symbol or "")


def period(code: str | None, lang: str) -> str:
    return PERIODS[lang_of(lang)].get(code or "", code or "")


def value_name(value, lang: str) -> str:
    return VALUES[lang_of(lang)].get(value, value) if isinstance(value, str) else value


def column(key: str, lang: str) -> str:
    return COLUMNS[lang_of(lang)].get(key, key.replace("_", " "))


def number(value, lang: str = "en") -> str:
    """12,345 or 3.3 (at most two decimals, no trailing zeros)."""
    if value is None:
        return "-"
    if isinstance(value, bool):
        return ("예" if value else "아니요") if lang_of(lang) == "ko" else ("yes" if value else "no")
    if isinstance(value, int) or (isinstance(value, float) and value.is_integer() and abs(value) >= 1000):
        return f"{int(value):,}"
    if isinstance(value, float):
        text = f"{value:,.2f}".rstrip("0").rstrip(".")
        return text
    return str(value)


def measured(value, symbol: str | None, lang: str) -> str:
    """A reading with its unit: 12.5 ㎍/㎥, 23 ℃, 61%."""
    if value is None:
        return "측정값 없음" if lang_of(lang) == "ko" else "no recent reading"
    shown = unit(symbol, lang)
    if not shown:
        return number(value, lang)
    if shown in ("%", "℃", "°C", "°"):
        return f"{number(value, lang)}{shown}"
    return f"{number(value, lang)} {shown}"


def parse_time(value) -> datetime | date | None:
    """An ISO 8601 instant or date, or None for anything else."""
    if isinstance(value, datetime):
        return value
    if isinstance(value, date):
        return value
    if not isinstance(value, str) or len(value) < 10 or not value[:4].isdigit() or value[4] != "-":
        return None
    try:
        if len(value) == 10:
            return date.fromisoformat(value)
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def seoul_time(value, lang: str, today: date | None = None) -> str:
    """An instant in Seoul time as people write it: 10월 19일 14:00 / 19 Oct 14:00 (the year when it is not this
    year); a date as 2025년 10월 19일 / 19 Oct 2025. Anything else comes back as it was."""
    parsed = parse_time(value)
    if parsed is None:
        return value
    ko = lang_of(lang) == "ko"
    if not isinstance(parsed, datetime):
        return f"{parsed.year}년 {parsed.month}월 {parsed.day}일" if ko else \
            f"{parsed.day} {_MONTHS[parsed.month - 1]} {parsed.year}"
    local = parsed.astimezone(KST)
    this_year = (today or datetime.now(KST).date()).year
    clock = f"{local:%H:%M}"
    if ko:
        day = f"{local.month}월 {local.day}일"
        return f"{local.year}년 {day} {clock}" if local.year != this_year else f"{day} {clock}"
    day = f"{local.day} {_MONTHS[local.month - 1]}"
    return f"{day} {local.year}, {clock}" if local.year != this_year else f"{day}, {clock}"


def listing(items: list[str], lang: str) -> str:
    """a, b and c / a, b, c."""
    items = [i for i in items if i]
    if lang_of(lang) == "ko" or len(items) < 2:
        return ", ".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]
