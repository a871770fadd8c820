"""Fixtures for the civic services: a real server (uvicorn on a free port, in a thread) over a real database,
SQLite and PostgreSQL (a fresh database per module at 127.0.0.1:5432; skipped with the reason when it is not
reachable), plus real media files made here: JPEGs with EXIF GPS and time, and tiny MP4s."""

from __future__ import annotations

import io
import os
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import httpx
import pytest
from PIL import Image
from PIL.TiffImagePlugin import IFDRational

from tests.harness import clean_settings, serve

PG_ADMIN_URL = os.environ.get("DASAN_TEST_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def _pg_admin():
    from sqlalchemy import create_engine

    return create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 3})


@pytest.fixture(scope="session")
def postgres_available() -> None:
    from sqlalchemy import text

    try:
        with _pg_admin().connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception as exc:
        pytest.skip(f"PostgreSQL is not reachable at {PG_ADMIN_URL} ({type(exc).__name__}); "
                    "set DASAN_TEST_POSTGRES to a server where the user may CREATE DATABASE")


def make_database_url(kind: str, tmp: Path, request) -> str:
    if kind == "sqlite":
        return f"sqlite:///{tmp / 'civic.db'}"
    request.getfixturevalue("postgres_available")
    from sqlalchemy import text
    from sqlalchemy.engine import make_url

    name = f"dasan_test_{uuid.uuid4().hex[:10]}"
    admin = _pg_admin()
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))

    def drop():
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    request.addfinalizer(drop)
    return make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)


@dataclass
class Running:
    base: str
    served: object  # dasan.serving.InThread
    settings: object
    kind: str

    @property
    def runtime(self):
        return self.served.runtime

    def staff_token(self, *scopes: str) -> dict:
        issued = self.runtime.staff_tokens.create("tester", list(scopes))
        return {"Authorization": f"Bearer {issued.token}"}

    def stop(self) -> None:
        runtime = self.runtime
        self.served.stop()
        if runtime is not None:
            runtime.engine.dispose()


def start_server(tmp: Path, database_url: str, kind: str, **overrides) -> Running:
    """The app (its own runtime, as `dasan serve` opens it) in a thread over ``database_url``."""
    # The civic services need no model and no assistant.
    settings = clean_settings(data_dir=tmp / "var", database_url=database_url, warm_up=False, chat_enabled=False,
                              **overrides)
    served = serve(settings)
    return Running(served.base, served, settings, kind)


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def server(request, tmp_path_factory):
    tmp = tmp_path_factory.mktemp(f"civic-{request.param}")
    url = make_database_url(request.param, tmp, request)
    running = start_server(tmp, url, request.param, datastore_sql_enabled=True,
                           complaint_photo_max_bytes=400_000, complaint_video_max_bytes=2_000_000,
                           datastore_rows_max=500, datastore_sql_rows_max=50)
    yield running
    running.stop()


@pytest.fixture(scope="module")
def http(server):
    with httpx.Client(base_url=server.base, timeout=30) as client:
        yield client


def published(http, ticket: str, timeout: float = 20) -> dict:
    """The public record of ``ticket`` once its media's public copies are made (a queued job makes them just
    after the report is acknowledged)."""
    import time

    deadline = time.monotonic() + timeout
    while True:
        [record] = http.get(f"/open311/v2/requests/{ticket}.json").json()
        if not record["media_pending"] or time.monotonic() > deadline:
            return record
        time.sleep(0.05)


# --- real media

def _dms(value: float):
    value = abs(value)
    degrees = int(value)
    minutes_full = (value - degrees) * 60
    minutes = int(minutes_full)
    seconds = round((minutes_full - minutes) * 60 * 10000)
    return (IFDRational(degrees, 1), IFDRational(minutes, 1), IFDRational(seconds, 10000))


def jpeg(lat: float | None = None, lon: float | None = None, taken: datetime | None = None,
         size: tuple[int, int] = (320, 240), color=(180, 40, 40), noise: bool = False) -> bytes:
    """A real JPEG; with EXIF GPS (lat/lon) and DateTimeOriginal when given."""
    image = Image.new("RGB", size, color)
    if noise:
        image = Image.frombytes("RGB", size, os.urandom(size[0] * size[1] * 3))
    exif = Image.Exif()
    exif[0x010F] = "DasanTestCam"  # Make
    if lat is not None:
        gps = exif.get_ifd(0x8825)
        gps[1], gps[2] = ("N" if lat >= 0 else "S"), _dms(lat)
        gps[3], gps[4] = ("E" if lon >= 0 else "W"), _dms(lon)
    if taken is not None:
        exif.get_ifd(0x8769)[36867] = taken.strftime("%Y:%m:%d %H:%M:%S")
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif.tobytes(), quality=90)
    return out.getvalue()


def mp4(location: str | None = None, frames: int = 10, fmt: str = "mp4") -> bytes:
    """A real tiny H.263/MPEG-4 video (64x48) with an optional ISO 6709 location tag."""
    import av
    import numpy as np

    out = io.BytesIO()
    with av.open(out, mode="w", format=fmt) as container:
        if location:
            container.metadata["location"] = location
        stream = container.add_stream("mpeg4", rate=10)
        stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
        for i in range(frames):
            frame = av.VideoFrame.from_ndarray(np.full((48, 64, 3), i * 20, np.uint8), format="rgb24")
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return out.getvalue()


def seoul_time(minutes_ago: float = 0) -> datetime:
    return datetime.now() - timedelta(minutes=minutes_ago)
