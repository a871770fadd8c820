"""The minutes tables by Alembic (revision 0004) on SQLite and the real PostgreSQL: a fresh database gets exactly the
tables minutes/store.py reads and writes, and a database made by the old ``create_all`` path upgrades keeping its
meetings."""

from __future__ import annotations

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from database import current_revision, head_revision, upgrade
from database.migrate import alembic_config
from database import make_engine
from minutes import store as minutes_store
from minutes.document import ActionItem, Item, Meeting, Minutes
from minutes.store import MeetingStore
from speech.events import Segment
from tests.civic_services.conftest import make_database_url, postgres_available  # noqa: F401  (a fixture)

TABLES = {"minutes_meetings", "minutes_segments"}


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request, tmp_path):
    engine = make_engine(make_database_url(request.param, tmp_path, request))
    yield engine
    engine.dispose()


def schema_differences(engine) -> list:
    """Alembic's comparison of the database with the store's table definitions, for the minutes tables."""
    with engine.connect() as connection:
        diffs = compare_metadata(MigrationContext.configure(connection, opts={"compare_type": True}),
                                 minutes_store.metadata)

    def table_of(diff) -> str | None:
        first = diff[0] if isinstance(diff, list) else diff
        for part in first[1:]:
            name = getattr(part, "name", None) if not isinstance(part, str) else None
            table = getattr(part, "table", None)
            if table is not None and getattr(table, "name", None):
                return table.name
            if name:
                return name
            if isinstance(part, str) and part.startswith("minutes_"):
                return part
        return None

    return [d for d in diffs if table_of(d) in TABLES]


def sample_meeting() -> Meeting:
    meeting = Meeting(title="예산 회의", language="ko", duration=9.0, speaker_names={"Speaker 1": "김 과장"})
    meeting.segments = [Segment(0, 0.0, 4.0, "첫 번째 안건은 예산입니다.", (), "Speaker 1", "ko"),
                        Segment(1, 4.5, 9.0, "김 과장이 금요일까지 제출해 주세요.", (), "Speaker 2", "ko")]
    meeting.minutes = Minutes((Item("예산 논의", 0.0, "Speaker 1"),), (), (),
                              (ActionItem("예산안 제출", 4.5, "김 과장", "금요일까지"),), "llm", {"model": "test"})
    return meeting


def test_a_fresh_database_gets_the_stores_tables_exactly(engine):
    assert upgrade(engine) == head_revision()
    assert TABLES <= set(inspect(engine).get_table_names())
    assert schema_differences(engine) == []
    store = MeetingStore(engine)
    meeting = sample_meeting()
    store.save(meeting)
    again = store.get(meeting.id)
    assert again.segments == meeting.segments and again.minutes.composed_by == "llm"
    assert again.minutes.composition == {"model": "test"} and again.minutes.actions[0].owner == "김 과장"
    store.delete(meeting.id)
    assert store.list() == []


@pytest.mark.parametrize("civic_first", [True, False], ids=["server-database", "cli-only-database"])
def test_a_database_from_the_old_create_all_path_upgrades_and_keeps_its_meetings(engine, civic_first):
    if civic_first:  # the server had migrated the civic tables to 0003, then the store created its own
        upgrade(engine, "0003")
    minutes_store.metadata.create_all(engine)  # what MeetingStore did before revision 0004
    meeting = sample_meeting()
    MeetingStore(engine).save(meeting)
    assert current_revision(engine) == ("0003" if civic_first else None)
    assert upgrade(engine) == head_revision() == upgrade(engine)
    assert schema_differences(engine) == []
    kept = MeetingStore(engine).get(meeting.id)
    assert kept.title == "예산 회의" and [s.text for s in kept.segments] == [s.text for s in meeting.segments]


def test_downgrade_drops_the_tables_and_upgrade_brings_them_back(engine):
    upgrade(engine)
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0003")
    assert not TABLES & set(inspect(engine).get_table_names())
    assert upgrade(engine) == head_revision()
    assert TABLES <= set(inspect(engine).get_table_names())


def test_the_store_opens_through_the_migrations(tmp_path):
    from dasan.runtime import Runtime
    from tests.harness import clean_settings

    with Runtime.open(clean_settings(data_dir=tmp_path, database_url=f"sqlite:///{tmp_path / 'm.db'}")) as runtime:
        assert current_revision(runtime.engine) == head_revision() and runtime.minutes.store.list() == []
