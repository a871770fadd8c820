"""The assistant's tools over the complaints service: file a street complaint, and tell a report's status.

Their answers are sentences in the request's language: the service by the name people use (도로 파임(포트홀)), the
address whole, the district and status in words, the department that handles it."""

from __future__ import annotations

from civic_services.complaints.catalogue import DEPARTMENTS, SERVICES
from civic_services.complaints.queue import STATISTICS_GROUPS, TIMES_OF_DAY, StatisticsQuery
from civic_services.complaints.service import NewReport
from civic_services.periods import period_range
from civic_services.tools import wording as w
from civic_services.tools.registry import ChartSpec, ToolContext, ToolResult, tool
from civic_services.tools.schemas import DISTRICT, PERIOD


def service_name(code: str, lang: str) -> str:
    """A complaint category as people call it: 도로 파임(포트홀) / pothole."""
    service = SERVICES.get(code)
    if service is None:
        return code.replace("_", " ")
    return service.name_ko if lang == "ko" else service.name[:1].lower() + service.name[1:]


def place(location: dict, lang: str) -> str:
    """Where a report is, whole, as the citizen gave it (an address), or its coordinates."""
    if "address" in location:
        return str(location["address"])
    return (f"위도 {location['lat']}, 경도 {location['lon']}" if lang == "ko"
            else f"latitude {location['lat']}, longitude {location['lon']}")


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def confirm_report(args: dict, lang: str) -> str:
    """The question before a report is filed: what, where, with how many photos."""
    what, where, photos = service_name(args["category"], lang), place(args["location"], lang), args.get("media_count")
    if lang == "ko":
        return f"'{where}'의 {what} 민원을 {f'사진 {photos}장과 함께 ' if photos else ''}접수할까요?"
    with_photos = f" with {_plural(photos, 'photo')}" if photos else ""
    return f"Shall I file a {what} report at {where}{with_photos}?"


def filed_report(args: dict, ticket: str, district: str, duplicate_of: str | None, lang: str) -> str:
    service = SERVICES.get(args["category"])
    department = DEPARTMENTS.get(service.department) if service else None
    photos = args.get("media_count") or 0
    if lang == "ko":
        text = (f"{w.district(district, lang)} {service_name(args['category'], lang)} 민원이 접수되었습니다. "
                f"접수번호는 {ticket}입니다.")
        if department:
            text += f" 담당 부서는 {department.name_ko}이며, 목표 처리 기간은 {service.days_to_resolve}일입니다."
        if duplicate_of:
            text += f" 같은 곳의 기존 신고 {duplicate_of}와 연결되었습니다."
        if photos:
            text += f" 사진 {photos}장은 민원 앱이나 Open311로 올려 주세요."
        return text
    text = f"Your {service_name(args['category'], lang)} report in {district} was filed as {ticket}."
    if department:
        text += (f" The {department.name_en} handles it and aims to resolve it within "
                 f"{_plural(service.days_to_resolve, 'day')}.")
    if duplicate_of:
        text += f" It was linked to the open report {duplicate_of} at the same spot."
    if photos:
        text += f" Please upload the {_plural(photos, 'photo')} in the complaints app or via Open311."
    return text


@tool("submit_complaint", service="complaints", writes=True, confirm=confirm_report,
      en="File a street complaint (pothole, streetlight, illegal parking, ...) at an address or coordinates in Seoul.",
      ko="서울의 주소나 좌표에 생활 민원(포트홀, 가로등, 불법주차 등)을 접수합니다.",
      parameters={
          "type": "object",
          "properties": {
              "category": {"type": "string", "enum": list(SERVICES)},
              "description": {"type": "string", "minLength": 2, "maxLength": 2000},
              "location": {"oneOf": [
                  {"type": "object", "properties": {"address": {"type": "string", "minLength": 2, "maxLength": 300}},
                   "required": ["address"], "additionalProperties": False},
                  {"type": "object", "properties": {"lat": {"type": "number", "minimum": 33, "maximum": 39},
                                                    "lon": {"type": "number", "minimum": 124, "maximum": 132}},
                   "required": ["lat", "lon"], "additionalProperties": False}]},
              "media_count": {"type": "integer", "minimum": 0, "maximum": 10},
          },
          "required": ["category", "description", "location"], "additionalProperties": False})
def submit_complaint(args: dict, ctx: ToolContext) -> ToolResult:
    location = args["location"]
    report = NewReport(service_code=args["category"], description=args["description"],
                       lat=location.get("lat"), lon=location.get("lon"), address=location.get("address"),
                       attributes={}, device_id="dasan-assistant")
    submitted = ctx.services["complaints"].submit(report)
    data = {"ticket_id": submitted.ticket, "token": submitted.token, "district": submitted.district,
            "duplicate_of": submitted.duplicate_of, "personal_data_hidden": submitted.masked}
    return ToolResult(filed_report(args, submitted.ticket, submitted.district, submitted.duplicate_of, ctx.lang),
                      data)


@tool("complaint_status", service="complaints",
      en="Tell the status of a complaint by its ticket id (SR-YYYY-NNNNNN).",
      ko="접수번호(SR-YYYY-NNNNNN)로 민원 처리 상태를 알려 줍니다.",
      parameters={"type": "object",
                  "properties": {"ticket_id": {"type": "string", "pattern": "^SR-[0-9]{4}-[0-9]{6}$"}},
                  "required": ["ticket_id"], "additionalProperties": False})
