"""The citizens' portal: the home page ``/`` (what a citizen can do here, the developer links in an "about / API"
corner), the complaints pages (``/complaints``: report a problem, the public map and list of recent reports,
follow a report by its token; ``/complaints/{ticket}``: one report's status, history and public notes), the voting
page (``/voting``: open polls, voting with a credential, receipts checked in the browser, results), the Open Data
Plaza (``/data``: the catalogue with facets; ``/data/{id}``: a dataset's metadata, preview and downloads), the map
data (``/geo/districts.json``, ``/geo/neighbourhoods.json``: Seoul's outlines as GeoJSON, from
:mod:`civic_services.boundaries`) and the vendored browser libraries (``/vendor/...``: Leaflet and the others in
``dasan/web/vendor``, each with its LICENSE) and air quality by district (``/air``: the districts coloured by
their PM10/PM2.5 grade, live, with a district's last 24 hours).

The pages are static HTML with their text filled in here, in Korean or English (:func:`dasan.routes.pages.page_lang`);
their scripts call the same public APIs a third party would (Open311 at ``/open311/v2``, mVoting at ``/voting/...``:
``/voting`` is the voting page, whose receipts are checked in the browser by ``web/receipt.js``). Every page carries a
Content-Security-Policy that lets the browser load nothing from another host, except the tiles of a configured base
map (``DASAN_MAP_TILE_URL``).
"""

from __future__ import annotations

import html
import json
import mimetypes
import re
from functools import lru_cache
from importlib import resources
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request
from fastapi.responses import HTMLResponse, Response

from dasan.routes.pages import LANGS, page, page_lang, remember
from dasan.routes.portal_text import AIR, COMMON, COMPLAINTS, HOME, DATA, STATUS_WORDS, TICKET, VOTING
from webapi.access import Principal, public

router = APIRouter(include_in_schema=False)
Anyone = Annotated[Principal, Depends(public())]
Lang = Annotated[str | None, Query(max_length=5, description="ko or en")]

_SAFE_PART = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
GEO = {"districts": "simple", "neighbourhoods": "neighbourhoods"}


def _csp(tile_url: str) -> str:
    """This server only (and a configured tile server's images)."""
    images = "'self' data: blob:"
    if tile_url:
        parts = urlsplit(tile_url)
        if parts.scheme in ("http", "https") and parts.netloc:
            images += f" {parts.scheme}://{parts.netloc.replace('{s}', '*')}"
    return (f"default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
            f"img-src {images}; media-src 'self' blob:; connect-src 'self'; font-src 'self'; object-src 'none'; "
            f"base-uri 'self'; form-action 'self'; frame-ancestors 'self'")


def _script_json(value) -> str:
    """JSON safe inside a <script> element."""
    return json.dumps(value, ensure_ascii=False).replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _header(lang: str, path: str, current: str) -> str:
    """The skip link, the site name, the citizens' menu and the language switch, shared by every portal page."""
    t = COMMON[lang]
    other = "en" if lang == "ko" else "ko"
    links = [("/", t["nav_home"], "home"), ("/chat", t["nav_chat"], "chat"), ("/voicebot", t["nav_call"], "call"),
             ("/complaints", t["nav_complaints"], "complaints"), ("/voting", t["nav_voting"], "voting"),
             ("/data", t["nav_data"], "data"), ("/air", t["nav_air"], "air")]
    mark = ' aria-current="page"'
    items = "".join(f'<li><a href="{href}"{mark if key == current else ""}>{html.escape(text)}</a></li>'
                    for href, text, key in links)
    return (f'<a class="skip" href="#main">{html.escape(t["skip"])}</a>'
            f'<header class="site"><a class="brand" href="/">{html.escape(t["brand"])}</a>'
            f'<nav aria-label="{html.escape(t["nav_label"])}"><ul>{items}</ul></nav>'
            f'<a class="lang" href="{html.escape(path)}?lang={other}" lang="{other}" hreflang="{other}">'
            f'{html.escape(t["other_lang"])}</a></header>')


def _footer(lang: str) -> str:
    t = COMMON[lang]
    return (f'<footer class="site"><p>{html.escape(t["footer"])} · <a href="/#about">{html.escape(t["about"])}</a>'
            f'</p></footer>')


def portal_page(request: Request, name: str, texts: dict, lang: str | None, current: str,
                config: dict | None = None, values: dict | None = None) -> HTMLResponse:
    """A portal page in the chosen language, its ``{{t_*}}`` texts filled in, the shared header and footer, the
    page script's configuration (``{{config_block}}``: JSON) and the local-only policy."""
    chosen = page_lang(request, lang)
    settings = request.app.state.settings
    text = {**COMMON[chosen], **texts[chosen]}
    filled = {"lang": chosen, "header_block": _header(chosen, request.url.path, current),
              "footer_block": _footer(chosen), **{f"t_{k}": v for k, v in text.items()}, **(values or {})}
    filled["config_block"] = _script_json({"lang": chosen, "text": text, "status_words": STATUS_WORDS[chosen],
                                           "tile_url": settings.map_tile_url,
                                           "tile_attribution": settings.map_tile_attribution, **(config or {})})
    response = page(name, filled)
    response.headers["Content-Security-Policy"] = _csp(settings.map_tile_url)
    response.headers["Content-Language"] = chosen
    return remember(response, lang)


