"""Serving the app in this process: uvicorn in a thread on a free local port, for commands that talk to their own
server over real HTTP and WebSockets (``dasan eval voicebot``) and for the tests."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from dataclasses import dataclass

import uvicorn


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class InThread:
    """A running server: its base URL, the app and the uvicorn server (stopped by :meth:`stop` or ``with``)."""

    base: str
    app: object
    server: uvicorn.Server
    thread: threading.Thread
    loop: asyncio.AbstractEventLoop

    @property
    def runtime(self):
        return self.app.state.runtime

    @property
    def ws_base(self) -> str:
        return "ws" + self.base.removeprefix("http")

    def wait_ready(self, timeout: float = 300) -> None:
        """Until the runtime has finished loading (models, the assistant's index)."""
        deadline = time.monotonic() + timeout
        while not (self.runtime is not None and self.runtime.startup.ready):
            if time.monotonic() > deadline:
                raise TimeoutError(f"the server did not finish starting within {timeout:.0f} s")
            time.sleep(0.05)

    def tasks(self, prefix: str = "") -> list[str]:
        """Names of the server loop's live tasks that start with ``prefix`` (to find leftovers)."""
        async def names() -> list[str]:
            return [t.get_name() for t in asyncio.all_tasks() if t.get_name().startswith(prefix)]

        return asyncio.run_coroutine_threadsafe(names(), self.loop).result(timeout=5)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=30)

    def __enter__(self) -> "InThread":
        return self

    def __exit__(self, *_exc) -> None:
        self.stop()


def serve_in_thread(app, port: int | None = None, timeout: float = 60, **config) -> InThread:
    """Start ``app`` under uvicorn in a daemon thread and return once it listens."""
    port = port or free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on",
                                           **config))
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_until_complete, args=(server.serve(),), name=f"uvicorn-{port}",
                              daemon=True)
    thread.start()
    deadline = time.monotonic() + timeout
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            server.should_exit = True
            raise RuntimeError("the server did not start (see the log above)")
        time.sleep(0.02)
    return InThread(f"http://127.0.0.1:{port}", app, server, thread, loop)
