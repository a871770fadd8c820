"""SIP (RFC 3261, UDP) for a city's PBX or SIP trunk: Dasan answers calls as a user agent server.

Signalling and SDP come from ``aiosipua`` (a pinned dependency): an INVITE with an SDP offer gets 100 Trying, then
200 OK with the SDP answer (retransmitted until the ACK); OPTIONS is answered 200; CANCEL before the answer gets
487; BYE from the caller ends the call; methods it does not serve get 405. The answer takes mu-law (PCMU, payload
type 0) when it is offered, else A-law (PCMA, 8), and telephone-event (RFC 4733) when it is offered; an offer with
neither codec, without audio, or for SRTP (RTP/SAVP) gets 488. The media is :mod:`voicebot.rtp`.

The call's language is the request URI's ``lang`` parameter or, failing that, its user part when that is a
language (``sip:120@dasan;lang=ko``, ``sip:ko@dasan``, ``sip:auto@dasan``); anything else is English. Its record
id is ``sip-`` and the first 16 hex digits of the SHA-1 of the SIP Call-ID (:func:`record_id`).

A transfer (the caller pressed 0 or 9, or the assistant handed off) is a REFER (RFC 3515) to ``transfer_uri``
(its ``{target}`` replaced by ``agent`` or ``interpretation``) once the transfer line is said; Dasan hangs up (BYE)
when the caller's NOTIFY reports the transfer's outcome, when the caller hangs up, or after ``transfer_wait_s``.
Without a ``transfer_uri`` the call just ends with a BYE after the transfer line. A call that ends by itself
(goodbye, no input) ends with a BYE. Dasan's own BYE and REFER are resent until answered, as RFC 3261 has it for
UDP (:mod:`voicebot.sip_requests`); a REFER refused or never answered ends the call at once. A re-INVITE is
answered with the same SDP answer: the media does not move and hold is not honoured. Not supported: TLS, SRTP,
TCP, registration (the PBX sends calls to Dasan's address), NAT traversal (the SDP and Contact carry ``advertise``
or the address that routes to the caller), authentication.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import socket
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import numpy as np
from aiosipua import IncomingCall, SipRequest, SipUAS, negotiate_sdp
from aiosipua.header_codec import parse_uri
from aiosipua.sdp import SdpMessage
from aiosipua.transport import UdpSipTransport

from voicebot.language import LANGUAGES
from voicebot.rtp import PCMA, PCMU, RtpStream
from voicebot.sip_requests import PendingRequests
from voicebot.transport import Outbound

log = logging.getLogger("dasan.voicebot")

MakeCall = Callable[[Outbound, str, str], object]  # (outbound, lang, call id) -> voicebot.call.Call
ServeCall = Callable[[object, Outbound, Callable[[], Awaitable[None]]], Awaitable[None]]


class Unanswerable(Exception):
    """An offer Dasan cannot answer (488 Not Acceptable Here); the message says why."""


@dataclass(frozen=True)
class MediaChoice:
    payload_type: int  # PCMU or PCMA
    dtmf_payload_type: int | None  # the offer's telephone-event type, None when it offered none
    remote: tuple[str, int]  # where the caller receives RTP


def choose_media(offer: SdpMessage | None) -> MediaChoice:
    """The codec, telephone-event and peer address of an SDP offer: PCMU when offered, else PCMA."""
    audio = offer.audio if offer is not None else None
    if audio is None or audio.port == 0:
        raise Unanswerable("the offer has no audio stream")
    if audio.proto.upper() != "RTP/AVP":
        raise Unanswerable(f"the offer's media is {audio.proto}; only RTP/AVP is served (no SRTP)")
    offered = [codec.payload_type for codec in audio.codecs] or [int(f) for f in audio.formats if f.isdigit()]
    chosen = next((pt for pt in (PCMU, PCMA) if pt in offered), None)
    if chosen is None:
        raise Unanswerable(f"the offer has neither PCMU nor PCMA (payload types {offered})")
    dtmf = next((c.payload_type for c in audio.codecs if c.encoding_name.lower() == "telephone-event"), None)
    remote = offer.rtp_address
    if remote is None:
        raise Unanswerable("the offer has no connection address")
    return MediaChoice(chosen, dtmf, remote)


def answer_sdp(offer: SdpMessage, choice: MediaChoice, ip: str, port: int) -> SdpMessage:
    """The SDP answer for ``choice``: the codec, and telephone-event with the offer's payload type."""
    answer, _ = negotiate_sdp(offer, local_ip=ip, rtp_port=port, supported_codecs=[choice.payload_type],
                              dtmf_payload_type=choice.dtmf_payload_type or 0, session_name="Dasan")
    return answer


def call_language(request_uri: str) -> str:
    """``lang`` parameter, else the user part when it is a language, else ``en``."""
    try:
        uri = parse_uri(request_uri)
    except (ValueError, IndexError):
        return "en"
    lang = str(uri.params.get("lang") or "").lower()
    if lang in LANGUAGES:
        return lang
    user = (uri.user or "").lower()
    return user if user in LANGUAGES else "en"


