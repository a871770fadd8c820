"""The assistant's tools over the IoT sensors: the latest reading, a period's history (one district or several
compared), and fine-dust alerts. The metrics are the catalogue's (:mod:`civic_services.iot.catalogue`)."""

from __future__ import annotations

from civic_services.iot.catalogue import METRICS
from civic_services.tools.registry import ToolContext, ToolResult, tool
from civic_services.tools.schemas import DISTRICTS, ONE_OR_MORE_DISTRICTS, PERIOD

METRIC = {"type": "string", "enum": [m.code for m in METRICS]}


def _value(value, unit: str) -> str:
    return "no recent reading" if value is None else f"{value:,} {unit}".strip()


@tool("sensor_latest", service="iot",
      en="Latest sensor reading of a metric in one or more districts.", ko="한 개 이상 자치구의 센서 최신값을 알려 줍니다.",
      parameters={"type": "object", "properties": {"metric": METRIC, "district": ONE_OR_MORE_DISTRICTS},
                  "required": ["metric", "district"], "additionalProperties": False})
def sensor_latest(args: dict, ctx: ToolContext) -> ToolResult:
    analytics = ctx.services["iot"].analytics
    district = args["district"]
    if isinstance(district, list):
        compared = analytics.compare(args["metric"], district, None)
        rows = compared["districts"]
        text = ", ".join(f"{r['district']} {_value(r['value'], compared['unit'])}" for r in rows)
        return ToolResult(f"{args['metric']} now: {text}", compared, rows, series=[
            {"district": r["district"], "value": r["value"]} for r in rows])
    latest = analytics.latest(args["metric"], district)
    if latest.get("value") is None:
        text = (f"{district}의 최근 1시간 {args['metric']} 측정값이 없습니다." if ctx.lang == "ko"
                else latest.get("note") or f"No recent {args['metric']} reading in {district}.")
    else:
        grade = f" ({latest['grade']})" if latest.get("grade") else ""
        text = (f"{district} {latest.get('name_ko', args['metric'])} 현재 {_value(latest['value'], latest['unit'])}"
                f"{grade}" if ctx.lang == "ko" else
                f"{latest.get('name', args['metric'])} in {district} now: {_value(latest['value'], latest['unit'])}"
                f"{grade}, from {latest['reporting']} sensor(s).")
    return ToolResult(text, latest, [latest])


@tool("sensor_history", service="iot",
      en="Hourly/daily history of a sensor metric in one or more districts over a period.",
      ko="기간 동안 자치구별 센서 측정값의 시간별·일별 추이를 보여 줍니다.",
      parameters={"type": "object",
                  "properties": {"metric": METRIC, "district": ONE_OR_MORE_DISTRICTS, "period": PERIOD},
                  "required": ["metric", "district", "period"], "additionalProperties": False})
def sensor_history(args: dict, ctx: ToolContext) -> ToolResult:
    analytics = ctx.services["iot"].analytics
    district = args["district"]
    if isinstance(district, list):
        compared = analytics.compare(args["metric"], district, args["period"])
        rows = compared["districts"]
        text = ", ".join(f"{r['district']} avg {_value(r['value'], compared['unit'])}" for r in rows)
        return ToolResult(f"{args['metric']} {args['period']}: {text}", compared, rows,
                          series=[{"district": r["district"], "avg": r["value"]} for r in rows])
    interval = "day" if args["period"] in ("last_30d", "last_month", "this_year", "last_year") else "hour"
    history = analytics.history(args["metric"], district, period=args["period"], interval=interval)
    summary = history.get("summary")
    if not summary:
        text = (f"{district}의 해당 기간 {args['metric']} 기록이 없습니다." if ctx.lang == "ko"
                else f"No {args['metric']} readings in {district} for {args['period']}.")
    else:
        unit = history["unit"]
        text = (f"{district} {args['metric']} {args['period']}: 평균 {summary['avg']} {unit}, 최저 {summary['min']}, "
                f"최고 {summary['max']}" if ctx.lang == "ko" else
                f"{args['metric']} in {district}, {args['period']}: average {summary['avg']} {unit}, "
                f"min {summary['min']}, max {summary['max']}.")
    buckets = history.get("buckets", [])
    return ToolResult(text, history, buckets, series=[{"start": b["start"], "avg": b["avg"]} for b in buckets])


@tool("air_quality_alerts", service="iot",
      en="Fine-dust alerts by Korea's PM grades in a district or all of Seoul.",
      ko="자치구 또는 서울 전체의 미세먼지 등급 경보를 알려 줍니다.",
      parameters={"type": "object", "properties": {"district": {"type": "string", "enum": [*DISTRICTS, "all"]}},
                  "required": ["district"], "additionalProperties": False})
def air_quality_alerts(args: dict, ctx: ToolContext) -> ToolResult:
    report = ctx.services["iot"].analytics.air_quality_alerts(args["district"])
    rows = report if isinstance(report, list) else report.get("districts", report.get("alerts", []))
    alerts = [r for r in rows if r.get("alert")]
    if not alerts:
        text = "지금 미세먼지 경보가 발령된 곳은 없습니다." if ctx.lang == "ko" else "No fine-dust alert right now."
    else:
        names = ", ".join(r.get("district_ko" if ctx.lang == "ko" else "district") for r in alerts)
        text = (f"미세먼지 나쁨 이상: {names}" if ctx.lang == "ko" else f"Fine dust is bad or worse in: {names}.")
    return ToolResult(text, report, rows)


TOOLS = (sensor_latest, sensor_history, air_quality_alerts)
