"""Schemathesis over a running server's OpenAPI: every operation under some path prefixes (or all of them), with
valid and invalid inputs, collecting each 5xx and, when asked, each failure of schemathesis's conformance checks.
Shared by the fuzz tests of the civic services and of the whole server (tests/test_schemathesis.py)."""

from __future__ import annotations

import os
from collections.abc import Callable, Container, Mapping, Sequence
from dataclasses import dataclass, field
from urllib.parse import quote, urlencode

import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.core.failures import FailureGroup

EXAMPLES = int(os.environ.get("DASAN_FUZZ_EXAMPLES", "12"))
MODES = (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)


@dataclass
class FuzzReport:
    operations: int = 0
    calls: int = 0
    failures: list[str] = field(default_factory=list)
    fuzzed: list[str] = field(default_factory=list)  # "METHOD /path" of each operation fuzzed


def fuzz_for_server_errors(base: str, prefixes: tuple[str, ...] | None, headers: dict,
                           examples: int = EXAMPLES, checks: list[Callable] = (),
                           skip: Container[str] = (), negative_only: Container[str] = (),
                           known: Mapping[str, Sequence[str]] | None = None,
                           known_not_in: Container[str] = ()) -> FuzzReport:
    """Fuzz the operations whose path starts with one of ``prefixes`` (None: every operation), ``examples``
    valid and ``examples`` invalid cases each, with ``headers`` on every request. A 5xx is always a failure;
    ``checks`` adds schemathesis's response checks (``schemathesis.checks.status_code_conformance``...).
    ``skip``: operations ("METHOD /path") not fuzzed; ``negative_only``: operations fuzzed with invalid input only.
    ``known``: path parameters' names and values of records that exist (a seeded meeting's id...): in about half
    the cases of an operation with such a parameter one of them replaces the generated value, so the handler is
    reached with a record to work on; not in the operations of ``known_not_in`` (a DELETE of the seeded record)."""
    known = dict(known or {})
    schema = schemathesis.openapi.from_url(f"{base}/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    operations = [op for op in operations if prefixes is None or op.path.startswith(prefixes)]
    operations = [op for op in operations if f"{op.method.upper()} {op.path}" not in skip]
    report = FuzzReport(operations=len(operations))
    for operation in operations:
        name = f"{operation.method.upper()} {operation.path}"
        report.fuzzed.append(name)
        for mode in MODES:
            if mode is GenerationMode.POSITIVE and name in negative_only:
                continue

            @settings(max_examples=examples, deadline=None, database=None, phases=[Phase.explicit, Phase.generate],
                      suppress_health_check=list(HealthCheck))
            @given(case=operation.as_strategy(generation_mode=mode), pick=st.integers(min_value=0, max_value=99))
            def run(case, pick):
                report.calls += 1
                if name not in known_not_in and pick % 2 == 0:
                    for parameter in list(case.path_parameters or {}):
                        if parameter in known:
                            values = known[parameter]
                            case.path_parameters[parameter] = values[pick // 2 % len(values)]
                try:
                    response = case.call(base_url=base, headers=headers, timeout=30)
                except (requests.ConnectionError, requests.exceptions.ChunkedEncodingError):
                    # uvicorn (h11) drops a request whose line or headers exceed 16 KB before the app sees it;
                    # that is the server's transport limit (a proxy would answer 414), not an application error.
                    encoded = len(quote(case.formatted_path)) + len(urlencode(case.query or {}, doseq=True))
                    if encoded > 8000:
                        return
                    raise
                if response.status_code == 400 and response.content == b"Invalid HTTP request received.":
                    return  # uvicorn (httptools) refused the request line itself, before the app: a transport limit
                where = f"<- {case.path_parameters} {case.query} {case.body!r:.200}"
                text = response.content[:200].decode("utf-8", "replace")
                if response.status_code >= 500:
                    report.failures.append(f"{name}: {response.status_code} {text} {where}")
                if not checks:
                    return
                try:
                    case.validate_response(response, checks=list(checks), headers=headers)
                except FailureGroup as group:
                    for failure in group.exceptions:
                        report.failures.append(f"{name} ({mode.value}): {failure.title}: {failure.message[:300]} "
                                               f"| {response.status_code} {text} {where}")

            try:
                run()
            except Unsatisfiable:
                if mode is not GenerationMode.NEGATIVE:  # some operations take no input that could be invalid
                    raise
    return report
