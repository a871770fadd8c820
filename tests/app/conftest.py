"""Fixtures of the app tests."""

from __future__ import annotations

import pytest

from civic_services.staff import SCOPES


@pytest.fixture(scope="session")
def admin_headers():
    """``admin_headers(runtime)``: the Authorization header of a new token that every route lets through, so that
    what a test meets is the mechanism it tests (an admin's; where tokens have no roles yet, every scope's)."""

    def make(runtime) -> dict:
        try:
            issued = runtime.staff_tokens.create("tests-admin", list(SCOPES), role="admin")
        except TypeError:  # tokens from before the access model's roles
            issued = runtime.staff_tokens.create("tests-admin", list(SCOPES))
        return {"Authorization": f"Bearer {issued.token}"}

    return make
