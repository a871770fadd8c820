"""HTTP for the IoT service: the SensorThings API at ``/v1.1`` (reads are public; writes need a staff token
with the ``iot:write`` scope) and the district queries at ``/iot`` (latest, history, compare, air-quality).

Every error is a JSON ``{"code", "type": "error", "message"}`` with a 4xx status, never a stack trace.
"""

from __future__ import annotations

import json
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response
from starlette.convertors import PathConvertor, register_url_convertor

from civic_services.iot import catalogue
from civic_services.iot.entities import ENTITY_SETS
from civic_services.iot.errors import IoTError
from civic_services.iot.odata import parse_time
from civic_services.iot.sensorthings import parse_path
from civic_services.iot.service import IoTService
from civic_services.periods import PERIODS
from civic_services.staff.api import require_scope
from webapi.access import PUBLIC
from webapi.deps import part
from webapi.errors import PlainError, error_responses, error_route, plain_json

BODY_MAX = 32_000_000


class AnyPath(PathConvertor):
    """A path parameter of any characters: Starlette's ``path`` stops at a newline, and a resource path holding one
    (``/v1.1/%0A``) fell through to the app's bare 404 instead of this API's error."""

    regex = r"[\s\S]*"


register_url_convertor("sensorthings_path", AnyPath())


IoTRoute = error_route(plain_json, service_errors=IoTError, body_max=BODY_MAX)
router = APIRouter(tags=["IoT (SensorThings API 1.1)"], route_class=IoTRoute,
                   responses=error_responses(400, 401, 403, 404, 405, 409, 413, model=PlainError))


Service = Annotated[IoTService, Depends(part("iot"))]
Writer = Depends(require_scope("iot:write"))


def _base(request: Request) -> str:
    return str(request.base_url).rstrip("/") + "/v1.1"


async def _json(request: Request):
    raw = await request.body()
    if len(raw) > BODY_MAX:
        raise IoTError(f"the request body is over {BODY_MAX:,} bytes", 413)
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise IoTError("the request body is not valid JSON") from None


@router.get("/v1.1", dependencies=[PUBLIC], summary="SensorThings service root: the entity sets and conformance")
def root(request: Request) -> dict:
    base = _base(request)
    return {"value": [{"name": name, "url": f"{base}/{name}"} for name in ENTITY_SETS],
            "serverSettings": {"conformance": [
                "http://www.opengis.net/spec/iot_sensing/1.1/req/datamodel",
                "http://www.opengis.net/spec/iot_sensing/1.1/req/resource-path/resource-path-to-entities",
                "http://www.opengis.net/spec/iot_sensing/1.1/req/request-data",
                "http://www.opengis.net/spec/iot_sensing/1.1/req/create-update-delete/create-entity",
                "http://www.opengis.net/spec/iot_sensing/1.1/req/data-array/data-array",
                "http://www.opengis.net/spec/iot_sensing/1.1/req/create-observations-via-mqtt/observations-creation"]}}


@router.get("/v1.1/{path:sensorthings_path}", summary="Read an entity set, an entity, or a navigation ($filter, $orderby, "
            "$top, $skip, $count, $select, $expand)", dependencies=[PUBLIC])
def read(request: Request, service: Service, path: str) -> JSONResponse:
    params = dict(request.query_params)
    return JSONResponse(service.things.read(path, params, _base(request)))


@router.post("/v1.1/{path:sensorthings_path}", status_code=201, dependencies=[Writer],
             summary="Create an entity, an Observation, or many (CreateObservations); staff scope iot:write")
