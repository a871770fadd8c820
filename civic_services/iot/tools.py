"""The assistant's tools over the IoT sensors: the latest reading, a period's history (one district or several
compared), and fine-dust alerts. The metrics are the catalogue's (:mod:`civic_services.iot.catalogue`).

Answers name the metric, district, period and unit in the request's language (초미세먼지, 마포구, 최근 7일, ㎍/㎥)."""

from __future__ import annotations

from civic_services.iot.catalogue import METRICS
from civic_services.tools import wording as w
from civic_services.tools.registry import ChartSpec, ToolContext, ToolResult, tool
from civic_services.tools.schemas import DISTRICTS, ONE_OR_MORE_DISTRICTS, PERIOD

METRIC = {"type": "string", "enum": [m.code for m in METRICS]}


def _grade(grade: str | None, lang: str) -> str:
    return f" ({w.value_name(grade, lang)})" if grade else ""


def _district_names(rows: list[dict], lang: str) -> dict[str, str]:
    return {r["district"]: w.district(r["district"], lang) for r in rows}


def _readings(rows: list[dict], unit: str | None, lang: str, grades: bool = False) -> str:
    """Each district's value; of more than five, those with a reading (up to five) or the three highest and the
    lowest."""
    def one(r):
        return (f"{w.district(r['district'], lang)} {w.measured(r['value'], unit, lang)}"
                f"{_grade(r.get('grade'), lang) if grades else ''}")

    known = [r for r in rows if r["value"] is not None]
    if len(rows) <= 5:
        return ", ".join(one(r) for r in rows)
    if not known:
        return "측정값 없음" if lang == "ko" else "no readings"
    if len(known) <= 5:
        listed = ", ".join(one(r) for r in known)
        return f"{listed} (다른 구는 측정값 없음)" if lang == "ko" else f"{listed} (no readings elsewhere)"
    if lang == "ko":
        return f"가장 높은 곳 {', '.join(one(r) for r in known[:3])}; 가장 낮은 곳 {one(known[-1])}"
    return f"highest {', '.join(one(r) for r in known[:3])}; lowest {one(known[-1])}"


def _every_district(district):
    return list(DISTRICTS) if district == "all" else district


def _axis(metric: str, unit: str | None, lang: str) -> str:
    shown = w.unit(unit, lang)
    return f"{w.metric(metric, lang)} ({shown})" if shown else w.metric(metric, lang)


@tool("sensor_latest", service="iot",
      en="Latest sensor reading of a metric in one or more districts.", ko="한 개 이상 자치구의 센서 최신값을 알려 줍니다.",
      parameters={"type": "object", "properties": {"metric": METRIC, "district": ONE_OR_MORE_DISTRICTS},
                  "required": ["metric", "district"], "additionalProperties": False})
def sensor_latest(args: dict, ctx: ToolContext) -> ToolResult:
    analytics = ctx.services["iot"].analytics
    lang = w.lang_of(ctx.lang)
    metric, district = args["metric"], _every_district(args["district"])
    name = w.metric(metric, lang)
    if isinstance(district, list):
        compared = analytics.compare(metric, district, None)
        rows = compared["districts"]
        readings = _readings(rows, compared["unit"], lang, grades=True)
        text = f"현재 {name}: {readings}" if lang == "ko" else f"{name} now: {readings}"
        chart = ChartSpec(title=f"현재 {_axis(metric, compared['unit'], lang)}" if lang == "ko"
                          else f"{_axis(metric, compared['unit'], lang)} now", x="district", y="value",
                          x_label=w.column("district", lang), y_label=_axis(metric, compared["unit"], lang),
                          names=_district_names(rows, lang))
        return ToolResult(text, compared, rows, series=[{"district": r["district"], "value": r["value"]} for r in rows],
                          chart=chart)
    latest = analytics.latest(metric, district)
    where = w.district(district, lang)
    if latest.get("value") is None:
        text = (f"{where}의 최근 1시간 {name} 측정값이 없습니다." if lang == "ko"
                else f"No {name} reading in {district} in the past hour.")
    else:
        value = w.measured(latest["value"], latest["unit"], lang)
        sensors = latest.get("reporting") or 0
        if lang == "ko":
            text = (f"{where}의 현재 {name}은(는) {value}{_grade(latest.get('grade'), lang)}입니다"
                    f"(센서 {sensors}개, {w.seoul_time(latest.get('as_of'), lang)} 기준).")
        else:
            text = (f"{name} in {district} now: {value}{_grade(latest.get('grade'), lang)}, from {sensors} "
                    f"sensor{'s' if sensors != 1 else ''} (as of {w.seoul_time(latest.get('as_of'), lang)}).")
    return ToolResult(text, latest, [latest])


