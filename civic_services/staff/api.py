"""FastAPI dependencies that check a staff bearer token and its scopes."""

from __future__ import annotations

from typing import Callable

from fastapi import Depends, HTTPException
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from civic_services.staff.tokens import StaffIdentity, StaffTokens
from webapi.deps import part

bearer = HTTPBearer(auto_error=False, description="A staff token from `dasan staff token create`.")


class StaffAuthError(HTTPException):
    """401 (no or bad token) or 403 (missing scope); each service renders it in its own error format."""


staff_tokens = part("staff_tokens")


def require_scope(scope: str) -> Callable[..., StaffIdentity]:
    def check(credentials: HTTPAuthorizationCredentials | None = Depends(bearer),
              tokens: StaffTokens = Depends(staff_tokens)) -> StaffIdentity:
        if credentials is None:
            raise StaffAuthError(401, "this endpoint needs a staff bearer token (Authorization: Bearer ...)",
                                 headers={"WWW-Authenticate": "Bearer"})
        identity = tokens.authenticate(credentials.credentials)
        if identity is None:
            raise StaffAuthError(401, "the staff token is unknown, revoked or expired",
                                 headers={"WWW-Authenticate": 'Bearer error="invalid_token"'})
        if scope not in identity.scopes:
            raise StaffAuthError(403, f"the staff token lacks the scope {scope!r}",
                                 headers={"WWW-Authenticate": f'Bearer error="insufficient_scope", scope="{scope}"'})
        return identity

    check.__name__ = f"require_{scope.replace(':', '_')}"
    return check
