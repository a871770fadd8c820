"""A full audit of a poll's ledger from what the database stores. Every check runs, whatever an earlier one
found, and every problem is reported with its kind and where it is:

- each ballot: it hashes to its recorded leaf hash (else ``modified``), it is a valid ballot of the poll
  (``invalid``), it is not a copy of another (``inserted``), no leaf index is missing (``deleted``);
- each signed tree head: its signature (``bad signature``), then, in order of size, the root of the log it
  covers, rebuilt from the stored ballots. A head that disagrees is explained where the ballots allow it: the
  stored ballot that was slipped in (``inserted``, found by taking it out again), ballots changed together with
  their hashes (``modified``) or taken out with the later ones renumbered (``deleted``). The heads after such a
  window cannot be checked (they cover ballots whose original hashes are gone) and are counted as such;
- the end of the log: ballots no signed head covers (``inserted``, or ``rolled back`` when the ledger row
  accounts for them: their heads were deleted), signed heads covering more ballots than are stored
  (``deleted``), and a log cut back with its heads while the ledger row, the participation marks or the final
  results still count the lost ballots (``rolled back``);
- the ledger row (``ledger state``), the participation marks (``participation``), and the stored final results:
  their signature (``bad signature``) and the recount (``results``).

The report also says what was checked: ballots rehashed, heads and signatures checked, heads matched.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import time
from dataclasses import dataclass, field

from sqlalchemy import func, select

from civic_services.voting import rules as R
from civic_services.voting.keys import head_message, result_message, verify
from civic_services.voting.merkle import EMPTY_ROOT, MerkleTree, leaf_hash
from civic_services.voting.tables import Ballot, Ledger, Participation, Result, TreeHead

# How much work looking for slipped-in ballots in one window may take (hashes appended).
REPAIR_BUDGET = 400_000


@dataclass
class AuditReport:
    poll: str
    ballots: int = 0  # stored ballots, each rehashed and checked
    heads: int = 0  # stored signed heads, each signature checked
    signatures_valid: int = 0
    heads_matched: int = 0  # validly signed heads whose root the stored ballots give
    heads_disagree: int = 0  # validly signed heads found not to match the stored ballots
    heads_unverifiable: int = 0  # validly signed heads after a window that cannot be rebuilt
    participation: int = 0
    results_checked: bool = False
    root: str = ""
    problems: list[dict] = field(default_factory=list)
    tally: dict | None = None
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.problems

    def add(self, kind: str, where: str, detail: str) -> None:
        if not any(p["kind"] == kind and p["where"] == where for p in self.problems):
            self.problems.append({"kind": kind, "where": where, "detail": detail})

    @property
    def checked(self) -> dict:
        return {"ballots": self.ballots, "heads": self.heads, "signatures": self.heads + self.results_checked,
                "signatures_valid": self.signatures_valid, "heads_matched": self.heads_matched,
                "heads_disagree": self.heads_disagree, "heads_unverifiable": self.heads_unverifiable, "participation_marks": self.participation,
                "final_results": self.results_checked}

    def as_dict(self) -> dict:
        return {"poll": self.poll, "ok": self.ok, "ballots": self.ballots, "signed_heads": self.heads,
                "checked": self.checked, "root": self.root, "problems": self.problems, "tally": self.tally,
                "seconds": round(self.seconds, 3)}


@dataclass(frozen=True)
class _Row:
    index: int  # the stored leaf index
    recorded: bytes  # the stored leaf hash
    content: bytes  # the hash of the stored ballot


def _leaves(indexes: list[int]) -> str:
    """``leaf 4`` or ``leaves 4..6``."""
    first, last = min(indexes), max(indexes)
    return f"leaf {first}" if first == last else f"leaves {first}..{last}"


def _root_with(tree: MerkleTree, extra: list[bytes]) -> bytes:
    """The root of ``tree`` with ``extra`` appended (the tree is left as it was)."""
    size = tree.size
    for leaf in extra:
        tree.append(leaf)
    root = tree.root()
    tree.truncate(size)
    return root


def _slipped_in(tree: MerkleTree, rows: list[_Row], start: int, want: int, root: bytes) -> list[int] | None:
    """Positions (in ``rows``, from ``start``) of the fewest stored ballots whose removal makes the next ``want``
    ballots give ``root``: the ballots slipped into this window. None if no such removal of one or two is found
    within the work budget."""
    for extra in (1, 2):
        span = rows[start:start + want + extra]
        if len(span) < want + extra:
            return None
        combinations = itertools.combinations(range(len(span)), extra)
        count = 1
        for k in range(extra):
            count = count * (len(span) - k) // (k + 1)
        if count * want > REPAIR_BUDGET:
            return None
        for removed in combinations:
            kept = [r.recorded for i, r in enumerate(span) if i not in removed]
            if _root_with(tree, kept) == root:
                return [start + i for i in removed]
    return None


def audit(service, code: str) -> AuditReport:
    started = time.perf_counter()
    poll, rules = service.load_poll(R.parse_poll_code(code), fresh=True)
    report = AuditReport(rules.code)
    public_key = service.keys.public_key
    with service.engine.connect() as connection:
        stored = connection.execute(select(Ballot.leaf_index, Ballot.ballot, Ballot.leaf_hash)
                                    .where(Ballot.poll_id == poll.id).order_by(Ballot.leaf_index)).all()
        heads = connection.execute(select(TreeHead.size, TreeHead.root, TreeHead.timestamp, TreeHead.signature)
                                   .where(TreeHead.poll_id == poll.id).order_by(TreeHead.size)).all()
        ledger = connection.execute(select(Ledger.size, Ledger.root).where(Ledger.poll_id == poll.id)).one()
        report.participation = connection.execute(select(func.count()).select_from(Participation)
                                                  .where(Participation.poll_id == poll.id)).scalar_one()
        results = connection.execute(select(Result.size, Result.root, Result.tally, Result.signature)
                                     .where(Result.poll_id == poll.id)).first()
    rows = _check_ballots(report, rules, stored)
    signed = _check_signatures(report, rules.code, public_key, heads)
    _check_heads(report, rows, signed, ledger, results)
    _check_counts(report, rows, ledger)
    _check_results(report, rules, public_key, results, len(rows))
    report.seconds = time.perf_counter() - started
    return report


def _check_ballots(report: AuditReport, rules: R.PollRules, stored) -> list[_Row]:
    """Each ballot on its own: its hash, its validity, copies, missing leaf indexes. Counts and tallies them."""
    rows: list[_Row] = []
    selections = []
    seen_nonces: dict[str, int] = {}
    expected = 0
    for index, raw, recorded in stored:
        if index > expected:
            report.add("deleted", _leaves([expected, index - 1]), f"{index - expected} ballot(s) missing from the log "
                       f"(the leaf indexes jump from {expected - 1} to {index})")
        expected = index + 1
        content = leaf_hash(raw.encode())
        try:
            recorded_bytes = bytes.fromhex(recorded)
        except (TypeError, ValueError):
            recorded_bytes = b""
        if content != recorded_bytes:
            report.add("modified", f"leaf {index}", "the ballot does not hash to its recorded leaf hash (the ballot or "
                       "its hash was changed)")
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
            seen_nonces.setdefault(ballot["nonce"], index)
        rows.append(_Row(index, recorded_bytes or content, content))
    report.ballots = len(rows)
    report.tally = R.tally(rules, selections)
    return rows


def _check_signatures(report: AuditReport, code: str, public_key: str, heads) -> list:
    """The heads whose signature verifies, in order of size; each other one is a problem."""
    report.heads = len(heads)
    signed = []
    for head in heads:
        if verify(public_key, head_message(code, head.size, head.root, head.timestamp), head.signature):
            signed.append(head)
        else:
            report.add("bad signature", f"head of size {head.size}", "the head's signature does not verify with the "
                       "ledger key (the head was altered or forged)")
    report.signatures_valid = len(signed)
    return signed


def _check_heads(report: AuditReport, rows: list[_Row], signed: list, ledger, results) -> None:
    """Rebuild the log head by head, explaining each head that disagrees, then check the end of the log."""
    tree = MerkleTree()
    position = 0  # the next stored ballot (in leaf order) to place in the log
    slipped = 0  # ballots found slipped in so far (each shifted the later leaf indexes by one)
    broken = None  # the kind of the window that could not be rebuilt (the later heads cannot be checked)
    partial = 0  # stored ballots after the last head matched, inside the next head (when the log ends there)
    for number, head in enumerate(signed):
        want = head.size - tree.size
        root = bytes.fromhex(head.root)
        window = rows[position:position + want]
        if len(window) < want:  # the log ends inside this head: its ballots were deleted (below)
            partial = len(window)
            position += partial
            break
        start = tree.size
        for row in window:
            tree.append(row.recorded)
        if tree.root() != root:
            tree.truncate(start)
            if (any(r.recorded != r.content for r in window)
                    and _root_with(tree, [r.content for r in window]) == root):
                window = [_Row(r.index, r.content, r.content) for r in window]  # only a recorded hash was changed
            else:
                found = _slipped_in(tree, rows, position, want, root)
                if found is None:
                    broken = _unexplained(report, rows, position, tree.size, head.size, slipped, signed[number:])
                    report.heads_disagree += 1
                    report.heads_unverifiable = len(signed) - number - 1
                    break
                for at in found:
                    report.add("inserted", f"leaf {rows[at].index}", "this ballot is not in the log the signed head "
                               f"of size {head.size} covers; without it, that head matches (it was slipped in)")
                window = [r for i, r in enumerate(rows[position:position + want + len(found)], start=position)
                          if i not in found]
                slipped += len(found)
                position += len(found)
            for row in window:
                tree.append(row.recorded)
        position += want
        report.heads_matched += 1
    last = signed[-1].size if signed else 0
    if broken is None:
        remaining, end = rows[position:], tree.size + partial
    else:  # by leaf index, shifted by the ballots found slipped in
        remaining = [r for r in rows if r.index >= last + slipped]
        end = rows[-1].index + 1 - slipped if rows else 0
    if end < last and broken != "deleted":
        report.heads_disagree += sum(1 for h in signed if h.size > tree.size) if broken is None else 0
        report.add("deleted", _leaves([end, last - 1]), f"signed heads cover {last} ballots but the log holds "
                   f"{end}: the ballots after leaf {end - 1} were deleted")
    if remaining:
        _uncovered(report, rows, remaining, last, ledger, by_index=broken is not None)
    elif broken is None and end >= last:
        _cut_back(report, tree.size, ledger, results)


def _cut_back(report: AuditReport, size: int, ledger, results) -> None:
    """A log that checks out to its end, while the ledger row, the participation marks or the final results count
    more ballots: its tail was deleted together with the signed heads that covered it."""
    counted = [(what, value) for what, value in (("the ledger row records", ledger.size),
                                                 ("the participation marks count", report.participation),
                                                 ("the final results counted", results.size if results else 0))
               if value > size]
    if counted:
        most = max(value for _, value in counted)
        report.add("rolled back", _leaves([size, most - 1]), f"the log and its signed heads end at {size} ballots, "
                   f"but {', '.join(f'{what} {value}' for what, value in counted)}: the last ballots were deleted "
                   "together with their signed heads (the log was cut back)")


def _unexplained(report: AuditReport, rows: list[_Row], position: int, start: int, size: int, slipped: int,
                 later: list) -> str:
    """A head that no removal of a slipped-in ballot explains: the ballots of its window were changed with their
    hashes, or some were deleted and the later ones renumbered (unless a missing leaf index already says so).
    Returns the kind it stands for."""
    window = rows[position:position + size - start]
    if any(r.index != start + slipped + i for i, r in enumerate(window)):
        return "gap"  # a gap in the leaf indexes, reported as deleted, explains it
    where = _leaves([start, size - 1])
    after = (f"; the {len(later) - 1} later signed head(s) cover these ballots and cannot be checked"
             if len(later) > 1 else "")
    needed = later[-1].size - start
    if len(rows) - position < needed:
        report.add("deleted", where, f"the ballots at {where} do not give the root of the signed head of size {size}, "
                   f"and the log holds {needed - (len(rows) - position)} ballot(s) fewer than the signed heads cover: "
                   f"ballots were deleted here and the later ones renumbered{after}")
        return "deleted"
    else:
        report.add("modified", where, f"the ballots at {where} do not give the root of the signed head of size "
                   f"{size}: a ballot there was changed together with its recorded hash{after}")
        return "modified"


def _uncovered(report: AuditReport, rows: list[_Row], remaining: list[_Row], last: int, ledger,
               by_index: bool) -> None:
    """Stored ballots no signed head covers. The ledger appends a signed head with every ballot, in the same
    transaction: either the heads were deleted (the ledger row, written with them, still counts these ballots) or
    the ballots were added behind the ledger. ``by_index``: found by leaf index, the heads having stopped being
    checkable earlier (an insertion before them also pushes ballots past the last head)."""
    where = _leaves([r.index for r in remaining])
    hedge = (" (found by leaf index: the heads could not be checked this far, so they may have been inserted "
             "anywhere after the window that could not be rebuilt)") if by_index else ""
    tree = MerkleTree([r.content for r in rows])
    if ledger.size == len(rows) and ledger.root == tree.root().hex():
        report.add("rolled back", where, f"{len(remaining)} ballot(s) are covered by no signed head, though the ledger "
                   f"row counts them: the signed heads after size {last} were deleted{hedge}")
    else:
        report.add("inserted", where, f"{len(remaining)} ballot(s) are not covered by any signed head (the last "
                   f"covers {last}): they were added behind the ledger{hedge}")


def _check_counts(report: AuditReport, rows: list[_Row], ledger) -> None:
    """The ledger row and the participation marks against the stored ballots."""
    report.root = MerkleTree([r.content for r in rows]).root().hex() if rows else EMPTY_ROOT.hex()
    if ledger.size != len(rows) or ledger.root != report.root:
        report.add("ledger state", "vote_ledgers", f"the ledger records {ledger.size} ballots with root "
                   f"{ledger.root[:16]}…, the stored ballots give {len(rows)} with root {report.root[:16]}…")
    if report.participation != len(rows):
        report.add("participation", "vote_participation", f"{report.participation} voters are marked as having "
                   f"voted but the log holds {len(rows)} ballots (a ballot was inserted or deleted, or a mark was)")


def _check_results(report: AuditReport, rules: R.PollRules, public_key: str, stored, size: int) -> None:
    """The stored final results: their signature, and the recount when they cover the stored log."""
    if stored is None:
        return
    report.results_checked = True
    digest = hashlib.sha256(json.dumps(stored.tally, sort_keys=True).encode()).hexdigest()
    if not verify(public_key, result_message(rules.code, stored.size, stored.root, digest), stored.signature):
        report.add("bad signature", "vote_results", "the stored results' signature does not verify (results "
                   "altered)")
    if stored.size == size and stored.tally != report.tally:
        for mine, theirs in zip(report.tally["options"], stored.tally.get("options", [])):
            if mine["votes"] != theirs.get("votes"):
                report.add("results", f"option {mine['position']}", f"stored results say {theirs.get('votes')} "
                           f"votes, the recount finds {mine['votes']}")
