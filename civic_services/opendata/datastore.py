"""The datastore: each tabular resource in a typed table of its own, searched with CKAN's
``datastore_search`` semantics (filters, q, fields, sort, offset, limit with a row cap, total)."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from sqlalchemy import (BigInteger, Column, Connection, Engine, Index, Integer, MetaData, Table, func, or_, select,
                        text)

from civic_services.opendata import types
from civic_services.opendata.errors import ValidationError

RESERVED = {"_id", "_full_text"}


def table_name_for(resource_id: str) -> str:
    slug = re.sub(r"[^a-z0-9_]+", "_", resource_id.lower()).strip("_")[:50] or "resource"
    return f"ds_{slug}"


def build_table(name: str, fields: list[dict]) -> Table:
    metadata = MetaData()
    columns = [Column("_id", BigInteger().with_variant(Integer(), "sqlite"), primary_key=True, autoincrement=True)]
    columns += [Column(f["id"], types.SQL_TYPES[f["type"]](), nullable=True) for f in fields]
    return Table(name, metadata, *columns)


def index_name(table: str, columns: list[str]) -> str:
    digest = hashlib.sha1(("|".join(columns)).encode()).hexdigest()[:8]
    return f"ix_{table[:40]}_{digest}"


def choose_indexes(fields: list[dict], distinct: dict[str, int], rows: int) -> list[list[str]]:
    """Indexes for the filters and sorts people use: low-cardinality columns (district, line, category), dates,
    each category with the first date (a filtered page sorted by date), and unique ids. None for small tables."""
    if rows < 1000:
        return []
    temporal = [f["id"] for f in fields if f["type"] in ("date", "timestamp")]
    # Text columns with few values (district, category); numbers only with very few (line, year), else they are
    # measures (counts, amounts) that people sort by less often than they filter by place and time.
    categorical = sorted((f["id"] for f in fields if (f["type"] in ("text", "bool") or
                                                      (f["type"] == "int" and distinct.get(f["id"], 0) <= 50))
                          and 1 < distinct.get(f["id"], 0) <= min(2000, rows // 20)),
                         key=lambda name: -distinct[name])[:4]
    identifiers = [f["id"] for f in fields if f["type"] in ("int", "text") and distinct.get(f["id"], 0) >= rows
                   and (f["id"].lower() == "id" or f["id"].lower().endswith("_id"))][:1]
    chosen = [[c] for c in categorical] + [[t] for t in temporal[:2]] + [[i] for i in identifiers]
    if temporal:
        chosen += [[c, temporal[0]] for c in categorical[:3]]
    return chosen[:10]


@dataclass(frozen=True)
class SearchResult:
    fields: list[dict]
    records: list[dict]
    total: int | None
    limit: int
    offset: int
    sort: str


def _has_nul(value) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_nul(v) for v in value)
    return False


def _escape_like(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _parse_sort(sort: str | None, known: set[str]) -> list[tuple[str, bool]]:
    order = []
    for part in (sort or "").split(","):
        part = part.strip()
        if not part:
            continue
        match = re.fullmatch(r'"?([^"]+?)"?(?:\s+(asc|desc))?', part, re.IGNORECASE)
        if not match or match.group(1) not in known:
            raise ValidationError(f"cannot sort by {part!r}: not a field of this resource", field="sort")
        order.append((match.group(1), (match.group(2) or "asc").lower() == "desc"))
    return order


class Datastore:
    def __init__(self, engine: Engine, rows_max: int = 5000):
        self.engine = engine
        self.rows_max = rows_max

    # --- writing (called by ingest inside its transaction)

    def create(self, connection: Connection, name: str, fields: list[dict]) -> Table:
        table = build_table(name, fields)
        connection.execute(text(f'DROP TABLE IF EXISTS "{name}"'))
        table.create(connection)
        return table

    def insert(self, connection: Connection, table: Table, rows: list[dict]) -> None:
        if not rows:
            return
        if connection.dialect.name == "postgresql":
            columns = [c.name for c in table.columns if c.name != "_id"]
            quoted = ", ".join('"' + c.replace('"', '""') + '"' for c in columns)
            cursor = connection.connection.driver_connection.cursor()
            with cursor.copy(f'COPY "{table.name}" ({quoted}) FROM STDIN') as copy:
                for row in rows:
                    copy.write_row([row.get(c) for c in columns])
        else:
            connection.execute(table.insert(), rows)

    def create_indexes(self, connection: Connection, table: Table, indexes: list[list[str]]) -> None:
        for columns in indexes:
            Index(index_name(table.name, columns), *[table.c[c] for c in columns]).create(connection)

    # --- reading

    def search(self, table_name: str, fields: list[dict], *, filters: dict | None = None, q=None,
               columns: list[str] | None = None, sort: str | None = None, offset: int = 0, limit: int = 100,
               include_total: bool = True) -> SearchResult:
        table = build_table(table_name, fields)
        by_name = {f["id"]: f for f in fields}
        known = {"_id", *by_name}
        if offset < 0:
            raise ValidationError("offset must be 0 or more", field="offset")
        if limit < 0:
            raise ValidationError("limit must be 0 or more", field="limit")
        limit = min(limit, self.rows_max)
        if columns:
            unknown = [c for c in columns if c not in known]
            if unknown:
                raise ValidationError(f"unknown field(s): {', '.join(unknown)}", field="fields")
            selected = list(dict.fromkeys(columns))
        else:
            selected = ["_id", *by_name]
        conditions = []
        for name, wanted in (filters or {}).items():
            if name not in known:
                raise ValidationError(f"cannot filter on {name!r}: not a field of this resource", field="filters")
            kind = "int" if name == "_id" else by_name[name]["type"]
            values = wanted if isinstance(wanted, list) else [wanted]
            if not values or len(values) > 1000:
                raise ValidationError(f"filter {name!r} needs 1 to 1000 values", field="filters")
            try:
                parsed = [types.parse(kind, v) for v in values]
            except (ValueError, OverflowError) as exc:
                raise ValidationError(f"filter {name!r}: {exc}", field="filters") from None
            present = [v for v in parsed if v is not None]
            condition = table.c[name].in_(present) if present else None
            if len(present) < len(parsed):
                condition = or_(table.c[name].is_(None), *([condition] if condition is not None else []))
            conditions.append(condition)
        if _has_nul(filters) or _has_nul(q):
            raise ValidationError("filters and q may not contain NUL characters", field="q")
        if q:
            if isinstance(q, dict):
                for name, value in q.items():
                    if name not in by_name:
                        raise ValidationError(f"cannot search {name!r}: not a field of this resource", field="q")
                    column = table.c[name] if by_name[name]["type"] == "text" else table.c[name].cast(types.Text())
                    conditions.append(column.ilike(f"%{_escape_like(str(value))}%", escape="\\"))
            else:
                text_columns = [table.c[f["id"]] for f in fields if f["type"] == "text"]
                if not text_columns:
                    raise ValidationError("q needs a text field to search, and this resource has none", field="q")
                pattern = f"%{_escape_like(str(q))}%"
                conditions.append(or_(*[c.ilike(pattern, escape="\\") for c in text_columns]))
        order = _parse_sort(sort, known)
        statement = select(*[table.c[c] for c in selected])
        for condition in conditions:
            statement = statement.where(condition)
        order_by = [table.c[name].desc() if desc else table.c[name].asc() for name, desc in order]
        if not any(name == "_id" for name, _ in order):
            order_by.append(table.c["_id"].asc())  # stable pages
        statement = statement.order_by(*order_by).offset(offset).limit(limit)
        with self.engine.connect() as connection:
            records = [{k: types.to_json(v) for k, v in row._mapping.items()}
                       for row in connection.execute(statement)] if limit else []
            total = None
            if include_total:
                count = select(func.count()).select_from(table)
                for condition in conditions:
                    count = count.where(condition)
                total = connection.execute(count).scalar_one()
        out_fields = [{"id": "_id", "type": "int"} if c == "_id" else {"id": c, "type": by_name[c]["type"]}
                      for c in selected]
        sort_text = ", ".join(f"{n} {'desc' if d else 'asc'}" for n, d in order) or "_id asc"
        return SearchResult(out_fields, records, total, limit, offset, sort_text)
