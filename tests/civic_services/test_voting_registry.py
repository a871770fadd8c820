"""The voter registry on SQLite and PostgreSQL: the spellings of one identifier (NFC and NFD Hangul, phone numbers
with or without separators, full-width letters and digits, case, spaces) are one person with one credential, at
registration, re-issue and revocation, over the service and over HTTP; rows an older registry hashed the old way
are still found by any spelling, rehashed to the normal form, and duplicates it made are merged without a
second ballot."""

from __future__ import annotations

import unicodedata
from datetime import datetime, timedelta, timezone

import httpx
import pytest
from sqlalchemy import select

from civic_services.voting import AlreadyVoted, NotEligible, OptionSpec, PollSpec, VotingError, VotingService
from civic_services.voting.identity import person_key
from civic_services.voting.tables import Voter
from database import make_engine, upgrade
from tests.civic_services.conftest import make_database_url

NFC = "김철수-900101"
NFD = unicodedata.normalize("NFD", NFC)
SPELLINGS = [(NFC, NFD), ("010-1234-5678", "01012345678"), ("010-1234-5678", "010 1234 5678"),
             ("010-1234-5678", "+82 10-1234-5678"), ("ＫＩＭ１", "kim1"), ("KIM1", "kim1"), ("kim 1", "kim1"),
             ("김철수–900101", NFC)]


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def voting(request, tmp_path_factory):
    tmp = tmp_path_factory.mktemp(f"registry-{request.param}")
    engine = make_engine(make_database_url(request.param, tmp, request))
    upgrade(engine)
    service = VotingService(engine, tmp / "keys")
    yield service
    service.close()
    engine.dispose()


def _clear(voting) -> None:
    with voting.engine.begin() as connection:
        for table in ("vote_participation", "vote_ballots", "vote_tree_heads", "vote_ledgers", "vote_results",
                      "vote_options", "vote_polls", "vote_voters"):
            connection.exec_driver_sql(f"DELETE FROM {table}")


def _legacy_row(voting, spelling: str, district: str = "Mapo-gu") -> str:
    """A voter as a registry before the normal form stored it (whitespace collapsed, case folded); its credential."""
    from civic_services.voting.ledger import credential_digest

    credential = f"dasan_vc_legacy-{abs(hash(spelling))}"
    with voting.sessions.begin() as session:
        session.add(Voter(person_hash=voting.keys.keyed("person", " ".join(spelling.split()).casefold()),
                          district=district, credential_sha256=credential_digest(credential),
                          registered_at=datetime.now(timezone.utc)))
    return credential


def _poll(voting) -> str:
    now = datetime.now(timezone.utc)
    return voting.create_poll(PollSpec(kind="policy", title="마포 둘레길 조명", options=(OptionSpec("찬성"), OptionSpec("반대")),
                                       opens_at=now - timedelta(minutes=1), closes_at=now + timedelta(days=1)))["id"]


@pytest.mark.parametrize("first,second", SPELLINGS)
def test_spellings_of_one_identifier_are_one_person(voting, first, second):
    _clear(voting)
    assert person_key(first) == person_key(second)
    voting.register_voters([(first, "Mapo-gu")])
    with pytest.raises(VotingError, match="already registered") as refused:
        voting.register_voters([(second, "마포구")])
    assert refused.value.status == 409
    with pytest.raises(VotingError, match="rows 1 and 2 name the same person"):
        voting.register_voters([(first, "Mapo-gu"), (second, "Mapo-gu")], reissue=True)
    [again] = voting.register_voters([(second, unicodedata.normalize("NFD", "마포구"))], reissue=True)
    assert voting.voter_count() == 1 and again.district == "Mapo-gu"
    voting.revoke_voter(first)
    assert voting.voter_count() == 0


def test_different_people_stay_different(voting):
    _clear(voting)
    people = ["kim1", "kim2", "010-1234-5678", "010-1234-5679", NFC, "김철수-900102", "minji@example.kr"]
    assert len({person_key(p) for p in people}) == len(people)
    assert len(voting.register_voters([(p, "Jung-gu") for p in people])) == len(people)
    with pytest.raises(VotingError, match="1 to 200"):
        voting.register_voters([("\u200b \t", "Jung-gu")])


def test_rows_hashed_the_old_way_are_found_by_any_spelling_and_rehashed(voting):
    _clear(voting)
    for spelling, other in (("010-1234-5678", "01012345678"), (NFD, NFC), ("ＫＩＭ１", "kim1")):
        credential = _legacy_row(voting, spelling)
        with pytest.raises(VotingError, match="already registered"):
            voting.register_voters([(other, "Mapo-gu")])  # the old row is this person
        [issued] = voting.register_voters([(other, "Mapo-gu")], reissue=True)
        with voting.sessions() as session:
            row = session.get(Voter, issued.voter_id)
            assert row.person_hash == voting.keys.keyed("person", person_key(other))  # rehashed to the normal form
        poll = _poll(voting)
        with pytest.raises(NotEligible):
            voting.cast(poll, credential, ["1"])  # the old credential was replaced
        voting.cast(poll, issued.credential, ["1"])
    assert voting.voter_count() == 3


def test_duplicates_an_old_registry_made_are_merged_without_a_second_ballot(voting):
    _clear(voting)
    nfc_credential, nfd_credential = _legacy_row(voting, NFC), _legacy_row(voting, NFD)
    phone_credential = _legacy_row(voting, "010 5555 6666")
    _legacy_row(voting, "010-5555-6666")
    assert voting.voter_count() == 4  # before: two people, each registered twice
    poll = _poll(voting)
    voting.cast(poll, nfd_credential, ["2"])  # one of the two credentials has voted
    [merged] = voting.register_voters([(NFC, "Mapo-gu")], reissue=True)
    assert voting.voter_count() == 3
    with pytest.raises(AlreadyVoted):
        voting.cast(poll, merged.credential, ["1"])  # the merge kept their vote, not a second one
    for old in (nfc_credential, nfd_credential):
        with pytest.raises(NotEligible):
            voting.cast(poll, old, ["1"])
    voting.revoke_voter("01055556666")  # revoking by any spelling revokes every row of the person
    with pytest.raises(NotEligible):
        voting.cast(poll, phone_credential, ["1"])
    assert voting.voter_count() == 1
    with voting.sessions() as session:
        hashes = session.scalars(select(Voter.person_hash).where(Voter.revoked_at.is_(None))).all()
    assert hashes == [voting.keys.keyed("person", person_key(NFC))]


def test_registering_spellings_over_http_gives_one_credential(server):
    headers = server.staff_token("voting:admin")
    with httpx.Client(base_url=server.base, timeout=30) as http:
        first = http.post("/voting/voters", headers=headers, json={"voters": [{"person": NFD, "district": "Mapo-gu"}]})
        assert first.status_code == 201, first.text
        second = http.post("/voting/voters", headers=headers,
                           json={"voters": [{"person": NFC, "district": "Mapo-gu"}]})
        assert second.status_code == 409 and "already registered" in second.json()["message"]
        both = http.post("/voting/voters", headers=headers, json={"voters": [
            {"person": "ＬＥＥ７", "district": "Mapo-gu"}, {"person": "lee7", "district": "Mapo-gu"}]})
        assert both.status_code == 400 and "same person" in both.json()["message"]
