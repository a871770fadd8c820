"""Errors as a class, against a real server over real HTTP: no input makes a 500 (text with a lone surrogate, from
JSON's ``\\ud800``, on every operation of the OpenAPI document), a validation error never echoes unbounded input,
an unexpected exception is a 500 with a generic message and a request id (the traceback in the log, under that
id), and no error message shows a server path."""

from __future__ import annotations

import json
import logging
import re

import httpx
import pytest
from fastapi import APIRouter, HTTPException

from dasan.serving import serve_in_thread
from tests.harness import clean_settings, serve
from webapi.errors import error_route, plain_json, public_text

pytestmark = pytest.mark.slow

SURROGATE = "\ud800x"  # json.dumps writes it as the escape "\ud800x", as a client sends it
BAD_UTF8 = b"\xed\xa0\x80x"  # the same code point in UTF-8 bytes (invalid), for forms and query strings


@pytest.fixture(scope="module")
def server(runtime, assistant):
    """The app over the tests' runtime, the assistant open (so /chat validates its body)."""
    with serve(runtime=runtime, ready=False) as served:
        yield served


@pytest.fixture(scope="module")
def admin(server, admin_headers) -> dict:
    return admin_headers(server.runtime)


def _schema(spec: dict, schema: dict) -> dict:
    while "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def _url(path: str) -> str:
    return re.sub(r"\{[^}]+\}", lambda m: {"{fmt}": "json", "{path}": "Things"}.get(m.group(0), "x1"), path)


def requests_with_surrogates(spec: dict):
    """(method, url, keyword arguments of httpx) for every operation: lone surrogates in every JSON string it
    takes, invalid UTF-8 in its form fields and query parameters."""
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if method == "delete":
                continue
            names = [p["name"] for p in operation.get("parameters", []) if p["in"] == "query"]
            url = _url(path) + ("?" + "&".join(f"{name}=%ED%A0%80x" for name in names) if names else "")
            content = operation.get("requestBody", {}).get("content", {})
            if method == "get":
                yield method, url, {}
                if names:  # JSON in a query parameter (CKAN's filters): its escapes make surrogates
                    yield method, _url(path), {"params": {name: json.dumps({SURROGATE: [SURROGATE]}) for name in names}}
            elif "application/json" in content:
                properties = _schema(spec, content["application/json"]["schema"]).get("properties", {})
                yield method, url, {"content": json.dumps({name: SURROGATE for name in properties}),
                                    "headers": {"Content-Type": "application/json"}}
                yield method, url, {"content": json.dumps({SURROGATE: SURROGATE}),
                                    "headers": {"Content-Type": "application/json"}}
            elif content:  # a form
                [form] = content.values()
                properties = _schema(spec, form["schema"]).get("properties", {})
                files = [(name, ("x.bin", b"x", "application/octet-stream")) for name, field in properties.items()
                         if field.get("format") == "binary" or "contentMediaType" in field]
                yield method, url, {"data": {name: BAD_UTF8 for name in properties if name not in dict(files)},
                                    "files": files or None}
            else:  # a route that reads its body itself (SensorThings, the Rasa webhook)
                yield method, url, {"content": json.dumps({"name": SURROGATE, "description": SURROGATE,
                                                           "result": SURROGATE, "next_action": SURROGATE,
                                                           "properties": {SURROGATE: SURROGATE}}),
                                    "headers": {"Content-Type": "application/json"}}


def test_no_operation_answers_a_lone_surrogate_with_a_500(server, admin):
    spec = httpx.get(f"{server.base}/openapi.json").json()
    tried, failures = 0, []
    with httpx.Client(base_url=server.base, timeout=60) as http:
        for method, url, kwargs in requests_with_surrogates(spec):
            for headers in ({}, admin):  # anonymous, and past every access check
                kwargs = {**kwargs, "headers": {**kwargs.get("headers", {}), **headers}}
                tried += 1
                try:
                    response = http.request(method.upper(), url, **kwargs)
                except httpx.TransportError as exc:  # the server broke the connection
                    failures.append(f"{method.upper()} {url}: {exc!r}")
                    continue
                text = response.content.decode("utf-8")  # what comes back is UTF-8
                if response.status_code >= 500 or (response.status_code >= 400 and len(text) > 4000):
                    failures.append(f"{method.upper()} {url}: {response.status_code} {text[:200]}")
    assert tried > 150
    assert failures == [], "\n".join(failures)


