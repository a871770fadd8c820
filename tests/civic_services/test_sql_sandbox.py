"""The SQL sandbox (``datastore_search_sql``) on real SQLite and PostgreSQL databases, with secrets planted
outside the datastore (reporters, staff tokens, the voter registry, a table of its own, on PostgreSQL a database
setting): every table reference is resolved in its own scope (a CTE in an inner scope no longer hides a real
table), the endpoint stays off on PostgreSQL without its read-only role, time and size caps hold on both engines,
and queries the parser cannot read are a 400, not a 500.

The helpers here (:func:`open_plaza`, :func:`plant_secrets`, :func:`leaked`) serve the fuzz test as well."""

from __future__ import annotations

import json
import logging
import os
import threading
import time
import uuid
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from civic_services.complaints import NewReport
from civic_services.opendata import samples
from civic_services.opendata.errors import Forbidden, OpenDataError
from dasan.runtime import Runtime
from tests.civic_services.conftest import PG_ADMIN_URL, make_database_url
from tests.harness import clean_settings

MARK = "SECRETc0ffee42"  # planted only outside the datastore
SETTING = "dasan.fuzz_secret"  # PostgreSQL: a database setting, visible in pg_settings and current_setting()


def as_admin(request, statements: list[str], undo: list[str]) -> None:
    """Run ``statements`` as PostgreSQL's superuser now and ``undo`` when the test (or module) is done."""
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")

    def execute(lines):
        with admin.connect() as connection:
            for line in lines:
                connection.execute(text(line))

    execute(statements)
    request.addfinalizer(lambda: (execute(undo), admin.dispose()))


def open_plaza(kind: str, tmp: Path, request, **limits) -> Runtime:
    """A runtime over a fresh database of ``kind`` with the SQL endpoint on, two sample resources, secrets
    planted (see :func:`plant_secrets`)."""
    url = make_database_url(kind, tmp, request)
    if kind == "postgresql":  # a database setting and a role name, both visible in the catalogs (set before the
        role = f"{MARK}_{uuid.uuid4().hex[:8]}"  # runtime's connections open, so they carry the setting)
        as_admin(request, [f'ALTER DATABASE "{make_url(url).database}" SET {SETTING} = \'{MARK}-setting\'',
                           f'CREATE ROLE "{role}" NOLOGIN'], undo=[f'DROP ROLE IF EXISTS "{role}"'])
    settings = clean_settings(data_dir=tmp / "var", database_url=url, warm_up=False, chat_enabled=False,
                              datastore_sql_enabled=True, **limits)
    runtime = Runtime.open(settings)
    request.addfinalizer(runtime.close)
    samples.seed(runtime.opendata, only=["public_toilets", "public_libraries"])
    return runtime


def plant_secrets(runtime: Runtime) -> set[str]:
    """Rows outside the datastore that no answer may ever show; returns the strings that would betray them."""
    runtime.complaints.submit(NewReport("graffiti", "graffiti on the wall by the station", lat=37.5665, lon=126.978,
                                        first_name=f"{MARK}first", last_name=f"{MARK}last",
                                        phone="010-9876-5432", email=f"{MARK}@example.org"))
    issued = runtime.staff_tokens.create(f"{MARK}-tester", ["opendata:write"])
    registered = runtime.voting.register_voters([(f"{MARK}-voter", "Mapo-gu")])
    with runtime.engine.begin() as connection:
        connection.execute(text("CREATE TABLE secret_notes (note TEXT)"))
        connection.execute(text("INSERT INTO secret_notes VALUES (:a), (:b)"),
                           {"a": f"{MARK}-note", "b": f"{MARK}-other"})
    secrets = {MARK, issued.token, registered[0].credential, "9876-5432", "98765432"}
    with runtime.engine.connect() as connection:
        for table in ("staff_tokens", "vote_voters"):
            for row in connection.execute(text(f"SELECT * FROM {table}")):
                secrets |= {v for v in row if isinstance(v, str) and len(v) >= 32}  # hashes
    return secrets


