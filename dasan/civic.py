"""Composition of the civic services: one place that turns settings and an engine into the service objects the
app, the CLI and the tests share."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine

from dasan.settings import Settings


@dataclass(frozen=True)
class CivicServices:
    staff_tokens: object
    complaints: object
    opendata: object
    iot: object = None
    voting: object = None


def build_civic_services(settings: Settings, engine: Engine) -> CivicServices:
    from civic_services.complaints import ComplaintLimits, ComplaintService
    from civic_services.complaints.media import MediaStore
    from civic_services.opendata import OpenData, OpenDataOptions
    from civic_services.staff import StaffTokens

    complaints = ComplaintService(
        engine, MediaStore(settings.resolved_uploads_dir / "complaints"),
        ComplaintLimits(photo_max_bytes=settings.complaint_photo_max_bytes,
                        video_max_bytes=settings.complaint_video_max_bytes))
    opendata = OpenData(engine, OpenDataOptions(rows_max=settings.datastore_rows_max,
                                                sql_enabled=settings.datastore_sql_enabled,
                                                sql_rows_max=settings.datastore_sql_rows_max,
                                                sql_timeout_ms=settings.datastore_sql_timeout_ms))
    from civic_services.iot import IoTOptions, IoTService
    from civic_services.voting import VotingService

    iot = IoTService(engine, IoTOptions(raw_retention_days=settings.iot_raw_retention_days,
                                        hourly_retention_days=settings.iot_hourly_retention_days))
    voting = VotingService(engine, settings.data_dir.resolve() / "keys", batch_max=settings.vote_batch_max)
    return CivicServices(staff_tokens=StaffTokens(engine), complaints=complaints, opendata=opendata, iot=iot,
                         voting=voting)


def attach(app_state, settings: Settings, engine: Engine) -> None:
    """Migrate the civic tables and put the services on the app's state (called from the lifespan)."""
    from civic_services.storage import upgrade

    upgrade(engine)
    services = build_civic_services(settings, engine)
    app_state.staff_tokens = services.staff_tokens
    app_state.complaints = services.complaints
    app_state.opendata = services.opendata
    app_state.iot = services.iot
    app_state.voting = services.voting
