"""The ballot ledger: an append-only Merkle log per poll (RFC 6962 hashing), with a signed tree head written
in the same transaction as every append, and receipts carrying an inclusion proof.

Casting goes through a group commit: concurrent casts queue up, one thread appends whatever is waiting (up to
``batch_max`` ballots) in one transaction per poll, and every caller gets its receipt once that transaction is
committed. Each append locks the poll's ``vote_ledgers`` row, so several processes (server workers, the CLI)
append in turn; each process keeps the tree's hashes in memory and catches up from the database under the lock.
Eligibility (credential, revocation, district), the poll's opening hours and the one-vote rule are all checked
inside that transaction; the last of them by the database itself (a primary key on (poll, pseudonym)).
"""

from __future__ import annotations

import hashlib
import logging
import secrets
import threading
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timezone

from sqlalchemy import Engine, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from civic_services.voting.errors import AlreadyVoted, NotEligible, VotingError
from civic_services.voting.keys import LedgerKeys, head_message
from civic_services.voting.merkle import MerkleTree, leaf_hash
from civic_services.voting.tables import Ballot, Ledger, Participation, Poll, TreeHead, Voter

log = logging.getLogger("civic_services.voting.ledger")


@dataclass
class PendingBallot:
    poll_id: int
    code: str
    credential_sha256: str
    ballot: bytes
    district: str | None  # the poll's district restriction
    done: threading.Event = field(default_factory=threading.Event)
    receipt: dict | None = None
    error: Exception | None = None


def insert_of(dialect: str, table):
    """An INSERT with ON CONFLICT for the engine's dialect (PostgreSQL or SQLite)."""
    return pg_insert(table) if dialect == "postgresql" else sqlite_insert(table)


def iso_now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="microseconds").replace("+00:00", "Z")


