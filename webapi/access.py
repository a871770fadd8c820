"""Who is asking, and may they: the one access model of the server.

Every request has a :class:`Principal`: an anonymous ``citizen``, or a person or a program known by a credential
(a staff bearer token, a browser session after sign-in). Roles:

- ``citizen``: anyone; reads what is public, files reports, chats and calls;
- ``voter``: a citizen holding a voting credential (checked by the voting service when a ballot is cast);
- ``agent``: a 120 agent; reads call records and the hand-offs they carry;
- ``official``: a city official; the meetings of their own department and those shared with them;
- ``staff``: staff with scopes (``complaints:read``, ``opendata:write``, ...), as the tokens carry them;
- ``admin``: everything.

Every route declares what it needs with one dependency from this module: ``public()`` (anyone, and says so),
``requires(role..., scope=...)``, or ``checked_by(what)`` for a route whose credential is checked by the service
itself (a ballot's voting credential). ``tests/test_access.py`` walks every route and fails for one that declares
none. A request authenticated by a browser session that changes something must carry the session's CSRF token
(header ``X-CSRF-Token`` or form field ``csrf_token``); bearer-token requests need none (no ambient credential).

This module knows no domain: the composition root provides the :class:`Authenticator` (the runtime's part
``authenticator``) that turns a request's credentials into a principal.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from fastapi import Depends, HTTPException
from fastapi.concurrency import run_in_threadpool
from starlette.requests import HTTPConnection, Request

from webapi.deps import PartUnavailable, get_part

ROLES = ("citizen", "voter", "agent", "official", "staff", "admin")
STAFF_ROLES = ("agent", "official", "staff", "admin")  # people who work for the city
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
CSRF_HEADER = "x-csrf-token"


@dataclass(frozen=True)
class Principal:
    role: str = "citizen"
    name: str | None = None  # the user's or the token's name
    department: str | None = None
    scopes: frozenset[str] = frozenset()
    via: str = "anonymous"  # anonymous, token, session
    session_csrf: str | None = field(default=None, repr=False)  # the session's CSRF token (session only)
    user_id: int | None = None

    @property
    def anonymous(self) -> bool:
        return self.via == "anonymous"

    @property
    def actor(self) -> str:
        """How this principal appears in audit trails and histories."""
        return "citizen" if self.anonymous else f"{self.role}:{self.name}"

    def may(self, scope: str) -> bool:
        return self.role == "admin" or scope in self.scopes

    def acts_as(self, *roles: str) -> bool:
        return self.role == "admin" or self.role in roles


ANONYMOUS = Principal()


class Authenticator(Protocol):
    def principal(self, connection: HTTPConnection) -> Principal:
        """The principal of a request's credentials (ANONYMOUS when it carries none); raise
        :class:`AccessDenied` (401) for a credential that is presented but unknown, revoked or expired."""


class AccessDenied(HTTPException):
    """401 (no or bad credential) or 403 (the wrong role or scope, or a missing CSRF token); each API renders it in
    its own error envelope."""


def principal_of(connection: HTTPConnection) -> Principal:
    """The request's principal, resolved once per request."""
    cached = getattr(connection.state, "principal", None)
    if cached is not None:
        return cached
    try:
        authenticator: Authenticator = get_part(connection, "authenticator")
    except PartUnavailable:
        principal = ANONYMOUS
    else:
        principal = authenticator.principal(connection)
    connection.state.principal = principal
    return principal


def _declared(check: Callable[..., Principal], access: str) -> Callable[..., Principal]:
    check.access = access  # what tests/test_access.py looks for
    check.__name__ = "access_" + "".join(c if c.isalnum() else "_" for c in access)
    return check


async def _csrf_ok(connection: HTTPConnection, principal: Principal) -> bool:
    """A session's unsafe request carries its CSRF token (header, or the form field of a form post); requests
    made with a bearer token carry no ambient credential and need none."""
    if principal.via != "session" or connection.scope.get("type") != "http":
        return True
    if connection.scope.get("method", "GET") in SAFE_METHODS:
        return True
    presented = connection.headers.get(CSRF_HEADER, "")
    content_type = connection.headers.get("content-type", "")
    if not presented and isinstance(connection, Request) and content_type.startswith(
            ("application/x-www-form-urlencoded", "multipart/form-data")):
        presented = str((await connection.form()).get("csrf_token") or "")  # parsed once, shared with the route
    return bool(principal.session_csrf) and hmac.compare_digest(presented, principal.session_csrf)


def public() -> Callable[..., Principal]:
    """Anyone may call the route (it reads or writes only what citizens may); hands it the principal."""

    def check(connection: HTTPConnection) -> Principal:
        return principal_of(connection)

    return _declared(check, "public")


def requires(*roles: str, scope: str | None = None) -> Callable[..., Principal]:
    """A principal of one of ``roles`` (any staff role when none is named and ``scope`` is), holding ``scope`` when
    given; admin always passes. 401 for an anonymous caller, 403 otherwise."""
    unknown = [r for r in roles if r not in ROLES]
    if unknown:
        raise ValueError(f"unknown role(s) {unknown}; roles: {', '.join(ROLES)}")
    allowed = roles or STAFF_ROLES

    async def check(connection: HTTPConnection) -> Principal:
        principal = await run_in_threadpool(principal_of, connection)  # a database read: not on the event loop
        if principal.anonymous:
            what = f"the scope {scope!r}" if scope else f"the role {' or '.join(allowed)}"
            raise AccessDenied(401, f"sign in first: this needs {what} (a staff bearer token or a signed-in "
                                    "session)", headers={"WWW-Authenticate": "Bearer"})
        if not principal.acts_as(*allowed):
            raise AccessDenied(403, f"this needs the role {' or '.join(allowed)}; you are {principal.role}")
        if scope and not principal.may(scope):
            raise AccessDenied(403, f"this needs the scope {scope!r}",
                               headers={"WWW-Authenticate": f'Bearer error="insufficient_scope", scope="{scope}"'})
        if not await _csrf_ok(connection, principal):
            raise AccessDenied(403, "the form's CSRF token is missing or wrong (reload the page and try again)")
        return principal

    label = "+".join(allowed) + (f":{scope}" if scope else "")
    return _declared(check, f"requires {label}")


def checked_by(what: str) -> Callable[..., Principal]:
    """The route is open to the network but the service checks a credential of its own (``what``), such as a
    ballot's voting credential; hands the route the principal."""

    def check(connection: HTTPConnection) -> Principal:
        return principal_of(connection)

    return _declared(check, f"checked by {what}")


def declared_access(dependant: Any) -> list[str]:
    """The access declarations in a route's dependency tree (FastAPI's ``route.dependant``)."""
    found = []
    stack = [dependant]
    while stack:
        node = stack.pop()
        access = getattr(node.call, "access", None) if node.call is not None else None
        if access:
            found.append(access)
        stack.extend(node.dependencies)
    return found


# The declaration of a public route that does not need the principal itself: ``dependencies=[PUBLIC]``.
PUBLIC = Depends(public())
