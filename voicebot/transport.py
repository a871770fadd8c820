"""What every transport shares: the call's outbound queue and the lifetime of one connection.

A :class:`Outbound` is what a :class:`voicebot.call.Call` talks to. The call puts the bot's audio (20 ms frames of
16 kHz int16), ``clear``, marks, the transfer and its events (state changes, transcript lines, language) on one
ordered queue without waiting; one writer task per connection turns each into the transport's wire format.
``clear`` drops the audio still queued before it goes out (barge-in is immediate at both ends). A transport
subclasses :class:`Outbound` and writes its own format; :func:`serve_call` runs the call, the writer and the
transport's receive loop as one unit: whichever ends first ends the others, and nothing outlives the connection.
"""

from __future__ import annotations

import asyncio
import logging
from abc import ABC, abstractmethod
from collections import deque
from collections.abc import Awaitable, Callable

import numpy as np

log = logging.getLogger("dasan.voicebot")


class Outbound(ABC):
    """The call's side of a connection. Subclasses implement the ``write_*`` methods (async, in wire order)."""

    def __init__(self) -> None:
        self._queue: deque[tuple] = deque()
        self._wakeup = asyncio.Event()
        self.frames_sent = 0
        self.closed = False

    # ---------------------------------------------------------------- used by the call (never blocks)
    def send_audio(self, frame: np.ndarray) -> None:
        self._put(("audio", frame))

    def clear(self) -> None:
        self._queue = deque(item for item in self._queue if item[0] != "audio")
        self._put(("clear",))

    def mark(self, name: str) -> None:
        self._put(("mark", name))

    def transfer(self, summary: str, reason: str, target: str) -> None:
        self._put(("transfer", summary, reason, target))

    def event(self, kind: str, **data) -> None:
        """Something the caller's screen may show (state, transcript, language); telephony ignores it."""
        self._put(("event", kind, data))

    def _put(self, item: tuple) -> None:
        if not self.closed:
            self._queue.append(item)
            self._wakeup.set()

    # ---------------------------------------------------------------- the writer task
    async def run_writer(self) -> None:
        while True:
            while not self._queue:
                self._wakeup.clear()
                await self._wakeup.wait()
            item = self._queue.popleft()
            try:
                await self._write(item)
            except Exception as exc:  # the caller is gone (the error type depends on the WebSocket backend)
                log.debug("outbound write failed, the connection is closed: %s", exc)
                self.closed = True
                self._queue.clear()
                return

    async def flush(self, timeout: float = 5.0) -> None:
        """Until everything queued is written (or the connection is gone)."""
        deadline = asyncio.get_running_loop().time() + timeout
        while self._queue and not self.closed and asyncio.get_running_loop().time() < deadline:
            await asyncio.sleep(0.01)

    async def _write(self, item: tuple) -> None:
        kind = item[0]
        if kind == "audio":
            self.frames_sent += 1
            await self.write_audio(item[1])
        elif kind == "clear":
            await self.write_clear()
        elif kind == "mark":
            await self.write_mark(item[1])
        elif kind == "transfer":
            await self.write_transfer(*item[1:])
        else:
            await self.write_event(item[1], item[2])

    @abstractmethod
    async def write_audio(self, frame: np.ndarray) -> None:
        """Write one item in the transport's wire format."""

    @abstractmethod
    async def write_clear(self) -> None:
        """Write one item in the transport's wire format."""

    @abstractmethod
    async def write_mark(self, name: str) -> None:
        """Write one item in the transport's wire format."""

    @abstractmethod
    async def write_transfer(self, summary: str, reason: str, target: str) -> None:
        """Write one item in the transport's wire format."""

    async def write_event(self, kind: str, data: dict) -> None:
        """Events are optional: a transport without a screen drops them."""


async def serve_call(call, outbound: Outbound, receive: Callable[[], Awaitable[None]]) -> None:
    """Run ``call``, ``outbound``'s writer and the transport's ``receive`` loop until one of them ends (the call
    ends, the caller hangs up, or the connection breaks); then cancel and await the others. A call that ends by
    itself (goodbye, transfer) has what it queued written before the connection closes."""
    name = f"call-{call.id}"
    running = asyncio.create_task(call.run(), name=name)
    writer = asyncio.create_task(outbound.run_writer(), name=f"{name}-send")
    receiver = asyncio.create_task(receive(), name=f"{name}-receive")
    try:
        await asyncio.wait({running, writer, receiver}, return_when=asyncio.FIRST_COMPLETED)
        if running.done() and not writer.done():
            await outbound.flush()
    finally:
        for task in (receiver, running, writer):
            if not task.done():
                task.cancel()
        for task in (receiver, running, writer):
            try:
                await task
            except asyncio.CancelledError:
                pass
            except Exception as exc:  # a broken connection ends the receive loop with the backend's error
                log.debug("call %s: %s ended with %s: %s", call.id, task.get_name(), type(exc).__name__, exc)
        log.info("call %s ended: %s", call.id, call.record.outcome)
