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

One message per reading is the SensorThings way, so the cost per message is what limits a consumer: :class:`Client`
(paho with cheaper reads, PUBLISH parsing and acknowledgements) and array literals for the batch's one INSERT
(``ingest.py``) bring it to about 0.3 s of CPU per 10,000 messages (``bench/iot_ingest.py``).
"""

from __future__ import annotations

import json
import logging
import re
import struct
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


class _ReadAhead:
    """A connected socket whose ``recv`` reads up to 256 KiB at once and serves paho's small reads (it asks for
    the command byte, each length byte and then the rest: three system calls per message) from that buffer.
    ``pending()`` says what is buffered, which paho's loop already honours for TLS sockets: it reads on without
    waiting in select, so nothing buffered is left behind."""

    __slots__ = ("_sock", "_buffer", "_at")

    def __init__(self, sock):
        self._sock = sock
        self._buffer = b""
        self._at = 0

    def recv(self, size: int) -> bytes:
        if self._at >= len(self._buffer):
            self._buffer = self._sock.recv(262144)  # BlockingIOError when there is nothing: paho expects that
            self._at = 0
            if not self._buffer:
                return b""  # the connection is closed
        end = self._at + size
        chunk = self._buffer[self._at:end]
        self._at = end
        return chunk

    def pending(self) -> int:
        return max(0, len(self._buffer) - self._at)

    def fileno(self) -> int:
        return self._sock.fileno()

    def __getattr__(self, name):
        return getattr(self._sock, name)


_PUBACK = struct.Struct("!BBH")
_U16 = struct.Struct("!H")


def _varint(n: int) -> bytes:
    """MQTT's variable byte integer (remaining lengths)."""
    out = bytearray()
    while True:
        n, byte = divmod(n, 128)
        out.append(byte | 0x80 if n else byte)
        if not n:
            return bytes(out)


