"""A report's media get their public copy after the report is acknowledged, from a queued job, over real HTTP on
SQLite and PostgreSQL: until the copy is made no public answer shows the media and its URL says it is being
prepared; the copy has no EXIF or GPS; the original (which has them) is never served to the public; a copy job
lost with its worker is made by another worker (a real ``dasan worker`` process); a copy that cannot be made is
recorded and the report kept."""

from __future__ import annotations

import io
import subprocess
import sys
import time

import httpx
import pytest
from PIL import Image

from civic_services.complaints.copies import KIND
from civic_services.complaints.tables import Media
from database.jobs import JobQueue, Worker
from tests.civic_services.conftest import jpeg, make_database_url, seoul_time, start_server
from tests.harness import clean_env

GYEONGBOKGUNG = (37.5796, 126.9770)  # Jongno-gu


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def server(request, tmp_path_factory):
    """A server that leaves its jobs to other workers (DASAN_JOBS_IN_PROCESS=false): the tests say who copies."""
    tmp = tmp_path_factory.mktemp(f"copies-{request.param}")
    url = make_database_url(request.param, tmp, request)
    running = start_server(tmp, url, request.param, jobs_in_process=False)
    yield running
    running.stop()


@pytest.fixture(scope="module")
def http(server):
    with httpx.Client(base_url=server.base, timeout=30) as client:
        yield client


def _report(http, **photo) -> tuple[str, bytes]:
    original = jpeg(lat=GYEONGBOKGUNG[0], lon=GYEONGBOKGUNG[1], taken=seoul_time(5), size=(320, 240), **photo)
    response = http.post("/open311/v2/requests.json", data={"service_code": "broken_sidewalk",
                                                            "description": "Loose paving stones"},
                         files=[("media", ("p.jpg", original, "image/jpeg"))])
    assert response.status_code == 201, response.text
    assert response.json()[0]["district"] == "Jongno-gu"  # the GPS was read in the request
    return response.json()[0]["service_request_id"], original


def _record(http, ticket: str, fmt: str = "json"):
    response = http.get(f"/open311/v2/requests/{ticket}.{fmt}")
    assert response.status_code == 200
    return response.json()[0] if fmt == "json" else response.text


def _staff_media(http, server, ticket: str) -> dict:
    staff = http.get(f"/open311/v2/staff/requests/{ticket}", headers=server.staff_token("complaints:read"))
    assert staff.status_code == 200
    return staff.json()["media"][0]


def _no_original_in_public(http, server, ticket: str, original: bytes) -> None:
    """Every public answer about the report, and its media URL, carry nothing of the original file."""
    media = _staff_media(http, server, ticket)
    for path in (f"/open311/v2/requests/{ticket}.json", f"/open311/v2/requests/{ticket}.xml",
                 "/open311/v2/requests.json", f"/open311/v2/media/{media['id']}"):
        body = http.get(path).content
        assert original not in body and b"DasanTestCam" not in body, path
    assert http.get(media["original_url"]).status_code == 401  # the original: staff only


def _assert_clean_copy(http, record: dict, original: bytes) -> None:
    public = httpx.get(record["media_url"])
    assert public.status_code == 200 and public.headers["content-type"] == "image/jpeg"
    assert public.content != original and b"DasanTestCam" not in public.content
    image = Image.open(io.BytesIO(public.content))
    assert image.format == "JPEG" and not image.getexif() and image.size == (320, 240)
    assert "exif" not in image.info


def test_acknowledged_at_once_published_once_copied_original_never_public(http, server):
    ticket, original = _report(http)
    # acknowledged; the photo is being prepared: no URL in any public answer, and its own URL says so
    record = _record(http, ticket)
    assert record["media_url"] is None and record["media_urls"] == [] and record["media_pending"] == 1
    assert "being prepared" in record["media_notice"]
    assert abs(record["lat"] - GYEONGBOKGUNG[0]) < 1e-4  # the report's place came from the photo's GPS
    assert "media_pending" in _record(http, ticket, "xml")
    media = _staff_media(http, server, ticket)
    assert media["public_copy"] == "pending" and media["public_url"] is None
    assert abs(media["gps_lat"] - GYEONGBOKGUNG[0]) < 1e-4  # staff see the metadata as today
    waiting = http.get(f"/open311/v2/media/{media['id']}")
    assert waiting.status_code == 404 and "being prepared" in waiting.json()[0]["description"]
    _no_original_in_public(http, server, ticket, original)

    # a worker makes the copy: from then on it is public, without EXIF or GPS
    assert Worker(JobQueue(server.runtime.engine), server.runtime.complaints.job_handlers()).run_one()
    record = _record(http, ticket)
    assert record["media_pending"] == 0 and record["media_notice"] is None and len(record["media_urls"]) == 1
    _assert_clean_copy(http, record, original)
    _no_original_in_public(http, server, ticket, original)
    assert _staff_media(http, server, ticket)["public_copy"] == "ready"
    # staff still have the original, GPS and all
    kept = http.get(media["original_url"], headers=server.staff_token("complaints:read"))
    assert kept.status_code == 200 and kept.content == original