def record_id(sip_call_id: str) -> str:
    """The call's record id: SIP Call-IDs may hold any characters, a record id is safe in a URL."""
    return "sip-" + hashlib.sha1(sip_call_id.encode("utf-8")).hexdigest()[:16]


def local_ip_towards(address: str) -> str:
    """The local address the system routes ``address`` through (a UDP "connect" sends nothing)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect((address, 9))
            return probe.getsockname()[0]
        except OSError:
            return "127.0.0.1"


class _Datagrams(asyncio.DatagramProtocol):
    def __init__(self, owner: UdpTransport):
        self.owner = owner

    def datagram_received(self, data: bytes, addr) -> None:
        self.owner._dispatch(data, (str(addr[0]), int(addr[1])))

    def error_received(self, exc: Exception) -> None:  # e.g. ICMP port unreachable from a caller gone away
        log.debug("sip: %s", exc)


class UdpTransport(UdpSipTransport):
    """aiosipua's UDP transport with a protocol of its own (aiosipua 0.7.1's asserts a transport class that
    Python 3.11's event loop does not use, and logs an error at every start)."""

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        self._udp_transport, _ = await loop.create_datagram_endpoint(lambda: _Datagrams(self),
                                                                     local_addr=self.local_addr)
        self.local_addr = (self.local_addr[0], self._udp_transport.get_extra_info("sockname")[1])


class SipOutbound(Outbound):
    """The call's audio as RTP; the transfer as a REFER (see :class:`SipSession`)."""

    def __init__(self, session: SipSession):
        super().__init__()
        self.session = session

    async def write_audio(self, frame: np.ndarray) -> None:
        self.session.stream.send_frame(frame)

    async def write_clear(self) -> None:  # the queued audio was dropped; what is sent next starts a talkspurt
        self.session.stream.new_talkspurt()

    async def write_mark(self, name: str) -> None:  # SIP has no marks: the call paces its own audio
        pass

    async def write_transfer(self, summary: str, reason: str, target: str) -> None:
        self.session.refer(target)


class SipSession:
    """One answered call: its SIP dialog, its RTP stream and the end of it."""

    def __init__(self, server: SipServer, incall: IncomingCall, stream: RtpStream, advertise: tuple[str, int]):
        self.server = server
        self.incall = incall
        self.stream = stream
        self.advertise = advertise
        self.call = None  # the voicebot.call.Call, once made
        self.ended = asyncio.Event()  # the connection is over: the caller hung up, or the server stops
        self.caller_hung_up = False  # the caller's BYE (or no ACK for our 200 OK): no BYE of ours is due
        self.transfer_done = asyncio.Event()  # the caller's NOTIFY gave the transfer's final status
        self.referred_to: str | None = None

    async def receive(self) -> None:
        """The transport's receive loop for :func:`voicebot.transport.serve_call`: RTP arrives by callbacks, so
        this only waits for the caller to hang up (or the server to stop)."""
        await self.ended.wait()

    def refer(self, target: str) -> None:
        template = self.server.transfer_uri
        if not template or self.ended.is_set():
            return
        refer_to = template.replace("{target}", target)
        dialog = self.incall.dialog
        request = dialog.create_request("REFER", via_host=self.advertise[0], via_port=self.advertise[1])
        request.headers.set_single("Refer-To", f"<{refer_to}>")
        request.headers.set_single("Referred-By", f"<{dialog.local_uri}>")
        request.headers.set_single("Contact", f"<sip:dasan@{self.advertise[0]}:{self.advertise[1]}>")
        answer = self.server.requests.send(request, self.incall.source_addr)
        answer.add_done_callback(self._refer_answered)
        self.referred_to = refer_to
        log.info("sip call %s: REFER to %s", self.incall.call_id, refer_to)

    def _refer_answered(self, answer: asyncio.Future) -> None:
        status = answer.result()
        if status is None or status >= 300:  # refused, or never answered: no NOTIFY will come, hang up now
            log.info("sip call %s: REFER %s", self.incall.call_id, "not answered" if status is None else status)
            self.transfer_done.set()

    async def hang_up(self) -> None:
        """End the dialog from our side (after a REFER: once the transfer is settled, or after the wait)."""
        if self.referred_to and not self.ended.is_set():
            waits = [asyncio.ensure_future(self.transfer_done.wait()), asyncio.ensure_future(self.ended.wait())]
            await asyncio.wait(waits, timeout=self.server.transfer_wait_s, return_when=asyncio.FIRST_COMPLETED)
            for waiting in waits:
                waiting.cancel()
        if not self.caller_hung_up:
            bye = self.incall.hangup()
            if bye is not None:
                self.server.requests.send(bye, self.incall.source_addr, sent=True)  # resent until answered
                log.info("sip call %s: BYE sent", self.incall.call_id)


