"""SIP, SDP and RTP of the voicebot's SIP entry point, fast: real UDP on the loopback, a plain stand-in for the call
(the call itself is tested over SIP with baresip in test_sip_call.py)."""

import asyncio
import contextlib
import socket
import struct

import numpy as np
import pytest
from aiosipua import SipMessage, parse_sdp

from voicebot.rtp import PCMA, PCMU, BadPacket, RtpPacket, RtpStream, TelephoneEvents
from voicebot.sip import SipServer, Unanswerable, answer_sdp, call_language, choose_media, record_id
from voicebot.transport import serve_call


def _offer(formats: str, rtpmaps: str = "", proto: str = "RTP/AVP", port: int = 40000) -> str:
    return ("v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
            f"m=audio {port} {proto} {formats}\r\n{rtpmaps}a=sendrecv\r\n")


EVENTS = "a=rtpmap:96 telephone-event/8000\r\na=fmtp:96 0-16\r\n"


# ------------------------------------------------------------------------------------------------ SDP
def test_the_answer_prefers_pcmu_and_keeps_the_offers_telephone_event_type():
    offer = parse_sdp(_offer("8 0 96", "a=rtpmap:8 PCMA/8000\r\na=rtpmap:0 PCMU/8000\r\n" + EVENTS))
    choice = choose_media(offer)
    assert (choice.payload_type, choice.dtmf_payload_type, choice.remote) == (PCMU, 96, ("127.0.0.1", 40000))
    answer = answer_sdp(offer, choice, "10.0.0.5", 30000)
    audio = answer.audio
    assert audio.port == 30000 and answer.rtp_address == ("10.0.0.5", 30000)
    assert [(c.payload_type, c.encoding_name) for c in audio.codecs] == [(0, "PCMU"), (96, "telephone-event")]


def test_the_answer_takes_pcma_when_it_is_all_there_is_and_no_events_unless_offered():
    offer = parse_sdp(_offer("8 18", "a=rtpmap:8 PCMA/8000\r\na=rtpmap:18 G729/8000\r\n"))
    choice = choose_media(offer)
    assert (choice.payload_type, choice.dtmf_payload_type) == (PCMA, None)
    assert [c.payload_type for c in answer_sdp(offer, choice, "10.0.0.5", 30000).audio.codecs] == [8]


@pytest.mark.parametrize("sdp, why", [
    (_offer("18 9", "a=rtpmap:18 G729/8000\r\na=rtpmap:9 G722/8000\r\n"), "neither PCMU nor PCMA"),
    (_offer("0", proto="RTP/SAVP"), "no SRTP"),
    (_offer("0", port=0), "no audio"),
])
def test_offers_it_cannot_answer_say_why(sdp, why):
    with pytest.raises(Unanswerable, match=why):
        choose_media(parse_sdp(sdp))
    with pytest.raises(Unanswerable, match="no audio"):
        choose_media(None)  # an INVITE without an offer


def test_the_language_comes_from_the_request_uri():
    assert call_language("sip:ko@dasan.example") == "ko"
    assert call_language("sip:120@dasan.example;lang=ko") == "ko"
    assert call_language("sip:auto@10.0.0.5:5060") == "auto"
    assert call_language("sip:120@dasan.example") == "en"
    assert call_language("sip:ko@dasan.example;lang=xx") == "ko"  # an unknown lang parameter is not a language
    assert call_language("not a uri") == "en"
    assert record_id("a84b4c76e66710@pbx.example") == record_id("a84b4c76e66710@pbx.example")
    assert record_id("x@y").startswith("sip-") and len(record_id("x@y")) == 20


