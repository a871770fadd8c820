"""Complaint reports as plain Python: submit, list, follow with a token, and change (staff).

Every write is one database transaction that also records the change (``complaint_events``) and the
reporter's notice (through the notifier); media files are on disk, fsynced, before that transaction commits.
"""

from __future__ import annotations

import hashlib
import math
import re
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Callable

from sqlalchemy import Engine, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, sessionmaker

from civic_services import districts
from civic_services.complaints import media as media_mod
from civic_services.complaints.catalogue import DEPARTMENTS, SERVICES, Service
from civic_services.complaints.errors import ComplaintError, Conflict, NotFound
from civic_services.complaints.location import resolve
from civic_services.complaints.media import KST, MediaInfo, MediaStore
from civic_services.complaints.notify import Notifier, OutboxNotifier
from civic_services.complaints.tables import STATUSES, Event, Media, Outbox, Reporter, Request, TicketCounter
from database.base import utcnow

TICKET_FORMAT = "SR-{year:04d}-{number:06d}"
TOKEN_CHARS = re.compile(r"[A-Za-z0-9_\-]+")
# Allowed status changes (a closed report can be reopened).
TRANSITIONS = {
    "open": ("acknowledged", "in_progress", "closed"),
    "acknowledged": ("in_progress", "closed"),
    "in_progress": ("acknowledged", "closed"),
    "closed": ("open",),
}


@dataclass(frozen=True)
class ComplaintLimits:
    photo_max_bytes: int = 10_000_000
    video_max_bytes: int = 50_000_000
    max_photos: int = 3  # Seoul's app: up to 3 photos or 1 video
    max_videos: int = 1
    duplicate_radius_m: float = 50.0
    description_max_chars: int = 4000
    default_window_days: int = 90  # GET requests without dates (Open311's default)
    page_size_max: int = 1000


@dataclass(frozen=True)
class Upload:
    filename: str
    data: bytes


@dataclass(frozen=True)
class NewReport:
    """A citizen's report, as Open311 ``POST requests`` carries it."""

    service_code: str
    description: str
    lat: float | None = None
    lon: float | None = None
    address: str | None = None
    address_id: str | None = None
    attributes: dict[str, str] = field(default_factory=dict)
    first_name: str | None = None
    last_name: str | None = None
    phone: str | None = None
    email: str | None = None
    device_id: str | None = None
    account_id: str | None = None
    media_url: str | None = None
    api_key: str | None = None
    uploads: tuple[Upload, ...] = ()


@dataclass(frozen=True)
class Submitted:
    ticket: str
    token: str
    district: str
    duplicate_of: str | None
    notice: str


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


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def w3c(moment: datetime | None) -> str | None:
    """Open311's W3C datetime, in Seoul time."""
    return moment.astimezone(KST).isoformat(timespec="seconds") if moment else None


def normalize_ticket(text: str) -> str | None:
    """``sr 2025 117730`` / ``SR-2025-117730`` -> ``SR-2025-117730``; None if it is not a ticket id."""
    digits = "".join(ch for ch in text.upper() if ch.isalnum())
    if digits.startswith("SR") and digits[2:].isdigit() and len(digits) == 12:
        return TICKET_FORMAT.format(year=int(digits[2:6]), number=int(digits[6:]))
    return None


