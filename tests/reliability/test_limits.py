"""Limits enforced while reading: body size while streaming, in-flight work, request timeout."""

import json
import time
from collections.abc import Iterator
from typing import Any

import anyio
import httpx
import pytest
from starlette.types import Message, Receive, Scope, Send

from service.middleware import Gate
from tests.live import LiveServer, live_server
from tests.reliability.rawhttp import chunk, read_answer, start_request

KB = 1024


async def reading_app(scope: Scope, receive: Receive, send: Send) -> None:
    """Reads the whole body like a route does, then answers 200."""
    while (await receive()).get("more_body", False):
        pass
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"{}"})


class Exchange:
    """Drive an ASGI app with a body in chunks; record what it pulled and what it answered."""

    def __init__(self, chunks: list[bytes], headers: dict[str, str] | None = None) -> None:
        self.chunks = chunks
        self.headers = [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]
        self.pulled = 0
        self.messages: list[Message] = []

    async def receive(self) -> Message:
        if self.pulled == len(self.chunks):
            await anyio.sleep_forever()
        self.pulled += 1
        more = self.pulled < len(self.chunks)
        return {"type": "http.request", "body": self.chunks[self.pulled - 1], "more_body": more}

    async def send(self, message: Message) -> None:
        self.messages.append(message)

    async def run(self, app: Any, method: str = "POST", path: str = "/v1/predict") -> None:
        scope = {"type": "http", "method": method, "path": path, "headers": self.headers}
        await app(scope, self.receive, self.send)

    @property
    def status(self) -> int:
        return next(m["status"] for m in self.messages if m["type"] == "http.response.start")

    @property
    def response_headers(self) -> dict[str, str]:
        start = next(m for m in self.messages if m["type"] == "http.response.start")
        return {k.decode(): v.decode() for k, v in start["headers"]}

    @property
    def body(self) -> dict[str, Any]:
        return json.loads(b"".join(m.get("body", b"") for m in self.messages[1:]))


def test_body_limit_stops_pulling_chunks_once_past_the_limit() -> None:
    exchange = Exchange([b"x" * KB] * 100)
    anyio.run(exchange.run, Gate(reading_app, max_bytes=4 * KB, observe=False))
    assert exchange.status == 413
    assert exchange.body["code"] == "payload_too_large"
    assert exchange.pulled == 5  # the chunk that crossed the limit, not the 95 after it


def test_body_limit_refuses_a_large_content_length_without_reading() -> None:
    exchange = Exchange([b"x" * KB], {"Content-Length": str(10 * KB)})
    anyio.run(exchange.run, Gate(reading_app, max_bytes=4 * KB, observe=False))
    assert (exchange.status, exchange.body["code"], exchange.pulled) == (
        413,
        "payload_too_large",
        0,
    )


def test_body_limit_lets_a_body_at_the_limit_through() -> None:
    exchange = Exchange([b"x" * KB] * 4)
    anyio.run(exchange.run, Gate(reading_app, max_bytes=4 * KB, observe=False))
    assert exchange.status == 200


def test_in_flight_limit_refuses_the_extra_request_and_spares_health() -> None:
    release = anyio.Event()

    async def held_app(scope: Scope, receive: Receive, send: Send) -> None:
        await release.wait()
        await reading_app(scope, receive, send)

    middleware = Gate(held_app, max_in_flight=2, observe=False)
    held = [Exchange([b"{}"]) for _ in range(2)]
    extra, health, after = Exchange([b"{}"]), Exchange([b""]), Exchange([b"{}"])

    async def scenario() -> None:
        async with anyio.create_task_group() as group:
            for exchange in held:
                group.start_soon(exchange.run, middleware)
            await anyio.wait_all_tasks_blocked()
            await extra.run(middleware)
            group.start_soon(health.run, middleware, "GET", "/health")
            await anyio.wait_all_tasks_blocked()
            release.set()
        await after.run(middleware)

    anyio.run(scenario)
    assert extra.status == 503
    assert extra.body["code"] == "overloaded" and extra.response_headers["retry-after"] == "1"
    assert [e.status for e in [*held, health, after]] == [200, 200, 200, 200]
    assert middleware.in_flight == 0


