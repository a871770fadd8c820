"""/docs (Swagger UI) and /redoc render every operation in headless Chromium with nothing but the local server:
every request the pages make is recorded, and any to another host is refused, as it would be on a network
without the internet (FastAPI's own pages load from CDNs and were blank there). The pages' Content-Security-Policy
keeps the browser from even asking another host (ReDoc's bundle asks for the Redocly logo from its CDN)."""

from __future__ import annotations

import time
from urllib.parse import urlsplit

import httpx
import pytest

from tests.browser import chromium_page
from tests.harness import clean_settings, serve

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    settings = clean_settings(data_dir=tmp_path_factory.mktemp("docs") / "var", warm_up=False, chat_enabled=False)
    with serve(settings) as served:
        yield served.base


@pytest.fixture
def offline_page():
    """A page whose requests are recorded (any not to 127.0.0.1 is aborted: offline), and its console errors."""
    with chromium_page() as page:
        requests: list[str] = []
        errors: list[str] = []
        page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)

        def only_local(route):
            requests.append(route.request.url)
            if urlsplit(route.request.url).hostname == "127.0.0.1":
                route.continue_()
            else:
                route.abort()

        page.route("**/*", only_local)
        yield page, requests, errors


def _operations(base: str) -> list[dict]:
    spec = httpx.get(f"{base}/openapi.json", timeout=30).json()
    return [{"method": method, "path": path, **op} for path, item in spec["paths"].items()
            for method, op in item.items()]


def _wait_for_count(page, selector: str, at_least: int, timeout_s: float) -> None:
    """Wait until the page shows ``at_least`` elements matching ``selector``: polled through locators, which run
    in Playwright's own script world (a string predicate would be evaluated in the page, where the pages' CSP
    forbids eval)."""
    deadline = time.monotonic() + timeout_s
    while (count := page.locator(selector).count()) < at_least:
        assert time.monotonic() < deadline, f"{count} of {at_least} {selector!r} after {timeout_s:.0f} s"
        page.wait_for_timeout(250)


def _remote(requests: list[str]) -> list[str]:
    return [url for url in requests if urlsplit(url).hostname != "127.0.0.1"]


def test_swagger_ui_renders_every_operation_offline(server, offline_page, tmp_path):
    page, requests, errors = offline_page
    operations = _operations(server)
    page.goto(f"{server}/docs")
    _wait_for_count(page, ".opblock", len(operations), 60)
    shown = page.locator(".opblock .opblock-summary-path").all_inner_texts()
    assert {o["path"] for o in operations} <= {text.replace("\u200b", "") for text in shown}
    assert page.locator(".info .title").first.inner_text().startswith("Dasan")
    page.screenshot(path=str(tmp_path / "docs.png"))
    assert _remote(requests) == []
    assert f"{server}/openapi.json" in requests and f"{server}/docs/assets/swagger-ui-bundle.js" in requests
    assert errors == []


def test_redoc_renders_every_operation_offline(server, offline_page, tmp_path):
    page, requests, errors = offline_page
    operations = _operations(server)
    page.goto(f"{server}/redoc")
    _wait_for_count(page, '[data-section-id^="operation/"]', len(operations), 90)
    some = next(o for o in operations if o["path"] == "/chat")
    assert page.get_by_text(some["summary"]).count() > 0
    page.screenshot(path=str(tmp_path / "redoc.png"))
    assert _remote(requests) == []
    assert f"{server}/docs/assets/redoc.standalone.js" in requests
    assert all("Content Security Policy" in text and "cdn.redoc.ly" in text for text in errors), errors


def test_the_pages_name_no_other_host(server):
    for page in ("/docs", "/redoc"):
        response = httpx.get(f"{server}{page}", timeout=30)
        assert "default-src 'self'" in response.headers["content-security-policy"]
        html = response.text
        assert "cdn.jsdelivr.net" not in html and "fonts.googleapis.com" not in html and "tiangolo" not in html
    assert httpx.get(f"{server}/docs/assets/swagger-ui.css").headers["content-type"].startswith("text/css")
    assert httpx.get(f"{server}/docs/assets/..%2Fcore.py").status_code == 404
    assert httpx.get(f"{server}/docs/oauth2-redirect").status_code == 200
