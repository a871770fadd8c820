"""SensorThings API 1.1 (a subset) over the IoT tables: read any entity set, entity or navigation with the
OData query options, and create Things (with their Locations and Datastreams inline), Locations, Sensors,
ObservedProperties, Datastreams and FeaturesOfInterest. Observations are written by :mod:`ingest`.
"""

from __future__ import annotations

import math
import re
from urllib.parse import urlencode

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from civic_services import districts
from civic_services.iot import catalogue
from civic_services.iot.entities import ENTITY_SETS, EntitySet, Nav
from civic_services.iot.errors import IoTError, NotFound
from civic_services.iot.odata import TOP_DEFAULT, FilterCompiler, Query, parse_query
from civic_services.iot.tables import (
    Datastream,
    FeatureOfInterest,
    Location,
    ObservedProperty,
    Sensor,
    Thing,
    ThingLocation,
)

_SEGMENT = re.compile(r"^([A-Za-z]+)(?:\((\d{1,18})\))?$")


def parse_path(path: str) -> list[tuple[str, int | None]]:
    segments = []
    for part in [p for p in path.strip("/").split("/") if p]:
        match = _SEGMENT.match(part)
        if not match:
            raise IoTError(f"cannot read the path segment {part!r}; expected EntitySet or EntitySet(id)")
        segments.append((match.group(1), int(match.group(2)) if match.group(2) else None))
    if not segments:
        raise IoTError("empty path")
    return segments


def _objects(body: dict, owner: str, key: str) -> list[dict]:
    """The entities nested in ``body[key]`` (a list of objects, or nothing)."""
    items = body.get(key) or []
    if not isinstance(items, list):
        raise IoTError(f"{owner}.{key} must be a list")
    if not all(isinstance(item, dict) for item in items):
        raise IoTError(f"each of {owner}.{key} must be an object")
    return items


def _text(body: dict, key: str, required: bool = True, most: int = 200) -> str:
    value = body.get(key)
    if value is None:
        if required:
            raise IoTError(f"{key} is required")
        return ""
    if not isinstance(value, str) or len(value) > most or "\x00" in value:
        raise IoTError(f"{key} must be a string of at most {most} characters")
    return value


def _ref(body: dict, key: str) -> int | None:
    """The id of ``{"@iot.id": n}`` in body[key], or None if body[key] is an inline entity."""
    value = body.get(key)
    if isinstance(value, dict) and "@iot.id" in value:
        ident = value["@iot.id"]
        if not isinstance(ident, int) or isinstance(ident, bool) or not 0 < ident < 2**62:
            raise IoTError(f"{key}.@iot.id must be a positive integer")
        return ident
    return None


def point_of(location: object) -> tuple[float, float] | None:
    """(lat, lon) of a GeoJSON Point (or a Feature holding one); None for other geometries."""
    if isinstance(location, dict) and location.get("type") == "Feature":
        location = location.get("geometry")
    if not isinstance(location, dict) or location.get("type") != "Point":
        return None
    coords = location.get("coordinates")
    if (not isinstance(coords, list) or len(coords) < 2
            or not all(isinstance(c, (int, float)) and not isinstance(c, bool) for c in coords[:2])):
        raise IoTError("a GeoJSON Point needs coordinates [longitude, latitude]")
    lon, lat = float(coords[0]), float(coords[1])
    if not (-90 <= lat <= 90 and -180 <= lon <= 180) or math.isnan(lat) or math.isnan(lon):
        raise IoTError(f"coordinates [{lon}, {lat}] are not a longitude and latitude")
    return lat, lon


def district_name(name: str) -> str:
    found = districts.by_name(name) if isinstance(name, str) else None
    if found is None:
        raise IoTError(f"unknown district {name!r}; use one of Seoul's 25 districts, e.g. Mapo-gu or 마포구")
    return found.name_en


