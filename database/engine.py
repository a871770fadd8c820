"""The database engine from ``DATABASE_URL``: a SQLite file by default, PostgreSQL (or any SQLAlchemy URL) by URL."""

from __future__ import annotations

import time
from pathlib import Path

from sqlalchemy import Engine, create_engine, event, exc, text
from sqlalchemy.engine import make_url

# A pooled connection idle longer than this is tried with a trivial query before it is handed out (the server
# may have closed it); one used more recently is handed out as it is, without a round trip.
STALE_AFTER_S = 30.0


def make_engine(url: str, pool_size: int = 10) -> Engine:
    """``pool_size`` connections are kept open per process (server databases), and as many again may be opened
    for a burst; a request waits for a free one beyond that."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(connection, _record):  # durable and concurrent enough for a city's small office
            cursor = connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=FULL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()

        return engine
    engine = create_engine(url, pool_size=pool_size, max_overflow=pool_size, pool_recycle=3600)
    _ping_when_stale(engine)
    return engine


def _ping_when_stale(engine: Engine) -> None:
    """Hand out a connection idle for a while only once it answers; a dead one is replaced (the pool retries).

    SQLAlchemy's ``pool_pre_ping`` pings on every checkout: a round trip per request that a busy pool never
    needs, since its connections were in use a moment ago.
    """

    @event.listens_for(engine, "checkin")
    def _checked_in(_connection, record):
        if record is not None:
            record.info["returned_at"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _checked_out(connection, record, _proxy):
        returned = record.info.get("returned_at")
        if returned is None or time.monotonic() - returned < STALE_AFTER_S:
            return
        cursor = connection.cursor()
        try:
            cursor.execute("SELECT 1")
        except Exception as error:  # noqa: BLE001  (any driver's "connection is gone")
            raise exc.DisconnectionError(str(error)) from error
        finally:
            try:
                cursor.close()
            except Exception:  # noqa: BLE001
                pass
        connection.rollback()  # the ping's own transaction, not the caller's


def ping(engine: Engine) -> None:
    """Raise if the database cannot answer a trivial query."""
    with engine.connect() as connection:
        connection.execute(text("SELECT 1"))


def describe(url: str) -> str:
    """The URL without its password, for logs and health answers."""
    return make_url(url).render_as_string(hide_password=True)
