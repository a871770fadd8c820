"""The civic tools: their argument schemas (with the enumerations the assistant's routers fill) and handlers that
call the service objects. Handlers of services a server does not run fail with a plain sentence."""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from civic_services.complaints.catalogue import SERVICES as COMPLAINT_SERVICES
from civic_services.districts import districts
from civic_services.tools import city_data
from civic_services.tools.periods import PERIODS, date_range
from civic_services.tools.registry import Tool, ToolContext, ToolError, ToolRegistry, ToolResult

METRICS = ("pm10", "pm2_5", "temperature", "humidity", "noise", "illumination", "wind_speed", "wind_direction",
           "vibration", "uv", "floating_population")
DISTRICTS = tuple(d.name_en for d in districts())
COMPLAINT_CATEGORIES = tuple(COMPLAINT_SERVICES)
QUERY_ROW_CAP = 200_000  # query_dataset aggregates at most this many rows

_district = {"type": "string", "enum": list(DISTRICTS), "description": "English district name, e.g. Mapo-gu"}
_districts = {"oneOf": [_district, {"type": "array", "items": _district, "minItems": 2, "maxItems": 25}]}
_period = {"type": "string", "enum": list(PERIODS)}
_metric = {"type": "string", "enum": list(METRICS)}
_poll_id = {"type": "string", "pattern": "^MV-[0-9]{4}$", "description": "poll id such as MV-1187"}

SCHEMAS: dict[str, dict] = {
    "search_faq": {"type": "object", "properties": {"query": {"type": "string", "minLength": 1, "maxLength": 500}},
                   "required": ["query"], "additionalProperties": False},
    "submit_complaint": {
        "type": "object",
        "properties": {
            "category": {"type": "string", "enum": list(COMPLAINT_CATEGORIES)},
            "description": {"type": "string", "minLength": 2, "maxLength": 2000},
            "location": {"oneOf": [
                {"type": "object", "properties": {"address": {"type": "string", "minLength": 2, "maxLength": 300}},
                 "required": ["address"], "additionalProperties": False},
                {"type": "object", "properties": {"lat": {"type": "number", "minimum": 33, "maximum": 39},
                                                  "lon": {"type": "number", "minimum": 124, "maximum": 132}},
                 "required": ["lat", "lon"], "additionalProperties": False}]},
            "media_count": {"type": "integer", "minimum": 0, "maximum": 10},
        },
        "required": ["category", "description", "location"], "additionalProperties": False},
    "complaint_status": {"type": "object", "properties": {
        "ticket_id": {"type": "string", "pattern": "^SR-[0-9]{4}-[0-9]{6}$"}}, "required": ["ticket_id"],
        "additionalProperties": False},
    "list_polls": {"type": "object", "properties": {"status": {"type": "string", "enum": ["open", "closed", "all"]}},
                   "required": ["status"], "additionalProperties": False},
    "cast_vote": {"type": "object", "properties": {"poll_id": _poll_id, "choice": {"type": "string", "minLength": 1}},
                  "required": ["poll_id", "choice"], "additionalProperties": False},
    "poll_results": {"type": "object", "properties": {"poll_id": _poll_id}, "required": ["poll_id"],
                     "additionalProperties": False},
    "search_datasets": {"type": "object", "properties": {"query": {"type": "string", "minLength": 1, "maxLength": 200}},
                        "required": ["query"], "additionalProperties": False},
    "query_dataset": {
        "type": "object",
        "properties": {
            "dataset": {"type": "string", "pattern": "^[a-z0-9_]{2,64}$"},
            "filters": {"type": "object", "properties": {"district": _district, "line": {"type": "string"},
                                                         "period": _period}, "additionalProperties": False},
            "aggregate": {"type": "object", "properties": {
                "op": {"type": "string", "enum": ["count", "sum", "avg", "min", "max"]},
                "field": {"type": "string"}, "group_by": {"type": "string"},
                "top": {"type": "integer", "minimum": 1, "maximum": 100}}, "required": ["op"],
                "additionalProperties": False},
        },
        "required": ["dataset"], "additionalProperties": False},
    "sensor_latest": {"type": "object", "properties": {"metric": _metric, "district": _districts},
                      "required": ["metric", "district"], "additionalProperties": False},
    "sensor_history": {"type": "object", "properties": {"metric": _metric, "district": _districts, "period": _period},
                       "required": ["metric", "district", "period"], "additionalProperties": False},
    "air_quality_alerts": {"type": "object", "properties": {
        "district": {"type": "string", "enum": [*DISTRICTS, "all"]}}, "required": ["district"],
        "additionalProperties": False},
}


