"""A fuzz test of the SQL sandbox (hypothesis): generated SELECTs mixing CTEs at every scope (named like real
tables, like catalogs, like resources), subqueries in FROM, WHERE and the select list, unions, joins,
schema-qualified and quoted names, system catalogs, function calls allowed and not, and string blow-ups, run on a
real SQLite and a real PostgreSQL database with secrets planted outside the datastore. For every query: the
answer is a result or a refusal (never another error, which would be a 500), nothing planted outside the datastore
appears in it, and it stays within the time, row and byte caps."""

from __future__ import annotations

import json
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.civic_services.test_sql_sandbox import leaked, open_plaza, plant_secrets, run

pytestmark = pytest.mark.slow

TIMEOUT_MS, ROWS_MAX, MAX_BYTES = 300, 1000, 20_000
EXAMPLES = 200  # per database

RESOURCES = ["public_toilets", "public_libraries"]
SECRET_TABLES = ["staff_tokens", "complaint_reporters", "complaint_requests", "vote_voters", "secret_notes",
                 "opendata_resources", "civic_alembic_version"]
CATALOGS = ["sqlite_master", "sqlite_schema", "sqlite_temp_master", "pg_roles", "pg_settings", "pg_authid",
            "pg_shadow", "pg_user", "pg_db_role_setting", "pg_stat_activity", "pg_tables", "pg_class"]
SCHEMAS = ["main", "temp", "public", "pg_catalog", "information_schema"]
NAMES = RESOURCES + SECRET_TABLES + CATALOGS + ["x", "t"]
COLUMNS = ["*", "name", "district", "_id", "1 AS one", "count(*) AS n", "note", "token_hash", "rolname",
           "setting", "sql", "email", "phone"]
CALLS = [  # allowed, refused, and values that grow
    "length(name)", "upper(district)", "coalesce(name, 'x')", "substr(name, 1, 3)", "abs(-1)", "round(1.5)",
    "lower('A')", "count(*)", "max(_id)",
    "current_setting('dasan.fuzz_secret')", "pg_read_file('/etc/passwd')", "load_extension('x')",
    "sqlite_version()", "query_to_xml('select * from staff_tokens', true, true, '')", "version()",
    "repeat('x', 50000000)", "printf('%.*c', 50000000, 'x')", "lpad('x', 50000000, 'y')",
    "replace(printf('%.*c', 100000, 'x'), 'x', 'xxxxxxxxxx')", "repeat(name, 100000)",
]


@st.composite
def table_name(draw, visible: tuple[str, ...]) -> str:
    name = draw(st.one_of(st.sampled_from(RESOURCES + list(visible)), st.sampled_from(NAMES)))
    style = draw(st.sampled_from(["plain", "plain", "plain", "quoted", "upper", "schema"]))
    if style == "quoted":
        return f'"{name}"'
    if style == "upper":
        return name.upper()
    if style == "schema":
        return f"{draw(st.sampled_from(SCHEMAS))}.{name}"
    return name


@st.composite
def select(draw, depth: int, visible: tuple[str, ...] = ()) -> str:
    """One SELECT (maybe with a WITH, unions, joins and subqueries), ``depth`` levels of nesting left."""
    with_clause = ""
    if depth > 0 and draw(st.booleans()):
        ctes = []
        for _ in range(draw(st.integers(1, 2))):
            name = draw(st.sampled_from(NAMES))  # a CTE named like a real table, a catalog, a resource
            ctes.append((name, draw(select(depth - 1, visible + tuple(n for n, _ in ctes)))))
            visible = visible + (name,)
        recursive = draw(st.sampled_from(["", "", "RECURSIVE "]))
        with_clause = f"WITH {recursive}" + ", ".join(f"{n} AS ({body})" for n, body in ctes) + " "
    columns = ", ".join(draw(st.lists(st.one_of(st.sampled_from(["*", "name", "district", "_id"]),
                                                 st.sampled_from(COLUMNS + CALLS)), min_size=1, max_size=3)))
    if depth > 0 and draw(st.integers(0, 3)) == 0:
        source = f"({draw(select(depth - 1, visible))}) AS q{depth}"
    else:
        source = draw(table_name(visible))
    if draw(st.booleans()):
        source += f" JOIN {draw(table_name(visible))} AS j{depth} ON 1 = 1"
    query = f"{with_clause}SELECT {columns} FROM {source}"
    if depth > 0 and draw(st.booleans()):
        inner = draw(select(depth - 1, visible))
        query += draw(st.sampled_from([f" WHERE EXISTS ({inner})", f" WHERE 1 IN (SELECT 1 FROM ({inner}) AS w)",
                                       f" WHERE (SELECT count(*) FROM ({inner}) AS c) >= 0"]))
    if depth > 0 and draw(st.integers(0, 3)) == 0:
        query += f" UNION ALL SELECT * FROM ({draw(select(depth - 1, visible))}) AS u{depth}"
    elif draw(st.integers(0, 4)) == 0:
        query += " LIMIT 5"
    return query


