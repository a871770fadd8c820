"""The meetings pages of the staff console (issue 15): a recording uploaded through the page, its progress in real
counts; refused to anonymous and wrong-role callers; the library lists the meeting and finds it by what was said,
the meeting page shows its transcript, speakers, exports; axe-core in ko and en."""

from __future__ import annotations

import httpx
import pytest

from tests.staff_console.conftest import PASSWORD, session_client
from tests.staff_console.test_search import JFK


@pytest.fixture(scope="module")
def meeting(console_server):
    """A meeting uploaded through the page as an official would (choose the file, a title, upload), its progress
    read as it goes; the meeting's id once the page links to it."""
    import time

    from tests.browser import local_page
    from tests.staff_console.conftest import sign_in

    base = console_server.base
    console_server.runtime.staff_users.create("meetings.official", "official", PASSWORD, department="도시교통실")
    seen = []
    with local_page() as page:
        page.goto(f"{base}/staff/login?lang=en")
        sign_in(page, base, "meetings.official", PASSWORD, "/staff/meetings")
        page.locator("#file").wait_for(state="attached")
        page.set_input_files("#file", str(JFK))
        page.locator("#mtitle").fill("Inaugural address")
        page.locator("#upload button[type=submit]").click()
        deadline = time.monotonic() + 240
        while not page.locator("#opened").is_visible() and time.monotonic() < deadline:
            seen.append(page.locator("#progress").inner_text())
            assert not page.locator("#error").inner_text(), page.locator("#error").inner_text()
            time.sleep(0.25)
        assert page.locator("#opened").is_visible(), seen
        link = page.locator("#open-link").get_attribute("href")
        assert not page.errors
    assert seen and not any("None" in text for text in seen), seen  # real counts, never "0/None"
    return link.rsplit("/", 1)[1]


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
    assert page.locator("#exports a").count() == 7  # md, docx, the government form, srt, vtt, json, txt
    assert not axe_violations(page)
    page.locator("#transcript li.line button").nth(1).click()  # "correct" on the first line
    page.locator("#transcript li.line textarea").fill("Ask not what your country can do for you.")
    page.locator("#transcript li.line form button").click()
    page.wait_for_selector("#done:not(:empty)")
    assert not page.errors
