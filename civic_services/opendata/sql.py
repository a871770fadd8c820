"""``datastore_search_sql``: one read-only SELECT over datastore tables, in a sandbox with several walls.

1. The parser (:mod:`civic_services.opendata.sql_check`): one SELECT, every table reference resolved in its own
   scope to a CTE or a datastore resource and rewritten so the database cannot resolve it to anything else,
   functions and types from allowlists.
2. The engine. PostgreSQL: a READ ONLY transaction under a role that may SELECT only the datastore tables
   (:mod:`civic_services.opendata.sql_role`; without that role the endpoint stays off), ``statement_timeout``
   and a small ``work_mem``. SQLite: a separate read-only connection with an authorizer that allows only reads
   of datastore tables and allowlisted functions, a progress handler that stops the query at the time limit,
   ``SQLITE_LIMIT_LENGTH`` (no string or row longer than the answer's byte cap, so no value can grow to
   gigabytes between two checks of the clock) and a small page cache.
3. The answer. The query runs wrapped, so that the database stops after ``rows_max + 1`` rows and hands back
   each row as one JSON text; rows are taken while their JSON stays within ``max_bytes`` (PostgreSQL sums the
   sizes itself and withholds the rows past the cap). ``records_truncated`` and its reason say when it cut.
"""

from __future__ import annotations

import json
import logging
import math
import re
import sqlite3
import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import NamedTuple

from sqlalchemy import Engine

from civic_services.opendata import sql_role
from civic_services.opendata.errors import SearchError
from civic_services.opendata.sql_check import check, refuse

log = logging.getLogger("civic_services.opendata.sql")

READER_ROLE = sql_role.READER_ROLE
ROW = "__dasan_row"  # the wrapper's names; the parser renames every CTE of a query to __dasan_cte_N
SQLITE_FUNCTIONS = frozenset({  # what the SQLite authorizer lets a query call (sqlglot writes some of them)
    "count", "sum", "avg", "min", "max", "lower", "upper", "length", "trim", "substr", "substring", "round",
    "abs", "coalesce", "nullif", "ifnull", "iif", "cast", "strftime", "date", "datetime", "julianday", "instr",
    "replace", "group_concat", "total", "printf", "format", "like", "glob", "ltrim", "rtrim", "concat",
    "concat_ws", "floor", "ceil", "ceiling", "sqrt", "pow", "power", "ln", "log", "exp", "mod", "sign", "time",
    "unixepoch", "char", "hex", "typeof", "quote", "unicode", "date_part", "to_char", "to_date", "split_part",
    "char_length", "character_length", "btrim", "trunc", "div", "width_bucket", "string_agg", "bool_and",
    "bool_or", "every", "unistr", "row_number", "rank", "dense_rank", "percent_rank", "cume_dist", "ntile",
    "lag", "lead", "first_value", "last_value", "nth_value", "median", "stddev", "variance", "json_array",
})
JSON_ARGS_MAX = 100  # SQLite's json_array takes at most 127 arguments: wider rows are arrays of arrays


@dataclass(frozen=True)
class SqlLimits:
    rows_max: int = 1000
    timeout_ms: int = 1000
    max_bytes: int = 5_000_000  # the records' values as JSON


@dataclass(frozen=True)
class SqlResult:
    fields: list[dict]
    records: list[dict]
    truncated: bool
    sql: str
    truncated_reason: str | None = None


class Answer(NamedTuple):
    columns: list[str]
    rows: list[list]
    truncated: bool
    reason: str | None = None


@dataclass(frozen=True)
class SandboxState:
    """Whether the SQL endpoint may run on this database, and why (said in the log at start)."""

    enabled: bool
    reason: str


_SQLITE_INF = re.compile(r'"(?:[^"\\]|\\.)*"|-?Inf\b')  # SQLite 3.40 writes infinities as Inf, not JSON


def _row_values(text: str, width: int) -> list:
    try:
        values = json.loads(text)
    except json.JSONDecodeError:
        values = json.loads(_SQLITE_INF.sub(lambda m: m.group(0) if m.group(0)[0] == '"' else "null", text))
    if isinstance(values, dict):  # PostgreSQL: row_to_json of the columns renamed c0, c1, ...
        values = [values.get(f"c{i}") for i in range(width)]
    elif width > JSON_ARGS_MAX:  # SQLite: arrays of at most JSON_ARGS_MAX values
        values = [v for chunk in values for v in chunk]
    return [None if isinstance(v, float) and not math.isfinite(v) else v for v in values]


def _take(texts: Iterable[str | None], width: int, limits: SqlLimits) -> tuple[list[list], bool, str | None]:
    """Rows from their JSON texts while both caps hold; a None text is a row the database withheld (over the
    byte cap)."""
    rows: list[list] = []
    used = 0
    for text in texts:
        if len(rows) == limits.rows_max:
            return rows, True, f"the answer reached the cap of {limits.rows_max:,} rows"
        size = len(text.encode("utf-8")) if text is not None else limits.max_bytes + 1
        if used + size > limits.max_bytes:
            return rows, True, (f"the answer reached the cap of {limits.max_bytes:,} bytes after {len(rows):,} "
                                "rows" if rows else f"the first row alone is larger than {limits.max_bytes:,} bytes")
        used += size
        rows.append(_row_values(text, width))
    return rows, False, None


