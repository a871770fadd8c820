"""The server's :class:`webapi.access.Authenticator`: a request's staff bearer token or signed-in browser session
becomes a :class:`webapi.access.Principal`; no credential is an anonymous citizen.

A bearer credential that is not a staff token (a voting credential, ``dasan_vc_...``) is left to the service it is
meant for. A staff token that is presented but unknown, revoked or expired is a 401, never a silent downgrade to
anonymous (a program should learn that its credential stopped working); an expired session cookie makes the
browser anonymous again, so public pages still open and staff pages ask the person to sign in.
"""

from __future__ import annotations

from starlette.requests import HTTPConnection

from civic_services.staff.sessions import COOKIE, BrowserSessions
from civic_services.staff.tokens import TOKEN_PREFIX, StaffTokens
from webapi.access import ANONYMOUS, AccessDenied, Principal


class StaffAuthenticator:
    def __init__(self, tokens: StaffTokens, sessions: BrowserSessions):
        self.tokens = tokens
        self.sessions = sessions

    def principal(self, connection: HTTPConnection) -> Principal:
        scheme, _, credential = connection.headers.get("authorization", "").partition(" ")
        credential = credential.strip()
        if scheme.lower() == "bearer" and credential.startswith(TOKEN_PREFIX):
            identity = self.tokens.authenticate(credential)
            if identity is None:
                raise AccessDenied(401, "the staff token is unknown, revoked or expired",
                                   headers={"WWW-Authenticate": 'Bearer error="invalid_token"'})
            return Principal(identity.role, identity.name, identity.department, identity.scopes, "token")
        cookie = connection.cookies.get(COOKIE)
        if cookie:
            resumed = self.sessions.resume(cookie)
            if resumed is None:
                return ANONYMOUS  # an expired browser session: the page asks the person to sign in again
            account, csrf = resumed
            return Principal(account.role, account.name, account.department, account.scopes, "session", csrf,
                             account.id)
        return ANONYMOUS