# ------------------------------------------------------------------------------------------------ RTP
def test_rtp_packets_pack_and_parse():
    packet = RtpPacket(PCMA, 65535, 0xFFFFFFF0, 0x12345678, b"\xd5" * 160, marker=True)
    wire = packet.pack()
    assert wire[:2] == b"\x80\x88" and len(wire) == 172
    assert RtpPacket.parse(wire) == packet
    # two CSRCs, a header extension of one word and four bytes of padding around a 3-byte payload
    header = struct.pack("!BBHII", 0xB2, 0, 7, 160, 1) + b"\0" * 8 + struct.pack("!HH", 0xBEDE, 1) + b"\0" * 4
    parsed = RtpPacket.parse(header + b"abc" + b"\0\0\0\x04")
    assert (parsed.payload, parsed.sequence, parsed.marker) == (b"abc", 7, False)
    for bad in (b"\x80\x00", b"\x40" + b"\0" * 11, b"\x90" + b"\0" * 11):  # short, version 1, cut extension
        with pytest.raises(BadPacket):
            RtpPacket.parse(bad)


def _event(timestamp: int, event: int, end: bool, duration: int, sequence: int) -> RtpPacket:
    payload = struct.pack("!BBH", event, (0x80 if end else 0) | 10, duration)
    return RtpPacket(101, sequence, timestamp, 1, payload, marker=duration == 160)


def test_a_telephone_event_is_one_digit_despite_its_repeated_packets():
    events = TelephoneEvents()
    press = [_event(8000, 0, False, 160 * n, n) for n in (1, 2, 3)]
    press += [_event(8000, 0, True, 640, n) for n in (4, 5, 6)]  # the end packet, sent three times
    again = [_event(16000, 0, False, 160, 7), _event(16000, 0, True, 320, 8)]  # the same key pressed again
    star = [_event(24000, 10, True, 320, 9), _event(24000, 10, True, 320, 10)]
    tone = [_event(32000, 66, True, 320, 11)]  # a line tone (RFC 4734), not a key
    digits = [events.digit(p) for p in press + again + star + tone]
    assert [d for d in digits if d] == ["0", "0", "*"]
    with pytest.raises(BadPacket):
        events.digit(RtpPacket(101, 12, 40000, 1, b"\x01"))


def test_an_rtp_stream_decodes_the_caller_and_sends_the_bot_in_20_ms_packets():
    asyncio.run(_rtp_stream())


async def _rtp_stream():
    heard, digits = [], []
    stream = await RtpStream.open("127.0.0.1", PCMA, 101, on_audio=heard.append, on_digit=digits.append)
    peer = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    peer.bind(("127.0.0.1", 0))
    peer.settimeout(2)
    try:
        stream.start(peer.getsockname())
        target = ("127.0.0.1", stream.port)
        tone = (0.3 * np.sin(2 * np.pi * 440 * np.arange(160) / 8000) * 32767).astype(np.int16)
        from voicebot.codec import alaw_encode

        for n in range(3):
            peer.sendto(RtpPacket(PCMA, 100 + n, 160 * n, 7, alaw_encode(tone)).pack(), target)
        peer.sendto(RtpPacket(PCMA, 101, 160, 7, alaw_encode(tone)).pack(), target)  # a repeat: too late
        peer.sendto(RtpPacket(13, 103, 480, 7, b"\x40").pack(), target)  # comfort noise: ignored
        peer.sendto(b"\x00garbage", target)  # skipped
        peer.sendto(_event(640, 5, True, 320, 104).pack(), target)
        for _ in range(50):
            await asyncio.sleep(0.01)
            if len(heard) == 3 and digits:
                break
        assert len(heard) == 3 and all(len(h) == 320 and h.dtype == np.float32 for h in heard)
        assert 0.1 < float(np.abs(np.concatenate(heard)).max()) < 0.4 and digits == ["5"]

        frame = np.zeros(320, dtype=np.int16)
        stream.send_frame(frame)
        stream.send_frame(frame)
        first, second = (RtpPacket.parse(peer.recv(2048)) for _ in range(2))
        assert first.payload_type == PCMA and len(first.payload) == 160 and first.marker and not second.marker
        assert (second.sequence - first.sequence) & 0xFFFF == 1 and second.timestamp - first.timestamp == 160
        stream.new_talkspurt()  # after a clear: a marker, and the timestamp moves on with the clock
        await asyncio.sleep(0.2)
        stream.send_frame(frame)
        third = RtpPacket.parse(peer.recv(2048))
        assert third.marker and third.timestamp - second.timestamp >= 160 * 9
    finally:
        stream.close()
        peer.close()