@router.get("/", response_class=HTMLResponse)
def home(request: Request, who: Anyone, lang: Lang = None) -> HTMLResponse:
    return portal_page(request, "index.html", HOME, lang, "home")


@router.get("/complaints", response_class=HTMLResponse)
def complaints_page(request: Request, who: Anyone, lang: Lang = None) -> HTMLResponse:
    settings = request.app.state.settings
    limits = {"max_photos": 3, "max_videos": 1, "photo_max_bytes": settings.complaint_photo_max_bytes,
              "video_max_bytes": settings.complaint_video_max_bytes,
              "photo_types": ["image/jpeg", "image/png", "image/webp"],
              "video_types": ["video/mp4", "video/quicktime"]}
    return portal_page(request, "complaints.html", COMPLAINTS, lang, "complaints", {"limits": limits})


@router.get("/complaints/{ticket}", response_class=HTMLResponse)
def ticket_page(request: Request, who: Anyone, ticket: Annotated[str, Path(max_length=40)],
                lang: Lang = None) -> HTMLResponse:
    return portal_page(request, "ticket.html", TICKET, lang, "complaints", {"ticket": ticket},
                       {"ticket": ticket})


@router.get("/voting", response_class=HTMLResponse)
def voting_page(request: Request, who: Anyone, lang: Lang = None) -> HTMLResponse:
    """Open polls, casting with a credential, the receipt (file and QR code) checked in the browser, a receipt
    checker, results and the ballot board: all over the public voting API (``/voting/...``)."""
    return portal_page(request, "voting.html", VOTING, lang, "voting")


@router.get("/data", response_class=HTMLResponse)
def data_page(request: Request, who: Anyone, lang: Lang = None) -> HTMLResponse:
    """The Open Data Plaza: the catalogue searched with facets, over the public CKAN action API."""
    return portal_page(request, "data.html", DATA, lang, "data", {"dataset": None})


@router.get("/data/{dataset_id}", response_class=HTMLResponse)
def dataset_page(request: Request, who: Anyone, dataset_id: Annotated[str, Path(max_length=100)],
                 lang: Lang = None) -> HTMLResponse:
    """One dataset: its metadata, a table preview with paging and sorting, downloads, and the API calls behind
    each view (CKAN, the Seoul Open API shape, DCAT)."""
    return portal_page(request, "data.html", DATA, lang, "data", {"dataset": dataset_id})


@router.get("/air", response_class=HTMLResponse)
def air_page(request: Request, who: Anyone, lang: Lang = None,
             every: Annotated[int, Query(ge=5, le=300, description="seconds between refreshes")] = 30) -> HTMLResponse:
    """Air quality by district: the districts coloured by their current PM10 or PM2.5 grade, refreshed every
    ``every`` seconds, a district's last 24 hours on click, and the same as a table, over the public district
    queries (``/iot/air-quality``, ``/iot/history``) that read the SensorThings observations."""
    from civic_services.iot import catalogue

    grades = {code: [[bound, grade] for bound, grade in bands] + [[None, "very_bad"]]
              for code, bands in catalogue.PM_GRADES.items()}
    return portal_page(request, "air.html", AIR, lang, "air", {"every_s": every, "grades": grades})


@lru_cache(maxsize=4)
def _geojson(detail: str) -> bytes:
    from civic_services.boundaries import geojson_text

    return geojson_text(detail).encode("utf-8")


@router.get("/geo/{name}.json", summary="Seoul's district (or neighbourhood) outlines as GeoJSON")
def geo(who: Anyone, name: Annotated[str, Path(max_length=20)]) -> Response:
    if name not in GEO:
        raise HTTPException(404, f"no map layer {name!r}; there are {', '.join(sorted(GEO))}")
    return Response(_geojson(GEO[name]), media_type="application/geo+json",
                    headers={"Cache-Control": "public, max-age=86400"})


@router.get("/vendor/{asset:path}", summary="A vendored browser library (dasan/web/vendor), served from here")
def vendor(who: Anyone, asset: Annotated[str, Path(max_length=200)]) -> Response:
    parts = asset.split("/")
    if not all(_SAFE_PART.fullmatch(part) for part in parts):
        raise HTTPException(404, "no such file")
    item = resources.files("dasan").joinpath("web", "vendor", *parts)
    if not item.is_file():
        raise HTTPException(404, "no such file")
    media_type = mimetypes.guess_type(parts[-1])[0] or "application/octet-stream"
    if parts[-1].endswith(".js"):
        media_type = "text/javascript"
    return Response(item.read_bytes(), media_type=media_type, headers={"Cache-Control": "public, max-age=86400"})


@router.get("/portal/{asset}", summary="The portal pages' shared style and script")
def portal_asset(who: Anyone, asset: Annotated[str, Path(max_length=40)]) -> Response:
    if asset not in ("portal.css", "portal.js", "receipt.js"):
        raise HTTPException(404, "no such file")
    body = resources.files("dasan").joinpath(f"web/{asset}").read_bytes()
    return Response(body, media_type="text/css" if asset.endswith(".css") else "text/javascript",
                    headers={"Cache-Control": "no-cache"})


__all__ = ["router", "portal_page", "LANGS"]
