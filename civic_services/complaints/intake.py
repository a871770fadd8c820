"""Taking a citizen's report: check its text, attributes and media, find where it is, link it to an open report of
the same problem nearby, and store it with its media, its first event, the reporter's notice and the job that
makes the media's public copies in one transaction. The media's originals are on disk, fsynced, before it commits;
the public copies (metadata removed) are made after the answer, by that job (:mod:`~civic_services.complaints.copies`).
"""

from __future__ import annotations

import hashlib
import math
import secrets
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import func, select, text
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from civic_services import districts
from civic_services.complaints import media as media_mod
from civic_services.complaints.catalogue import DEPARTMENTS, Service
from civic_services.complaints.copies import KIND as COPY_JOB, PublicCopies
from civic_services.complaints.errors import ComplaintError
from civic_services.complaints.location import resolve
from civic_services.complaints.media import MediaInfo
from civic_services.periods import KST
from civic_services.complaints.records import TICKET_FORMAT, Desk, service_of, token_digest, within_box
from civic_services.complaints.tables import STATUSES, Event, Media, Reporter, Request, TicketCounter
from civic_services.complaints.text import public_text


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
    masked: bool = False  # personal data in the free text is hidden in the public copy


LOCK_CELL_DEG = 0.01  # the cells of the duplicate locks: about 1.1 km north-south, 0.9 km east-west in Seoul


