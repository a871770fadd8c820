"""The ballot ledger on SQLite and PostgreSQL: receipts verify, double votes are refused under concurrent
casting (threads and processes), district eligibility, budget rules, hidden results, consistency across heads.
Tampering and the audit are in test_voting_audit.py, the voter registry's identifiers in
test_voting_registry.py."""

from __future__ import annotations

import json
import multiprocessing
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from database import upgrade
from civic_services.voting import AlreadyVoted, NotEligible, OptionSpec, PollSpec, VotingError, VotingService
from civic_services.voting.audit import audit
from civic_services.voting.merkle import MerkleTree, leaf_hash, node_hash, verify_consistency, verify_inclusion
from civic_services.voting.receipts import verify_receipt
from database import make_engine
from tests.civic_services.conftest import make_database_url

NOW = datetime.now(timezone.utc)


def policy(**overrides) -> PollSpec:
    fields = dict(kind="policy", title="한강 불꽃축제 확대 개최", title_en="Bigger Han River fireworks",
                  options=(OptionSpec("찬성", "Yes"), OptionSpec("반대", "No")),
                  opens_at=NOW - timedelta(minutes=5), closes_at=NOW + timedelta(days=1))
    fields.update(overrides)
    return PollSpec(**fields)


@pytest.fixture(params=["sqlite", "postgresql"])
def db(request, tmp_path):
    url = make_database_url(request.param, tmp_path, request)
    engine = make_engine(url)
    upgrade(engine)
    yield url, engine, tmp_path / "keys"
    engine.dispose()


@pytest.fixture
def voting(db):
    _, engine, keys = db
    service = VotingService(engine, keys)
    yield service
    service.close()


# --- the Merkle log itself

def _mth(leaves):
    if len(leaves) == 1:
        return leaves[0]
    k = 1 << ((len(leaves) - 1).bit_length() - 1)
    return node_hash(_mth(leaves[:k]), _mth(leaves[k:]))


def test_merkle_tree_matches_rfc6962_and_its_proofs_verify():
    leaves = [leaf_hash(f"ballot {i}".encode()) for i in range(40)]
    tree = MerkleTree(leaves)
    for n in range(1, 41):
        root = tree.root(n)
        assert root == _mth(leaves[:n])
        for m in range(n):
            proof = tree.inclusion_proof(m, n)
            assert verify_inclusion(m, n, leaves[m], proof, root)
            assert not verify_inclusion(m, n, leaf_hash(b"other"), proof, root)
            if proof:
                assert not verify_inclusion(m, n, leaves[m], proof[:-1], root)
        for first in range(1, n + 1):
            proof = tree.consistency_proof(first, n)
            assert verify_consistency(first, n, tree.root(first), root, proof)
            if first < n:
                assert not verify_consistency(first, n, leaf_hash(b"forged"), root, proof)
    # RFC 6962's known answer for the empty tree
    assert MerkleTree().root().hex() == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"


# --- casting, receipts, eligibility, rules

