"""Open311 GeoReport v2 over HTTP (``/open311/v2``), plus the staff endpoints. Citizens need no credential
(an ``api_key`` may name their client application); staff endpoints need a bearer token with a scope.

Every error, including a malformed request, is an Open311 error list in the requested format (JSON or XML),
never a stack trace.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, File, Form, Path, Query, Request, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, Response
from pydantic import BaseModel, Field
from starlette.datastructures import UploadFile as StarletteUpload

from civic_services.complaints import open311
from civic_services.complaints.catalogue import DEPARTMENTS
from civic_services.complaints.errors import ComplaintError
from civic_services.complaints.records import open311_time
from civic_services.complaints.service import ComplaintService, ListQuery, NewReport, QueueQuery, Upload
from civic_services.complaints.tables import STATUSES
from civic_services.staff.api import require_scope
from civic_services.staff.tokens import StaffIdentity
from webapi.access import PUBLIC
from webapi.deps import PartUnavailable, get_part, part
from webapi.errors import Failure, error_responses, error_route

log = logging.getLogger("civic_services.complaints.api")

Format = Literal["json", "xml"]
MEDIA_TYPES = {"json": "application/json", "xml": "text/xml; charset=utf-8"}


def _format_of(request: Request) -> str:
    return "xml" if request.url.path.endswith(".xml") else "json"


def error_response(status: int, descriptions: list[str], fmt: str = "json", headers: dict | None = None) -> Response:
    items = open311.errors(status, descriptions)
    body = open311.xml_document("errors", items) if fmt == "xml" else open311.dumps(items)
    return Response(body, status_code=status, media_type=MEDIA_TYPES[fmt], headers=headers)


def _body_max(request: Request) -> int | None:
    """The largest body a report can need (its photos or its video, and the form around them)."""
    try:
        service: ComplaintService = get_part(request, "complaints")
    except PartUnavailable:
        return None
    limits = service.limits
    return max(limits.max_photos * limits.photo_max_bytes, limits.video_max_bytes) + 1_000_000


def render_open311(request: Request, failure: Failure) -> Response:
    return error_response(failure.status, failure.sentences, _format_of(request), failure.headers)


# Every failure of a route becomes an Open311 error list; oversize bodies are refused before parsing.
Open311Route = error_route(render_open311, service_errors=ComplaintError, body_max=_body_max)
router = APIRouter(prefix="/open311/v2", tags=["complaints (Open311 GeoReport v2)"], route_class=Open311Route)
# Every error is an Open311 error list, in JSON or XML as the path's format asks (staff routes: JSON).
OPEN311_ERRORS = {"application/json": {"schema": {"type": "array", "items": {
    "type": "object", "required": ["code", "description"],
    "properties": {"code": {"type": "integer"}, "description": {"type": "string"}}}}},
    "text/xml": {"schema": {"type": "string"}}}
ERRORS = error_responses(400, 401, 403, 404, 409, 413, 415, content=OPEN311_ERRORS)
ERRORS[400]["description"] = "Invalid request (Open311 error list)"


def in_format(status: int = 200, description: str = "Successful Response") -> dict:
    """``responses=`` of a route whose answer is JSON or XML, as its path's ``.{fmt}`` asks."""
    return {**ERRORS, status: {"description": description,
                               "content": {"application/json": {}, "text/xml": {"schema": {"type": "string"}}}}}


Service = Annotated[ComplaintService, Depends(part("complaints"))]


def _render(payload, fmt: str, root: str, status: int = 200) -> Response:
    body = open311.xml_document(root, payload) if fmt == "xml" else open311.dumps(payload)
    return Response(body, status_code=status, media_type=MEDIA_TYPES[fmt])


def _media_url(request: Request):
    return lambda media_id: str(request.url_for("complaint_media", media_id=media_id))


def _original_url(request: Request):
    return lambda media_id: str(request.url_for("complaint_media_original", media_id=media_id))


def _split(value: str | None) -> tuple[str, ...]:
    return tuple(v.strip() for v in (value or "").split(",") if v.strip())


@router.get("/services.{fmt}", dependencies=[PUBLIC], summary="List the services citizens can report", responses=in_format())
def list_services(service: Service, fmt: Format) -> Response:
    return _render([open311.service_summary(s) for s in service.services()], fmt, "services")


@router.get("/services/{service_code}.{fmt}", summary="A service's definition (custom attributes)", responses=in_format(),
            dependencies=[PUBLIC])
def service_definition(service: Service, service_code: str, fmt: Format) -> Response:
    definition = open311.service_definition(service.service(service_code))
    if fmt == "xml":
        return Response(open311.xml_single("service_definition", definition), media_type=MEDIA_TYPES["xml"])
    return Response(open311.dumps(definition), media_type=MEDIA_TYPES["json"])