class ComplaintService:
    def __init__(self, engine: Engine, media_store: MediaStore, limits: ComplaintLimits = ComplaintLimits(),
                 notifier: Notifier | None = None, clock: Callable[[], datetime] = utcnow):
        self.engine = engine
        self.media_store = media_store
        self.limits = limits
        self.notifier = notifier or OutboxNotifier()
        self.clock = clock
        self._sessions = sessionmaker(engine, expire_on_commit=False)

    # --- catalogue

    def services(self) -> list[Service]:
        return list(SERVICES.values())

    def service(self, code: str) -> Service:
        try:
            return SERVICES[code]
        except KeyError:
            raise NotFound(f"no service with code {code!r}; GET services lists them") from None

    # --- submit

    def _check_attributes(self, service: Service, given: dict[str, str]) -> dict[str, str]:
        known = {a.code: a for a in service.attributes}
        unknown = sorted(set(given) - set(known))
        if unknown:
            raise ComplaintError(f"unknown attribute(s) {', '.join(unknown)} for service {service.code}"
                                 + (f"; known: {', '.join(known)}" if known else " (it has none)"))
        clean = {}
        for code, attribute in known.items():
            value = (given.get(code) or "").strip()
            if not value:
                if attribute.required:
                    raise ComplaintError(f"attribute[{code}] is required for service {service.code}")
                continue
            if len(value) > 500:
                raise ComplaintError(f"attribute[{code}] is longer than 500 characters")
            if attribute.datatype == "singlevaluelist" and value not in dict(attribute.values):
                raise ComplaintError(f"attribute[{code}] must be one of {', '.join(k for k, _ in attribute.values)}")
            if attribute.datatype == "number":
                try:
                    float(value)
                except ValueError:
                    raise ComplaintError(f"attribute[{code}] must be a number") from None
            clean[code] = value
        return clean

    def _check_media(self, service: Service, uploads: tuple[Upload, ...]) -> list[MediaInfo]:
        limits = self.limits
        infos = [media_mod.inspect(u.data, u.filename, limits.photo_max_bytes, limits.video_max_bytes)
                 for u in uploads if u.data or u.filename]
        photos = [m for m in infos if m.kind == "photo"]
        videos = [m for m in infos if m.kind == "video"]
        if videos and photos:
            raise ComplaintError("a report carries up to 3 photos or 1 video, not both")
        if len(videos) > limits.max_videos:
            raise ComplaintError(f"a report carries at most {limits.max_videos} video")
        if len(photos) > limits.max_photos:
            raise ComplaintError(f"a report carries at most {limits.max_photos} photos; {len(photos)} were sent")
        if service.min_photos and len(photos) < service.min_photos:
            raise ComplaintError(f"a {service.code} report needs at least {service.min_photos} photos "
                                 f"({len(photos)} sent)")
        if service.photos_min_seconds_apart:
            times = [m.taken_at for m in photos]
            if any(t is None for t in times):
                raise ComplaintError(f"{service.code} photos must carry the time they were taken (EXIF "
                                     "DateTimeOriginal), to show the vehicle stayed")
            gap = (max(times) - min(times)).total_seconds()
            if gap < service.photos_min_seconds_apart:
                raise ComplaintError(f"{service.code} photos must be taken at least "
                                     f"{service.photos_min_seconds_apart} seconds apart; these are {gap:.0f} s apart")
        return infos

    def _check_text(self, report: NewReport) -> None:
        texts = [v for v in vars(report).values() if isinstance(v, str)] + [*report.attributes, *report.attributes.values()]
        if any("\x00" in t for t in texts):
            raise ComplaintError("text fields may not contain NUL characters")
        description = report.description.strip()
        if not description:
            raise ComplaintError("description is required: say what is wrong")
        if len(description) > self.limits.description_max_chars:
            raise ComplaintError(f"description is longer than {self.limits.description_max_chars} characters")
        for name, limit in (("address_string", 500), ("first_name", 100), ("last_name", 100), ("phone", 40),
                            ("email", 254), ("device_id", 100), ("account_id", 100), ("address_id", 100),
                            ("api_key", 100), ("media_url", 2000)):
            value = getattr(report, "address" if name == "address_string" else name)
            if value and len(value) > limit:
                raise ComplaintError(f"{name} is longer than {limit} characters")
        if report.email and ("@" not in report.email or " " in report.email.strip()):
            raise ComplaintError("email is not an e-mail address")
        if report.media_url and not report.media_url.startswith(("http://", "https://")):
            raise ComplaintError("media_url must be an http(s) URL")

    def _next_ticket(self, session: Session, year: int) -> str:
        """Reserve the year's next ticket number (an upsert that also takes the write lock first on SQLite)."""
        table = TicketCounter.__table__
        insert = pg_insert if self.engine.dialect.name == "postgresql" else sqlite_insert
        statement = insert(table).values(year=year, last=1)
        statement = statement.on_conflict_do_update(index_elements=[table.c.year],
                                                    set_={"last": table.c.last + 1}).returning(table.c.last)
        number = session.execute(statement).scalar_one()
        return TICKET_FORMAT.format(year=year, number=number)

    def _find_duplicate(self, session: Session, service_code: str, lat: float | None, lon: float | None,
                        address_key: str | None) -> tuple[Request, float | None] | None:
        open_states = [s for s in STATUSES if s != "closed"]
        base = select(Request).where(Request.service_code == service_code, Request.status.in_(open_states),
                                     Request.duplicate_of.is_(None))
        if lat is not None:
            radius = self.limits.duplicate_radius_m
            dlat = radius / 111_320
            dlon = radius / (111_320 * max(0.01, math.cos(math.radians(lat))))
            candidates = session.scalars(base.where(Request.lat.between(lat - dlat, lat + dlat),
                                                    Request.lon.between(lon - dlon, lon + dlon))).all()
            scored = sorted(((districts.distance_m(lat, lon, c.lat, c.lon), c) for c in candidates),
                            key=lambda pair: (pair[0], pair[1].id))
            for distance, candidate in scored:
                if distance <= radius:
                    return candidate, distance
            return None
        if address_key:
            candidate = session.scalars(base.where(Request.address_key == address_key)
                                        .order_by(Request.id).limit(1)).first()
            if candidate:
                return candidate, None
        return None

    def submit(self, report: NewReport) -> Submitted:
        service = self.service(report.service_code)
        self._check_text(report)
        attributes = self._check_attributes(service, report.attributes)
        infos = self._check_media(service, report.uploads)
        where = resolve(report.lat, report.lon, report.address, infos)
        now = self.clock()
        token = secrets.token_urlsafe(24)
        saved: list[tuple[str, MediaInfo, str, str]] = []
        try:
            for info in infos:
                media_id = self.media_store.new_id()
                public_path, original_path = self.media_store.save(media_id, info, now)
                saved.append((media_id, info, public_path, original_path))
            with self._sessions.begin() as session:
                ticket = self._next_ticket(session, now.astimezone(KST).year)
                duplicate = self._find_duplicate(session, service.code, where.lat, where.lon, where.address_key)
                request = Request(
                    ticket=ticket, service_code=service.code, status="open", description=report.description.strip(),
                    lat=where.lat, lon=where.lon, position_source=where.source, address=where.address,
                    address_key=where.address_key, address_id=report.address_id, district=where.district.name_en,
                    department=service.department, token_sha256=_digest(token),
                    client_api_key=report.api_key or None, attributes=attributes,
                    external_media_url=report.media_url or None, requested_at=now, updated_at=now,
                    expected_at=now + timedelta(days=service.days_to_resolve),
                    duplicate_of=duplicate[0].ticket if duplicate else None)
                session.add(request)
                session.flush()
                reporter = Reporter(request_id=request.id, first_name=report.first_name, last_name=report.last_name,
                                    phone=report.phone, email=report.email, device_id=report.device_id,
                                    account_id=report.account_id)
                session.add(reporter)
                for position, (media_id, info, public_path, original_path) in enumerate(saved):
                    session.add(Media(id=media_id, request_id=request.id, position=position, kind=info.kind,
                                      content_type=info.content_type, bytes=len(info.original), sha256=info.sha256,
                                      width=info.width, height=info.height, duration_s=info.duration_s,
                                      taken_at=info.taken_at, gps_lat=info.gps_lat, gps_lon=info.gps_lon,
                                      public_path=public_path, original_path=original_path, created_at=now))
                detail = {"media": len(saved)}
                if duplicate:
                    detail["duplicate_of"] = duplicate[0].ticket
                    if duplicate[1] is not None:
                        detail["distance_m"] = round(duplicate[1], 1)
                event = Event(request_id=request.id, at=now, actor="citizen", action="submitted", to_status="open",
                              public=True, detail=detail)
                session.add(event)
                session.flush()
                self.notifier.notify(session, request, reporter, event)
        except BaseException:
            for _, _, public_path, original_path in saved:
                self.media_store.delete(public_path, original_path)
            raise
        department = DEPARTMENTS[service.department]
        notice = [f"Report {ticket} received; routed to {department.name_en} ({department.name_ko}), "
                  f"{where.district.name_en}."]
        if where.notice:
            notice.append(where.notice)
        if duplicate:
            original, distance = duplicate
            near = f"{distance:.0f} m away" if distance is not None else "at the same address"
            notice.append(f"A {service.code} report {near} is already open ({original.ticket}); yours is linked to it.")
        return Submitted(ticket=ticket, token=token, district=where.district.name_en,
                         duplicate_of=duplicate[0].ticket if duplicate else None, notice=" ".join(notice))

    # --- read (public)

    def _public(self, request: Request, media: list[Media], media_url: Callable[[str], str],
                updates: list[Event] | None = None, duplicates: int = 0) -> dict:
        service = SERVICES.get(request.service_code)
        department = DEPARTMENTS.get(request.department)
        urls = [media_url(m.id) for m in media]
        if request.external_media_url:
            urls.append(request.external_media_url)
        record = {
            "service_request_id": request.ticket,
            "status": "closed" if request.status == "closed" else "open",
            "status_detail": request.status,
            "status_notes": request.status_notes,
            "service_name": service.name if service else request.service_code,
            "service_code": request.service_code,
            "description": request.description,
            "agency_responsible": department.name_en if department else request.department,
            "service_notice": None,
            "requested_datetime": w3c(request.requested_at),
            "updated_datetime": w3c(request.updated_at),
            "expected_datetime": w3c(request.expected_at),
            "address": request.address,
            "address_id": request.address_id,
            "zipcode": None,
            "lat": request.lat,
            "long": request.lon,
            "district": request.district,
            "media_url": urls[0] if urls else None,
            "media_urls": urls,
            "duplicate_of": request.duplicate_of,
            "duplicates": duplicates,
        }
        if updates is not None:
            record["updates"] = [{"datetime": w3c(e.at), "status": e.to_status, "note": e.note}
                                 for e in updates if e.public and e.action in ("submitted", "status", "note")]
        return record

    def _media_of(self, session: Session, request_ids: list[int]) -> dict[int, list[Media]]:
        grouped: dict[int, list[Media]] = {i: [] for i in request_ids}
        if request_ids:
            for m in session.scalars(select(Media).where(Media.request_id.in_(request_ids))
                                     .order_by(Media.request_id, Media.position)):
                grouped[m.request_id].append(m)
        return grouped

    def _load(self, session: Session, ticket: str) -> Request:
        normalized = normalize_ticket(ticket)
        request = session.scalar(select(Request).where(Request.ticket == normalized)) if normalized else None
        if request is None:
            raise NotFound(f"no service request {ticket!r}")
        return request

    def get_public(self, ticket: str, media_url: Callable[[str], str]) -> dict:
        with self._sessions() as session:
            request = self._load(session, ticket)
            events = session.scalars(select(Event).where(Event.request_id == request.id).order_by(Event.id)).all()
            duplicates = session.scalar(select(func.count()).where(Request.duplicate_of == request.ticket))
            return self._public(request, self._media_of(session, [request.id])[request.id], media_url,
                                list(events), duplicates)

    def list_public(self, query: ListQuery, media_url: Callable[[str], str]) -> list[dict]:
        if not 1 <= query.page_size <= self.limits.page_size_max:
            raise ComplaintError(f"page_size must be between 1 and {self.limits.page_size_max}")
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
        if not query.tickets and start is None and end is None:
            start = self.clock() - timedelta(days=self.limits.default_window_days)
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
            dlat = radius / 111_320
            dlon = radius / (111_320 * max(0.01, math.cos(math.radians(query.lat))))
            statement = statement.where(Request.lat.between(query.lat - dlat, query.lat + dlat),
                                        Request.lon.between(query.lon - dlon, query.lon + dlon))
        statement = statement.order_by(Request.requested_at.desc(), Request.id.desc())
        with self._sessions() as session:
            if near:  # the box is a superset: filter by distance before paging
                rows = [r for r in session.scalars(statement)
                        if districts.distance_m(query.lat, query.lon, r.lat, r.lon) <= (query.radius_m or 500.0)]
                rows = rows[(query.page - 1) * query.page_size: query.page * query.page_size]
            else:
                rows = session.scalars(statement.offset((query.page - 1) * query.page_size)
                                       .limit(query.page_size)).all()
            media = self._media_of(session, [r.id for r in rows])
            return [self._public(r, media[r.id], media_url) for r in rows]

    def by_token(self, token: str) -> dict:
        """What the reporter sees with their token: the ticket id, its status and the public history."""
        if not token or len(token) > 100 or not TOKEN_CHARS.fullmatch(token):
            raise NotFound("unknown token")
        with self._sessions() as session:
            request = session.scalar(select(Request).where(Request.token_sha256 == _digest(token)))
            if request is None:
                raise NotFound("unknown token")
            events = session.scalars(select(Event).where(Event.request_id == request.id).order_by(Event.id)).all()
            return {"service_request_id": request.ticket, "token": token,
                    "status": "closed" if request.status == "closed" else "open", "status_detail": request.status,
                    "status_notes": request.status_notes, "duplicate_of": request.duplicate_of,
                    "updates": [{"datetime": w3c(e.at), "status": e.to_status, "note": e.note}
                                for e in events if e.public and e.action in ("submitted", "status", "note")]}

    def media_file(self, media_id: str, original: bool = False) -> tuple[Path, str]:
        with self._sessions() as session:
            row = session.get(Media, media_id) if TOKEN_CHARS.fullmatch(media_id) and len(media_id) <= 32 else None
            if row is None:
                raise NotFound(f"no media {media_id!r}")
            return self.media_store.path(row.original_path if original else row.public_path), row.content_type

    # --- staff

    def staff_record(self, ticket: str, media_url: Callable[[str], str],
                     original_url: Callable[[str], str]) -> dict:
        with self._sessions() as session:
            request = self._load(session, ticket)
            events = session.scalars(select(Event).where(Event.request_id == request.id).order_by(Event.id)).all()
            duplicates = session.scalars(select(Request.ticket).where(Request.duplicate_of == request.ticket)
                                         .order_by(Request.id)).all()
            media = self._media_of(session, [request.id])[request.id]
            record = self._public(request, media, media_url, list(events), len(duplicates))
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
                           "public_url": media_url(m.id), "original_url": original_url(m.id)} for m in media],
                "history": [{"datetime": w3c(e.at), "actor": e.actor, "action": e.action, "from_status": e.from_status,
                             "to_status": e.to_status, "note": e.note, "public": e.public, "detail": e.detail}
                            for e in events],
                "outbox": [{"id": o.id, "channel": o.channel, "recipient": o.recipient, "subject": o.subject,
                            "body": o.body, "created_at": w3c(o.created_at), "sent_at": w3c(o.sent_at)}
                           for o in outbox],
            })
            return record

    def _record_change(self, session: Session, request: Request, event: Event) -> None:
        session.add(event)
        session.flush()
        self.notifier.notify(session, request, session.get(Reporter, request.id), event)

    def change_status(self, ticket: str, status: str, actor: str, note: str | None = None,
                      public: bool = True) -> str:
        """Move a report along its lifecycle; closing needs a public note; closing a report closes the reports
        linked to it as duplicates. Returns the new status."""
        if status not in STATUSES:
            raise ComplaintError(f"unknown status {status!r}; one of {', '.join(STATUSES)}")
        note = (note or "").strip() or None
        if note and len(note) > 4000:
            raise ComplaintError("note is longer than 4000 characters")
        if status in ("closed", "open") and not (note and public):
            raise ComplaintError(f"a change to {status} needs a public note saying what was done or why")
        now = self.clock()
        with self._sessions.begin() as session:
            # Lock the row first (SQLite: the write lock), then check the transition against what is stored.
            session.execute(update(Request).where(Request.ticket == (normalize_ticket(ticket) or ""))
                            .values(updated_at=now))
            request = self._load(session, ticket)
            if status not in TRANSITIONS[request.status]:
                raise Conflict(f"{request.ticket} is {request.status}; it can go to "
                               f"{', '.join(TRANSITIONS[request.status])}, not {status}")
            targets = [request]
            if status == "closed":
                targets += session.scalars(select(Request).where(Request.duplicate_of == request.ticket,
                                                                 Request.status != "closed")).all()
            for target in targets:
                target_note = note if target is request else f"Closed together with {request.ticket}: {note}"
                before = target.status
                target.status, target.updated_at = status, now
                if public and target_note:
                    target.status_notes = target_note
                self._record_change(session, target, Event(request_id=target.id, at=now, actor=actor,
                                                           action="status", from_status=before, to_status=status,
                                                           note=target_note, public=public))
            return status

    def assign(self, ticket: str, actor: str, department: str | None = None, assignee: str | None = None,
               note: str | None = None) -> dict:
        if department is None and assignee is None:
            raise ComplaintError("give a department, an assignee, or both")
        if department is not None and department not in DEPARTMENTS:
            raise ComplaintError(f"unknown department {department!r}; one of {', '.join(DEPARTMENTS)}")
        if assignee is not None and not (0 < len(assignee.strip()) <= 100):
            raise ComplaintError("assignee must be 1 to 100 characters")
        now = self.clock()
        with self._sessions.begin() as session:
            session.execute(update(Request).where(Request.ticket == (normalize_ticket(ticket) or ""))
                            .values(updated_at=now))
            request = self._load(session, ticket)
            detail = {"from": {"department": request.department, "assignee": request.assignee}}
            if department is not None:
                request.department = department
            if assignee is not None:
                request.assignee = assignee.strip()
            detail["to"] = {"department": request.department, "assignee": request.assignee}
            self._record_change(session, request, Event(request_id=request.id, at=now, actor=actor,
                                                        action="assigned", note=(note or "").strip() or None,
                                                        public=False, detail=detail))
            return {"service_request_id": request.ticket, **detail["to"]}


__all__ = ["ComplaintLimits", "ComplaintService", "ListQuery", "NewReport", "Submitted", "Upload",
           "normalize_ticket"]
