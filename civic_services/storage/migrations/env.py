"""Alembic environment: migrations always run on a connection handed over by civic_services.storage.upgrade."""

from alembic import context

import civic_services.complaints.tables  # noqa: F401  (registers the tables on Base.metadata)
import civic_services.opendata.tables  # noqa: F401
import civic_services.staff.tables  # noqa: F401
from civic_services.storage.base import Base
from civic_services.storage.migrate import VERSION_TABLE

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through civic_services.storage.upgrade(engine), which passes a connection")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    version_table=VERSION_TABLE,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
