"""Sample data for a fresh install, so a newcomer sees every portal page working: the synthetic open datasets
(:mod:`civic_services.opendata.samples`), a few sample polls (with a closed one already counted, and sample voter
credentials to try voting with) and a small simulated sensor feed (one S-DoT-style station per district, the last
24 hours filled in, then a reading a minute from :func:`civic_services.iot.simulator.readings`).

Everything is marked as a sample: the datasets say "Synthetic sample data", the polls' titles start with
"[예시]" / "[Sample]", the stations are named ``sample-sdot-...`` and their sensors' metadata says "simulated".
It is idempotent: datasets and polls that exist are left alone, stations are created once by name, and the feed's
readings sit on a fixed grid, so writing one twice stores it once.

The server does this at start-up when ``DASAN_SAMPLE_DATA`` is true (``make run`` sets it unless told otherwise;
``DASAN_SAMPLE_FEED=false`` keeps the datasets and polls but not the feed).
"""

from __future__ import annotations

import logging
import random
import threading
from datetime import datetime, timedelta, timezone
from pathlib import Path

log = logging.getLogger("dasan.samples")

POLL_MARK = "[예시] ", "[Sample] "
FEED_PREFIX = "sample-sdot"
FEED_METRICS = ("pm10", "pm2_5", "temperature", "humidity", "noise")
FEED_INTERVAL_S = 60.0
VOTERS_FILE = "sample-voter-credentials.txt"


def seed_datasets(runtime) -> dict[str, int]:
    """The synthetic sample datasets not yet in the catalogue; returns rows loaded per dataset loaded."""
    from civic_services.opendata import samples

    present = set(runtime.opendata.catalog.ids())
    missing = [s.meta.id for s in samples.samples() if s.meta.id not in present]
    return samples.seed(runtime.opendata, only=missing) if missing else {}


def _poll_specs(now: datetime):
    from civic_services.voting import OptionSpec, PollSpec

    ko, en = POLL_MARK
    note = "Sample poll made by Dasan for trying the pages (DASAN_SAMPLE_DATA); not a real vote."
    return [
        PollSpec(kind="policy", title=ko + "한강 공원에 자전거 도로를 늘릴까요?",
                 title_en=en + "Should the Han River parks get more bike lanes?", description=note,
                 options=(OptionSpec("찬성", "Yes"), OptionSpec("반대", "No")), results_live=True,
                 opens_at=now - timedelta(hours=1), closes_at=now + timedelta(days=30)),
        PollSpec(kind="budget", title=ko + "2027 우리 동네 주민참여예산", title_en=en + "Our neighbourhood's 2027 budget",
                 description=note,
                 options=(OptionSpec("놀이터 개선", "Playground upgrade", cost=200_000_000),
                          OptionSpec("도서관 야간 운영", "Library open late", cost=150_000_000),
                          OptionSpec("골목 CCTV", "Alley CCTV", cost=120_000_000),
                          OptionSpec("가로수 정비", "Street trees", cost=80_000_000)),
                 budget=500_000_000, budget_rule="projects", min_choices=1, max_choices=3, results_live=True,
                 opens_at=now - timedelta(hours=1), closes_at=now + timedelta(days=30)),
        PollSpec(kind="general", title=ko + "구청 앞 광장 이름", title_en=en + "A name for the square",
                 description=note,
                 options=(OptionSpec("다산 광장", "Dasan Square"), OptionSpec("하늘 광장", "Sky Square"),
                          OptionSpec("푸른 광장", "Green Square")),
                 opens_at=now - timedelta(days=7), closes_at=now + timedelta(days=1)),
    ]


def seed_polls(runtime, voters: int = 10) -> list[str]:
    """The sample polls not yet there (by title); the last is closed with a few ballots so its results and board
    show. Sample voters' credentials are written to ``data_dir/sample-voter-credentials.txt``. Returns the codes
    of the polls made."""
    voting = runtime.voting
    now = datetime.now(timezone.utc)
    present = {p["title"] for p in voting.list_polls("all")}
    made = []
    specs = [s for s in _poll_specs(now) if s.title not in present]
    if not specs:
        return made
    credentials: list[str] = []
    file = Path(runtime.settings.data_dir) / VOTERS_FILE
    if not file.exists():
        people = [(f"sample-voter-{i:02d}", "Mapo-gu") for i in range(1, voters + 1)]
        credentials = [r.credential for r in voting.register_voters(people)]
        file.parent.mkdir(parents=True, exist_ok=True)
        file.write_text("# Sample voters (DASAN_SAMPLE_DATA), residents of Mapo-gu: one credential a line.\n"
                        + "".join(c + "\n" for c in credentials), encoding="utf-8")
        file.chmod(0o600)
    for spec in specs:
        code = voting.create_poll(spec, created_by="sample data")["id"]
        made.append(code)
        if spec.kind == "general" and len(credentials) >= 3:  # counted and closed: results and the board
            for credential, choice in zip(credentials[-3:], ([1], [1], [3])):
                voting.cast(code, credential, choice)
            voting.close_poll(code)
    return made