def test_a_copy_lost_with_its_worker_is_made_by_another_process(http, server, tmp_path):
    ticket, original = _report(http, color=(20, 90, 160))
    # a worker takes the job and dies (it never renews its 1 s lease)
    lost = JobQueue(server.runtime.engine, lease_s=1).claim([KIND])
    assert lost is not None and lost.payload["ticket"] == ticket
    time.sleep(0.3)
    assert _record(http, ticket)["media_pending"] == 1
    _no_original_in_public(http, server, ticket, original)

    # another worker, a real `dasan worker` process with the server's settings, takes it once the lease is out
    settings = server.settings
    env = clean_env(DASAN_DATA_DIR=str(settings.data_dir), DATABASE_URL=settings.database_url,
                    DASAN_WARM_UP="false", DASAN_CHAT_ENABLED="false", DASAN_SAMPLE_DATA="false",
                    DASAN_LOG_LEVEL="WARNING")
    process = subprocess.Popen([sys.executable, "-m", "dasan.cli", "worker", "--poll", "0.2"], env=env,
                               cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 90
        while _record(http, ticket)["media_pending"] and time.monotonic() < deadline:
            assert process.poll() is None, process.stdout.read()
            time.sleep(0.2)
    finally:
        process.terminate()
        log = process.communicate(timeout=30)[0]
    record = _record(http, ticket)
    assert record["media_pending"] == 0, log
    _assert_clean_copy(http, record, original)
    _no_original_in_public(http, server, ticket, original)
    job = JobQueue(server.runtime.engine).get(lost.job_id)
    assert job.status == "done" and job.attempts == 2 and job.lease_owner != JobQueue(server.runtime.engine).owner
    assert job.result == {"ready": 1, "failed": 0, "already": 0}


def test_a_copy_that_cannot_be_made_is_recorded_and_the_report_kept(http, server):
    ticket, _ = _report(http, color=(200, 200, 30))
    runtime = server.runtime
    with runtime.complaints.desk.sessions() as session:
        row = session.query(Media).filter_by(id=_staff_media(http, server, ticket)["id"]).one()
    runtime.complaints.media_store.path(row.original_path).write_bytes(b"\xff\xd8\xff broken on disk")
    assert Worker(JobQueue(runtime.engine), runtime.complaints.job_handlers()).run_one()
    record = _record(http, ticket)
    assert record["status"] == "open" and record["media_urls"] == [] and record["media_pending"] == 0
    assert record["media_failed"] == 1 and "could not be prepared" in record["media_notice"]
    assert http.get(f"/open311/v2/media/{row.id}").status_code == 404
    staff = http.get(f"/open311/v2/staff/requests/{ticket}", headers=server.staff_token("complaints:read")).json()
    assert staff["media"][0]["public_copy"] == "failed" and staff["media"][0]["public_copy_error"]
    assert any(e["action"] == "media" and not e["public"] for e in staff["history"])


def test_broken_uploads_are_still_refused_in_the_request(http):
    base = {"service_code": "graffiti", "description": "Tags on the wall", "lat": 37.55, "long": 126.99}
    whole = jpeg(size=(200, 150), noise=True)
    for cut in (whole[:200], whole[: len(whole) // 2], whole[:-40]):  # headers cut, scan data cut short
        refused = http.post("/open311/v2/requests.json", data=base,
                            files=[("media", ("cut.jpg", cut, "image/jpeg"))])
        assert refused.status_code == 415, refused.text
        assert "not a readable photo" in refused.json()[0]["description"]
    png = io.BytesIO()
    Image.new("RGB", (64, 48), (1, 2, 3)).save(png, "PNG")
    cut_png = http.post("/open311/v2/requests.json", data=base,
                        files=[("media", ("cut.png", png.getvalue()[:-20], "image/png"))])
    assert cut_png.status_code == 415, cut_png.text
