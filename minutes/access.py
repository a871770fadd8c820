"""Who may see and change a meeting: its department's officials, those it is shared with, and administrators.

A meeting belongs to the department of the official who recorded or uploaded it (an administrator may name the
department). ``shared_with`` lists other departments, or ``user:NAME`` for one person. The rules read a
:class:`webapi.access.Principal` and a meeting (or a stored meeting's row: ``department`` and ``shared_with``).
"""

from __future__ import annotations

from collections.abc import Mapping

from webapi.access import Principal

MAX_SHARES = 50


def _fields(meeting) -> tuple[str | None, tuple[str, ...]]:
    if isinstance(meeting, Mapping):
        return meeting.get("department"), tuple(meeting.get("shared_with") or ())
    return meeting.department, tuple(meeting.shared_with)


def may_see(meeting, principal: Principal) -> bool:
    if principal.role == "admin":
        return True
    if principal.role != "official" or principal.anonymous:
        return False
    department, shared = _fields(meeting)
    return ((principal.department is not None and (principal.department == department
                                                   or principal.department in shared))
            or f"user:{principal.name}" in shared)


def may_manage(meeting, principal: Principal) -> bool:
    """Share, delete or mark consent: its own department's officials (not those it was shared with), admins."""
    department, _ = _fields(meeting)
    return principal.role == "admin" or (principal.role == "official" and principal.department is not None
                                         and principal.department == department)


def department_for(principal: Principal, asked: str | None = None) -> str | None:
    """The department a new meeting belongs to: an official's own; an administrator's choice (or none)."""
    if principal.role == "admin":
        return " ".join(asked.split())[:100] if asked else principal.department
    return principal.department


def clean_shares(shares: list[str]) -> tuple[str, ...]:
    """Departments or ``user:NAME`` entries, trimmed and without repeats; ValueError for too many or empty ones."""
    cleaned = tuple(dict.fromkeys(" ".join(s.split())[:100] for s in shares if s and s.strip()))
    if len(cleaned) > MAX_SHARES:
        raise ValueError(f"a meeting is shared with at most {MAX_SHARES} departments or people")
    return cleaned
