"""A lean closed-loop HTTP/1.1 keep-alive load generator: raw asyncio protocols, uvloop if present.

Each of `concurrency` connections sends a pre-built request, waits for the whole response, records
its latency and sends the next; the run ends after `requests` responses or `duration` seconds,
whichever comes first. Response bodies are kept once per distinct (payload, body) so answers can
be compared after the run without parsing JSON on the hot path.
"""

import asyncio
import contextlib
import time
from collections import Counter
from dataclasses import dataclass, field

import numpy as np

HEADER_END = b"\r\n\r\n"
CONNECT_TIMEOUT = 10.0
MAX_BODIES_PER_PAYLOAD = 8


@dataclass(frozen=True)
class Payload:
    """One HTTP request, serialised once."""

    raw: bytes

    @classmethod
    def build(
        cls, method: str, path: str, *, body: bytes = b"", content_type: str | None = None
    ) -> "Payload":
        lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1", "Connection: keep-alive"]
        if content_type:
            lines.append(f"Content-Type: {content_type}")
        if body or method != "GET":
            lines.append(f"Content-Length: {len(body)}")
        return cls(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body)


@dataclass
class RunResult:
    """What one load run measured; latencies in seconds."""

    concurrency: int
    elapsed: float = 0.0
    latencies: list[float] = field(default_factory=list)
    statuses: Counter = field(default_factory=Counter)
    transport_errors: int = 0
    bodies: dict[int, Counter] = field(default_factory=dict)  # payload index → body → count

    @property
    def count(self) -> int:
        return len(self.latencies)

    @property
    def errors(self) -> int:
        """Responses that were not 2xx, plus connections that failed."""
        bad = sum(n for status, n in self.statuses.items() if not 200 <= status < 300)
        return bad + self.transport_errors

    @property
    def throughput(self) -> float:
        return self.count / self.elapsed if self.elapsed > 0 else 0.0

    def percentile(self, q: float) -> float:
        return float(np.percentile(self.latencies, q)) if self.latencies else float("nan")


class _Connection(asyncio.Protocol):
    """One keep-alive connection; `request()` sends bytes and resolves with (status, body)."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.buffer = bytearray()
        self.waiter: asyncio.Future[tuple[int, bytes]] | None = None
        self.closed = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_exception(ConnectionError(f"connection lost: {exc}"))

    def request(self, raw: bytes) -> "asyncio.Future[tuple[int, bytes]]":
        assert self.transport is not None
        self.waiter = asyncio.get_running_loop().create_future()
        self.transport.write(raw)
        return self.waiter

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        parsed = parse_response(self.buffer)
        if parsed is None or self.waiter is None or self.waiter.done():
            return
        status, body, used = parsed
        del self.buffer[:used]
        self.waiter.set_result((status, body))


def parse_response(buffer: bytearray) -> tuple[int, bytes, int] | None:
    """(status, body, bytes used) for a complete response at the start of `buffer`, else None."""
    end = buffer.find(HEADER_END)
    if end < 0:
        return None
    head = bytes(buffer[:end]).lower()
    status = int(head[9:12])
    start = end + 4
    marker = head.find(b"\r\ncontent-length:")
    if marker >= 0:
        line_end = head.find(b"\r\n", marker + 2)
        length = int(head[marker + 17 : line_end if line_end >= 0 else None])
        if len(buffer) < start + length:
            return None
        return status, bytes(buffer[start : start + length]), start + length
    if b"\r\ntransfer-encoding: chunked" in head:
        return parse_chunked(buffer, status, start)
    return status, b"", start


def parse_chunked(buffer: bytearray, status: int, start: int) -> tuple[int, bytes, int] | None:
    """Decode a complete chunked body, or None while it is incomplete."""
    body = bytearray()
    position = start
    while True:
        line_end = buffer.find(b"\r\n", position)
        if line_end < 0:
            return None
        size = int(bytes(buffer[position:line_end]).split(b";")[0], 16)
        chunk_start = line_end + 2
        if len(buffer) < chunk_start + size + 2:
            return None
        if size == 0:
            trailer_end = buffer.find(HEADER_END, line_end)
            return (status, bytes(body), trailer_end + 4) if trailer_end >= 0 else None
        body += buffer[chunk_start : chunk_start + size]
        position = chunk_start + size + 2


async def _open(host: str, port: int) -> _Connection:
    loop = asyncio.get_running_loop()
    _, protocol = await asyncio.wait_for(
        loop.create_connection(_Connection, host, port), CONNECT_TIMEOUT
    )
    return protocol


async def _worker(
    host: str,
    port: int,
    payloads: list[Payload],
    offset: int,
    result: RunResult,
    budget: list[int],
    deadline: float,
    timeout: float,
) -> None:
    """One connection's closed loop; reconnects after a failure (counted as an error)."""
    connection: _Connection | None = None
    index = offset
    try:
        while budget[0] > 0 and time.perf_counter() < deadline:
            budget[0] -= 1
            number = index % len(payloads)
            index += 1
            started = time.perf_counter()
            try:
                if connection is None or connection.closed:
                    connection = await _open(host, port)
                status, body = await asyncio.wait_for(
                    connection.request(payloads[number].raw), timeout
                )
            except (OSError, ConnectionError, TimeoutError, ValueError):
                result.transport_errors += 1
                if connection is not None and connection.transport is not None:
                    connection.transport.close()
                connection = None
                continue
            result.latencies.append(time.perf_counter() - started)
            result.statuses[status] += 1
            seen = result.bodies.setdefault(number, Counter())
            if body in seen or len(seen) < MAX_BODIES_PER_PAYLOAD:
                seen[body] += 1
    finally:
        if connection is not None and connection.transport is not None:
            connection.transport.close()


async def run_load(
    url: str,
    payloads: list[Payload],
    *,
    concurrency: int,
    requests: int,
    duration: float,
    timeout: float = 30.0,
) -> RunResult:
    """Closed-loop load: at most `requests` requests and about `duration` seconds."""
    host, port = url.removeprefix("http://").split(":")
    result = RunResult(concurrency=concurrency)
    budget = [requests]
    started = time.perf_counter()
    deadline = started + duration
    spread = max(1, len(payloads) // concurrency)
    workers = [
        _worker(host, int(port), payloads, i * spread, result, budget, deadline, timeout)
        for i in range(concurrency)
    ]
    await asyncio.gather(*workers)
    result.elapsed = time.perf_counter() - started
    return result


def new_loop() -> asyncio.AbstractEventLoop:
    """A uvloop event loop when uvloop is installed (leaner), else the default one."""
    with contextlib.suppress(ImportError):
        import uvloop

        return uvloop.new_event_loop()
    return asyncio.new_event_loop()


def load(
    url: str,
    payloads: list[Payload],
    *,
    concurrency: int,
    requests: int,
    duration: float,
    timeout: float = 30.0,
) -> RunResult:
    """Synchronous wrapper around run_load on a fresh (uv)loop."""
    loop = new_loop()
    try:
        return loop.run_until_complete(
            run_load(
                url,
                payloads,
                concurrency=concurrency,
                requests=requests,
                duration=duration,
                timeout=timeout,
            )
        )
    finally:
        loop.close()