def leaked(answer: str, secrets: set[str]) -> list[str]:
    return [s for s in secrets if s in answer]


def run(runtime: Runtime, sql: str) -> tuple[str, dict | OpenDataError]:
    """("ok", the answer as CKAN sends it) or ("refused", the error); anything else propagates (a 500)."""
    try:
        result = runtime.opendata.search_sql(sql)
    except OpenDataError as exc:
        return "refused", exc
    return "ok", {"fields": result.fields, "records": result.records, "records_truncated": result.truncated,
                  "records_truncated_reason": result.truncated_reason}


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def plaza(request, tmp_path_factory):
    runtime = open_plaza(request.param, tmp_path_factory.mktemp(f"sandbox-{request.param}"), request,
                         datastore_sql_rows_max=50, datastore_sql_max_bytes=100_000)
    return runtime, plant_secrets(runtime)


def refused(runtime, sql: str, secrets: set[str]) -> OpenDataError:
    outcome, value = run(runtime, sql)
    assert outcome == "refused", (sql, value)
    assert not leaked(str(value), secrets)
    return value


# --- names resolve by scope

INNER_CTE_SHADOWS = [  # the bypass: a CTE declared in an inner scope named like a real table elsewhere
    "SELECT * FROM (WITH staff_tokens AS (SELECT 1 AS x) SELECT x FROM staff_tokens) AS q, staff_tokens",
    "SELECT * FROM complaint_reporters WHERE EXISTS (WITH complaint_reporters AS (SELECT 1) SELECT 1)",
    "SELECT (SELECT count(*) FROM (WITH vote_voters AS (SELECT 1) SELECT 1) AS q) AS n, * FROM vote_voters",
    "SELECT note FROM secret_notes UNION ALL SELECT * FROM (WITH secret_notes AS (SELECT 'x') "
    "SELECT * FROM secret_notes) AS q",
    "SELECT * FROM public_toilets JOIN staff_tokens ON 1 = 1 WHERE 1 IN (WITH staff_tokens AS (SELECT 1) "
    "SELECT 1 FROM staff_tokens)",
    # a CTE's own body, or an earlier CTE's, cannot see a later CTE of the same WITH
    "WITH a AS (SELECT * FROM secret_notes), secret_notes AS (SELECT 1 AS note) SELECT * FROM a",
]
PG_CATALOG_SHADOWS = [
    "SELECT rolname, rolpassword FROM pg_roles, (WITH pg_roles AS (SELECT 1) SELECT 1) AS q",
    "SELECT name, setting FROM pg_settings, (WITH pg_settings AS (SELECT 1) SELECT 1) AS q",
    "SELECT * FROM pg_db_role_setting WHERE EXISTS (WITH pg_db_role_setting AS (SELECT 1) SELECT 1)",
]


def test_a_cte_in_an_inner_scope_does_not_hide_a_real_table(plaza):
    runtime, secrets = plaza
    queries = INNER_CTE_SHADOWS + (PG_CATALOG_SHADOWS if runtime.engine.dialect.name == "postgresql" else [])
    for sql in queries:
        error = refused(runtime, sql, secrets)
        assert error.status == 409 and "not a datastore resource" in error.message, (sql, error.message)


