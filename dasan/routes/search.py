"""One search and the meetings pages of the staff console (issue 15).

* ``GET /search?q=&kinds=&k=&lang=``: JSON hits over every source the caller may see (:mod:`dasan.search`);
  public: an anonymous caller gets the public sources only.
* ``GET /staff/search``: the page (any staff role).
* ``GET /staff/meetings``: the library and the upload (officials, admins); ``GET /staff/meetings/{id}``: a meeting.
* ``GET /minutes``: live minutes from the microphone (officials, admins).
"""

from __future__ import annotations

import re
from types import SimpleNamespace
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, Request

from dasan.routes.search_text import LIVE_TEXT, MEETING_TEXT, MEETINGS_TEXT, SEARCH_TEXT
from dasan.routes.staff_chrome import StaffPerson, staff_page
from dasan.search import KINDS, search as search_all
from webapi.access import Principal, public, requires

router = APIRouter(include_in_schema=False)
Anyone = Annotated[Principal, Depends(public())]
Official = Annotated[Principal, Depends(requires("official", "admin"))]


def _parts(request: Request) -> SimpleNamespace:
    runtime = request.app.state.runtime
    if runtime is None:
        raise HTTPException(503, "the server is starting; try again in a moment")
    return SimpleNamespace(assistant=runtime.assistant, opendata=runtime.opendata, iot=runtime.iot,
                           complaints=runtime.complaints, minutes=runtime.minutes)


@router.get("/search", summary="One search over the knowledge base, datasets, stations, complaints and meetings")
def search(request: Request, who: Anyone, q: Annotated[str, Query(max_length=500)] = "",
           kinds: Annotated[str | None, Query(max_length=100)] = None,
           k: Annotated[int, Query(ge=1, le=50)] = 10, lang: Annotated[str, Query(max_length=5)] = "ko") -> dict:
    chosen = KINDS
    if kinds:
        chosen = tuple(x.strip() for x in kinds.split(",") if x.strip())
        unknown = [x for x in chosen if x not in KINDS]
        if unknown:
            raise HTTPException(400, f"unknown kind {', '.join(unknown)}; kinds: {', '.join(KINDS)}")
    try:
        return search_all(_parts(request), q, who, lang, k, chosen)
    except ValueError as exc:
        raise HTTPException(400, str(exc)) from None


@router.get("/staff/search")
def search_page(request: Request, who: StaffPerson, lang: str | None = None, q: str | None = None):
    return staff_page(request, who, "search.html", SEARCH_TEXT, lang, "search", {"q": (q or "")[:500]})


@router.get("/staff/meetings")
def meetings_page(request: Request, who: Official, lang: str | None = None):
    return staff_page(request, who, "meetings.html", MEETINGS_TEXT, lang, "meetings")


@router.get("/staff/meetings/{meeting_id}")
def meeting_page(request: Request, who: Official, meeting_id: str, lang: str | None = None):
    if not re.fullmatch(r"[0-9A-Za-z_-]{1,64}", meeting_id):
        raise HTTPException(404, f"no meeting {meeting_id[:64]!r}")
    return staff_page(request, who, "meeting.html", MEETING_TEXT, lang, "meetings", {"meeting_id": meeting_id})


@router.get("/minutes")
def live_minutes_page(request: Request, who: Official, lang: str | None = None):
    return staff_page(request, who, "live.html", LIVE_TEXT, lang, "meetings")
