"""What the staff console's tests share: one server over a real database (module by module), staff accounts made
with the runtime's users service, and a headless Chromium page signed in as one of them.

* ``console_server``: the served app (``.base``, ``.runtime``);
* ``staff_user(role, scopes=(), department=None)``: a new account; returns (name, password);
* ``signed_in_page(role, scopes=(), department=None, lang="en")``: a local-only page (``page.errors`` holds its
  console errors), signed in through the sign-in form, on ``/staff``.
"""

from __future__ import annotations

import itertools
from contextlib import ExitStack

import httpx
import pytest

from tests.browser import local_page
from tests.harness import clean_settings, serve

PASSWORD = "correct horse battery staple"
_numbers = itertools.count(1)


@pytest.fixture(scope="module")
def console_server(tmp_path_factory):
    settings = clean_settings(data_dir=tmp_path_factory.mktemp("console") / "var", warm_up=False, chat_enabled=False)
    with serve(settings) as served:
        yield served


@pytest.fixture
def staff_user(console_server):
    def make(role: str, scopes: tuple[str, ...] = (), department: str | None = None) -> tuple[str, str]:
        name = f"{role}.{next(_numbers)}"
        if role == "official" and department is None:
            department = "도시교통실"
        console_server.runtime.staff_users.create(name, role, PASSWORD, department=department, scopes=tuple(scopes))
        return name, PASSWORD

    return make


def sign_in(page, base: str, name: str, password: str, target: str = "/staff") -> None:
    page.goto(f"{base}{target}")
    assert "/staff/login" in page.url
    page.locator("input[name=name]").fill(name)
    page.locator("input[name=password]").fill(password)
    page.locator("form button[type=submit]").click()
    page.wait_for_url(f"{base}{target}")


@pytest.fixture
def signed_in_page(console_server, staff_user):
    with ExitStack() as stack:
        def open_page(role: str, scopes: tuple[str, ...] = (), department: str | None = None, lang: str = "en",
                      target: str = "/staff"):
            page = stack.enter_context(local_page())
            name, password = staff_user(role, scopes, department)
            page.goto(f"{console_server.base}/staff/login?lang={lang}")  # the language is remembered
            sign_in(page, console_server.base, name, password, target)
            page.user_name = name
            return page

        yield open_page


def session_client(base: str, name: str, password: str) -> httpx.Client:
    """An HTTP client signed in like a browser (cookie session); ``client.csrf`` is the session's token."""
    import re

    client = httpx.Client(base_url=base, timeout=30, follow_redirects=False)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/staff/login").text).group(1)
    done = client.post("/staff/login", data={"name": name, "password": password, "csrf_token": csrf})
    assert done.status_code == 303 and "error=" not in done.headers["location"], done.headers
    client.csrf = client.get("/staff/me").json()["csrf_token"]
    return client
