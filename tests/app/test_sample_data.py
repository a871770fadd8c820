"""Sample data for a fresh install (``DASAN_SAMPLE_DATA``): a real server on a real database loads the synthetic
open datasets, the sample polls (one closed and counted, sample voters' credentials in a file that work) and the
simulated sensor feed, all marked as samples and seen through the public APIs; a second start on the same data
adds nothing; ``DASAN_SAMPLE_FEED=false`` leaves the feed out; and by default there is no sample data at all."""

from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone

import httpx
from sqlalchemy import func, select

from civic_services.iot.tables import Observation, Thing
from civic_services.opendata import samples as opendata_samples
from dasan import samples
from tests.harness import clean_settings, serve


def _settings(data_dir, **values):
    return clean_settings(data_dir=data_dir, warm_up=False, chat_enabled=False, **values)


def _loaded(served, timeout_s: float = 120):
    state = served.app.state.samples
    assert state is not None
    assert state.done.wait(timeout_s), "the sample data did not load in time"
    assert state.error is None, state.error
    return state


def _counts(runtime) -> tuple[int, int]:
    with runtime.iot.engine.connect() as connection:
        things = connection.scalar(select(func.count()).select_from(Thing).where(Thing.name.like("sample-sdot-%")))
        observations = connection.scalar(select(func.count()).select_from(Observation))
    return things, observations


def test_a_fresh_install_shows_sample_data_once(tmp_path):
    data_dir = tmp_path / "var"
    every = len(opendata_samples.samples())
    with serve(_settings(data_dir, sample_data=True)) as served:
        state = _loaded(served)
        base = served.base
        assert len(state.datasets) == every and len(state.polls) == 3 and state.feed is not None
        # open data, through CKAN: every sample dataset, said to be a sample
        names = httpx.get(f"{base}/api/3/action/package_list").json()["result"]
        assert sorted(names) == sorted(s.meta.id for s in opendata_samples.samples())
        shown = httpx.get(f"{base}/api/3/action/package_show", params={"id": names[0]}).json()["result"]
        assert "sample" in shown["license_title"].lower()
        # polls: two open, one closed with its results, each marked
        open_polls = httpx.get(f"{base}/voting/polls", params={"status": "open"}).json()["polls"]
        closed = httpx.get(f"{base}/voting/polls", params={"status": "closed"}).json()["polls"]
        assert len(open_polls) == 2 and len(closed) == 1
        assert all(p["title"].startswith("[예시] ") and p["title_en"].startswith("[Sample] ")
                   for p in open_polls + closed)
        results = httpx.get(f"{base}/voting/polls/{closed[0]['id']}/results").json()
        assert sum(o["votes"] for o in results["options"]) == 3
        # a sample voter's credential votes (the file says which)
        credentials = [line for line in (data_dir / samples.VOTERS_FILE).read_text().splitlines()
                       if line and not line.startswith("#")]
        assert len(credentials) == 10
        ballot = httpx.post(f"{base}/voting/polls/{open_polls[0]['id']}/ballots", json={"choices": [1]},
                            headers={"Authorization": f"Bearer {credentials[0]}"})
        assert ballot.status_code in (200, 201), ballot.text
        # sensors: every district has a current PM10 and PM2.5 and its last 24 hours
        air = httpx.get(f"{base}/iot/air-quality").json()["districts"]
        assert len(air) == 25 and all(d["pm10"] and d["pm2_5"] and d["grade"] for d in air)
        history = httpx.get(f"{base}/iot/history", params={"metric": "pm10", "district": "Mapo-gu",
                                                            "period": "last_24h"}).json()
        assert sum(1 for b in history["buckets"] if b["count"]) >= 23
        stations = httpx.get(f"{base}/v1.1/Things", params={"$top": "100"}).json()["value"]
        assert sorted(t["name"] for t in stations) == [f"sample-sdot-{i:02d}" for i in range(1, 26)]
        things, observations = _counts(served.runtime)
        assert things == 25 and observations >= 25 * 5 * 25
        # the feed goes on: a reading on the feed's grid is stored once, however often it is written
        moment = state.feed._grid(datetime.now(timezone.utc)) + timedelta(minutes=1)
        assert state.feed.write([moment]) == 25 * 5 and state.feed.write([moment]) == 0

    # a second start on the same data adds nothing (datasets, polls, stations, the backfilled hours)
    with serve(_settings(data_dir, sample_data=True)) as served:
        state = _loaded(served)
        assert state.datasets == {} and state.polls == []
        things2, _ = _counts(served.runtime)
        assert things2 == 25
        assert state.feed.backfill() == 0
        names = httpx.get(f"{served.base}/api/3/action/package_list").json()["result"]
        assert len(names) == every
        assert len(httpx.get(f"{served.base}/voting/polls", params={"status": "all"}).json()["polls"]) == 3


def test_no_feed_and_no_sample_data(tmp_path):
    with serve(_settings(tmp_path / "a", sample_data=True, sample_feed=False)) as served:
        state = _loaded(served)
        assert state.feed is None and len(state.polls) == 3
        assert _counts(served.runtime) == (0, 0)
    with serve(_settings(tmp_path / "b")) as served:  # the default: nothing
        assert served.app.state.samples is None
        time.sleep(0.5)
        assert httpx.get(f"{served.base}/api/3/action/package_list").json()["result"] == []
        assert httpx.get(f"{served.base}/voting/polls", params={"status": "all"}).json()["polls"] == []
        assert _counts(served.runtime) == (0, 0)