@router.post("/requests.{fmt}", dependencies=[PUBLIC], status_code=201, responses=in_format(201, "The report, filed"),
             summary="Submit a report (form fields; photos or a video as multipart `media`, the v2.1 way)",
             description="Up to 3 photos (JPEG, PNG, WebP) or 1 video (MP4/MOV) in `media`. The location is "
                         "lat/long, else address_string naming a Seoul district, else a photo's GPS. "
                         "Custom attributes go in `attribute[CODE]` fields. The answer carries a `token` the "
                         "reporter follows the ticket with (GET tokens/{token}).")
async def post_request(
    request: Request,
    service: Service,
    fmt: Format,
    service_code: Annotated[str, Form(max_length=40)],
    description: Annotated[str, Form(max_length=4000)] = "",
    lat: Annotated[float | None, Form()] = None,
    long: Annotated[float | None, Form()] = None,
    address_string: Annotated[str | None, Form(max_length=500)] = None,
    address_id: Annotated[str | None, Form(max_length=100)] = None,
    email: Annotated[str | None, Form(max_length=254)] = None,
    device_id: Annotated[str | None, Form(max_length=100)] = None,
    account_id: Annotated[str | None, Form(max_length=100)] = None,
    first_name: Annotated[str | None, Form(max_length=100)] = None,
    last_name: Annotated[str | None, Form(max_length=100)] = None,
    phone: Annotated[str | None, Form(max_length=40)] = None,
    media_url: Annotated[str | None, Form(max_length=2000)] = None,
    api_key: Annotated[str | None, Form(max_length=100)] = None,
    jurisdiction_id: Annotated[str | None, Form(max_length=100)] = None,
    media: Annotated[list[UploadFile] | None, File(description="Up to 3 photos or 1 video")] = None,
) -> Response:
    form = await request.form()
    attributes = {key[len("attribute["):-1]: str(value) for key, value in form.multi_items()
                  if key.startswith("attribute[") and key.endswith("]") and isinstance(value, str)}
    limits = service.limits
    uploads = []
    for item in form.getlist("media"):
        if not isinstance(item, StarletteUpload):
            if str(item):
                raise ComplaintError("media must be uploaded as files (multipart/form-data); use media_url for a link")
            continue
        data = await item.read(max(limits.photo_max_bytes, limits.video_max_bytes) + 1)
        uploads.append(Upload(item.filename or "", data))
    report = NewReport(service_code=service_code, description=description, lat=lat, lon=long,
                       address=address_string, address_id=address_id, attributes=attributes, first_name=first_name,
                       last_name=last_name, phone=phone, email=email, device_id=device_id, account_id=account_id,
                       media_url=media_url, api_key=api_key, uploads=tuple(uploads))
    submitted = await run_in_threadpool(service.submit, report)
    answer = [{"service_request_id": submitted.ticket, "token": submitted.token,
               "service_notice": submitted.notice, "account_id": None, "district": submitted.district,
               "duplicate_of": submitted.duplicate_of}]
    return _render(answer, fmt, "service_requests", status=201)


@router.get("/requests.{fmt}", summary="Search reports (last 90 days by default; page/page_size)", responses=in_format(),
            dependencies=[PUBLIC])
def list_requests(
    request: Request,
    service: Service,
    fmt: Format,
    service_request_id: Annotated[str | None, Query(max_length=2000, description="Comma-separated ids")] = None,
    service_code: Annotated[str | None, Query(max_length=1000, description="Comma-separated codes")] = None,
    start_date: Annotated[datetime | None, Query()] = None,
    end_date: Annotated[datetime | None, Query()] = None,
    status: Annotated[str | None, Query(max_length=100, description=f"Comma-separated: {', '.join(STATUSES)}")] = None,
    district: Annotated[str | None, Query(max_length=40, description="A Seoul district, e.g. Mapo-gu")] = None,
    lat: Annotated[float | None, Query(ge=-90, le=90)] = None,
    long: Annotated[float | None, Query(ge=-180, le=180)] = None,
    radius: Annotated[float | None, Query(gt=0, le=10_000, description="Metres around lat/long")] = None,
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
    page_size: Annotated[int, Query(ge=1, le=1000)] = 1000,
    jurisdiction_id: Annotated[str | None, Query(max_length=100)] = None,
) -> Response:
    query = ListQuery(tickets=_split(service_request_id), service_codes=_split(service_code),
                      statuses=_split(status), district=district,
                      start=open311_time(request.query_params.get("start_date"), "start_date"),  # ISO 8601 only
                      end=open311_time(request.query_params.get("end_date"), "end_date"),
                      lat=lat, lon=long, radius_m=radius, page=page, page_size=page_size)
    return _render(service.list_public(query, _media_url(request)), fmt, "service_requests")


@router.get("/requests/{service_request_id}.{fmt}", summary="One report (public fields only)", responses=in_format(),
            dependencies=[PUBLIC])
def get_request(request: Request, service: Service, fmt: Format,
                service_request_id: Annotated[str, Path(max_length=40)]) -> Response:
    return _render([service.get_public(service_request_id, _media_url(request))], fmt, "service_requests")


