"""The public copies of a report's media, made after the report is acknowledged.

The request checks each upload and writes its original durably (:mod:`~civic_services.complaints.media`); in the
same transaction as the report it queues one job of kind :data:`KIND` (the database's job queue,
:mod:`database.jobs`) naming the report's media. Any worker takes the job (the server's own thread or a
``dasan worker`` process on another machine), makes each copy (a photo re-encoded without EXIF/GPS, a video
remuxed without its tags), writes it durably and marks the media ``ready``; from then on the public views show it.
The job's lease makes a copy lost with its worker be made by another; the work is idempotent (a second try writes
the same file again). A copy that cannot be made (the request's checks make that rare) is marked ``failed`` with
its reason, recorded in the report's staff history, and the report is kept: the public never sees that media.
"""

from __future__ import annotations

import logging

from sqlalchemy import select, update

from civic_services.complaints import media as media_mod
from civic_services.complaints.errors import UnsupportedMedia
from civic_services.complaints.records import Desk
from civic_services.complaints.tables import Event, Media

log = logging.getLogger("civic_services.complaints.copies")

KIND = "complaints.public_copy"


class PublicCopies:
    def __init__(self, desk: Desk):
        self.desk = desk

    def make(self, media_ids: list[str]) -> dict:
        """Make the public copy of each media still pending; returns counts of what was done."""
        done = {"ready": 0, "failed": 0, "already": 0}
        for media_id in media_ids:
            with self.desk.sessions() as session:
                row = session.get(Media, media_id)
            if row is None:  # the report was deleted since
                continue
            if row.public_state != "pending":
                done["already"] += 1
                continue
            store = self.desk.media_store
            try:
                original = store.path(row.original_path).read_bytes()
                copy = media_mod.public_copy(original, row.kind)
            except (UnsupportedMedia, OSError, ValueError) as exc:
                self._failed(row, str(exc))
                done["failed"] += 1
                continue
            store.save_public(row.public_path, copy)
            with self.desk.sessions.begin() as session:
                session.execute(update(Media).where(Media.id == media_id, Media.public_state == "pending")
                                .values(public_state="ready", public_error=None))
            done["ready"] += 1
        return done

    def _failed(self, row: Media, reason: str) -> None:
        log.warning("public copy of media %s (report id %s) could not be made: %s", row.id, row.request_id, reason)
        with self.desk.sessions.begin() as session:
            changed = session.execute(update(Media).where(Media.id == row.id, Media.public_state == "pending")
                                      .values(public_state="failed", public_error=reason[:2000])).rowcount
            if changed:
                session.add(Event(request_id=row.request_id, at=self.desk.clock(), actor="system", action="media",
                                  public=False, note=f"The public copy of {row.kind} {row.position + 1} could not be "
                                  f"made ({reason[:500]}); the public does not see it, staff have the original.",
                                  detail={"media_id": row.id, "public_copy": "failed"}))

    def pending(self) -> list[str]:
        """Media whose public copy is still to be made (for a health check or a re-queue)."""
        with self.desk.sessions() as session:
            return list(session.scalars(select(Media.id).where(Media.public_state == "pending")))

    # ---------------------------------------------------------------- the job
    def handle(self, context) -> dict:
        """The :data:`KIND` job's handler (a :class:`database.jobs.Worker` calls it, in a thread the runtime makes
        background work: :mod:`models.priority`)."""
        return self.make(list(context.payload.get("media", [])))

    def job_handlers(self) -> dict:
        return {KIND: self.handle}
