"""Ingestion from MQTT, as SensorThings' MQTT binding has it: a sensor publishes an Observation (JSON) to
``v1.1/Datastreams(<id>)/Observations``; the consumer also takes a JSON array of Observations on that topic,
and a CreateObservations document on ``v1.1/CreateObservations`` (for gateways that batch).

Messages are QoS 1 and acknowledged by hand, only once the batch holding them is committed: a crash or a lost
connection before the commit makes the broker deliver them again (the MQTT 5 session outlives the connection),
and the database keeps one observation per (datastream, time), so a redelivery is not stored twice.
A malformed message (not JSON, an unknown datastream, a result out of range...) is logged, counted by reason,
and acknowledged: it will not get better by being delivered again, and it never stops the consumer.
The broker holds at most ``receive_maximum`` unacknowledged messages for us, which is the backpressure when the
database is slow or down.

Several consumers (processes, machines) share the load through an MQTT 5 shared subscription: with
``share_group`` they subscribe to ``$share/<group>/<prefix>/+/Observations``, and the broker gives each message
to one member of the group. Each member still acknowledges only after its commit; each needs its own client id.
"""

from __future__ import annotations

import json
import logging
import re
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timezone
from urllib.parse import urlparse

import paho.mqtt.client as mqtt
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from sqlalchemy.exc import DBAPIError, OperationalError

from civic_services.iot.errors import IoTError
from civic_services.iot.service import IoTService

log = logging.getLogger("civic_services.iot.mqtt")


def broker_address(url: str) -> tuple[str, int]:
    parsed = urlparse(url if "://" in url else f"mqtt://{url}")
    if parsed.scheme not in ("mqtt", "tcp"):
        raise ValueError(f"MQTT URL {url!r}: only mqtt://host:port is supported")
    return parsed.hostname or "127.0.0.1", parsed.port or 1883


@dataclass
class ConsumerStats:
    received: int = 0  # messages
    observations: int = 0  # observations in well-formed messages
    stored: int = 0
    duplicates: int = 0
    rejected: int = 0
    rejected_by_reason: Counter = field(default_factory=Counter)
    batches: int = 0
    connects: int = 0
    disconnects: int = 0
    write_failures: int = 0

    def as_dict(self) -> dict:
        return {**{k: v for k, v in self.__dict__.items() if k != "rejected_by_reason"},
                "rejected_by_reason": dict(self.rejected_by_reason.most_common(20))}


def _reason(message: str) -> str:
    """A rejection message without its numbers, so that counts group by kind."""
    return re.sub(r"(?<![A-Za-z_0-9.])-?\d+(\.\d+)?(e[+-]?\d+)?", "N", message)[:120]


