"""Alembic environment: migrations always run on a connection handed over by database.upgrade, which also passes
the tables the process declares (``target_metadata``)."""

from alembic import context

from database.migrate import VERSION_TABLE

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through database.upgrade(engine), which passes a connection")

context.configure(
    connection=connection,
    target_metadata=context.config.attributes.get("target_metadata") or None,  # every declared table
    version_table=VERSION_TABLE,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
