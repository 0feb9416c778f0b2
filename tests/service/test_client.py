"""DigitsClient / AsyncDigitsClient against a real running service, plus retry behaviour."""

import asyncio
from collections.abc import Iterator
from pathlib import Path

import httpx
import numpy as np
import pytest

from digits_client import client as client_module
from digits_client.client import (
    AsyncDigitsClient,
    DigitsAPIError,
    DigitsClient,
    DigitsConnectionError,
)
from tests.live import free_port, live_server
from tests.service.scans import make_number_scans, png_bytes, scan


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    with live_server() as live:
        yield live.url


@pytest.fixture
def api(server: str) -> Iterator[DigitsClient]:
    with DigitsClient(server, timeout=30) as client:
        yield client


def test_ready_and_model_card(api: DigitsClient) -> None:
    assert api.ready() is True
    card = api.model()
    assert card["name"] and 0.0 <= card["threshold"] <= 1.0


def test_predict_accepts_path_bytes_pil_and_arrays(api: DigitsClient, mnist_test, tmp_path) -> None:
    images, labels = mnist_test
    path = tmp_path / "digit.png"
    scan(images[0]).save(path)
    inputs = [
        path,
        str(path),
        png_bytes(scan(images[0])),
        scan(images[0]),
        images[0],  # uint8 MNIST convention
        images[0].astype(np.float32) / 255.0,  # float MNIST convention
    ]
    for image in inputs:
        result = api.predict(image)
        assert result["digit"] == labels[0], type(image)
        assert result["confidence"] == max(result["probabilities"])


def test_predict_batch_keeps_order_and_reports_bad_items(api: DigitsClient, mnist_test) -> None:
    images, labels = mnist_test
    batch = [images[i] for i in range(20)]
    batch.insert(5, b"definitely not an image")
    response = api.predict_batch(batch)
    assert response["count"] == 21 and response["failed"] == 1
    results = response["results"]
    assert [r["index"] for r in results] == list(range(21))
    assert results[5]["error"]["code"] == "invalid_image"
    predicted = [r["digit"] for r in results if "digit" in r]
    # The shipped model is far better than 90% on MNIST; the assert still fails on a broken path.
    assert sum(int(p == label) for p, label in zip(predicted, labels[:20], strict=True)) >= 18


def test_api_error_carries_status_code_and_detail(api: DigitsClient) -> None:
    with pytest.raises(DigitsAPIError) as caught:
        api.predict(b"not an image")
    assert caught.value.status == 400
    assert caught.value.code == "invalid_image"
    assert "image" in caught.value.detail


def test_read_and_read_batch(api: DigitsClient, mnist_test, tmp_path: Path) -> None:
    images, labels = mnist_test
    numbers = make_number_scans(tmp_path, images, labels)
    paths = list(numbers)
    one = api.read(paths[0])
    assert one["text"] == numbers[paths[0]]
    assert len(one["digits"]) == len(one["text"])
    batch = api.read_batch([*paths, b"junk"], filenames=["a.png", "b.png", "c.png", "junk.bin"])
    assert [r.get("text") for r in batch["results"][:3]] == list(numbers.values())
    assert batch["results"][3]["error"]["code"] == "invalid_image"
    assert batch["results"][1]["filename"] == "b.png"


def test_async_client_matches_sync(server: str, api: DigitsClient, mnist_test) -> None:
    images, _ = mnist_test

    async def go() -> tuple[dict, dict, bool]:
        async with AsyncDigitsClient(server) as client:
            one, many = await asyncio.gather(
                client.predict(images[3]), client.predict_batch([images[3], images[4]])
            )
            return one, many, await client.ready()

    one, many, ready = asyncio.run(go())
    assert ready
    assert one["digit"] == api.predict(images[3])["digit"] == many["results"][0]["digit"]


def test_unreachable_after_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    sleeps: list[float] = []
    monkeypatch.setattr(client_module.time, "sleep", sleeps.append)
    with DigitsClient(f"http://127.0.0.1:{free_port()}", retries=2, backoff=0.25) as client:
        assert client.ready() is False
        with pytest.raises(DigitsConnectionError) as caught:
            client.model()
    assert caught.value.code == "unreachable"
    assert sleeps == [0.25, 0.5]


def mock_client(handler, **options) -> DigitsClient:
    client = DigitsClient("http://digits.test", **options)
    client.http = httpx.Client(
        base_url="http://digits.test",
        headers=client.headers,
        transport=httpx.MockTransport(handler),
    )
    return client


def test_503_is_retried_honouring_retry_after(monkeypatch: pytest.MonkeyPatch) -> None:
    sleeps: list[float] = []
    monkeypatch.setattr(client_module.time, "sleep", sleeps.append)
    seen: list[str | None] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers.get("Authorization"))
        if len(seen) < 3:
            return httpx.Response(
                503, json={"detail": "busy", "code": "overloaded"}, headers={"Retry-After": "2"}
            )
        return httpx.Response(200, json={"name": "digits"})

    with mock_client(handler, api_key="s3cret") as client:
        assert client.model() == {"name": "digits"}
    assert sleeps == [2.0, 2.0]
    assert seen == ["Bearer s3cret"] * 3


def test_persistent_503_raises_typed_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(client_module.time, "sleep", lambda _seconds: None)
    calls = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        return httpx.Response(503, json={"detail": "loading", "code": "not_ready"})

    with mock_client(handler, retries=3) as client, pytest.raises(DigitsAPIError) as caught:
        client.predict(np.zeros((28, 28), dtype=np.uint8))
    assert (caught.value.status, caught.value.code) == (503, "not_ready")
    assert len(calls) == 4


def test_bad_array_shape_is_refused_before_sending(api: DigitsClient) -> None:
    with pytest.raises(ValueError):
        api.predict(np.zeros((2, 3, 5)))
    with pytest.raises(TypeError):
        api.predict(Path)  # type: ignore[arg-type]
