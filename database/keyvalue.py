"""Shared state with an expiry, outside any one process: what several web workers must all see (a chat
conversation, for instance) and a restart must not forget.

Two stores with the same three methods (``get``, ``put``, ``delete``; the shape its users declare, such as
:class:`chatbot.sessions.KeyValue`): :class:`SqlKeyValue` keeps the values in the process
database (the table ``kv_entries``; SQLite or PostgreSQL, so the embedded default needs no server) and
:class:`RedisKeyValue` in Redis (``DASAN_REDIS_URL``), where expiry is Redis's own. A value is a text (the caller
serialises); writes are committed before :meth:`put` returns. Two writers of one key: the last one wins.
"""

from __future__ import annotations

import threading
import time
from contextlib import contextmanager

from sqlalchemy import Engine, Float, String, Text, delete, insert, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Mapped, mapped_column

from database.base import Base

KEY_MAX = 200
SWEEP_EVERY_S = 60.0  # how often a process deletes expired rows (reads ignore them anyway)


class SharedStateError(RuntimeError):
    """The shared store cannot be reached or used (said at start, with the setting to check)."""


class KvEntry(Base):
    __tablename__ = "kv_entries"

    key: Mapped[str] = mapped_column(String(KEY_MAX), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
    expires_at: Mapped[float] = mapped_column(Float, index=True)  # seconds since the epoch


def _check(key: str) -> str:
    if not key or len(key) > KEY_MAX:
        raise ValueError(f"a key has 1 to {KEY_MAX} characters")
    return key


class SqlKeyValue:
    """Values in the process database's ``kv_entries`` table (created by the migrations)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._upsert = {"postgresql": pg_insert, "sqlite": sqlite_insert}.get(engine.dialect.name)
        self._swept = 0.0
        self._lock = threading.Lock()

    def get(self, key: str) -> str | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(KvEntry.value, KvEntry.expires_at).where(KvEntry.key == _check(key))).first()
        return row.value if row is not None and row.expires_at > time.time() else None

    def put(self, key: str, value: str, ttl_s: float) -> None:
        now = time.time()
        row = {"key": _check(key), "value": value, "expires_at": now + ttl_s}
        with self.engine.begin() as conn:
            if self._upsert is not None:
                conn.execute(self._upsert(KvEntry).values(**row).on_conflict_do_update(
                    index_elements=[KvEntry.key], set_={"value": value, "expires_at": row["expires_at"]}))
            else:  # another engine: replace the row within the transaction
                conn.execute(delete(KvEntry).where(KvEntry.key == key))
                conn.execute(insert(KvEntry).values(**row))
            if self._due(now):
                conn.execute(delete(KvEntry).where(KvEntry.expires_at <= now))

    def delete(self, key: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(delete(KvEntry).where(KvEntry.key == _check(key)))

    def _due(self, now: float) -> bool:
        with self._lock:
            if now - self._swept < SWEEP_EVERY_S:
                return False
            self._swept = now
            return True


class RedisKeyValue:
    """Values in Redis under ``prefix`` (``dasan:`` by default), each with Redis's own expiry."""

    def __init__(self, url: str, prefix: str = "dasan:") -> None:
        try:
            import redis
        except ImportError as exc:
            raise SharedStateError("DASAN_REDIS_URL is set but the redis package is not installed "
                                   "(pip install redis)") from exc
        self.client = redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=5)
        self.prefix = prefix
        try:
            self.client.ping()
        except redis.RedisError as exc:
            raise SharedStateError(f"cannot reach Redis at DASAN_REDIS_URL ({exc})") from exc

    def get(self, key: str) -> str | None:
        with self._reaching():
            value = self.client.get(self.prefix + _check(key))
        return value.decode("utf-8") if value is not None else None

    def put(self, key: str, value: str, ttl_s: float) -> None:
        with self._reaching():
            self.client.set(self.prefix + _check(key), value.encode("utf-8"), px=max(1, int(ttl_s * 1000)))

    def delete(self, key: str) -> None:
        with self._reaching():
            self.client.delete(self.prefix + _check(key))

    @contextmanager
    def _reaching(self):
        """Redis gone mid-run is a SharedStateError (a 503 for the web), not the driver's error."""
        import redis

        try:
            yield
        except redis.RedisError as exc:
            raise SharedStateError(f"Redis (DASAN_REDIS_URL) is not answering: {exc}") from exc
