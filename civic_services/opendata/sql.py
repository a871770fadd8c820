"""``datastore_search_sql``: one read-only SELECT over datastore tables, in a sandbox with several walls.

1. Parsing (sqlglot): exactly one statement, a SELECT (or UNION/INTERSECT/EXCEPT of SELECTs) without INTO or
   locking clauses; every table it names is a datastore resource (by resource or dataset id; no schema
   qualifiers, so no system tables); every function is on an allowlist (no pg_sleep, pg_read_file, ...).
   Table names are rewritten to the resources' physical tables.
2. The engine: PostgreSQL runs it in a READ ONLY transaction with ``statement_timeout``, under a NOLOGIN role
   that may only SELECT the datastore tables (when the server's database user may create that role); SQLite
   runs it on a separate read-only connection with an authorizer that allows only reads of datastore tables
   and allowlisted functions, and a progress handler that stops it at the time limit.
3. A row cap on the answer (``records_truncated`` says when it cut).
"""

from __future__ import annotations

import logging
import sqlite3
import time
from dataclasses import dataclass
from datetime import date, datetime, time as dtime
from decimal import Decimal

import sqlglot
from sqlglot import exp
from sqlalchemy import Engine

from civic_services.opendata.errors import SearchError

log = logging.getLogger("civic_services.opendata.sql")

READER_ROLE = "dasan_datastore_reader"
MAX_SQL_CHARS = 20_000
ALLOWED_FUNCTIONS = {  # sqlglot's typed function classes
    "Count", "Sum", "Avg", "Min", "Max", "Stddev", "StddevPop", "StddevSamp", "Variance", "VariancePop",
    "Median", "PercentileCont", "PercentileDisc", "Quantile", "ApproxDistinct", "CountIf", "GroupConcat",
    "Lower", "Upper", "Length", "Trim", "Substring", "Concat", "ConcatWs", "Left", "Right", "Replace",
    "StrPosition", "Initcap", "Reverse", "Lpad", "Rpad", "Repeat",
    "Round", "Abs", "Floor", "Ceil", "Sqrt", "Pow", "Ln", "Log", "Exp", "Mod", "Sign", "Greatest", "Least",
    "Coalesce", "Nullif", "If", "Case", "Cast", "TryCast", "Extract", "TimestampTrunc", "DateTrunc",
    "CurrentDate", "CurrentTimestamp", "DateAdd", "DateSub", "DateDiff", "TsOrDsToDate", "StrToTime",
    "TimeToStr", "StrToDate", "ToChar", "Date", "Time", "Timestamp", "Anonymous",
}
ALLOWED_ANONYMOUS = {  # functions sqlglot leaves untyped, by name
    "date_part", "to_char", "to_date", "strftime", "julianday", "date", "datetime", "ifnull", "nullif", "substr",
    "instr", "printf", "format", "split_part", "char_length", "character_length", "btrim", "ltrim", "rtrim",
    "trunc", "div", "width_bucket", "string_agg", "bool_and", "bool_or", "every", "total", "unistr",
}


@dataclass(frozen=True)
class SqlResult:
    fields: list[dict]
    records: list[dict]
    truncated: bool
    sql: str


def _refuse(message: str) -> SearchError:
    return SearchError(message, field="sql")


