"""Alembic environment: migrations always run on a connection handed over by civic_services.storage.upgrade."""

from alembic import context

from civic_services.storage.migrate import VERSION_TABLE, declared_metadata

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through civic_services.storage.upgrade(engine), which passes a connection")

context.configure(
    connection=connection,
    target_metadata=declared_metadata(),  # every table, so that autogenerate proposes dropping none
    version_table=VERSION_TABLE,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
