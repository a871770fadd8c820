"""People's accounts: create one (from the command line; there is no default account), sign in with lockout after
repeated failures, change a password, disable, list.

Roles are those of :mod:`webapi.access`; an official belongs to a department (whose meetings they see); staff carry
scopes (:data:`civic_services.staff.tokens.SCOPES`).
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import Engine, select
from sqlalchemy.orm import sessionmaker

from civic_services.staff.passwords import check_strength, dummy_hash, hash_password, needs_rehash, verify_password
from civic_services.staff.tables import StaffUser
from civic_services.staff.tokens import SCOPES, StaffTokenError
from database.base import utcnow
from webapi.access import ROLES, STAFF_ROLES

MAX_FAILURES = 5  # failed sign-ins in a row before the account is locked
LOCKOUT = timedelta(minutes=15)


class AccountError(ValueError):
    """A request about an account that cannot be honoured (bad role, name taken, weak password, unknown user)."""


@dataclass(frozen=True)
class Account:
    id: int
    name: str
    role: str
    department: str | None
    scopes: frozenset[str]

    def to_dict(self) -> dict:
        return {"id": self.id, "name": self.name, "role": self.role, "department": self.department,
                "scopes": sorted(self.scopes)}


@dataclass(frozen=True)
class SignIn:
    account: Account | None  # None when refused
    reason: str = ""  # why it was refused: unknown, wrong password, locked, disabled


def normal_name(name: str) -> str:
    return unicodedata.normalize("NFKC", name).strip()


def _account(row: StaffUser) -> Account:
    return Account(row.id, row.name, row.role, row.department, frozenset(row.scopes.split()))


def check_grant(role: str, department: str | None, scopes: tuple[str, ...]) -> None:
    """The role, department and scopes of a credential, checked (AccountError/StaffTokenError says what is wrong)."""
    if role not in STAFF_ROLES:
        raise AccountError(f"role must be one of {', '.join(STAFF_ROLES)}, not {role!r}")
    if role == "official" and not department:
        raise AccountError("an official belongs to a department: give --department")
    unknown = [s for s in scopes if s not in SCOPES]
    if unknown:
        raise StaffTokenError(f"unknown scope(s) {', '.join(unknown)}; known scopes: {', '.join(SCOPES)}")


class StaffUsers:
    def __init__(self, engine: Engine, clock=utcnow):
        self._sessions = sessionmaker(engine, expire_on_commit=False)
        self.clock = clock

    def create(self, name: str, role: str, password: str, department: str | None = None,
               scopes: tuple[str, ...] = ()) -> Account:
        name = normal_name(name)
        if not name or len(name) > 100:
            raise AccountError("an account needs a name of 1 to 100 characters")
        department = normal_name(department) if department else None
        scopes = tuple(dict.fromkeys(s.strip() for s in scopes if s.strip()))
        check_grant(role, department, scopes)
        check_strength(password, name)
        with self._sessions.begin() as session:
            if session.scalar(select(StaffUser.id).where(StaffUser.name == name)) is not None:
                raise AccountError(f"there is already an account named {name!r}")
            row = StaffUser(name=name, role=role, department=department, scopes=" ".join(scopes),
                            password_hash=hash_password(password), created_at=self.clock(), failed_attempts=0)
            session.add(row)
            session.flush()
            return _account(row)

    def sign_in(self, name: str, password: str) -> SignIn:
        """Check a name and password; a locked or disabled account is refused even with the right password, and
        the fifth failure in a row locks the account for a quarter of an hour."""
        now = self.clock()
        with self._sessions.begin() as session:
            row = session.scalar(select(StaffUser).where(StaffUser.name == normal_name(name)).with_for_update())
            if row is None:
                verify_password(password, dummy_hash())
                return SignIn(None, "unknown account")
            if row.disabled_at is not None:
                return SignIn(None, "disabled")
            if row.locked_until is not None and row.locked_until > now:
                return SignIn(None, "locked")
            if not verify_password(password, row.password_hash):
                row.failed_attempts += 1
                if row.failed_attempts >= MAX_FAILURES:
                    row.locked_until, row.failed_attempts = now + LOCKOUT, 0
                    return SignIn(None, "wrong password; locked")
                return SignIn(None, "wrong password")
            row.failed_attempts, row.locked_until, row.last_login_at = 0, None, now
            if needs_rehash(row.password_hash):
                row.password_hash = hash_password(password)
            return SignIn(_account(row))

    def get(self, user_id: int) -> Account | None:
        with self._sessions() as session:
            row = session.get(StaffUser, user_id)
            return None if row is None or row.disabled_at is not None else _account(row)

    def set_password(self, name: str, password: str) -> None:
        name = normal_name(name)
        check_strength(password, name)
        with self._sessions.begin() as session:
            row = session.scalar(select(StaffUser).where(StaffUser.name == name))
            if row is None:
                raise AccountError(f"no account named {name!r}")
            row.password_hash, row.failed_attempts, row.locked_until = hash_password(password), 0, None

    def disable(self, name: str) -> None:
        with self._sessions.begin() as session:
            row = session.scalar(select(StaffUser).where(StaffUser.name == normal_name(name)))
            if row is None:
                raise AccountError(f"no account named {name!r}")
            row.disabled_at = row.disabled_at or self.clock()

    def list(self) -> list[dict]:
        with self._sessions() as session:
            rows = session.scalars(select(StaffUser).order_by(StaffUser.id)).all()
            return [{**_account(r).to_dict(), "created_at": r.created_at, "last_login_at": r.last_login_at,
                     "locked": bool(r.locked_until and r.locked_until > self.clock()),
                     "disabled": r.disabled_at is not None} for r in rows]


__all__ = ["Account", "AccountError", "SignIn", "StaffUsers", "ROLES", "check_grant"]
