"""No cross-talk: 2,000 distinct digits at concurrency 64 against 2 workers, each answer its own."""

import asyncio

import httpx
import numpy as np
import pytest

from service.logs import ACCESS_LOGGER
from tests.live import live_server
from tests.reliability.mnist_requests import expected_digits, png_bytes

REQUESTS = 2000
CONCURRENCY = 64


async def predict_all(url: str, pngs: list[bytes]) -> list[httpx.Response | BaseException]:
    gate = asyncio.Semaphore(CONCURRENCY)
    limits = httpx.Limits(max_connections=CONCURRENCY)
    async with httpx.AsyncClient(base_url=url, timeout=120, limits=limits) as client:

        async def one(index: int, data: bytes) -> httpx.Response:
            async with gate:
                return await client.post(
                    "/v1/predict",
                    content=data,
                    headers={"content-type": "image/png", "x-request-id": f"digit-{index}"},
                )

        return await asyncio.gather(
            *(one(i, data) for i, data in enumerate(pngs)), return_exceptions=True
        )


@pytest.mark.slow
def test_2000_concurrent_requests_each_get_their_own_answer(
    mnist_test: tuple[np.ndarray, np.ndarray],
) -> None:
    images, labels = mnist_test
    pngs = [png_bytes(image) for image in images[:REQUESTS]]
    expected = expected_digits(pngs)
    with live_server(workers=2) as server:
        outcomes = asyncio.run(predict_all(server.url, pngs))
        # The server's own messages (worker restarts, errors), without the access lines.
        notes = [line for line in server.output().splitlines() if ACCESS_LOGGER not in line]
    failures = [o for o in outcomes if not isinstance(o, httpx.Response) or o.status_code != 200]
    summary = sorted({repr(o) if isinstance(o, BaseException) else str(o) for o in failures})
    assert not failures, f"{len(failures)} failed: {summary[:5]}\n" + "\n".join(notes[-30:])
    responses = [o for o in outcomes if isinstance(o, httpx.Response)]
    # The id round-trips, so each answer belongs to the request that carried the image.
    assert [r.headers["x-request-id"] for r in responses] == [f"digit-{i}" for i in range(REQUESTS)]
    answered = [r.json()["digit"] for r in responses]
    mismatches = [i for i, (a, e) in enumerate(zip(answered, expected, strict=True)) if a != e]
    assert not mismatches, f"{len(mismatches)} answers differ, first at {mismatches[:5]}"
    # Sanity: the model is actually reading the digits, so a cross-talk would show.
    assert np.mean(np.array(answered) == labels[:REQUESTS]) > 0.9
