"""Schemathesis over a running server's OpenAPI: every operation under some path prefixes, with valid and
invalid inputs, collecting each 5xx. Shared by the fuzz tests of the civic services."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from urllib.parse import quote, urlencode

import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode

EXAMPLES = int(os.environ.get("DASAN_FUZZ_EXAMPLES", "12"))


@dataclass
class FuzzReport:
    operations: int = 0
    calls: int = 0
    failures: list[str] = field(default_factory=list)


def fuzz_for_server_errors(base: str, prefixes: tuple[str, ...], headers: dict,
                           examples: int = EXAMPLES) -> FuzzReport:
    schema = schemathesis.openapi.from_url(f"{base}/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    operations = [op for op in operations if op.path.startswith(prefixes)]
    report = FuzzReport(operations=len(operations))
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            @settings(max_examples=examples, deadline=None, database=None, phases=[Phase.explicit, Phase.generate],
                      suppress_health_check=list(HealthCheck))
            @given(case=operation.as_strategy(generation_mode=mode))
            def run(case):
                report.calls += 1
                try:
                    response = case.call(base_url=base, headers=headers, timeout=30)
                except (requests.ConnectionError, requests.exceptions.ChunkedEncodingError):
                    # uvicorn (h11) drops a request whose line or headers exceed 16 KB before the app sees it;
                    # that is the server's transport limit (a proxy would answer 414), not an application error.
                    encoded = len(quote(case.formatted_path)) + len(urlencode(case.query or {}, doseq=True))
                    if encoded > 8000:
                        return
                    raise
                if response.status_code >= 500:
                    report.failures.append(
                        f"{operation.method.upper()} {operation.path}: {response.status_code} "
                        f"{response.text[:200]} <- {case.path_parameters} {case.query} {case.body!r:.200}")

            try:
                run()
            except Unsatisfiable:
                if mode is not GenerationMode.NEGATIVE:  # some operations take no input that could be invalid
                    raise
    return report
