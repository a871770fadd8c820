"""The dataset catalogue: metadata in, CKAN package dicts out, and ``package_search``."""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field

from sqlalchemy import Engine, and_, case, exists, func, literal, or_, select
from sqlalchemy.orm import Session, sessionmaker

from civic_services.opendata.errors import NotFound, ValidationError
from civic_services.opendata.tables import Dataset, Resource, Tag
from database.base import utcnow

FREQUENCIES = ("daily", "weekly", "monthly", "quarterly", "annual", "irregular")
FACETS = ("tags", "organization", "license_id", "res_format", "frequency")
SORTS = {"score": None, "metadata_modified": Dataset.modified_at, "metadata_created": Dataset.created_at,
         "name": Dataset.id, "title_string": Dataset.title_en}
NAME = re.compile(r"[a-z0-9_\-]{2,100}")


@dataclass(frozen=True)
class DatasetMeta:
    id: str
    title_ko: str
    title_en: str
    publisher: str
    publisher_ko: str = ""
    notes_ko: str = ""
    notes_en: str = ""
    tags: tuple[str, ...] = ()
    license_id: str = "MIT"
    license_title: str = ""
    frequency: str = "irregular"
    synthetic: bool = False

    def check(self) -> None:
        if any("\x00" in str(value) for value in (*vars(self).values(), *self.tags)):
            raise ValidationError("text may not contain NUL characters")
        if not NAME.fullmatch(self.id):
            raise ValidationError("a dataset id is 2-100 characters of a-z, 0-9, _ and -", field="name")
        if not self.title_en.strip() and not self.title_ko.strip():
            raise ValidationError("a dataset needs a title (title_en or title_ko)", field="title")
        if not self.publisher.strip():
            raise ValidationError("a dataset needs a publisher (the responsible department)", field="publisher")
        if self.frequency not in FREQUENCIES:
            raise ValidationError(f"frequency must be one of {', '.join(FREQUENCIES)}", field="frequency")
        for tag in self.tags:
            if not (0 < len(tag) <= 100):
                raise ValidationError("tags are 1-100 characters", field="tags")


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "unknown"


def _terms(q: str) -> list[str]:
    terms = []
    for word in re.findall(r"[\w\-]+", q.lower()):
        if len(word) > 3 and word.isascii() and word.endswith("s") and not word.endswith("ss"):
            word = word[:-1]  # lights -> light, chargers -> charger
        if word not in terms:
            terms.append(word)
    return terms[:20]


@dataclass
class SearchParams:
    q: str = ""
    fq: str = ""
    rows: int = 10
    start: int = 0
    sort: str = ""
    facet_fields: list[str] = field(default_factory=list)
    facet_limit: int = 50


