"""A report's life after intake, by staff: status changes along the allowed transitions (closing one closes the
reports linked to it as duplicates) and assignment to a department or a person. Each change is one transaction
that records the event and the reporter's notice (through the notifier)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from civic_services.complaints.catalogue import DEPARTMENTS
from civic_services.complaints.errors import ComplaintError, Conflict
from civic_services.complaints.records import Desk, load, normalize_ticket
from civic_services.complaints.tables import STATUSES, Event, Reporter, Request

# Allowed status changes (a closed report can be reopened).
TRANSITIONS = {
    "open": ("acknowledged", "in_progress", "closed"),
    "acknowledged": ("in_progress", "closed"),
    "in_progress": ("acknowledged", "closed"),
    "closed": ("open",),
}


def _locked(session: Session, ticket: str, now: datetime) -> Request:
    """The report ``ticket`` with its row locked first (SQLite: the write lock), so a change is checked against
    what is stored."""
    session.execute(update(Request).where(Request.ticket == (normalize_ticket(ticket) or "")).values(updated_at=now))
    return load(session, ticket)


class Lifecycle:
    def __init__(self, desk: Desk):
        self.desk = desk

    def _record_change(self, session: Session, request: Request, event: Event) -> None:
        session.add(event)
        session.flush()
        self.desk.notifier.notify(session, request, session.get(Reporter, request.id), event)

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
        now = self.desk.clock()
        with self.desk.sessions.begin() as session:
            request = _locked(session, ticket, now)
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
        now = self.desk.clock()
        with self.desk.sessions.begin() as session:
            request = _locked(session, ticket, now)
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

