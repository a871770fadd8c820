"""Every request body has a limit before and after decompression (webapi.limits), against a real server over real
HTTP: a declared length over the limit is refused before the body is read, a streamed one is cut off, a deflate
bomb stops at the limit, each API answers 413 in its own envelope, and the uploads keep the limits their settings
give them (they pass the default limit of a JSON API)."""

from __future__ import annotations

import gzip
import io
import json
import os
import socket
import time
import zlib

import httpx
import pytest
from PIL import Image

from tests.harness import clean_settings, serve
from webapi.limits import BodyTooLarge, inflate

DEFAULT = 1_000_000


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    settings = clean_settings(data_dir=tmp_path_factory.mktemp("limits") / "var", warm_up=False,
                              chat_enabled=False, request_body_max_bytes=DEFAULT,
                              minutes_upload_max_bytes=3_000_000, complaint_photo_max_bytes=2_500_000,
                              complaint_video_max_bytes=3_000_000)
    with serve(settings) as served:
        yield served


@pytest.fixture(scope="module")
def http(server):
    with httpx.Client(base_url=server.base, timeout=60) as client:
        yield client


@pytest.fixture(scope="module")
def staff(server, admin_headers) -> dict:
    return admin_headers(server.runtime)


def rasa_call(**slots) -> dict:
    return {"next_action": "action_complaint_status", "sender_id": "limits",
            "tracker": {"sender_id": "limits", "slots": slots, "latest_message": {"text": "status?"}, "events": []},
            "domain": {}}


def raw_exchange(base: str, head: str, body: bytes = b"", wait: float = 10) -> tuple[bytes, float]:
    """Send ``head`` (and ``body``) over a plain socket; the answer and how long it took."""
    host, port = base.removeprefix("http://").split(":")
    started = time.monotonic()
    with socket.create_connection((host, int(port)), timeout=wait) as sock:
        sock.sendall(head.encode() + body)
        answer = b""
        while b"\r\n\r\n" not in answer or not answer.rstrip().endswith(b"}"):
            chunk = sock.recv(65536)
            if not chunk:
                break
            answer += chunk
    return answer, time.monotonic() - started


# --- the raw body

def test_a_declared_length_over_the_limit_is_refused_before_the_body_is_sent(server):
    head = (f"POST /chat HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            f"Content-Length: {10**9}\r\nConnection: close\r\n\r\n")
    answer, took = raw_exchange(server.base, head)  # not one byte of the gigabyte is sent
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    assert took < 5
    detail = json.loads(answer.split(b"\r\n\r\n", 1)[1])["detail"]
    assert detail == f"the request body ({10**9:,} bytes) is larger than this endpoint accepts: at most {DEFAULT:,} bytes"


def test_a_streamed_body_is_cut_off_at_the_limit(http):
    sent = []

    def chunks():
        for _ in range(100):  # 10 MB, chunked: no Content-Length to refuse it by
            sent.append(100_000)
            yield b" " * 100_000

    response = http.post("/chat", content=chunks(), headers={"Content-Type": "application/json"})
    assert response.status_code == 413
    assert response.json()["detail"].endswith(f"at most {DEFAULT:,} bytes")


def test_chat_takes_no_five_megabyte_body(http):
    response = http.post("/chat", json={"message": "a" * 5_000_000})
    assert response.status_code == 413
    assert len(response.content) < 300  # the input is not echoed back


def test_each_api_answers_413_in_its_envelope(http, staff):
    big = b"{" + b" " * 2_000_000 + b"}"
    ckan = http.post("/api/3/action/datastore_search", content=big, headers={"Content-Type": "application/json"})
    assert ckan.status_code == 413 and ckan.json()["success"] is False
    assert "at most 1,000,000 bytes" in ckan.json()["error"]["message"]
    voting = http.post("/voting/voters", content=b" " * 21_000_000, headers={**staff, "Content-Type": "application/json"})
    assert voting.status_code == 413 and voting.json()["code"] == 413 and voting.json()["type"] == "error"
    iot = http.post("/v1.1/Things", content=b" " * 33_000_000, headers={**staff, "Content-Type": "application/json"})
    assert iot.status_code == 413 and "at most 32,000,000 bytes" in iot.json()["message"]
    open311 = http.post("/open311/v2/requests.json", data={"service_code": "graffiti"},
                        files=[("media", ("big.jpg", b"\xff" * 9_000_000, "image/jpeg"))])
    [error] = open311.json()
    assert open311.status_code == 413 and error["code"] == 413 and "at most 8,500,000 bytes" in error["description"]
    rasa = http.post("/webhook", content=big, headers={"Content-Type": "application/json"})
    assert rasa.status_code == 413 and rasa.json()["action_name"] is None and "at most" in rasa.json()["error"]


# --- the uploads keep their own limits, from the settings

def test_a_recording_past_the_default_limit_is_taken_up_to_its_setting(http, server, staff):
    two_mb = b"not a recording " * 130_000  # 2.1 MB: past the default, within minutes_upload_max_bytes
    response = http.post("/minutes/jobs", headers=staff, files={"file": ("council 3.wav", two_mb, "audio/wav")})
    assert response.status_code == 415, response.text  # it reached the route, which read it whole
    detail = response.json()["detail"]
    assert detail.startswith("'council 3.wav' is not a recording")
    assert str(server.runtime.settings.data_dir.resolve()) not in detail and "/" not in detail  # no server path
    over = http.post("/minutes/jobs", headers=staff, files={"file": ("long.wav", b"x" * 4_100_000, "audio/wav")})
    assert over.status_code == 413 and "at most 4,000,000 bytes" in over.json()["detail"]


def test_a_photo_past_the_default_limit_is_taken_up_to_its_setting(http):
    image = Image.frombytes("RGB", (1500, 1000), os.urandom(1500 * 1000 * 3))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=92)
    assert DEFAULT < len(out.getvalue()) < 2_500_000
    response = http.post("/open311/v2/requests.json",
                         data={"service_code": "graffiti", "description": "Tags on the wall", "lat": 37.55,
                               "long": 126.99},
                         files=[("media", ("wall.jpg", out.getvalue(), "image/jpeg"))])
    assert response.status_code == 201, response.text


