"""Realistic S-DoT-style readings for simulated stations, published over MQTT the SensorThings way.

Each station sits in one of the 25 districts and reports all eleven metrics every ``interval`` seconds,
spread evenly over the interval (not in bursts). Values follow daily cycles in Seoul time (temperature peaks
mid-afternoon, fine dust at the rush hours, light with the sun, noise and crowds with activity), differ by
district (busier districts are louder and more crowded, some dustier), carry noise, and now and then a
fault: an impossible value (-999), a garbled payload, or a missed report.
"""

from __future__ import annotations

import json
import logging
import math
import random
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

import paho.mqtt.client as mqtt

from civic_services.iot.mqtt import Client, broker_address
from civic_services.periods import KST

log = logging.getLogger("civic_services.iot.simulator")
MAX_IN_FLIGHT = 30_000  # QoS 1 messages sent and not yet acknowledged by the broker (message ids are 16 bits)
BUSY = {"Jung-gu": 1.0, "Jongno-gu": 0.9, "Gangnam-gu": 1.0, "Seocho-gu": 0.8, "Mapo-gu": 0.8,
        "Yeongdeungpo-gu": 0.8, "Songpa-gu": 0.7, "Yongsan-gu": 0.6}


def _activity(hour: float) -> float:
    """0 at night, 1 at the busiest daytime hours (two humps for the rush hours)."""
    day = max(0.0, math.sin(math.pi * (hour - 6) / 17)) if 6 <= hour <= 23 else 0.0
    rush = math.exp(-((hour - 8.5) ** 2) / 2) + math.exp(-((hour - 18.5) ** 2) / 2)
    return min(1.0, 0.7 * day + 0.4 * rush)


def readings(district: str, district_index: int, moment: datetime, rng: random.Random) -> dict[str, float]:
    """One station's eleven readings at ``moment``."""
    local = moment.astimezone(KST)
    hour = local.hour + local.minute / 60
    season = math.sin(2 * math.pi * (local.timetuple().tm_yday - 110) / 365)
    busy = BUSY.get(district, 0.4)
    act = _activity(hour)
    dusty = (district_index * 7 % 25) / 25  # a fixed district difference
    rush = math.exp(-((hour - 8.5) ** 2) / 3) + math.exp(-((hour - 19) ** 2) / 3)
    temperature = 13 + 12 * season + 4.5 * math.sin(2 * math.pi * (hour - 9) / 24) + (busy - 0.5) + rng.gauss(0, 0.4)
    pm10 = max(1.0, 28 + 22 * dusty + 18 * rush + 10 * busy + rng.gauss(0, 6))
    daylight = max(0.0, math.sin(math.pi * (hour - 6.5) / 12.5))
    values = {
        "temperature": temperature,
        "humidity": min(100.0, max(5.0, 62 - 14 * math.sin(2 * math.pi * (hour - 9) / 24) + rng.gauss(0, 3))),
        "pm10": pm10,
        "pm2_5": max(0.5, pm10 * (0.45 + 0.1 * dusty) + rng.gauss(0, 2)),
        "wind_speed": max(0.0, 1.8 + 1.2 * math.sin(2 * math.pi * (hour - 14) / 24) + rng.gauss(0, 0.6)),
        "wind_direction": (280 + 50 * math.sin(2 * math.pi * hour / 24) + rng.gauss(0, 25)) % 360,
        "illumination": 60_000 * daylight ** 1.5 + (15 + 10 * busy) * (daylight == 0) + abs(rng.gauss(0, 20)),
        "noise": min(120.0, 42 + 22 * act * (0.6 + 0.6 * busy) + rng.gauss(0, 2.5)),
        "vibration": max(0.0, 0.15 + 0.6 * act * busy + abs(rng.gauss(0, 0.05))),
        "uv": max(0.0, (7 + 3 * season) * daylight ** 2 + rng.gauss(0, 0.2)) if daylight else 0.0,
        "floating_population": float(max(0, int(150 + 3500 * act * busy + rng.gauss(0, 60)))),
    }
    return {k: round(v, 2) for k, v in values.items()}


@dataclass
class SimulatorStats:
    published: int = 0  # observations
    messages: int = 0
    faults: int = 0
    skipped: int = 0  # missed reports
    garbled: int = 0  # unreadable payloads
    rounds: int = 0
    started: float = field(default_factory=time.monotonic)

    @property
    def rate(self) -> float:
        return self.published / max(1e-9, time.monotonic() - self.started)


