"""Tampering with the ballot ledger by hand in the database (SQLite and PostgreSQL), one way at a time and
several at once, against a real server: `dasan vote audit` reports every problem with its kind and where it
is, and what it checked; `dasan vote verify --server` fails (exit 1) once the server's log no longer extends a
receipt's head, a log cut back below the receipt's head included."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import text

from civic_services.voting import OptionSpec, PollSpec
from civic_services.voting.audit import audit
from civic_services.voting.merkle import leaf_hash
from tests.harness import run_cli


def _poll(server, count=10) -> tuple[str, int, list[dict]]:
    """A poll with ``count`` ballots cast one at a time (one signed head per ballot); its code, id and receipts."""
    voting = server.runtime.voting
    now = datetime.now(timezone.utc)
    code = voting.create_poll(PollSpec(kind="policy", title="구로구 공원 야간 개방", options=(
        OptionSpec("찬성", "Yes"), OptionSpec("반대", "No")), opens_at=now - timedelta(minutes=5),
        closes_at=now + timedelta(days=1)))["id"]
    people = voting.register_voters([(f"audit-{code}-{i}", "Guro-gu") for i in range(count)])
    receipts = [voting.cast(code, p.credential, [str(1 + i % 2)]) for i, p in enumerate(people)]
    assert audit(voting, code).ok
    return code, int(code.split("-")[1]), receipts


def _sql(server, statement: str, **params) -> None:
    with server.runtime.engine.begin() as connection:
        connection.execute(text(statement), params)


def _scalar(server, statement: str, **params):
    with server.runtime.engine.connect() as connection:
        return connection.execute(text(statement), params).scalar()


def _ballot(code: str, nonce: str, choice: int = 1) -> str:
    return json.dumps({"choices": [choice], "nonce": nonce, "poll": code}, sort_keys=True, separators=(",", ":"))


def _insert(server, pid: int, index: int, ballot: str) -> None:
    _sql(server, "INSERT INTO vote_ballots (poll_id, leaf_index, ballot, leaf_hash) VALUES (:p, :i, :b, :h)",
         p=pid, i=index, b=ballot, h=leaf_hash(ballot.encode()).hex())


def _shift(server, pid: int, first: int, last: int, by: int) -> None:
    """Renumber leaves first..last by ``by`` (one at a time, so the primary key holds)."""
    for index in (range(last, first - 1, -1) if by > 0 else range(first, last + 1)):
        _sql(server, "UPDATE vote_ballots SET leaf_index = :n WHERE poll_id = :p AND leaf_index = :i",
             n=index + by, i=index, p=pid)


def _flip(server, pid: int, index: int, rehash: bool) -> None:
    """Turn the vote at ``index`` to the other option; with ``rehash`` its recorded leaf hash too."""
    raw = _scalar(server, "SELECT ballot FROM vote_ballots WHERE poll_id = :p AND leaf_index = :i", p=pid, i=index)
    forged = raw.replace("[2]", "[1]") if "[2]" in raw else raw.replace("[1]", "[2]")
    if rehash:
        _sql(server, "UPDATE vote_ballots SET ballot = :b, leaf_hash = :h WHERE poll_id = :p AND leaf_index = :i",
             b=forged, h=leaf_hash(forged.encode()).hex(), p=pid, i=index)
    else:
        _sql(server, "UPDATE vote_ballots SET ballot = :b WHERE poll_id = :p AND leaf_index = :i", b=forged, p=pid,
             i=index)


def _cut_back(server, pid: int, size: int) -> None:
    """Cut the log back to ``size`` ballots: ballots, signed heads and the ledger row, as a restored backup would."""
    root = _scalar(server, "SELECT root FROM vote_tree_heads WHERE poll_id = :p AND size = :s", p=pid, s=size)
    _sql(server, "DELETE FROM vote_ballots WHERE poll_id = :p AND leaf_index >= :s", p=pid, s=size)
    _sql(server, "DELETE FROM vote_tree_heads WHERE poll_id = :p AND size > :s", p=pid, s=size)
    _sql(server, "UPDATE vote_ledgers SET size = :s, root = :r WHERE poll_id = :p", s=size, r=root, p=pid)


def _report(server, code):
    report = audit(server.runtime.voting, code)
    return report, {(p["kind"], p["where"]) for p in report.problems}


def _tamper_results(server, code, pid):
    server.runtime.voting.close_poll(code)
    results = server.runtime.voting.results(code)
    tally = {k: v for k, v in results.items() if k in ("ballots", "options", "leading")}
    tally["options"] = [{**o, "votes": o["votes"] + (3 if o["position"] == 2 else 0)} for o in tally["options"]]
    _sql(server, "UPDATE vote_results SET tally = :t WHERE poll_id = :p", t=json.dumps(tally), p=pid)


# name: (tampering, problems that must be reported, problems that must not, checked counts)
ONE_WAY = {
    "modified ballot": (lambda s, c, p: _flip(s, p, 4, rehash=False),
                        {("modified", "leaf 4"), ("ledger state", "vote_ledgers")}, set(), {"heads_matched": 10}),
    "modified ballot and its hash": (lambda s, c, p: _flip(s, p, 6, rehash=True), {("modified", "leaf 6")}, set(),
                                     {"heads_matched": 6, "heads_disagree": 1, "heads_unverifiable": 3}),
    "deleted ballot": (lambda s, c, p: _sql(s, "DELETE FROM vote_ballots WHERE poll_id = :p AND leaf_index = 3", p=p),
                       {("deleted", "leaf 3"), ("participation", "vote_participation")}, set(), {"ballots": 9}),
    "deleted and renumbered": (lambda s, c, p: (_sql(s, "DELETE FROM vote_ballots WHERE poll_id = :p AND "
                                                        "leaf_index = 3", p=p), _shift(s, p, 4, 9, -1)),
                               {("deleted", "leaf 3"), ("participation", "vote_participation")},
                               {("deleted", "leaf 9")}, {"heads_matched": 3}),
    "deleted tail": (lambda s, c, p: _sql(s, "DELETE FROM vote_ballots WHERE poll_id = :p AND leaf_index >= 8", p=p),
                     {("deleted", "leaves 8..9")}, set(), {"heads_matched": 8, "heads_disagree": 2}),
    "inserted at the end": (lambda s, c, p: _insert(s, p, 10, _ballot(c, "ab" * 16)),
                            {("inserted", "leaf 10"), ("ledger state", "vote_ledgers"),
                             ("participation", "vote_participation")}, set(), {"heads_matched": 10}),
    "inserted in the middle": (lambda s, c, p: (_shift(s, p, 5, 9, +1), _insert(s, p, 5, _ballot(c, "cd" * 16))),
                               {("inserted", "leaf 5")}, {("inserted", "leaf 10")}, {"heads_matched": 10}),
    "copied ballot": (lambda s, c, p: _insert(s, p, 10, _scalar(s, "SELECT ballot FROM vote_ballots WHERE poll_id = "
                                                                  ":p AND leaf_index = 2", p=p)),
                      {("inserted", "leaf 10")}, set(), {}),
    "signed heads deleted": (lambda s, c, p: _sql(s, "DELETE FROM vote_tree_heads WHERE poll_id = :p AND size > 7",
                                                  p=p),
                             {("rolled back", "leaves 7..9")}, {("inserted", "leaves 7..9")}, {"heads": 7}),
    "log cut back": (lambda s, c, p: _cut_back(s, p, 7), {("rolled back", "leaves 7..9")},
                     {("inserted", "leaves 7..9")}, {"ballots": 7, "heads": 7, "heads_matched": 7}),
    "forged head": (lambda s, c, p: _sql(s, "UPDATE vote_tree_heads SET root = :r WHERE poll_id = :p AND size = 5",
                                         r="00" * 32, p=p),
                    {("bad signature", "head of size 5")}, set(), {"signatures_valid": 9, "heads_matched": 9}),
    "altered results": (_tamper_results, {("bad signature", "vote_results"), ("results", "option 2")}, set(),
                        {"final_results": True, "signatures": 11}),
}


@pytest.mark.parametrize("way", list(ONE_WAY))
def test_each_way_of_tampering_is_reported_with_where(server, way):
    tamper, wanted, unwanted, counts = ONE_WAY[way]
    code, pid, _ = _poll(server)
    tamper(server, code, pid)
    report, problems = _report(server, code)
    assert not report.ok
    assert wanted <= problems, report.problems
    assert not unwanted & problems, report.problems
    checked = report.checked
    assert {k: checked[k] for k in counts} == counts, checked
    assert checked["heads"] == report.heads and checked["signatures"] >= checked["signatures_valid"]


def test_tampering_in_several_ways_at_once_reports_every_one(server):
    # A changed vote, a forged head, a ballot slipped into the middle and one added at the end.
    code, pid, _ = _poll(server, 12)
    _flip(server, pid, 1, rehash=False)
    _sql(server, "UPDATE vote_tree_heads SET root = :r WHERE poll_id = :p AND size = 3", r="00" * 32, p=pid)
    _shift(server, pid, 5, 11, +1)
    _insert(server, pid, 5, _ballot(code, "ef" * 16))
    _insert(server, pid, 13, _ballot(code, "12" * 16, 2))
    report, problems = _report(server, code)
    assert {("modified", "leaf 1"), ("bad signature", "head of size 3"), ("inserted", "leaf 5"),
            ("inserted", "leaf 13"), ("participation", "vote_participation")} <= problems, report.problems
    assert report.checked["heads_matched"] == 11 and report.checked["ballots"] == 14
    # Then a deleted ballot before them: the heads after it cannot be checked, and the rest is still found.
    code, pid, _ = _poll(server, 12)
    _sql(server, "DELETE FROM vote_ballots WHERE poll_id = :p AND leaf_index = 2", p=pid)
    _flip(server, pid, 7, rehash=False)
    _insert(server, pid, 12, _ballot(code, "34" * 16))
    report, problems = _report(server, code)
    assert {("deleted", "leaf 2"), ("modified", "leaf 7"), ("inserted", "leaf 12")} <= problems, report.problems
    assert report.checked["heads_matched"] == 2 and report.checked["heads_unverifiable"] == 9


def _cli_env(server) -> dict:
    return {"DATABASE_URL": server.settings.database_url, "DASAN_DATA_DIR": str(server.settings.data_dir)}


def test_audit_command_reports_every_problem_with_exit_1(server):
    code, pid, _ = _poll(server, 6)
    ok = run_cli("vote", "audit", code, env=_cli_env(server))
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "checked 6 ballots" in ok.stdout and "6 match the ballots" in ok.stdout and "checks out" in ok.stdout
    _flip(server, pid, 1, rehash=False)
    _cut_back(server, pid, 4)
    bad = run_cli("vote", "audit", code, "--json", env=_cli_env(server))
    assert bad.returncode == 1, bad.stdout + bad.stderr
    report = json.loads(bad.stdout.strip().splitlines()[-1])
    assert {(p["kind"], p["where"]) for p in report["problems"]} >= {("modified", "leaf 1"),
                                                                     ("rolled back", "leaves 4..5")}
    assert report["checked"]["ballots"] == 4 and report["checked"]["heads"] == 4
    text_report = run_cli("vote", "audit", code, env=_cli_env(server))
    assert text_report.returncode == 1
    assert "rolled back at leaves 4..5" in text_report.stdout and "modified at leaf 1" in text_report.stdout


def _verify(server, receipt: dict, tmp_path, *extra):
    path = tmp_path / "receipt.json"
    path.write_text(json.dumps(receipt), encoding="utf-8")
    return run_cli("vote", "verify", str(path), "--server", server.base, *extra)


def test_verify_against_the_server_fails_once_the_log_is_cut_below_the_receipt(server, tmp_path):
    code, pid, receipts = _poll(server, 8)
    fine = _verify(server, receipts[5], tmp_path, "--public-key", server.runtime.voting.keys.public_key)
    assert fine.returncode == 0, fine.stdout + fine.stderr
    assert "receipt verified" in fine.stdout and "consistency" in fine.stdout
    _cut_back(server, pid, 4)  # the receipts of leaves 4..7 name heads the log no longer reaches
    cut = _verify(server, receipts[5], tmp_path)
    assert cut.returncode == 1, cut.stdout + cut.stderr
    assert "proof of tampering" in cut.stdout and "receipt verified" not in cut.stdout
    assert "tampered" in cut.stderr
    early = _verify(server, receipts[2], tmp_path)  # an earlier receipt is still in the log
    assert early.returncode == 0, early.stdout + early.stderr


def test_verify_against_the_server_fails_when_the_receipts_head_was_deleted(server, tmp_path):
    code, pid, receipts = _poll(server, 6)
    _sql(server, "DELETE FROM vote_tree_heads WHERE poll_id = :p AND size = 3", p=pid)
    gone = _verify(server, receipts[2], tmp_path)
    assert gone.returncode == 1 and "no longer shows the head of 3 ballots" in gone.stdout, gone.stdout
    assert _verify(server, receipts[3], tmp_path).returncode == 0