def test_timeout_answers_504_instead_of_hanging() -> None:
    async def stuck_app(scope: Scope, receive: Receive, send: Send) -> None:
        await anyio.sleep_forever()

    exchange = Exchange([b""])
    anyio.run(exchange.run, Gate(stuck_app, timeout=0.05, observe=False))
    assert exchange.status == 504 and exchange.body["code"] == "timeout"


@pytest.fixture(scope="module")
def limited_server() -> Iterator[LiveServer]:
    env = {"DIGITS_MAX_REQUEST_BYTES": str(64 * KB), "DIGITS_MAX_IN_FLIGHT": "1"}
    with live_server(env=env) as server:
        yield server


def test_streamed_body_over_the_limit_is_refused_before_it_is_all_sent(
    limited_server: LiveServer,
) -> None:
    """A chunked upload (no Content-Length) of up to 64 MB gets 413 after about 64 KB."""
    headers = {"Content-Type": "image/png", "Transfer-Encoding": "chunked"}
    sock = start_request(limited_server.url, "/v1/predict", headers)
    sent, piece = 0, b"\0" * (16 * KB)
    with sock:
        try:
            while sent < 64 * KB * KB:
                sock.sendall(chunk(piece))
                sent += len(piece)
        except OSError:  # the server answered and closed while we were still sending
            pass
        answer = read_answer(sock)
    assert answer.status == 413 and answer.body["code"] == "payload_too_large"
    assert sent < 64 * KB * KB


def test_declared_length_over_the_limit_is_refused_without_the_body(
    limited_server: LiveServer,
) -> None:
    headers = {"Content-Type": "image/png", "Content-Length": str(100 * KB * KB)}
    with start_request(limited_server.url, "/v1/predict", headers) as sock:
        answer = read_answer(sock)  # not one body byte sent
    assert answer.status == 413 and answer.body["code"] == "payload_too_large"
    assert answer.headers["connection"] == "close"


def test_past_the_in_flight_limit_the_server_answers_503_and_health_still_works(
    limited_server: LiveServer,
) -> None:
    url = limited_server.url
    png = {"Content-Type": "image/png"}
    with start_request(url, "/v1/predict", {**png, "Content-Length": "1000"}) as slow:
        slow.sendall(b"\x89PNG")  # the upload stalls here, holding the only slot
        for _ in range(50):  # bounded: the held request must reach the server first
            refused = httpx.post(f"{url}/v1/predict", content=b"x", headers=png, timeout=30)
            if refused.status_code == 503:
                break
            time.sleep(0.1)
        assert refused.status_code == 503
        assert refused.json()["code"] == "overloaded"
        assert int(refused.headers["retry-after"]) >= 1
        assert httpx.get(f"{url}/health", timeout=30).status_code == 200
        slow.sendall(b"\0" * 996)
        assert read_answer(slow).status == 400  # the held request itself still gets its answer
    answer = httpx.post(f"{url}/v1/predict", content=b"x", headers=png, timeout=30)
    assert answer.status_code == 400 and answer.json()["code"] == "invalid_image"


def test_a_stalled_upload_gets_504_timeout() -> None:
    with live_server(env={"DIGITS_REQUEST_TIMEOUT": "1"}) as server:
        headers = {"Content-Type": "image/png", "Content-Length": "1000"}
        with start_request(server.url, "/v1/predict", headers) as sock:
            sock.sendall(b"\x89PNG")  # ...and nothing more
            try:
                answer = read_answer(sock)
            except TimeoutError:
                pytest.fail("the server never answered a stalled upload")
        assert answer.status == 504 and answer.body["code"] == "timeout"
        assert httpx.get(f"{server.url}/health", timeout=30).status_code == 200
