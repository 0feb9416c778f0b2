"""`python -m bench.nullserver PORT`: answers every HTTP/1.1 request with a fixed 200 at once.

The load generator's own ceiling is measured against it: whatever rate this reaches is the most the
client can drive on this machine, independent of the service.
"""

import asyncio
import sys

from bench.loadgen import new_loop

RESPONSE = (
    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 15\r\n\r\n"
    b'{"status":"ok"}'
)


class _Echo(asyncio.Protocol):
    """Counts complete request heads (bodies are not expected) and answers each one."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.buffer = b""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        requests = self.buffer.count(b"\r\n\r\n")
        if requests and self.transport is not None:
            self.buffer = self.buffer[self.buffer.rfind(b"\r\n\r\n") + 4 :]
            self.transport.write(RESPONSE * requests)


async def serve(port: int) -> None:
    server = await asyncio.get_running_loop().create_server(_Echo, "127.0.0.1", port)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    loop = new_loop()
    asyncio.set_event_loop(loop)
    loop.run_until_complete(serve(int(sys.argv[1])))
