"""`digits_errors_total{code}` rises by exactly one per failed request or batch item, whoever
refused it (route, handler or middleware); `/v1/read` digits count as predictions."""

from collections.abc import Iterator
from pathlib import Path

import anyio
import numpy as np
import pytest
from fastapi.testclient import TestClient
from prometheus_client import REGISTRY
from starlette.types import Receive, Scope, Send

from service.app import create_app
from service.middleware import Gate
from service.settings import Settings
from tests.conftest import MODEL_PATH
from tests.reliability.cases import BATCH, Case, all_cases, multipart
from tests.reliability.payloads import png
from tests.service.scans import make_number_scans


def counts(metric: str, label: str) -> dict[str, float]:
    """The current samples of a labelled counter, by label value."""
    return {
        sample.labels[label]: sample.value
        for family in REGISTRY.collect()
        if family.name == metric
        for sample in family.samples
        if sample.name == f"{metric}_total"
    }


def rise(before: dict[str, float], after: dict[str, float]) -> dict[str, float]:
    """What each label rose by, leaving out those that did not move."""
    keys = set(before) | set(after)
    moved = {k: after.get(k, 0.0) - before.get(k, 0.0) for k in keys}
    return {k: v for k, v in moved.items() if v}


def error_counts() -> dict[str, float]:
    return counts("digits_errors", "code")


@pytest.fixture(scope="module")
def app_client() -> Iterator[TestClient]:
    with TestClient(create_app(Settings(model_path=MODEL_PATH, workers=1))) as client:
        yield client


@pytest.mark.parametrize("case", all_cases(), ids=lambda case: case.id)
def test_every_hostile_case_counts_each_failure_once(case: Case, app_client: TestClient) -> None:
    before = error_counts()
    response = app_client.post(case.route, **case.request())
    assert response.status_code == case.status
    if case.code is not None:
        expected = {case.code: 1.0}
    elif case.item_code is not None:
        expected = {case.item_code: float(response.json()["count"])}
    else:
        expected = {}
    assert rise(before, error_counts()) == expected


def test_a_failed_read_batch_item_counts_once(app_client: TestClient) -> None:
    files = [("files", ("ok.png", png(), "image/png")), ("files", ("bad.png", b"x", "image/png"))]
    before = error_counts()
    response = app_client.post("/v1/read/batch", files=files)
    assert response.status_code == 200 and response.json()["failed"] == 1
    assert rise(before, error_counts()) == {"invalid_image": 1.0}


@pytest.mark.parametrize(
    ("settings", "headers", "size", "code"),
    [
        ({"max_request_bytes": 1024}, {}, 4096, "payload_too_large"),
        ({"api_key": "secret"}, {}, 10, "unauthorized"),
        ({"api_key": "secret"}, {"Authorization": "Bearer wrong"}, 10, "unauthorized"),
    ],
    ids=["body-limit-413", "no-key-401", "wrong-key-401"],
)
def test_middleware_refusals_count_once(
    settings: dict, headers: dict[str, str], size: int, code: str
) -> None:
    app = create_app(Settings(model_path=MODEL_PATH, workers=1, **settings))
    with TestClient(app) as client:
        for route in ("/v1/predict", BATCH, "/v2/models/digits/infer"):
            before = error_counts()
            request = (
                multipart("files", b"x" * size) if route == BATCH else {"content": b"x" * size}
            )
            response = client.post(route, headers=headers, **request)
            assert response.status_code in (401, 413)
            assert rise(before, error_counts()) == {code: 1.0}, route


def test_an_overload_refusal_counts_once() -> None:
    release = anyio.Event()

    async def held_app(scope: Scope, receive: Receive, send: Send) -> None:
        await release.wait()
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"{}"})

    middleware = Gate(held_app, max_in_flight=1, observe=False)
    statuses: list[int] = []

    async def call() -> None:
        async def receive() -> dict:
            return {"type": "http.request", "body": b"{}", "more_body": False}

        async def send(message: dict) -> None:
            if message["type"] == "http.response.start":
                statuses.append(message["status"])

        scope = {"type": "http", "method": "POST", "path": "/v1/predict", "headers": []}
        await middleware(scope, receive, send)

    async def scenario() -> None:
        async with anyio.create_task_group() as group:
            group.start_soon(call)
            await anyio.wait_all_tasks_blocked()
            await call()
            release.set()

    before = error_counts()
    anyio.run(scenario)
    assert sorted(statuses) == [200, 503]
    assert rise(before, error_counts()) == {"overloaded": 1.0}


def test_read_digits_count_as_predictions(
    app_client: TestClient, mnist_test: tuple[np.ndarray, np.ndarray], tmp_path: Path
) -> None:
    images, labels = mnist_test
    scans = make_number_scans(tmp_path, images, labels)
    path = next(iter(scans))
    before = counts("digits_predictions", "digit")
    response = app_client.post("/v1/read", files={"file": ("n.png", Path(path).read_bytes())})
    assert response.status_code == 200
    text = response.json()["text"]
    assert text
    assert sum(rise(before, counts("digits_predictions", "digit")).values()) == len(text)
