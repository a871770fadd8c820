"""HTTP for staff credentials: the scope check the civic APIs use, and sign-in for people.

* ``POST /staff/login`` (form: ``name``, ``password``, ``csrf_token``, ``next``): sets the HttpOnly, SameSite=Lax
  session cookie and redirects to ``next`` (a local path); a wrong password, a locked or disabled account redirect
  back to the sign-in page with a message. The form carries a sign-in CSRF token (double submit: the same random
  value in a cookie and in the form), so another site cannot sign a browser in under an account of its own.
* ``POST /staff/logout`` (the session's CSRF token) ends the session.
* ``GET /staff/me``: the signed-in principal (role, department, scopes, the session's CSRF token for scripts).
"""

from __future__ import annotations

import hmac
import secrets
from typing import Annotated
from urllib.parse import quote, urlsplit

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import JSONResponse, RedirectResponse

from civic_services.staff.audit import AuditLog
from civic_services.staff.sessions import COOKIE, IDLE, BrowserSessions
from civic_services.staff.users import StaffUsers
from webapi.access import Principal, public, requires
from webapi.deps import part
from webapi.errors import error_responses

LOGIN_CSRF_COOKIE = "dasan_login_csrf"

router = APIRouter(prefix="/staff", tags=["staff"])
UsersDep = Annotated[StaffUsers, Depends(part("staff_users"))]
SessionsDep = Annotated[BrowserSessions, Depends(part("staff_sessions"))]
AuditDep = Annotated[AuditLog, Depends(part("audit"))]


def require_scope(scope: str):
    """A staff principal (token or session) holding ``scope``; 401/403 otherwise (rendered in the API's own error
    envelope)."""
    return requires(scope=scope)


def login_csrf(request: Request) -> str:
    """The sign-in form's CSRF value: the browser's cookie if it has one (see :func:`set_login_csrf`)."""
    return request.cookies.get(LOGIN_CSRF_COOKIE) or secrets.token_urlsafe(24)


def set_login_csrf(response, value: str) -> None:
    response.set_cookie(LOGIN_CSRF_COOKIE, value, httponly=True, samesite="strict", max_age=3600, path="/staff")


def safe_next(target: str | None) -> str:
    """A local path to go to after sign-in (never another site: ``//evil``, ``https://...``)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/staff"
    parts = urlsplit(target)
    return parts.path + (f"?{parts.query}" if parts.query else "") if not parts.netloc else "/staff"


def _back_to_login(next_path: str, message: str) -> RedirectResponse:
    return RedirectResponse(f"/staff/login?next={quote(next_path)}&error={quote(message)}", status_code=303)


@router.post("/login", summary="Sign in (a form post from /staff/login); sets the session cookie",
             responses={303: {"description": "Signed in (to `next`), or back to the sign-in page with a message"},
                        **error_responses(400, 413)},
             status_code=303, response_class=RedirectResponse)
def login(request: Request, users: UsersDep, sessions: SessionsDep, audit: AuditDep,
          who: Annotated[Principal, Depends(public())],
          name: Annotated[str, Form(max_length=100)], password: Annotated[str, Form(max_length=1024)],
          csrf_token: Annotated[str, Form(max_length=100)] = "",
          next: Annotated[str, Form(max_length=500)] = "/staff") -> RedirectResponse:
    target = safe_next(next)
    cookie = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not cookie or not hmac.compare_digest(cookie, csrf_token):
        return _back_to_login(target, "The sign-in form expired. Please try again.")
    result = users.sign_in(name, password)
    client = request.client.host if request.client else ""
    if result.account is None:
        audit.record(f"name:{name[:100]}", "sign-in", outcome="refused", reason=result.reason, client=client)
        message = ("This account is locked for a while after repeated failures. Try again later or ask an "
                   "administrator." if "locked" in result.reason else
                   "This account is disabled." if result.reason == "disabled" else
                   "The name or the password is wrong.")
        return _back_to_login(target, message)
    opened = sessions.open(result.account)
    audit.record(f"{result.account.role}:{result.account.name}", "sign-in", outcome="ok", client=client)
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(COOKIE, opened.cookie, httponly=True, samesite="lax", secure=request.url.scheme == "https",
                        max_age=int(IDLE.total_seconds()) * 6, path="/")
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/staff")
    return response


@router.post("/logout", summary="Sign out (ends the browser session)", status_code=303,
             response_class=RedirectResponse,
             responses={303: {"description": "Signed out; to the sign-in page"}, **error_responses(401, 403)})
def logout(request: Request, sessions: SessionsDep, audit: AuditDep,
           who: Annotated[Principal, Depends(requires("agent", "official", "staff", "admin"))]) -> RedirectResponse:
    cookie = request.cookies.get(COOKIE)
    if cookie:
        sessions.close(cookie)
    audit.record(who.actor, "sign-out", outcome="ok")
    response = RedirectResponse("/staff/login", status_code=303)
    response.delete_cookie(COOKIE, path="/")
    return response


@router.get("/me", summary="Who is signed in: role, department, scopes (and the session's CSRF token)")
def me(who: Annotated[Principal, Depends(public())]) -> JSONResponse:
    body = {"role": who.role, "name": who.name, "department": who.department, "scopes": sorted(who.scopes),
            "via": who.via}
    if who.via == "session":
        body["csrf_token"] = who.session_csrf
    return JSONResponse(body, headers={"Cache-Control": "no-store"})