def complaint_status(args: dict, ctx: ToolContext) -> ToolResult:
    record = ctx.services["complaints"].get_public(args["ticket_id"], media_url=lambda media_id: media_id)
    status = record.get("status_detail") or record.get("status")
    shown = w.COMPLAINT_STATUS[w.lang_of(ctx.lang)].get(status, status)
    what = service_name(record["service_code"], ctx.lang) if record.get("service_code") else ""
    if ctx.lang == "ko":
        text = f"{args['ticket_id']} {what} 민원은 현재 '{shown}' 상태입니다.".replace("  ", " ")
    else:
        text = f"Report {args['ticket_id']}{f' ({what})' if what else ''} is {shown}."
    notes = record.get("status_notes") or record.get("notes")
    if notes:
        text += f" {notes if isinstance(notes, str) else notes[-1]}"
    return ToolResult(text, record)


TIME_OF_DAY_WORDS = {"ko": {"night": "밤(22시~6시)", "morning": "오전(6시~12시)", "afternoon": "오후(12시~18시)",
                             "evening": "저녁(18시~22시)"},
                      "en": {"night": "at night (22:00-06:00)", "morning": "in the morning (06:00-12:00)",
                             "afternoon": "in the afternoon (12:00-18:00)", "evening": "in the evening (18:00-22:00)"}}


def _group_label(group_by: str, value, lang: str) -> str:
    if group_by == "district":
        return w.district(value, lang)
    if group_by == "service":
        return service_name(value, lang)
    if group_by == "status":
        return w.COMPLAINT_STATUS[lang].get(value, value)
    if group_by == "hour":
        return f"{value}시" if lang == "ko" else f"{value:02d}:00"
    return w.seoul_time(value, lang) if w.parse_time(value) else str(value)


def _statistics_scope(args: dict, lang: str) -> str:
    """What was counted, in words: 지난주 마포구 밤(22시~6시) 포트홀 민원 / pothole reports in Mapo-gu last week."""
    when = w.period(args.get("period", "last_30d"), lang)
    where = w.district(args["district"], lang) if args.get("district") else ("서울 전체" if lang == "ko" else "Seoul")
    what = service_name(args["category"], lang) if args.get("category") else ""
    hours = TIME_OF_DAY_WORDS[lang].get(args.get("time_of_day") or "", "")
    still = ("미처리 " if lang == "ko" else "open ") if args.get("open_only") else ""
    if lang == "ko":
        return " ".join(p for p in (when, where, hours, f"{still}{what} 민원".strip()) if p)
    noun = f"{still}{what + ' ' if what else ''}reports"
    return " ".join(p for p in (noun, f"in {where}", hours) if p) + f", {when}"


@tool("complaint_statistics", service="complaints", role="staff",
      en="Count complaint reports by district, service, status, hour of day or day, over a period, optionally only at "
         "night (or another time of day), in one district, of one service or still open (city staff).",
      ko="기간 동안의 민원 접수 건수를 자치구·유형·상태·시간대·날짜별로 셉니다. 밤 시간대, 자치구, 유형, 미처리만 "
         "골라 볼 수 있습니다 (시 직원용).",
      parameters={"type": "object",
                  "properties": {"group_by": {"type": "string", "enum": list(STATISTICS_GROUPS)},
                                 "period": PERIOD, "district": DISTRICT,
                                 "category": {"type": "string", "enum": list(SERVICES)},
                                 "time_of_day": {"type": "string", "enum": list(TIMES_OF_DAY)},
                                 "open_only": {"type": "boolean"}},
                  "required": ["group_by"], "additionalProperties": False})
def complaint_statistics(args: dict, ctx: ToolContext) -> ToolResult:
    lang = w.lang_of(ctx.lang)
    service = ctx.services["complaints"]
    group_by, period = args["group_by"], args.get("period", "last_30d")
    start, end = period_range(period, service.clock())
    counted = service.statistics(StatisticsQuery(group_by, start, end, args.get("district"), args.get("category"),
                                                 args.get("time_of_day"), bool(args.get("open_only"))))
    scope = _statistics_scope({**args, "period": period}, lang)
    groups = counted["groups"]
    busiest = [g for g in sorted(groups, key=lambda g: -g["reports"]) if g["reports"]][:3]
    tops = ", ".join(f"{_group_label(group_by, g['group'], lang)} {g['reports']:,}" +
                     ("건" if lang == "ko" else "") for g in busiest)
    if not counted["total"]:
        text = f"{scope}: 접수된 민원이 없습니다." if lang == "ko" else f"No {scope}."
    elif lang == "ko":
        text = f"{scope} {counted['total']:,}건 (미처리 {counted['open']:,}건). 가장 많은 곳: {tops}."
    else:
        text = f"{counted['total']:,} {scope}; {counted['open']:,} still open. Most: {tops}."
    table = [{group_by: g["group"], "reports": g["reports"], "open": g["open"]} for g in groups]
    names = {g["group"]: _group_label(group_by, g["group"], lang) for g in groups}
    chart = ChartSpec(title=(f"{scope}, {w.column(group_by, lang)}별 건수" if lang == "ko" else
                             f"{scope[:1].upper()}{scope[1:]}, by {w.column(group_by, lang).lower()}"),
                      x=group_by, y="reports", x_label=w.column(group_by, lang), y_label=w.column("reports", lang),
                      names=names)
    series = [{group_by: g["group"], "reports": g["reports"]} for g in groups]
    return ToolResult(text, counted, table, series=series, chart=chart)


TOOLS = (submit_complaint, complaint_status, complaint_statistics)
