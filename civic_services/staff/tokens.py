"""Create, check, list and revoke staff bearer tokens.

A token is 256 random bits; the database keeps only its SHA-256 (a slow password hash adds nothing for a
random secret of that size), so a copy of the database does not hand out credentials.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Engine, select, update
from sqlalchemy.orm import sessionmaker

from civic_services.staff.tables import StaffToken
from database.base import utcnow

TOKEN_PREFIX = "dasan_st_"

# Every scope a staff token can carry, with what it allows. Services check these names.
SCOPES: dict[str, str] = {
    "complaints:read": "read full complaint records, reporters' contact details and notification outbox",
    "complaints:write": "change a complaint's status, assign it, add notes",
    "opendata:write": "create datasets and upload or replace their data",
    "iot:write": "create SensorThings entities and post observations over HTTP",
    "voting:admin": "create and close polls, register voters and issue their voting credentials",
    "metrics:read": "read the Prometheus metrics at /metrics (counts and timings, no personal data)",
}


class StaffTokenError(ValueError):
    """A token request that cannot be honoured (unknown scope, unknown token)."""


@dataclass(frozen=True)
class StaffIdentity:
    token_id: int
    name: str
    scopes: frozenset[str]
    role: str = "staff"
    department: str | None = None


@dataclass(frozen=True)
class IssuedToken:
    token: str  # shown once, never stored
    token_id: int
    name: str
    scopes: tuple[str, ...]
    expires_at: datetime | None


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class StaffTokens:
    def __init__(self, engine: Engine):
        self._sessions = sessionmaker(engine, expire_on_commit=False)

    def create(self, name: str, scopes: list[str] | tuple[str, ...], days: int | None = None, role: str = "staff",
               department: str | None = None) -> IssuedToken:
        """A new token of ``role`` (``staff`` by default) with ``scopes``; printed once by the caller."""
        from civic_services.staff.users import AccountError, check_grant

        name = name.strip()
        if not name or len(name) > 100:
            raise StaffTokenError("a token needs a name of 1 to 100 characters (who or what uses it)")
        scopes = tuple(dict.fromkeys(s.strip() for s in scopes if s.strip()))
        if not scopes and role == "staff":
            raise StaffTokenError(f"give at least one scope; known scopes: {', '.join(SCOPES)}")
        try:
            check_grant(role, department, scopes)
        except AccountError as exc:
            raise StaffTokenError(str(exc)) from None
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        now = utcnow()
        expires = now + timedelta(days=days) if days else None
        row = StaffToken(name=name, prefix=token[: len(TOKEN_PREFIX) + 4], token_sha256=_digest(token),
                         scopes=" ".join(scopes), created_at=now, expires_at=expires, role=role,
                         department=department)
        with self._sessions.begin() as session:
            session.add(row)
            session.flush()
            token_id = row.id
        return IssuedToken(token=token, token_id=token_id, name=name, scopes=scopes, expires_at=expires)

    def authenticate(self, token: str) -> StaffIdentity | None:
        """The identity behind a presented token, or None if it is unknown, revoked or expired."""
        if not token or not token.startswith(TOKEN_PREFIX) or len(token) > 200:
            return None
        now = utcnow()
        with self._sessions.begin() as session:
            row = session.scalar(select(StaffToken).where(StaffToken.token_sha256 == _digest(token)))
            if row is None or row.revoked_at is not None or (row.expires_at and row.expires_at <= now):
                return None
            # Record use at most once a minute, so that reads do not each turn into a write.
            if row.last_used_at is None or now - row.last_used_at > timedelta(minutes=1):
                session.execute(update(StaffToken).where(StaffToken.id == row.id).values(last_used_at=now))
            return StaffIdentity(token_id=row.id, name=row.name, scopes=frozenset(row.scopes.split()), role=row.role,
                                 department=row.department)

    def list(self) -> list[dict]:
        with self._sessions() as session:
            rows = session.scalars(select(StaffToken).order_by(StaffToken.id)).all()
            return [{"id": r.id, "name": r.name, "prefix": r.prefix, "role": r.role, "department": r.department,
                     "scopes": r.scopes.split(),
                     "created_at": r.created_at, "expires_at": r.expires_at, "revoked_at": r.revoked_at,
                     "last_used_at": r.last_used_at} for r in rows]

    def revoke(self, token_id: int) -> None:
        with self._sessions.begin() as session:
            row = session.get(StaffToken, token_id)
            if row is None:
                raise StaffTokenError(f"no staff token with id {token_id}")
            if row.revoked_at is None:
                row.revoked_at = utcnow()
