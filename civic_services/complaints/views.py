"""Reading reports: the public views (one report with its updates, a filtered and paged list, the reporter's view
by token, a media file) and the staff view (one report with its reporter, media metadata, full history and
notices).

Every public view is built by :meth:`PublicViews.record` or :meth:`PublicViews.by_token`, and both pass each
piece of free text (description, address, status notes, the notes of updates) through
:func:`~civic_services.complaints.text.public_text`, which masks personal data; the staff view builds the same
record from the originals."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Callable

from sqlalchemy import func, select

from civic_services import districts
from civic_services.complaints.catalogue import DEPARTMENTS, SERVICES
from civic_services.complaints.errors import ComplaintError, NotFound
from civic_services.complaints.records import (TOKEN_CHARS, Desk, load, media_of, normalize_ticket, token_digest,
                                               w3c, within_box)
from civic_services.complaints.tables import STATUSES, Event, Media, Outbox, Reporter, Request
from civic_services.complaints.text import public_text

Publish = Callable[[str | None], str | None]


def _as_is(value: str | None) -> str | None:
    return value


def _updates(events: list[Event], publish: Publish) -> list[dict]:
    """A report's public history: submission, status changes and public notes."""
    return [{"datetime": w3c(e.at), "status": e.to_status, "note": publish(e.note)}
            for e in events if e.public and e.action in ("submitted", "status", "note")]


def media_notice(media: list[Media]) -> str | None:
    """What the public is told of media it cannot see yet (a copy being prepared) or at all (a copy that failed)."""
    pending = [m for m in media if m.public_state == "pending"]
    failed = [m for m in media if m.public_state == "failed"]
    said = []
    if pending:
        what = _count(pending)
        said.append(f"{what} {'is' if len(pending) == 1 else 'are'} being prepared for publication (location and "
                    "camera data are removed first) and will appear here shortly.")
    if failed:
        said.append(f"{_count(failed)} could not be prepared for publication and {'is' if len(failed) == 1 else 'are'}"
                    " not shown; the staff handling the report have it.")
    return " ".join(said) or None


def _count(media: list[Media]) -> str:
    kind = "video" if media[0].kind == "video" else "photo"
    return f"1 {kind}" if len(media) == 1 else f"{len(media)} {kind}s"


def _record(request: Request, media: list[Media], media_url: Callable[[str], str], updates: list[Event] | None,
            duplicates: int, publish: Publish) -> dict:
    """A report in Open311's form, its free text through ``publish``; only media whose public copy is ready get a
    URL (until then ``media_pending`` counts them and ``media_notice`` says why they are not there)."""
    service = SERVICES.get(request.service_code)
    department = DEPARTMENTS.get(request.department)
    urls = [media_url(m.id) for m in media if m.public_state == "ready"]
    if request.external_media_url:
        urls.append(request.external_media_url)
    record = {
        "service_request_id": request.ticket,
        "status": "closed" if request.status == "closed" else "open",
        "status_detail": request.status,
        "status_notes": publish(request.status_notes),
        "service_name": service.name if service else request.service_code,
        "service_code": request.service_code,
        "description": publish(request.description),
        "agency_responsible": department.name_en if department else request.department,
        "service_notice": None,
        "requested_datetime": w3c(request.requested_at),
        "updated_datetime": w3c(request.updated_at),
        "expected_datetime": w3c(request.expected_at),
        "address": publish(request.address),
        "address_id": request.address_id,
        "zipcode": None,
        "lat": request.lat,
        "long": request.lon,
        "district": request.district,
        "media_url": urls[0] if urls else None,
        "media_urls": urls,
        "media_pending": sum(1 for m in media if m.public_state == "pending"),
        "media_failed": sum(1 for m in media if m.public_state == "failed"),
        "media_notice": media_notice(media),
        "duplicate_of": request.duplicate_of,
        "duplicates": duplicates,
    }
    if updates is not None:
        record["updates"] = _updates(updates, publish)
    return record


