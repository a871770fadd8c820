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
