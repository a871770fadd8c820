"""A full audit of a poll's ledger from what the database stores: every ballot rehashed, the tree rebuilt,
every signed head checked against it, the ledger row, the participation count, and the tally recounted and
compared with the stored final results. Reports each problem and where it is (leaf index, head size)."""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass, field

from sqlalchemy import func, select

from civic_services.voting import rules as R
from civic_services.voting.keys import head_message, result_message, verify
from civic_services.voting.merkle import EMPTY_ROOT, MerkleTree, leaf_hash
from civic_services.voting.tables import Ballot, Ledger, Participation, Result, TreeHead


@dataclass
class AuditReport:
    poll: str
    ballots: int = 0
    heads: int = 0
    root: str = ""
    problems: list[dict] = field(default_factory=list)
    tally: dict | None = None
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.problems

    def add(self, kind: str, where: str, detail: str) -> None:
        self.problems.append({"kind": kind, "where": where, "detail": detail})

    def as_dict(self) -> dict:
        return {"poll": self.poll, "ok": self.ok, "ballots": self.ballots, "signed_heads": self.heads,
                "root": self.root, "problems": self.problems, "tally": self.tally, "seconds": round(self.seconds, 3)}


def audit(service, code: str) -> AuditReport:
    started = time.perf_counter()
    poll, rules = service.load_poll(R.parse_poll_code(code), fresh=True)
    report = AuditReport(rules.code)
    public_key = service.keys.public_key
    with service.engine.connect() as connection:
        rows = connection.execute(select(Ballot.leaf_index, Ballot.ballot, Ballot.leaf_hash)
                                  .where(Ballot.poll_id == poll.id).order_by(Ballot.leaf_index)).all()
        heads = connection.execute(select(TreeHead.size, TreeHead.root, TreeHead.timestamp, TreeHead.signature)
                                   .where(TreeHead.poll_id == poll.id).order_by(TreeHead.size)).all()
        ledger = connection.execute(select(Ledger.size, Ledger.root).where(Ledger.poll_id == poll.id)).one()
        voted = connection.execute(select(func.count()).select_from(Participation)
                                   .where(Participation.poll_id == poll.id)).scalar_one()
        stored = connection.execute(select(Result.size, Result.root, Result.tally, Result.signature)
                                    .where(Result.poll_id == poll.id)).first()

    # 1. Each ballot: in place, well-formed, valid for the poll, hashing to its recorded leaf hash.
    tree = MerkleTree()
    selections = []
    seen_nonces: dict[str, int] = {}
    expected = 0
    for index, raw, recorded in rows:
        if index != expected:
            if index > expected:
                report.add("removed", f"leaves {expected}..{index - 1}" if index - expected > 1 else f"leaf {expected}",
                           f"{index - expected} ballot(s) missing from the log (leaf indexes jump from "
                           f"{expected - 1} to {index})")
            expected = index
        expected += 1
        leaf = leaf_hash(raw.encode())
        if leaf.hex() != recorded:
            report.add("changed", f"leaf {index}", "the ballot's content does not hash to its recorded leaf hash")
        try:
            ballot = R.parse_ballot(raw)
            positions = tuple(ballot["choices"])
            if ballot["poll"] != rules.code:
                raise ValueError(f"names poll {ballot['poll']}")
            R.check_selection(rules, positions)
            selections.append(positions)
        except (ValueError, R.VotingError) as exc:
            report.add("invalid", f"leaf {index}", f"the ballot is not a valid ballot of this poll "
                       f"({getattr(exc, 'message', exc)})")
        else:
            if ballot["nonce"] in seen_nonces:
                report.add("inserted", f"leaf {index}", f"the same ballot as leaf {seen_nonces[ballot['nonce']]} "
                           "appears again (a copied ballot)")
            seen_nonces[ballot["nonce"]] = index
        tree.append(leaf)
    report.ballots = len(rows)

    # 2. Every signed head: genuine, and the root of the rebuilt tree at its size.
    verified_until = 0
    for head in heads:
        report.heads += 1
        where = f"head of size {head.size}"
        if not verify(public_key, head_message(rules.code, head.size, head.root, head.timestamp), head.signature):
            report.add("forged head", where, "the signature does not verify with the ledger key")
            continue
        if head.size > tree.size:
            report.add("removed", where, f"the head covers {head.size} ballots but the log holds {tree.size}: "
                       f"ballots after leaf {tree.size - 1} were removed")
            continue
        if tree.root(head.size).hex() != head.root:
            report.add("mismatch", where,
                       f"the ballots in leaves 0..{head.size - 1} do not give the signed root; the first signed head "
                       f"that disagrees is this one, so a ballot in leaves {verified_until}..{head.size - 1} was "
                       "changed, removed or inserted")
            break  # later heads disagree too; this one locates it
        verified_until = head.size
    if tree.size > verified_until and not any(p["kind"] == "mismatch" for p in report.problems):
        last = heads[-1].size if heads else 0
        if tree.size > last:
            report.add("inserted", f"leaves {last}..{tree.size - 1}",
                       f"{tree.size - last} ballot(s) are not covered by any signed head (added behind the ledger)")

    # 3. The ledger row and the participation marks.
    report.root = tree.root().hex() if tree.size else EMPTY_ROOT.hex()
    if ledger.size != tree.size or ledger.root != report.root:
        report.add("ledger state", "vote_ledgers", f"the ledger records {ledger.size} ballots with root "
                   f"{ledger.root[:16]}…, the stored ballots give {tree.size} with root {report.root[:16]}…")
    if voted != tree.size:
        report.add("participation", "vote_participation", f"{voted} voters are marked as having voted but the log "
                   f"holds {tree.size} ballots (a ballot was inserted or removed, or a mark was)")

    # 4. The tally, against the stored final results.
    report.tally = R.tally(rules, selections)
    if stored is not None:
        digest = hashlib.sha256(json.dumps(stored.tally, sort_keys=True).encode()).hexdigest()
        if not verify(public_key, result_message(rules.code, stored.size, stored.root, digest), stored.signature):
            report.add("results", "vote_results", "the stored results' signature does not verify (results altered)")
        if stored.size == tree.size and stored.tally != report.tally:
            for mine, theirs in zip(report.tally["options"], stored.tally.get("options", [])):
                if mine["votes"] != theirs.get("votes"):
                    report.add("results", f"option {mine['position']}", f"stored results say {theirs.get('votes')} "
                               f"votes, the recount finds {mine['votes']}")
    report.seconds = time.perf_counter() - started
    return report
