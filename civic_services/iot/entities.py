"""The SensorThings entity sets: which table, which properties (and their columns, for $filter, $orderby and
$select), which navigation links, and how a row becomes its JSON document."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Callable

from civic_services.iot.tables import (
    Datastream,
    FeatureOfInterest,
    Location,
    Observation,
    ObservedProperty,
    Sensor,
    Thing,
    ThingLocation,
)


def iso(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    return moment.astimezone(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass(frozen=True)
class Nav:
    """A navigation property: ``one`` (the parent row holds the foreign key ``key``) or ``many`` (the target's
    ``key`` column points at the parent; ``via`` names a link table instead)."""

    target: str  # entity set name
    kind: str  # one | many
    key: str = ""
    via: tuple | None = None  # (link table column to parent, link table column to target)


@dataclass(frozen=True)
class EntitySet:
    name: str  # Things
    singular: str  # Thing
    model: type
    columns: dict  # property -> column, for $filter/$orderby
    render: Callable  # row -> dict of properties
    navs: dict[str, Nav] = field(default_factory=dict)
    time_properties: frozenset[str] = frozenset()
    default_order: tuple = ()


def _thing(row: Thing) -> dict:
    return {"name": row.name, "description": row.description, "properties": row.properties or {}}


def _location(row: Location) -> dict:
    return {"name": row.name, "description": row.description, "encodingType": row.encoding_type,
            "location": row.location}


def _sensor(row: Sensor) -> dict:
    return {"name": row.name, "description": row.description, "encodingType": row.encoding_type,
            "metadata": row.meta}


def _observed_property(row: ObservedProperty) -> dict:
    doc = {"name": row.name, "definition": row.definition, "description": row.description}
    if row.code:
        doc["properties"] = {"code": row.code}
    return doc


def _datastream(row: Datastream) -> dict:
    return {"name": row.name, "description": row.description, "observationType": row.observation_type,
            "unitOfMeasurement": row.unit,
            "properties": {k: v for k, v in (("metric", row.metric), ("district", row.district)) if v}}


def _observation(row: Observation) -> dict:
    doc = {"phenomenonTime": iso(row.phenomenon_time), "resultTime": iso(row.result_time), "result": row.result}
    if row.extra:
        doc.update(row.extra)
    return doc


def _feature(row: FeatureOfInterest) -> dict:
    return {"name": row.name, "description": row.description, "encodingType": row.encoding_type,
            "feature": row.feature}


ENTITY_SETS: dict[str, EntitySet] = {
    "Things": EntitySet(
        "Things", "Thing", Thing,
        {"id": Thing.id, "name": Thing.name, "description": Thing.description, "properties/district": Thing.district},
        _thing,
        {"Locations": Nav("Locations", "many", via=(ThingLocation.thing_id, ThingLocation.location_id)),
         "Datastreams": Nav("Datastreams", "many", key="thing_id")}),
    "Locations": EntitySet(
        "Locations", "Location", Location,
        {"id": Location.id, "name": Location.name, "description": Location.description,
         "encodingType": Location.encoding_type},
        _location,
        {"Things": Nav("Things", "many", via=(ThingLocation.location_id, ThingLocation.thing_id))}),
    "Sensors": EntitySet(
        "Sensors", "Sensor", Sensor,
        {"id": Sensor.id, "name": Sensor.name, "description": Sensor.description, "encodingType": Sensor.encoding_type},
        _sensor, {"Datastreams": Nav("Datastreams", "many", key="sensor_id")}),
    "ObservedProperties": EntitySet(
        "ObservedProperties", "ObservedProperty", ObservedProperty,
        {"id": ObservedProperty.id, "name": ObservedProperty.name, "definition": ObservedProperty.definition,
         "description": ObservedProperty.description, "properties/code": ObservedProperty.code},
        _observed_property, {"Datastreams": Nav("Datastreams", "many", key="observed_property_id")}),
    "Datastreams": EntitySet(
        "Datastreams", "Datastream", Datastream,
        {"id": Datastream.id, "name": Datastream.name, "description": Datastream.description,
         "observationType": Datastream.observation_type, "properties/metric": Datastream.metric,
         "properties/district": Datastream.district, "Thing/id": Datastream.thing_id,
         "Sensor/id": Datastream.sensor_id, "ObservedProperty/id": Datastream.observed_property_id},
        _datastream,
        {"Thing": Nav("Things", "one", key="thing_id"), "Sensor": Nav("Sensors", "one", key="sensor_id"),
         "ObservedProperty": Nav("ObservedProperties", "one", key="observed_property_id"),
         "Observations": Nav("Observations", "many", key="datastream_id")}),
    "Observations": EntitySet(
        "Observations", "Observation", Observation,
        {"id": Observation.id, "phenomenonTime": Observation.phenomenon_time, "resultTime": Observation.result_time,
         "result": Observation.result, "Datastream/id": Observation.datastream_id,
         "FeatureOfInterest/id": Observation.foi_id},
        _observation,
        {"Datastream": Nav("Datastreams", "one", key="datastream_id"),
         "FeatureOfInterest": Nav("FeaturesOfInterest", "one", key="foi_id")},
        time_properties=frozenset({"phenomenonTime", "resultTime"}),
        default_order=(("phenomenonTime", True),)),
    "FeaturesOfInterest": EntitySet(
        "FeaturesOfInterest", "FeatureOfInterest", FeatureOfInterest,
        {"id": FeatureOfInterest.id, "name": FeatureOfInterest.name, "description": FeatureOfInterest.description,
         "encodingType": FeatureOfInterest.encoding_type},
        _feature, {"Observations": Nav("Observations", "many", key="foi_id")}),
}
