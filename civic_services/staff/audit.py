"""The audit log: every sign-in (and failed attempt) and every write by a signed-in person or a staff token, with
who, what, when and how it ended. Entries are only ever added."""

from __future__ import annotations

from sqlalchemy import Engine, insert, select

from civic_services.staff.tables import AuditEntry
from database.base import utcnow


class AuditLog:
    def __init__(self, engine: Engine, clock=utcnow):
        self.engine = engine
        self.clock = clock

    def record(self, actor: str, action: str, target: str = "", outcome: str = "", **detail) -> None:
        with self.engine.begin() as connection:
            connection.execute(insert(AuditEntry).values(at=self.clock(), actor=actor[:200], action=action[:200],
                                                         target=target[:500], outcome=outcome[:40], detail=detail))

    def recent(self, limit: int = 200, actor: str | None = None) -> list[dict]:
        query = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)
        if actor:
            query = query.where(AuditEntry.actor == actor)
        with self.engine.connect() as connection:
            rows = connection.execute(query).mappings().all()
        return [{"at": r["at"].isoformat(), "actor": r["actor"], "action": r["action"], "target": r["target"],
                 "outcome": r["outcome"], "detail": r["detail"]} for r in rows]