def test_receipt_verifies_offline_and_by_the_cli(voting, tmp_path):
    poll = voting.create_poll(policy())
    assert poll["id"].startswith("MV-") and poll["status"] == "open"
    [alice] = voting.register_voters([("010-1234-5678", "마포구")])
    receipt = voting.cast(poll["id"].lower().replace("-", " "), alice.credential, ["찬성"])
    checks = verify_receipt(receipt, trusted_public_key=voting.keys.public_key)
    assert all(c.ok for c in checks), checks
    assert json.loads(receipt["ballot"])["choices"] == [1]
    # no identity in the receipt or the ballot (the whole number: "010" alone turns up in random hashes)
    assert not any(v in json.dumps(receipt) for v in ("010-1234-5678", "01012345678", "1234-5678", "12345678"))
    path = tmp_path / "receipt.json"
    path.write_text(json.dumps(receipt))
    run = subprocess.run([sys.executable, "-m", "dasan.cli", "vote", "verify", str(path), "--public-key",
                          voting.keys.public_key], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "receipt verified" in run.stdout
    forged = {**receipt, "ballot": receipt["ballot"].replace("[1]", "[2]")}
    path.write_text(json.dumps(forged))
    run = subprocess.run([sys.executable, "-m", "dasan.cli", "vote", "verify", str(path)], capture_output=True,
                         text=True, timeout=120)
    assert run.returncode == 1 and "does not hash" in run.stdout


def test_one_person_one_vote_and_choice_words(voting):
    poll = voting.create_poll(policy())["id"]
    bob, carol = voting.register_voters([("bob", "Jung-gu"), ("carol", "Gangnam")])
    voting.cast(poll, bob.credential, ["yes"])
    with pytest.raises(AlreadyVoted):
        voting.cast(poll, bob.credential, ["2"])
    with pytest.raises(VotingError, match="no option is labelled"):
        voting.cast(poll, carol.credential, ["maybe"])
    with pytest.raises(VotingError, match="no option is labelled"):  # a superscript is a digit int() cannot read
        voting.cast(poll, carol.credential, ["¹"])
    with pytest.raises(VotingError, match="exactly 1"):
        voting.cast(poll, carol.credential, ["1", "2"])
    with pytest.raises(VotingError, match="unknown or revoked"):
        voting.cast(poll, "dasan_vc_not-a-real-credential", ["1"])
    voting.revoke_voter("carol")
    with pytest.raises(NotEligible):
        voting.cast(poll, carol.credential, ["1"])
    with pytest.raises(VotingError, match="already registered"):
        voting.register_voters([("BOB", "Jung-gu")])
    assert voting.participation(poll) == 1


def test_double_votes_refused_under_concurrent_threads(voting):
    poll = voting.create_poll(policy())["id"]
    voters = voting.register_voters([(f"resident-{i}", "Seocho-gu") for i in range(60)])
    attempts = [v for v in voters for _ in range(4)]  # every voter tries four times at once

    def cast(voter):
        try:
            return voting.cast(poll, voter.credential, ["1" if voter.voter_id % 2 else "2"])
        except AlreadyVoted:
            return None

    with ThreadPoolExecutor(48) as pool:
        receipts = [r for r in pool.map(cast, attempts) if r is not None]
    assert len(receipts) == 60
    assert sorted(r["leaf_index"] for r in receipts) == list(range(60))
    report = audit(voting, poll)
    assert report.ok, report.problems
    assert report.ballots == 60 and voting.participation(poll) == 60
    assert all(verify_inclusion(r["leaf_index"], r["tree_head"]["size"], bytes.fromhex(r["leaf_hash"]),
                                [bytes.fromhex(p) for p in r["inclusion_proof"]],
                                bytes.fromhex(r["tree_head"]["root"])) for r in receipts)


def _cast_in_process(url: str, keys: str, poll: str, credentials: list[str], out) -> None:
    engine = make_engine(url)
    service = VotingService(engine, Path(keys))
    accepted = refused = 0
    for credential in credentials:
        try:
            service.cast(poll, credential, ["1"])
            accepted += 1
        except AlreadyVoted:
            refused += 1
    service.close()
    engine.dispose()
    out.put((accepted, refused))


@pytest.mark.slow
def test_double_votes_refused_across_processes(db, voting):
    url, _, keys = db
    poll = voting.create_poll(policy())["id"]
    credentials = [v.credential for v in voting.register_voters([(f"p{i}", "Nowon-gu") for i in range(40)])]
    context = multiprocessing.get_context("spawn")
    out = context.Queue()
    workers = [context.Process(target=_cast_in_process, args=(url, str(keys), poll, credentials[i:] + credentials[:i],
                                                             out)) for i in (0, 10, 20, 30)]
    for worker in workers:
        worker.start()
    totals = [out.get(timeout=240) for _ in workers]
    for worker in workers:
        worker.join(60)
    assert sum(a for a, _ in totals) == 40 and sum(r for _, r in totals) == 120
    report = audit(voting, poll)
    assert report.ok, report.problems
    assert report.ballots == 40 and report.tally["options"][0]["votes"] == 40


def test_a_server_with_other_ledger_keys_refuses_to_write_to_the_ledger(db, voting, tmp_path):
    """Two servers of one database with their own key folders would sign one log with two keys and give one voter
    two pseudonyms (a second ballot through the other server would not be recognised): the second refuses."""
    import shutil

    from civic_services.voting.errors import KeysMismatch

    _, engine, keys = db
    poll = voting.create_poll(policy())["id"]
    alice, bob = voting.register_voters([("alice", "Nowon-gu"), ("bob", "Nowon-gu")])
    voting.cast(poll, alice.credential, ["1"])
    other = VotingService(engine, tmp_path / "other-keys")
    try:
        assert other.keys_problem and "DASAN_VOTING_KEYS_DIR" in other.keys_problem
        with pytest.raises(KeysMismatch, match="voting is closed on this server") as refused:
            other.cast(poll, alice.credential, ["2"])
        assert refused.value.status == 503
        with pytest.raises(KeysMismatch):
            other.register_voters([("carol", "Nowon-gu")])
        assert other.poll(poll)["title"]  # reading stays open
    finally:
        other.close()
    shutil.copytree(keys, tmp_path / "shared-keys")  # the same keys, as a shared secret mount gives them
    same = VotingService(engine, tmp_path / "shared-keys")
    try:
        assert same.keys_problem is None
        with pytest.raises(AlreadyVoted):
            same.cast(poll, alice.credential, ["2"])
        same.cast(poll, bob.credential, ["2"])
    finally:
        same.close()
    assert audit(voting, poll).ok


def test_district_only_poll(voting):
    poll = voting.create_poll(policy(district="Mapo"))["id"]
    local, outsider = voting.register_voters([("m1", "Mapo-gu"), ("g1", "Gangnam-gu")])
    voting.cast(poll, local.credential, ["1"])
    with pytest.raises(NotEligible, match="residents of Mapo-gu"):
        voting.cast(poll, outsider.credential, ["1"])


def test_participatory_budgeting_rules(voting):
    projects = (OptionSpec("우리동네 놀이터 개선", cost=40), OptionSpec("도서관 연장 운영", cost=30),
                OptionSpec("골목 CCTV", cost=20), OptionSpec("가로수 정비", cost=10))
    people = voting.register_voters([(f"b{i}", "Jongno-gu") for i in range(6)])
    threshold = voting.create_poll(policy(kind="budget", options=projects, budget=90, budget_rule="threshold",
                                          threshold_percent=70, max_choices=4))["id"]
    with pytest.raises(VotingError, match=r"at least 70% of the 90 won budget \(63 won\)"):
        voting.cast(threshold, people[0].credential, ["우리동네 놀이터 개선", "4"])  # 50 of 90
    with pytest.raises(VotingError, match="over the budget"):
        voting.cast(threshold, people[0].credential, ["1", "2", "3", "4"])  # 100 of 90
    receipt = voting.cast(threshold, people[0].credential, ["우리동네 놀이터 개선", "2"])  # 70: within the rule
    assert json.loads(receipt["ballot"])["choices"] == [1, 2]
    minimum = voting.create_poll(policy(kind="budget", options=projects, budget=60, budget_rule="minimum",
                                        min_projects=2, max_choices=4))["id"]
    with pytest.raises(VotingError, match="at least 2 projects"):
        voting.cast(minimum, people[1].credential, ["1"])
    voting.cast(minimum, people[1].credential, ["3", "4"])
    ranged = voting.create_poll(policy(kind="budget", options=projects, budget=50, budget_rule="projects",
                                       min_choices=2, max_choices=3))["id"]
    with pytest.raises(VotingError, match="choose 2 to 3"):
        voting.cast(ranged, people[2].credential, ["1", "2", "3", "4"])
    voting.cast(ranged, people[2].credential, ["1", "2"])  # 70 of 50: costs do not count under this rule
    with pytest.raises(VotingError, match="threshold_percent"):
        voting.create_poll(policy(kind="budget", options=projects, budget=100, budget_rule="threshold"))
    with pytest.raises(VotingError, match="needs a cost"):
        voting.create_poll(policy(kind="budget", options=(OptionSpec("a"), OptionSpec("b")), budget=5,
                                  budget_rule="projects"))
    with pytest.raises(VotingError, match="single choice"):
        voting.create_poll(policy(max_choices=2))


def test_results_hidden_until_close_then_final_and_signed(voting):
    general = voting.create_poll(policy(kind="general", options=tuple(OptionSpec(f"안 {i}") for i in range(1, 5)),
                                        min_choices=1, max_choices=2))["id"]
    live = voting.create_poll(policy(results_live=True))["id"]
    people = voting.register_voters([(f"r{i}", "Yongsan-gu") for i in range(5)])
    for i, person in enumerate(people):
        voting.cast(general, person.credential, ["1", str(2 + i % 3)])
        voting.cast(live, person.credential, ["1"])
    with pytest.raises(VotingError, match="hidden until the poll closes") as caught:
        voting.results(general)
    assert caught.value.status == 403
    assert voting.results(live)["options"][0]["votes"] == 5 and voting.results(live)["final"] is False
    voting.close_poll(general)
    with pytest.raises(VotingError, match="closed"):
        voting.cast(general, people[0].credential, ["1"])
    final = voting.results(general)
    assert final["final"] and final["ballots"] == 5
    assert [o["votes"] for o in final["options"]] == [5, 2, 2, 1]
    assert final["leading"] == [1]
    assert voting.results(general) == final  # computed once, stored
    assert audit(voting, general).ok


def test_consistency_proofs_hold_across_every_pair_of_heads(voting):
    poll = voting.create_poll(policy())["id"]
    people = voting.register_voters([(f"c{i}", "Mapo-gu") for i in range(13)])
    receipts = [voting.cast(poll, p.credential, [str(1 + i % 2)]) for i, p in enumerate(people)]
    heads = voting.heads(poll)["heads"]
    assert [h["size"] for h in heads] == list(range(1, 14))
    for a in heads:
        for b in heads:
            if a["size"] <= b["size"]:
                answer = voting.consistency(poll, a["size"], b["size"])
                assert verify_consistency(a["size"], b["size"], bytes.fromhex(a["root"]), bytes.fromhex(b["root"]),
                                          [bytes.fromhex(p) for p in answer["proof"]])
    latest = heads[-1]
    for receipt in receipts:  # every voter can check the final log still holds their ballot
        proof = voting.consistency(poll, receipt["tree_head"]["size"])["proof"]
        checks = verify_receipt(receipt, voting.keys.public_key, latest, proof)
        assert all(c.ok for c in checks), checks
