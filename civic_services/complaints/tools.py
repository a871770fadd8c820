"""The assistant's tools over the complaints service: file a street complaint, and tell a report's status.

Their answers are sentences in the request's language: the service by the name people use (도로 파임(포트홀)), the
address whole, the district and status in words, the department that handles it."""

from __future__ import annotations

from civic_services.complaints.catalogue import DEPARTMENTS, SERVICES
from civic_services.complaints.service import NewReport
from civic_services.tools import wording as w
from civic_services.tools.registry import ToolContext, ToolResult, tool


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


TOOLS = (submit_complaint, complaint_status)