BLOWUPS = [  # queries that grow without end: recursion, doubling strings, cross joins
    "WITH RECURSIVE r(s) AS (SELECT 'x' UNION ALL SELECT s || s FROM r) SELECT max(length(s)) FROM r",
    "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r) SELECT n FROM r ORDER BY n DESC",
    "WITH RECURSIVE r(n, s) AS (SELECT 1, 'ab' UNION ALL SELECT n + 1, s || s FROM r WHERE n < 40) SELECT * FROM r",
    "SELECT count(*) FROM public_toilets a, public_toilets b, public_toilets c, public_libraries d",
    "SELECT a.name || b.name AS s FROM public_toilets a, public_toilets b ORDER BY s",
]


def shadowing_queries() -> list[str]:
    """Every shape of the bypass the issue found (a CTE in an inner scope named like a real table the outer
    query reads), for every table and catalog outside the datastore, spelled plain, upper-case and quoted."""
    queries = []
    for table in SECRET_TABLES + CATALOGS:
        for real in (table, table.upper(), f'"{table}"'):
            inner = f"WITH {real} AS (SELECT 1 AS x) SELECT x FROM {real}"
            queries += [f"SELECT * FROM {real}, ({inner}) AS q", f"SELECT * FROM {real} WHERE EXISTS ({inner})",
                        f"SELECT * FROM ({inner}) AS q JOIN {real} ON 1 = 1",
                        f"SELECT * FROM {real} WHERE 1 IN ({inner})",
                        f"SELECT * FROM {real} UNION ALL SELECT * FROM ({inner}) AS q"]
    return queries


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def planted(request, tmp_path_factory):
    runtime = open_plaza(request.param, tmp_path_factory.mktemp(f"fuzz-{request.param}"), request,
                         datastore_sql_timeout_ms=TIMEOUT_MS, datastore_sql_rows_max=ROWS_MAX,
                         datastore_sql_max_bytes=MAX_BYTES)
    return runtime, plant_secrets(runtime)


def check_answer(runtime, secrets: set[str], sql: str) -> str:
    """Run one query and check what comes back: a result or a refusal, no secret, within the caps."""
    started = time.monotonic()
    outcome, value = run(runtime, sql)  # anything but an answer or a refusal raises here
    elapsed = time.monotonic() - started
    assert elapsed < TIMEOUT_MS / 1000 + 1.5, (sql, elapsed)
    if outcome == "refused":
        assert value.status in (400, 409), (sql, value.status, value.message)
        assert not leaked(value.message, secrets), (sql, value.message)
        return outcome
    shown = json.dumps(value, ensure_ascii=False)
    assert not leaked(shown, secrets), (sql, shown[:500])
    assert len(value["records"]) <= ROWS_MAX
    size = sum(len(json.dumps(list(r.values()), ensure_ascii=False, separators=(",", ":")).encode())
               for r in value["records"])
    assert size <= MAX_BYTES * 1.1, (sql, size)
    return outcome


def test_generated_queries_read_nothing_outside_the_datastore_and_stay_within_the_caps(planted):
    runtime, secrets = planted
    outcomes = {"ok": 0, "refused": 0}

    @settings(max_examples=EXAMPLES, deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(sql=st.one_of(select(1), select(2), select(3)))
    def check(sql):
        outcomes[check_answer(runtime, secrets, sql)] += 1

    check()
    assert outcomes["ok"] >= 5, outcomes  # the generator does reach the engine, not only the parser


def test_every_shadowing_shape_and_every_blowup_is_refused_or_capped(planted):
    runtime, secrets = planted
    for sql in shadowing_queries():
        assert check_answer(runtime, secrets, sql) == "refused", sql
    for sql in BLOWUPS:
        check_answer(runtime, secrets, sql)
