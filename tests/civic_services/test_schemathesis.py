"""Property-based fuzzing (schemathesis) of both civic OpenAPI sections over real HTTP: no input may cause a
5xx. Bounded: a few valid and a few invalid examples per operation, with a staff token so the staff routes are exercised too."""

from __future__ import annotations

import pytest

from civic_services.opendata import samples
from tests.civic_services.fuzzing import fuzz_for_server_errors

pytestmark = pytest.mark.slow
PREFIXES = ("/open311/", "/api/3/", "/catalog", "/dataset/", "/{key}/")


def test_no_input_causes_a_server_error(server):
    samples.seed(server.runtime.opendata, only=["public_toilets"])
    headers = server.staff_token("complaints:read", "complaints:write", "opendata:write")
    report = fuzz_for_server_errors(server.base, PREFIXES, headers)
    assert report.operations >= 20
    assert report.calls >= report.operations * 2
    assert not report.failures, "\n".join(report.failures[:10])
