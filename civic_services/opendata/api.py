"""The open-data plaza over HTTP: CKAN's action API, DCAT JSON-LD, and Seoul's Open API shape
(``/{key}/json/{service}/{start}/{end}/``).

The action API is served as CKAN serves it, so stock clients (``ckanapi.RemoteCKAN``) work: every action at
``/api/3/action/NAME`` and at ``/api/action/NAME``; POST with a JSON body for every action, GET with query
parameters for the read ones; a staff token as ``Authorization: Bearer TOKEN``, or as CKAN clients send an API key
(``Authorization: TOKEN`` or ``X-CKAN-API-Key: TOKEN``).

Every failure is a CKAN error envelope (``{"help", "success": false, "error": {"__type", "message", field:
[...]}}``), never a stack trace: 400 unreadable JSON or a query too deep to parse, 401/403 no or the wrong
credential (``Authorization Error``), 404 an unknown action or id, 405 a write action called with GET, 409 a
request that does not validate or a query the SQL sandbox refuses, 413 a body over the limit.
"""

from __future__ import annotations

import json
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, File, Form, HTTPException, Path, Query, Request, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from civic_services.opendata import dcat
from civic_services.opendata.catalogue import DatasetMeta, SearchParams
from civic_services.opendata.errors import NotFound, OpenDataError, ValidationError
from civic_services.opendata.service import OpenData
from civic_services.staff.api import require_scope
from webapi.access import PUBLIC
from webapi.deps import part
from webapi.errors import Failure, error_responses, error_route

UPLOAD_MAX_BYTES = 200_000_000
BODY_MAX_BYTES = 1_000_000  # an action's JSON body (a query is at most 20,000 characters)
FORM_MARGIN = 1_000_000  # the multipart framing and the other fields around an upload


def _action(request: Request) -> str:
    return request.url.path.rstrip("/").rsplit("/", 1)[-1]


def _help(request: Request) -> str:
    return f"{str(request.base_url).rstrip('/')}/api/3/action/help_show?name={_action(request)}"


def ckan_error(request: Request, status: int, error: dict) -> JSONResponse:
    return JSONResponse({"help": _help(request), "success": False, "error": error}, status_code=status)


def ok(request: Request, result: Any) -> JSONResponse:
    return JSONResponse({"help": _help(request), "success": True, "result": result})


_KINDS = {400: "Bad Request", 401: "Authorization Error", 403: "Authorization Error", 404: "Not Found Error",
          405: "Method Not Allowed", 409: "Validation Error", 413: "Request Too Large", 503: "Service Unavailable"}


def _unreadable_json(failure: Failure) -> str | None:
    """The parser's message when a request failed because its body is not JSON (CKAN answers that with 400)."""
    if isinstance(failure.error, RequestValidationError):
        for error in failure.error.errors():
            if str(error.get("type", "")).startswith("json_"):
                return str(error.get("msg") or "the body is not JSON")[:200]
    return None


def render_ckan(request: Request, failure: Failure) -> JSONResponse:
    """A failure in CKAN's error envelope: ``__type``, ``message`` and, for an invalid request, each field's
    problems."""
    status = failure.status
    if failure.kind == "service":
        error = failure.error.as_ckan()
    elif failure.kind == "invalid" and (problem := _unreadable_json(failure)) is not None:
        status, error = 400, {"__type": "Bad Request", "message": f"Bad request - JSON Error: {problem}"}
    elif failure.kind == "invalid":
        error = {"__type": "Validation Error"}
        for where, text in failure.problems:
            error.setdefault(where or "request", []).append(text)
        error["message"] = "; ".join(f"{k}: {', '.join(v)}" for k, v in error.items() if isinstance(v, list))
    else:
        error = {"__type": _KINDS.get(status, "Validation Error"), "message": failure.message}
    response = ckan_error(request, status, error)
    response.headers.update(failure.headers or {})
    return response


def _body_max(request: Request) -> int:
    return UPLOAD_MAX_BYTES + FORM_MARGIN if _action(request) == "resource_create" else BODY_MAX_BYTES


# Every failure of a route becomes CKAN's error envelope (a malformed request is 409, as CKAN answers).
CKANRoute = error_route(render_ckan, service_errors=OpenDataError, invalid_status=409, body_max=_body_max)


