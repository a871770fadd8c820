"""mVoting as plain Python: polls (policy, general, participatory budgeting), the voter registry, casting
through the ballot ledger, results, and the ledger's public views (heads, proofs, the ballot board)."""

from __future__ import annotations

import hashlib
import json
import secrets
import threading
import time
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy import Engine, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import sessionmaker

from civic_services import districts
from civic_services.voting import rules as R
from civic_services.voting.errors import KeysMismatch, NotFound, VotingError
from civic_services.voting.identity import legacy_spellings, person_key
from civic_services.voting.keys import LedgerKeys, result_message
from civic_services.voting.ledger import BallotLedger, PendingBallot, credential_digest, insert_of, new_nonce
from civic_services.voting.tables import Ballot, Ledger, Option, Participation, Poll, Result, Voter, VotingKeys
from civic_services.voting.merkle import EMPTY_ROOT

CREDENTIAL_PREFIX = "dasan_vc_"


@dataclass(frozen=True)
class Registered:
    voter_id: int
    district: str
    credential: str  # shown once; only its SHA-256 is stored


class VotingService:
    def __init__(self, engine: Engine, keys_dir: Path, batch_max: int = 512, clock=None):
        self.engine = engine
        self.clock = clock or (lambda: datetime.now(timezone.utc))
        self.keys = LedgerKeys(keys_dir)
        self.ledger = BallotLedger(engine, self.keys, batch_max=batch_max, clock=lambda: self.clock())
        self.sessions = sessionmaker(engine, expire_on_commit=False)
        self._rules: dict[int, tuple[float, Poll, R.PollRules]] = {}
        self._rules_lock = threading.Lock()
        self.keys_problem = self._check_keys(keys_dir)  # None when this server may write to the ledger

    def _check_keys(self, keys_dir: Path) -> str | None:
        """Record the keys' ids on first use; afterwards say (a sentence) if this process holds other keys."""
        with self.sessions() as session:
            recorded = session.get(VotingKeys, 1)
            if recorded is None:
                session.add(VotingKeys(id=1, key_id=self.keys.key_id, pseudonym_key_id=self.keys.pseudonym_key_id,
                                       recorded_at=self.clock()))
                try:
                    session.commit()
                    return None
                except IntegrityError:  # another server recorded its keys at the same moment
                    session.rollback()
                    recorded = session.get(VotingKeys, 1)
        if (recorded.key_id, recorded.pseudonym_key_id) == (self.keys.key_id, self.keys.pseudonym_key_id):
            return None
        return (f"voting is closed on this server: its ledger keys (in {keys_dir}, key id {self.keys.key_id}) are not "
                f"the ones this database's ledger uses (key id {recorded.key_id}); every server must read the same "
                "keys: point DASAN_VOTING_KEYS_DIR at one shared copy")

    def _writable(self) -> None:
        if self.keys_problem:
            raise KeysMismatch(self.keys_problem)

    def close(self) -> None:
        self.ledger.close()

    # --- polls

    def create_poll(self, spec: R.PollSpec, created_by: str = "") -> dict:
        self._writable()
        R.check_spec(spec)
        district = None
        if spec.district:
            found = districts.by_name(unicodedata.normalize("NFKC", spec.district))
            if found is None:
                raise VotingError(f"unknown district {spec.district!r}")
            district = found.name_en
        with self.sessions.begin() as session:
            poll = Poll(kind=spec.kind, title=spec.title.strip(), title_en=spec.title_en, description=spec.description,
                        min_choices=spec.min_choices, max_choices=spec.max_choices, opens_at=spec.opens_at,
                        closes_at=spec.closes_at, district=district, results_live=spec.results_live,
                        budget=spec.budget, budget_rule=spec.budget_rule if spec.kind == "budget" else None,
                        threshold_percent=spec.threshold_percent, min_projects=spec.min_projects,
                        created_at=self.clock(), created_by=created_by)
            session.add(poll)
            session.flush()
            for position, option in enumerate(spec.options, start=1):
                session.add(Option(poll_id=poll.id, position=position, label=option.label.strip(),
                                   label_en=option.label_en.strip(), cost=option.cost, description=option.description))
            session.add(Ledger(poll_id=poll.id, size=0, root=EMPTY_ROOT.hex()))
            poll_id = poll.id
        return self.poll(R.poll_code(poll_id))

    def load_poll(self, poll_id: int, fresh: bool = False) -> tuple[Poll, R.PollRules]:
        """A poll's row and its rules (cached for a few seconds unless ``fresh``); :class:`NotFound` if none."""
        cached = self._rules.get(poll_id)
        if cached and not fresh and time.monotonic() - cached[0] < 5.0:
            return cached[1], cached[2]
        with self.sessions() as session:
            poll = session.get(Poll, poll_id)
            if poll is None:
                raise NotFound(f"no poll {R.poll_code(poll_id)}")
            options = session.scalars(select(Option).where(Option.poll_id == poll_id).order_by(Option.position)).all()
        rules = R.PollRules(code=R.poll_code(poll.id), kind=poll.kind, min_choices=poll.min_choices,
                            max_choices=poll.max_choices, labels=tuple((o.label, o.label_en) for o in options),
                            costs=tuple(o.cost for o in options), budget=poll.budget, budget_rule=poll.budget_rule,
                            threshold_percent=poll.threshold_percent, min_projects=poll.min_projects,
                            extra={"descriptions": tuple(o.description for o in options)})
        with self._rules_lock:
            self._rules[poll_id] = (time.monotonic(), poll, rules)
        return poll, rules

    def status(self, poll: Poll, now: datetime | None = None) -> str:
        now = now or self.clock()
        return "upcoming" if now < poll.opens_at else "open" if now < poll.closes_at else "closed"

    def poll(self, code: str) -> dict:
        poll, rules = self.load_poll(R.parse_poll_code(code))
        return self._describe(poll, rules)

    def _describe(self, poll: Poll, rules: R.PollRules) -> dict:
        doc = {"id": rules.code, "kind": poll.kind, "title": poll.title, "title_en": poll.title_en,
               "description": poll.description, "status": self.status(poll),
               "opens_at": poll.opens_at.isoformat(), "closes_at": poll.closes_at.isoformat(),
               "district": poll.district, "min_choices": poll.min_choices, "max_choices": poll.max_choices,
               "results": "live" if poll.results_live else "after close",
               "options": [{"position": i, "label": label, "label_en": label_en,
                            **({"cost": rules.costs[i - 1]} if poll.kind == "budget" else {}),
                            **({"description": rules.extra["descriptions"][i - 1]}
                               if rules.extra["descriptions"][i - 1] else {})}
                           for i, (label, label_en) in enumerate(rules.labels, start=1)]}
        if poll.kind == "budget":
            doc["budget"] = {"total": poll.budget, "rule": poll.budget_rule,
                             "threshold_percent": poll.threshold_percent, "min_projects": poll.min_projects,
                             "min_choices": poll.min_choices, "max_choices": poll.max_choices}
        return doc

    def list_polls(self, status: str = "open") -> list[dict]:
        if status not in ("open", "closed", "upcoming", "all"):
            raise VotingError("status must be open, closed, upcoming or all")
        now = self.clock()
        statement = select(Poll.id).order_by(Poll.id.desc()).limit(1000)
        if status == "open":
            statement = statement.where(Poll.opens_at <= now, Poll.closes_at > now)
        elif status == "closed":
            statement = statement.where(Poll.closes_at <= now)
        elif status == "upcoming":
            statement = statement.where(Poll.opens_at > now)
        with self.sessions() as session:
            ids = session.scalars(statement).all()
        return [self._describe(*self.load_poll(i)) for i in ids]

    def close_poll(self, code: str) -> dict:
        """Close now (no ballot commits after this returns)."""
        self._writable()
        poll_id = R.parse_poll_code(code)
        with self.engine.begin() as connection:
            self.ledger.lock(connection, poll_id)
            now = self.clock()
            connection.execute(update(Poll).where(Poll.id == poll_id, Poll.closes_at > now).values(closes_at=now))
        self.load_poll(poll_id, fresh=True)
        return self.poll(code)

    # --- voter registry

    def register_voters(self, people: list[tuple[str, str]], reissue: bool = False) -> list[Registered]:
        """Register residents (person identifier, district of residence) and issue each a voting credential.

        The identifier (an account id, a verified phone number...) is stored only as a keyed hash of its normal
        form (:func:`~civic_services.voting.identity.person_key`), so its spellings are one person. A person
        already registered is refused, unless ``reissue``: then their old credential stops working (and rows an
        older registry kept for other spellings of them are merged into one)."""
        self._writable()
        rows = []
        first_row: dict[str, int] = {}
        for number, (person, district) in enumerate(people, start=1):
            current, legacy = self._person_hashes(person)
            if current in first_row:
                raise VotingError(f"rows {first_row[current]} and {number} name the same person (identifiers are "
                                  "compared in their normal form: case, width, spacing and phone separators aside)")
            first_row[current] = number
            found = districts.by_name(unicodedata.normalize("NFKC", str(district or "")))
            if found is None:
                raise VotingError(f"unknown district {district!r} for a voter")
            rows.append((current, legacy, found.name_en, CREDENTIAL_PREFIX + secrets.token_urlsafe(24)))
        out = []
        with self.sessions.begin() as session:
            stored = self._voters_by_hash(session, [h for current, legacy, _, _ in rows for h in (current, *legacy)])
            fresh = []
            for current, legacy, district, credential in rows:
                same = {v.id: v for h in (current, *legacy) if (v := stored.get(h)) is not None}
                if not same:
                    voter = Voter(person_hash=current, district=district,
                                  credential_sha256=credential_digest(credential), registered_at=self.clock())
                    fresh.append(voter)
                elif not reissue:
                    raise VotingError("a listed person is already registered (use reissue to replace their "
                                      "credential)", 409)
                else:
                    voter = self._merge(session, current, list(same.values()))
                    voter.credential_sha256 = credential_digest(credential)
                    voter.district, voter.revoked_at = district, None
                out.append((voter, credential))
            session.add_all(fresh)
            session.flush()
            return [Registered(v.id, v.district, c) for v, c in out]

    def revoke_voter(self, person: str) -> None:
        """Revoke a person's credential (every row the registry holds for them, under any spelling)."""
        self._writable()
        current, legacy = self._person_hashes(person)
        with self.sessions.begin() as session:
            found = {v.id: v for v in self._voters_by_hash(session, [current, *legacy]).values()}
            if not found:
                raise NotFound("no such registered voter")
            voter = self._merge(session, current, list(found.values()))
            voter.revoked_at = self.clock()

    def _person_hashes(self, person: str) -> tuple[str, list[str]]:
        """The registry key of a person (the keyed hash of the identifier's normal form) and the keys an older
        registry may hold them under (see :func:`~civic_services.voting.identity.legacy_spellings`)."""
        current = self.keys.keyed("person", person_key(person))
        return current, sorted({self.keys.keyed("person", form) for form in legacy_spellings(person)} - {current})

    @staticmethod
    def _voters_by_hash(session, hashes: list[str]) -> dict[str, Voter]:
        found: dict[str, Voter] = {}
        unique = sorted(set(hashes))
        for start in range(0, len(unique), 5000):
            found.update({v.person_hash: v for v in session.scalars(
                select(Voter).where(Voter.person_hash.in_(unique[start:start + 5000])))})
        return found

    def _merge(self, session, current: str, same: list[Voter]) -> Voter:
        """One person's rows as one: the row under the normal form's key (else the oldest) is kept, and rehashed to
        that key; the others (spellings an older registry took for other people) are revoked, and wherever they
        have voted the kept row counts as having voted too, so the merge cannot give the person a second ballot."""
        kept, *others = sorted(same, key=lambda v: (v.person_hash != current, v.id))
        if others:
            now = self.clock()
            poll_ids = session.scalars(select(Poll.id)).all()
            for other in others:
                other.revoked_at = other.revoked_at or now
                voted = [p for p in poll_ids
                         if session.get(Participation, (p, self.keys.keyed("voted", f"{p}:{other.id}"))) is not None]
                if voted:
                    session.execute(insert_of(self.engine.dialect.name, Participation).values(
                        [{"poll_id": p, "pseudonym": self.keys.keyed("voted", f"{p}:{kept.id}")} for p in voted])
                        .on_conflict_do_nothing())
        if kept.person_hash != current:
            kept.person_hash = current  # rehashed to the normal form as it is found
        return kept

    def voter_count(self) -> int:
        with self.sessions() as session:
            return session.scalar(select(func.count()).select_from(Voter).where(Voter.revoked_at.is_(None)))

    # --- casting

    def cast(self, code: str, credential: str, choices: list) -> dict:
        """Cast a ballot; returns the receipt once the ballot is committed to the ledger."""
        self._writable()
        if not isinstance(credential, str) or not credential.startswith(CREDENTIAL_PREFIX) or len(credential) > 100:
            raise VotingError("a voting credential (dasan_vc_...) is required", 401)
        poll, rules = self.load_poll(R.parse_poll_code(code))
        status = self.status(poll)
        if status != "open":
            raise VotingError(f"poll {rules.code} is {status}; voting "
                              + ("has ended" if status == "closed" else f"opens at {poll.opens_at.isoformat()}"), 409)
        positions = R.resolve_choices(rules, choices)
        R.check_selection(rules, positions)
        ballot = R.canonical_ballot(rules.code, positions, new_nonce())
        return self.ledger.submit(PendingBallot(poll.id, rules.code, credential_digest(credential), ballot,
                                                poll.district))

    # --- results

    def results(self, code: str) -> dict:
        self._writable()  # a closed poll's results are signed here on first read
        poll, rules = self.load_poll(R.parse_poll_code(code))
        status = self.status(poll)
        if status == "upcoming":
            raise VotingError(f"poll {rules.code} has not opened yet", 409)
        if status == "open" and not poll.results_live:
            raise VotingError(f"results of {rules.code} are hidden until the poll closes at "
                              f"{poll.closes_at.isoformat()}", 403)
        if status == "closed":
            return self._final(poll, rules)
        tree_size, count = self.count(poll.id, rules)
        return {"poll": rules.code, "status": status, "final": False, "tree_size": tree_size, **count}

    def count(self, poll_id: int, rules: R.PollRules, connection=None) -> tuple[int, dict]:
        """Tally every ballot in the ledger: (ledger size, tally)."""
        def run(conn):
            size = conn.execute(select(Ledger.size).where(Ledger.poll_id == poll_id)).scalar_one()
            selections = [tuple(json.loads(raw)["choices"]) for raw in conn.execute(
                select(Ballot.ballot).where(Ballot.poll_id == poll_id, Ballot.leaf_index < size)).scalars()]
            return size, R.tally(rules, selections)
        if connection is not None:
            return run(connection)
        with self.engine.connect() as conn:
            return run(conn)

    def _final(self, poll: Poll, rules: R.PollRules) -> dict:
        with self.sessions() as session:
            stored = session.get(Result, poll.id)
        if stored is None:
            with self.engine.begin() as connection:
                size, root = self.ledger.lock(connection, poll.id)
                stored = connection.execute(select(Result).where(Result.poll_id == poll.id)).first()
                if stored is None:
                    _, counted = self.count(poll.id, rules, connection)
                    digest = hashlib.sha256(json.dumps(counted, sort_keys=True).encode()).hexdigest()
                    signature = self.keys.sign(result_message(rules.code, size, root, digest))
                    connection.execute(Result.__table__.insert().values(
                        poll_id=poll.id, size=size, root=root, tally=counted, computed_at=self.clock(),
                        signature=signature))
            with self.sessions() as session:
                stored = session.get(Result, poll.id)
        return {"poll": rules.code, "status": "closed", "final": True, "tree_size": stored.size,
                "root": stored.root, "signature": stored.signature, "key_id": self.keys.key_id, **stored.tally}

    # --- the ledger's public side

    def _visible_ballots(self, poll: Poll) -> bool:
        return self.status(poll) == "closed" or poll.results_live

    def bulletin(self, code: str, start: int = 0, limit: int = 1000) -> dict:
        """The ballots in ledger order (no voter identity), once results are public."""
        poll, rules = self.load_poll(R.parse_poll_code(code))
        if not self._visible_ballots(poll):
            raise VotingError("the ballot board opens when the results do", 403)
        with self.engine.connect() as connection:
            rows = connection.execute(select(Ballot.leaf_index, Ballot.ballot, Ballot.leaf_hash)
                                      .where(Ballot.poll_id == poll.id, Ballot.leaf_index >= start)
                                      .order_by(Ballot.leaf_index).limit(min(limit, 10_000))).all()
        return {"poll": rules.code, "ballots": [{"leaf_index": r[0], "ballot": r[1], "leaf_hash": r[2]} for r in rows]}

    def inclusion(self, code: str, leaf_index: int, tree_size: int | None = None) -> dict:
        poll_id = R.parse_poll_code(code)
        self.load_poll(poll_id)
        tree, size = self.ledger.current_tree(poll_id)
        tree_size = size if tree_size is None else tree_size
        if not 0 <= leaf_index < tree_size <= size:
            raise VotingError(f"no leaf {leaf_index} in a tree of {tree_size} (the log holds {size})", 404)
        head = self.ledger.head(poll_id, tree_size)
        return {"poll": R.poll_code(poll_id), "leaf_index": leaf_index, "tree_size": tree_size,
                "leaf_hash": tree.levels[0][leaf_index].hex(), "tree_head": head,
                "inclusion_proof": [p.hex() for p in tree.inclusion_proof(leaf_index, tree_size)]}

    def consistency(self, code: str, first: int, second: int | None = None) -> dict:
        poll_id = R.parse_poll_code(code)
        self.load_poll(poll_id)
        tree, size = self.ledger.current_tree(poll_id)
        second = size if second is None else second
        if not 0 < first <= second <= size:
            raise VotingError(f"need 0 < first <= second <= {size} (the log's size)", 404)
        return {"poll": R.poll_code(poll_id), "first": first, "second": second,
                "first_head": self.ledger.head(poll_id, first), "second_head": self.ledger.head(poll_id, second),
                "proof": [p.hex() for p in tree.consistency_proof(first, second)]}

    def heads(self, code: str, after: int = 0, limit: int = 1000) -> dict:
        poll_id = R.parse_poll_code(code)
        self.load_poll(poll_id)
        return {"poll": R.poll_code(poll_id), "public_key": self.keys.public_key, "key_id": self.keys.key_id,
                "heads": self.ledger.heads(poll_id, after, min(limit, 10_000))}

    def participation(self, code: str) -> int:
        poll_id = R.parse_poll_code(code)
        with self.sessions() as session:
            return session.scalar(select(func.count()).select_from(Participation)
                                  .where(Participation.poll_id == poll_id))


__all__ = ["VotingService", "Registered", "IntegrityError"]