class BallotLedger:
    def __init__(self, engine: Engine, keys: LedgerKeys, batch_max: int = 512, clock=None):
        self.engine = engine
        self.keys = keys
        self.batch_max = batch_max
        self.clock = clock or (lambda: datetime.now(timezone.utc))
        self.dialect = engine.dialect.name
        self._trees: dict[int, MerkleTree] = {}
        self._tree_locks: dict[int, threading.RLock] = defaultdict(threading.RLock)
        self._queue: list[PendingBallot] = []
        self._ready = threading.Condition()
        self._thread: threading.Thread | None = None
        self._closed = False
        self.batches = 0

    # --- casting

    def submit(self, item: PendingBallot, timeout: float = 60.0) -> dict:
        with self._ready:
            if self._closed:
                raise VotingError("the ledger is shutting down", 503)
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="ballot-ledger", daemon=True)
                self._thread.start()
            self._queue.append(item)
            self._ready.notify()
        if not item.done.wait(timeout):
            raise VotingError("the ledger did not answer in time; check your receipt later", 503)
        if item.error is not None:
            raise item.error
        return item.receipt

    def close(self) -> None:
        with self._ready:
            self._closed = True
            self._ready.notify_all()
        if self._thread is not None:
            self._thread.join(30)

    def _run(self) -> None:
        while True:
            with self._ready:
                while not self._queue and not self._closed:
                    self._ready.wait()
                if not self._queue and self._closed:
                    return
                batch, self._queue = self._queue[: self.batch_max], self._queue[self.batch_max:]
            by_poll: dict[int, list[PendingBallot]] = defaultdict(list)
            for item in batch:
                by_poll[item.poll_id].append(item)
            for poll_id, items in by_poll.items():
                try:
                    self._append(poll_id, items)
                except Exception as exc:  # the whole transaction rolled back: nobody's ballot was recorded
                    log.exception("ledger append for poll %s failed", poll_id)
                    self._trees.pop(poll_id, None)
                    for item in items:
                        if item.error is None and item.receipt is None:
                            item.error = VotingError(f"the ballot could not be recorded ({type(exc).__name__}); "
                                                     "nothing was stored, try again", 503)
                finally:
                    for item in items:
                        item.done.set()

    def _insert(self, table):
        return insert_of(self.dialect, table)

    def _append(self, poll_id: int, items: list[PendingBallot]) -> None:
        accepted: list[PendingBallot] = []
        with self._tree_locks[poll_id], self.engine.begin() as connection:
            size, root = self.lock(connection, poll_id)
            poll = connection.execute(select(Poll.opens_at, Poll.closes_at).where(Poll.id == poll_id)).one()
            now = self.clock()
            if not poll.opens_at <= now < poll.closes_at:
                for item in items:
                    item.error = VotingError("the poll is not open for voting" + (
                        "; it closed" if now >= poll.closes_at else "; it has not opened yet"), 409)
                return
            voters = {row.credential_sha256: row for row in connection.execute(
                select(Voter.id, Voter.district, Voter.credential_sha256, Voter.revoked_at)
                .where(Voter.credential_sha256.in_({i.credential_sha256 for i in items})))}
            wanted: dict[str, PendingBallot] = {}
            for item in items:
                voter = voters.get(item.credential_sha256)
                if voter is None or voter.revoked_at is not None:
                    item.error = NotEligible("the voting credential is unknown or revoked", 401)
                elif item.district and voter.district != item.district:
                    item.error = NotEligible(f"this poll is for residents of {item.district}; you are registered "
                                             f"in {voter.district}")
                else:
                    pseudonym = self.keys.keyed("voted", f"{poll_id}:{voter.id}")
                    if pseudonym in wanted:
                        item.error = AlreadyVoted("you have already voted in this poll")
                    else:
                        wanted[pseudonym] = item
            if not wanted:
                return
            inserted = set(connection.execute(
                self._insert(Participation).values([{"poll_id": poll_id, "pseudonym": p} for p in wanted])
                .on_conflict_do_nothing().returning(Participation.pseudonym)).scalars())
            for pseudonym, item in wanted.items():
                if pseudonym in inserted:
                    accepted.append(item)
                else:
                    item.error = AlreadyVoted("you have already voted in this poll")
            if not accepted:
                return
            tree = self._tree(connection, poll_id, size)
            start = tree.size
            try:
                leaves = []
                for item in accepted:
                    leaf = leaf_hash(item.ballot)
                    leaves.append(leaf)
                    tree.append(leaf)
                connection.execute(self._insert(Ballot), [
                    {"poll_id": poll_id, "leaf_index": start + i, "ballot": item.ballot.decode(),
                     "leaf_hash": leaf.hex()} for i, (item, leaf) in enumerate(zip(accepted, leaves))])
                head = self._sign_head(connection, poll_id, accepted[0].code, tree)
                connection.execute(update(Ledger).where(Ledger.poll_id == poll_id)
                                   .values(size=head["size"], root=head["root"]))
            except Exception:
                tree.truncate(start)
                raise
        # Committed: hand out receipts.
        self.batches += 1
        with self._tree_locks[poll_id]:
            for i, item in enumerate(accepted):
                index = start + i
                item.receipt = {
                    "version": 1, "poll": item.code, "leaf_index": index, "ballot": item.ballot.decode(),
                    "leaf_hash": leaves[i].hex(), "tree_head": head,
                    "inclusion_proof": [p.hex() for p in tree.inclusion_proof(index, head["size"])],
                    "public_key": self.keys.public_key}

    def lock(self, connection, poll_id: int) -> tuple[int, str]:
        """Take the poll's ledger row lock for this transaction; returns (size, root)."""
        locked = connection.execute(update(Ledger).where(Ledger.poll_id == poll_id).values(size=Ledger.size))
        if locked.rowcount == 0:
            raise VotingError(f"poll {poll_id} has no ledger", 404)
        row = connection.execute(select(Ledger.size, Ledger.root).where(Ledger.poll_id == poll_id)).one()
        return row.size, row.root

    def _sign_head(self, connection, poll_id: int, code: str, tree: MerkleTree) -> dict:
        root = tree.root().hex()
        stamp = iso_now()
        head = {"poll": code, "size": tree.size, "root": root, "timestamp": stamp,
                "signature": self.keys.sign(head_message(code, tree.size, root, stamp)), "key_id": self.keys.key_id}
        connection.execute(self._insert(TreeHead).values(poll_id=poll_id, size=tree.size, root=root, timestamp=stamp,
                                                         signature=head["signature"], key_id=self.keys.key_id))
        return head

    def _tree(self, connection, poll_id: int, size: int) -> MerkleTree:
        """The poll's tree as of ``size`` leaves, caught up from the stored leaf hashes when another process
        appended since."""
        tree = self._trees.get(poll_id)
        if tree is None or tree.size > size:
            tree = MerkleTree()
        if tree.size < size:
            for value in connection.execute(select(Ballot.leaf_hash).where(Ballot.poll_id == poll_id,
                                                                           Ballot.leaf_index >= tree.size)
                                            .order_by(Ballot.leaf_index)).scalars():
                tree.append(bytes.fromhex(value))
        if tree.size != size:
            self._trees.pop(poll_id, None)
            raise VotingError(f"the ledger of poll {poll_id} records {size} ballots but {tree.size} are stored; "
                              "run `dasan vote audit`", 500)
        self._trees[poll_id] = tree
        return tree

    # --- reading proofs

    def current_tree(self, poll_id: int) -> tuple[MerkleTree, int]:
        """The poll's tree caught up to the database, and its committed size."""
        with self._tree_locks[poll_id], self.engine.connect() as connection:
            size = connection.execute(select(Ledger.size).where(Ledger.poll_id == poll_id)).scalar()
            if size is None:
                raise VotingError(f"poll {poll_id} has no ledger", 404)
            return self._tree(connection, poll_id, size), size

    def heads(self, poll_id: int, after: int = 0, limit: int = 1000) -> list[dict]:
        with self.engine.connect() as connection:
            rows = connection.execute(select(TreeHead).where(TreeHead.poll_id == poll_id, TreeHead.size > after)
                                      .order_by(TreeHead.size).limit(limit)).all()
        return [head_dict(r, None) for r in rows]

    def head(self, poll_id: int, size: int | None = None) -> dict | None:
        statement = select(TreeHead).where(TreeHead.poll_id == poll_id)
        statement = statement.where(TreeHead.size == size) if size is not None else \
            statement.order_by(TreeHead.size.desc()).limit(1)
        with self.engine.connect() as connection:
            row = connection.execute(statement).first()
        return head_dict(row, None) if row else None


def head_dict(row, code: str | None) -> dict:
    head = row[0] if not hasattr(row, "poll_id") else row
    from civic_services.voting.rules import poll_code

    return {"poll": code or poll_code(head.poll_id), "size": head.size, "root": head.root,
            "timestamp": head.timestamp, "signature": head.signature, "key_id": head.key_id}


def credential_digest(credential: str) -> str:
    return hashlib.sha256(credential.encode()).hexdigest()


def new_nonce() -> str:
    return secrets.token_hex(16)