def _ckan_key(scope: dict) -> None:
    """A CKAN client's API key (``Authorization: TOKEN`` with no scheme, or ``X-CKAN-API-Key: TOKEN``) as the
    bearer token the staff check reads; a ``Bearer`` header is left as it is."""
    headers = scope.get("headers") or []
    authorization = next((v for k, v in headers if k == b"authorization"), None)
    api_key = next((v for k, v in headers if k == b"x-ckan-api-key"), None)
    key = None
    if authorization is not None and b" " not in authorization.strip():
        key = authorization.strip()
    elif authorization is None and api_key is not None:
        key = api_key.strip()
    if key:
        scope["headers"] = [(k, v) for k, v in headers if k != b"authorization"] + [
            (b"authorization", b"Bearer " + key)]


class CKANActionRoute(CKANRoute):
    """An action's route: CKAN's error shell, and a CKAN client's API key read as a staff bearer token."""

    def get_route_handler(self):
        handler = super().get_route_handler()

        async def with_ckan_key(request: Request) -> Response:
            _ckan_key(request.scope)  # before anything reads the headers
            return await handler(request)

        return with_ckan_key


router = APIRouter(tags=["open data (CKAN action API)"], route_class=CKANRoute)
# The actions, by name: the read ones open to anyone, the writes for staff (each declares its scope); both served
# under /api/3/action/ and /api/action/ (see the end of this module).
actions = APIRouter(route_class=CKANActionRoute, dependencies=[PUBLIC])
writes = APIRouter(route_class=CKANActionRoute)
# CKAN's error envelope, as every action answers an error (the OpenAPI document says which statuses)
CKAN_ERROR = {"application/json": {"schema": {
    "type": "object", "required": ["help", "success", "error"],
    "properties": {"help": {"type": "string"}, "success": {"type": "boolean", "enum": [False]},
                   "error": {"type": "object", "required": ["__type", "message"],
                             "properties": {"__type": {"type": "string"}, "message": {"type": "string"}}}}}}}
ENVELOPE = error_responses(400, 401, 403, 404, 409, 413, content=CKAN_ERROR)
ENVELOPE[409]["description"] = "Validation error (CKAN error envelope)"
READ_ACTIONS = ("package_list", "package_show", "package_search", "datastore_search", "datastore_search_sql",
                "help_show")
WRITE_ACTIONS = ("package_create", "resource_create")


Service = Annotated[OpenData, Depends(part("opendata"))]


def _base(request: Request) -> str:
    return str(request.base_url).rstrip("/")


# --- catalogue

class PackageList(BaseModel):
    model_config = ConfigDict(extra="ignore")
    limit: int | None = Field(None, ge=0, le=100_000)
    offset: int = Field(0, ge=0)


@actions.get("/package_list", summary="Ids of every dataset", responses=ENVELOPE)
def package_list(request: Request, service: Service, limit: Annotated[int | None, Query(ge=0, le=100_000)] = None,
                 offset: Annotated[int, Query(ge=0)] = 0) -> JSONResponse:
    return ok(request, service.catalog.ids(limit, offset))


@actions.post("/package_list", summary="Ids of every dataset (JSON body)", responses=ENVELOPE)
def package_list_post(request: Request, service: Service, body: PackageList | None = None) -> JSONResponse:
    body = body or PackageList()
    return ok(request, service.catalog.ids(body.limit, body.offset))


class PackageShow(BaseModel):
    model_config = ConfigDict(extra="ignore")
    id: str = Field(max_length=200)


@actions.get("/package_show", summary="One dataset with its resources", responses=ENVELOPE)
def package_show(request: Request, service: Service, id: Annotated[str, Query(max_length=200)]) -> JSONResponse:
    return ok(request, service.catalog.show(id, _base(request)))


@actions.post("/package_show", summary="One dataset with its resources (JSON body)", responses=ENVELOPE)
def package_show_post(request: Request, service: Service, body: PackageShow) -> JSONResponse:
    return ok(request, service.catalog.show(body.id, _base(request)))


def _facet_fields(raw: str | list | None) -> list[str]:
    if raw is None or raw == "":
        return []
    if isinstance(raw, list):
        return [str(x) for x in raw]
    try:
        value = json.loads(raw)
    except json.JSONDecodeError:
        value = [part.strip() for part in raw.split(",") if part.strip()]
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list):
        raise ValidationError('facet.field is a JSON list, e.g. ["tags","organization"]', field="facet.field")
    return [str(x) for x in value]


