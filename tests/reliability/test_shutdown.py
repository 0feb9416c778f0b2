"""Graceful shutdown: SIGTERM with 32 requests in flight; each gets its own 200, exit code 0."""

import asyncio
import signal

import httpx
import numpy as np
import pytest

from tests.live import live_server
from tests.reliability.mnist_requests import expected_digits, in_flight, png_bytes

IN_FLIGHT = 32
BATCH = 192  # big batches keep each request busy for a while, legitimately


async def until_in_flight(url: str, count: int, pending: list[asyncio.Task]) -> None:
    """Poll /metrics until `count` requests are inside the app (bounded; the scrape is one)."""
    async with httpx.AsyncClient(timeout=30) as client:
        for _ in range(600):
            scrape = await client.get(f"{url}/metrics")
            if in_flight(scrape.text) >= count + 1:
                return
            if any(task.done() for task in pending):
                pytest.fail("a request finished before all were in flight; make batches bigger")
            await asyncio.sleep(0.05)
    pytest.fail(f"{count} requests never were in flight together")


@pytest.mark.slow
def test_sigterm_lets_in_flight_requests_finish_and_exits_0(
    mnist_test: tuple[np.ndarray, np.ndarray],
) -> None:
    images = mnist_test[0][: IN_FLIGHT * BATCH]
    pngs = [png_bytes(image) for image in images]
    expected = expected_digits(pngs)
    env = {"DIGITS_GRACEFUL_TIMEOUT": "300", "DIGITS_REQUEST_TIMEOUT": "300"}
    with live_server(env=env) as server:

        async def scenario() -> list[httpx.Response]:
            limits = httpx.Limits(max_connections=IN_FLIGHT)
            async with httpx.AsyncClient(timeout=300, limits=limits) as client:
                tasks = [
                    asyncio.create_task(
                        client.post(
                            f"{server.url}/v1/predict/batch",
                            files=[("files", (f"{i}.png", data, "image/png")) for data in part],
                        )
                    )
                    for i, part in enumerate(
                        pngs[start : start + BATCH] for start in range(0, len(pngs), BATCH)
                    )
                ]
                await until_in_flight(server.url, IN_FLIGHT, tasks)
                server.process.send_signal(signal.SIGTERM)
                return await asyncio.gather(*tasks)

        responses = asyncio.run(scenario())
        exit_code = server.process.wait(timeout=300)
        output = server.output()
    assert [r.status_code for r in responses] == [200] * IN_FLIGHT, output[-2000:]
    answered = [result["digit"] for r in responses for result in r.json()["results"]]
    assert answered == expected
    assert exit_code == 0, output[-2000:]
    assert "Shutting down" in output