def rewrite(sql: str, tables: dict[str, str], dialect: str) -> str:
    """Check a query against the rules and return it with resource names replaced by physical tables.

    ``tables`` maps each name a query may use (resource ids, dataset ids) to its physical table.
    """
    if not sql or not sql.strip():
        raise _refuse("sql is empty")
    if len(sql) > MAX_SQL_CHARS:
        raise _refuse(f"sql is longer than {MAX_SQL_CHARS} characters")
    try:
        statements = [s for s in sqlglot.parse(sql, read=dialect) if s is not None]
    except sqlglot.errors.SqlglotError as exc:  # ParseError, TokenError, ...
        raise _refuse(f"sql does not parse: {str(exc).splitlines()[0][:300]}") from None
    if len(statements) != 1:
        raise _refuse(f"give exactly one SELECT statement ({len(statements)} were given)")
    statement = statements[0]
    if not isinstance(statement, (exp.Select, exp.SetOperation)) and not (
            isinstance(statement, exp.Subquery) and isinstance(statement.this, exp.Select)):
        raise _refuse(f"only SELECT is allowed, not {statement.key.upper()}")
    for node in statement.walk():
        if isinstance(node, (exp.Into, exp.Lock)):
            raise _refuse("SELECT ... INTO and locking clauses (FOR UPDATE/SHARE) are not allowed")
        if isinstance(node, (exp.Command, exp.Insert, exp.Update, exp.Delete, exp.Create, exp.Drop, exp.Alter,
                             exp.Merge, exp.Pragma, exp.Set, exp.Transaction, exp.Commit, exp.Rollback, exp.Copy)):
            raise _refuse(f"only SELECT is allowed ({node.key.upper()} found)")
        if isinstance(node, exp.Func):
            kind = type(node).__name__
            if kind not in ALLOWED_FUNCTIONS or (kind == "Anonymous" and node.name.lower() not in ALLOWED_ANONYMOUS):
                name = node.name if kind == "Anonymous" else node.sql_name()
                raise _refuse(f"function {name.lower()}() is not allowed in datastore_search_sql")
        if isinstance(node, exp.DataType) and node.sql(dialect=dialect).lower().startswith("reg"):
            raise _refuse("casts to system object types are not allowed")
    cte_names = {cte.alias_or_name for cte in statement.find_all(exp.CTE)}
    for table in list(statement.find_all(exp.Table)):
        name = table.name
        if table.args.get("db") or table.args.get("catalog"):
            raise _refuse(f"table {table.sql(dialect=dialect)} is not a datastore resource (no schemas allowed)")
        if not name or not isinstance(table.this, exp.Identifier):
            raise _refuse("only datastore tables may appear in FROM (no table functions)")
        if name in cte_names:
            continue
        if name not in tables:
            raise _refuse(f"table {name!r} is not a datastore resource; query resources by their id, "
                          'e.g. SELECT * FROM "public_toilets"')
        alias = table.alias
        table.set("this", exp.to_identifier(tables[name], quoted=True))
        if not alias:
            table.set("alias", exp.TableAlias(this=exp.to_identifier(name, quoted=True)))
    return statement.sql(dialect=dialect)


def _json(value):
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, (date, datetime, dtime)):
        return value.isoformat()
    if isinstance(value, (bytes, memoryview)):
        return None
    return value


