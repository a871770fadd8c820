"""What the database benchmarks share: a scratch database (on PostgreSQL, created beside the one a URL names and
dropped afterwards, so a benchmark never writes into a real database) migrated by the project's own migrations,
with the machine's load printed before and after (figures from a busy machine are read as such)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

LOCAL_POSTGRES = os.environ.get("DASAN_TEST_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


@contextmanager
def scratch_url(url: str | None) -> Iterator[str]:
    """A URL to benchmark on: a scratch database beside the PostgreSQL one ``url`` names (the local server when
    None), dropped afterwards; any other URL (a SQLite file) as it is."""
    url = url or LOCAL_POSTGRES
    if not url.startswith("postgresql"):
        yield url
        return
    name = f"dasan_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@contextmanager
def bench_engine(url: str | None) -> Iterator[Engine]:
    """An engine on :func:`scratch_url`'s database, migrated to the newest schema."""
    from database import make_engine, upgrade

    with scratch_url(url) as scratch:
        engine = make_engine(scratch)
        try:
            upgrade(engine)
            print(f"machine load (1/5/15 min): {os.getloadavg()}; {os.cpu_count()} CPUs; database "
                  f"{engine.dialect.name}")
            yield engine
            print(f"machine load after: {os.getloadavg()}")
        finally:
            engine.dispose()
