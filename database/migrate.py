"""Apply the Alembic migrations to an engine, safely when several workers start at once."""

from __future__ import annotations

import fcntl
import logging
from collections.abc import Sequence
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, MetaData, text

log = logging.getLogger("dasan.database")

MIGRATIONS = Path(__file__).with_name("migrations")
VERSION_TABLE = "civic_alembic_version"
# Any constant shared by every process migrating the same PostgreSQL database.
_PG_LOCK_KEY = 0x0D15A0C1


def alembic_config(metadata: Sequence[MetaData] = ()) -> Config:
    """Alembic's configuration; ``metadata`` is every table the process declares (what autogenerate compares the
    database with, so that it never proposes dropping a table it was not told of)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["target_metadata"] = list(metadata)
    return config


def head_revision() -> str:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection, opts={"version_table": VERSION_TABLE}).get_current_revision()


@contextmanager
def _sqlite_file_lock(engine: Engine):
    database = engine.url.database
    if not database or database == ":memory:":
        yield
        return
    lock_path = Path(database).with_name(Path(database).name + ".migrate-lock")
    with open(lock_path, "a+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def upgrade(engine: Engine, revision: str = "head", metadata: Sequence[MetaData] = ()) -> str:
    """Bring the database to ``revision`` (the newest by default) and return the revision it is at.

    Idempotent; several processes calling it at once (server workers) take turns: PostgreSQL through an
    advisory lock held by the migrating transaction, SQLite through a lock file beside the database.
    """
    config = alembic_config(metadata)
    if engine.dialect.name == "sqlite":
        with _sqlite_file_lock(engine), engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, revision)
    else:
        with engine.begin() as connection:
            if engine.dialect.name == "postgresql":
                connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_LOCK_KEY})
            config.attributes["connection"] = connection
            command.upgrade(config, revision)
    at = current_revision(engine)
    log.info("database at revision %s", at)
    return at