def test_chat_says_a_lone_surrogate_is_not_text(server):
    for path in ("/chat", "/chat/stream"):
        response = httpx.post(f"{server.base}{path}", content=b'{"message": "\\ud800x"}',
                              headers={"Content-Type": "application/json"})
        assert response.status_code == 422, response.text
        [problem] = response.json()["detail"]
        assert problem["type"] == "string_unicode" and problem["loc"] == ["body", "message"]
        assert problem["input"] == "\\ud800x"  # escaped: the answer is valid UTF-8


def test_a_validation_error_echoes_a_bounded_input(server):
    response = httpx.post(f"{server.base}/chat", json={"message": "가" * 300_000})  # 900 KB: under the body limit
    assert response.status_code == 422
    [problem] = response.json()["detail"]
    assert problem["type"] == "string_too_long" and len(problem["input"]) <= 100
    assert len(response.content) < 1000


def test_a_surrogate_sensorthings_write_is_a_400_and_stores_nothing(server, admin):
    before = httpx.get(f"{server.base}/v1.1/Things", params={"$count": "true"}).json()
    response = httpx.post(f"{server.base}/v1.1/Things", headers=admin,
                          content=b'{"name": "\\ud800x", "description": "a sensor"}')
    assert response.status_code == 400
    assert response.json()["message"].startswith("the request holds text that is not valid Unicode")
    assert httpx.get(f"{server.base}/v1.1/Things", params={"$count": "true"}).json() == before


def test_a_surrogate_in_a_datastore_search_is_a_ckan_validation_error(server):
    response = httpx.post(f"{server.base}/api/3/action/datastore_search",
                          content=b'{"resource_id": "\\ud800x", "q": "\\udfff"}',
                          headers={"Content-Type": "application/json"})
    assert response.status_code == 409 and response.json()["error"]["__type"] == "Validation Error"


# --- unexpected exceptions and server paths

class LockedError(Exception):
    status = 423

    def __init__(self, message: str) -> None:
        self.message = message


@pytest.fixture(scope="module")
def broken(tmp_path_factory):
    """The real app with three routes that fail as a bug would, naming a server file."""
    from dasan.app import create_app

    data = tmp_path_factory.mktemp("broken") / "var"
    secret = data / "uploads" / "3f2a.wav"
    app = create_app(clean_settings(data_dir=data, warm_up=False, chat_enabled=False))

    @app.get("/broken/crash")
    def crash():
        raise RuntimeError(f"cannot open {secret}")

    @app.get("/broken/detail")
    def detail():
        raise HTTPException(415, f"cannot decode {secret}: no audio stream")

    shell = APIRouter(route_class=error_route(plain_json, service_errors=LockedError))

    @shell.get("/broken/shell-crash")
    def shell_crash():
        raise KeyError(str(secret))

    @shell.get("/broken/shell-locked")
    def shell_locked():
        raise LockedError(f"'{secret}' is locked")

    app.include_router(shell)
    with serve_in_thread(app) as running:
        yield running.base, secret


def test_an_unexpected_exception_is_a_500_with_a_request_id(broken, caplog):
    base, secret = broken
    with caplog.at_level(logging.ERROR, logger="webapi.errors"):
        response = httpx.get(f"{base}/broken/crash")
    assert response.status_code == 500
    body = response.json()
    request_id = body["request_id"]
    assert response.headers["x-request-id"] == request_id
    assert body["detail"] == (f"internal server error (request id {request_id}); the server has logged what went "
                              "wrong")
    [record] = [r for r in caplog.records if request_id in r.getMessage()]
    assert record.exc_info and record.exc_info[0] is RuntimeError  # the traceback is in the server's log
    assert "GET /broken/crash" in record.getMessage()


def test_an_unexpected_exception_in_an_api_is_a_500_in_its_envelope(broken):
    base, secret = broken
    response = httpx.get(f"{base}/broken/shell-crash")
    assert response.status_code == 500 and response.json()["code"] == 500 and response.json()["type"] == "error"
    assert "request id" in response.json()["message"] and str(secret) not in response.text
    assert response.headers["x-request-id"] in response.json()["message"]


def test_error_messages_show_no_server_path(broken):
    base, secret = broken
    detail = httpx.get(f"{base}/broken/detail")
    assert detail.status_code == 415 and detail.json() == {"detail": "cannot decode 3f2a.wav: no audio stream"}
    locked = httpx.get(f"{base}/broken/shell-locked")
    assert locked.status_code == 423 and locked.json()["message"] == "'3f2a.wav' is locked"
    # what is cut is a path under a folder of this machine's root; an API path in a message stays as it is
    assert public_text(f"see /open311/v2/requests.json, not {secret.parent}") == "see /open311/v2/requests.json, not uploads"
