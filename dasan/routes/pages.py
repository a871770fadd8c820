"""The web pages Dasan serves from ``dasan/web``: the home page, the chat, the live minutes and the call page."""

from __future__ import annotations

from importlib import resources

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from dasan import __version__

router = APIRouter(include_in_schema=False)


def page(name: str) -> HTMLResponse:
    html = resources.files("dasan").joinpath(f"web/{name}").read_text(encoding="utf-8")
    return HTMLResponse(html.replace("{{version}}", __version__))


@router.get("/", response_class=HTMLResponse)
def home() -> HTMLResponse:
    return page("index.html")


@router.get("/chat", response_class=HTMLResponse)
def chat_page() -> HTMLResponse:
    return page("chat.html")


@router.get("/minutes", response_class=HTMLResponse)
def minutes_page() -> HTMLResponse:
    return page("minutes.html")


@router.get("/voicebot", response_class=HTMLResponse)
def call_page() -> HTMLResponse:
    return page("call.html")
