"""A lean HTTP/1.1 keep-alive client for load generators that share the CPUs with the server they measure.

Each connection sends requests whose bytes were assembled beforehand and reads the answer's status and body
(``Content-Length`` or chunked); nothing else of HTTP (no redirects, no TLS, no cookies). A general client such
as httpx spends several milliseconds of CPU per request on its own machinery, which on a two-core machine is CPU
taken from the server under test.
"""

from __future__ import annotations

import asyncio


class HTTPConnectionError(Exception):
    """The server closed the connection or answered something that is not HTTP/1.1."""


def request_bytes(method: str, path: str, host: str, body: bytes = b"", content_type: str | None = None) -> bytes:
    head = [f"{method} {path} HTTP/1.1", f"Host: {host}", f"Content-Length: {len(body)}"]
    if content_type:
        head.append(f"Content-Type: {content_type}")
    return ("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body


class Connection:
    """One keep-alive connection; ``send`` one request at a time and get back ``(status, body)``."""

    def __init__(self, host: str, port: int, timeout: float = 60.0):
        self.host, self.port, self.timeout = host, port, timeout
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None

    async def send(self, raw: bytes) -> tuple[int, bytes]:
        if self._writer is None:
            self._reader, self._writer = await asyncio.open_connection(self.host, self.port)
        try:
            self._writer.write(raw)
            return await asyncio.wait_for(self._answer(), self.timeout)
        except BaseException:
            self.close()
            raise

    async def _answer(self) -> tuple[int, bytes]:
        reader = self._reader
        try:
            head = await reader.readuntil(b"\r\n\r\n")
        except asyncio.IncompleteReadError as exc:
            raise HTTPConnectionError("the server closed the connection") from exc
        lines = head.decode("latin-1").split("\r\n")
        parts = lines[0].split(" ", 2)
        if len(parts) < 2 or not parts[0].startswith("HTTP/1."):
            raise HTTPConnectionError(f"not an HTTP/1.1 answer: {lines[0]!r}")
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            if name:
                headers[name.strip().lower()] = value.strip()
        if headers.get("transfer-encoding", "").lower() == "chunked":
            body = await self._chunked(reader)
        else:
            body = await reader.readexactly(int(headers.get("content-length", "0")))
        if headers.get("connection", "").lower() == "close":
            self.close()
        return int(parts[1]), body

    @staticmethod
    async def _chunked(reader: asyncio.StreamReader) -> bytes:
        chunks = []
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            if size == 0:
                await reader.readuntil(b"\r\n")  # no trailers are sent by the servers measured here
                return b"".join(chunks)
            chunks.append(await reader.readexactly(size))
            await reader.readexactly(2)

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
        self._reader = self._writer = None