def test_ctes_resolve_by_scope_as_sql_does(plaza):
    runtime, _ = plaza

    def records(sql):
        outcome, answer = run(runtime, sql)
        assert outcome == "ok", (sql, answer)
        return answer["records"]

    # The inner x hides the outer x only inside its own scope.
    assert records("WITH x AS (SELECT 1 AS a) SELECT q.a AS inner_a, x.a AS outer_a "
                   "FROM (WITH x AS (SELECT 2 AS a) SELECT a FROM x) AS q, x") == [{"inner_a": 2, "outer_a": 1}]
    # A CTE named like a resource is that CTE, as in SQL.
    assert records("WITH public_toilets AS (SELECT 1 AS n) SELECT * FROM public_toilets") == [{"n": 1}]
    total = records('SELECT count(*) AS n FROM "public_toilets"')[0]["n"]
    assert total > 50
    # An outer CTE is visible in nested subqueries and in a later CTE.
    assert records("WITH t AS (SELECT district FROM public_toilets), u AS (SELECT * FROM t) "
                   "SELECT count(*) AS n FROM (SELECT * FROM (SELECT district FROM u) AS a) AS b") == [{"n": total}]
    assert records("WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 5) "
                   "SELECT sum(n) AS s FROM r") == [{"s": 15}]
    assert records("SELECT count(*) AS n FROM PUBLIC_TOILETS")[0]["n"] == total  # unquoted names fold
    ids = [r["_id"] for r in records("SELECT _id FROM public_toilets ORDER BY _id DESC LIMIT 5")]
    assert ids == sorted(ids, reverse=True) and len(ids) == 5  # the answer keeps the query's order
    assert records("SELECT t.district, count(*) AS n FROM public_toilets AS t JOIN public_libraries AS l "
                   "ON l.district = t.district WHERE t.district = 'Mapo-gu' GROUP BY t.district")[0]["n"] > 0


def test_system_tables_schemas_and_functions_are_refused(plaza):
    runtime, secrets = plaza
    for sql, message in {
        "SELECT * FROM sqlite_master": "not a datastore resource",
        "SELECT * FROM main.staff_tokens": "no schemas",
        "SELECT * FROM pg_catalog.pg_roles": "no schemas",
        'SELECT * FROM "pg_catalog.pg_roles"': "not a datastore resource",
        "SELECT * FROM information_schema.tables": "no schemas",
        f"SELECT current_setting('{SETTING}')": "not allowed",
        "SELECT load_extension('x')": "not allowed",
        "SELECT * FROM generate_series(1, 3)": "not allowed",
        "SELECT 'staff_tokens'::regclass": "system object",
        "SELECT CAST(name AS json) FROM public_toilets": "not allowed",
        "SELECT ?": "placeholders",
    }.items():
        error = refused(runtime, sql, secrets)
        assert message in error.message, (sql, error.message)


def test_the_engine_walls_hold_without_the_parser(plaza):
    """A query that got past the parser still reads only datastore tables: the reader role on PostgreSQL, the
    authorizer on SQLite."""
    runtime, secrets = plaza
    sandbox = runtime.opendata.sandbox
    physical = ["ds_public_toilets"]
    run_raw = (lambda sql: sandbox._run_postgres(sql, physical)) if sandbox.dialect == "postgres" else (
        lambda sql: sandbox._run_sqlite(sql, set(physical)))
    assert run_raw('SELECT count(*) FROM "ds_public_toilets"').rows[0][0] > 0
    raw_reads = ["SELECT * FROM staff_tokens", "SELECT * FROM complaint_reporters", "SELECT * FROM secret_notes",
                 "SELECT * FROM vote_voters"]
    for sql in raw_reads:
        with pytest.raises(OpenDataError) as caught:
            run_raw(sql)
        assert "other than datastore tables" in caught.value.message, sql
        assert not leaked(caught.value.message, secrets)


# --- PostgreSQL: no read-only role, no endpoint