# ------------------------------------------------------------------------------------------------ SIP
class _Record:
    outcome = "in progress"


class _StandIn:
    """What the SIP side needs of a call: an id, run(), feed_audio, dtmf, a record with an outcome."""

    def __init__(self, outbound, lang: str, call_id: str, made: list):
        self.out, self.lang, self.id, self.record = outbound, lang, call_id, _Record()
        self.samples, self.digits = 0, []
        made.append(self)

    def feed_audio(self, samples) -> None:
        self.samples += len(samples)

    def dtmf(self, digit: str) -> None:
        self.digits.append(digit)

    async def run(self) -> None:
        try:
            self.out.send_audio(np.zeros(320, dtype=np.int16))
            await asyncio.sleep(30)
        except asyncio.CancelledError:
            self.record.outcome = "hangup"
            raise


class _Phone:
    """A bare SIP user agent on a UDP socket: requests by hand, responses read back parsed."""

    def __init__(self, server_port: int):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.setblocking(False)
        self.port = self.sock.getsockname()[1]
        self.server = ("127.0.0.1", server_port)
        self.cseq = 0

    def request(self, method: str, call_id: str, *, uri: str = "", body: str = "", to_tag: str = "",
                branch: str = "", cseq: int | None = None) -> str:
        self.cseq += 1
        branch = branch or f"z9hG4bK{call_id}{self.cseq}"
        lines = [f"{method} {uri or f'sip:en@127.0.0.1:{self.server[1]}'} SIP/2.0",
                 f"Via: SIP/2.0/UDP 127.0.0.1:{self.port};branch={branch};rport",
                 "Max-Forwards: 70", f"From: <sip:caller@127.0.0.1>;tag=from{call_id}",
                 f"To: <sip:en@127.0.0.1>{f';tag={to_tag}' if to_tag else ''}", f"Call-ID: {call_id}",
                 f"CSeq: {cseq or self.cseq} {method}", f"Contact: <sip:caller@127.0.0.1:{self.port}>"]
        if body:
            lines.append("Content-Type: application/sdp")
        lines.append(f"Content-Length: {len(body.encode())}")
        self.sock.sendto(("\r\n".join(lines) + "\r\n\r\n" + body).encode(), self.server)
        return branch

    async def receive(self, timeout: float = 2.0) -> SipMessage:
        loop = asyncio.get_running_loop()
        data = await asyncio.wait_for(loop.sock_recv(self.sock, 65535), timeout)
        return SipMessage.parse(data)

    async def response(self, status: int, method: str, timeout: float = 2.0) -> SipMessage:
        """The next response with this status to this method (provisional ones and repeats before it skipped)."""
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            message = await self.receive(max(0.01, deadline - asyncio.get_running_loop().time()))
            if getattr(message, "status_code", None) == status and message.cseq.method == method:
                return message


@contextlib.asynccontextmanager
async def _sip():
    made: list = []
    server = SipServer(lambda out, lang, call_id: _StandIn(out, lang, call_id, made), serve_call,
                       host="127.0.0.1", port=0)
    await server.start()
    phone = _Phone(server.port)
    try:
        yield server, phone, made
    finally:
        phone.sock.close()
        await server.stop()


def test_an_invite_is_answered_with_sdp_and_the_callers_bye_ends_the_call():
    asyncio.run(_an_invite_is_answered_with_sdp_and_the_callers_bye_ends_the_call())


