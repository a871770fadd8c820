"""The civic services' shared database layer: one declarative Base, column types that behave the same on SQLite
and PostgreSQL, and Alembic migrations applied by :func:`upgrade` when the app starts.

Every civic service (complaints, open data, and later IoT and voting) declares its tables on :class:`Base` and
adds its revisions to ``migrations/versions``; there is one migration history for all of them.
"""

from civic_services.storage.base import Base, BigId, UTCDateTime, utcnow
from civic_services.storage.migrate import current_revision, head_revision, upgrade

__all__ = ["Base", "BigId", "UTCDateTime", "utcnow", "upgrade", "current_revision", "head_revision"]