class SampleFeed:
    """One simulated station per district writing through the IoT service (as a gateway would): the last 24
    hours at once (one reading an hour), then a reading of each metric every ``interval_s``."""

    def __init__(self, iot, interval_s: float = FEED_INTERVAL_S, metrics: tuple[str, ...] = FEED_METRICS,
                 seed: int = 120):
        self.iot, self.interval_s, self.metrics = iot, interval_s, metrics
        self.rng = random.Random(seed)
        self.stations: list[tuple[str, int, dict[str, int]]] = []
        self.stop_event = threading.Event()
        self.thread: threading.Thread | None = None
        self.written = 0

    def provision(self) -> None:
        from civic_services import districts

        for index, district in enumerate(districts.districts()):
            streams = self.iot.provision_station(f"{FEED_PREFIX}-{index + 1:02d}", district.name_en, district.lat,
                                                 district.lon, self.metrics)
            self.stations.append((district.name_en, index, streams))

    def write(self, moments: list[datetime]) -> int:
        """Every station's readings at ``moments``; returns how many were new."""
        from civic_services.iot.simulator import readings

        body = []
        for district, index, streams in self.stations:
            rows = {code: [] for code in self.metrics}
            for moment in moments:
                values = readings(district, index, moment, self.rng)
                stamp = moment.isoformat().replace("+00:00", "Z")
                for code in self.metrics:
                    rows[code].append([stamp, values[code]])
            body += [{"Datastream": {"@iot.id": streams[code]}, "components": ["phenomenonTime", "result"],
                      "dataArray": rows[code]} for code in self.metrics]
        outcome = self.iot.create_observations(body)
        self.written += outcome.stored
        return outcome.stored

    def _grid(self, moment: datetime) -> datetime:
        step = max(1, int(self.interval_s))
        seconds = int(moment.timestamp()) // step * step
        return datetime.fromtimestamp(seconds, timezone.utc)

    def backfill(self) -> int:
        now = datetime.now(timezone.utc).replace(minute=0, second=0, microsecond=0)
        return self.write([now - timedelta(hours=h) for h in range(24, 0, -1)])

    def tick(self) -> int:
        return self.write([self._grid(datetime.now(timezone.utc))])

    def start(self) -> "SampleFeed":
        self.provision()
        self.backfill()
        self.tick()
        self.thread = threading.Thread(target=self._run, name="dasan-sample-feed", daemon=True)
        self.thread.start()
        return self

    def _run(self) -> None:
        while not self.stop_event.wait(self.interval_s):
            try:
                self.tick()
            except Exception:  # noqa: BLE001 - a sample feed must never take the server down
                log.exception("sample sensor feed: a reading was not written")

    def stop(self) -> None:
        self.stop_event.set()
        if self.thread is not None:
            self.thread.join(timeout=5)


class Samples:
    """What :func:`start` did, and the feed to stop."""

    def __init__(self):
        self.datasets: dict[str, int] = {}
        self.polls: list[str] = []
        self.feed: SampleFeed | None = None
        self.done = threading.Event()
        self.error: str | None = None

    def stop(self) -> None:
        if self.feed is not None:
            self.feed.stop()


def seed_all(runtime, feed: bool = True, samples: Samples | None = None) -> Samples:
    """Datasets, polls and (with ``feed``) the sensor feed; each part on its own, so one failing leaves the others."""
    samples = samples or Samples()
    for name, step in (("datasets", lambda: setattr(samples, "datasets", seed_datasets(runtime))),
                       ("polls", lambda: setattr(samples, "polls", seed_polls(runtime))),
                       ("sensor feed", lambda: setattr(samples, "feed", SampleFeed(runtime.iot).start()
                                                       if feed else None))):
        try:
            step()
        except Exception as exc:  # noqa: BLE001 - sample data must never stop the server
            samples.error = f"{name}: {exc}"
            log.exception("sample data: %s not loaded", name)
    log.info("sample data: %d datasets loaded, %d polls made, sensor feed %s (DASAN_SAMPLE_DATA=false turns "
             "sample data off)", len(samples.datasets), len(samples.polls), "on" if samples.feed else "off")
    samples.done.set()
    return samples


def start(runtime) -> Samples:
    """At server start-up (``DASAN_SAMPLE_DATA``): seed in a background thread, so the server answers at once."""
    samples = Samples()
    threading.Thread(target=seed_all, args=(runtime, runtime.settings.sample_feed, samples),
                     name="dasan-sample-data", daemon=True).start()
    return samples


__all__ = ["seed_all", "seed_datasets", "seed_polls", "SampleFeed", "Samples", "start"]
