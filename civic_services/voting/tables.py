"""Voting tables. Who voted and what was voted are kept apart: ``vote_participation`` holds a keyed
pseudonym per (poll, voter) and nothing else (no time, no order), ``vote_ballots`` holds the ballots in ledger
order and no voter reference."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from database.base import Base, UTCDateTime

KINDS = ("policy", "general", "budget")
BUDGET_RULES = ("threshold", "minimum", "projects")


class Poll(Base):
    __tablename__ = "vote_polls"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(Text)
    title_en: Mapped[str] = mapped_column(Text, default="")
    description: Mapped[str] = mapped_column(Text, default="")
    min_choices: Mapped[int] = mapped_column(Integer, default=1)
    max_choices: Mapped[int] = mapped_column(Integer, default=1)
    opens_at: Mapped[datetime] = mapped_column(UTCDateTime())
    closes_at: Mapped[datetime] = mapped_column(UTCDateTime())
    district: Mapped[str | None] = mapped_column(String(40), nullable=True)  # only its residents may vote
    results_live: Mapped[bool] = mapped_column(default=False)  # false: results hidden until the poll closes
    budget: Mapped[int | None] = mapped_column(BigInteger, nullable=True)  # won
    budget_rule: Mapped[str | None] = mapped_column(String(16), nullable=True)
    threshold_percent: Mapped[int | None] = mapped_column(Integer, nullable=True)
    min_projects: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_by: Mapped[str] = mapped_column(String(120), default="")


class Option(Base):
    __tablename__ = "vote_options"
    __table_args__ = (UniqueConstraint("poll_id", "position", name="uq_vote_options_poll_position"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    poll_id: Mapped[int] = mapped_column(ForeignKey("vote_polls.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)  # 1-based, the number a citizen may say
    label: Mapped[str] = mapped_column(Text)
    label_en: Mapped[str] = mapped_column(Text, default="")
    cost: Mapped[int | None] = mapped_column(BigInteger, nullable=True)  # participatory budgeting projects
    description: Mapped[str] = mapped_column(Text, default="")


class Voter(Base):
    """The voter registry: a keyed hash of the person's identifier (never the identifier), the district of
    residence, and the SHA-256 of the voting credential issued to them."""

    __tablename__ = "vote_voters"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    person_hash: Mapped[str] = mapped_column(String(64), unique=True)
    district: Mapped[str] = mapped_column(String(40), index=True)
    credential_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    registered_at: Mapped[datetime] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class Participation(Base):
    """One row per (poll, voter pseudonym): the database itself refuses a second vote."""

    __tablename__ = "vote_participation"

    poll_id: Mapped[int] = mapped_column(ForeignKey("vote_polls.id", ondelete="CASCADE"), primary_key=True)
    pseudonym: Mapped[str] = mapped_column(String(64), primary_key=True)


class Ballot(Base):
    __tablename__ = "vote_ballots"

    poll_id: Mapped[int] = mapped_column(ForeignKey("vote_polls.id", ondelete="CASCADE"), primary_key=True)
    leaf_index: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    ballot: Mapped[str] = mapped_column(Text)  # canonical JSON: {"choices", "nonce", "poll"}
    leaf_hash: Mapped[str] = mapped_column(String(64))


class Ledger(Base):
    """The poll's log as of its last append (the row every append locks)."""

    __tablename__ = "vote_ledgers"

    poll_id: Mapped[int] = mapped_column(ForeignKey("vote_polls.id", ondelete="CASCADE"), primary_key=True)
    size: Mapped[int] = mapped_column(BigInteger, default=0)
    root: Mapped[str] = mapped_column(String(64))


class TreeHead(Base):
    """A signed tree head, published with every append."""

    __tablename__ = "vote_tree_heads"

    poll_id: Mapped[int] = mapped_column(ForeignKey("vote_polls.id", ondelete="CASCADE"), primary_key=True)
    size: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    root: Mapped[str] = mapped_column(String(64))
    timestamp: Mapped[str] = mapped_column(String(40))  # ISO 8601, as signed
    signature: Mapped[str] = mapped_column(Text)  # base64 Ed25519
    key_id: Mapped[str] = mapped_column(String(32))


class VotingKeys(Base):
    """The keys the database's ledger was started with (their ids, never the keys): every server that writes to
    this database must hold the same ones (otherwise heads carry two signatures and, worse, one voter has two
    pseudonyms, so a second ballot through another server would not be recognised)."""

    __tablename__ = "vote_keys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)  # always 1
    key_id: Mapped[str] = mapped_column(String(32))  # the Ed25519 signing key's id
    pseudonym_key_id: Mapped[str] = mapped_column(String(32))  # a one-way id of the HMAC pseudonym key
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Result(Base):
    """The final tally of a closed poll, computed once from the ledger and signed with its head."""

    __tablename__ = "vote_results"

    poll_id: Mapped[int] = mapped_column(ForeignKey("vote_polls.id", ondelete="CASCADE"), primary_key=True)
    size: Mapped[int] = mapped_column(BigInteger)
    root: Mapped[str] = mapped_column(String(64))
    tally: Mapped[dict] = mapped_column(JSON)
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    signature: Mapped[str] = mapped_column(Text)
