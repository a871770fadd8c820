"""RTP (RFC 3550) for one SIP call's audio: G.711 at 8 kHz in 20 ms packets, and RFC 4733 telephone-events.

A packet is a 12-byte header (version 2, padding, extension and CSRC count, marker, payload type, sequence number,
timestamp, SSRC), the CSRC list, an optional header extension, then the payload. Inbound, :class:`RtpStream`
decodes the negotiated codec (PT 0 mu-law or PT 8 A-law) to the call's 16 kHz float samples and turns
telephone-events into digits (:class:`TelephoneEvents`: one digit per event, however many of its packets arrive).
Outbound it sends each 20 ms frame of the bot as one packet (timestamp +160 each; the bot sends nothing while it
listens, so a packet after a pause, or after a ``clear``, starts a talkspurt: the marker bit, and a timestamp moved
on by the time that passed). No RTCP is sent, no jitter buffer is kept (packets
are played in arrival order; a late one is dropped by its sequence number), and a packet from an unexpected payload
type or a malformed one is logged and skipped, never fatal.
"""

from __future__ import annotations

import asyncio
import logging
import random
import struct
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from voicebot.codec import (Downsampler, Upsampler, alaw_decode, alaw_encode, float_to_int16, ulaw_decode,
                            ulaw_encode)

log = logging.getLogger("dasan.voicebot")

PCMU, PCMA = 0, 8
G711 = {PCMU: (ulaw_encode, ulaw_decode), PCMA: (alaw_encode, alaw_decode)}
SAMPLES_PER_FRAME = 160  # 20 ms at 8 kHz: the timestamp step of one packet
DIGITS = "0123456789*#ABCD"  # RFC 4733 events 0-15
MAX_PAYLOAD = 1500
_HEADER = struct.Struct("!BBHII")


class BadPacket(ValueError):
    """A datagram that is not an RTP packet."""


@dataclass(frozen=True)
class RtpPacket:
    payload_type: int
    sequence: int
    timestamp: int
    ssrc: int
    payload: bytes
    marker: bool = False

    def pack(self) -> bytes:
        header = _HEADER.pack(0x80, (0x80 if self.marker else 0) | (self.payload_type & 0x7F),
                              self.sequence & 0xFFFF, self.timestamp & 0xFFFFFFFF, self.ssrc & 0xFFFFFFFF)
        return header + self.payload

    @classmethod
    def parse(cls, data: bytes) -> RtpPacket:
        if len(data) < _HEADER.size:
            raise BadPacket(f"{len(data)} bytes is shorter than an RTP header")
        first, second, sequence, timestamp, ssrc = _HEADER.unpack_from(data)
        if first >> 6 != 2:
            raise BadPacket(f"RTP version {first >> 6}, not 2")
        offset = _HEADER.size + 4 * (first & 0x0F)  # CSRC list
        if first & 0x10:  # header extension: 16-bit profile, 16-bit length in 32-bit words
            if len(data) < offset + 4:
                raise BadPacket("truncated header extension")
            offset += 4 + 4 * struct.unpack_from("!H", data, offset + 2)[0]
        end = len(data)
        if first & 0x20:  # padding: the last byte says how much
            end -= data[-1] if data[-1:] else 0
        if offset > end:
            raise BadPacket("the header is longer than the packet")
        return cls(second & 0x7F, sequence, timestamp, ssrc, bytes(data[offset:end]), bool(second & 0x80))


@dataclass(frozen=True)
class TelephoneEvent:
    event: int
    end: bool
    volume: int
    duration: int

    @classmethod
    def parse(cls, payload: bytes) -> TelephoneEvent:
        if len(payload) < 4:
            raise BadPacket(f"a telephone-event payload of {len(payload)} bytes (4 expected)")
        event, flags, duration = struct.unpack_from("!BBH", payload)
        return cls(event, bool(flags & 0x80), flags & 0x3F, duration)


class TelephoneEvents:
    """RFC 4733 events -> digits. An event's packets share one RTP timestamp (its start) and the sender repeats
    them (three copies of the end packet, usually); the digit is reported once, at the event's first packet."""

    def __init__(self) -> None:
        self._current: tuple[int, int] | None = None  # (timestamp, event) of the last event reported

    def digit(self, packet: RtpPacket) -> str | None:
        event = TelephoneEvent.parse(packet.payload)
        if event.event >= len(DIGITS):  # tones and line events (RFC 4734) are not keys
            return None
        key = (packet.timestamp, event.event)
        if key == self._current:
            return None
        self._current = key
        return DIGITS[event.event]


def _newer(sequence: int, last: int | None) -> bool:
    """Whether ``sequence`` comes after ``last`` (16-bit wrap-around, RFC 3550 A.1)."""
    return last is None or 0 < ((sequence - last) & 0xFFFF) < 0x8000