@tool("sensor_history", service="iot",
      en="Hourly/daily history of a sensor metric in one or more districts over a period.",
      ko="기간 동안 자치구별 센서 측정값의 시간별·일별 추이를 보여 줍니다.",
      parameters={"type": "object",
                  "properties": {"metric": METRIC, "district": ONE_OR_MORE_DISTRICTS, "period": PERIOD},
                  "required": ["metric", "district", "period"], "additionalProperties": False})
def sensor_history(args: dict, ctx: ToolContext) -> ToolResult:
    analytics = ctx.services["iot"].analytics
    lang = w.lang_of(ctx.lang)
    metric, district, period = args["metric"], _every_district(args["district"]), args["period"]
    name, when = w.metric(metric, lang), w.period(period, lang)
    if isinstance(district, list):
        compared = analytics.compare(metric, district, period)
        rows = compared["districts"]
        readings = _readings(rows, compared["unit"], lang)
        text = (f"{when} {name} 평균: {readings}" if lang == "ko" else f"Average {name}, {when}: {readings}")
        axis = _axis(metric, compared["unit"], lang)
        chart = ChartSpec(title=f"{when} 자치구별 평균 {axis}" if lang == "ko" else f"Average {axis} by district, {when}",
                          x="district", y="avg", x_label=w.column("district", lang), y_label=axis,
                          names=_district_names(rows, lang))
        return ToolResult(text, compared, rows, series=[{"district": r["district"], "avg": r["value"]} for r in rows],
                          chart=chart)
    interval = "day" if period in ("last_30d", "last_month", "this_year", "last_year") else "hour"
    history = analytics.history(metric, district, period=period, interval=interval)
    summary = history.get("summary")
    where = w.district(district, lang)
    unit = history.get("unit")
    if not summary:
        text = (f"{where}의 {when} {name} 기록이 없습니다." if lang == "ko"
                else f"No {name} readings in {district} for {when}.")
    elif lang == "ko":
        text = (f"{where} {name}, {when}: 평균 {w.measured(summary['avg'], unit, lang)}, "
                f"최저 {w.measured(summary['min'], unit, lang)}, 최고 {w.measured(summary['max'], unit, lang)}")
    else:
        text = (f"{name} in {district}, {when}: average {w.measured(summary['avg'], unit, lang)}, "
                f"lowest {w.measured(summary['min'], unit, lang)}, highest {w.measured(summary['max'], unit, lang)}.")
    buckets = history.get("buckets", [])
    axis = _axis(metric, unit, lang)
    step = ("일별" if interval == "day" else "시간별") if lang == "ko" else ("daily" if interval == "day" else "hourly")
    chart = ChartSpec(title=f"{where} {step} 평균 {axis}, {when}" if lang == "ko" else
                      f"{step.capitalize()} average {axis} in {district}, {when}", x="start", y="avg",
                      x_label="날짜 (서울 시각)" if lang == "ko" and interval == "day" else
                      "시각 (서울)" if lang == "ko" else "Date (Seoul)" if interval == "day" else "Time (Seoul)",
                      y_label=axis)
    return ToolResult(text, history, buckets, series=[{"start": b["start"], "avg": b["avg"]} for b in buckets],
                      chart=chart)


@tool("air_quality_alerts", service="iot",
      en="Fine-dust alerts by Korea's PM grades in a district or all of Seoul.",
      ko="자치구 또는 서울 전체의 미세먼지 등급 경보를 알려 줍니다.",
      parameters={"type": "object", "properties": {"district": {"type": "string", "enum": [*DISTRICTS, "all"]}},
                  "required": ["district"], "additionalProperties": False})
def air_quality_alerts(args: dict, ctx: ToolContext) -> ToolResult:
    report = ctx.services["iot"].analytics.air_quality_alerts(args["district"])
    lang = w.lang_of(ctx.lang)
    rows = report if isinstance(report, list) else report.get("districts", report.get("alerts", []))
    alerts = [r for r in rows if r.get("alert")]
    where = w.district(args["district"], lang)
    if not alerts:
        text = (f"지금 {where}에 미세먼지 나쁨 이상인 곳은 없습니다." if lang == "ko"
                else f"No fine-dust alert right now in {where}.")
    else:
        names = ", ".join(f"{r.get('district_ko') if lang == 'ko' else r['district']}"
                          f"{_grade(r.get('grade'), lang)}" for r in alerts)
        text = (f"미세먼지 나쁨 이상: {names}" if lang == "ko" else f"Fine dust is bad or worse in: {names}.")
    table = [{"district": r["district"], "grade": r.get("grade"),
              "pm10": (r.get("pm10") or {}).get("value"), "pm2_5": (r.get("pm2_5") or {}).get("value")}
             for r in rows]
    return ToolResult(text, report, table)


TOOLS = (sensor_latest, sensor_history, air_quality_alerts)
