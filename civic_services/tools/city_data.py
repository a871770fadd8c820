"""Handlers of the tools over the IoT (sensors) and voting services."""

from __future__ import annotations

from civic_services.tools.registry import ToolContext, ToolError, ToolResult


def _service_errors():
    from civic_services.iot.errors import IoTError
    from civic_services.voting.errors import VotingError

    return IoTError, VotingError


def _call(function, *args, **kwargs):
    try:
        return function(*args, **kwargs)
    except _service_errors() as exc:
        raise ToolError(str(exc)) from exc


def _value(value, unit: str) -> str:
    return "no recent reading" if value is None else f"{value:,} {unit}".strip()


def sensor_latest(args: dict, ctx: ToolContext) -> ToolResult:
    analytics = ctx.services["iot"].analytics
    district = args["district"]
    if isinstance(district, list):
        compared = _call(analytics.compare, args["metric"], district, None)
        rows = compared["districts"]
        text = ", ".join(f"{r['district']} {_value(r['value'], compared['unit'])}" for r in rows)
        return ToolResult(f"{args['metric']} now: {text}", compared, rows, series=[
            {"district": r["district"], "value": r["value"]} for r in rows])
    latest = _call(analytics.latest, args["metric"], district)
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


def sensor_history(args: dict, ctx: ToolContext) -> ToolResult:
    analytics = ctx.services["iot"].analytics
    district = args["district"]
    if isinstance(district, list):
        compared = _call(analytics.compare, args["metric"], district, args["period"])
        rows = compared["districts"]
        text = ", ".join(f"{r['district']} avg {_value(r['value'], compared['unit'])}" for r in rows)
        return ToolResult(f"{args['metric']} {args['period']}: {text}", compared, rows,
                          series=[{"district": r["district"], "avg": r["value"]} for r in rows])
    interval = "day" if args["period"] in ("last_30d", "last_month", "this_year", "last_year") else "hour"
    history = _call(analytics.history, args["metric"], district, period=args["period"], interval=interval)
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


def air_quality_alerts(args: dict, ctx: ToolContext) -> ToolResult:
    report = _call(ctx.services["iot"].analytics.air_quality_alerts, args["district"])
    rows = report if isinstance(report, list) else report.get("districts", report.get("alerts", []))
    alerts = [r for r in rows if r.get("alert")]
    if not alerts:
        text = "지금 미세먼지 경보가 발령된 곳은 없습니다." if ctx.lang == "ko" else "No fine-dust alert right now."
    else:
        names = ", ".join(r.get("district_ko" if ctx.lang == "ko" else "district") for r in alerts)
        text = (f"미세먼지 나쁨 이상: {names}" if ctx.lang == "ko" else f"Fine dust is bad or worse in: {names}.")
    return ToolResult(text, report, rows)


def list_polls(args: dict, ctx: ToolContext) -> ToolResult:
    polls = _call(ctx.services["voting"].list_polls, args["status"])
    rows = [{"id": p["id"], "title": p["title"] if ctx.lang == "ko" else (p.get("title_en") or p["title"]),
             "status": p["status"], "closes_at": p["closes_at"]} for p in polls]
    text = (f"투표 {len(rows)}건" if ctx.lang == "ko" else f"{len(rows)} poll(s)") + (
        ": " + ", ".join(f"{r['id']} {r['title']}" for r in rows[:5]) if rows else "")
    return ToolResult(text, polls, rows)


def poll_results(args: dict, ctx: ToolContext) -> ToolResult:
    results = _call(ctx.services["voting"].results, args["poll_id"])
    rows = results.get("options") or results.get("tally") or []
    text = (f"{args['poll_id']} 결과" if ctx.lang == "ko" else f"Results of {args['poll_id']}") + (
        " (최종)" if ctx.lang == "ko" and results.get("final") else " (final)" if results.get("final") else "")
    return ToolResult(text, results, rows if isinstance(rows, list) else None)


def cast_vote(args: dict, ctx: ToolContext) -> ToolResult:
    if not ctx.voter_key:
        raise ToolError("voting needs a verified voter's credential")
    receipt = _call(ctx.services["voting"].cast, args["poll_id"], ctx.voter_key, [args["choice"]])
    text = (f"{args['poll_id']} 투표가 기록되었습니다. 영수증의 투표 해시로 포함 여부를 확인할 수 있습니다." if ctx.lang == "ko"
            else f"Your vote in {args['poll_id']} is recorded; the receipt's ballot hash lets you check it is "
                 "included.")
    return ToolResult(text, receipt)
