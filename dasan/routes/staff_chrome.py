"""What every page of the staff console shares: the header (the console's menu, who is signed in, sign-out, the
language switch), the words of that header in Korean and English, and :func:`staff_page`, which fills a page from
``dasan/web/staff/`` in the chosen language with the same local-only policy as the citizens' portal.

The console's pages are :mod:`dasan.routes.staff_console` (dashboard, complaint queue, calls),
:mod:`dasan.routes.search` (meetings, one search) and :mod:`dasan.routes.staff_ask` (questions in plain language).
Their scripts call the same staff APIs a program would, with the browser session's cookie and its CSRF token (``/staff/me``) on writes.
"""

from __future__ import annotations

import html
from typing import Annotated

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse

from dasan.routes.pages import page, page_lang, remember
from dasan.routes.portal import _csp, _script_json
from dasan.routes.portal_text import ERROR_WORDS, STATUS_WORDS
from webapi.access import STAFF_ROLES, Principal, requires

StaffPerson = Annotated[Principal, Depends(requires(*STAFF_ROLES))]

CONSOLE_COMMON = {
    "ko": {"brand": "다산 직원 콘솔", "skip": "본문으로 건너뛰기", "nav_label": "콘솔 메뉴",
           "nav_dashboard": "한눈에 보기", "nav_complaints": "민원 처리", "nav_calls": "상담 통화",
           "nav_meetings": "회의록", "nav_search": "통합 검색", "nav_ask": "데이터에 묻기", "nav_portal": "시민 창구",
           "signed_in_as": "로그인:", "sign_out": "로그아웃", "other_lang": "English",
           "error_prefix": "처리하지 못했습니다.", "network_error": "서버에 연결하지 못했습니다. 잠시 뒤 다시 해 보세요.",
           "loading": "불러오는 중…", "role_official": "공무원", "role_agent": "상담사", "role_staff": "직원",
           "role_admin": "관리자", **ERROR_WORDS["ko"]},
    "en": {"brand": "Dasan staff console", "skip": "Skip to the main content", "nav_label": "Console menu",
           "nav_dashboard": "At a glance", "nav_complaints": "Complaints", "nav_calls": "Calls",
           "nav_meetings": "Meetings", "nav_search": "Search", "nav_ask": "Ask the data",
           "nav_portal": "Citizens' portal",
           "signed_in_as": "Signed in:", "sign_out": "Sign out", "other_lang": "한국어",
           "error_prefix": "That did not work.",
           "network_error": "Could not reach the server. Please try again in a moment.", "loading": "Loading…",
           "role_official": "official", "role_agent": "agent", "role_staff": "staff", "role_admin": "admin",
           **ERROR_WORDS["en"]},
}

NAV = (("/staff", "nav_dashboard", "dashboard"), ("/staff/complaints", "nav_complaints", "complaints"),
       ("/staff/calls", "nav_calls", "calls"), ("/staff/meetings", "nav_meetings", "meetings"),
       ("/staff/search", "nav_search", "search"), ("/staff/ask", "nav_ask", "ask"), ("/", "nav_portal", "portal"))


def staff_header(lang: str, path: str, current: str, who: Principal) -> str:
    """The skip link, the console's name and menu, who is signed in with a sign-out button, the language switch."""
    t = CONSOLE_COMMON[lang]
    other = "en" if lang == "ko" else "ko"
    mark = ' aria-current="page"'
    items = "".join(f'<li><a href="{href}"{mark if key == current else ""}>{html.escape(t[label])}</a></li>'
                    for href, label, key in NAV)
    role = t.get(f"role_{who.role}", who.role)
    person = html.escape(f"{who.name or ''} ({role}{', ' + who.department if who.department else ''})")
    sign_out = ""
    if who.via == "session":
        sign_out = (f'<form class="signout" method="post" action="/staff/logout">'
                    f'<input type="hidden" name="csrf_token" value="{html.escape(who.session_csrf or "")}">'
                    f'<button type="submit">{html.escape(t["sign_out"])}</button></form>')
    return (f'<a class="skip" href="#main">{html.escape(t["skip"])}</a>'
            f'<header class="site staff"><a class="brand" href="/staff">{html.escape(t["brand"])}</a>'
            f'<nav aria-label="{html.escape(t["nav_label"])}"><ul>{items}</ul></nav>'
            f'<p class="who">{html.escape(t["signed_in_as"])} {person}</p>{sign_out}'
            f'<a class="lang" href="{html.escape(path)}?lang={other}" lang="{other}" hreflang="{other}">'
            f'{html.escape(t["other_lang"])}</a></header>')


def staff_page(request: Request, who: Principal, name: str, texts: dict, lang: str | None, current: str,
               config: dict | None = None, values: dict | None = None) -> HTMLResponse:
    """A console page (``dasan/web/staff/NAME``) in the chosen language: ``{{t_*}}`` from ``texts[lang]`` and the
    shared words, ``{{header_block}}``, ``{{config_block}}`` (JSON for the page script, the same shape as the
    portal's so ``/portal/portal.js`` works here: lang, text, status words, the CSRF token
    of the session, the person's role and department, and ``config``), the local-only policy."""
    chosen = page_lang(request, lang)
    settings = request.app.state.settings
    text = {**CONSOLE_COMMON[chosen], **texts[chosen]}
    filled = {"lang": chosen, "header_block": staff_header(chosen, request.url.path, current, who),
              **{f"t_{k}": v for k, v in text.items()}, **(values or {})}
    filled["config_block"] = _script_json({"lang": chosen, "text": text, "status_words": STATUS_WORDS[chosen],
                                           "csrf": who.session_csrf or "",
                                           "role": who.role, "department": who.department, "name": who.name,
                                           "tile_url": settings.map_tile_url,
                                           "tile_attribution": settings.map_tile_attribution, **(config or {})})
    response = page(f"staff/{name}", filled)
    response.headers["Content-Security-Policy"] = _csp(settings.map_tile_url)
    response.headers["Content-Language"] = chosen
    return remember(response, lang)


__all__ = ["CONSOLE_COMMON", "StaffPerson", "staff_header", "staff_page"]
