"""Checking a voter's receipt offline: the ballot hashes to the leaf, the inclusion proof leads from that leaf
to the tree head's root, and the head is signed by the ledger's key. Optionally, a later head and a
consistency proof show the log still holds the ballot (nothing before it was rewritten); :func:`verify_with_server`
asks the server for them, and a server that cannot show its log extends the receipt's head (a log now shorter
than that head, a poll gone, another key) fails the check: the server signed that head, so that is tampering."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from dataclasses import dataclass

from civic_services.voting.keys import head_message, key_id, verify
from civic_services.voting.merkle import leaf_hash, verify_consistency, verify_inclusion


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str


def _hex(value: object, what: str) -> bytes:
    if not isinstance(value, str) or len(value) != 64:
        raise ValueError(f"{what} must be 64 hex characters")
    return bytes.fromhex(value)


def check_head(head: dict, public_key: str) -> Check:
    try:
        message = head_message(head["poll"], int(head["size"]), head["root"], head["timestamp"])
        ok = verify(public_key, message, head["signature"])
    except (KeyError, TypeError, ValueError) as exc:
        return Check("tree head signature", False, f"the tree head is malformed ({exc})")
    return Check("tree head signature", ok, f"head of {head.get('size')} ballots signed by key {head.get('key_id')}"
                 if ok else "the tree head's signature does not verify: the head was altered or not signed by "
                 "this key")


def verify_receipt(receipt: dict, trusted_public_key: str | None = None, later_head: dict | None = None,
                   consistency_proof: list[str] | None = None) -> list[Check]:
    checks: list[Check] = []
    try:
        ballot = receipt["ballot"]
        index = int(receipt["leaf_index"])
        head = receipt["tree_head"]
        public_key = receipt["public_key"]
        proof = [_hex(p, "a proof hash") for p in receipt["inclusion_proof"]]
        recorded = _hex(receipt["leaf_hash"], "leaf_hash")
        root = _hex(head["root"], "the tree head's root")
        size = int(head["size"])
    except (KeyError, TypeError, ValueError) as exc:
        return [Check("receipt format", False, f"not a Dasan ballot receipt: {exc}")]
    computed = leaf_hash(ballot.encode())
    checks.append(Check("ballot hash", computed == recorded,
                        "the ballot hashes to the recorded leaf" if computed == recorded
                        else "the ballot text does not hash to the receipt's leaf hash"))
    try:
        poll = json.loads(ballot).get("poll")
    except ValueError:
        poll = None
    checks.append(Check("poll", poll == receipt.get("poll") == head.get("poll"),
                        f"ballot, receipt and head name {poll}" if poll == receipt.get("poll") == head.get("poll")
                        else "the ballot, the receipt and the tree head name different polls"))
    included = verify_inclusion(index, size, computed, proof, root)
    checks.append(Check("inclusion proof", included,
                        f"leaf {index} is in the tree of {size} ballots with root {head['root'][:16]}…" if included
                        else f"the proof does not lead from leaf {index} to the head's root"))
    try:
        raw = base64.b64decode(public_key)
        own_id = key_id(raw)
    except (ValueError, TypeError):
        own_id = None
    checks.append(Check("key id", own_id == head.get("key_id"),
                        f"public key {own_id}" if own_id == head.get("key_id")
                        else "the head's key id does not match the receipt's public key"))
    if trusted_public_key is not None:
        checks.append(Check("trusted key", trusted_public_key.strip() == public_key,
                            "the receipt's key is the published ledger key" if trusted_public_key.strip() == public_key
                            else "the receipt was signed by a different key than the one you trust"))
    checks.append(check_head(head, public_key))
    if later_head is not None:
        checks += extension_checks(receipt, later_head, consistency_proof)
    return checks


def extension_checks(receipt: dict, later_head: dict, consistency_proof: list[str] | None) -> list[Check]:
    """A later head of the same log, signed by the receipt's key, and a consistency proof that it extends the
    receipt's head."""
    head = receipt["tree_head"]
    checks = [check_head(later_head, receipt["public_key"])]
    try:
        ok = verify_consistency(int(head["size"]), int(later_head["size"]), _hex(head["root"], "root"),
                                _hex(later_head["root"], "root"),
                                [_hex(p, "a proof hash") for p in consistency_proof or []])
    except (KeyError, TypeError, ValueError):
        ok = False
    checks.append(Check("consistency", ok,
                        f"the log of {later_head.get('size')} ballots extends the one your receipt names" if ok
                        else "the later head does not extend your receipt's head: the log was rewritten"))
    return checks


# (path, query parameters) -> (HTTP status, the answer's JSON or None); the CLI gives one over HTTP.
Fetch = Callable[[str, dict], "tuple[int, object]"]


def _message(answer: object) -> str:
    return str(answer.get("message", "")) if isinstance(answer, dict) else ""


def verify_with_server(receipt: dict, fetch: Fetch) -> list[Check]:
    """Ask the ledger's server whether its log still extends the receipt's head: the server's key is the
    receipt's, its head of the receipt's size is the receipt's head, and its current head is signed and extends
    it (consistency proof). A log shorter than the receipt's head, or a poll the server no longer knows, is proof
    of tampering: the server signed that head."""
    try:
        poll, size, key = receipt["poll"], int(receipt["tree_head"]["size"]), receipt["public_key"]
    except (KeyError, TypeError, ValueError) as exc:
        return [Check("receipt format", False, f"not a Dasan ballot receipt: {exc}")]
    status, answer = fetch("/voting/public-key", {})
    if status != 200 or not isinstance(answer, dict):
        return [Check("server key", False, f"the server did not give its ledger key (HTTP {status}); it may not "
                      "be a Dasan server")]
    if answer.get("public_key") != key:
        return [Check("server key", False, "the server's ledger key is not the key that signed your receipt: this "
                      "is another ledger, or the server's key was replaced")]
    checks = [Check("server key", True, f"the server signs with your receipt's key {answer.get('key_id')}")]
    status, answer = fetch(f"/voting/polls/{poll}/consistency", {"first": size})
    if status == 404:
        known, _ = fetch(f"/voting/polls/{poll}", {})
        if known == 404:
            detail = (f"the server no longer has poll {poll}, though it signed a head of {size} ballots of it: the "
                      "poll was deleted (proof of tampering)")
        else:
            detail = (f"the server's log of {poll} is shorter than the head of {size} ballots it signed for your "
                      f"receipt: ballots were deleted or the log was cut back (proof of tampering)"
                      + (f"; the server says: {_message(answer)}" if _message(answer) else ""))
        return checks + [Check("log extends your receipt", False, detail)]
    if status != 200 or not isinstance(answer, dict):
        return checks + [Check("log extends your receipt", False, f"the server could not show that its log extends "
                               f"your receipt's head (HTTP {status}: {_message(answer) or 'no answer'})")]
    first, later = answer.get("first_head"), answer.get("second_head")
    same = isinstance(first, dict) and first.get("root") == receipt["tree_head"].get("root")
    checks.append(Check("your head on the server", same,
                        f"the server still shows your receipt's head of {size} ballots" if same else
                        f"the server no longer shows the head of {size} ballots it signed for your receipt"
                        + (" (it shows another root: the log was rewritten)" if isinstance(first, dict)
                           else " (its heads were deleted)")))
    if not isinstance(later, dict):
        return checks + [Check("later head", False, f"the server has no signed head for its log of "
                               f"{answer.get('second')} ballots: its heads were deleted")]
    return checks + extension_checks(receipt, later, answer.get("proof"))