# ---------------------------------------------------------------------------------------------------- handlers
def _search_faq(args: dict, ctx: ToolContext) -> ToolResult:
    assistant = ctx.services["assistant"]
    hits = assistant.index.search(args["query"], k=3)
    rows = [{"entry_id": h.group, "question": assistant.kb.get(h.group).question(ctx.lang)} for h in hits]
    if not rows:
        return ToolResult("Nothing in the knowledge base matches.", [], rows)
    best = assistant.kb.get(rows[0]["entry_id"])
    return ToolResult(best.answer(ctx.lang), rows, rows)


def _submit_complaint(args: dict, ctx: ToolContext) -> ToolResult:
    from civic_services.complaints.errors import ComplaintError
    from civic_services.complaints.service import NewReport

    location = args["location"]
    report = NewReport(service_code=args["category"], description=args["description"],
                       lat=location.get("lat"), lon=location.get("lon"), address=location.get("address"),
                       attributes={}, device_id="dasan-assistant")
    try:
        submitted = ctx.services["complaints"].submit(report)
    except ComplaintError as exc:
        raise ToolError(str(exc)) from exc
    data = {"ticket_id": submitted.ticket, "token": submitted.token, "district": submitted.district,
            "duplicate_of": submitted.duplicate_of}
    if ctx.lang == "ko":
        text = f"민원이 접수되었습니다. 접수번호는 {submitted.ticket}입니다({submitted.district})."
    else:
        text = f"Your report was filed as {submitted.ticket} ({submitted.district})."
    if submitted.duplicate_of:
        text += (f" 같은 곳의 기존 신고 {submitted.duplicate_of}와 연결되었습니다." if ctx.lang == "ko"
                 else f" It was linked to the open report {submitted.duplicate_of} at the same spot.")
    if args.get("media_count"):
        text += (f" 사진 {args['media_count']}장은 민원 앱이나 Open311 주소로 올려 주세요." if ctx.lang == "ko" else
                 f" Please upload the {args['media_count']} photo(s) in the complaints app or via Open311.")
    return ToolResult(text, data)


def _complaint_status(args: dict, ctx: ToolContext) -> ToolResult:
    from civic_services.complaints.errors import ComplaintError

    try:
        record = ctx.services["complaints"].get_public(args["ticket_id"], media_url=lambda media_id: media_id)
    except ComplaintError as exc:
        raise ToolError(str(exc)) from exc
    status = record.get("status_detail") or record.get("status")
    text = (f"{args['ticket_id']} 민원의 현재 상태는 '{status}'입니다." if ctx.lang == "ko"
            else f"Report {args['ticket_id']} is {status}.")
    notes = record.get("status_notes") or record.get("notes")
    if notes:
        text += f" {notes if isinstance(notes, str) else notes[-1]}"
    return ToolResult(text, record)


def _search_datasets(args: dict, ctx: ToolContext) -> ToolResult:
    from civic_services.opendata.catalogue import SearchParams

    found = ctx.services["opendata"].catalog.search(SearchParams(q=args["query"], rows=5))
    rows = [{"id": d["name"], "title": d.get("title"), "records": d.get("num_resources")} for d in found["results"]]
    if not rows:
        text = "일치하는 데이터셋이 없습니다." if ctx.lang == "ko" else "No dataset matches."
    else:
        text = (f"{found['count']}개 데이터셋을 찾았습니다: " if ctx.lang == "ko" else
                f"Found {found['count']} dataset(s): ") + ", ".join(r["id"] for r in rows)
    return ToolResult(text, found, rows)


def _rows(opendata, dataset: str, filters: dict) -> list[dict]:
    from civic_services.opendata.errors import OpenDataError

    where = {k: v for k, v in filters.items() if k in ("district", "line")}
    rows: list[dict] = []
    try:
        while len(rows) < QUERY_ROW_CAP:
            _, page = opendata.search_datastore(dataset, filters=where or None, offset=len(rows),
                                                limit=opendata.options.rows_max, include_total=False)
            rows.extend(page.records)
            if len(page.records) < opendata.options.rows_max:
                break
    except OpenDataError as exc:
        raise ToolError(str(exc)) from exc
    if "period" in filters:
        start, end = date_range(filters["period"], date.today())
        rows = [r for r in rows if "date" in r and start.isoformat() <= str(r["date"])[:10] < end.isoformat()]
    return rows


def aggregate(rows: list[dict], op: str, field: str | None = None, group_by: str | None = None,
              top: int | None = None) -> list[dict]:
    """count/sum/avg/min/max of ``field`` over rows, optionally per ``group_by`` value, largest first."""
    groups: dict = defaultdict(list)
    for row in rows:
        groups[row.get(group_by) if group_by else "all"].append(row)
    out = []
    for key, members in groups.items():
        if op == "count":
            value = len(members)
        else:
            values = [float(m[field]) for m in members if m.get(field) is not None]
            if not values:
                continue
            value = {"sum": sum(values), "avg": sum(values) / len(values), "min": min(values),
                     "max": max(values)}[op]
        out.append({group_by or "group": key, op: round(value, 2)})
    out.sort(key=lambda r: -r[op])
    return out[:top] if top else out


