"""The assistant's tools over the complaints service: file a street complaint, and tell a report's status."""

from __future__ import annotations

from civic_services.complaints.catalogue import SERVICES
from civic_services.complaints.service import NewReport
from civic_services.tools.registry import ToolContext, ToolResult, tool


@tool("submit_complaint", service="complaints", writes=True,
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


@tool("complaint_status", service="complaints",
      en="Tell the status of a complaint by its ticket id (SR-YYYY-NNNNNN).",
      ko="접수번호(SR-YYYY-NNNNNN)로 민원 처리 상태를 알려 줍니다.",
      parameters={"type": "object",
                  "properties": {"ticket_id": {"type": "string", "pattern": "^SR-[0-9]{4}-[0-9]{6}$"}},
                  "required": ["ticket_id"], "additionalProperties": False})
def complaint_status(args: dict, ctx: ToolContext) -> ToolResult:
    record = ctx.services["complaints"].get_public(args["ticket_id"], media_url=lambda media_id: media_id)
    status = record.get("status_detail") or record.get("status")
    text = (f"{args['ticket_id']} 민원의 현재 상태는 '{status}'입니다." if ctx.lang == "ko"
            else f"Report {args['ticket_id']} is {status}.")
    notes = record.get("status_notes") or record.get("notes")
    if notes:
        text += f" {notes if isinstance(notes, str) else notes[-1]}"
    return ToolResult(text, record)


TOOLS = (submit_complaint, complaint_status)
