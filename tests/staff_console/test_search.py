"""One search (issue 15): GET /search by role (anonymous: public sources only; an official: their department's
meetings, not another's), bad input 4xx, and the /staff/search page in Chromium."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest

from tests.staff_console.conftest import session_client

JFK = Path(__file__).resolve().parents[1] / "data" / "jfk.flac"


@pytest.fixture(scope="module")
def seeded(console_server):
    from civic_services.opendata import samples

    samples.seed(console_server.runtime.opendata, only=["public_parking_lots"])
    return console_server


def _upload(client: httpx.Client, title: str) -> dict:
    with open(JFK, "rb") as f:
        created = client.post("/minutes/jobs", files={"file": ("jfk.flac", f, "audio/flac")},
                              data={"language": "en", "title": title}, headers={"X-CSRF-Token": client.csrf})
    assert created.status_code == 202, created.text
    job, deadline = created.json(), time.monotonic() + 180
    while job["status"] not in ("done", "failed") and time.monotonic() < deadline:
        time.sleep(0.5)
        job = client.get(created.headers["Location"]).json()
    assert job["status"] == "done", job
    return job


@pytest.fixture(scope="module")
def uploaded(seeded):
    """A meeting of 도시교통실 (uploaded through the API by one of its officials), as (meeting id, client)."""
    seeded.runtime.staff_users.create("search.official", "official", "correct horse battery staple",
                                      department="도시교통실")
    client = session_client(seeded.base, "search.official", "correct horse battery staple")
    job = _upload(client, "Inaugural address")
    yield job["meeting_id"], client
    client.close()


def test_anonymous_sees_public_sources_only(seeded):
    found = httpx.get(f"{seeded.base}/search", params={"q": "parking 주차장", "lang": "en"}, timeout=60)
    assert found.status_code == 200, found.text
    body = found.json()
    kinds = {h["kind"] for h in body["hits"]}
    assert "dataset" in kinds and not kinds & {"meeting"}
    assert "meeting" not in body["searched"]
    dataset = next(h for h in body["hits"] if h["kind"] == "dataset")
    assert dataset["link"] == "/data/public_parking_lots" and dataset["title"]
    assert all(set(h) >= {"kind", "title", "snippet", "link", "score"} for h in body["hits"])


def test_bad_input_is_a_4xx_with_a_sentence(seeded):
    empty = httpx.get(f"{seeded.base}/search", params={"q": "  "}, timeout=30)
    assert empty.status_code == 400 and "search" in empty.json()["detail"]
    kinds = httpx.get(f"{seeded.base}/search", params={"q": "x", "kinds": "kb,secrets"}, timeout=30)
    assert kinds.status_code == 400 and "secrets" in kinds.json()["detail"]
    long = httpx.get(f"{seeded.base}/search", params={"q": "x" * 600}, timeout=30)
    assert 400 <= long.status_code < 500


def test_an_official_finds_what_was_said_in_their_departments_meeting(seeded, uploaded):
    meeting_id, client = uploaded
    hits = client.get("/search", params={"q": "ask not what your country can do for you", "kinds": "meeting"}).json()
    mine = [h for h in hits["hits"] if h["kind"] == "meeting"]
    assert mine and mine[0]["id"] == meeting_id, hits
    assert mine[0]["link"].startswith(f"/staff/meetings/{meeting_id}#t=") and "country" in mine[0]["snippet"].lower()
    seeded.runtime.staff_users.create("other.official", "official", "correct horse battery staple",
                                      department="재무과")
    other = session_client(seeded.base, "other.official", "correct horse battery staple")
    theirs = other.get("/search", params={"q": "ask not what your country can do for you"}).json()
    other.close()
    assert not [h for h in theirs["hits"] if h["kind"] == "meeting"]
    anonymous = httpx.get(f"{seeded.base}/search", params={"q": "ask not what your country"}, timeout=60).json()
    assert not [h for h in anonymous["hits"] if h["kind"] == "meeting"]


@pytest.mark.slow
@pytest.mark.parametrize("lang", ["en", "ko"])
def test_the_search_page_shows_hits_with_kind_and_link(seeded, uploaded, signed_in_page, lang):
    from tests.browser import axe_violations

    page = signed_in_page("admin", lang=lang, target="/staff/search")
    page.locator("#q").fill("parking country")
    page.locator("#search button[type=submit]").click()
    page.wait_for_selector("#hits li.hit")
    kinds = page.eval_on_selector_all("#hits li.hit", "els => els.map(e => e.dataset.kind)")
    assert "dataset" in kinds and "meeting" in kinds
    link = page.locator("#hits li.hit[data-kind=meeting] a").first.get_attribute("href")
    assert link.startswith("/staff/meetings/")
    assert not axe_violations(page)
    assert not page.errors


def test_the_search_city_tool_answers_from_public_sources(seeded, uploaded):
    from civic_services.tools.registry import ToolContext, ToolRegistry
    from dasan.search_tool import TOOLS

    registry = ToolRegistry.of(TOOLS)
    services = {"opendata": seeded.runtime.opendata, "iot": seeded.runtime.iot,
                "complaints": seeded.runtime.complaints, "assistant": None}
    result = registry.call("search_city", {"query": "parking country"}, ToolContext(services, lang="en"))
    assert result.table and all(r["kind"] != "meeting" for r in result.table)
    assert any(r["link"] == "/data/public_parking_lots" for r in result.table) and "Found" in result.text
    assert registry.errors("search_city", {}) and registry.openai_tools()[0]["function"]["name"] == "search_city"