def _too_big(limits: SqlLimits) -> SearchError:
    return refuse(f"a value in the query grew past {limits.max_bytes:,} bytes (the cap of an answer); "
                  "the query was stopped")


def _too_slow(limits: SqlLimits) -> SearchError:
    return refuse(f"the query ran longer than {limits.timeout_ms} ms and was stopped")


class SqlSandbox:
    def __init__(self, engine: Engine, limits: SqlLimits = SqlLimits()):
        self.engine = engine
        self.limits = limits
        self.state: SandboxState | None = None
        self._schema: str | None = None
        self._lock = threading.Lock()

    @property
    def dialect(self) -> str:
        return "postgres" if self.engine.dialect.name == "postgresql" else "sqlite"

    # --- opening: may the endpoint run here at all?

    def open(self, physical_tables: list[str]) -> SandboxState:
        """Decide, once, whether the SQL endpoint runs on this database (PostgreSQL: the reader role is ready;
        SQLite: a file database)."""
        with self._lock:
            if self.engine.dialect.name == "postgresql":
                self.ensure_reader_role(physical_tables)
            elif self.engine.dialect.name == "sqlite":
                database = self.engine.url.database
                if not database or database == ":memory:":
                    self.state = SandboxState(False, "it needs a SQLite file database (this one is in memory)")
                else:
                    self.state = SandboxState(True, "SQLite: read-only connection with an authorizer")
            else:
                self.state = SandboxState(False, f"it is not available on {self.engine.dialect.name}")
            return self.state

    def ensure_reader_role(self, physical_tables: list[str]) -> bool:
        """PostgreSQL: make sure the read-only role exists, this user may take it, and it reads only the datastore
        tables (granting SELECT on ``physical_tables``). False, with the reason in :attr:`state`, otherwise."""
        ready = sql_role.prepare(self.engine, physical_tables)
        self._schema = ready.schema
        self.state = SandboxState(ready.ok, ready.reason)
        return ready.ok

    def grant(self, physical_tables: list[str]) -> None:
        """Let the reader role SELECT tables loaded after start-up (PostgreSQL, when the endpoint runs)."""
        if self.engine.dialect.name == "postgresql" and self.state is not None and self.state.enabled:
            sql_role.grant(self.engine, physical_tables)

    # --- running

    def run(self, sql: str, tables: Mapping[str, str]) -> SqlResult:
        schema = self._schema if self.engine.dialect.name == "postgresql" else None
        checked = check(sql, tables, self.dialect, schema=schema)
        if self.engine.dialect.name == "postgresql":
            answer = self._run_postgres(checked.sql, sorted(checked.tables))
        elif self.engine.dialect.name == "sqlite":
            answer = self._run_sqlite(checked.sql, set(checked.tables), checked.ctes)
        else:
            raise SearchError(f"datastore_search_sql is not available on {self.engine.dialect.name}")
        fields = [{"id": name} for name in answer.columns]
        records = [dict(zip(answer.columns, row)) for row in answer.rows]
        return SqlResult(fields, records, answer.truncated, sql, answer.reason)

    def _run_postgres(self, sql: str, physical: list[str]) -> Answer:
        """Run an already checked query (the engine's walls alone hold too: see the module's docstring)."""
        import psycopg

        if self.state is None:
            self.ensure_reader_role(physical)
        if not self.state.enabled:
            raise refuse(f"datastore_search_sql is disabled: {self.state.reason}")
        limits = self.limits
        deadline = time.monotonic() + limits.timeout_ms / 1000
        raw = self.engine.raw_connection()
        try:
            cursor = raw.cursor()
            cursor.execute("SET TRANSACTION READ ONLY")
            cursor.execute(f"SET LOCAL statement_timeout = {int(limits.timeout_ms)}")
            cursor.execute("SET LOCAL idle_in_transaction_session_timeout = 10000")
            cursor.execute("SET LOCAL work_mem = '8MB'")
            cursor.execute("SET LOCAL standard_conforming_strings = on")
            cursor.execute(f"SET LOCAL ROLE {READER_ROLE}")
            try:
                cursor.execute(f'SELECT * FROM ({sql}) AS "{ROW}" LIMIT 0')
                if cursor.description is None:
                    raise refuse("the statement returned no rows")
                columns = [d.name for d in cursor.description]
                if not columns:
                    raise refuse("the query selects no columns")
                left = max(1, int((deadline - time.monotonic()) * 1000))
                cursor.execute(f"SET LOCAL statement_timeout = {left}")
                names = ", ".join(f'"c{i}"' for i in range(len(columns)))
                cursor.execute(
                    f'SELECT CASE WHEN "running" <= {int(limits.max_bytes)} THEN "j" END FROM ('
                    f'SELECT "j", sum(octet_length("j")) OVER (ROWS UNBOUNDED PRECEDING) AS "running" FROM ('
                    f'SELECT row_to_json("{ROW}")::text AS "j" FROM ({sql}) AS "{ROW}"({names}) '
                    f'LIMIT {int(limits.rows_max) + 1}) AS "__dasan_rows") AS "__dasan_sized"')
                texts = (row[0] for row in cursor)
                rows, truncated, reason = _take(texts, len(columns), limits)
            except psycopg.errors.QueryCanceled:
                raise _too_slow(limits) from None
            except psycopg.errors.InsufficientPrivilege:
                raise refuse("the query reads something other than datastore tables") from None
            except psycopg.errors.ProgramLimitExceeded:
                raise _too_big(limits) from None
            except psycopg.Error as exc:
                raise refuse(f"the query failed: {str(exc).splitlines()[0][:300]}") from None
            return Answer(columns, rows, truncated, reason)
        finally:
            try:
                raw.rollback()
            finally:
                raw.close()

    def _run_sqlite(self, sql: str, physical: set[str], ctes: Iterable[str] = ()) -> Answer:
        """Run an already checked query on a read-only connection of its own (the walls hold without the
        parser too); ``ctes``: the query's CTE names (SQLite asks the authorizer about reading a CTE too)."""
        database = self.engine.url.database
        if not database or database == ":memory:":
            raise SearchError("datastore_search_sql needs a SQLite file database")
        limits = self.limits
        readable = set(physical) | set(ctes) | {ROW}
        connection = sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=5, check_same_thread=False)

        def authorizer(action, arg1, arg2, _db, _trigger):
            if action in (sqlite3.SQLITE_SELECT, sqlite3.SQLITE_RECURSIVE):
                return sqlite3.SQLITE_OK
            if action == sqlite3.SQLITE_READ:
                return sqlite3.SQLITE_OK if arg1 in readable or arg1 is None else sqlite3.SQLITE_DENY
            if action == sqlite3.SQLITE_FUNCTION:
                return sqlite3.SQLITE_OK if (arg2 or "").lower() in SQLITE_FUNCTIONS else sqlite3.SQLITE_DENY
            return sqlite3.SQLITE_DENY

        deadline = time.monotonic() + limits.timeout_ms / 1000
        watchdog = threading.Timer(limits.timeout_ms / 1000, connection.interrupt)
        watchdog.daemon = True
        try:
            for pragma in ("query_only = ON", "cache_size = -4096", "temp_store = FILE", "mmap_size = 0"):
                connection.execute(f"PRAGMA {pragma}")
            connection.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, max(int(limits.max_bytes), 10_000))
            connection.setlimit(sqlite3.SQLITE_LIMIT_ATTACHED, 0)
            connection.setlimit(sqlite3.SQLITE_LIMIT_LIKE_PATTERN_LENGTH, 1000)
            connection.setlimit(sqlite3.SQLITE_LIMIT_SQL_LENGTH, 200_000)
            connection.set_authorizer(authorizer)
            connection.set_progress_handler(lambda: 1 if time.monotonic() > deadline else 0, 1000)
            # The progress handler looks at the clock every 1,000 steps, which a few big values make slow; the
            # interrupt stops the query at its next row or loop as well.
            watchdog.start()
            try:
                described = connection.execute(f"SELECT * FROM ({sql}) LIMIT 0")
                columns = [d[0] for d in described.description or ()]
                described.close()
                if not columns:
                    raise refuse("the statement returned no rows")
                names = [f'"c{i}"' for i in range(len(columns))]
                if len(names) > JSON_ARGS_MAX:
                    chunks = [names[i:i + JSON_ARGS_MAX] for i in range(0, len(names), JSON_ARGS_MAX)]
                    values = "json_array(" + ", ".join(f"json_array({', '.join(c)})" for c in chunks) + ")"
                else:
                    values = f"json_array({', '.join(names)})"
                cursor = connection.execute(f'WITH "{ROW}"({", ".join(names)}) AS ({sql}) '
                                            f'SELECT {values} FROM "{ROW}" LIMIT {int(limits.rows_max) + 1}')
                rows, truncated, reason = _take((row[0] for row in cursor), len(columns), limits)
            except sqlite3.DatabaseError as exc:
                message = str(exc)
                if "interrupted" in message:
                    raise _too_slow(limits) from None
                if "too big" in message:
                    raise _too_big(limits) from None
                if "not authorized" in message or "prohibited" in message:
                    raise refuse(f"the query reads something other than datastore tables ({exc})") from None
                if "BLOB" in message:
                    raise refuse("the answer holds binary values, which JSON cannot carry") from None
                raise refuse(f"the query failed: {exc}") from None
            return Answer(columns, rows, truncated, reason)
        finally:
            watchdog.cancel()
            connection.close()
