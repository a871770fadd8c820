"""Checking a voter's receipt offline: the ballot hashes to the leaf, the inclusion proof leads from that leaf
to the tree head's root, and the head is signed by the ledger's key. Optionally, a later head and a
consistency proof show the log still holds the ballot (nothing before it was rewritten)."""

from __future__ import annotations

import base64
import json
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
        checks.append(check_head(later_head, public_key))
        try:
            ok = verify_consistency(size, int(later_head["size"]), root, _hex(later_head["root"], "root"),
                                    [_hex(p, "a proof hash") for p in consistency_proof or []])
        except (KeyError, TypeError, ValueError):
            ok = False
        checks.append(Check("consistency", ok,
                            f"the log of {later_head['size']} ballots extends the one your receipt names" if ok
                            else "the later head does not extend your receipt's head: the log was rewritten"))
    return checks