class MqttConsumer:
    def __init__(self, service: IoTService, url: str = "mqtt://127.0.0.1:1883", prefix: str = "v1.1",
                 batch_size: int = 5000, batch_ms: int = 200, client_id: str | None = None,
                 maintenance_every_s: float = 300.0, session_expiry_s: int = 3600, share_group: str | None = None):
        if share_group is not None and not re.fullmatch(r"[A-Za-z0-9_.-]{1,64}", share_group):
            raise ValueError(f"MQTT share group {share_group!r}: use 1 to 64 letters, digits, '_', '.' or '-'")
        self.service = service
        self.share_group = share_group
        self.host, self.port = broker_address(url)
        self.prefix = prefix.strip("/")
        self.batch_size = batch_size
        self.batch_s = batch_ms / 1000
        self.maintenance_every_s = maintenance_every_s
        self.stats = ConsumerStats()
        self._topic = re.compile(rf"^{re.escape(self.prefix)}/Datastreams\((\d{{1,18}})\)/Observations$")
        # Per message, in arrival order: ((connection generation, message id) or None for QoS 0, its rows).
        self._pending: list[tuple[tuple[int, int] | None, list[dict]]] = []
        self._pending_rows = 0
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._generation = 0
        self.connected = threading.Event()
        self._warned: Counter = Counter()
        self.client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=client_id or f"dasan-iot-{uuid.uuid4().hex[:8]}",
                                  protocol=mqtt.MQTTv5, manual_ack=True)
        self.client.on_connect = self._on_connect
        self.client.on_disconnect = self._on_disconnect
        self.client.on_message = self._on_message
        self.client.reconnect_delay_set(0.5, 10)
        self._connect_properties = Properties(PacketTypes.CONNECT)
        self._connect_properties.SessionExpiryInterval = session_expiry_s
        # As many unacknowledged messages as MQTT allows: the broker's queue behind them is small (mosquitto's
        # max_queued_messages, 1000 by default) and drops what overflows it.
        self._connect_properties.ReceiveMaximum = 65535
        self._threads: list[threading.Thread] = []

    def subscription(self, topic: str) -> str:
        """The topic filter for ``topic`` under the prefix, in the shared group when there is one."""
        filter_ = f"{self.prefix}/{topic}"
        return f"$share/{self.share_group}/{filter_}" if self.share_group else filter_

    # --- MQTT callbacks (network thread)

    def _on_connect(self, client, userdata, flags, reason_code, properties) -> None:
        if reason_code.is_failure:
            log.error("MQTT broker %s:%d refused the connection: %s", self.host, self.port, reason_code)
            return
        self.stats.connects += 1
        with self._lock:
            self._generation += 1
        client.subscribe([(self.subscription("+/Observations"), 1), (self.subscription("CreateObservations"), 1)])
        log.info("MQTT connected to %s:%d (session %s), subscribed to %s", self.host, self.port,
                 "resumed" if flags.session_present else "new", self.subscription("+/Observations"))
        self.connected.set()

    def _on_disconnect(self, client, userdata, flags, reason_code, properties) -> None:
        self.connected.clear()
        self.stats.disconnects += 1
        with self._lock:
            self._generation += 1  # message ids of the old connection must not be acknowledged on the new one
        if not self._stop.is_set():
            log.warning("MQTT connection to %s:%d lost (%s); reconnecting", self.host, self.port, reason_code)

    def _on_message(self, client, userdata, message) -> None:
        rows: list[dict] = []
        problems: list[str] = []
        try:
            self._decode(message.topic, message.payload, rows, problems)
        except Exception as exc:  # never let one message kill the network thread
            problems.append(f"cannot process the message: {type(exc).__name__}")
        with self._lock:
            self.stats.received += 1
            self.stats.observations += len(rows)
            self._pending.append(((self._generation, message.mid) if message.qos > 0 else None, rows))
            self._pending_rows += len(rows)
            full = self._pending_rows >= self.batch_size
        for problem in problems:
            self._reject(message.topic, problem)
        if full:
            self._wake.set()

    def _decode(self, topic: str, payload: bytes, rows: list[dict], problems: list[str]) -> None:
        now = datetime.now(timezone.utc)
        try:
            body = json.loads(payload)
        except (ValueError, UnicodeDecodeError):
            problems.append("the payload is not JSON")
            return
        if topic == f"{self.prefix}/CreateObservations":
            groups = body if isinstance(body, list) else [body]
            for group in groups:
                if not isinstance(group, dict):
                    problems.append("CreateObservations items must be objects")
                    continue
                ref = group.get("Datastream")
                ident = ref.get("@iot.id") if isinstance(ref, dict) else None
                components, data = group.get("components"), group.get("dataArray")
                if not isinstance(ident, int) or not isinstance(components, list) or not isinstance(data, list):
                    problems.append("CreateObservations needs Datastream, components and dataArray")
                    continue
                for values in data:
                    if not isinstance(values, list) or len(values) != len(components):
                        problems.append("a dataArray row does not match its components")
                        continue
                    self._one(ident, dict(zip(components, values)), now, rows, problems)
            return
        match = self._topic.match(topic)
        if not match:
            problems.append("the topic is not <prefix>/Datastreams(<id>)/Observations")
            return
        ident = int(match.group(1))
        for item in body if isinstance(body, list) else [body]:
            self._one(ident, item, now, rows, problems)

    def _one(self, ident: int, body: object, now: datetime, rows: list[dict], problems: list[str]) -> None:
        try:
            rows.append(self.service.writer.prepare(ident, body, now))
        except IoTError as exc:
            problems.append(exc.message)

    def _reject(self, topic: str, problem: str) -> None:
        reason = _reason(problem)
        with self._lock:
            self.stats.rejected += 1
            self.stats.rejected_by_reason[reason] += 1
            seen = self._warned[reason]
            self._warned[reason] += 1
        if seen < 5 or seen % 1000 == 0:
            log.warning("rejected a message on %s: %s (%d of this kind so far)", topic, problem, seen + 1)

    # --- the committing thread

    def _flush_loop(self) -> None:
        while not self._stop.is_set() or self._pending:
            self._wake.wait(self.batch_s)
            self._wake.clear()
            with self._lock:  # whole messages, until batch_size observations (at least one message)
                taken, count = 0, 0
                while taken < len(self._pending) and (count < self.batch_size or taken == 0):
                    count += len(self._pending[taken][1])
                    taken += 1
                batch, self._pending = self._pending[:taken], self._pending[taken:]
                self._pending_rows -= count
                if self._pending:
                    self._wake.set()
                generation = self._generation
            rows = [row for _, message_rows in batch for row in message_rows]
            mids = [mid for mid, _ in batch if mid is not None]
            if not batch:
                if self._stop.is_set():
                    return
                continue
            delay = 0.5
            while True:
                try:
                    outcome = self.service.writer.write(rows)
                    break
                except (OperationalError, DBAPIError) as exc:
                    self.stats.write_failures += 1
                    log.error("cannot commit %d observations (%s); retrying in %.1f s", len(rows),
                              str(exc).splitlines()[0][:200], delay)
                    if self._stop.wait(delay) and self._stop_hard:
                        return  # unacknowledged: the broker delivers them again to the next consumer
                    delay = min(delay * 2, 10)
            self.stats.stored += outcome.stored
            self.stats.duplicates += outcome.duplicates
            self.stats.batches += 1
            for gen, mid in mids:  # only now, with the batch durable, does the broker hear we have it
                if gen == generation and self.connected.is_set():
                    self.client.ack(mid, 1)

    def _maintenance_loop(self) -> None:
        while not self._stop.wait(self.maintenance_every_s):
            try:
                report = self.service.maintenance.run()
                log.info("maintenance: hourly aggregates up to %s, %d raw and %d hourly rows past retention "
                         "deleted", report.rolled_until.isoformat(), report.raw_deleted, report.hourly_deleted)
            except Exception as exc:  # maintenance must not stop ingestion
                log.error("maintenance failed: %s: %s", type(exc).__name__, str(exc).splitlines()[0][:200])

    # --- running

    _stop_hard = False

    def start(self) -> None:
        self.client.connect_async(self.host, self.port, keepalive=30, clean_start=False,
                                  properties=self._connect_properties)
        self.client.loop_start()
        for target in (self._flush_loop, self._maintenance_loop):
            thread = threading.Thread(target=target, name=f"iot-{target.__name__.strip('_')}", daemon=True)
            thread.start()
            self._threads.append(thread)

    def stop(self, timeout: float = 30.0) -> None:
        """Commit what was received, acknowledge it, and disconnect."""
        self._stop.set()
        self._wake.set()
        deadline = time.monotonic() + timeout
        self._threads[0].join(timeout)
        if self._threads[0].is_alive():
            self._stop_hard = True
            self._threads[0].join(max(0.0, deadline - time.monotonic()))
        time.sleep(0.1)  # let the network thread send the last acknowledgements
        self.client.disconnect()
        self.client.loop_stop()

    def run_forever(self, report_every_s: float = 10.0, on_report=None) -> None:
        self.start()
        try:
            while not self._stop.wait(report_every_s):
                if on_report:
                    on_report(self.stats)
        finally:
            self.stop()