async def create(request: Request, service: Service, path: str) -> Response:
    body = await _json(request)
    base = _base(request)
    if path.strip("/") == "CreateObservations":
        outcome = await run_in_threadpool(service.create_observations, body)
        return JSONResponse(outcome.results, status_code=201,
                            headers={"X-Observations-Stored": str(outcome.stored),
                                     "X-Observations-Duplicate": str(outcome.duplicates),
                                     "X-Observations-Rejected": str(outcome.rejected)})
    segments = parse_path(path)
    if segments == [("Observations", None)] or (
            len(segments) == 2 and segments[0][0] == "Datastreams" and segments[0][1] is not None
            and segments[1] == ("Observations", None)):
        datastream = segments[0][1] if len(segments) == 2 else None
        ident = await run_in_threadpool(service.create_observation, body, datastream)
        entity_set = "Observations"
    elif len(segments) == 1 and segments[0][1] is None:
        entity_set, ident = await run_in_threadpool(service.things.create, segments[0][0], body)
    else:
        raise IoTError("POST to an entity set (e.g. /v1.1/Things), to Datastreams(id)/Observations, or to "
                       "/v1.1/CreateObservations", 405)
    location = f"{base}/{entity_set}({ident})"
    document = await run_in_threadpool(service.things.read, f"{entity_set}({ident})", {}, base)
    return JSONResponse(document, status_code=201, headers={"Location": location})


# --- district queries (the assistant's sensor tools and staff dashboards)

queries = APIRouter(prefix="/iot", tags=["IoT (district queries)"], route_class=IoTRoute,
                    responses=error_responses(400, 404, 413, model=PlainError))
MetricQ = Annotated[str, Query(max_length=40, description="pm10, pm2_5, temperature, humidity, noise, "
                                                           "illumination, wind_speed, wind_direction, vibration, "
                                                           "uv, floating_population")]
DistrictQ = Annotated[str, Query(max_length=40, description="A district: Mapo-gu, Mapo or 마포구")]


@queries.get("/metrics", summary="What the sensors measure: codes, names, units, plausible ranges",
             dependencies=[PUBLIC])
def metrics() -> dict:
    return {"metrics": [{"code": m.code, "name": m.name_en, "name_ko": m.name_ko, "unit": m.unit_symbol,
                         "range": [m.low, m.high]} for m in catalogue.METRICS],
            "periods": list(PERIODS), "pm_grades": {k: [[b, g] for b, g in v] + [[None, "very_bad"]]
                                                     for k, v in catalogue.PM_GRADES.items()}}


@queries.get("/latest", summary="A district's current value (mean of its sensors' newest readings, past hour)",
             dependencies=[PUBLIC])
def latest(service: Service, metric: MetricQ, district: DistrictQ) -> dict:
    return service.analytics.latest(metric, district)


@queries.get("/history", summary="Hourly or daily avg/min/max of a metric in a district over a period",
             dependencies=[PUBLIC])
def history(service: Service, metric: MetricQ, district: DistrictQ,
            period: Annotated[str | None, Query(max_length=20, description=", ".join(PERIODS))] = None,
            start: Annotated[str | None, Query(max_length=40, description="ISO 8601 with a zone")] = None,
            end: Annotated[str | None, Query(max_length=40)] = None,
            interval: Annotated[str, Query(max_length=4, description="hour or day")] = "hour") -> dict:
    if not period and not start:
        raise IoTError(f"give period ({', '.join(PERIODS)}) or start")
    return service.analytics.history(metric, district, period=period,
                                     start=parse_time(start, "start") if start else None,
                                     end=parse_time(end, "end") if end else None, interval=interval)


@queries.get("/compare", summary="Districts side by side, highest first (latest values, or a period's averages)",
             dependencies=[PUBLIC])
def compare(service: Service, metric: MetricQ,
            districts: Annotated[str | None, Query(max_length=1000, description="Comma-separated; all if empty")] = None,
            period: Annotated[str | None, Query(max_length=20)] = None) -> dict:
    names = [d.strip() for d in (districts or "").split(",") if d.strip()]
    return service.analytics.compare(metric, names or None, period)


@queries.get("/air-quality", summary="Fine-dust grades (Korea's PM10/PM2.5 bands) and alerts, by district",
             dependencies=[PUBLIC])
def air_quality(service: Service,
                district: Annotated[str, Query(max_length=40, description="A district or 'all'")] = "all") -> dict:
    return service.analytics.air_quality_alerts(district)
