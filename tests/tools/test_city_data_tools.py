"""The sensor and voting tools through the registry, on the real IoT and voting services (SQLite)."""

from datetime import datetime, timedelta, timezone

import pytest

from civic_services.tools.registry import ToolContext, ToolError
from dasan.runtime import gather_tools


@pytest.fixture(scope="module")
def services(tmp_path_factory):
    from dasan.runtime import Runtime
    from tests.harness import clean_settings

    civic = Runtime.open(clean_settings(data_dir=tmp_path_factory.mktemp("city")))
    now = datetime.now(timezone.utc)
    for name, district, lat, lon, pm10 in (("m1", "Mapo-gu", 37.56, 126.90, 160.0), ("j1", "Jung-gu", 37.56, 126.99, 20.0)):
        streams = civic.iot.provision_station(name, district, lat, lon, ("pm10", "humidity"))
        for minutes in (50, 20, 5):
            stamp = (now - timedelta(minutes=minutes)).isoformat()
            civic.iot.create_observation({"phenomenonTime": stamp, "result": pm10}, streams["pm10"])
            civic.iot.create_observation({"phenomenonTime": stamp, "result": 61.0}, streams["humidity"])
    return {"iot": civic.iot, "voting": civic.voting}


def test_sensor_tools(services):
    registry = gather_tools()
    ctx = ToolContext(services, lang="en")
    latest = registry.call("sensor_latest", {"metric": "humidity", "district": "Mapo-gu"}, ctx)
    assert "61" in latest.text and latest.data["reporting"] == 1
    compared = registry.call("sensor_latest", {"metric": "pm10", "district": ["Mapo-gu", "Jung-gu"]}, ctx)
    assert [r["district"] for r in compared.table] == ["Mapo-gu", "Jung-gu"] and compared.series
    history = registry.call("sensor_history", {"metric": "pm10", "district": "Jung-gu", "period": "last_24h"}, ctx)
    assert history.data["summary"]["avg"] == 20.0
    every = registry.call("sensor_history", {"metric": "pm10", "district": "all", "period": "last_24h"}, ctx)
    assert len(every.table) == 25 and every.table[0]["district"] == "Mapo-gu"  # every district, highest first
    assert every.text == ("Average PM10 (fine dust), the last 24 hours: Mapo-gu 160 µg/m³, Jung-gu 20 µg/m³ (no readings "
                          "elsewhere)")
    alerts = registry.call("air_quality_alerts", {"district": "all"}, ctx)
    assert "Mapo-gu" in alerts.text and "Jung-gu" not in alerts.text  # 160 ug/m3 is "very bad", 20 is "good"


def test_voting_tools(services):
    from civic_services.voting import OptionSpec, PollSpec

    voting = services["voting"]
    now = datetime.now(timezone.utc)
    poll = voting.create_poll(PollSpec(kind="policy", title="한강 축제 확대", title_en="Bigger river festival",
                                       options=(OptionSpec("찬성", "Yes"), OptionSpec("반대", "No")),
                                       opens_at=now - timedelta(minutes=1), closes_at=now + timedelta(days=1),
                                       results_live=True))
    registry = gather_tools()
    listed = registry.call("list_polls", {"status": "open"}, ToolContext(services, lang="ko"))
    assert poll["id"] in listed.text
    [voter] = voting.register_voters([("010-2222-3333", "Mapo-gu")])
    with pytest.raises(ToolError, match="verified_voter"):
        registry.call("cast_vote", {"poll_id": poll["id"], "choice": "찬성"}, ToolContext(services))
    voted = registry.call("cast_vote", {"poll_id": poll["id"], "choice": "찬성"},
                          ToolContext(services, role="verified_voter", voter_key=voter.credential))
    assert "recorded" in voted.text and voted.data
    with pytest.raises(ToolError):  # one person, one vote
        registry.call("cast_vote", {"poll_id": poll["id"], "choice": "반대"},
                      ToolContext(services, role="verified_voter", voter_key=voter.credential))
    results = registry.call("poll_results", {"poll_id": poll["id"]}, ToolContext(services))
    assert results.data["poll"] == poll["id"]
