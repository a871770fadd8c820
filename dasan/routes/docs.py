"""The API's interactive docs, served whole from this machine: Swagger UI at ``/docs`` and ReDoc at ``/redoc``.

FastAPI's own pages load their scripts, styles, favicon and fonts from CDNs, so on a city network without the
internet ``/docs`` was a blank page. The same pages here take their assets from the ``fastapi-offline`` package
(Swagger UI's ``swagger-ui-bundle.js`` and ``swagger-ui.css``, ReDoc's ``redoc.standalone.js``; MIT, the bundles
carry their own licence headers), served as static files under ``/docs/assets/``; Google fonts are left out and Swagger UI's online
validator badge is off. Both pages carry a Content-Security-Policy that lets the browser load nothing from another
host (ReDoc's bundle still asks for the Redocly logo from its CDN: the policy stops it in the browser, and the
logo's place stays empty).
"""

from __future__ import annotations

from fastapi import APIRouter, FastAPI, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

router = APIRouter(include_in_schema=False)

ASSETS = "/docs/assets"
OAUTH2_REDIRECT = "/docs/oauth2-redirect"
# This server only: the pages' own inline start-up script and styles, images and workers from data: and blob:
LOCAL_ONLY = {"Content-Security-Policy": "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' "
                                         "'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; "
                                         "worker-src 'self' blob:; connect-src 'self'"}


def _asset_url(request: Request, name: str) -> str:
    return f"{request.scope.get('root_path', '')}{ASSETS}/{name}"


def _local_only(page: HTMLResponse) -> HTMLResponse:
    page.headers.update(LOCAL_ONLY)
    return page


def _openapi_url(request: Request) -> str:
    return f"{request.scope.get('root_path', '')}{request.app.openapi_url}"


@router.get("/docs", response_class=HTMLResponse)
def swagger_ui(request: Request) -> HTMLResponse:
    page = get_swagger_ui_html(openapi_url=_openapi_url(request), title=f"{request.app.title} - Swagger UI",
                               swagger_js_url=_asset_url(request, "swagger-ui-bundle.js"),
                               swagger_css_url=_asset_url(request, "swagger-ui.css"),
                               swagger_favicon_url=_asset_url(request, "favicon.png"),
                               oauth2_redirect_url=OAUTH2_REDIRECT, swagger_ui_parameters={"validatorUrl": None})
    return _local_only(page)


@router.get(OAUTH2_REDIRECT, response_class=HTMLResponse)
def swagger_ui_oauth2_redirect() -> HTMLResponse:
    return get_swagger_ui_oauth2_redirect_html()


@router.get("/redoc", response_class=HTMLResponse)
def redoc(request: Request) -> HTMLResponse:
    page = get_redoc_html(openapi_url=_openapi_url(request), title=f"{request.app.title} - ReDoc",
                          redoc_js_url=_asset_url(request, "redoc.standalone.js"),
                          redoc_favicon_url=_asset_url(request, "favicon.png"), with_google_fonts=False)
    return _local_only(page)


def mount_docs(app: FastAPI) -> None:
    """The pages, and their assets from the ``fastapi-offline`` package (the app's own docs must be off)."""
    app.include_router(router)
    app.mount(ASSETS, StaticFiles(packages=[("fastapi_offline", "static")]), name="docs-assets")
