"""Headless Chromium for the page tests (Playwright driving the Debian Chromium, whose own download is not used)."""

from __future__ import annotations

import shutil
from contextlib import contextmanager
from pathlib import Path

import pytest

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
_QUIET = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
          "--disable-sync", "--no-first-run"]


@contextmanager
def chromium_page(microphone_wav: Path | None = None):
    """A fresh page; with ``microphone_wav`` the page's microphone plays that file (granted without a prompt)."""
    if CHROMIUM is None:
        pytest.skip("Chromium is not installed (`make system-packages` installs it)")
    from playwright.sync_api import sync_playwright

    args = list(_QUIET)
    if microphone_wav is not None:
        args += ["--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
                 f"--use-file-for-fake-audio-capture={microphone_wav}", "--autoplay-policy=no-user-gesture-required"]
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=args)
        try:
            if microphone_wav is None:
                yield browser.new_page()
            else:
                yield browser.new_context(permissions=["microphone"]).new_page()
        finally:
            browser.close()


@contextmanager
def local_page():
    """A fresh page that may load only from this machine: every request is recorded in ``page.requests`` and one
    to another host is aborted (and fails the test at the end); console errors are in ``page.errors``."""
    from urllib.parse import urlsplit

    with chromium_page() as page:
        page.requests, page.errors = [], []
        page.on("console", lambda m: page.errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: page.errors.append(str(e)))

        def only_local(route):
            page.requests.append(route.request.url)
            if urlsplit(route.request.url).hostname == "127.0.0.1":
                route.continue_()
            else:
                route.abort()

        page.route("**/*", only_local)
        yield page
        assert [u for u in page.requests if urlsplit(u).hostname != "127.0.0.1"] == []


def wait_ready(page, timeout_s: float = 30) -> None:
    """Until the page's script says it is ready (``<body data-ready="1">``)."""
    page.locator("body[data-ready='1']").wait_for(timeout=timeout_s * 1000)


def wait_until(page, expression: str, timeout_s: float = 20) -> None:
    """Poll an expression with page.evaluate (wait_for_function builds a Function, which the pages' CSP forbids)."""
    import time

    deadline = time.monotonic() + timeout_s
    while not page.evaluate(expression):
        assert time.monotonic() < deadline, f"not true after {timeout_s:.0f} s: {expression}"
        page.wait_for_timeout(100)


AXE = Path(__file__).resolve().parent / "vendor" / "axe-core" / "axe.min.js"


def axe_violations(page) -> list[dict]:
    """axe-core's serious and critical violations on the page as it is now."""
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    assert result["testEngine"]["name"] == "axe-core" and result["inapplicable"] is not None
    return [{"id": v["id"], "impact": v["impact"], "help": v["help"],
             "nodes": [n["target"] for n in v["nodes"]][:3]}
            for v in result["violations"] if v["impact"] in ("serious", "critical")]


def sideways_scroll(page) -> tuple[int, int]:
    """The document's scroll width and client width: the page scrolls sideways when the first is larger."""
    return page.evaluate("[document.documentElement.scrollWidth, document.documentElement.clientWidth]")