@dataclass(frozen=True)
class ListQuery:
    tickets: tuple[str, ...] = ()
    service_codes: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ()
    start: datetime | None = None
    end: datetime | None = None
    district: str | None = None
    lat: float | None = None
    lon: float | None = None
    radius_m: float | None = None
    page: int = 1
    page_size: int = 1000


class PublicViews:
    def __init__(self, desk: Desk):
        self.desk = desk

    def record(self, request: Request, media: list[Media], media_url: Callable[[str], str],
               updates: list[Event] | None = None, duplicates: int = 0) -> dict:
        """A report in Open311's public form (with its public updates when given), personal data masked."""
        return _record(request, media, media_url, updates, duplicates, public_text)

    def get_public(self, ticket: str, media_url: Callable[[str], str]) -> dict:
        with self.desk.sessions() as session:
            request = load(session, ticket)
            events = session.scalars(select(Event).where(Event.request_id == request.id).order_by(Event.id)).all()
            duplicates = session.scalar(select(func.count()).where(Request.duplicate_of == request.ticket))
            return self.record(request, media_of(session, [request.id])[request.id], media_url,
                               list(events), duplicates)

    def list_public(self, query: ListQuery, media_url: Callable[[str], str]) -> list[dict]:
        if not 1 <= query.page_size <= self.desk.limits.page_size_max:
            raise ComplaintError(f"page_size must be between 1 and {self.desk.limits.page_size_max}")
        if query.page < 1:
            raise ComplaintError("page starts at 1")
        bad = sorted(set(query.statuses) - set(STATUSES))
        if bad:
            raise ComplaintError(f"unknown status {', '.join(bad)}; use open, closed, acknowledged or in_progress")
        statement = select(Request)
        if any("\x00" in value for value in (*query.tickets, *query.service_codes, query.district or "")):
            raise ComplaintError("filters may not contain NUL characters")
        if query.tickets:
            statement = statement.where(Request.ticket.in_([normalize_ticket(t) or t for t in query.tickets]))
        start, end = query.start, query.end
        if start and end and end < start:
            raise ComplaintError("end_date is before start_date")
        if not query.tickets and start is None and end is None:
            start = self.desk.clock() - timedelta(days=self.desk.limits.default_window_days)
        if start:
            statement = statement.where(Request.requested_at >= start)
        if end:
            statement = statement.where(Request.requested_at <= end)
        if query.service_codes:
            statement = statement.where(Request.service_code.in_(query.service_codes))
        if query.statuses:
            wanted = set(query.statuses)
            if "open" in wanted:  # Open311's "open" is every state but closed
                wanted |= {"acknowledged", "in_progress"}
            statement = statement.where(Request.status.in_(sorted(wanted)))
        if query.district:
            district = districts.by_name(query.district)
            if district is None:
                raise ComplaintError(f"unknown district {query.district!r}; use a Seoul district such as Mapo-gu")
            statement = statement.where(Request.district == district.name_en)
        near = query.lat is not None or query.lon is not None or query.radius_m is not None
        if near:
            if query.lat is None or query.lon is None:
                raise ComplaintError("lat and long go together (radius in metres is optional, default 500)")
            radius = query.radius_m or 500.0
            if not (0 < radius <= 10_000):
                raise ComplaintError("radius must be between 0 and 10000 metres")
            statement = statement.where(within_box(query.lat, query.lon, radius))
        statement = statement.order_by(Request.requested_at.desc(), Request.id.desc())
        with self.desk.sessions() as session:
            if near:  # the box is a superset: filter by distance before paging
                rows = [r for r in session.scalars(statement)
                        if districts.distance_m(query.lat, query.lon, r.lat, r.lon) <= (query.radius_m or 500.0)]
                rows = rows[(query.page - 1) * query.page_size: query.page * query.page_size]
            else:
                rows = session.scalars(statement.offset((query.page - 1) * query.page_size)
                                       .limit(query.page_size)).all()
            media = media_of(session, [r.id for r in rows])
            return [self.record(r, media[r.id], media_url) for r in rows]

    def by_token(self, token: str) -> dict:
        """What the reporter sees with their token: the ticket id, its status and the public history."""
        if not token or len(token) > 100 or not TOKEN_CHARS.fullmatch(token):
            raise NotFound("unknown token")
        with self.desk.sessions() as session:
            request = session.scalar(select(Request).where(Request.token_sha256 == token_digest(token)))
            if request is None:
                raise NotFound("unknown token")
            events = session.scalars(select(Event).where(Event.request_id == request.id).order_by(Event.id)).all()
            return {"service_request_id": request.ticket, "token": token,
                    "status": "closed" if request.status == "closed" else "open", "status_detail": request.status,
                    "status_notes": public_text(request.status_notes), "duplicate_of": request.duplicate_of,
                    "updates": _updates(list(events), public_text)}

    def media_file(self, media_id: str, original: bool = False) -> tuple[Path, str]:
        """The file of a media: its public copy (only once it is ready: the original is never the public's), or
        with ``original`` (staff only) the file as uploaded."""
        with self.desk.sessions() as session:
            row = session.get(Media, media_id) if TOKEN_CHARS.fullmatch(media_id) and len(media_id) <= 32 else None
            if row is None:
                raise NotFound(f"no media {media_id!r}")
            if original:
                return self.desk.media_store.path(row.original_path), row.content_type
            if row.public_state == "pending":
                raise NotFound(f"the {row.kind} {media_id!r} is being prepared for publication (its location and "
                               "camera data are removed first); try again in a few seconds")
            if row.public_state != "ready":
                raise NotFound(f"the {row.kind} {media_id!r} could not be prepared for publication and is not shown")
            return self.desk.media_store.path(row.public_path), row.content_type