async def _an_invite_is_answered_with_sdp_and_the_callers_bye_ends_the_call():
    async with _sip() as (server, phone, made):
        rtp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        rtp.bind(("127.0.0.1", 0))
        rtp.setblocking(False)
        offer = _offer("0 8 101", "a=rtpmap:101 telephone-event/8000\r\n", port=rtp.getsockname()[1])
        phone.request("INVITE", "call-1", uri=f"sip:120@127.0.0.1:{server.port};lang=ko", body=offer)
        trying = await phone.receive()
        assert trying.status_code == 100
        ok = await phone.response(200, "INVITE")
        answer = parse_sdp(ok.text)
        assert [c.payload_type for c in answer.audio.codecs] == [0, 101]
        assert ok.get_header("content-type") == "application/sdp" and ok.to_addr.tag
        phone.request("ACK", "call-1", to_tag=ok.to_addr.tag, cseq=1)
        (call,) = made
        assert call.lang == "ko" and call.id == record_id("call-1")
        bot = RtpPacket.parse(await asyncio.wait_for(asyncio.get_running_loop().sock_recv(rtp, 2048), 2))
        assert bot.payload_type == PCMU and len(bot.payload) == 160  # the bot's first frame, as PCMU
        rtp.sendto(_event(800, 0, True, 320, 1).pack(), ("127.0.0.1", answer.rtp_address[1]))
        rtp.sendto(RtpPacket(PCMU, 2, 960, 9, b"\xff" * 160).pack(), ("127.0.0.1", answer.rtp_address[1]))
        for _ in range(50):
            await asyncio.sleep(0.01)
            if call.digits and call.samples:
                break
        assert call.digits == ["0"] and call.samples == 320
        phone.request("BYE", "call-1", to_tag=ok.to_addr.tag)
        await phone.response(200, "BYE")
        for _ in range(100):
            await asyncio.sleep(0.01)
            if not server.sessions:
                break
        assert call.record.outcome == "hangup" and server.sessions == {} and server.uas.active_calls == {}
        rtp.close()


def test_a_call_that_ends_by_itself_hangs_up_with_a_bye():
    asyncio.run(_a_call_that_ends_by_itself_hangs_up_with_a_bye())


async def _a_call_that_ends_by_itself_hangs_up_with_a_bye():
    async with _sip() as (server, phone, made):
        phone.request("INVITE", "call-2", body=_offer("8"))
        ok = await phone.response(200, "INVITE")
        assert [c.payload_type for c in parse_sdp(ok.text).audio.codecs] == [8]  # A-law: all it offered
        phone.request("ACK", "call-2", to_tag=ok.to_addr.tag, cseq=1)
        made[0].record.outcome = "completed"
        server.sessions["call-2"].ended.set()  # what the server's stop does: the call ends from Dasan's side
        bye = await phone.receive()
        while getattr(bye, "method", "") != "BYE":
            bye = await phone.receive()
        assert bye.call_id == "call-2" and bye.from_addr.tag == ok.to_addr.tag


def test_options_cancel_unknown_methods_and_refused_offers():
    asyncio.run(_options_cancel_unknown_methods_and_refused_offers())


async def _options_cancel_unknown_methods_and_refused_offers():
    async with _sip() as (server, phone, made):
        phone.request("OPTIONS", "probe")
        options = await phone.response(200, "OPTIONS")
        assert "INVITE" in options.get_header("allow")
        phone.request("SUBSCRIBE", "probe")
        assert (await phone.response(405, "SUBSCRIBE")).status_code == 405
        phone.request("INVITE", "g729", body=_offer("18", "a=rtpmap:18 G729/8000\r\n"))
        await phone.response(488, "INVITE")
        phone.request("INVITE", "no-sdp")
        await phone.response(488, "INVITE")
        assert made == []
        phone.sock.sendto(b"\x00\x01 not SIP at all", phone.server)  # logged and skipped
        # CANCEL before the answer: the INVITE gets 487 (the CANCEL shares the INVITE's branch and CSeq number)
        branch = phone.request("INVITE", "cancelled", body=_offer("0"))
        phone.request("CANCEL", "cancelled", branch=branch, cseq=phone.cseq)
        replies = []
        deadline = asyncio.get_running_loop().time() + 2
        while asyncio.get_running_loop().time() < deadline and not any(r.status_code == 487 for r in replies):
            replies.append(await phone.receive())
        statuses = {(r.status_code, r.cseq.method) for r in replies}
        assert (200, "CANCEL") in statuses and (487, "INVITE") in statuses
        await asyncio.sleep(0.1)
        assert "cancelled" not in server.sessions