class PackageSearch(BaseModel):
    model_config = ConfigDict(populate_by_name=True, extra="ignore")
    q: str = Field("", max_length=1000)
    fq: str = Field("", max_length=1000)
    rows: int = Field(10, ge=0, le=1000)
    start: int = Field(0, ge=0, le=1_000_000)
    sort: str = Field("", max_length=200)
    facet_field: list[str] | str | None = Field(None, alias="facet.field")
    facet_limit: int = Field(50, ge=-1, le=1000, alias="facet.limit")


def _package_search(request: Request, service: OpenData, body: PackageSearch) -> JSONResponse:
    params = SearchParams(q=body.q, fq=body.fq, rows=body.rows, start=body.start, sort=body.sort,
                          facet_fields=_facet_fields(body.facet_field),
                          facet_limit=1000 if body.facet_limit < 0 else body.facet_limit)
    return ok(request, service.catalog.search(params, _base(request)))


@actions.get("/package_search", summary="Search datasets (q, fq, rows, start, sort, facets)",
             responses=ENVELOPE)
def package_search(request: Request, service: Service,
                   q: Annotated[str, Query(max_length=1000)] = "",
                   fq: Annotated[str, Query(max_length=1000)] = "",
                   rows: Annotated[int, Query(ge=0, le=1000)] = 10,
                   start: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
                   sort: Annotated[str, Query(max_length=200)] = "",
                   facet_field: Annotated[str | None, Query(alias="facet.field", max_length=500)] = None,
                   facet_limit: Annotated[int, Query(alias="facet.limit", ge=-1, le=1000)] = 50) -> JSONResponse:
    body = PackageSearch(q=q, fq=fq, rows=rows, start=start, sort=sort, facet_field=facet_field,
                         facet_limit=facet_limit)
    return _package_search(request, service, body)


@actions.post("/package_search", summary="Search datasets (JSON body)", responses=ENVELOPE)
def package_search_post(request: Request, service: Service, body: PackageSearch) -> JSONResponse:
    return _package_search(request, service, body)


# --- datastore

class DatastoreSearch(BaseModel):
    model_config = ConfigDict(extra="ignore")
    resource_id: str = Field(max_length=200)
    filters: dict[str, Any] | None = None
    q: str | dict[str, str] | None = Field(None)
    fields: list[str] | str | None = None
    sort: str | None = Field(None, max_length=500)
    offset: int = Field(0, ge=0, le=100_000_000)
    limit: int = Field(100, ge=0, le=1_000_000)
    include_total: bool = True


def _datastore_search(request: Request, service: OpenData, body: DatastoreSearch) -> JSONResponse:
    fields = body.fields
    if isinstance(fields, str):
        fields = [f.strip() for f in fields.split(",") if f.strip()]
    if isinstance(body.q, str) and len(body.q) > 1000:
        raise ValidationError("q is longer than 1000 characters", field="q")
    resource, result = service.search_datastore(body.resource_id, filters=body.filters, q=body.q or None,
                                                columns=fields or None, sort=body.sort, offset=body.offset,
                                                limit=body.limit, include_total=body.include_total)
    link = {"resource_id": body.resource_id}
    if body.sort:
        link["sort"] = body.sort
    if body.filters:
        link["filters"] = json.dumps(body.filters, ensure_ascii=False)
    answer = {
        "resource_id": resource.id, "fields": result.fields, "records": result.records,
        "records_format": "objects", "limit": result.limit, "offset": result.offset, "sort": result.sort,
        "filters": body.filters or {}, "include_total": body.include_total,
        "_links": {"start": "/api/3/action/datastore_search?" + urlencode(link),
                   "next": "/api/3/action/datastore_search?" + urlencode({**link, "offset": result.offset
                                                                          + result.limit})},
    }
    if body.q:
        answer["q"] = body.q
    if result.total is not None:
        answer["total"] = result.total
        answer["total_was_estimated"] = False
    return ok(request, answer)


@actions.get("/datastore_search", summary="Search a resource's rows (filters, q, fields, sort, "
             "offset, limit; limit is capped)", responses=ENVELOPE)
