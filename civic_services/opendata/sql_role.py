"""PostgreSQL's wall of the SQL sandbox: the NOLOGIN role ``dasan_datastore_reader`` that may SELECT only the
datastore tables. ``datastore_search_sql`` runs on PostgreSQL only when this role is ready:

- it exists (created here when the server's database user may create roles), is no superuser and does not
  bypass row security;
- the server's user may take it (``SET ROLE``; made a member here when it may grant that);
- it has USAGE on the datastore's schema and SELECT on each datastore table (granted here: the server's user
  owns those tables), and it can read no other table or view of that schema.

:func:`prepare` checks and does all of that and says, in one sentence, what is missing (and how to fix it).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy import Engine

log = logging.getLogger("civic_services.opendata.sql")

READER_ROLE = "dasan_datastore_reader"
_ATTEMPTS = 3  # role statements of two servers starting at once may collide ("tuple concurrently updated")


@dataclass(frozen=True)
class RoleReady:
    ok: bool
    reason: str
    schema: str | None = None


def _fix(user: str) -> str:
    return (f"as a superuser run: CREATE ROLE {READER_ROLE} NOLOGIN; GRANT {READER_ROLE} TO \"{user}\"; "
            "then restart the server")


def _prepare_once(cursor, physical_tables: list[str]) -> RoleReady:
    import psycopg

    cursor.execute("SELECT current_user, current_schema()")
    user, schema = cursor.fetchone()
    cursor.execute("SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = %s", (READER_ROLE,))
    found = cursor.fetchone()
    if found is None:
        try:
            cursor.execute("SAVEPOINT create_role")
            cursor.execute(f"CREATE ROLE {READER_ROLE} NOLOGIN")
        except psycopg.errors.DuplicateObject:  # another server created it just now
            cursor.execute("ROLLBACK TO SAVEPOINT create_role")
        except psycopg.errors.InsufficientPrivilege:
            return RoleReady(False, f"the read-only role {READER_ROLE} does not exist and the database user "
                                    f"{user!r} may not create it; {_fix(user)}", schema)
    elif found[0] or found[1]:
        return RoleReady(False, f"the role {READER_ROLE} is a superuser or bypasses row security, so it is no "
                                "wall; make it a plain NOLOGIN role", schema)
    cursor.execute("SELECT pg_has_role(current_user, %s, 'MEMBER')", (READER_ROLE,))
    if not cursor.fetchone()[0]:
        try:
            cursor.execute("SAVEPOINT grant_role")
            cursor.execute(f'GRANT {READER_ROLE} TO "{user}"')
        except psycopg.errors.InsufficientPrivilege:
            return RoleReady(False, f"the database user {user!r} may not take the read-only role {READER_ROLE}; "
                                    f"{_fix(user)}", schema)
    cursor.execute("SELECT has_schema_privilege(%s, %s, 'USAGE')", (READER_ROLE, schema))
    if not cursor.fetchone()[0]:
        cursor.execute(f'GRANT USAGE ON SCHEMA "{schema}" TO {READER_ROLE}')
    for table in physical_tables:
        cursor.execute(f'GRANT SELECT ON "{schema}"."{table}" TO {READER_ROLE}')
    cursor.execute(
        "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = %s AND c.relkind IN ('r', 'v', 'm', 'p', 'f') "
        "AND has_table_privilege(%s, c.oid, 'SELECT') AND NOT (c.relname = ANY(%s)) ORDER BY c.relname LIMIT 5",
        (schema, READER_ROLE, list(physical_tables)))
    readable = [row[0] for row in cursor.fetchall()]
    if readable:
        return RoleReady(False, f"the role {READER_ROLE} can read tables outside the datastore "
                                f"({', '.join(readable)}); revoke that (REVOKE SELECT ON ... FROM {READER_ROLE} "
                                "or FROM PUBLIC) and restart", schema)
    cursor.execute(f"SET LOCAL ROLE {READER_ROLE}")  # proves this user may take it
    return RoleReady(True, f"PostgreSQL: READ ONLY transactions as the role {READER_ROLE}, which may read only "
                           f"the datastore tables (schema {schema!r})", schema)


def prepare(engine: Engine, physical_tables: list[str]) -> RoleReady:
    """Check (and where this user may, create and grant) the reader role for ``physical_tables``."""
    import psycopg

    last = ""
    for _attempt in range(_ATTEMPTS):
        raw = engine.raw_connection()
        try:
            ready = _prepare_once(raw.cursor(), physical_tables)
            if ready.ok:
                raw.commit()
            else:
                raw.rollback()
            return ready
        except psycopg.errors.InsufficientPrivilege as exc:
            raw.rollback()
            return RoleReady(False, f"the read-only role {READER_ROLE} cannot be prepared: "
                                    f"{str(exc).splitlines()[0]}")
        except psycopg.Error as exc:  # a concurrent GRANT or CREATE ROLE of another server: try again
            raw.rollback()
            last = str(exc).splitlines()[0]
        finally:
            raw.close()
    return RoleReady(False, f"the read-only role {READER_ROLE} could not be prepared: {last}")


def grant(engine: Engine, physical_tables: list[str]) -> None:
    """SELECT on tables loaded after start-up (the role already exists); a failure is logged, and those tables
    then answer 'reads something other than datastore tables' until the next start."""
    import psycopg

    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        cursor.execute("SELECT current_schema()")
        schema = cursor.fetchone()[0]
        for table in physical_tables:
            cursor.execute(f'GRANT SELECT ON "{schema}"."{table}" TO {READER_ROLE}')
        raw.commit()
    except psycopg.Error as exc:
        raw.rollback()
        log.warning("could not grant %s SELECT on %s: %s", READER_ROLE, ", ".join(physical_tables),
                    str(exc).splitlines()[0])
    finally:
        raw.close()
