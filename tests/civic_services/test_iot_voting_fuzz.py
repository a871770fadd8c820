"""Property-based fuzzing (schemathesis) of the IoT and voting OpenAPI sections over real HTTP: no input may
cause a 5xx. Bounded: a few valid and a few invalid examples per operation, with a staff token holding the
iot:write and voting:admin scopes so the staff routes are exercised too."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from civic_services.voting import OptionSpec, PollSpec
from tests.civic_services.fuzzing import fuzz_for_server_errors

pytestmark = pytest.mark.slow
PREFIXES = ("/v1.1", "/iot/", "/voting/")


def test_no_input_causes_a_server_error(server):
    server.runtime.iot.provision_stations(3, prefix="fuzz")
    now = datetime.now(timezone.utc)
    server.runtime.voting.create_poll(PollSpec(kind="policy", title="fuzz", options=(OptionSpec("찬성"), OptionSpec("반대")),
                                             opens_at=now - timedelta(hours=1), closes_at=now + timedelta(hours=1)))
    headers = server.staff_token("iot:write", "voting:admin")
    report = fuzz_for_server_errors(server.base, PREFIXES, headers)
    assert report.operations >= 20
    assert report.calls >= report.operations
    assert not report.failures, "\n".join(report.failures[:10])