def datastore_search(request: Request, service: Service,
                     resource_id: Annotated[str, Query(max_length=200)],
                     filters: Annotated[str | None, Query(max_length=10_000, description="JSON object")] = None,
                     q: Annotated[str | None, Query(max_length=1000)] = None,
                     fields: Annotated[str | None, Query(max_length=5000, description="Comma-separated")] = None,
                     sort: Annotated[str | None, Query(max_length=500)] = None,
                     offset: Annotated[int, Query(ge=0, le=100_000_000)] = 0,
                     limit: Annotated[int, Query(ge=0, le=1_000_000)] = 100,
                     include_total: bool = True) -> JSONResponse:
    parsed_filters = None
    if filters:
        try:
            parsed_filters = json.loads(filters)
        except json.JSONDecodeError:
            raise ValidationError('filters must be a JSON object, e.g. {"district": "Mapo-gu"}',
                                  field="filters") from None
        if not isinstance(parsed_filters, dict):
            raise ValidationError("filters must be a JSON object", field="filters")
    parsed_q: Any = q
    if q and q.lstrip().startswith("{"):
        try:
            parsed_q = json.loads(q)
        except json.JSONDecodeError:
            parsed_q = q
        if not (isinstance(parsed_q, dict) and all(isinstance(v, str) for v in parsed_q.values())):
            parsed_q = q
    body = DatastoreSearch(resource_id=resource_id, filters=parsed_filters, q=parsed_q, fields=fields, sort=sort,
                           offset=offset, limit=limit, include_total=include_total)
    return _datastore_search(request, service, body)


@actions.post("/datastore_search", summary="Search a resource's rows (JSON body)", responses=ENVELOPE)
def datastore_search_post(request: Request, service: Service, body: DatastoreSearch) -> JSONResponse:
    return _datastore_search(request, service, body)


class SqlQuery(BaseModel):
    sql: str = Field(max_length=20_000)


def _sql(request: Request, service: OpenData, sql: str) -> JSONResponse:
    result = service.search_sql(sql)
    answer = {"sql": result.sql, "fields": result.fields, "records": result.records}
    if result.truncated:
        answer["records_truncated"] = True
        answer["records_truncated_reason"] = result.truncated_reason
    return ok(request, answer)


SQL_RESPONSES = {**ENVELOPE, 400: {**ENVELOPE[400], "description": "A query nested too deep to parse"},
                 403: {**ENVELOPE[403], "description": "Turned off, or disabled on this database (the message says "
                                                       "why)"}}


@actions.get("/datastore_search_sql", summary="One read-only SELECT over datastore resources "
             "(off unless DASAN_DATASTORE_SQL_ENABLED)", responses=SQL_RESPONSES)
def datastore_search_sql(request: Request, service: Service,
                         sql: Annotated[str, Query(max_length=8000, description="Longer queries: POST")]) -> JSONResponse:
    return _sql(request, service, sql)


@actions.post("/datastore_search_sql", summary="datastore_search_sql (JSON body)", responses=SQL_RESPONSES)
async def datastore_search_sql_post(request: Request, service: Service, body: SqlQuery) -> JSONResponse:
    return await run_in_threadpool(_sql, request, service, body.sql)


# --- staff writes

class Tag(BaseModel):
    name: str = Field(max_length=100)


class PackageCreate(BaseModel):
    """Dasan's fields, and CKAN's where they differ (``title``, ``notes``, ``owner_org``, ``tags`` as
    ``[{"name": ...}]``), so a CKAN client's package dict is accepted."""

    model_config = ConfigDict(extra="ignore")
    name: str = Field(min_length=2, max_length=100, pattern=r"^[a-z0-9_\-]+$")
    title: str = Field("", max_length=500)
    title_ko: str = Field("", max_length=500)
    title_en: str = Field("", max_length=500)
    notes: str = Field("", max_length=20_000)
    notes_ko: str = Field("", max_length=20_000)
    notes_en: str = Field("", max_length=20_000)
    publisher: str = Field("", max_length=200)
    owner_org: str = Field("", max_length=200)
    publisher_ko: str = Field("", max_length=200)
    tags: list[str | Tag] = Field(default_factory=list, max_length=50)
    license_id: str = Field("other-open", max_length=100)
    frequency: str = Field("irregular", max_length=20)
    synthetic: bool = False

    def meta(self) -> DatasetMeta:
        return DatasetMeta(id=self.name, title_ko=self.title_ko, title_en=self.title_en or self.title,
                           notes_ko=self.notes_ko, notes_en=self.notes_en or self.notes,
                           publisher=self.publisher or self.owner_org, publisher_ko=self.publisher_ko,
                           tags=tuple(t if isinstance(t, str) else t.name for t in self.tags),
                           license_id=self.license_id, frequency=self.frequency, synthetic=self.synthetic)