class RtpStream(asyncio.DatagramProtocol):
    """One call's RTP socket. ``on_audio(samples_16k)`` and ``on_digit(digit)`` receive the caller's side;
    :meth:`send_frame` sends the bot's. Open it with :meth:`open`, then :meth:`start` once the peer is known."""

    def __init__(self, payload_type: int, dtmf_payload_type: int | None,
                 on_audio: Callable[[np.ndarray], None], on_digit: Callable[[str], None]):
        if payload_type not in G711:
            raise ValueError(f"unsupported RTP payload type {payload_type}: use {PCMU} (PCMU) or {PCMA} (PCMA)")
        self.payload_type = payload_type
        self.dtmf_payload_type = dtmf_payload_type
        self.on_audio = on_audio
        self.on_digit = on_digit
        self._encode, self._decode = G711[payload_type]
        self._upsampler = Upsampler()
        self._downsampler = Downsampler()
        self._events = TelephoneEvents()
        self._transport: asyncio.DatagramTransport | None = None
        self.remote: tuple[str, int] | None = None
        self._ssrc = random.getrandbits(32)
        self._sequence = random.getrandbits(16)
        self._timestamp = random.getrandbits(32)
        self._talkspurt = True
        self._last_sent = 0.0  # monotonic time of the last packet out
        self._last_in: int | None = None
        self._warned: set[int] = set()
        self.packets_in = 0
        self.packets_out = 0

    @classmethod
    async def open(cls, host: str, *args, **kwargs) -> RtpStream:
        """A stream bound to ``host`` on a free UDP port (see :attr:`port`)."""
        loop = asyncio.get_running_loop()
        _, stream = await loop.create_datagram_endpoint(lambda: cls(*args, **kwargs), local_addr=(host, 0))
        return stream

    @property
    def port(self) -> int:
        return self._transport.get_extra_info("sockname")[1] if self._transport else 0

    def start(self, remote: tuple[str, int]) -> None:
        self.remote = remote

    def close(self) -> None:
        if self._transport is not None:
            self._transport.close()
            self._transport = None

    # ---------------------------------------------------------------- DatagramProtocol
    def connection_made(self, transport) -> None:
        self._transport = transport

    def datagram_received(self, data: bytes, addr) -> None:
        if self.remote is None or len(data) > MAX_PAYLOAD + 64:
            return
        try:
            packet = RtpPacket.parse(data)
            self._receive(packet)
        except BadPacket as exc:
            log.debug("rtp: a malformed packet from %s was skipped: %s", addr, exc)

    def error_received(self, exc: Exception) -> None:  # e.g. ICMP port unreachable while the caller sets up
        log.debug("rtp: %s", exc)

    def _receive(self, packet: RtpPacket) -> None:
        self.packets_in += 1
        if self.dtmf_payload_type is not None and packet.payload_type == self.dtmf_payload_type:
            digit = self._events.digit(packet)
            if digit:
                self.on_digit(digit)
            return
        if packet.payload_type != self.payload_type:
            if packet.payload_type not in self._warned:  # comfort noise (13) and the like: once per type
                self._warned.add(packet.payload_type)
                log.info("rtp: packets of payload type %d are ignored (negotiated %d)", packet.payload_type,
                         self.payload_type)
            return
        if not _newer(packet.sequence, self._last_in):  # late or repeated: its moment has passed
            return
        self._last_in = packet.sequence
        if packet.payload:
            samples = self._decode(packet.payload).astype(np.float32) / 32768.0
            self.on_audio(self._upsampler(samples))

    # ---------------------------------------------------------------- the bot's side
    def send_frame(self, frame: np.ndarray) -> None:
        """One 20 ms frame of 16 kHz int16 -> one RTP packet of the negotiated codec."""
        if self._transport is None or self.remote is None:
            return
        now = time.monotonic()
        if self.packets_out and (self._talkspurt or now - self._last_sent > 0.06):
            self._talkspurt = True  # the clock ran on while nothing was sent
            self._timestamp += max(0, round((now - self._last_sent) * 8000) - SAMPLES_PER_FRAME)
        samples = self._downsampler(np.asarray(frame, dtype=np.float32) / 32768.0)
        payload = self._encode(float_to_int16(samples))
        packet = RtpPacket(self.payload_type, self._sequence, self._timestamp, self._ssrc, payload,
                           marker=self._talkspurt)
        self._transport.sendto(packet.pack(), self.remote)
        self.packets_out += 1
        self._last_sent = now
        self._talkspurt = False
        self._sequence = (self._sequence + 1) & 0xFFFF
        self._timestamp = (self._timestamp + len(payload)) & 0xFFFFFFFF

    def new_talkspurt(self) -> None:
        """The next packet starts a talkspurt (after a ``clear``: the audio before it was dropped)."""
        self._talkspurt = True
