"""Telling a reporter about their report. A notifier runs inside the transaction that made the change, so a
notice exists exactly when the change does (the outbox pattern); something else delivers it."""

from __future__ import annotations

from typing import Protocol

from sqlalchemy.orm import Session

from civic_services.complaints.tables import Event, Outbox, Reporter, Request
from database.base import utcnow

STATUS_WORDS = {"open": "received", "acknowledged": "acknowledged", "in_progress": "being worked on",
                "closed": "closed"}


class Notifier(Protocol):
    def notify(self, session: Session, request: Request, reporter: Reporter | None, event: Event) -> None: ...


def message(request: Request, event: Event) -> tuple[str, str]:
    if event.action == "submitted":
        subject = f"[Dasan 120] Report {request.ticket} received"
        body = f"Your report {request.ticket} ({request.service_code}) was received."
        if request.duplicate_of:
            body += f" A report of the same problem nearby is already open ({request.duplicate_of}); yours is " \
                    "linked to it and will be closed with it."
    else:
        subject = f"[Dasan 120] Report {request.ticket} is {STATUS_WORDS.get(request.status, request.status)}"
        body = f"Your report {request.ticket} is now {STATUS_WORDS.get(request.status, request.status)}."
    if event.public and event.note:
        body += f"\n\n{event.note}"
    return subject, body


class OutboxNotifier:
    """Writes each notice to ``complaint_outbox``: e-mail if the reporter gave one, else SMS to their phone,
    else a ``token`` row (no contact given: the reporter follows the ticket with their token)."""

    def notify(self, session: Session, request: Request, reporter: Reporter | None, event: Event) -> None:
        if event.action not in ("submitted", "status"):
            return
        if reporter is not None and reporter.email:
            channel, recipient = "email", reporter.email
        elif reporter is not None and reporter.phone:
            channel, recipient = "sms", reporter.phone
        else:
            channel, recipient = "token", None
        subject, body = message(request, event)
        session.add(Outbox(request_id=request.id, event_id=event.id, channel=channel, recipient=recipient,
                           subject=subject, body=body, created_at=utcnow()))