class StaffViews:
    """The staff view: the originals (reporter, free text unmasked, media metadata, history, notices)."""

    def __init__(self, desk: Desk):
        self.desk = desk

    def staff_record(self, ticket: str, media_url: Callable[[str], str],
                     original_url: Callable[[str], str]) -> dict:
        with self.desk.sessions() as session:
            request = load(session, ticket)
            events = session.scalars(select(Event).where(Event.request_id == request.id).order_by(Event.id)).all()
            duplicates = session.scalars(select(Request.ticket).where(Request.duplicate_of == request.ticket)
                                         .order_by(Request.id)).all()
            media = media_of(session, [request.id])[request.id]
            record = _record(request, media, media_url, list(events), len(duplicates), _as_is)
            reporter = session.get(Reporter, request.id)
            outbox = session.scalars(select(Outbox).where(Outbox.request_id == request.id).order_by(Outbox.id)).all()
            record.update({
                "department": request.department,
                "assignee": request.assignee,
                "attributes": request.attributes or {},
                "client_api_key": request.client_api_key,
                "position_source": request.position_source,
                "duplicate_tickets": list(duplicates),
                "reporter": {k: getattr(reporter, k) for k in ("first_name", "last_name", "phone", "email",
                                                              "device_id", "account_id")} if reporter else None,
                "media": [{"id": m.id, "kind": m.kind, "content_type": m.content_type, "bytes": m.bytes,
                           "sha256": m.sha256, "width": m.width, "height": m.height, "duration_s": m.duration_s,
                           "taken_at": w3c(m.taken_at), "gps_lat": m.gps_lat, "gps_lon": m.gps_lon,
                           "public_copy": m.public_state, "public_copy_error": m.public_error,
                           "public_url": media_url(m.id) if m.public_state == "ready" else None,
                           "original_url": original_url(m.id)} for m in media],
                "history": [{"datetime": w3c(e.at), "actor": e.actor, "action": e.action, "from_status": e.from_status,
                             "to_status": e.to_status, "note": e.note, "public": e.public, "detail": e.detail}
                            for e in events],
                "outbox": [{"id": o.id, "channel": o.channel, "recipient": o.recipient, "subject": o.subject,
                            "body": o.body, "created_at": w3c(o.created_at), "sent_at": w3c(o.sent_at)}
                           for o in outbox],
            })
            return record
