"""Every console route refuses an anonymous caller (a browser is sent to sign in, a program gets 401) and a
signed-in person of the wrong role or without the scope (403); the right person gets the page."""

from __future__ import annotations

import httpx
import pytest

from tests.staff_console.conftest import session_client

PAGES = ("/staff", "/staff/complaints", "/staff/calls", "/staff/ask")
APIS = ("/staff/dashboard/summary", "/staff/dashboard/stream", "/staff/calls/recent", "/staff/console.js",
        "/open311/v2/staff/requests", "/open311/v2/staff/outbox", "/open311/v2/staff/departments")


def test_anonymous_browsers_are_sent_to_sign_in_and_programs_get_401(console_server):
    with httpx.Client(base_url=console_server.base, timeout=30, follow_redirects=False) as http:
        for path in PAGES:
            answer = http.get(path, headers={"Accept": "text/html"})
            assert answer.status_code == 303 and answer.headers["location"].startswith("/staff/login?next="), path
            assert http.get(path, headers={"Accept": "application/json"}).status_code == 401, path
        for path in APIS:
            assert http.get(path).status_code == 401, path
        assert http.post("/staff/calls/CA1/take").status_code == 401
        assert http.post("/staff/ask", json={"message": "how many complaints per district"}).status_code == 401


def test_wrong_roles_and_missing_scopes_get_403(console_server, staff_user):
    official = session_client(console_server.base, *staff_user("official"))
    agent = session_client(console_server.base, *staff_user("agent"))
    reader = session_client(console_server.base, *staff_user("staff", ("complaints:read",)))
    try:
        html = {"Accept": "text/html"}
        assert official.get("/staff", headers=html).status_code == 200  # any staff role sees the dashboard
        assert agent.get("/staff/ask", headers=html).status_code == 200  # and may ask the data
        assert official.get("/staff/calls", headers=html).status_code == 403  # agents' calls
        assert official.get("/staff/calls/recent").status_code == 403
        assert official.post("/staff/calls/CA1/take", headers={"X-CSRF-Token": official.csrf}).status_code == 403
        assert official.get("/staff/complaints", headers=html).status_code == 403  # no complaints:read
        assert agent.get("/staff/complaints", headers=html).status_code == 403
        assert agent.get("/staff/calls", headers=html).status_code == 200
        assert reader.get("/staff/complaints", headers=html).status_code == 200
        assert reader.get("/staff/calls", headers=html).status_code == 403
        # a session's write without its CSRF token is refused; with it, an unknown call is a 404 sentence
        assert agent.post("/staff/calls/CA-none/take").status_code == 403
        missing = agent.post("/staff/calls/CA-none/take", headers={"X-CSRF-Token": agent.csrf})
        assert missing.status_code == 404 and "no call" in missing.json()["detail"]
        assert reader.get("/open311/v2/staff/requests", params={"age": "ancient"}).status_code == 400
        assert reader.get("/open311/v2/staff/requests", params={"district": "Atlantis"}).status_code == 400
    finally:
        for client in (official, agent, reader):
            client.close()
