"""The process's database, below every domain: the engine (a SQLite file by default, PostgreSQL or any SQLAlchemy
URL by configuration), one declarative base with column types that behave the same on SQLite and PostgreSQL, and
the Alembic history applied by :func:`upgrade`.

This package knows no domain. Each domain declares its tables on :class:`Base` (or a ``MetaData`` of its own) and
the composition code hands the list of them to :func:`upgrade` for the migrations' environment; there is one
migration history (``migrations/versions``) for all of them.
"""

from database.base import Base, BigId, UTCDateTime, utcnow
from database.engine import describe, make_engine, ping
from database.migrate import current_revision, head_revision, upgrade

__all__ = ["Base", "BigId", "UTCDateTime", "utcnow", "make_engine", "ping", "describe", "upgrade",
           "current_revision", "head_revision"]
