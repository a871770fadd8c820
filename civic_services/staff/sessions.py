"""Browser sessions of signed-in staff: a random cookie (the database keeps its SHA-256), a CSRF token for the
session's form posts, an idle timeout and an absolute lifetime; sign-out revokes the session."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import Engine, select, update
from sqlalchemy.orm import sessionmaker

from civic_services.staff.tables import StaffSession, StaffUser
from civic_services.staff.users import Account
from database.base import utcnow

COOKIE = "dasan_session"
IDLE = timedelta(hours=2)
LIFETIME = timedelta(hours=12)


@dataclass(frozen=True)
class OpenSession:
    cookie: str  # shown to the browser once, never stored
    csrf: str
    account: Account


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


class BrowserSessions:
    def __init__(self, engine: Engine, clock=utcnow):
        self._sessions = sessionmaker(engine, expire_on_commit=False)
        self.clock = clock

    def open(self, account: Account) -> OpenSession:
        cookie, csrf, now = secrets.token_urlsafe(32), secrets.token_urlsafe(24), self.clock()
        with self._sessions.begin() as session:
            session.add(StaffSession(session_sha256=_digest(cookie), user_id=account.id, csrf_token=csrf,
                                     created_at=now, last_seen_at=now, expires_at=now + LIFETIME))
        return OpenSession(cookie, csrf, account)

    def resume(self, cookie: str) -> tuple[Account, str] | None:
        """(account, CSRF token) of a live session, or None for one unknown, signed out, idle too long, expired,
        or whose account was disabled."""
        if not cookie or len(cookie) > 200:
            return None
        now = self.clock()
        with self._sessions.begin() as session:
            row = session.scalar(select(StaffSession).where(StaffSession.session_sha256 == _digest(cookie)))
            if row is None or row.revoked_at is not None or row.expires_at <= now or row.last_seen_at + IDLE <= now:
                return None
            user = session.get(StaffUser, row.user_id)
            if user is None or user.disabled_at is not None:
                return None
            if now - row.last_seen_at > timedelta(minutes=1):  # at most one write a minute per session
                session.execute(update(StaffSession).where(StaffSession.id == row.id).values(last_seen_at=now))
            account = Account(user.id, user.name, user.role, user.department, frozenset(user.scopes.split()))
            return account, row.csrf_token

    def close(self, cookie: str) -> None:
        with self._sessions.begin() as session:
            session.execute(update(StaffSession).where(StaffSession.session_sha256 == _digest(cookie),
                                                       StaffSession.revoked_at.is_(None))
                            .values(revoked_at=self.clock()))
