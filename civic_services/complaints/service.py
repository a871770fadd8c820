"""Complaint reports as plain Python: submit, list, follow with a token, and change (staff).

:class:`ComplaintService` is the one object the API, the CLI and the tools use; it is built from one part per
concern, all working at the same :class:`~civic_services.complaints.records.Desk`:

- :mod:`~civic_services.complaints.intake`: checking and storing a citizen's report
- :mod:`~civic_services.complaints.lifecycle`: status changes and assignment, each with its notice
- :mod:`~civic_services.complaints.views`: the public views and the staff view of reports

Every write is one database transaction that also records the change (``complaint_events``) and the
reporter's notice (through the notifier); media originals are on disk, fsynced, before that transaction commits,
and their public copies are made afterwards by a queued job (:mod:`~civic_services.complaints.copies`).

Every method here is an entry point and normalises the text it is given (:mod:`~civic_services.complaints.text`:
free text NFC, what is matched or parsed NFKC) before any part sees it; every public view masks personal data
in free text (:mod:`~civic_services.complaints.views`), the staff view keeps the original.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Callable

from sqlalchemy import Engine

from civic_services.complaints.catalogue import SERVICES, Service
from civic_services.complaints.copies import PublicCopies
from civic_services.complaints.intake import Intake, NewReport, Submitted, Upload
from civic_services.complaints.lifecycle import Lifecycle
from civic_services.complaints.media import MediaStore
from civic_services.complaints.notify import Notifier, OutboxNotifier
from civic_services.complaints.queue import QueueQuery, StaffQueue, StatisticsQuery
from civic_services.complaints.records import ComplaintLimits, Desk, normalize_ticket, service_of
from civic_services.complaints.text import clean, clean_free, clean_report
from civic_services.complaints.views import ListQuery, PublicViews, StaffViews
from database.base import utcnow
from database.jobs import JobQueue


class ComplaintService:
    def __init__(self, engine: Engine, media_store: MediaStore, limits: ComplaintLimits = ComplaintLimits(),
                 notifier: Notifier | None = None, clock: Callable[[], datetime] = utcnow,
                 jobs: JobQueue | None = None):
        """``jobs``: the queue the media's public copies are made from, after each report is acknowledged (a
        worker runs :meth:`job_handlers`); None makes them in the request, after the commit."""
        self.desk = Desk(engine, media_store, limits, notifier or OutboxNotifier(), clock, jobs)
        self.engine, self.media_store, self.limits, self.notifier = engine, media_store, limits, self.desk.notifier
        self.intake = Intake(self.desk)
        self.lifecycle = Lifecycle(self.desk)
        self.public = PublicViews(self.desk)
        self.staff = StaffViews(self.desk)
        self.queue = StaffQueue(self.desk)
        self.copies = PublicCopies(self.desk)

    @property
    def clock(self) -> Callable[[], datetime]:
        """The time source every part reads (a test may set another)."""
        return self.desk.clock

    @clock.setter
    def clock(self, clock: Callable[[], datetime]) -> None:
        self.desk.clock = clock

    # --- catalogue

    def services(self) -> list[Service]:
        return list(SERVICES.values())

    def service(self, code: str) -> Service:
        return service_of(clean(code))

    # --- submit

    def submit(self, report: NewReport) -> Submitted:
        return self.intake.submit(clean_report(report))

    # --- read (public)

    def get_public(self, ticket: str, media_url: Callable[[str], str]) -> dict:
        return self.public.get_public(clean(ticket), media_url)

    def list_public(self, query: ListQuery, media_url: Callable[[str], str]) -> list[dict]:
        query = replace(query, tickets=tuple(map(clean, query.tickets)),
                        service_codes=tuple(map(clean, query.service_codes)),
                        statuses=tuple(map(clean, query.statuses)), district=clean(query.district))
        return self.public.list_public(query, media_url)

    def by_token(self, token: str) -> dict:
        """What the reporter sees with their token: the ticket id, its status and the public history."""
        return self.public.by_token(clean(token))

    def media_file(self, media_id: str, original: bool = False) -> tuple[Path, str]:
        return self.public.media_file(clean(media_id), original)

    def job_handlers(self) -> dict:
        """The queued jobs this service's worker runs: the public copies of reports' media."""
        return self.copies.job_handlers()

    # --- staff

    def staff_record(self, ticket: str, media_url: Callable[[str], str],
                     original_url: Callable[[str], str]) -> dict:
        return self.staff.staff_record(clean(ticket), media_url, original_url)

    def staff_list(self, query: QueueQuery) -> dict:
        """The staff's queue: reports by district, service, status, age, department or assignee (originals)."""
        query = replace(query, district=clean(query.district), service_code=clean(query.service_code),
                        statuses=tuple(map(clean, query.statuses)), age=clean(query.age),
                        department=clean(query.department), assignee=clean_free(query.assignee))
        return self.queue.list(query)

    def outbox(self, limit: int = 50) -> list[dict]:
        """The newest notices to reporters across reports (staff)."""
        return self.queue.outbox(limit)

    def overview(self) -> dict:
        """The dashboard's figures of the reports now (staff)."""
        return self.queue.overview()

    def statistics(self, query: StatisticsQuery) -> dict:
        """Reports counted per district, service, status, hour or day over a span (staff)."""
        return self.queue.statistics(replace(query, district=clean(query.district),
                                             service_code=clean(query.service_code)))

    def change_status(self, ticket: str, status: str, actor: str, note: str | None = None,
                      public: bool = True) -> str:
        """Move a report along its lifecycle; closing needs a public note; closing a report closes the reports
        linked to it as duplicates. Returns the new status."""
        return self.lifecycle.change_status(clean(ticket), clean(status), actor, clean_free(note), public)

    def assign(self, ticket: str, actor: str, department: str | None = None, assignee: str | None = None,
               note: str | None = None) -> dict:
        return self.lifecycle.assign(clean(ticket), actor, clean(department), clean_free(assignee),
                                     clean_free(note))


__all__ = ["ComplaintLimits", "ComplaintService", "ListQuery", "NewReport", "QueueQuery", "Submitted", "Upload",
           "normalize_ticket"]
