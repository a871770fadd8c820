"""Real MQTT through the real broker into the real database: the simulator's readings arrive and are stored,
malformed messages are counted and never stop the consumer, redeliveries are stored once, messages are
acknowledged only after their commit (a killed consumer loses nothing), and a broker restart is survived.

Every test uses its own topic prefix, so tests and other users of the shared broker do not see each other."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import uuid
from datetime import datetime, timedelta, timezone

import paho.mqtt.client as mqtt
import pytest
from sqlalchemy import func, select

from civic_services.iot import IoTService
from civic_services.iot.mqtt import MqttConsumer
from civic_services.iot.simulator import Simulator
from civic_services.iot.tables import Observation
from database import upgrade
from database import make_engine
from tests.civic_services.conftest import make_database_url
from tests.harness import free_port

BROKER = os.environ.get("DASAN_TEST_MQTT", "127.0.0.1:1883")


@pytest.fixture(scope="session")
def broker() -> str:
    host, port = BROKER.split(":")
    try:
        socket.create_connection((host, int(port)), timeout=3).close()
    except OSError as exc:
        pytest.skip(f"no MQTT broker at {BROKER} ({exc}); start mosquitto or set DASAN_TEST_MQTT=host:port")
    return f"mqtt://{BROKER}"


@pytest.fixture(params=["sqlite", "postgresql"])
def iot(request, tmp_path):
    url = make_database_url(request.param, tmp_path, request)
    engine = make_engine(url)
    upgrade(engine)
    yield IoTService(engine), url
    engine.dispose()


def prefix() -> str:
    return f"test-{uuid.uuid4().hex[:8]}/v1.1"


def stored(service: IoTService) -> int:
    with service.engine.connect() as connection:
        return connection.execute(select(func.count()).select_from(Observation)).scalar_one()


def wait_for(condition, timeout: float = 60.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def publisher(url: str) -> mqtt.Client:
    host, port = url.removeprefix("mqtt://").split(":")
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
    client.connect(host, int(port))
    client.loop_start()
    return client


@pytest.mark.parametrize("payload_format", ["observation", "dataarray"])
def test_simulator_to_database_end_to_end(broker, iot, payload_format):
    service, _ = iot
    topic = prefix()
    stations = service.provision_stations(12, seed=7)
    consumer = MqttConsumer(service, broker, topic, batch_ms=50)
    consumer.start()
    assert consumer.subscribed.wait(10)
    simulator = Simulator(stations, broker, topic, interval_s=0.3, seed=3, fault_rate=0.05,
                          payload_format=payload_format)
    stats = simulator.run(rounds=4)
    assert stats.published == 12 * 11 * 4 - stats.skipped
    assert stats.messages == (stats.published if payload_format == "observation" else 12 * 4 + stats.garbled)
    wait_for(lambda: consumer.stats.received == stats.messages, what="every message to arrive")
    consumer.stop()
    assert consumer.stats.stored == consumer.stats.observations == stored(service)
    assert consumer.stats.rejected == stats.faults - stats.skipped > 0
    reasons = " ".join(consumer.stats.rejected_by_reason)
    assert "plausible range" in reasons or "not JSON" in reasons
    # What is stored is what the stations said: plausible Seoul readings, in every district.
    jongno = service.analytics.latest("pm10", "Jongno-gu")  # the first of the 12 districts with a station
    assert jongno["reporting"] == 1 and 1 <= jongno["value"] <= 200
    alerts = service.analytics.air_quality_alerts()
    assert sum(1 for d in alerts["districts"] if d["pm10"]) == 12


def test_malformed_messages_are_counted_and_never_stop_the_consumer(broker, iot):
    service, _ = iot
    topic = prefix()
    streams = service.provision_station("bad-input", "Jung-gu", 37.5636, 126.9976, ("temperature",))
    ident = streams["temperature"]
    consumer = MqttConsumer(service, broker, topic, batch_ms=50)
    consumer.start()
    assert consumer.subscribed.wait(10)
    client = publisher(broker)
    now = datetime.now(timezone.utc)
    garbage = [
        (f"{topic}/Datastreams({ident})/Observations", b"\xff\xfe not utf8"),
        (f"{topic}/Datastreams({ident})/Observations", b'"just a string"'),
        (f"{topic}/Datastreams({ident})/Observations", b'{"result": "warm"}'),
        (f"{topic}/Datastreams({ident})/Observations", b'{"result": 900}'),
        (f"{topic}/Datastreams({ident})/Observations", b'{"result": 1, "phenomenonTime": "noon"}'),
        (f"{topic}/Datastreams(999999)/Observations", b'{"result": 1}'),
        (f"{topic}/Things(1)/Observations", b'{"result": 1}'),
        (f"{topic}/CreateObservations", b'[{"Datastream": {"@iot.id": 1}}]'),
    ]
    for topic_name, payload in garbage:
        client.publish(topic_name, payload, qos=1).wait_for_publish(5)
    good = [{"phenomenonTime": (now - timedelta(seconds=i)).isoformat(), "result": 20 + i} for i in range(3)]
    client.publish(f"{topic}/Datastreams({ident})/Observations", json.dumps(good[0]), qos=1).wait_for_publish(5)
    client.publish(f"{topic}/Datastreams({ident})/Observations", json.dumps(good[1:]), qos=1).wait_for_publish(5)
    batch = [{"Datastream": {"@iot.id": ident}, "components": ["phenomenonTime", "result"],
              "dataArray": [[(now - timedelta(minutes=5)).isoformat(), 5.5], [(now - timedelta(minutes=6)).isoformat(),
                                                                             "x"]]}]
    client.publish(f"{topic}/CreateObservations", json.dumps(batch), qos=1).wait_for_publish(5)
    wait_for(lambda: consumer.stats.received == len(garbage) + 3, what="all messages")
    wait_for(lambda: consumer.stats.stored == 4, what="the good observations")
    consumer.stop()
    client.disconnect()
    assert consumer.stats.rejected == len(garbage) + 1
    assert stored(service) == 4
    reasons = consumer.stats.rejected_by_reason
    assert reasons["the payload is not JSON"] == 1
    assert any("no Datastream with id" in r for r in reasons)
    assert any("topic is not" in r for r in reasons)


def test_a_redelivered_observation_is_stored_once(broker, iot):
    service, _ = iot
    topic = prefix()
    ident = service.provision_station("twice", "Gangnam-gu", 37.5172, 127.0473, ("noise",))["noise"]
    consumer = MqttConsumer(service, broker, topic, batch_ms=50)
    consumer.start()
    assert consumer.subscribed.wait(10)
    client = publisher(broker)
    body = json.dumps({"phenomenonTime": datetime.now(timezone.utc).isoformat(), "result": 55.5})
    for _ in range(3):
        client.publish(f"{topic}/Datastreams({ident})/Observations", body, qos=1).wait_for_publish(5)
    wait_for(lambda: consumer.stats.stored + consumer.stats.duplicates == 3, what="three deliveries")
    consumer.stop()
    client.disconnect()
    assert (consumer.stats.stored, consumer.stats.duplicates, stored(service)) == (1, 2, 1)


def test_every_field_of_an_observation_arrives_as_sent(broker, iot):
    """The consumer reads PUBLISH packets itself (paho's per-message parsing is skipped for speed) and PostgreSQL
    gets the batch as array literals: MQTT 5 properties on the message are skipped correctly, and times, the
    feature of interest and JSON parameters full of quotes, backslashes, braces and Korean come back intact."""
    from paho.mqtt.packettypes import PacketTypes
    from paho.mqtt.properties import Properties

    service, _ = iot
    topic = prefix()
    ident = service.provision_station("fields", "Seocho-gu", 37.4837, 127.0324, ("temperature",))["temperature"]
    foi = service.provision_station("fields-2", "Seocho-gu", 37.4838, 127.0325, ("humidity",))
    with service.engine.connect() as connection:
        from civic_services.iot.tables import Datastream

        foi_id = connection.execute(select(Datastream.default_foi_id).where(
            Datastream.id == foi["humidity"])).scalar_one()
    consumer = MqttConsumer(service, broker, topic, batch_ms=50)
    consumer.start()
    assert consumer.subscribed.wait(10)
    client = publisher(broker)
    properties = Properties(PacketTypes.PUBLISH)
    properties.UserProperty = [("gateway", "서초-7"), ("firmware", "2.4.1" * 40)]  # long: a 2-byte length
    properties.ContentType = "application/json"
    properties.MessageExpiryInterval = 3600
    at = datetime(2026, 11, 2, 3, 4, 5, 678901, tzinfo=timezone.utc)
    parameters = {"note": 'say "hi" \\ {braces}, [brackets]; 미세먼지 NULL', "n": 1e-7, "nested": {"a": [1, None]}}
    body = {"phenomenonTime": "2026-11-02T12:04:05.678901+09:00", "result": -12.5,
            "resultTime": "2026-11-02T03:04:06Z", "FeatureOfInterest": {"@iot.id": foi_id},
            "parameters": parameters, "resultQuality": "ok"}
    client.publish(f"{topic}/Datastreams({ident})/Observations", json.dumps(body), qos=1,
                   properties=properties).wait_for_publish(5)
    plain = {"phenomenonTime": (at + timedelta(seconds=1)).isoformat(), "result": 7}
    client.publish(f"{topic}/Datastreams({ident})/Observations", json.dumps(plain), qos=0).wait_for_publish(5)
    wait_for(lambda: consumer.stats.stored == 2, what="both observations")
    consumer.stop()
    client.disconnect()
    assert consumer.stats.rejected == 0
    with service.engine.connect() as connection:
        rows = connection.execute(select(Observation.__table__).where(Observation.datastream_id == ident)
                                  .order_by(Observation.phenomenon_time)).all()
    assert [r.phenomenon_time for r in rows] == [at, at + timedelta(seconds=1)]
    first, second = rows
    assert first.result == -12.5 and first.result_time == datetime(2026, 11, 2, 3, 4, 6, tzinfo=timezone.utc)
    assert first.foi_id == foi_id and first.extra == {"resultQuality": "ok", "parameters": parameters}
    assert second.result == 7.0 and second.result_time is None and second.extra is None


def test_committed_messages_are_acknowledged_and_not_delivered_again(broker, iot):
    """A batch's acknowledgements go out in one write: the broker takes them all, so a successor resuming the
    same session gets no redelivery (a message ahead of the marker published after it connects would be one)."""
    service, _ = iot
    topic = prefix()
    ident = service.provision_station("acked", "Nowon-gu", 37.6542, 127.0568, ("pm2_5",))["pm2_5"]
    client_id = f"dasan-test-{uuid.uuid4().hex[:8]}"
    consumer = MqttConsumer(service, broker, topic, batch_ms=50, client_id=client_id)
    consumer.start()
    assert consumer.subscribed.wait(10)
    client = publisher(broker)
    now = datetime.now(timezone.utc)
    sent = [client.publish(f"{topic}/Datastreams({ident})/Observations",
                           json.dumps({"phenomenonTime": (now - timedelta(seconds=i)).isoformat(), "result": i % 50}),
                           qos=1) for i in range(2000)]
    for message in sent:
        message.wait_for_publish(10)
    wait_for(lambda: consumer.stats.stored == 2000, what="the 2,000 observations")
    consumer.stop()
    assert consumer.stats.batches >= 1
    successor = MqttConsumer(service, broker, topic, batch_ms=50, client_id=client_id)
    successor.start()
    assert successor.subscribed.wait(10)
    client.publish(f"{topic}/Datastreams({ident})/Observations",
                   json.dumps({"phenomenonTime": (now + timedelta(seconds=1)).isoformat(), "result": 1}),
                   qos=1).wait_for_publish(5)
    wait_for(lambda: successor.stats.received >= 1, what="the marker")
    wait_for(lambda: successor.stats.stored == 1, what="the marker to be stored")
    successor.stop()
    client.disconnect()
    assert (successor.stats.received, successor.stats.duplicates, stored(service)) == (1, 0, 2001)


def _read_lines(stream, lines: list[str]) -> None:
    for line in iter(stream.readline, ""):
        lines.append(line)


@pytest.mark.slow
def test_messages_are_acknowledged_only_after_commit(broker, tmp_path):
    """A consumer that received messages but could not commit them is killed; its successor gets them again."""
    url = f"sqlite:///{tmp_path / 'iot.db'}"
    engine = make_engine(url)
    upgrade(engine)
    service = IoTService(engine)
    ident = service.provision_station("crash", "Mapo-gu", 37.5663, 126.9016, ("humidity",))["humidity"]
    topic = prefix()
    client_id = f"dasan-test-{uuid.uuid4().hex[:8]}"
    env = {**os.environ, "DATABASE_URL": url, "DASAN_DATA_DIR": str(tmp_path / "var"), "DASAN_MQTT_URL": broker,
           "DASAN_MQTT_TOPIC_PREFIX": topic, "DASAN_IOT_BATCH_MS": "50"}
    process = subprocess.Popen([sys.executable, "-m", "dasan.cli", "iot", "consume", "--client-id", client_id],
                               env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    lines: list[str] = []
    threading.Thread(target=_read_lines, args=(process.stderr, lines), daemon=True).start()
    try:
        wait_for(lambda: any("MQTT subscribed" in line for line in lines), 120, "the consumer to subscribe")
        blocker = sqlite3.connect(tmp_path / "iot.db", timeout=30)
        blocker.execute("BEGIN EXCLUSIVE")  # the database is unavailable: commits wait, then fail and retry
        client = publisher(broker)
        now = datetime.now(timezone.utc)
        for i in range(30):
            client.publish(f"{topic}/Datastreams({ident})/Observations",
                           json.dumps({"phenomenonTime": (now - timedelta(seconds=i)).isoformat(), "result": 40 + i}),
                           qos=1).wait_for_publish(5)
        client.disconnect()
        time.sleep(2)  # delivered to the consumer, which holds them unacknowledged
        process.send_signal(signal.SIGKILL)
        process.wait(30)
        blocker.rollback()
        blocker.close()
    finally:
        if process.poll() is None:
            process.kill()
    assert stored(service) == 0
    successor = MqttConsumer(service, broker, topic, batch_ms=50, client_id=client_id)
    successor.start()
    wait_for(lambda: stored(service) == 30, 60, "the broker to deliver the unacknowledged messages again")
    successor.stop()
    engine.dispose()


@pytest.mark.slow
def test_consumer_survives_a_broker_restart(tmp_path):
    if not shutil.which("mosquitto"):
        pytest.skip("the mosquitto binary is not installed")
    port = free_port()
    config = tmp_path / "mosquitto.conf"
    config.write_text(f"listener {port} 127.0.0.1\nallow_anonymous true\npersistence true\n"
                      f"persistence_location {tmp_path}/\nautosave_interval 1\n")

    def start_broker() -> subprocess.Popen:
        proc = subprocess.Popen(["mosquitto", "-c", str(config)], stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        wait_for(lambda: _listening(port), 20, "mosquitto to listen")
        return proc

    url = f"mqtt://127.0.0.1:{port}"
    engine = make_engine(f"sqlite:///{tmp_path / 'iot.db'}")
    upgrade(engine)
    service = IoTService(engine)
    stations = service.provision_stations(5, seed=11)
    broker_process = start_broker()
    consumer = MqttConsumer(service, url, "v1.1", batch_ms=50, client_id="restart-test")
    try:
        consumer.start()
        assert consumer.subscribed.wait(10)
        first = Simulator(stations, url, "v1.1", interval_s=0.2, seed=1, fault_rate=0).run(rounds=3)
        wait_for(lambda: stored(service) == first.published, 30, "the first readings")
        broker_process.send_signal(signal.SIGTERM)
        broker_process.wait(20)
        wait_for(lambda: not consumer.connected.is_set(), 20, "the consumer to notice")
        broker_process = start_broker()
        assert consumer.subscribed.wait(30), "the consumer did not reconnect"
        second = Simulator(stations, url, "v1.1", interval_s=0.2, seed=2, fault_rate=0).run(rounds=3)
        wait_for(lambda: stored(service) == first.published + second.published, 30, "the readings after the restart")
        assert consumer.stats.connects >= 2 and consumer.stats.rejected == 0
    finally:
        consumer.stop()
        broker_process.terminate()
        broker_process.wait(20)
        engine.dispose()


def _listening(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
        return True
    except OSError:
        return False


@pytest.mark.slow
def test_two_consumers_in_a_shared_group_split_the_messages_and_store_each_once(broker, tmp_path, request):
    """Two `dasan iot consume --share` processes on one PostgreSQL: the broker gives each message to one of them;
    every observation is stored once and both did part of the work."""
    url = make_database_url("postgresql", tmp_path, request)
    engine = make_engine(url)
    upgrade(engine)
    service = IoTService(engine)
    ident = service.provision_station("shared", "Jung-gu", 37.5636, 126.9976, ("pm10",))["pm10"]
    topic, group = prefix(), f"dasan-test-{uuid.uuid4().hex[:6]}"
    env = {**os.environ, "DATABASE_URL": url, "DASAN_DATA_DIR": str(tmp_path / "var"), "DASAN_MQTT_URL": broker,
           "DASAN_MQTT_TOPIC_PREFIX": topic, "DASAN_IOT_BATCH_MS": "50", "DASAN_MQTT_SHARE_GROUP": group}
    consumers, logs = [], []
    try:
        for n in range(2):
            process = subprocess.Popen([sys.executable, "-m", "dasan.cli", "iot", "consume", "--client-id",
                                        f"{group}-{n}"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                       text=True)
            lines: list[str] = []
            threading.Thread(target=_read_lines, args=(process.stderr, lines), daemon=True).start()
            consumers.append(process)
            logs.append(lines)
        for lines in logs:
            wait_for(lambda: any("MQTT subscribed" in line for line in lines), 120, "both consumers to subscribe")
        assert any(f"$share/{group}/{topic}/+/Observations" in line for line in logs[0])
        client = publisher(broker)
        now = datetime.now(timezone.utc)
        sent = [client.publish(f"{topic}/Datastreams({ident})/Observations",
                               json.dumps({"phenomenonTime": (now - timedelta(seconds=i)).isoformat(),
                                           "result": i % 90}), qos=1) for i in range(600)]
        for message in sent:
            message.wait_for_publish(10)
        client.disconnect()
        wait_for(lambda: stored(service) >= 600, 120, "the 600 observations to be stored")
        time.sleep(0.5)  # nothing more arrives
        assert stored(service) == 600
        stats = []
        for process in consumers:
            process.send_signal(signal.SIGTERM)
            out, _ = process.communicate(timeout=60)
            stats.append(json.loads(out.strip().splitlines()[-1]))
    finally:
        for process in consumers:
            if process.poll() is None:
                process.kill()
        engine.dispose()
    assert sum(s["received"] for s in stats) == 600 and all(s["received"] > 0 for s in stats), stats
    assert sum(s["stored"] for s in stats) == 600 and not any(s["rejected"] for s in stats), stats
