"""Property-based fuzzing (schemathesis) of the IoT and voting OpenAPI sections over real HTTP: no input may
cause a 5xx. Bounded: a few valid and a few invalid examples per operation, with a staff token holding the
iot:write and voting:admin scopes so the staff routes are exercised too."""

from __future__ import annotations

import os
from datetime import datetime, timedelta, timezone

import pytest
import requests
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable

import schemathesis
from schemathesis import GenerationMode

from civic_services.voting import OptionSpec, PollSpec

pytestmark = pytest.mark.slow
PREFIXES = ("/v1.1", "/iot/", "/voting/")
EXAMPLES = int(os.environ.get("DASAN_FUZZ_EXAMPLES", "12"))


def test_no_input_causes_a_server_error(server):
    server.state.iot.provision_stations(3, prefix="fuzz")
    now = datetime.now(timezone.utc)
    server.state.voting.create_poll(PollSpec(kind="policy", title="fuzz", options=(OptionSpec("찬성"), OptionSpec("반대")),
                                             opens_at=now - timedelta(hours=1), closes_at=now + timedelta(hours=1)))
    headers = server.staff_token("iot:write", "voting:admin")
    schema = schemathesis.openapi.from_url(f"{server.base}/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    operations = [op for op in operations if op.path.startswith(PREFIXES)]
    assert len(operations) >= 20
    failures = []
    calls = {"n": 0}
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            @settings(max_examples=EXAMPLES, deadline=None, database=None, phases=[Phase.explicit, Phase.generate],
                      suppress_health_check=list(HealthCheck))
            @given(case=operation.as_strategy(generation_mode=mode))
            def run(case):
                calls["n"] += 1
                try:
                    response = case.call(base_url=server.base, headers=headers, timeout=30)
                except requests.ConnectionError:
                    return  # h11 drops request lines over 16 KB before the app sees them (a transport limit)
                if response.status_code >= 500:
                    failures.append(f"{operation.method.upper()} {operation.path}: {response.status_code} "
                                    f"{response.text[:200]} <- {case.path_parameters} {case.query} {case.body!r:.200}")

            try:
                run()
            except Unsatisfiable:
                if mode is not GenerationMode.NEGATIVE:
                    raise
    assert calls["n"] >= len(operations)
    assert not failures, "\n".join(failures[:10])
