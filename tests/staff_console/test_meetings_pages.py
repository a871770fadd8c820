"""The meetings pages of the staff console (issue 15): refused to anonymous and wrong-role callers; the library
lists an uploaded meeting, the meeting page shows its transcript, speakers, exports; axe-core in ko and en."""

from __future__ import annotations

import httpx
import pytest

from tests.staff_console.conftest import PASSWORD, session_client
from tests.staff_console.test_search import _upload


@pytest.fixture(scope="module")
def meeting(console_server):
    console_server.runtime.staff_users.create("meetings.official", "official", PASSWORD, department="도시교통실")
    client = session_client(console_server.base, "meetings.official", PASSWORD)
    job = _upload(client, "Inaugural address")
    client.close()
    return job["meeting_id"]


@pytest.mark.parametrize("path", ["/staff/meetings", "/staff/meetings/abc123", "/staff/search"])
def test_anonymous_and_wrong_roles_are_refused(console_server, staff_user, path):
    base = console_server.base
    browser = httpx.get(base + path, headers={"Accept": "text/html"}, follow_redirects=False, timeout=30)
    assert browser.status_code == 303 and "/staff/login" in browser.headers["location"]
    assert httpx.get(base + path, headers={"Accept": "application/json"}, timeout=30).status_code == 401
    if path.startswith("/staff/meetings"):
        name, password = staff_user("agent")
        agent = session_client(base, name, password)
        assert agent.get(path, headers={"Accept": "application/json"}).status_code == 403
        agent.close()


def test_a_bad_meeting_id_is_a_404(console_server, staff_user):
    name, password = staff_user("official")
    client = session_client(console_server.base, name, password)
    assert client.get("/staff/meetings/" + "x" * 80).status_code == 404
    client.close()


@pytest.mark.slow
@pytest.mark.parametrize("lang", ["ko", "en"])
def test_library_lists_the_meeting_and_its_page_shows_the_transcript(console_server, meeting, signed_in_page, lang):
    from tests.browser import axe_violations

    page = signed_in_page("admin", lang=lang, target="/staff/meetings")
    page.wait_for_selector(f"#meetings a[href='/staff/meetings/{meeting}']")
    assert page.locator("html").get_attribute("lang") == lang
    assert not page.locator("#progress").inner_text().count("None")
    assert not axe_violations(page)
    page.locator("#q").fill("ask not what your country")
    page.locator("#filters button[type=submit]").click()
    page.wait_for_selector(f"#meetings a[href^='/staff/meetings/{meeting}#t=']")
    page.locator(f"#meetings a[href^='/staff/meetings/{meeting}']").first.click()
    page.wait_for_selector("#transcript li.line")
    text = page.locator("#transcript").inner_text().lower()
    assert "country" in text
    assert page.locator("#exports a").count() == 6
    assert not axe_violations(page)
    page.locator("#transcript li.line button").nth(1).click()  # "correct" on the first line
    page.locator("#transcript li.line textarea").fill("Ask not what your country can do for you.")
    page.locator("#transcript li.line form button").click()
    page.wait_for_selector("#done:not(:empty)")
    assert not page.errors