class Client(mqtt.Client):
    """paho's MQTT client made cheap per message, for rates of 10,000 messages a second in Python:

    - the socket is read ahead in large chunks (:class:`_ReadAhead`) and all of what arrived is handled before
      the loop waits again;
    - with ``on_raw_message`` set (MQTT 5, QoS 0 and 1), an incoming PUBLISH is handed over as
      ``(topic bytes, payload, qos, mid)`` without paho's per-message objects (its properties parser, the
      MQTTMessage, the topic-filter matcher): the consumer reads none of them;
    - :meth:`ack_many` sends a batch's PUBACKs in one write instead of one packet (and one wake-up of the
      network thread) each;
    - :meth:`publish_many` sends a report's messages in one write and keeps QoS 1 ones until their PUBACK,
      without paho's per-message bookkeeping (an object and a lock each, and a scan of every message in flight
      per PUBACK once ``max_inflight_messages`` is reached).

    Connection, session, keep-alive, reconnection and everything else are paho's. These paths use paho 2.x
    internals (``_in_packet``, ``_packet_queue``, ``_handle_publish``), checked by the tests against the broker."""

    on_raw_message = None

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._unacked: dict[int, bytes] = {}  # publish_many's QoS 1 packets awaiting their PUBACK
        self._topic_heads: dict[str, bytes] = {}
        self.acknowledged = 0  # publish_many messages the broker took (PUBACK success)
        self.refused = 0  # ... and refused (PUBACK with a failure reason code)

    def _create_socket(self):
        sock = super()._create_socket()
        return sock if self._ssl or self._transport != "tcp" else _ReadAhead(sock)

    def loop_read(self, max_packets: int = 1) -> mqtt.MQTTErrorCode:
        rc = super().loop_read(max_packets)
        for _ in range(10000):  # then let the loop write (acknowledgements, pings) before reading on
            sock = self._sock
            if rc != mqtt.MQTT_ERR_SUCCESS or not isinstance(sock, _ReadAhead) or not sock.pending():
                break
            rc = super().loop_read(max_packets)
        return rc

    # --- receiving

    def _handle_publish(self) -> mqtt.MQTTErrorCode:
        handler = self.on_raw_message
        header = self._in_packet["command"]
        qos = (header & 0x06) >> 1
        if handler is None or qos > 1 or self._protocol != mqtt.MQTTv5:
            return super()._handle_publish()
        packet = self._in_packet["packet"]
        try:
            at = 2 + ((packet[0] << 8) | packet[1])
            topic = bytes(packet[2:at])
            mid = 0
            if qos:
                mid = (packet[at] << 8) | packet[at + 1]
                at += 2
            length, shift = 0, 0  # the properties' length (a variable byte integer); the properties are skipped
            while True:
                byte = packet[at]
                at += 1
                length |= (byte & 0x7F) << shift
                if byte < 0x80:
                    break
                shift += 7
                if shift > 21:
                    return mqtt.MQTT_ERR_PROTOCOL
            at += length
            if at > len(packet) or not topic:
                return mqtt.MQTT_ERR_PROTOCOL
        except IndexError:
            return mqtt.MQTT_ERR_PROTOCOL
        handler(topic, bytes(packet[at:]), qos, mid)
        return mqtt.MQTT_ERR_SUCCESS

    def ack_many(self, mids: list[int]) -> None:
        """PUBACK (success) for each QoS 1 message id, in one packet write."""
        if mids:
            self._packet_queue(mqtt.PUBACK, b"".join([_PUBACK.pack(mqtt.PUBACK, 2, mid) for mid in mids]), 0, 0)

    # --- publishing

    def publish_many(self, messages: list[tuple[str, bytes]], qos: int = 1) -> None:
        """Publish ``(topic, payload)`` pairs at QoS 0 or 1 in one write. QoS 1 messages are kept until the broker
        acknowledges them (:attr:`acknowledged`, :attr:`in_flight`) and sent again, marked duplicate, by
        :meth:`resend_unacknowledged` (call it on connect); sent while disconnected, they wait for that."""
        packets = []
        heads = self._topic_heads
        connected = self._sock is not None
        for topic, payload in messages:
            head = heads.get(topic)
            if head is None:
                encoded = topic.encode()
                self._raise_for_invalid_topic(encoded)
                head = heads[topic] = _U16.pack(len(encoded)) + encoded
            if qos:
                mid = self._mid_generate()
                while mid in self._unacked:  # still unacknowledged 65,535 messages later: skip its id
                    mid = self._mid_generate()
                body = head + _U16.pack(mid) + b"\x00" + payload
                packet = bytes((0x32,)) + _varint(len(body)) + body
                self._unacked[mid] = packet
            else:
                body = head + b"\x00" + payload
                packet = bytes((0x30,)) + _varint(len(body)) + body
            packets.append(packet)
        if connected and packets:
            self._packet_queue(mqtt.PUBLISH, b"".join(packets), 0, 1)

    @property
    def in_flight(self) -> int:
        return len(self._unacked)

    def resend_unacknowledged(self) -> None:
        pending = list(self._unacked.values())
        if pending:
            self._packet_queue(mqtt.PUBLISH, b"".join(bytes((p[0] | 0x08,)) + p[1:] for p in pending), 0, 1)

    def _handle_pubackcomp(self, cmd) -> mqtt.MQTTErrorCode:
        if cmd == "PUBACK" and self._unacked:
            packet = self._in_packet["packet"]
            if len(packet) >= 2 and self._unacked.pop((packet[0] << 8) | packet[1], None) is not None:
                if len(packet) > 2 and packet[2] >= 0x80:
                    self.refused += 1
                else:
                    self.acknowledged += 1
                return mqtt.MQTT_ERR_SUCCESS
        return super()._handle_pubackcomp(cmd)


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


