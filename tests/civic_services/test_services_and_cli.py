"""The civic services below HTTP: migrations, the SQL sandbox's engine walls, the 90-day default window, sample
data reproducibility, and the `dasan opendata` / `dasan staff` commands run as real processes."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from datetime import timedelta

import pytest
from sqlalchemy import create_engine, inspect, text

from civic_services.opendata import samples
from database import current_revision, head_revision, upgrade
from dasan.runtime import Runtime
from database import make_engine
from tests.harness import clean_settings
from tests.civic_services.conftest import make_database_url


@pytest.fixture(params=["sqlite", "postgresql"])
def services(request, tmp_path):
    url = make_database_url(request.param, tmp_path, request)
    settings = clean_settings(data_dir=tmp_path, database_url=url, datastore_sql_enabled=True, warm_up=False)
    with Runtime.open(settings) as runtime:
        yield runtime


def test_migrations_are_idempotent_and_create_every_table(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'm.db'}")
    assert current_revision(engine) is None
    assert upgrade(engine) == head_revision() == upgrade(engine)
    tables = set(inspect(engine).get_table_names())
    assert {"staff_tokens", "complaint_requests", "complaint_reporters", "complaint_events", "complaint_outbox",
            "opendata_datasets", "opendata_resources", "civic_alembic_version"} <= tables


def test_sandbox_engine_walls_hold_without_the_parser(services):
    """Even a query that got past the parser cannot read other tables or write."""
    opendata = services.opendata
    samples.seed(opendata, only=["public_toilets"])
    sandbox = opendata.sandbox
    physical = ["ds_public_toilets"]
    if sandbox.engine.dialect.name == "postgresql":
        assert sandbox.ensure_reader_role(physical)
        run = lambda sql: sandbox._run_postgres(sql, physical)  # noqa: E731
    else:
        run = lambda sql: sandbox._run_sqlite(sql, set(physical))  # noqa: E731
    assert run('SELECT count(*) FROM "ds_public_toilets"')[1][0][0] > 0
    for sql in ("SELECT * FROM staff_tokens", 'DELETE FROM "ds_public_toilets"'):
        with pytest.raises(Exception) as caught:
            run(sql)
        assert "datastore tables" in str(caught.value) or "failed" in str(caught.value)
    assert run('SELECT count(*) FROM "ds_public_toilets"')[1][0][0] > 0


def test_default_window_is_90_days(tmp_path):
    from civic_services.complaints import NewReport
    from civic_services.complaints.service import ListQuery
    from database.base import utcnow

    url = f"sqlite:///{tmp_path / 'w.db'}"
    complaints = Runtime.open(clean_settings(data_dir=tmp_path, database_url=url)).complaints
    now = utcnow()
    for days_ago in (120, 10):
        complaints.clock = lambda d=days_ago: now - timedelta(days=d)
        complaints.submit(NewReport("graffiti", f"{days_ago} days ago", lat=37.55, lon=126.99 + days_ago * 1e-3))
    complaints.clock = utcnow
    recent = complaints.list_public(ListQuery(), str)
    assert [r["description"] for r in recent] == ["10 days ago"]
    old = complaints.list_public(ListQuery(start=now - timedelta(days=200)), str)
    assert len(old) == 2
    assert old[1]["service_request_id"].endswith("000001")


def test_samples_are_reproducible_and_plausible():
    first = {s.meta.id: samples.generate(s, seed=7) for s in samples.samples(7)}
    again = {s.meta.id: samples.generate(s, seed=7) for s in samples.samples(7)}
    other = samples.generate(samples.samples(8)[0], seed=8)
    assert first == again and other != first["public_parking_lots"]
    assert len(first) == 13
    districts = {r["district"] for r in first["public_toilets"]}
    assert len(districts) == 25
    for row in first["public_toilets"]:
        assert 37.3 < row["lat"] < 37.8 and 126.6 < row["lon"] < 127.4
    assert all(s.meta.synthetic and "SYNTHETIC" in s.meta.notes_en for s in samples.samples())


def _cli(tmp_path, *args, input=None):
    env = {**os.environ, "DASAN_DATA_DIR": str(tmp_path / "var"), "COLUMNS": "200"}
    env.pop("DATABASE_URL", None)
    return subprocess.run([sys.executable, "-m", "dasan.cli", *args], capture_output=True, text=True, env=env,
                          timeout=300, input=input)


@pytest.mark.slow
def test_cli_staff_tokens_are_shown_once_and_stored_hashed(tmp_path):
    made = _cli(tmp_path, "staff", "token", "create", "--name", "desk-7", "--scopes", "complaints:read,complaints:write")
    assert made.returncode == 0, made.stderr
    token = made.stdout.strip()
    assert token.startswith("dasan_st_") and "shown once" in made.stderr
    engine = create_engine(f"sqlite:///{tmp_path / 'var' / 'dasan.db'}")
    with engine.connect() as connection:
        stored = connection.execute(text("SELECT token_sha256, scopes FROM staff_tokens")).one()
        dump = "\n".join(str(row) for row in connection.execute(text("SELECT * FROM staff_tokens")))
    assert stored == (hashlib.sha256(token.encode()).hexdigest(), "complaints:read complaints:write")
    assert token not in dump
    listed = _cli(tmp_path, "staff", "token", "list")
    assert "desk-7" in listed.stdout and token not in listed.stdout
    bad = _cli(tmp_path, "staff", "token", "create", "--name", "x", "--scopes", "root")
    assert bad.returncode == 2 and "unknown scope" in bad.stderr and "Traceback" not in bad.stderr
    assert _cli(tmp_path, "staff", "token", "revoke", "1").returncode == 0


@pytest.mark.slow
def test_cli_seed_and_ingest(tmp_path):
    seeded = _cli(tmp_path, "opendata", "seed", "--only", "public_libraries", "--only", "heat_shelters")
    assert seeded.returncode == 0, seeded.stderr
    assert "public_libraries" in seeded.stdout and "2 synthetic sample datasets" in seeded.stdout
    data = tmp_path / "parks.csv"
    data.write_bytes("공원명,자치구,면적_m2,개장일\n"
                     "보라매공원,동작구,424106,1986-05-05\n"
                     "서울숲,성동구,480994,2005-06-18\n"
                     "월드컵공원,마포구,넓음,2002-05-01\n".encode("cp949"))
    missing = _cli(tmp_path, "opendata", "ingest", str(data), "--dataset", "city_parks")
    assert missing.returncode == 1 and "--title" in missing.stderr
    loaded = _cli(tmp_path, "opendata", "ingest", str(data), "--dataset", "city_parks", "--title", "City parks",
                  "--title-ko", "도시공원", "--publisher", "Parks Division")
    assert loaded.returncode == 0, loaded.stderr
    assert "2 rows loaded (cp949)" in loaded.stdout and "면적_m2" in loaded.stdout
    assert "line 4:" in loaded.stderr and "면적_m2" in loaded.stderr
    listed = _cli(tmp_path, "opendata", "list")
    assert "city_parks" in listed.stdout and "public_libraries" in listed.stdout
