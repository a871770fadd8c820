"""The web pages Dasan serves from ``dasan/web``: the chat, the call page, the live minutes (for
officials) and the staff sign-in; the citizens' portal (the home page, complaints) is :mod:`dasan.routes.portal`.

A page's language comes from ``?lang=ko|en`` (remembered in a cookie), then the cookie, then the browser's
``Accept-Language``; Korean by default. A page that needs a role declares it like any route; a browser without the
right session is sent to the sign-in page (see :func:`page_access_denied`), a program gets the 401/403.
"""

from __future__ import annotations

import html
from importlib import resources
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from civic_services.staff.api import login_csrf, safe_next, set_login_csrf
from dasan import __version__
from webapi.access import AccessDenied, Principal, public

router = APIRouter(include_in_schema=False)
LANG_COOKIE = "dasan_lang"
LANGS = ("ko", "en")

LOGIN_TEXT = {
    "ko": {"title": "직원 로그인", "name": "아이디", "password": "비밀번호", "submit": "로그인", "language": "언어",
           "other": "English", "note": "계정은 관리자가 만듭니다. 비밀번호를 5번 틀리면 15분 동안 잠깁니다."},
    "en": {"title": "Staff sign-in", "name": "User name", "password": "Password", "submit": "Sign in",
           "language": "Language", "other": "한국어",
           "note": "Accounts are made by an administrator. Five wrong passwords lock an account for 15 minutes."},
}
DENIED_TEXT = {
    "ko": ("접근 권한이 없습니다", "이 페이지는 {roles} 역할만 열 수 있습니다. 지금은 {role} 계정입니다."),
    "en": ("Not allowed", "Only the role {roles} may open this page; you are signed in as {role}."),
}


def page_lang(request: Request, lang: str | None = None) -> str:
    if lang in LANGS:
        return lang
    if request.cookies.get(LANG_COOKIE) in LANGS:
        return request.cookies[LANG_COOKIE]
    accept = request.headers.get("accept-language", "").lower()
    return "en" if accept.startswith("en") else "ko"


def remember(response: Response, lang: str | None) -> Response:
    if lang in LANGS:
        response.set_cookie(LANG_COOKIE, lang, max_age=365 * 24 * 3600, samesite="lax", path="/")
    return response


def page(name: str, values: dict[str, str] | None = None) -> HTMLResponse:
    """A page from ``dasan/web``; ``{{key}}`` placeholders take the values, escaped for HTML."""
    text = resources.files("dasan").joinpath(f"web/{name}").read_text(encoding="utf-8")
    text = text.replace("{{version}}", __version__)
    for key, value in (values or {}).items():
        text = text.replace("{{" + key + "}}", value if key.endswith("_block") else html.escape(value))
    return HTMLResponse(text, headers={"Cache-Control": "no-store"} if values else None)


Anyone = Annotated[Principal, Depends(public())]


@router.get("/chat", response_class=HTMLResponse)
def chat_page(who: Anyone) -> HTMLResponse:
    return page("chat.html")


@router.get("/voicebot", response_class=HTMLResponse)
def call_page(who: Anyone) -> HTMLResponse:
    return page("call.html")


@router.get("/staff/login", response_class=HTMLResponse)
def login_page(request: Request, who: Anyone, next: Annotated[str | None, Query(max_length=500)] = None,
               error: Annotated[str | None, Query(max_length=300)] = None,
               lang: Annotated[str | None, Query(max_length=5)] = None) -> HTMLResponse:
    chosen = page_lang(request, lang)
    text = LOGIN_TEXT[chosen]
    target = safe_next(next)
    csrf = login_csrf(request)
    error_block = f'<p class="error" role="alert">{html.escape(error)}</p>' if error else ""
    response = page("login.html", {"lang": chosen, "other_lang": "en" if chosen == "ko" else "ko",
                                   "next": target, "next_q": quote(target), "csrf": csrf, "error_block": error_block,
                                   **{f"t_{k}": v for k, v in text.items()}})
    set_login_csrf(response, csrf)
    return remember(response, lang)


def page_access_denied(request: Request, exc: AccessDenied) -> Response:
    """A browser asking for a page it may not open is sent to sign in (401) or told why (403); an API caller gets
    the status and the sentence."""
    wants_page = request.method == "GET" and "text/html" in request.headers.get("accept", "")
    if not wants_page:
        return JSONResponse({"detail": exc.detail}, status_code=exc.status_code, headers=exc.headers)
    if exc.status_code == 401:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/staff/login?next={quote(target)}", status_code=303)
    title, sentence = DENIED_TEXT[page_lang(request)]
    principal = getattr(request.state, "principal", None)
    body = (f'<!doctype html><html lang="{page_lang(request)}"><head><meta charset="utf-8"><title>{title}</title>'
            f'<meta name="viewport" content="width=device-width, initial-scale=1"></head><body><main>'
            f'<h1>{title}</h1><p>{html.escape(str(exc.detail))}</p><p><a href="/staff/login">'
            f'{"다른 계정으로 로그인" if page_lang(request) == "ko" else "Sign in as someone else"}</a></p>'
            f'</main></body></html>')
    del sentence, principal
    return HTMLResponse(body, status_code=403)