@pytest.fixture
def app_user(request):
    """A PostgreSQL login that is no superuser and may not create roles, owning a scratch database."""
    request.getfixturevalue("postgres_available")
    suffix = uuid.uuid4().hex[:8]
    user, database = f"dasan_app_{suffix}", f"dasan_test_app_{suffix}"
    as_admin(request, [f'CREATE ROLE "{user}" LOGIN NOSUPERUSER NOCREATEROLE NOCREATEDB',
                       f'CREATE DATABASE "{database}" OWNER "{user}"'],
             undo=[f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)', f'DROP ROLE IF EXISTS "{user}"'])
    return user, make_url(PG_ADMIN_URL).set(username=user, database=database).render_as_string(False)


def test_postgres_without_the_reader_role_the_endpoint_stays_off_and_says_why(app_user, tmp_path, caplog):
    from tests.civic_services.conftest import start_server

    user, url = app_user
    with caplog.at_level(logging.INFO, logger="dasan.runtime"):
        server = start_server(tmp_path, url, "postgresql", datastore_sql_enabled=True)
    try:
        runtime = server.runtime
        samples.seed(runtime.opendata, only=["public_toilets"])
        secrets = plant_secrets(runtime)
        for sql in [INNER_CTE_SHADOWS[0], 'SELECT count(*) FROM "public_toilets"']:
            response = httpx.get(f"{server.base}/api/3/action/datastore_search_sql", params={"sql": sql})
            assert not leaked(response.text, secrets)
            assert response.status_code == 403, response.text
            body = response.json()
            assert body["success"] is False and body["error"]["__type"] == "Authorization Error"
            assert "disabled" in body["error"]["message"] and "CREATE ROLE" in body["error"]["message"]
        with pytest.raises(Forbidden):
            runtime.opendata.search_sql('SELECT count(*) FROM "public_toilets"')
        said = [r.getMessage() for r in caplog.records if "datastore_search_sql" in r.getMessage()]
        assert any("DISABLED" in line and "dasan_datastore_reader" in line and user in line for line in said), said
    finally:
        server.stop()


def test_postgres_with_an_existing_reader_role_granted_to_the_app_user_the_endpoint_runs(app_user, tmp_path,
                                                                                          request):
    user, url = app_user
    as_admin(request, ["DO $$ BEGIN CREATE ROLE dasan_datastore_reader NOLOGIN; "
                       "EXCEPTION WHEN duplicate_object THEN NULL; END $$",  # made by another test's server
                       f'GRANT dasan_datastore_reader TO "{user}"'], undo=[])
    settings = clean_settings(data_dir=tmp_path, database_url=url, warm_up=False, chat_enabled=False,
                              datastore_sql_enabled=True)
    with Runtime.open(settings) as runtime:
        assert runtime.opendata.open_sql().enabled
        samples.seed(runtime.opendata, only=["public_toilets"])  # loaded after start: granted at ingest
        secrets = plant_secrets(runtime)
        assert run(runtime, 'SELECT count(*) AS n FROM "public_toilets"')[1]["records"][0]["n"] > 0
        with pytest.raises(OpenDataError) as caught:
            runtime.opendata.sandbox._run_postgres("SELECT * FROM secret_notes", ["ds_public_toilets"])
        assert "other than datastore tables" in caught.value.message
        assert not leaked(caught.value.message, secrets)


# --- time and size

class PeakMemory:
    """This process's resident memory, sampled every 5 ms while the block runs (growth over the start, MB)."""

    def __enter__(self):
        self.start = self.peak = self._rss()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    @staticmethod
    def _rss() -> float:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1e6

    def _sample(self):
        while not self._stop.is_set():
            self.peak = max(self.peak, self._rss())
            time.sleep(0.005)

    def __exit__(self, *_exc):
        self._stop.set()
        self._thread.join()

    @property
    def growth(self) -> float:
        return self.peak - self.start


def test_a_doubling_string_stops_within_the_time_limit_and_memory_stays_small(plaza):
    """On SQLite a recursive CTE doubling a string ran 22-25 s past the 1 s limit and took 3 GB."""
    runtime, _ = plaza
    limit_s = runtime.opendata.options.sql_timeout_ms / 1000
    for sql in ("WITH RECURSIVE r(s) AS (SELECT 'x' UNION ALL SELECT s || s FROM r) SELECT max(length(s)) FROM r",
                "WITH RECURSIVE r(n, s) AS (SELECT 1, 'x' UNION ALL SELECT n + 1, s || s FROM r WHERE n < 60) "
                "SELECT n, length(s) AS size FROM r",
                "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r) SELECT count(*) FROM r",
                "SELECT count(*) FROM public_toilets a, public_toilets b, public_toilets c, public_toilets d"):
        started = time.monotonic()
        with PeakMemory() as memory:
            outcome, value = run(runtime, sql)
        elapsed = time.monotonic() - started
        assert elapsed < limit_s + 2, (sql, elapsed, memory.growth)  # the limit, and a busy machine's cancel
        assert memory.growth < 300, (sql, elapsed, memory.growth)
        assert outcome == "refused", (sql, value)
        assert "longer than" in value.message or "grew past" in value.message, value.message


def test_no_answer_is_larger_than_the_byte_cap(plaza):
    """``printf('%.*c', 50000000, 'x')`` answered 50 MB; now no answer's records pass the cap (100,000 bytes
    here): a value that grows past it stops the query, rows past it are cut with a reason."""
    runtime, _ = plaza
    cap = runtime.opendata.options.sql_max_bytes
    postgres = runtime.engine.dialect.name == "postgresql"
    big = "SELECT repeat('x', 50000000) AS s" if postgres else "SELECT printf('%.*c', 50000000, 'x') AS s"
    wide = ("SELECT repeat(name, 400) AS s FROM public_toilets" if postgres else
            "SELECT replace(printf('%.*c', 400, 'x'), 'x', name) AS s FROM public_toilets")
    for sql in (big, wide):
        with PeakMemory() as memory:
            outcome, value = run(runtime, sql)
        assert memory.growth < 300, (sql, memory.growth)
        if outcome == "ok":
            assert len(json.dumps(value["records"], ensure_ascii=False).encode()) <= cap + 10_000
            assert all(r["s"] is None or len(r["s"]) < cap for r in value["records"])
            if value["records_truncated"]:
                assert "bytes" in value["records_truncated_reason"], value["records_truncated_reason"]
        else:  # stopped by the byte cap, or (on a busy machine, before the value was whole) by the time limit
            assert "grew past" in value.message or "longer than" in value.message, value.message
    outcome, value = run(runtime, wide)
    assert outcome == "ok" and value["records_truncated"] is True and 0 < len(value["records"]) < 50
    assert f"{cap:,} bytes" in value["records_truncated_reason"]
    outcome, value = run(runtime, "SELECT name FROM public_toilets")
    assert len(value["records"]) == 50 and "50 rows" in value["records_truncated_reason"]


def test_queries_too_deep_to_parse_are_400_and_odd_values_are_no_500(plaza):
    runtime, _ = plaza
    for sql in ("SELECT " + "(" * 3000 + "1" + ")" * 3000,
                "SELECT * FROM " + "(SELECT * FROM " * 40 + "public_toilets" + ") AS q" * 40,
                "SELECT " + "NOT " * 3000 + "1",
                "SELECT " + "- " * 5000 + "1"):
        outcome, value = run(runtime, sql)
        assert outcome == "refused" and value.status in (400, 409), (sql[:40], value)
    assert run(runtime, "SELECT " + "(" * 3000 + "1" + ")" * 3000)[1].status == 400
    # Numbers JSON cannot carry, lone surrogates and NULs are answered, never a 500.
    odd = ("SELECT 1e999 AS big, -1e999 AS small" if runtime.engine.dialect.name == "sqlite" else
           "SELECT 'NaN'::float8 AS nan, 'infinity'::float8 AS big, interval '1 day' AS span")
    outcome, value = run(runtime, odd)
    assert outcome == "ok", value
    json.dumps(value["records"], allow_nan=False)
    for sql in ("SELECT 'a\ud800'", "SELECT 'a\x00'"):
        assert run(runtime, sql)[0] == "refused"