class Intake:
    def __init__(self, desk: Desk):
        self.desk = desk
        self._postgres = desk.engine.dialect.name == "postgresql"
        self._sequences: set[int] = set()  # years whose ticket sequence is known to exist

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
        limits = self.desk.limits
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
        texts = [v for v in vars(report).values() if isinstance(v, str)] + [*report.attributes,
                                                                           *report.attributes.values()]
        if any("\x00" in t for t in texts):
            raise ComplaintError("text fields may not contain NUL characters")
        description = report.description.strip()
        if not description:
            raise ComplaintError("description is required: say what is wrong")
        most = self.desk.limits.description_max_chars
        if len(description) > most:
            raise ComplaintError(f"description is longer than {most} characters")
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
        """Reserve the year's next ticket number. On PostgreSQL a sequence per year: no lock is held, so reports
        are taken in parallel (a report whose transaction fails leaves a gap in the numbers). Elsewhere (SQLite)
        an upsert of the year's counter, which also takes the database's write lock first."""
        if self._postgres:
            number = session.execute(text(f"SELECT nextval('{self._ticket_sequence(year)}')")).scalar_one()
            return TICKET_FORMAT.format(year=year, number=number)
        return self._next_ticket_sqlite(session, year)

    def _ticket_and_lock(self, session: Session, year: int, lock_keys: list[int]) -> str:
        """The ticket number and, on PostgreSQL, the first of the place's locks in one round trip."""
        if not (self._postgres and lock_keys):
            for key in lock_keys:
                session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})
            return self._next_ticket(session, year)
        number = session.execute(text(f"SELECT nextval('{self._ticket_sequence(year)}'), "
                                      "pg_advisory_xact_lock(:key)"), {"key": lock_keys[0]}).first()[0]
        for key in lock_keys[1:]:  # a place near a cell's edge: its neighbours too, in order
            session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})
        return TICKET_FORMAT.format(year=year, number=number)

    def _next_ticket_sqlite(self, session: Session, year: int) -> str:
        table = TicketCounter.__table__
        statement = sqlite_insert(table).values(year=year, last=1)
        statement = statement.on_conflict_do_update(index_elements=[table.c.year],
                                                    set_={"last": table.c.last + 1}).returning(table.c.last)
        number = session.execute(statement).scalar_one()
        return TICKET_FORMAT.format(year=year, number=number)

    def _ticket_sequence(self, year: int) -> str:
        """The PostgreSQL sequence of ``year``'s ticket numbers, made on the year's first report (starting after
        the numbers its counter or its tickets already used)."""
        name = f"complaint_tickets_{year:04d}"
        if year in self._sequences:
            return name
        with self.desk.engine.connect() as connection:
            found = connection.execute(text("SELECT 1 FROM pg_class WHERE relkind = 'S' AND relname = :name "
                                            "AND pg_table_is_visible(oid)"), {"name": name}).first()
            if found is None:
                used = connection.execute(select(TicketCounter.last).where(TicketCounter.year == year)).scalar() or 0
                prefix = TICKET_FORMAT.format(year=year, number=0)[:-6]
                newest = connection.execute(select(func.max(Request.ticket))
                                            .where(Request.ticket.like(f"{prefix}%"))).scalar()
                if newest:
                    used = max(used, int(newest[len(prefix):]))
                try:
                    connection.execute(text(f"CREATE SEQUENCE IF NOT EXISTS {name} START WITH {used + 1}"))
                    connection.commit()
                except DBAPIError:  # another process made it at the same moment
                    connection.rollback()
        self._sequences.add(year)
        return name

    def _place_locks(self, service_code: str, lat: float | None, lon: float | None,
                     address_key: str | None) -> list[int]:
        """On PostgreSQL, the locks (held until commit) on the reports of this service around this place, so that
        two reports of one problem sent at the same moment see each other (the second is linked to the first),
        while reports elsewhere go on in parallel: one advisory lock per ~1 km cell the duplicate radius touches,
        or per address, taken in a fixed order. None elsewhere (SQLite's write lock, taken with the ticket,
        already serialises reports)."""
        if not self._postgres:
            return []
        if lat is not None:
            radius = self.desk.limits.duplicate_radius_m
            dlat = radius / 111_320
            dlon = radius / (111_320 * max(0.01, math.cos(math.radians(lat))))
            rows = {math.floor((lat + d) / LOCK_CELL_DEG) for d in (-dlat, dlat)}
            cols = {math.floor((lon + d) / LOCK_CELL_DEG) for d in (-dlon, dlon)}
            places = [f"{service_code}|{r}|{c}" for r in rows for c in cols]
        elif address_key:
            places = [f"{service_code}|{address_key}"]
        else:
            return []
        return sorted(int.from_bytes(hashlib.blake2b(p.encode(), digest_size=8, person=b"dasan-dup").digest(),
                                     "big", signed=True) for p in places)

    def _find_duplicate(self, session: Session, service_code: str, lat: float | None, lon: float | None,
                        address_key: str | None) -> tuple[Request, float | None] | None:
        open_states = [s for s in STATUSES if s != "closed"]
        base = select(Request).where(Request.service_code == service_code, Request.status.in_(open_states),
                                     Request.duplicate_of.is_(None))
        if lat is not None:
            radius = self.desk.limits.duplicate_radius_m
            candidates = session.scalars(base.where(within_box(lat, lon, radius))).all()
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
        service = service_of(report.service_code)
        self._check_text(report)
        attributes = self._check_attributes(service, report.attributes)
        infos = self._check_media(service, report.uploads)
        where = resolve(report.lat, report.lon, report.address, infos)
        now = self.desk.clock()
        token = secrets.token_urlsafe(24)
        store = self.desk.media_store
        saved: list[tuple[str, MediaInfo, str, str]] = []
        for info in infos:
            media_id = store.new_id()
            saved.append((media_id, info, *store.paths(media_id, info.extension, now)))
        try:
            store.save_originals([(original_path, info.original) for _, info, _, original_path in saved])
            with self.desk.sessions.begin() as session:
                ticket = self._ticket_and_lock(session, now.astimezone(KST).year,
                                               self._place_locks(service.code, where.lat, where.lon,
                                                                 where.address_key))
                duplicate = self._find_duplicate(session, service.code, where.lat, where.lon, where.address_key)
                request = Request(
                    ticket=ticket, service_code=service.code, status="open", description=report.description.strip(),
                    lat=where.lat, lon=where.lon, position_source=where.source, address=where.address,
                    address_key=where.address_key, address_id=report.address_id, district=where.district.name_en,
                    department=service.department, token_sha256=token_digest(token),
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
                                      public_path=public_path, original_path=original_path, created_at=now,
                                      public_state="pending"))
                detail = {"media": len(saved)}
                if duplicate:
                    detail["duplicate_of"] = duplicate[0].ticket
                    if duplicate[1] is not None:
                        detail["distance_m"] = round(duplicate[1], 1)
                event = Event(request_id=request.id, at=now, actor="citizen", action="submitted", to_status="open",
                              public=True, detail=detail)
                session.add(event)
                session.flush()
                self.desk.notifier.notify(session, request, reporter, event)
                if saved and self.desk.jobs is not None:  # the public copies: made after the answer
                    self.desk.jobs.submit_within(session, COPY_JOB, {"media": [m[0] for m in saved],
                                                                     "ticket": ticket})
        except BaseException:
            for _, _, public_path, original_path in saved:
                store.delete(public_path, original_path)
            raise
        if saved:
            if self.desk.jobs is not None:
                self.desk.jobs.wake()
            else:  # no job queue (a bare service): the copies are made here, after the commit
                PublicCopies(self.desk).make([m[0] for m in saved])
        department = DEPARTMENTS[service.department]
        notice = [f"Report {ticket} received; routed to {department.name_en} ({department.name_ko}), "
                  f"{where.district.name_en}."]
        if where.notice:
            notice.append(where.notice)
        if duplicate:
            original, distance = duplicate
            near = f"{distance:.0f} m away" if distance is not None else "at the same address"
            notice.append(f"A {service.code} report {near} is already open ({original.ticket}); yours is linked to it.")
        masked = any(public_text(t) != t for t in (request.description, request.address) if t)
        if masked:
            notice.append("Personal data in your report (phone numbers, resident registration numbers, e-mail "
                          "addresses) is hidden in the public copy; staff see it as you wrote it.")
        return Submitted(ticket=ticket, token=token, district=where.district.name_en,
                         duplicate_of=duplicate[0].ticket if duplicate else None, notice=" ".join(notice),
                         masked=masked)