class SqlSandbox:
    def __init__(self, engine: Engine, rows_max: int = 1000, timeout_ms: int = 1000):
        self.engine = engine
        self.rows_max = rows_max
        self.timeout_ms = timeout_ms
        self._role_ready: bool | None = None

    @property
    def dialect(self) -> str:
        return "postgres" if self.engine.dialect.name == "postgresql" else "sqlite"

    # --- PostgreSQL's reader role

    def ensure_reader_role(self, physical_tables: list[str]) -> bool:
        """Create the NOLOGIN reader role if it is missing and grant it SELECT on the datastore tables; False
        (and a warning) when this database user may not manage roles: the other walls still stand."""
        if self.engine.dialect.name != "postgresql":
            return False
        import psycopg

        raw = self.engine.raw_connection()
        try:
            cursor = raw.cursor()
            cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (READER_ROLE,))
            if cursor.fetchone() is None:
                cursor.execute(f"CREATE ROLE {READER_ROLE} NOLOGIN")
            cursor.execute("SELECT pg_has_role(current_user, %s, 'MEMBER')", (READER_ROLE,))
            if not cursor.fetchone()[0]:
                cursor.execute(f"GRANT {READER_ROLE} TO current_user")
            cursor.execute("SELECT current_schema()")
            schema = cursor.fetchone()[0]
            cursor.execute(f'GRANT USAGE ON SCHEMA "{schema}" TO {READER_ROLE}')
            for table in physical_tables:
                cursor.execute(f'GRANT SELECT ON "{table}" TO {READER_ROLE}')
            raw.commit()
            self._role_ready = True
        except psycopg.Error as exc:
            raw.rollback()
            log.warning("datastore SQL runs without the %s role (%s); the parser, READ ONLY transaction and "
                        "timeout still apply", READER_ROLE, str(exc).splitlines()[0])
            self._role_ready = False
        finally:
            raw.close()
        return self._role_ready

    # --- running

    def run(self, sql: str, tables: dict[str, str]) -> SqlResult:
        rewritten = rewrite(sql, tables, self.dialect)
        if self.engine.dialect.name == "postgresql":
            columns, rows, truncated = self._run_postgres(rewritten, sorted(set(tables.values())))
        elif self.engine.dialect.name == "sqlite":
            columns, rows, truncated = self._run_sqlite(rewritten, set(tables.values()))
        else:
            raise SearchError(f"datastore_search_sql is not available on {self.engine.dialect.name}")
        fields = [{"id": name} for name in columns]
        records = [dict(zip(columns, (_json(v) for v in row))) for row in rows]
        return SqlResult(fields, records, truncated, sql)

    def _run_postgres(self, sql: str, physical: list[str]):
        import psycopg

        if self._role_ready is None:
            self.ensure_reader_role(physical)
        raw = self.engine.raw_connection()
        try:
            cursor = raw.cursor()
            cursor.execute("SET TRANSACTION READ ONLY")
            cursor.execute(f"SET LOCAL statement_timeout = {int(self.timeout_ms)}")
            cursor.execute("SET LOCAL idle_in_transaction_session_timeout = 10000")
            if self._role_ready:
                cursor.execute(f"SET LOCAL ROLE {READER_ROLE}")
            try:
                cursor.execute(sql)
            except psycopg.errors.QueryCanceled:
                raise _refuse(f"the query ran longer than {self.timeout_ms} ms and was stopped") from None
            except psycopg.errors.InsufficientPrivilege:
                raise _refuse("the query reads something other than datastore tables") from None
            except psycopg.Error as exc:
                raise _refuse(f"the query failed: {str(exc).splitlines()[0][:300]}") from None
            if cursor.description is None:
                raise _refuse("the statement returned no rows")
            columns = [d.name for d in cursor.description]
            rows = cursor.fetchmany(self.rows_max + 1)
            return columns, rows[: self.rows_max], len(rows) > self.rows_max
        finally:
            try:
                raw.rollback()
            finally:
                raw.close()

    def _run_sqlite(self, sql: str, physical: set[str]):
        database = self.engine.url.database
        if not database or database == ":memory:":
            raise SearchError("datastore_search_sql needs a SQLite file database")
        connection = sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=5, check_same_thread=False)
        allowed_functions = {f.lower() for f in ALLOWED_ANONYMOUS} | {
            "count", "sum", "avg", "min", "max", "lower", "upper", "length", "trim", "substr", "substring",
            "round", "abs", "coalesce", "nullif", "ifnull", "iif", "cast", "strftime", "date", "datetime",
            "julianday", "instr", "replace", "group_concat", "total", "printf", "format", "max", "min", "like",
            "glob", "ltrim", "rtrim", "concat", "concat_ws", "floor", "ceil", "ceiling", "sqrt", "pow", "power",
            "ln", "log", "exp", "mod", "sign", "time", "unixepoch", "char", "hex", "typeof", "quote", "unicode",
        }

        def authorizer(action, arg1, arg2, _db, _trigger):
            if action in (sqlite3.SQLITE_SELECT, sqlite3.SQLITE_RECURSIVE):
                return sqlite3.SQLITE_OK
            if action == sqlite3.SQLITE_READ:
                return sqlite3.SQLITE_OK if arg1 in physical or arg1 is None else sqlite3.SQLITE_DENY
            if action == sqlite3.SQLITE_FUNCTION:
                return sqlite3.SQLITE_OK if (arg2 or "").lower() in allowed_functions else sqlite3.SQLITE_DENY
            return sqlite3.SQLITE_DENY

        deadline = time.monotonic() + self.timeout_ms / 1000
        try:
            connection.execute("PRAGMA query_only = ON")
            connection.set_authorizer(authorizer)
            connection.set_progress_handler(lambda: 1 if time.monotonic() > deadline else 0, 2000)
            try:
                cursor = connection.execute(sql)
                columns = [d[0] for d in cursor.description or ()]
                rows = cursor.fetchmany(self.rows_max + 1)
            except sqlite3.DatabaseError as exc:
                if "interrupted" in str(exc):
                    raise _refuse(f"the query ran longer than {self.timeout_ms} ms and was stopped") from None
                if "not authorized" in str(exc) or "prohibited" in str(exc):
                    raise _refuse(f"the query reads something other than datastore tables ({exc})") from None
                raise _refuse(f"the query failed: {exc}") from None
            return columns, rows[: self.rows_max], len(rows) > self.rows_max
        finally:
            connection.close()