class SipServer:
    """Listens for SIP on UDP ``host:port`` and serves each call with ``make_call`` and ``serve``."""

    def __init__(self, make_call: MakeCall, serve: ServeCall, *, host: str = "0.0.0.0", port: int = 5060,
                 advertise: str = "", transfer_uri: str = "", transfer_wait_s: float = 10.0):
        self.make_call = make_call
        self.serve = serve
        self.host = host
        self.requested_port = port
        self.advertise = advertise
        self.transfer_uri = transfer_uri
        self.transfer_wait_s = transfer_wait_s
        self.uas: SipUAS | None = None
        self.requests: PendingRequests | None = None  # our BYEs and REFERs, resent until answered
        self.sessions: dict[str, SipSession] = {}  # by SIP Call-ID
        self._tasks: set[asyncio.Task] = set()

    @property
    def port(self) -> int:
        return self.uas.transport.local_addr[1] if self.uas else self.requested_port

    async def start(self) -> None:
        transport = UdpTransport(local_addr=(self.host, self.requested_port))
        uas = SipUAS(transport, user_agent="Dasan")
        uas.on_invite = self._on_invite
        uas.on_reinvite = self._on_reinvite
        uas.on_bye = self._on_bye
        uas.on_ack_timeout = self._on_bye
        uas.on_transfer_progress = self._on_transfer_progress
        await uas.start()
        self.requests = PendingRequests(self.send)
        dialogs = transport.on_message  # answers to our own BYE and REFER go to self.requests, the rest to aiosipua
        transport.on_message = lambda message, address: self.requests.answered(message) or dialogs(message, address)
        self.uas = uas
        log.info("SIP listening on udp %s:%d", self.host, self.port)

    async def stop(self) -> None:
        for session in list(self.sessions.values()):
            session.ended.set()  # each call ends (with a BYE) and its record is written
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=5)
        for task in list(self._tasks):
            task.cancel()
        if self.requests is not None:
            await self.requests.close(wait_s=2.0)  # a last BYE gets a resend or two
        if self.uas is not None:
            await self.uas.stop()
            self.uas = None

    def send(self, message, address: tuple[str, int]) -> None:
        if self.uas is not None:
            self.uas.transport.send(message, address)

    # ---------------------------------------------------------------- aiosipua callbacks
    def _on_invite(self, incall: IncomingCall) -> None:
        task = asyncio.get_running_loop().create_task(self._answer(incall), name=f"sip-{incall.call_id}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _on_reinvite(self, incall: IncomingCall) -> None:
        if incall.sdp_answer is not None:
            incall.accept(incall.sdp_answer)  # the session as it is: the media does not move

    def _on_bye(self, incall: IncomingCall, request: SipRequest | None = None) -> None:
        session = self.sessions.get(incall.call_id)
        if session is not None:
            session.caller_hung_up = True
            session.ended.set()

    def _on_transfer_progress(self, call_id: str, status: int, reason: str) -> None:
        session = self.sessions.get(call_id)
        log.info("sip call %s: transfer %d %s", call_id, status, reason)
        if session is not None and status >= 200:
            session.transfer_done.set()

    # ---------------------------------------------------------------- one call
    async def _answer(self, incall: IncomingCall) -> None:
        sip_id = incall.call_id
        try:
            choice = choose_media(incall.sdp_offer)
        except Unanswerable as exc:
            log.warning("sip call %s refused: %s", sip_id, exc)
            incall.reject(488, "Not Acceptable Here")
            return
        address = self.advertise or (self.host if self.host not in ("", "0.0.0.0") else
                                     local_ip_towards(incall.source_addr[0]))
        session: SipSession | None = None
        stream = await RtpStream.open(self.host or "0.0.0.0", choice.payload_type, choice.dtmf_payload_type,
                                      on_audio=lambda samples: session.call.feed_audio(samples),
                                      on_digit=lambda digit: session.call.dtmf(digit))
        try:
            if self.uas is None or self.uas.get_call(sip_id) is not incall:  # cancelled while the port opened
                return
            session = SipSession(self, incall, stream, (address, self.port))
            outbound = SipOutbound(session)
            try:
                session.call = self.make_call(outbound, call_language(incall.invite.uri), record_id(sip_id))
            except Exception as exc:  # the assistant or the models are not there (still loading, off)
                log.warning("sip call %s refused: %s", sip_id, exc)
                incall.reject(503, "Service Unavailable")
                return
            self.sessions[sip_id] = session
            incall.advertised_addr = (address, self.port)
            incall.accept(answer_sdp(incall.sdp_offer, choice, address, stream.port))
            stream.start(choice.remote)
            log.info("sip call %s answered as call %s (payload type %d, telephone-event %s)", sip_id,
                     session.call.id, choice.payload_type, choice.dtmf_payload_type)
            await self.serve(session.call, outbound, session.receive)
            await session.hang_up()
        finally:
            stream.close()
            self.sessions.pop(sip_id, None)
            if self.uas is not None:
                self.uas._calls.pop(sip_id, None)  # aiosipua 0.7 forgets a call only on the caller's BYE
