"""The requests Dasan itself sends in a SIP dialog (BYE, REFER), sent reliably over UDP.

UDP loses datagrams, so a request is sent again until an answer comes, as RFC 3261 §17.1.2.2 has a non-INVITE
client transaction do: after T1 (0.5 s), then at twice the interval each time up to T2 (4 s), and given up after
Timer F (64 T1 = 32 s). A provisional answer (1xx) makes the resends every T2; a final one (>= 200) ends them. An
answer is matched to its request by the top Via branch and the CSeq method, as §17.1.3 matches them.
:class:`PendingRequests` holds the outstanding ones.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

log = logging.getLogger(__name__)

T1 = 0.5  # RFC 3261's estimate of the round trip
T2 = 4.0  # the longest interval between resends of a non-INVITE request
TIMER_F = 64 * T1  # no answer in this long: the request is given up


def _key(message) -> tuple[str, str] | None:
    try:
        vias, cseq = message.via, message.cseq
    except Exception:  # a malformed Via or CSeq: nothing of ours to match
        return None
    if not vias or vias[0].branch is None or cseq is None:
        return None
    return vias[0].branch, cseq.method.upper()


class PendingRequests:
    """Our requests still waiting for a final answer, each resent on the schedule until one comes.

    ``transmit(request, address)`` puts a request on the wire. :meth:`send` returns a future of the final answer's
    status code (None when Timer F ran out or the requests were cancelled); the transport hands every response
    to :meth:`answered` first.
    """

    def __init__(self, transmit: Callable[[object, tuple[str, int]], None], t1: float = T1, t2: float = T2,
                 timer_f: float = TIMER_F):
        self._send = transmit
        self.t1, self.t2, self.timer_f = t1, t2, timer_f
        self._waiting: dict[tuple[str, str], tuple[asyncio.Future, asyncio.Event]] = {}
        self._tasks: set[asyncio.Task] = set()

    def send(self, request, address: tuple[str, int], sent: bool = False) -> asyncio.Future:
        """Send ``request`` (``sent``: it has just been sent once already) and resend it until answered."""
        key = _key(request)
        outcome = asyncio.get_running_loop().create_future()
        if key is None:  # no branch to match an answer with: sent once
            if not sent:
                self._send(request, address)
            outcome.set_result(None)
            return outcome
        provisional = asyncio.Event()
        self._waiting[key] = (outcome, provisional)
        task = asyncio.get_running_loop().create_task(
            self._resend(key, request, address, outcome, provisional, sent), name=f"sip-{key[1].lower()}-{key[0]}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return outcome

    async def _resend(self, key, request, address, outcome: asyncio.Future, provisional: asyncio.Event,
                      sent: bool) -> None:
        loop = asyncio.get_running_loop()
        give_up_at = loop.time() + self.timer_f
        delay = self.t1
        try:
            if not sent:
                self._send(request, address)
            while not outcome.done():
                wait = min(self.t2 if provisional.is_set() else delay, give_up_at - loop.time())
                if wait <= 0:
                    log.warning("sip %s %s: no answer in %.0f s, given up", key[1], key[0], self.timer_f)
                    break
                try:
                    await asyncio.wait_for(asyncio.shield(outcome), wait)
                except asyncio.TimeoutError:
                    if loop.time() < give_up_at:
                        self._send(request, address)
                        delay = min(delay * 2, self.t2)
        finally:
            self._waiting.pop(key, None)
            if not outcome.done():
                outcome.set_result(None)

    def answered(self, message) -> bool:
        """Take a response meant for one of our requests (True), or leave it to the dialog layer (False)."""
        status = getattr(message, "status_code", None)
        key = _key(message) if status is not None else None
        waiting = self._waiting.get(key) if key is not None else None
        if waiting is None:
            return False
        outcome, provisional = waiting
        if status >= 200:
            if not outcome.done():
                outcome.set_result(status)
        else:
            provisional.set()
        return True

    async def close(self, wait_s: float = 0.0) -> None:
        """Let the outstanding requests finish for up to ``wait_s``, then stop resending them."""
        if self._tasks and wait_s > 0:
            await asyncio.wait(set(self._tasks), timeout=wait_s)
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
