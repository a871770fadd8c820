"""Prometheus metrics and request ids over real HTTP: a real server (in a thread, over a real database), a real
scraper's view of /metrics (parsed with prometheus_client's own parser), the id carried to the log."""

from __future__ import annotations

import logging

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.harness import clean_settings, serve


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    settings = clean_settings(data_dir=tmp_path_factory.mktemp("metrics") / "var", chat_enabled=False,
                              warm_up=False)
    with serve(settings) as running:
        yield running


def _token(server, *scopes, role="staff") -> dict:
    token = server.runtime.staff_tokens.create("scraper", list(scopes), role=role).token
    return {"Authorization": f"Bearer {token}"}


def _samples(text: str) -> dict:
    return {(sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in text_string_to_metric_families(text) for sample in family.samples}


def test_metrics_need_the_scope_and_count_requests_by_route_template(server):
    assert httpx.get(f"{server.base}/metrics").status_code == 401
    assert httpx.get(f"{server.base}/metrics", headers=_token(server, "complaints:read")).status_code == 403
    for ticket in ("nope-1", "nope-2", "nope-3"):  # three paths, one route
        httpx.get(f"{server.base}/open311/v2/requests/{ticket}.json")
    scraped = httpx.get(f"{server.base}/metrics", headers=_token(server, "metrics:read"))
    assert scraped.status_code == 200 and scraped.headers["content-type"].startswith("text/plain")
    samples = _samples(scraped.text)
    route = next(labels for (name, labels) in samples if name == "dasan_http_requests_total"
                 and dict(labels).get("route", "").startswith("/open311/v2/requests/"))
    assert "{" in dict(route)["route"], route  # the template, not the ticket
    assert samples[("dasan_http_requests_total", route)] >= 3
    assert samples[("dasan_jobs", (("state", "queued"),))] == 0
    assert ("dasan_voice_calls_in_progress", ()) in samples
    assert any(name == "dasan_http_request_seconds_bucket" for name, _ in samples)


def test_every_response_carries_a_request_id_and_a_plain_given_one_is_kept(server):
    fresh = httpx.get(f"{server.base}/healthz")
    assert len(fresh.headers["x-request-id"]) == 16
    kept = httpx.get(f"{server.base}/open311/v2/requests/missing.json", headers={"X-Request-ID": "lb-7f3a.01"})
    assert kept.headers["x-request-id"] == "lb-7f3a.01"
    odd = httpx.get(f"{server.base}/healthz", headers={"X-Request-ID": "a b\\c" * 30})
    assert odd.headers["x-request-id"] != "a b\\c" * 30 and len(odd.headers["x-request-id"]) == 16


def test_log_lines_carry_the_id_of_the_request_or_job_they_were_written_for():
    import json

    from dasan.logging_setup import JsonFormatter
    from webapi.metrics import RequestIdFilter, bound_request_id

    lines: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record):
            lines.append(self.format(record))

    handler = Keep()
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(JsonFormatter())
    log = logging.getLogger("tests.request_ids")
    log.addHandler(handler)
    try:
        with bound_request_id("lb-7f3a.01"):  # as a minutes job runs under the id of the upload's request
            log.warning("transcribing")
        log.warning("between requests")
    finally:
        log.removeHandler(handler)
    assert json.loads(lines[0])["request_id"] == "lb-7f3a.01" and "request_id" not in json.loads(lines[1])