class Simulator:
    def __init__(self, stations: list[dict], url: str = "mqtt://127.0.0.1:1883", prefix: str = "v1.1",
                 interval_s: float = 60.0, seed: int = 120, fault_rate: float = 0.001, qos: int = 1,
                 client_id: str | None = None, payload_format: str = "observation"):
        """``payload_format``: ``observation`` (one message per reading on v1.1/Datastreams(id)/Observations,
        as SensorThings' MQTT binding has it) or ``dataarray`` (one CreateObservations message per station
        report, as a gateway batching its sensors would send)."""
        if payload_format not in ("observation", "dataarray"):
            raise ValueError("payload_format is observation or dataarray")
        self.payload_format = payload_format
        if not stations:
            raise ValueError("no stations to simulate")
        self.stations = stations
        self.host, self.port = broker_address(url)
        self.prefix = prefix.strip("/")
        self.interval_s = interval_s
        self.rng = random.Random(seed)
        self.fault_rate = fault_rate
        self.qos = qos
        self.stats = SimulatorStats()
        from civic_services import districts

        self._district_index = {d.name_en: i for i, d in enumerate(districts.districts())}
        self._topics: dict[int, str] = {}
        self.client = Client(mqtt.CallbackAPIVersion.VERSION2, client_id=client_id or "", protocol=mqtt.MQTTv5)
        self.connected = threading.Event()
        self.client.on_connect = self._on_connect
        self.client.on_disconnect = lambda *a: self.connected.clear()
        self.client.reconnect_delay_set(0.5, 5)

    def messages(self, station: dict, moment: datetime) -> list[tuple[str, bytes, int]]:
        """(topic, payload, observations in it) of one station's report at ``moment``, faults included."""
        district = station["district"]
        values = readings(district, self._district_index.get(district, 0), moment, self.rng)
        stamp = moment.astimezone(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")
        out = []
        groups = []
        for metric, ident in station["datastreams"].items():
            value = values.get(metric)
            if value is None:
                continue
            topic = self._topics.get(ident)
            if topic is None:
                topic = self._topics[ident] = f"{self.prefix}/Datastreams({ident})/Observations"
            if self.fault_rate and self.rng.random() < self.fault_rate:
                self.stats.faults += 1
                kind = self.rng.choice(("impossible", "garbled", "missed"))
                if kind == "missed":
                    self.stats.skipped += 1
                    continue
                if kind == "garbled":
                    self.stats.garbled += 1
                    out.append((topic, b'{"phenomenonTime": "' + stamp.encode() + b'", "result": ', 1))
                    continue
                value = -999.0
            if self.payload_format == "dataarray":
                groups.append({"Datastream": {"@iot.id": ident}, "components": ["phenomenonTime", "result"],
                               "dataArray": [[stamp, value]]})
            else:
                # json.dumps({"phenomenonTime": stamp, "result": value}) without its cost (a float's repr is JSON's)
                out.append((topic, ('{"phenomenonTime": "%s", "result": %r}' % (stamp, value)).encode(), 1))
        if groups:
            out.append((f"{self.prefix}/CreateObservations", json.dumps(groups).encode(), len(groups)))
        return out

    def _on_connect(self, client, *_) -> None:
        client.resend_unacknowledged()  # QoS 1 readings the broker had not acknowledged when the connection went
        self.connected.set()

    def start(self) -> None:
        self.client.connect_async(self.host, self.port, keepalive=30)
        self.client.loop_start()
        if not self.connected.wait(15):
            raise ConnectionError(f"cannot reach the MQTT broker at {self.host}:{self.port}")

    def stop(self) -> None:
        deadline = time.monotonic() + 10  # until the broker has acknowledged every QoS 1 reading, or 10 s
        while (self.client.want_write() or self.client.in_flight) and time.monotonic() < deadline:
            time.sleep(0.02)
        time.sleep(0.2)
        self.client.disconnect()
        self.client.loop_stop()

    def run(self, duration_s: float | None = None, rounds: int | None = None,
            stop: threading.Event | None = None, start_time: datetime | None = None) -> SimulatorStats:
        """Publish rounds until ``duration_s`` or ``rounds`` is reached (or ``stop`` is set).

        ``start_time`` replays simulated time from that moment, as fast as the interval allows."""
        self.start()
        began = time.monotonic()
        stop = stop or threading.Event()
        count = len(self.stations)
        done_rounds = 0
        try:
            while not stop.is_set():
                if rounds is not None and done_rounds >= rounds:
                    break
                if duration_s is not None and time.monotonic() - began >= duration_s:
                    break
                round_start = time.monotonic()
                for i, station in enumerate(self.stations):
                    due = round_start + self.interval_s * i / count
                    ahead = due - time.monotonic()
                    if ahead > 0.002:
                        if stop.wait(ahead):
                            break
                    moment = (start_time + timedelta(seconds=self.interval_s * done_rounds)
                              if start_time else datetime.now(timezone.utc))
                    report = self.messages(station, moment)
                    while self.client.in_flight > MAX_IN_FLIGHT and not stop.is_set():
                        time.sleep(0.005)  # the broker is behind: wait for its acknowledgements
                    # One write for the report's messages; QoS 1 ones are kept until acknowledged and sent again
                    # after a reconnect.
                    self.client.publish_many([(topic, payload) for topic, payload, _ in report], self.qos)
                    self.stats.published += sum(n for _, _, n in report)
                    self.stats.messages += len(report)
                done_rounds += 1
                self.stats.rounds = done_rounds
                rest = round_start + self.interval_s - time.monotonic()
                if rest > 0 and stop.wait(rest):
                    break
        finally:
            self.stop()
        return self.stats
