"""The open-data plaza as one object: catalogue, datastore, ingest and the SQL sandbox over one engine."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine, select, text
from sqlalchemy.orm import Session

from civic_services.opendata import ingest as ingest_mod
from civic_services.opendata.catalogue import Catalog, DatasetMeta, SearchParams
from civic_services.opendata.datastore import Datastore, SearchResult, table_name_for
from civic_services.opendata.errors import Forbidden, NotFound, ValidationError
from civic_services.opendata.sql import SandboxState, SqlLimits, SqlResult, SqlSandbox
from civic_services.opendata.tables import Dataset, Resource
from database.base import utcnow


@dataclass(frozen=True)
class OpenDataOptions:
    rows_max: int = 5000  # datastore_search page cap
    sql_enabled: bool = False
    sql_rows_max: int = 1000
    sql_timeout_ms: int = 1000
    sql_max_bytes: int = 5_000_000  # the records of one datastore_search_sql answer, as JSON


class OpenData:
    def __init__(self, engine: Engine, options: OpenDataOptions = OpenDataOptions()):
        self.engine = engine
        self.options = options
        self.catalog = Catalog(engine)
        self.datastore = Datastore(engine, options.rows_max)
        self.sandbox = SqlSandbox(engine, SqlLimits(options.sql_rows_max, options.sql_timeout_ms,
                                                    options.sql_max_bytes))

    # --- reading

    def search_datastore(self, resource_id: str, **kwargs) -> tuple[Resource, SearchResult]:
        resource = self.catalog.resource(resource_id)
        return resource, self.datastore.search(resource.table_name, resource.fields, **kwargs)

    def _sql_tables(self) -> dict[str, str]:
        """Each name a query may use (dataset ids, then resource ids, which win) -> its physical table."""
        resources = self.catalog.resources_by_table()
        tables = {r.dataset_id: r.table_name for r in sorted(resources.values(), key=lambda r: -r.position)}
        tables.update({rid: r.table_name for rid, r in resources.items()})
        return tables

    def open_sql(self) -> SandboxState:
        """Whether ``datastore_search_sql`` runs on this database, decided once (the composition root asks at
        start and logs the answer; otherwise the first query asks)."""
        if not self.options.sql_enabled:
            return SandboxState(False, "turned off (DASAN_DATASTORE_SQL_ENABLED=true turns it on)")
        if self.sandbox.state is None:
            self.sandbox.open(sorted(set(self._sql_tables().values())))
        return self.sandbox.state

    def search_sql(self, sql: str) -> SqlResult:
        if not self.options.sql_enabled:
            raise Forbidden("datastore_search_sql is turned off on this server "
                            "(DASAN_DATASTORE_SQL_ENABLED=true turns it on)")
        state = self.open_sql()
        if not state.enabled:
            raise Forbidden(f"datastore_search_sql is disabled on this server: {state.reason}")
        return self.sandbox.run(sql, self._sql_tables())

    # --- writing

    def ingest(self, dataset_id: str, *, path: Path | None = None, data: bytes | None = None,
               filename: str | None = None, resource_id: str | None = None, name: str | None = None,
               types: dict[str, str] | None = None, progress=None) -> ingest_mod.IngestReport:
        """Load a CSV/JSON file into a resource of an existing dataset (replacing that resource's rows)."""
        filename = filename or (path.name if path else "upload")
        fmt = ingest_mod.detect_format(filename)
        with self.engine.connect() as connection:
            if connection.execute(select(Dataset.id).where(Dataset.id == dataset_id)).first() is None:
                raise NotFound(f"no dataset {dataset_id!r}; create it first (package_create or the CLI's --title)")
            existing = connection.execute(select(Resource.id).where(Resource.dataset_id == dataset_id)
                                          .order_by(Resource.position)).scalars().all()
        resource_id = resource_id or (existing[0] if existing else dataset_id)
        if not ingest_mod.RESOURCE_ID.fullmatch(resource_id):
            raise ValidationError("a resource id is 2-100 characters of a-z, 0-9, _ and -", field="resource_id")
        opener = ingest_mod.opener_for(path, data, progress)
        with opener() as head_stream:
            encoding = ingest_mod.detect_encoding(head_stream.read(65536))
        fields, distinct = ingest_mod.infer_fields(opener, fmt, encoding, types or {})
        table_name = table_name_for(resource_id)
        report = ingest_mod.IngestReport(resource_id, table_name, fields, 0, encoding=encoding)
        with Session(self.engine) as session, session.begin():
            clash = session.scalar(select(Resource).where(Resource.table_name == table_name,
                                                          Resource.id != resource_id))
            if clash is not None:
                raise ValidationError(f"resource id {resource_id!r} collides with {clash.id!r}", field="resource_id")
            connection = session.connection()
            table = self.datastore.create(connection, table_name, fields)
            batch = []
            for row in ingest_mod.read_rows(opener, fmt, encoding, fields, report):
                batch.append(row)
                if len(batch) >= ingest_mod.BATCH:
                    self.datastore.insert(connection, table, batch)
                    report.rows += len(batch)
                    batch = []
            self.datastore.insert(connection, table, batch)
            report.rows += len(batch)
            if report.rows == 0:
                raise ValidationError("no row could be loaded" + (
                    f"; first problem, line {report.bad_rows[0].line}: {report.bad_rows[0].message}"
                    if report.bad_rows else " (the file has a header but no data)"), field="upload")
            report.indexes = ingest_mod.choose_indexes(fields, distinct, report.rows)
            self.datastore.create_indexes(connection, table, report.indexes)
            now = utcnow()
            resource = session.get(Resource, resource_id)
            if resource is None:
                resource = Resource(id=resource_id, dataset_id=dataset_id, position=len(existing), created_at=now,
                                    table_name=table_name)
                session.add(resource)
            elif resource.dataset_id != dataset_id:
                raise ValidationError(f"resource {resource_id!r} belongs to dataset {resource.dataset_id!r}",
                                      field="resource_id")
            resource.name = name or resource.name or filename
            resource.format = "CSV" if fmt == "csv" else "JSON"
            resource.fields, resource.indexes, resource.row_count = fields, report.indexes, report.rows
            resource.modified_at = now
            dataset = session.get(Dataset, dataset_id)
            dataset.modified_at = now
            session.flush()
            self.catalog.refresh_search_text(session, dataset_id)
        if self.engine.dialect.name == "postgresql":
            with self.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                connection.execute(text(f'VACUUM ANALYZE "{table_name}"'))
            if self.options.sql_enabled:
                self.sandbox.grant([table_name])
        return report

    def create_dataset(self, meta: DatasetMeta) -> dict:
        self.catalog.upsert(meta)
        return self.catalog.show(meta.id)

    def delete_dataset(self, dataset_id: str) -> None:
        tables = self.catalog.delete(dataset_id)
        with self.engine.begin() as connection:
            for table in tables:
                connection.execute(text(f'DROP TABLE IF EXISTS "{table}"'))


__all__ = ["OpenData", "OpenDataOptions", "DatasetMeta", "SearchParams"]