class Catalog:
    def __init__(self, engine: Engine):
        self.engine = engine
        self._sessions = sessionmaker(engine, expire_on_commit=False)

    # --- write

    def upsert(self, meta: DatasetMeta, session: Session | None = None) -> None:
        meta.check()
        if session is None:
            with self._sessions.begin() as own:
                return self.upsert(meta, own)
        now = utcnow()
        row = session.get(Dataset, meta.id)
        if row is None:
            row = Dataset(id=meta.id, created_at=now)
            session.add(row)
        row.title_ko, row.title_en = meta.title_ko.strip(), meta.title_en.strip()
        row.notes_ko, row.notes_en = meta.notes_ko, meta.notes_en
        row.publisher, row.publisher_ko, row.publisher_id = meta.publisher, meta.publisher_ko, slug(meta.publisher)
        row.license_id, row.license_title = meta.license_id, meta.license_title or meta.license_id
        row.frequency, row.synthetic, row.modified_at = meta.frequency, meta.synthetic, now
        session.flush()
        session.query(Tag).filter(Tag.dataset_id == meta.id).delete()
        for tag in dict.fromkeys(t.strip() for t in meta.tags if t.strip()):
            session.add(Tag(dataset_id=meta.id, tag=tag))
        self.refresh_search_text(session, meta.id)

    def refresh_search_text(self, session: Session, dataset_id: str) -> None:
        row = session.get(Dataset, dataset_id)
        tags = session.scalars(select(Tag.tag).where(Tag.dataset_id == dataset_id)).all()
        resources = session.scalars(select(Resource).where(Resource.dataset_id == dataset_id)).all()
        columns = [f["id"] for r in resources for f in (r.fields or [])]
        parts = [row.id.replace("_", " "), row.title_ko, row.title_en, row.notes_ko, row.notes_en, row.publisher,
                 row.publisher_ko, *tags, *columns, *[r.name for r in resources]]
        row.search_text = " ".join(p for p in parts if p).lower()

    def delete(self, dataset_id: str) -> list[str]:
        """Remove a dataset; returns the datastore tables its resources used (the caller drops them)."""
        with self._sessions.begin() as session:
            row = session.get(Dataset, dataset_id)
            if row is None:
                raise NotFound(f"no dataset {dataset_id!r}")
            tables = session.scalars(select(Resource.table_name).where(Resource.dataset_id == dataset_id)).all()
            session.query(Resource).filter(Resource.dataset_id == dataset_id).delete()
            session.query(Tag).filter(Tag.dataset_id == dataset_id).delete()
            session.delete(row)
            return list(tables)

    # --- read

    def ids(self, limit: int | None = None, offset: int = 0) -> list[str]:
        with self._sessions() as session:
            statement = select(Dataset.id).order_by(Dataset.id).offset(offset)
            if limit is not None:
                statement = statement.limit(limit)
            return list(session.scalars(statement))

    def resource(self, resource_id: str) -> Resource:
        with self._sessions() as session:
            if not NAME.fullmatch(resource_id):
                raise NotFound(f"no datastore resource {resource_id[:100]!r}")
            row = session.get(Resource, resource_id)
            if row is None:
                # A dataset's id stands for its first resource (the Seoul-style alias and the assistant use it).
                row = session.scalars(select(Resource).where(Resource.dataset_id == resource_id)
                                      .order_by(Resource.position)).first()
            if row is None:
                raise NotFound(f"no datastore resource {resource_id!r}")
            return row

    def resources_by_table(self) -> dict[str, Resource]:
        with self._sessions() as session:
            return {r.id: r for r in session.scalars(select(Resource))}

    def _package(self, session: Session, row: Dataset, base_url: str) -> dict:
        tags = session.scalars(select(Tag.tag).where(Tag.dataset_id == row.id).order_by(Tag.tag)).all()
        resources = session.scalars(select(Resource).where(Resource.dataset_id == row.id)
                                    .order_by(Resource.position)).all()
        return {
            "id": row.id, "name": row.id, "type": "dataset",
            "title": row.title_en or row.title_ko, "title_ko": row.title_ko, "title_en": row.title_en,
            "notes": row.notes_en or row.notes_ko, "notes_ko": row.notes_ko, "notes_en": row.notes_en,
            "organization": {"name": row.publisher_id, "title": row.publisher, "title_ko": row.publisher_ko},
            "tags": [{"name": t, "display_name": t} for t in tags], "num_tags": len(tags),
            "license_id": row.license_id, "license_title": row.license_title, "frequency": row.frequency,
            "synthetic": row.synthetic,
            "extras": [{"key": "synthetic", "value": "true" if row.synthetic else "false"},
                       {"key": "frequency", "value": row.frequency}],
            "metadata_created": row.created_at.isoformat(), "metadata_modified": row.modified_at.isoformat(),
            "num_resources": len(resources),
            "resources": [{
                "id": r.id, "package_id": row.id, "name": r.name, "description": r.description, "format": r.format,
                "datastore_active": True, "position": r.position, "row_count": r.row_count,
                "fields": r.fields, "indexes": r.indexes,
                "url": f"{base_url}/api/3/action/datastore_search?resource_id={r.id}",
                "created": r.created_at.isoformat(), "last_modified": r.modified_at.isoformat(),
            } for r in resources],
        }

    def show(self, dataset_id: str, base_url: str = "") -> dict:
        with self._sessions() as session:
            row = session.get(Dataset, dataset_id) if NAME.fullmatch(dataset_id) else None
            if row is None:
                raise NotFound(f"no dataset {dataset_id[:100]!r}")
            return self._package(session, row, base_url)

    def all_packages(self, base_url: str = "") -> list[dict]:
        with self._sessions() as session:
            return [self._package(session, row, base_url) for row in session.scalars(select(Dataset)
                                                                                     .order_by(Dataset.id))]

    def _fq_condition(self, fq: str):
        if "\x00" in fq:
            raise ValidationError("fq may not contain NUL characters", field="fq")
        try:
            parts = shlex.split(fq)
        except ValueError as exc:
            raise ValidationError(f"fq is malformed: {exc}", field="fq") from None
        conditions = []
        for part in parts:
            if part.upper() in ("AND", "+"):
                continue
            name, sep, value = part.lstrip("+").partition(":")
            if not sep or not value:
                raise ValidationError(f"fq term {part!r} is not field:value", field="fq")
            if name == "tags":
                conditions.append(exists().where(Tag.dataset_id == Dataset.id, Tag.tag == value))
            elif name == "organization":
                conditions.append(or_(Dataset.publisher_id == value, Dataset.publisher == value))
            elif name == "license_id":
                conditions.append(Dataset.license_id == value)
            elif name == "frequency":
                conditions.append(Dataset.frequency == value)
            elif name in ("name", "id"):
                conditions.append(Dataset.id == value)
            elif name == "res_format":
                conditions.append(exists().where(Resource.dataset_id == Dataset.id,
                                                 func.upper(Resource.format) == value.upper()))
            elif name == "synthetic":
                conditions.append(Dataset.synthetic.is_(value.lower() == "true"))
            else:
                raise ValidationError(f"cannot filter on {name!r}; fq fields: tags, organization, license_id, "
                                      "res_format, frequency, name, synthetic", field="fq")
        return and_(*conditions) if conditions else None

    def search(self, params: SearchParams, base_url: str = "") -> dict:
        if not 0 <= params.rows <= 1000:
            raise ValidationError("rows must be between 0 and 1000", field="rows")
        if params.start < 0:
            raise ValidationError("start must be 0 or more", field="start")
        bad = [f for f in params.facet_fields if f not in FACETS]
        if bad:
            raise ValidationError(f"cannot facet on {', '.join(bad)}; facets: {', '.join(FACETS)}",
                                  field="facet.field")
        q = params.q.strip()
        terms = [] if q in ("", "*:*", "*") else _terms(q)
        score = literal(0)
        if terms:
            score = sum((case((Dataset.search_text.like(f"%{t}%"), 1), else_=0)
                         + case((func.lower(Dataset.title_en + " " + Dataset.title_ko).like(f"%{t}%"), 1), else_=0)
                         for t in terms), start=literal(0))
        matched = select(Dataset.id.label("id"), score.label("score"))
        if terms:
            matched = matched.where(or_(*[Dataset.search_text.like(f"%{t}%") for t in terms]))
        fq = self._fq_condition(params.fq) if params.fq else None
        if fq is not None:
            matched = matched.where(fq)
        matched = matched.subquery()
        order = []
        for part in (params.sort or "score desc, metadata_modified desc").split(","):
            words = part.split()
            if not words:
                continue
            if words[0] not in SORTS or len(words) > 2 or (len(words) == 2 and words[1].lower() not in ("asc", "desc")):
                raise ValidationError(f"cannot sort by {part.strip()!r}; use {', '.join(SORTS)} with asc or desc",
                                      field="sort")
            column = matched.c.score if words[0] == "score" else SORTS[words[0]]
            descending = len(words) == 2 and words[1].lower() == "desc"
            order.append(column.desc() if descending else column.asc())
        order.append(Dataset.id.asc())
        with self._sessions() as session:
            count = session.scalar(select(func.count()).select_from(matched))
            rows = session.scalars(select(Dataset).join(matched, matched.c.id == Dataset.id).order_by(*order)
                                   .offset(params.start).limit(params.rows)).all()
            results = [self._package(session, row, base_url) for row in rows]
            facets = {}
            for name in params.facet_fields:
                if name == "tags":
                    source = select(Tag.tag.label("v")).join(matched, matched.c.id == Tag.dataset_id)
                elif name == "res_format":
                    source = select(func.upper(Resource.format).label("v")).join(
                        matched, matched.c.id == Resource.dataset_id)
                else:
                    column = {"organization": Dataset.publisher_id, "license_id": Dataset.license_id,
                              "frequency": Dataset.frequency}[name]
                    source = select(column.label("v")).join(matched, matched.c.id == Dataset.id)
                source = source.subquery()
                counts = session.execute(select(source.c.v, func.count()).group_by(source.c.v)
                                         .order_by(func.count().desc(), source.c.v).limit(params.facet_limit)).all()
                facets[name] = {str(value): n for value, n in counts}
        return {
            "count": count, "results": results, "sort": params.sort or "score desc, metadata_modified desc",
            "facets": facets,
            "search_facets": {name: {"title": name, "items": [{"name": v, "display_name": v, "count": n}
                                                               for v, n in values.items()]}
                              for name, values in facets.items()},
        }