class SensorThings:
    def __init__(self, engine: Engine):
        self.engine = engine
        self.sessions = sessionmaker(engine, expire_on_commit=False)

    # --- reading

    def read(self, path: str, params: dict[str, str], base: str) -> dict:
        segments = parse_path(path)
        query = parse_query(params)
        name, ident = segments[0]
        entity_set = self._set(name)
        with self.sessions() as session:
            if len(segments) == 1:
                if ident is None:
                    return self._collection(session, entity_set, None, query, base, path, params)
                return self._entity(session, entity_set, self._row(session, entity_set, ident), query, base)
            if len(segments) > 2 or ident is None or segments[1][1] is not None:
                raise IoTError("paths are EntitySet, EntitySet(id) or EntitySet(id)/Navigation")
            parent = self._row(session, entity_set, ident)
            nav_name = segments[1][0]
            nav = entity_set.navs.get(nav_name)
            if nav is None:
                raise NotFound(f"{entity_set.singular} has no navigation {nav_name!r}; it has "
                               f"{', '.join(entity_set.navs)}")
            target = ENTITY_SETS[nav.target]
            if nav.kind == "one":
                related_id = getattr(parent, nav.key)
                if related_id is None:
                    raise NotFound(f"{entity_set.singular}({ident}) has no {nav_name}")
                return self._entity(session, target, self._row(session, target, related_id), query, base)
            return self._collection(session, target, self._nav_condition(nav, target, ident), query, base, path,
                                    params)

    @staticmethod
    def _set(name: str) -> EntitySet:
        if name not in ENTITY_SETS:
            raise NotFound(f"unknown entity set {name!r}; known: {', '.join(ENTITY_SETS)}")
        return ENTITY_SETS[name]

    @staticmethod
    def _row(session: Session, entity_set: EntitySet, ident: int):
        row = session.get(entity_set.model, ident)
        if row is None:
            raise NotFound(f"no {entity_set.singular} with id {ident}")
        return row

    @staticmethod
    def _nav_condition(nav: Nav, target: EntitySet, parent_id: int):
        if nav.via is not None:
            to_parent, to_target = nav.via
            return target.model.id.in_(select(to_target).where(to_parent == parent_id))
        return getattr(target.model, nav.key) == parent_id

    def _collection(self, session: Session, entity_set: EntitySet, condition, query: Query, base: str, path: str,
                    params: dict[str, str]) -> dict:
        statement = select(entity_set.model)
        conditions = [condition] if condition is not None else []
        if query.filter:
            conditions.append(FilterCompiler(entity_set.columns, entity_set.time_properties).compile(query.filter))
        for item in conditions:
            statement = statement.where(item)
        order = query.orderby or entity_set.default_order
        for prop, descending in order:
            column = entity_set.columns.get(prop)
            if column is None:
                raise IoTError(f"$orderby: unknown property {prop!r}; sortable: {', '.join(sorted(entity_set.columns))}")
            statement = statement.order_by(column.desc() if descending else column.asc())
        statement = statement.order_by(entity_set.model.id.desc() if order and order[0][1] else entity_set.model.id)
        rows = session.scalars(statement.offset(query.skip).limit(query.top)).all()
        answer: dict = {}
        if query.count:
            counted = select(func.count()).select_from(entity_set.model)
            for item in conditions:
                counted = counted.where(item)
            answer["@iot.count"] = session.scalar(counted)
        answer["value"] = [self._document(session, entity_set, row, query, base) for row in rows]
        if len(rows) == query.top and query.top > 0:
            following = {**params, "$top": str(query.top), "$skip": str(query.skip + query.top)}
            answer["@iot.nextLink"] = f"{base}/{path.strip('/')}?{urlencode(following)}"
        return answer

    def _entity(self, session: Session, entity_set: EntitySet, row, query: Query, base: str) -> dict:
        return self._document(session, entity_set, row, query, base)

    def _document(self, session: Session, entity_set: EntitySet, row, query: Query, base: str) -> dict:
        self_link = f"{base}/{entity_set.name}({row.id})"
        doc = {"@iot.id": row.id, "@iot.selfLink": self_link, **entity_set.render(row)}
        for nav_name in entity_set.navs:
            doc[f"{nav_name}@iot.navigationLink"] = f"{self_link}/{nav_name}"
        if query.select:
            known = set(doc) | {"id", "selfLink"} | set(entity_set.navs)
            unknown = [p for p in query.select if p not in known]
            if unknown:
                raise IoTError(f"$select: unknown propert{'ies' if len(unknown) > 1 else 'y'} {', '.join(unknown)}")
            wanted = set(query.select)
            doc = {k: v for k, v in doc.items()
                   if (k == "@iot.id" and "id" in wanted) or (k == "@iot.selfLink" and "selfLink" in wanted)
                   or k in wanted or k.split("@")[0] in wanted and k.endswith("navigationLink")}
        for nav_name in query.expand:
            nav = entity_set.navs.get(nav_name)
            if nav is None:
                raise IoTError(f"$expand: {entity_set.singular} has no navigation {nav_name!r}; it has "
                               f"{', '.join(entity_set.navs)}")
            target = ENTITY_SETS[nav.target]
            plain = Query()
            if nav.kind == "one":
                related_id = getattr(row, nav.key)
                related = session.get(target.model, related_id) if related_id is not None else None
                doc[nav_name] = self._document(session, target, related, plain, base) if related else None
            else:
                statement = select(target.model).where(self._nav_condition(nav, target, row.id))
                for prop, descending in target.default_order:
                    column = target.columns[prop]
                    statement = statement.order_by(column.desc() if descending else column)
                related = session.scalars(statement.order_by(target.model.id).limit(TOP_DEFAULT)).all()
                doc[nav_name] = [self._document(session, target, r, plain, base) for r in related]
        return doc

    # --- creating

    def create(self, set_name: str, body: object) -> tuple[str, int]:
        """Create one entity from its JSON document; returns (entity set, id)."""
        if not isinstance(body, dict):
            raise IoTError("the request body must be a JSON object")
        creators = {"Things": self._create_thing, "Locations": self._create_location, "Sensors": self._create_sensor,
                    "ObservedProperties": self._create_observed_property, "Datastreams": self._create_datastream,
                    "FeaturesOfInterest": self._create_feature}
        if set_name not in creators:
            raise IoTError(f"cannot create {set_name} here; POST one of {', '.join(creators)} (and Observations)",
                           405 if set_name in ENTITY_SETS else 404)
        with self.sessions.begin() as session:
            row = creators[set_name](session, body)
            return set_name, row.id

    def _create_location(self, session: Session, body: dict, thing: Thing | None = None) -> Location:
        ident = body.get("@iot.id")
        if ident is not None:
            return self._row(session, ENTITY_SETS["Locations"], ident) if isinstance(ident, int) else \
                self._bad("Locations: @iot.id must be an integer")
        encoding = _text(body, "encodingType", required=False, most=100) or "application/geo+json"
        if encoding not in ("application/geo+json", "application/vnd.geo+json"):
            raise IoTError("Location.encodingType must be application/geo+json")
        location = body.get("location")
        point = point_of(location)
        if point is None:
            raise IoTError("Location.location must be a GeoJSON Point {\"type\": \"Point\", \"coordinates\": [lon, lat]}")
        district = districts.district_at(*point)
        row = Location(name=_text(body, "name"), description=_text(body, "description", False, 2000),
                       encoding_type=encoding, location=location, lat=point[0], lon=point[1],
                       district=district.name_en if district else None)
        session.add(row)
        session.flush()
        for ref in body.get("Things") or []:
            thing_id = _ref({"t": ref}, "t")
            if thing_id is None:
                raise IoTError("Location.Things takes references {\"@iot.id\": n}")
            self._row(session, ENTITY_SETS["Things"], thing_id)
            session.add(ThingLocation(thing_id=thing_id, location_id=row.id))
        return row

    @staticmethod
    def _bad(message: str):
        raise IoTError(message)

    def _create_thing(self, session: Session, body: dict) -> Thing:
        properties = body.get("properties")
        if properties is not None and not isinstance(properties, dict):
            raise IoTError("Thing.properties must be a JSON object")
        properties = dict(properties or {})
        district = district_name(properties["district"]) if "district" in properties else None
        if district:
            properties["district"] = district
        thing = Thing(name=_text(body, "name"), description=_text(body, "description", False, 2000),
                      properties=properties, district=district)
        session.add(thing)
        session.flush()
        for item in _objects(body, "Thing", "Locations"):
            location = self._create_location(session, item)
            session.add(ThingLocation(thing_id=thing.id, location_id=location.id))
            if thing.district is None and location.district:
                thing.district = location.district
                thing.properties = {**(thing.properties or {}), "district": location.district}
        session.flush()
        for item in _objects(body, "Thing", "Datastreams"):
            self._create_datastream(session, {**item, "Thing": {"@iot.id": thing.id}})
        return thing

    def _create_sensor(self, session: Session, body: dict) -> Sensor:
        ident = _ref({"s": body}, "s")
        if ident is not None:
            return self._row(session, ENTITY_SETS["Sensors"], ident)
        row = Sensor(name=_text(body, "name"), description=_text(body, "description", False, 2000),
                     encoding_type=_text(body, "encodingType", False, 100) or "application/pdf",
                     meta=str(body.get("metadata") or "")[:2000])
        session.add(row)
        session.flush()
        return row

    def _create_observed_property(self, session: Session, body: dict) -> ObservedProperty:
        ident = _ref({"p": body}, "p")
        if ident is not None:
            return self._row(session, ENTITY_SETS["ObservedProperties"], ident)
        code = (body.get("properties") or {}).get("code") if isinstance(body.get("properties"), dict) else None
        if code is not None:
            known = catalogue.metric(str(code))
            existing = session.scalar(select(ObservedProperty).where(ObservedProperty.code == (known.code if known else code)))
            if existing is not None:
                return existing
        row = ObservedProperty(code=code, name=_text(body, "name"), definition=_text(body, "definition", False, 500),
                               description=_text(body, "description", False, 2000))
        session.add(row)
        session.flush()
        return row

    def _create_feature(self, session: Session, body: dict) -> FeatureOfInterest:
        feature = body.get("feature")
        if not isinstance(feature, dict) or "type" not in feature:
            raise IoTError("FeatureOfInterest.feature must be a GeoJSON object")
        point_of(feature)
        row = FeatureOfInterest(name=_text(body, "name"), description=_text(body, "description", False, 2000),
                                encoding_type=_text(body, "encodingType", False, 100) or "application/geo+json",
                                feature=feature)
        session.add(row)
        session.flush()
        return row

    def _create_datastream(self, session: Session, body: dict) -> Datastream:
        thing_id = _ref(body, "Thing")
        if thing_id is None:
            raise IoTError("Datastream.Thing must be a reference {\"@iot.id\": n} to an existing Thing")
        thing = self._row(session, ENTITY_SETS["Things"], thing_id)
        for key in ("Sensor", "ObservedProperty"):
            if not isinstance(body.get(key), dict):
                raise IoTError(f"Datastream.{key} is required: a reference {{\"@iot.id\": n}} or a new {key}")
        sensor = self._create_sensor(session, body["Sensor"])
        prop = self._create_observed_property(session, body["ObservedProperty"])
        observation_type = _text(body, "observationType", required=False) or catalogue.OM_MEASUREMENT
        if observation_type != catalogue.OM_MEASUREMENT:
            raise IoTError("only OM_Measurement datastreams (numeric results) are supported")
        known = catalogue.metric(prop.code) if prop.code else None
        unit = body.get("unitOfMeasurement")
        if unit is None and known:
            unit = known.unit
        if not isinstance(unit, dict) or not {"name", "symbol"} <= set(unit):
            raise IoTError("Datastream.unitOfMeasurement must be {\"name\", \"symbol\", \"definition\"}")
        row = Datastream(name=_text(body, "name"), description=_text(body, "description", False, 2000),
                         observation_type=observation_type, unit=unit, thing_id=thing.id, sensor_id=sensor.id,
                         observed_property_id=prop.id, metric=known.code if known else None, district=thing.district,
                         default_foi_id=self._default_feature(session, thing))
        session.add(row)
        session.flush()
        return row

    @staticmethod
    def _default_feature(session: Session, thing: Thing) -> int | None:
        """The FeatureOfInterest of the Thing's Location (made once), as SensorThings defaults it."""
        location = session.scalar(select(Location).join(ThingLocation, ThingLocation.location_id == Location.id)
                                  .where(ThingLocation.thing_id == thing.id).order_by(Location.id).limit(1))
        if location is None:
            return None
        feature = session.scalar(select(FeatureOfInterest).where(FeatureOfInterest.location_id == location.id))
        if feature is None:
            feature = FeatureOfInterest(name=location.name, description=location.description,
                                        encoding_type=location.encoding_type, feature=location.location,
                                        location_id=location.id)
            session.add(feature)
            session.flush()
        return feature.id