_BATCH = -1  # the CreateObservations topic, among datastream ids


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
        self._topic_ids: dict[bytes, int] = {}  # topic -> datastream id, or _BATCH for CreateObservations
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._generation = 0
        self.connected = threading.Event()
        self.subscribed = threading.Event()  # the broker granted the subscriptions (SUBACK): messages now reach us
        self._warned: Counter = Counter()
        self.client = Client(mqtt.CallbackAPIVersion.VERSION2, client_id=client_id or f"dasan-iot-{uuid.uuid4().hex[:8]}",
                             protocol=mqtt.MQTTv5, manual_ack=True)
        self.client.on_connect = self._on_connect
        self.client.on_disconnect = self._on_disconnect
        self.client.on_subscribe = self._on_subscribe
        self.client.on_message = self._on_message
        self.client.on_raw_message = self._on_raw
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
        log.info("MQTT connected to %s:%d (session %s)", self.host, self.port,
                 "resumed" if flags.session_present else "new")
        self.connected.set()

    def _on_subscribe(self, client, userdata, mid, reason_codes, properties) -> None:
        refused = [str(code) for code in reason_codes if code.is_failure]
        if refused:
            log.error("MQTT broker %s:%d refused the subscription to %s: %s", self.host, self.port,
                      self.subscription("+/Observations"), ", ".join(refused))
            return
        log.info("MQTT subscribed to %s", self.subscription("+/Observations"))
        self.subscribed.set()

    def _on_disconnect(self, client, userdata, flags, reason_code, properties) -> None:
        self.connected.clear()
        self.subscribed.clear()
        self.stats.disconnects += 1
        with self._lock:
            self._generation += 1  # message ids of the old connection must not be acknowledged on the new one
        if not self._stop.is_set():
            log.warning("MQTT connection to %s:%d lost (%s); reconnecting", self.host, self.port, reason_code)

    def _on_message(self, client, userdata, message) -> None:  # paho's path, for what on_raw_message leaves it
        self._on_raw(message._topic, message.payload, message.qos, message.mid)

    def _on_raw(self, topic: bytes, payload: bytes, qos: int, mid: int) -> None:
        rows: list[dict] = []
        problems: list[str] = []
        try:
            self._decode(topic, payload, rows, problems)
        except Exception as exc:  # never let one message kill the network thread
            problems.append(f"cannot process the message: {type(exc).__name__}")
        with self._lock:
            self.stats.received += 1
            self.stats.observations += len(rows)
            self._pending.append(((self._generation, mid) if qos > 0 else None, rows))
            self._pending_rows += len(rows)
            full = self._pending_rows >= self.batch_size
        for problem in problems:
            self._reject(topic.decode("utf-8", "replace"), problem)
        if full:
            self._wake.set()

    def _decode(self, topic: bytes, payload: bytes, rows: list[dict], problems: list[str]) -> None:
        now = datetime.now(timezone.utc)
        try:
            body = json.loads(payload)
        except (ValueError, UnicodeDecodeError):
            problems.append("the payload is not JSON")
            return
        ident = self._topic_ids.get(topic)
        if ident is None:
            ident = self._topic_id(topic)
            if ident is None:
                problems.append("the topic is not <prefix>/Datastreams(<id>)/Observations")
                return
        if ident == _BATCH:  # <prefix>/CreateObservations
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
        if type(body) is dict:
            self._one(ident, body, now, rows, problems)
            return
        for item in body if isinstance(body, list) else [body]:
            self._one(ident, item, now, rows, problems)

    def _topic_id(self, topic: bytes) -> int | None:
        """The datastream id a topic names, _BATCH for CreateObservations, None for anything else (remembered)."""
        try:
            text = topic.decode()
        except UnicodeDecodeError:
            return None
        if text == f"{self.prefix}/CreateObservations":
            ident = _BATCH
        else:
            match = self._topic.match(text)
            if not match:
                return None
            ident = int(match.group(1))
        if len(self._topic_ids) < 1_000_000:
            self._topic_ids[topic] = ident
        return ident

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
            # Only now, with the batch durable, does the broker hear we have it; ids of an earlier connection are
            # not acknowledged (the broker delivers those messages again, and the database stores them once).
            with self._lock:
                generation = self._generation
            if self.connected.is_set():
                self.client.ack_many([mid for gen, mid in mids if gen == generation])

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
