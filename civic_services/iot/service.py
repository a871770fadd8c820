"""The IoT service as one object for the app, the CLI and the tests: SensorThings reads and writes,
observation ingestion, analytics and maintenance over one engine."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timezone

from sqlalchemy import Engine, select

from civic_services import districts
from civic_services.iot import catalogue
from civic_services.iot.analytics import Analytics
from civic_services.iot.errors import IoTError
from civic_services.iot.ingest import ObservationWriter, WriteResult
from civic_services.iot.odata import parse_time
from civic_services.iot.rollup import Maintenance
from civic_services.iot.sensorthings import SensorThings
from civic_services.iot.tables import Datastream, ObservedProperty, Thing

MAX_BATCH = 100_000  # observations in one CreateObservations request


@dataclass(frozen=True)
class IoTOptions:
    raw_retention_days: int = 90
    hourly_retention_days: int = 0


@dataclass(frozen=True)
class BatchOutcome:
    results: list[str]  # per observation: "created", "duplicate" or "error: ..."
    stored: int
    duplicates: int
    rejected: int


class IoTService:
    def __init__(self, engine: Engine, options: IoTOptions = IoTOptions()):
        self.engine = engine
        self.options = options
        self.things = SensorThings(engine)
        self.writer = ObservationWriter(engine)
        self.analytics = Analytics(engine)
        self.maintenance = Maintenance(engine, options.raw_retention_days, options.hourly_retention_days)

    # --- observations

    def create_observation(self, body: object, datastream_id: int | None = None) -> int:
        """POST Observations: one observation; returns its id (409 if one exists for that stream and time)."""
        if not isinstance(body, dict):
            raise IoTError("the request body must be a JSON Observation object")
        if datastream_id is None:
            ref = body.get("Datastream")
            ident = ref.get("@iot.id") if isinstance(ref, dict) else None
            if not isinstance(ident, int) or isinstance(ident, bool):
                raise IoTError("Observation.Datastream must be a reference {\"@iot.id\": n}")
            datastream_id = ident
        row = self.writer.prepare(datastream_id, body)
        ident = self.writer.write_one(row)
        if ident is None:
            raise IoTError(f"Datastream({datastream_id}) already has an observation at "
                           f"{row['phenomenon_time'].isoformat()}", 409)
        return ident

    def create_observations(self, body: object) -> BatchOutcome:
        """SensorThings CreateObservations (the dataArray extension): many observations in one commit."""
        if not isinstance(body, list):
            raise IoTError("CreateObservations takes a JSON array of {Datastream, components, dataArray}")
        now = datetime.now(timezone.utc)
        results: list[str] = []
        rows, positions = [], []
        total = 0
        for index, group in enumerate(body):
            if not isinstance(group, dict):
                raise IoTError(f"item {index}: must be an object with Datastream, components and dataArray")
            ref = group.get("Datastream")
            ident = ref.get("@iot.id") if isinstance(ref, dict) else None
            components, data = group.get("components"), group.get("dataArray")
            if not isinstance(ident, int) or isinstance(ident, bool):
                raise IoTError(f"item {index}: Datastream must be a reference {{\"@iot.id\": n}}")
            if (not isinstance(components, list) or "result" not in components
                    or not all(isinstance(c, str) for c in components)):
                raise IoTError(f"item {index}: components must list the fields of each row, including result")
            allowed = {"phenomenonTime", "resultTime", "result", "resultQuality", "parameters", "FeatureOfInterest/id"}
            if set(components) - allowed:
                raise IoTError(f"item {index}: unknown components {sorted(set(components) - allowed)}")
            if not isinstance(data, list):
                raise IoTError(f"item {index}: dataArray must be a list of rows")
            total += len(data)
            if total > MAX_BATCH:
                raise IoTError(f"at most {MAX_BATCH:,} observations in one request", 413)
            for values in data:
                if not isinstance(values, list) or len(values) != len(components):
                    results.append(f"error: a row must have {len(components)} values ({', '.join(components)})")
                    continue
                doc = dict(zip(components, values))
                if "FeatureOfInterest/id" in doc:
                    doc["FeatureOfInterest"] = {"@iot.id": doc.pop("FeatureOfInterest/id")}
                try:
                    rows.append(self.writer.prepare(ident, doc, now))
                    positions.append(len(results))
                    results.append("created")
                except IoTError as exc:
                    results.append(f"error: {exc.message}")
        outcome = self.writer.write(rows) if rows else WriteResult(0, 0)
        if outcome.duplicates:
            self._mark_duplicates(rows, positions, results)
        rejected = sum(1 for r in results if r.startswith("error"))
        return BatchOutcome(results, outcome.stored, outcome.duplicates, rejected)

    def _mark_duplicates(self, rows: list[dict], positions: list[int], results: list[str]) -> None:
        """After a batch with duplicates: which rows were there before (or twice in the batch)?"""
        seen: set[tuple] = set()
        for row, at in zip(rows, positions):
            key = (row["datastream_id"], row["phenomenon_time"])
            if key in seen:
                results[at] = "duplicate"
            seen.add(key)
        # Rows stored earlier than this batch cannot be told from ours after the commit; the count is exact,
        # the per-row labels mark repeats within the batch.

    # --- provisioning (simulator, tests)

    def provision_station(self, name: str, district: str, lat: float, lon: float,
                          metrics: tuple[str, ...] | None = None) -> dict[str, int]:
        """A multi-function sensor station: a Thing at a Location with one Datastream per metric (idempotent by
        name). Returns metric code -> Datastream id."""
        with self.things.sessions() as session:
            existing = session.scalar(select(Thing).where(Thing.name == name))
            if existing is not None:
                rows = session.execute(select(Datastream.metric, Datastream.id)
                                       .where(Datastream.thing_id == existing.id)).all()
                return {m: i for m, i in rows}
            properties = {p.code: p.id for p in session.scalars(select(ObservedProperty))}
        wanted = [catalogue.BY_CODE[c] for c in (metrics or tuple(catalogue.BY_CODE))]
        body = {"name": name, "description": f"S-DoT-style multi-function sensor in {district}",
                "properties": {"district": district, "kind": "s-dot"},
                "Locations": [{"name": f"{name} site", "description": f"{district}",
                               "encodingType": "application/geo+json",
                               "location": {"type": "Point", "coordinates": [round(lon, 6), round(lat, 6)]}}],
                "Datastreams": [{"name": f"{name} {m.code}", "description": m.name_en,
                                 "observationType": catalogue.OM_MEASUREMENT, "unitOfMeasurement": m.unit,
                                 "Sensor": {"name": f"{name} {m.code} sensor", "encodingType": "text/plain",
                                            "metadata": "simulated", "description": m.name_en},
                                 "ObservedProperty": {"@iot.id": properties[m.code]}} for m in wanted]}
        _, thing_id = self.things.create("Things", body)
        with self.things.sessions() as session:
            rows = session.execute(select(Datastream.metric, Datastream.id).where(Datastream.thing_id == thing_id)).all()
        self.writer.streams.reload()
        return {m: i for m, i in rows}

    def provision_stations(self, count: int, seed: int = 120, prefix: str = "sdot") -> list[dict]:
        """``count`` stations spread over the 25 districts (round robin, within ~1.5 km of each centroid)."""
        rng = random.Random(seed)
        stations = []
        all_districts = districts.districts()
        for i in range(count):
            district = all_districts[i % len(all_districts)]
            lat = district.lat + rng.uniform(-0.012, 0.012)
            lon = district.lon + rng.uniform(-0.015, 0.015)
            name = f"{prefix}-{i + 1:05d}"
            streams = self.provision_station(name, district.name_en, lat, lon)
            stations.append({"name": name, "district": district.name_en, "lat": lat, "lon": lon,
                             "datastreams": streams})
        return stations


__all__ = ["IoTService", "IoTOptions", "BatchOutcome", "parse_time"]