def _answer(request: SipMessage, status: int = 200, reason: str = "OK") -> bytes:
    """The phone's answer to a request of Dasan's (its Via, From, To, Call-ID and CSeq echoed)."""
    lines = [f"SIP/2.0 {status} {reason}", *(f"{name}: {request.get_header(name)}"
                                             for name in ("via", "from", "to", "call-id", "cseq")),
             "Content-Length: 0"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


async def _next_request(phone: _Phone, method: str, timeout: float = 2.0) -> tuple[float, SipMessage]:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        message = await phone.receive(max(0.01, deadline - loop.time()))
        if getattr(message, "method", "") == method:
            return loop.time(), message


async def _answered_call(server, phone, call_id: str):
    phone.request("INVITE", call_id, body=_offer("0"))
    ok = await phone.response(200, "INVITE")
    phone.request("ACK", call_id, to_tag=ok.to_addr.tag, cseq=1)
    for _ in range(100):
        if call_id in server.sessions:
            return server.sessions[call_id]
        await asyncio.sleep(0.01)
    raise AssertionError("the call was not answered")


def test_our_bye_is_resent_until_the_phone_answers_it():
    asyncio.run(_our_bye_is_resent_until_the_phone_answers_it())


async def _our_bye_is_resent_until_the_phone_answers_it():
    async with _sip() as (server, phone, made):
        session = await _answered_call(server, phone, "call-3")
        session.ended.set()  # the call ends from Dasan's side: a BYE is due
        sends = [await _next_request(phone, "BYE")]
        sends.append(await _next_request(phone, "BYE"))  # the first was "lost": not answered
        sends.append(await _next_request(phone, "BYE", timeout=3.0))
        (first, bye), (second, again), (third, last) = sends
        assert again.via[0].branch == last.via[0].branch == bye.via[0].branch  # the same request, resent
        assert again.cseq.seq == bye.cseq.seq
        # after T1 (0.5 s), then twice that (RFC 3261 §17.1.2.2)
        assert 0.35 <= second - first <= 0.8 and 0.8 <= third - second <= 1.4
        phone.sock.sendto(_answer(last), phone.server)
        with pytest.raises(asyncio.TimeoutError):  # answered: no more resends (the next was due 2 s later)
            await _next_request(phone, "BYE", timeout=2.6)
        assert server.requests._waiting == {}


def test_a_refused_refer_ends_the_call_at_once_and_an_unanswered_one_is_resent():
    asyncio.run(_a_refused_refer_ends_the_call_at_once_and_an_unanswered_one_is_resent())


async def _a_refused_refer_ends_the_call_at_once_and_an_unanswered_one_is_resent():
    async with _sip() as (server, phone, made):
        server.transfer_uri = "sip:{target}@pbx.example"
        session = await _answered_call(server, phone, "call-4")
        session.refer("agent")
        first, refer = await _next_request(phone, "REFER")
        assert refer.get_header("refer-to") == "<sip:agent@pbx.example>"
        second, again = await _next_request(phone, "REFER")
        assert again.via[0].branch == refer.via[0].branch and 0.35 <= second - first <= 0.8
        assert not session.transfer_done.is_set()
        phone.sock.sendto(_answer(again, 603, "Decline"), phone.server)
        await asyncio.wait_for(session.transfer_done.wait(), 1.0)  # no NOTIFY will come: hang up now