@router.get("/tokens/{token}.{fmt}", summary="Follow a report with the token its submission returned",
            responses=in_format(), dependencies=[PUBLIC])
def get_token(service: Service, fmt: Format, token: Annotated[str, Path(max_length=100)]) -> Response:
    return _render([service.by_token(token)], fmt, "service_requests")


@router.get("/media/{media_id}", name="complaint_media", summary="A report's photo or video (metadata removed)",
            response_class=FileResponse, responses=ERRORS, dependencies=[PUBLIC])
def get_media(service: Service, media_id: Annotated[str, Path(max_length=40)]) -> FileResponse:
    path, content_type = service.media_file(media_id)
    return FileResponse(path, media_type=content_type)


# --- staff

class StatusChange(BaseModel):
    status: Literal["open", "acknowledged", "in_progress", "closed"]
    note: str | None = Field(None, max_length=4000, description="Public unless `public` is false; required to "
                                                               "close or reopen")
    public: bool = True


class Assignment(BaseModel):
    department: str | None = Field(None, max_length=40)
    assignee: str | None = Field(None, max_length=100)
    note: str | None = Field(None, max_length=4000, description="Internal note")


@router.get("/staff/requests", summary="Staff: the queue (filter by district, service, status, age, department, "
            "assignee; originals, newest first)", tags=["complaints: staff"], responses=ERRORS)
def staff_list_requests(
    service: Service, staff: Annotated[StaffIdentity, Depends(require_scope("complaints:read"))],
    district: Annotated[str | None, Query(max_length=40, description="A Seoul district, e.g. Mapo-gu")] = None,
    service_code: Annotated[str | None, Query(max_length=40)] = None,
    status: Annotated[str | None, Query(max_length=100, description=f"Comma-separated: {', '.join(STATUSES)}")] = None,
    age: Annotated[str | None, Query(max_length=10, description="today, week, month, older or overdue")] = None,
    department: Annotated[str | None, Query(max_length=40)] = None,
    assignee: Annotated[str | None, Query(max_length=100)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> dict:
    return service.staff_list(QueueQuery(district=district or None, service_code=service_code or None,
                                         statuses=_split(status), age=age or None, department=department or None,
                                         assignee=assignee or None, limit=limit))


@router.get("/staff/outbox", summary="Staff: the newest notices to reporters, across reports",
            tags=["complaints: staff"], responses=ERRORS)
def staff_outbox(service: Service, staff: Annotated[StaffIdentity, Depends(require_scope("complaints:read"))],
                 limit: Annotated[int, Query(ge=1, le=500)] = 50) -> list[dict]:
    return service.outbox(limit)


@router.get("/staff/departments", summary="Staff: the departments a report can be assigned to",
            tags=["complaints: staff"], responses=ERRORS)
def staff_departments(staff: Annotated[StaffIdentity, Depends(require_scope("complaints:read"))]) -> list[dict]:
    return [{"id": d.id, "name": d.name_en, "name_ko": d.name_ko} for d in DEPARTMENTS.values()]


@router.get("/staff/requests/{service_request_id}", summary="Staff: the full record (reporter, history, outbox)",
            tags=["complaints: staff"], responses=ERRORS)
def staff_get_request(request: Request, service: Service, service_request_id: Annotated[str, Path(max_length=40)],
                      staff: Annotated[StaffIdentity, Depends(require_scope("complaints:read"))]) -> dict:
    return service.staff_record(service_request_id, _media_url(request), _original_url(request))


@router.post("/staff/requests/{service_request_id}/status", summary="Staff: change a report's status",
             tags=["complaints: staff"], responses=ERRORS)
def staff_change_status(service: Service, service_request_id: Annotated[str, Path(max_length=40)],
                        change: StatusChange,
                        staff: Annotated[StaffIdentity, Depends(require_scope("complaints:write"))]) -> dict:
    status = service.change_status(service_request_id, change.status, staff.actor, change.note, change.public)
    return {"service_request_id": service_request_id, "status_detail": status}


@router.post("/staff/requests/{service_request_id}/assign", summary="Staff: route to a department or a person",
             tags=["complaints: staff"], responses=ERRORS)
def staff_assign(service: Service, service_request_id: Annotated[str, Path(max_length=40)], assignment: Assignment,
                 staff: Annotated[StaffIdentity, Depends(require_scope("complaints:write"))]) -> dict:
    return service.assign(service_request_id, staff.actor, assignment.department, assignment.assignee,
                          assignment.note)


@router.get("/staff/media/{media_id}/original", name="complaint_media_original", tags=["complaints: staff"],
            summary="Staff: a photo or video as uploaded (with its metadata)", response_class=FileResponse,
            responses=ERRORS)
def staff_media_original(service: Service, media_id: Annotated[str, Path(max_length=40)],
                         staff: Annotated[StaffIdentity, Depends(require_scope("complaints:read"))]) -> FileResponse:
    path, content_type = service.media_file(media_id, original=True)
    return FileResponse(path, media_type=content_type)