def _query_dataset(args: dict, ctx: ToolContext) -> ToolResult:
    spec = args.get("aggregate", {"op": "count"})
    if spec["op"] != "count" and not spec.get("field"):
        raise ToolError(f"aggregate {spec['op']} needs a field")
    rows = _rows(ctx.services["opendata"], args["dataset"], args.get("filters", {}))
    if spec.get("field") and rows and spec["field"] not in rows[0]:
        raise ToolError(f"{args['dataset']} has no column {spec['field']!r}")
    if spec.get("group_by") and rows and spec["group_by"] not in rows[0]:
        raise ToolError(f"{args['dataset']} has no column {spec['group_by']!r}")
    table = aggregate(rows, spec["op"], spec.get("field"), spec.get("group_by"), spec.get("top"))
    where = ", ".join(f"{k}={v}" for k, v in args.get("filters", {}).items())
    if not spec.get("group_by"):
        value = table[0][spec["op"]] if table else 0
        text = (f"{args['dataset']}({where}) {spec['op']}: {value:,}" if ctx.lang == "ko"
                else f"{args['dataset']} ({where or 'all rows'}): {spec['op']} = {value:,}")
    else:
        text = (f"{args['dataset']} {spec['group_by']}별 {spec['op']} (상위 {len(table)})" if ctx.lang == "ko"
                else f"{args['dataset']} {spec['op']} by {spec['group_by']} ({len(table)} rows)")
    return ToolResult(text, {"rows_read": len(rows), "result": table}, table,
                      series=table if spec.get("group_by") else None)


def build_registry() -> ToolRegistry:
    registry = ToolRegistry()
    described = [
        ("search_faq", "Search the 120 knowledge base for an answer.", "120 지식베이스에서 답을 찾습니다.",
         _search_faq, "citizen", False, "assistant"),
        ("submit_complaint", "File a street complaint (pothole, streetlight, illegal parking, ...) at an address or "
         "coordinates in Seoul.", "서울의 주소나 좌표에 생활 민원(포트홀, 가로등, 불법주차 등)을 접수합니다.",
         _submit_complaint, "citizen", True, "complaints"),
        ("complaint_status", "Tell the status of a complaint by its ticket id (SR-YYYY-NNNNNN).",
         "접수번호(SR-YYYY-NNNNNN)로 민원 처리 상태를 알려 줍니다.", _complaint_status, "citizen", False, "complaints"),
        ("list_polls", "List mVoting polls: open, closed or all.", "엠보팅 투표 목록(진행 중, 종료, 전체)을 보여 줍니다.",
         city_data.list_polls, "citizen", False, "voting"),
        ("cast_vote", "Cast the verified voter's vote in a poll (MV-NNNN) for a choice (label or option number).",
         "본인 확인된 투표자가 투표(MV-NNNN)의 선택지(이름 또는 번호)에 투표합니다.", city_data.cast_vote, "verified_voter", True,
         "voting"),
        ("poll_results", "Show a poll's results (when the poll allows).", "투표 결과를 보여 줍니다(공개된 경우).",
         city_data.poll_results,
         "citizen", False, "voting"),
        ("search_datasets", "Search the open-data plaza's catalogue.", "열린데이터광장 목록에서 데이터셋을 검색합니다.",
         _search_datasets, "citizen", False, "opendata"),
        ("query_dataset", "Count, sum or average a dataset's rows, filtered by district, subway line or period and "
         "grouped by a column.", "데이터셋을 자치구·노선·기간으로 거르고 항목별로 세거나 합계·평균을 냅니다.",
         _query_dataset, "citizen", False, "opendata"),
        ("sensor_latest", "Latest sensor reading of a metric in one or more districts.",
         "한 개 이상 자치구의 센서 최신값을 알려 줍니다.", city_data.sensor_latest, "citizen", False, "iot"),
        ("sensor_history", "Hourly/daily history of a sensor metric in one or more districts over a period.",
         "기간 동안 자치구별 센서 측정값의 시간별·일별 추이를 보여 줍니다.", city_data.sensor_history, "citizen", False, "iot"),
        ("air_quality_alerts", "Fine-dust alerts by Korea's PM grades in a district or all of Seoul.",
         "자치구 또는 서울 전체의 미세먼지 등급 경보를 알려 줍니다.", city_data.air_quality_alerts, "citizen", False, "iot"),
    ]
    for name, en, ko, handler, role, writes, service in described:
        registry.register(Tool(name, en, ko, SCHEMAS[name], handler, role, writes, service))
    return registry
