"""The parser wall of ``datastore_search_sql``: check one query and rewrite it so that it can name nothing but
datastore tables.

What a query may be: exactly one SELECT (or UNION/INTERSECT/EXCEPT of SELECTs), no INTO or locking clause, no
placeholders, functions and cast types from an allowlist, nested at most :data:`MAX_DEPTH` levels.

How names are resolved (the point of this module): every table reference is resolved in its own scope
(``sqlglot.optimizer.scope``), to a CTE visible at that point or to a datastore resource (by resource or dataset
id); anything else is refused, and so is a reference the scope analysis did not place. Then the query is
rewritten so that the database cannot resolve a name differently: every CTE gets a fresh name
(``__dasan_cte_N``) and each reference resolved to it is renamed with it; every datastore reference becomes its
physical table (schema-qualified on PostgreSQL). The rewritten text is parsed once more and must name only those
CTEs and physical tables. Were the scope analysis ever to disagree with the database, the disagreeing reference
names a table that does not exist (an error), never a table outside the datastore.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import sqlglot
from sqlglot import exp
from sqlglot.errors import ErrorLevel, OptimizeError, SqlglotError
from sqlglot.optimizer.scope import traverse_scope
from sqlglot.tokens import TokenType

from civic_services.opendata.errors import SearchError

MAX_SQL_CHARS = 20_000
MAX_DEPTH = 32  # parentheses (and brackets) inside each other
CTE_PREFIX = "__dasan_cte_"

ALLOWED_FUNCTIONS = frozenset({  # sqlglot's typed function classes
    "Count", "Sum", "Avg", "Min", "Max", "Stddev", "StddevPop", "StddevSamp", "Variance", "VariancePop",
    "Median", "PercentileCont", "PercentileDisc", "Quantile", "ApproxDistinct", "CountIf", "GroupConcat",
    "Lower", "Upper", "Length", "Trim", "Substring", "Concat", "ConcatWs", "Left", "Right", "Replace",
    "StrPosition", "Initcap", "Reverse", "Pad", "Repeat", "Chr", "Unicode", "Hex", "Typeof",
    "Round", "Abs", "Floor", "Ceil", "Sqrt", "Pow", "Ln", "Log", "Exp", "Mod", "Sign", "Greatest", "Least",
    "Coalesce", "Nullif", "If", "Case", "Cast", "TryCast", "Extract", "TimestampTrunc", "DateTrunc",
    "CurrentDate", "CurrentTimestamp", "DateAdd", "DateSub", "DateDiff", "TsOrDsToDate", "TsOrDsToTimestamp",
    "StrToTime", "TimeToStr", "StrToDate", "ToChar", "Date", "Time", "Timestamp", "Exists",
    "RowNumber", "Rank", "DenseRank", "PercentRank", "CumeDist", "Ntile", "Lag", "Lead", "FirstValue",
    "LastValue", "NthValue", "Anonymous",
})
ALLOWED_ANONYMOUS = frozenset({  # functions sqlglot leaves untyped, by name
    "date_part", "to_char", "to_date", "strftime", "julianday", "date", "datetime", "ifnull", "nullif", "substr",
    "instr", "printf", "format", "split_part", "char_length", "character_length", "btrim", "ltrim", "rtrim",
    "trunc", "div", "width_bucket", "string_agg", "bool_and", "bool_or", "every", "total", "unistr", "quote",
})
ALLOWED_TYPES = frozenset({
    "BIGDECIMAL", "BIGINT", "BOOLEAN", "CHAR", "DATE", "DECIMAL", "DOUBLE", "FLOAT", "INT", "INTERVAL", "NCHAR",
    "NVARCHAR", "SMALLINT", "TEXT", "TIME", "TIMETZ", "TIMESTAMP", "TIMESTAMPLTZ", "TIMESTAMPTZ", "TINYINT",
    "UINT", "VARCHAR",
})
_FORBIDDEN_NODES = (exp.Command, exp.Insert, exp.Update, exp.Delete, exp.Create, exp.Drop, exp.Alter, exp.Merge,
                    exp.Pragma, exp.Set, exp.Transaction, exp.Commit, exp.Rollback, exp.Copy, exp.Use)


class QueryTooDeep(SearchError):
    """A query nested deeper than the sandbox parses (a 400, as any request it cannot read)."""

    status = 400


@dataclass(frozen=True)
class CheckedQuery:
    """A query that passed the parser wall: the text to run and the physical tables it reads."""

    sql: str
    tables: frozenset[str]
    ctes: frozenset[str] = frozenset()  # the CTEs' new names


def refuse(message: str) -> SearchError:
    return SearchError(message, field="sql")


def _too_deep() -> QueryTooDeep:
    return QueryTooDeep(f"the query is nested more than {MAX_DEPTH} levels deep", field="sql")


def _parse_one(sql: str, dialect: str) -> exp.Expr:
    """The one statement of ``sql``; refused if it is empty, too long, not text, too deep or not one statement."""
    if not sql or not sql.strip():
        raise refuse("sql is empty")
    if len(sql) > MAX_SQL_CHARS:
        raise refuse(f"sql is longer than {MAX_SQL_CHARS:,} characters")
    try:
        sql.encode("utf-8")
    except UnicodeEncodeError:
        raise refuse("sql is not valid text (it holds a lone surrogate)") from None
    if "\x00" in sql:
        raise refuse("sql may not contain NUL characters")
    try:
        tokens = sqlglot.Dialect.get_or_raise(dialect).tokenize(sql)
        depth = deepest = 0
        for token in tokens:
            if token.token_type in (TokenType.L_PAREN, TokenType.L_BRACKET):
                depth += 1
                deepest = max(deepest, depth)
            elif token.token_type in (TokenType.R_PAREN, TokenType.R_BRACKET):
                depth -= 1
        if deepest > MAX_DEPTH:
            raise _too_deep()
        statements = [s for s in sqlglot.parse(sql, read=dialect) if s is not None]
    except RecursionError:
        raise _too_deep() from None
    except SqlglotError as exc:  # ParseError, TokenError, ...
        raise refuse(f"sql does not parse: {str(exc).splitlines()[0][:300]}") from None
    if len(statements) != 1:
        raise refuse(f"give exactly one SELECT statement ({len(statements)} were given)")
    statement = statements[0]
    if not isinstance(statement, (exp.Select, exp.SetOperation)) and not (
            isinstance(statement, exp.Subquery) and isinstance(statement.unnest(), (exp.Select, exp.SetOperation))):
        raise refuse(f"only SELECT is allowed, not {statement.key.upper()}")
    return statement


def _check_nodes(statement: exp.Expr, dialect: str) -> None:
    """No writes, INTO, locks or placeholders; only allowlisted functions and cast types."""
    for node in statement.walk():
        if isinstance(node, (exp.Into, exp.Lock)):
            raise refuse("SELECT ... INTO and locking clauses (FOR UPDATE/SHARE) are not allowed")
        if isinstance(node, _FORBIDDEN_NODES):
            raise refuse(f"only SELECT is allowed ({node.key.upper()} found)")
        if isinstance(node, (exp.Placeholder, exp.Parameter)):
            raise refuse("placeholders ($1, ?, :name) are not allowed; write the values into the query")
        if isinstance(node, exp.Func):
            kind = type(node).__name__
            if kind not in ALLOWED_FUNCTIONS or (kind == "Anonymous" and node.name.lower() not in ALLOWED_ANONYMOUS):
                name = node.name if kind == "Anonymous" else node.sql_name()
                raise refuse(f"function {name.lower()}() is not allowed in datastore_search_sql")
        if isinstance(node, exp.DataType):
            kind = node.this.name if isinstance(node.this, exp.DataType.Type) else str(node.this)
            if kind not in ALLOWED_TYPES:
                shown = node.sql(dialect=dialect).lower()
                if shown.startswith("reg"):
                    raise refuse("casts to system object types are not allowed")
                raise refuse(f"casts to {shown} are not allowed (numbers, text, booleans, dates and times are)")


def _key(identifier: exp.Expr, dialect: str) -> str:
    """A table or CTE name as the database compares it: PostgreSQL folds unquoted names to lower case, SQLite
    compares every name without case."""
    name = identifier.name
    quoted = isinstance(identifier, exp.Identifier) and identifier.quoted
    return name if quoted and dialect == "postgres" else name.lower()


def _cte_of(scope) -> exp.CTE | None:
    node = scope.expression
    while node is not None and not isinstance(node, exp.CTE):
        node = node.parent
    return node


def _resolve(statement: exp.Expr, tables: Mapping[str, str], dialect: str):
    """(CTE renames, table decisions): each ``exp.Table`` of the statement, by id, resolved in its scope to
    ("cte", the CTE node) or ("datastore", physical table). Refuses what resolves to neither."""
    for node in statement.walk():  # names as the database compares them, before the scopes are built
        if isinstance(node, exp.Table) and isinstance(node.this, exp.Identifier):
            node.this.set("this", _key(node.this, dialect))
        elif isinstance(node, exp.CTE) and node.args.get("alias") is not None:
            alias = node.args["alias"]
            if isinstance(alias.this, exp.Identifier):
                alias.this.set("this", _key(alias.this, dialect))
    try:
        scopes = traverse_scope(statement)
    except RecursionError:
        raise _too_deep() from None
    except (OptimizeError, SqlglotError) as exc:
        raise refuse(f"the query's structure is not supported: {str(exc).splitlines()[0][:200]}") from None
    decisions: dict[int, tuple[str, object]] = {}
    for scope in scopes:
        for table in scope.tables:
            if table.args.get("db") or table.args.get("catalog"):
                raise refuse(f"table {table.sql(dialect=dialect)} is not a datastore resource (no schemas allowed)")
            if not isinstance(table.this, exp.Identifier) or not table.name:
                raise refuse("only datastore tables may appear in FROM (no table functions)")
            name = table.name
            visible = scope.cte_sources.get(name)
            if visible is not None:
                cte = _cte_of(visible)
                if cte is None:
                    raise refuse(f"the query's reference to {name!r} could not be resolved")
                decisions[id(table)] = ("cte", cte)
            elif name in tables:
                decisions[id(table)] = ("datastore", tables[name])
            else:
                raise refuse(f"table {name!r} is not a datastore resource; query resources by their id, "
                             'e.g. SELECT * FROM "public_toilets"')
    for node in statement.walk():
        if isinstance(node, exp.Table) and id(node) not in decisions:
            raise refuse(f"the table reference {node.sql(dialect=dialect)} is in a place datastore_search_sql "
                         "does not support")
    return decisions


def _rewrite(statement: exp.Expr, decisions, dialect: str, schema: str | None) -> tuple[set[str], set[str]]:
    """Rename every CTE and every reference to it, point datastore references at their physical tables; returns
    (CTE names, physical tables) used."""
    ctes: dict[int, str] = {}
    for number, cte in enumerate(statement.find_all(exp.CTE), 1):
        ctes[id(cte)] = f"{CTE_PREFIX}{number}"
    tables = list(statement.find_all(exp.Table))  # before the CTEs' aliases change
    for cte in statement.find_all(exp.CTE):
        alias = cte.args.get("alias")
        if alias is None:
            raise refuse("every CTE needs a name")
        alias.set("this", exp.to_identifier(ctes[id(cte)], quoted=True))
    physical: set[str] = set()
    for table in tables:
        kind, target = decisions[id(table)]
        original = table.name
        if kind == "cte":
            table.set("this", exp.to_identifier(ctes[id(target)], quoted=True))
        else:
            physical.add(target)
            table.set("this", exp.to_identifier(target, quoted=True))
            if schema:
                table.set("db", exp.to_identifier(schema, quoted=True))
        if not table.alias:
            table.set("alias", exp.TableAlias(this=exp.to_identifier(original, quoted=True)))
    return set(ctes.values()), physical


def _verify(sql: str, dialect: str, cte_names: set[str], physical: set[str], schema: str | None) -> None:
    """The rewritten text, parsed again, names only the renamed CTEs and the physical datastore tables."""
    again = sqlglot.parse_one(sql, read=dialect)
    for node in again.walk():
        if isinstance(node, exp.CTE) and node.alias not in cte_names:
            raise refuse("the query could not be rewritten safely (a CTE kept its name)")
        if isinstance(node, exp.Table):
            db = node.args.get("db")
            if node.args.get("catalog") or (db is not None and (schema is None or db.name != schema)):
                raise refuse("the query could not be rewritten safely (a schema appeared)")
            if node.name in cte_names and db is None:
                continue
            if node.name not in physical or (schema is not None and db is None):
                raise refuse("the query could not be rewritten safely (a table kept its name)")


def check(sql: str, tables: Mapping[str, str], dialect: str, schema: str | None = None) -> CheckedQuery:
    """Check ``sql`` against the rules and rewrite it (see the module's docstring).

    ``tables`` maps each name a query may use (resource ids, dataset ids) to its physical table; ``schema``
    qualifies the physical tables (PostgreSQL)."""
    statement = _parse_one(sql, dialect)
    _check_nodes(statement, dialect)
    decisions = _resolve(statement, tables, dialect)
    cte_names, physical = _rewrite(statement, decisions, dialect, schema)
    try:
        rewritten = statement.sql(dialect=dialect, comments=False, unsupported_level=ErrorLevel.RAISE)
        _verify(rewritten, dialect, cte_names, physical, schema)
    except RecursionError:
        raise _too_deep() from None
    except SqlglotError as exc:  # UnsupportedError: the dialect cannot express a construct
        raise refuse(f"the query cannot be run here: {str(exc).splitlines()[0][:300]}") from None
    return CheckedQuery(rewritten, frozenset(physical), frozenset(cte_names))
