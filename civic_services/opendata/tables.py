"""Catalogue tables. Each datastore resource's rows live in a table of their own (``ds_<name>``), created at
ingest with typed columns; ``opendata_resources.fields`` records those columns."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from database.base import Base, BigId, UTCDateTime


class Dataset(Base):
    __tablename__ = "opendata_datasets"

    id: Mapped[str] = mapped_column(String(100), primary_key=True)  # snake_case name, e.g. public_parking_lots
    title_ko: Mapped[str] = mapped_column(Text)
    title_en: Mapped[str] = mapped_column(Text)
    notes_ko: Mapped[str] = mapped_column(Text, default="")
    notes_en: Mapped[str] = mapped_column(Text, default="")
    publisher_id: Mapped[str] = mapped_column(String(100), index=True)  # CKAN "organization" name, a slug
    publisher: Mapped[str] = mapped_column(String(200))  # department, English
    publisher_ko: Mapped[str] = mapped_column(String(200), default="")
    license_id: Mapped[str] = mapped_column(String(100))
    license_title: Mapped[str] = mapped_column(Text, default="")
    frequency: Mapped[str] = mapped_column(String(20))  # daily, weekly, monthly, quarterly, annual, irregular
    synthetic: Mapped[bool] = mapped_column(Boolean, default=False)
    # Lower-cased text of titles, notes, tags, publisher and fields, for package_search's q.
    search_text: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    modified_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)


class Tag(Base):
    __tablename__ = "opendata_tags"
    __table_args__ = (Index("ix_opendata_tags_tag", "tag"),)

    dataset_id: Mapped[str] = mapped_column(ForeignKey("opendata_datasets.id", ondelete="CASCADE"), primary_key=True)
    tag: Mapped[str] = mapped_column(String(100), primary_key=True)


class Resource(Base):
    __tablename__ = "opendata_resources"

    id: Mapped[str] = mapped_column(String(100), primary_key=True)
    dataset_id: Mapped[str] = mapped_column(ForeignKey("opendata_datasets.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    name: Mapped[str] = mapped_column(Text)
    description: Mapped[str] = mapped_column(Text, default="")
    format: Mapped[str] = mapped_column(String(20))  # CSV, JSON
    table_name: Mapped[str] = mapped_column(String(63), unique=True)
    fields: Mapped[list] = mapped_column(JSON, default=list)  # [{"id", "type"}]
    indexes: Mapped[list] = mapped_column(JSON, default=list)  # [["district"], ["district", "date"]]
    row_count: Mapped[int] = mapped_column(BigId, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    modified_at: Mapped[datetime] = mapped_column(UTCDateTime())
