"""What the parts of the complaint service share: its limits, the desk they all work at (engine, media store,
notifier, clock), ticket ids and reporter tokens, Open311's times, and finding stored reports."""

from __future__ import annotations

import hashlib
import math
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Callable

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from civic_services.complaints.catalogue import SERVICES, Service
from civic_services.complaints.errors import ComplaintError, NotFound
from civic_services.complaints.media import MediaStore
from civic_services.periods import KST
from civic_services.complaints.notify import Notifier
from civic_services.complaints.tables import Media, Request

if TYPE_CHECKING:
    from database.jobs import JobQueue

TICKET_FORMAT = "SR-{year:04d}-{number:06d}"
TOKEN_CHARS = re.compile(r"[A-Za-z0-9_\-]+")


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


@dataclass
class Desk:
    """What every part of one complaint service works with (the service may swap its ``clock``, e.g. in tests)."""

    engine: Engine
    media_store: MediaStore
    limits: ComplaintLimits
    notifier: Notifier
    clock: Callable[[], datetime]
    jobs: "JobQueue | None" = None  # queues the media's public copies (None: made at once, after the commit)
    sessions: sessionmaker = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)


def service_of(code: str) -> Service:
    """The reportable service ``code`` (:class:`NotFound` when there is none)."""
    try:
        return SERVICES[code]
    except KeyError:
        raise NotFound(f"no service with code {code!r}; GET services lists them") from None


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def w3c(moment: datetime | None) -> str | None:
    """Open311's W3C datetime, in Seoul time."""
    return moment.astimezone(KST).isoformat(timespec="seconds") if moment else None


# ISO 8601 as Open311 takes it: a calendar date, optionally a time and a zone (extended or basic format).
_ISO_8601 = re.compile(r"\d{4}-?\d{2}-?\d{2}([T ]\d{2}(:?\d{2}(:?\d{2}([.,]\d{1,6})?)?)?(Z|[+-]\d{2}(:?\d{2})?)?)?")


def open311_time(value: str | None, name: str) -> datetime | None:
    """An Open311 ``start_date``/``end_date``: ISO 8601 only (``2025-06-01``, ``2025-06-01T09:00:00+09:00``,
    ``...Z``), in Seoul time when it names no zone; a number (an epoch time) or anything else is a
    :class:`ComplaintError` (400), never a guess."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    try:
        if not _ISO_8601.fullmatch(text):
            raise ValueError(text)
        moment = datetime.fromisoformat(text.replace(",", "."))
    except ValueError:
        raise ComplaintError(f"{name} must be an ISO 8601 date or date and time, such as 2025-06-01 or "
                             f"2025-06-01T09:00:00+09:00 (got {value[:40]!r})") from None
    return moment.replace(tzinfo=KST) if moment.tzinfo is None else moment


def normalize_ticket(text: str) -> str | None:
    """``sr 2025 117730`` / ``SR-2025-117730`` -> ``SR-2025-117730``; None if it is not a ticket id."""
    digits = "".join(ch for ch in text.upper() if ch.isalnum())
    if digits.startswith("SR") and digits[2:].isdigit() and len(digits) == 12:
        return TICKET_FORMAT.format(year=int(digits[2:6]), number=int(digits[6:]))
    return None


def load(session: Session, ticket: str) -> Request:
    """The stored report ``ticket`` (any spelling of its id); :class:`NotFound` when there is none."""
    normalized = normalize_ticket(ticket)
    request = session.scalar(select(Request).where(Request.ticket == normalized)) if normalized else None
    if request is None:
        raise NotFound(f"no service request {ticket!r}")
    return request


def media_of(session: Session, request_ids: list[int]) -> dict[int, list[Media]]:
    """Each report's media, in the order they were sent."""
    grouped: dict[int, list[Media]] = {i: [] for i in request_ids}
    if request_ids:
        for m in session.scalars(select(Media).where(Media.request_id.in_(request_ids))
                                 .order_by(Media.request_id, Media.position)):
            grouped[m.request_id].append(m)
    return grouped


def within_box(lat: float, lon: float, radius_m: float):
    """A condition on reports' positions: inside the box around (lat, lon) that holds the circle of ``radius_m``
    (a superset: the caller checks the distance)."""
    dlat = radius_m / 111_320
    dlon = radius_m / (111_320 * max(0.01, math.cos(math.radians(lat))))
    return Request.lat.between(lat - dlat, lat + dlat) & Request.lon.between(lon - dlon, lon + dlon)
