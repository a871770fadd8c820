"""The migrations build exactly the tables the code declares, on SQLite and on the real PostgreSQL."""

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine

from database import upgrade
from dasan.runtime import declared_metadata
from database.migrate import VERSION_TABLE
from tests.civic_services.conftest import make_database_url


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_upgraded_database_matches_every_declared_table(kind, tmp_path, request):
    engine = create_engine(make_database_url(kind, tmp_path, request))
    try:
        upgrade(engine)
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True,
                                                                   "version_table": VERSION_TABLE})
            differences = compare_metadata(context, declared_metadata())
        assert differences == []
        declared = {name for metadata in declared_metadata() for name in metadata.tables}
        # every package's tables take part in the comparison (one table each is enough to show it)
        assert {"complaint_requests", "opendata_datasets", "staff_tokens", "iot_observations", "vote_ballots",
                "minutes_meetings", "minutes_segments"} <= declared
    finally:
        engine.dispose()