WRITER = Depends(require_scope("opendata:write"))


@writes.post("/package_create", summary="Staff: create or update a dataset's metadata",
              tags=["open data: staff"], responses=ENVELOPE, dependencies=[WRITER])
def package_create(request: Request, service: Service, body: PackageCreate) -> JSONResponse:
    return ok(request, service.create_dataset(body.meta()))


@writes.post("/resource_create", summary="Staff: upload a CSV/JSON file into a dataset's datastore",
              description="Types are inferred per column (override with `types`, a JSON object such as "
                          '{"zip": "text"}); rows that do not fit are skipped and listed by line.',
              tags=["open data: staff"], responses=ENVELOPE, dependencies=[WRITER])
async def resource_create(request: Request, service: Service,
                          package_id: Annotated[str, Form(max_length=100)],
                          upload: Annotated[UploadFile, File(description="A .csv, .json or .jsonl file")],
                          resource_id: Annotated[str | None, Form(max_length=100)] = None,
                          name: Annotated[str | None, Form(max_length=200)] = None,
                          types: Annotated[str | None, Form(max_length=5000)] = None) -> JSONResponse:
    forced = {}
    if types:
        try:
            forced = json.loads(types)
        except json.JSONDecodeError:
            raise ValidationError('types must be a JSON object, e.g. {"zip": "text"}', field="types") from None
        if not isinstance(forced, dict) or not all(isinstance(v, str) for v in forced.values()):
            raise ValidationError("types must map column names to type names", field="types")
    data = await upload.read(UPLOAD_MAX_BYTES + 1)
    if len(data) > UPLOAD_MAX_BYTES:
        raise ValidationError(f"the file is larger than {UPLOAD_MAX_BYTES:,} bytes; load it with "
                              "`dasan opendata ingest` on the server", field="upload")
    report = await run_in_threadpool(lambda: service.ingest(package_id, data=data, filename=upload.filename or "",
                                                            resource_id=resource_id, name=name, types=forced))
    return ok(request, report.as_dict())


# --- serving the actions as CKAN does

class HelpShow(BaseModel):
    model_config = ConfigDict(extra="ignore")
    name: str = Field(max_length=100)


def _help_text(name: str) -> str:
    for route in (*actions.routes, *writes.routes):
        if getattr(route, "path", "") == f"/{name}":
            return route.summary or route.name
    raise NotFound(f"no action {name!r}; this server serves {', '.join(READ_ACTIONS + WRITE_ACTIONS)}",
                   field="name")


@actions.get("/help_show", summary="What an action does", responses=ENVELOPE)
def help_show(request: Request, name: Annotated[str, Query(max_length=100)]) -> JSONResponse:
    return ok(request, _help_text(name))


@actions.post("/help_show", summary="What an action does (JSON body)", responses=ENVELOPE)
def help_show_post(request: Request, body: HelpShow) -> JSONResponse:
    return ok(request, _help_text(body.name))


def unknown_action(request: Request, name: str) -> JSONResponse:
    """A name that is no action (404), or a write action called with GET and the like (405)."""
    if name in READ_ACTIONS:
        raise HTTPException(405, f"{name} takes GET or POST", headers={"Allow": "GET, POST"})
    if name in WRITE_ACTIONS:
        raise HTTPException(405, f"{name} changes data: call it with POST", headers={"Allow": "POST"})
    raise NotFound(f"no action {name!r}; this server serves {', '.join(READ_ACTIONS + WRITE_ACTIONS)}")


for _prefix, _documented in (("/api/3/action", True), ("/api/action", False)):
    router.include_router(actions, prefix=_prefix, include_in_schema=_documented)
    router.include_router(writes, prefix=_prefix, include_in_schema=_documented)
    router.add_api_route(_prefix + "/{name}", unknown_action, include_in_schema=False, dependencies=[PUBLIC],
                         methods=["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"])


