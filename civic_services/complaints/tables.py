"""Complaint tables. The reporter's identity lives in its own table, which public queries never touch."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from database.base import Base, BigId, UTCDateTime

STATUSES = ("open", "acknowledged", "in_progress", "closed")


class Request(Base):
    __tablename__ = "complaint_requests"
    __table_args__ = (
        Index("ix_complaint_requests_nearby", "service_code", "lat"),
        Index("ix_complaint_requests_requested_at", "requested_at"),
        Index("ix_complaint_requests_address_key", "service_code", "address_key"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    ticket: Mapped[str] = mapped_column(String(16), unique=True)  # SR-YYYY-NNNNNN
    service_code: Mapped[str] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(16), index=True)
    description: Mapped[str] = mapped_column(Text)
    lat: Mapped[float | None] = mapped_column(Float, nullable=True)
    lon: Mapped[float | None] = mapped_column(Float, nullable=True)
    position_source: Mapped[str | None] = mapped_column(String(16), nullable=True)  # reporter | photo | video
    address: Mapped[str | None] = mapped_column(Text, nullable=True)
    address_key: Mapped[str | None] = mapped_column(String(200), nullable=True)
    address_id: Mapped[str | None] = mapped_column(String(100), nullable=True)
    district: Mapped[str] = mapped_column(String(40), index=True)
    department: Mapped[str] = mapped_column(String(40))
    assignee: Mapped[str | None] = mapped_column(String(100), nullable=True)
    status_notes: Mapped[str | None] = mapped_column(Text, nullable=True)
    duplicate_of: Mapped[str | None] = mapped_column(String(16), nullable=True, index=True)
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    client_api_key: Mapped[str | None] = mapped_column(String(100), nullable=True)
    attributes: Mapped[dict] = mapped_column(JSON, default=dict)
    external_media_url: Mapped[str | None] = mapped_column(Text, nullable=True)
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expected_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class Reporter(Base):
    """Who reported: never in a public answer."""

    __tablename__ = "complaint_reporters"

    request_id: Mapped[int] = mapped_column(ForeignKey("complaint_requests.id", ondelete="CASCADE"),
                                            primary_key=True)
    first_name: Mapped[str | None] = mapped_column(String(100), nullable=True)
    last_name: Mapped[str | None] = mapped_column(String(100), nullable=True)
    phone: Mapped[str | None] = mapped_column(String(40), nullable=True)
    email: Mapped[str | None] = mapped_column(String(254), nullable=True)
    device_id: Mapped[str | None] = mapped_column(String(100), nullable=True)
    account_id: Mapped[str | None] = mapped_column(String(100), nullable=True)


class Media(Base):
    __tablename__ = "complaint_media"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)  # random, used in public URLs
    request_id: Mapped[int] = mapped_column(ForeignKey("complaint_requests.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(8))  # photo | video
    content_type: Mapped[str] = mapped_column(String(40))
    bytes: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    width: Mapped[int | None] = mapped_column(Integer, nullable=True)
    height: Mapped[int | None] = mapped_column(Integer, nullable=True)
    duration_s: Mapped[float | None] = mapped_column(Float, nullable=True)
    taken_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    gps_lat: Mapped[float | None] = mapped_column(Float, nullable=True)
    gps_lon: Mapped[float | None] = mapped_column(Float, nullable=True)
    public_path: Mapped[str] = mapped_column(Text)  # metadata stripped (written once public_state is ready)
    original_path: Mapped[str] = mapped_column(Text)  # as uploaded, staff only
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # The public copy is made after the report is acknowledged, by a queued job (complaints/copies.py):
    # pending until then, ready once it is on disk, failed (with the reason) if it could not be made.
    public_state: Mapped[str] = mapped_column(String(8), default="pending", server_default="ready")
    public_error: Mapped[str | None] = mapped_column(Text, nullable=True)

MEDIA_STATES = ("pending", "ready", "failed")


class Event(Base):
    """Every change to a report: who, when, what (the audit trail and the public history)."""

    __tablename__ = "complaint_events"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("complaint_requests.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    actor: Mapped[str] = mapped_column(String(120))  # citizen | system | staff:NAME
    action: Mapped[str] = mapped_column(String(20))  # submitted | status | assigned | linked | note
    from_status: Mapped[str | None] = mapped_column(String(16), nullable=True)
    to_status: Mapped[str | None] = mapped_column(String(16), nullable=True)
    note: Mapped[str | None] = mapped_column(Text, nullable=True)
    public: Mapped[bool] = mapped_column(Boolean, default=True)
    detail: Mapped[dict] = mapped_column(JSON, default=dict)


class Outbox(Base):
    """Notifications waiting to be sent to reporters (a sender drains it; the API only writes it)."""

    __tablename__ = "complaint_outbox"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("complaint_requests.id", ondelete="CASCADE"), index=True)
    event_id: Mapped[int | None] = mapped_column(ForeignKey("complaint_events.id", ondelete="SET NULL"),
                                                 nullable=True)
    channel: Mapped[str] = mapped_column(String(10))  # email | sms | token (no contact: the reporter polls)
    recipient: Mapped[str | None] = mapped_column(String(254), nullable=True)
    subject: Mapped[str] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class TicketCounter(Base):
    __tablename__ = "complaint_ticket_counters"

    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last: Mapped[int] = mapped_column(Integer)
