"""Running the real `dasan serve` in a subprocess on a free port, for tests over real HTTP."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time

import httpx


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(data_dir, timeout: float = 180, **env_extra) -> tuple[subprocess.Popen, str]:
    """Start a server with its own data directory; returns (process, base URL) once it answers /healthz."""
    port = free_port()
    env = {**os.environ, "DASAN_DATA_DIR": str(data_dir), **env_extra}
    process = subprocess.Popen([sys.executable, "-m", "dasan.cli", "serve", "--port", str(port)], env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"server exited: {process.stdout.read()}")
        try:
            httpx.get(f"{base}/healthz", timeout=1)
            return process, base
        except httpx.TransportError:
            time.sleep(0.3)
    process.kill()
    raise AssertionError(f"server did not start within {timeout} s")


def stop_server(process: subprocess.Popen) -> str:
    """Stop the server and return everything it logged."""
    process.terminate()
    try:
        return process.communicate(timeout=30)[0]
    except subprocess.TimeoutExpired:
        process.kill()
        return process.communicate()[0]