# --- DCAT

JSONLD = {200: {"description": "DCAT as JSON-LD", "content": {"application/ld+json": {"schema": {"type": "object"}}}}}


@router.get("/catalog.jsonld", tags=["open data: DCAT"], summary="The catalogue as DCAT JSON-LD",
            dependencies=[PUBLIC], response_class=Response, responses=JSONLD)
def catalog_jsonld(request: Request, service: Service) -> Response:
    body = dcat.catalog(service.catalog.all_packages(_base(request)), _base(request))
    return Response(json.dumps(body, ensure_ascii=False), media_type="application/ld+json")


@router.get("/dataset/{dataset_id}.jsonld", tags=["open data: DCAT"], summary="One dataset as DCAT JSON-LD",
            responses={**ENVELOPE, **JSONLD}, response_class=Response, dependencies=[PUBLIC])
def dataset_jsonld(request: Request, service: Service, dataset_id: Annotated[str, Path(max_length=100)]) -> Response:
    body = dcat.dataset(service.catalog.show(dataset_id, _base(request)), _base(request))
    return Response(json.dumps(body, ensure_ascii=False), media_type="application/ld+json")


# --- Seoul Open API shape

SEOUL_MAX_ROWS = 1000


def _seoul(code: str, message: str, status: int) -> JSONResponse:
    return JSONResponse({"RESULT": {"CODE": code, "MESSAGE": message}}, status_code=status)


SEOUL_RESULT = {"type": "object", "required": ["RESULT"], "properties": {"RESULT": {
    "type": "object", "required": ["CODE", "MESSAGE"],
    "properties": {"CODE": {"type": "string"}, "MESSAGE": {"type": "string"}}}}}
seoul_router = APIRouter(tags=["open data (Seoul Open API shape)"], dependencies=[PUBLIC])


@seoul_router.get("/{key}/json/{service_name}/{start}/{end}/",
                  summary="Rows START..END (1-based, inclusive, at most 1,000) of a dataset, Seoul Open API style",
                  responses={code: {"description": text, "content": {"application/json": {"schema": SEOUL_RESULT}}}
                             for code, text in ((400, "Seoul error code"), (401, "Invalid key"),
                                                (404, "Unknown service"))})
def seoul_open_api(service: Service, key: Annotated[str, Path(max_length=100)],
                   service_name: Annotated[str, Path(max_length=100)], start: Annotated[str, Path(max_length=20)],
                   end: Annotated[str, Path(max_length=20)]) -> JSONResponse:
    if not key.strip():
        return _seoul("INFO-100", "인증키가 유효하지 않습니다. (invalid key)", 401)
    # isdecimal, not isdigit: a superscript such as '¹' is a digit that int() cannot read (it was a 500)
    if not start.isdecimal() or int(start) < 1:
        return _seoul("ERROR-331", "요청시작위치 값을 확인하세요. (START must be a whole number from 1)", 400)
    if not end.isdecimal() or int(end) < 1:
        return _seoul("ERROR-332", "요청종료위치 값을 확인하세요. (END must be a whole number from 1)", 400)
    first, last = int(start), int(end)
    if first > last:
        return _seoul("ERROR-334", "요청종료위치 보다 요청시작위치가 더 큽니다. (START is after END)", 400)
    if last - first + 1 > SEOUL_MAX_ROWS:
        return _seoul("ERROR-336", "데이터요청은 한번에 최대 1000건을 넘을 수 없습니다. (at most 1,000 rows a call)", 400)
    try:
        resource, result = service.search_datastore(service_name, offset=first - 1, limit=last - first + 1)
    except NotFound:
        return _seoul("ERROR-310", f"해당하는 서비스를 찾을 수 없습니다. (no service {service_name!r})", 404)
    if not result.records:
        return JSONResponse({service_name: {"list_total_count": result.total, "RESULT": {
            "CODE": "INFO-200", "MESSAGE": "해당하는 데이터가 없습니다. (no data in that range)"}, "row": []}})
    return JSONResponse({service_name: {"list_total_count": result.total,
                                        "RESULT": {"CODE": "INFO-000", "MESSAGE": "정상 처리되었습니다"},
                                        "row": result.records}})
