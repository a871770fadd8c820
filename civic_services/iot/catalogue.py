"""What Seoul's multi-function (S-DoT) sensors measure: the ten items plus floating population, as
SensorThings ObservedProperties with units, plausible ranges, and Korea's fine-dust grades."""

from __future__ import annotations

from dataclasses import dataclass

OM_MEASUREMENT = "http://www.opengis.net/def/observationType/OGC-OM/2.0/OM_Measurement"
UCUM = "http://unitsofmeasure.org/ucum.html#"


@dataclass(frozen=True)
class Metric:
    code: str  # the assistant's name: pm10, pm2_5, ...
    name_en: str
    name_ko: str
    unit_name: str
    unit_symbol: str
    low: float  # a result outside [low, high] is a sensor fault, refused
    high: float
    definition: str
    phrases: tuple[str, ...] = ()  # how people say it, in Korean and English (the assistant's router finds it by
    # these; where several match, the longest wins: 초미세먼지 over 미세먼지)

    @property
    def unit(self) -> dict:
        return {"name": self.unit_name, "symbol": self.unit_symbol, "definition": UCUM + self.unit_symbol}


METRICS: tuple[Metric, ...] = (
    Metric("pm10", "PM10 (fine dust)", "미세먼지", "microgram per cubic metre", "ug/m3", 0, 2000,
           "Mass concentration of particles under 10 um",
           phrases=("미세먼지", "미세 먼지", "황사", "pm10", "pm 10", "fine dust", "yellow dust", "dust", "air quality",
                    "air like", "공기질", "대기질")),
    Metric("pm2_5", "PM2.5 (ultrafine dust)", "초미세먼지", "microgram per cubic metre", "ug/m3", 0, 1000,
           "Mass concentration of particles under 2.5 um",
           phrases=("초미세먼지", "초미세 먼지", "pm2.5", "pm 2.5", "pm2_5", "pm25", "ultrafine", "ultra-fine",
                    "fine particulate")),
    Metric("wind_direction", "Wind direction", "풍향", "degree", "deg", 0, 360, "Direction the wind blows from",
           phrases=("풍향", "wind direction", "바람 방향", "바람이 어느", "어느 쪽으로 불", "어느 방향으로 불",
                    "which way is the wind", "which way the wind", "wind blowing from", "wind coming from")),
    Metric("wind_speed", "Wind speed", "풍속", "metre per second", "m/s", 0, 75, "Mean wind speed",
           phrases=("풍속", "바람", "wind speed", "wind", "windy")),
    Metric("temperature", "Air temperature", "기온", "degree Celsius", "Cel", -50, 60, "Air temperature",
           phrases=("기온", "온도", "몇 도", "temperature", "degrees", "hot", "cold", "warm", "chilly", "덥", "추웠", "춥",
                    "더웠")),
    Metric("humidity", "Relative humidity", "습도", "percent", "%", 0, 100, "Relative humidity of the air",
           phrases=("습도", "humidity", "humid", "muggy", "습해", "습한", "눅눅")),
    Metric("illumination", "Illumination", "조도", "lux", "lx", 0, 200_000, "Illuminance",
           phrases=("조도", "밝기", "illumination", "illuminance", "brightness", "how bright", "lux", "light level")),
    Metric("noise", "Noise", "소음", "decibel (A-weighted)", "dB(A)", 0, 160, "Equivalent sound level",
           phrases=("소음", "시끄", "noise", "noisy", "loud", "데시벨", "decibel")),
    Metric("vibration", "Vibration", "진동", "millimetre per second", "mm/s", 0, 1000, "Ground vibration velocity",
           phrases=("진동", "vibration")),
    Metric("uv", "UV index", "자외선 지수", "UV index", "UVI", 0, 20, "Ultraviolet index",
           phrases=("자외선", "uv", "ultraviolet")),
    Metric("floating_population", "Floating population", "유동인구", "persons", "{persons}", 0, 1_000_000,
           "People counted near the sensor during the interval",
           phrases=("유동인구", "유동 인구", "floating population", "foot traffic", "pedestrian count",
                    "people passing", "footfall", "crowded", "붐비", "인파")),
)
BY_CODE = {m.code: m for m in METRICS}
_ALIASES = {"pm25": "pm2_5", "pm2.5": "pm2_5", "pm_10": "pm10", "pm2-5": "pm2_5", "uv_index": "uv",
            "population": "floating_population", "temp": "temperature", "illuminance": "illumination"}


def metric(code: str) -> Metric | None:
    key = code.strip().lower().replace(" ", "_")
    return BY_CODE.get(_ALIASES.get(key, key))


# Korea's fine-dust forecast grades (ug/m3): value <= bound -> grade.
PM_GRADES = {
    "pm10": ((30, "good"), (80, "moderate"), (150, "bad")),
    "pm2_5": ((15, "good"), (35, "moderate"), (75, "bad")),
}
GRADE_KO = {"good": "좋음", "moderate": "보통", "bad": "나쁨", "very_bad": "매우나쁨"}
GRADE_RANK = {"good": 0, "moderate": 1, "bad": 2, "very_bad": 3}


def pm_grade(code: str, value: float) -> str:
    """Korea's grade of a PM10 or PM2.5 concentration: good, moderate, bad or very_bad."""
    for bound, grade in PM_GRADES[code]:
        if value <= bound:
            return grade
    return "very_bad"