def test_a_datastore_file_past_the_default_limit_is_loaded(http, staff):
    created = http.post("/api/3/action/package_create", headers=staff, json={
        "name": "limits_test", "title_en": "Limits (test)", "title_ko": "한도", "publisher": "Test Division"})
    assert created.status_code == 200, created.text
    csv = "id,name\n" + "".join(f"{i},row number {i:07d}\n" for i in range(60_000))
    assert len(csv) > DEFAULT
    loaded = http.post("/api/3/action/resource_create", headers=staff, data={"package_id": "limits_test"},
                       files={"upload": ("rows.csv", csv.encode(), "text/csv")})
    assert loaded.status_code == 200, loaded.text[:300]


# --- decompression

def test_a_deflate_bomb_stops_at_the_limit(http):
    # A valid call padded with 50 MB of spaces: 49 KB as sent. It was inflated whole (and run); now it is a 413.
    padded = json.dumps(rasa_call(ticket_id="SR-2026-000001")).encode()[:-1] + b" " * 50_000_000 + b"}"
    bomb = zlib.compress(padded, 9)
    assert len(bomb) < 100_000
    response = http.post("/webhook", content=bomb, headers={"Content-Encoding": "deflate"})
    assert response.status_code == 413
    assert response.json() == {"error": "the decompressed request body is larger than this endpoint accepts: at "
                                        f"most {DEFAULT:,} bytes", "action_name": None}


def test_compressed_calls_within_the_limit_still_work(http):
    raw = json.dumps(rasa_call(ticket_id="SR-2026-999999")).encode()
    for encoding, body in (("deflate", zlib.compress(raw)), ("gzip", gzip.compress(raw))):
        response = http.post("/webhook", content=body, headers={"Content-Encoding": encoding})
        assert response.status_code == 200 and "SR-2026-999999" in response.json()["responses"][0]["text"]
    assert http.post("/webhook", content=raw, headers={"Content-Encoding": "br"}).status_code == 415
    corrupt = http.post("/webhook", content=zlib.compress(raw)[:-8], headers={"Content-Encoding": "deflate"})
    assert corrupt.status_code == 400 and corrupt.json()["action_name"] is None


def test_inflate_is_bounded_exactly():
    data = b"x" * 1000
    assert inflate(zlib.compress(data), "deflate", 1000) == data
    assert inflate(gzip.compress(data), "GZIP", 1000) == data
    assert inflate(data, None, 1000) == data
    for coding, packed in (("deflate", zlib.compress(data)), ("gzip", gzip.compress(data)), ("identity", data)):
        with pytest.raises(BodyTooLarge):
            inflate(packed, coding, 999)
    with pytest.raises(Exception, match="data after its end"):
        inflate(zlib.compress(data) + b"junk", "deflate", 5000)
