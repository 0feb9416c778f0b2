"""Open Inference Protocol (v2) errors: every bad request is a 4xx with `{"error": ...}`."""

import gzip
from typing import Any

import orjson
import pytest
from fastapi.testclient import TestClient

from service.app import create_app
from service.settings import Settings
from tests.service.test_v2 import INFER, binary_body, tensor


def encoded(headers: dict[str, str]) -> dict[str, bytes]:
    """Headers as latin-1 bytes, so tests can send what a raw HTTP client could."""
    return {name: value.encode("latin-1") for name, value in headers.items()}


PIXELS = [0.0] * 784
BAD_REQUESTS: dict[str, Any] = {
    "int32 datatype": {"inputs": [tensor([0] * 784, [1, 784], "INT32")]},
    "wrong trailing shape": {"inputs": [tensor(PIXELS, [1, 28, 27, 1])]},
    "one-dimensional shape": {"inputs": [tensor(PIXELS, [784])]},
    "zero batch": {"inputs": [tensor([], [0, 784])]},
    "negative batch": {"inputs": [tensor(PIXELS, [-1, 784])]},
    "string in shape": {"inputs": [tensor(PIXELS, ["1", 784])]},
    "too few values": {"inputs": [tensor(PIXELS[:-1], [1, 784])]},
    "too many values": {"inputs": [tensor(PIXELS * 2, [1, 784])]},
    "nesting differs from shape": {"inputs": [tensor([PIXELS[:392]] * 2, [1, 784])]},
    "ragged nesting": {"inputs": [tensor([PIXELS, PIXELS[:-1]], [2, 784])]},
    "value above 1": {"inputs": [tensor([1.5, *PIXELS[1:]], [1, 784])]},
    "negative value": {"inputs": [tensor([-0.1, *PIXELS[1:]], [1, 784])]},
    "strings as data": {"inputs": [tensor(["0"] * 784, [1, 784])]},
    "null in data": {"inputs": [tensor([None, *PIXELS[1:]], [1, 784])]},
    "float in uint8": {"inputs": [tensor([0.5] * 784, [1, 784], "UINT8")]},
    "uint8 above 255": {"inputs": [tensor([256] * 784, [1, 784], "UINT8")]},
    "no data": {"inputs": [{"name": "image", "shape": [1, 784], "datatype": "FP32"}]},
    "wrong input name": {"inputs": [{**tensor(PIXELS, [1, 784]), "name": "input_1"}]},
    "two inputs": {"inputs": [tensor(PIXELS, [1, 784]), tensor(PIXELS, [1, 784])]},
    "no inputs": {"inputs": []},
    "missing inputs": {"id": "x"},
    "unknown output": {"inputs": [tensor(PIXELS, [1, 784])], "outputs": [{"name": "logits"}]},
    "output twice": {
        "inputs": [tensor(PIXELS, [1, 784])],
        "outputs": [{"name": "digit"}, {"name": "digit"}],
    },
    "classification output": {
        "inputs": [tensor(PIXELS, [1, 784])],
        "outputs": [{"name": "probabilities", "parameters": {"classification": 3}}],
    },
    "non-boolean binary_data": {
        "inputs": [tensor(PIXELS, [1, 784])],
        "outputs": [{"name": "probabilities", "parameters": {"binary_data": "yes"}}],
    },
    "numeric id": {"id": 7, "inputs": [tensor(PIXELS, [1, 784])]},
    "binary size without binary data": {
        "inputs": [{**tensor(None, [1, 784]), "parameters": {"binary_data_size": 3136}}]
    },
    "json array body": [1, 2, 3],
}


@pytest.mark.parametrize("body", BAD_REQUESTS.values(), ids=BAD_REQUESTS.keys())
def test_bad_requests_are_400_with_an_error_body(client: TestClient, body: Any) -> None:
    response = client.post(INFER, content=orjson.dumps(body))
    assert response.status_code == 400, response.text
    assert set(response.json()) == {"error"}
    assert response.json()["error"]


@pytest.mark.parametrize(
    "content", [b"", b"{", b"not json", b"\xff\xfe", b'{"inputs": [NaN]}'], ids=repr
)
def test_malformed_bodies_are_400(client: TestClient, content: bytes) -> None:
    response = client.post(INFER, content=content)
    assert response.status_code == 400
    assert set(response.json()) == {"error"}


def test_huge_declared_batch_is_refused_before_allocating(client: TestClient) -> None:
    body = {"inputs": [tensor([0.0], [10**9, 28, 28, 1])]}
    response = client.post(INFER, content=orjson.dumps(body))
    assert response.status_code == 413
    assert "limit" in response.json()["error"]


def test_batch_above_max_batch_is_refused(settings: Settings) -> None:
    settings.max_batch = 2
    with TestClient(create_app(settings)) as client:
        body = {"inputs": [tensor([0] * 3 * 784, [3, 784], "UINT8")]}
        assert client.post(INFER, content=orjson.dumps(body)).status_code == 413


@pytest.mark.parametrize(
    ("declared", "raw_size", "header_length"),
    [
        (3136, 3135, None),  # fewer bytes than declared
        (3136, 3137, None),  # more bytes than declared
        (3135, 3135, None),  # declared size does not fit the shape
        (3136, 3136, b"abc"),
        (3136, 3136, b"0"),
        (3136, 3136, b"999999999"),
        (3136, 3136, "²".encode("latin-1")),
    ],
)
def test_binary_size_mismatches_are_400(
    client: TestClient, declared: int, raw_size: int, header_length: bytes | None
) -> None:
    header = {
        "inputs": [
            {
                "name": "image",
                "shape": [1, 784],
                "datatype": "FP32",
                "parameters": {"binary_data_size": declared},
            }
        ]
    }
    body, headers = binary_body(header, bytes(raw_size))
    if header_length is not None:
        headers["Inference-Header-Content-Length"] = header_length.decode("latin-1")
    response = client.post(INFER, content=body, headers=encoded(headers))
    assert response.status_code == 400, response.text
    assert set(response.json()) == {"error"}


def test_binary_bytes_without_a_binary_input_are_400(client: TestClient) -> None:
    body, headers = binary_body({"inputs": [tensor([0] * 784, [1, 784], "UINT8")]}, b"\0" * 16)
    response = client.post(INFER, content=body, headers=headers)
    assert response.status_code == 400


def test_oversized_and_bomb_bodies_are_413(settings: Settings) -> None:
    settings.max_request_bytes = 64 * 1024
    with TestClient(create_app(settings)) as client:
        assert client.post(INFER, content=b" " * (65 * 1024)).status_code == 413
        bomb = gzip.compress(b" " * (10 * 1024 * 1024))
        response = client.post(INFER, content=bomb, headers={"Content-Encoding": "gzip"})
        assert response.status_code == 413
        assert set(response.json()) == {"error"}


@pytest.mark.parametrize(
    ("content", "encoding", "status"),
    [
        (b"{}", "br", 415),
        (b"not gzip", "gzip", 400),
        (gzip.compress(b"{}")[:-9], "gzip", 400),
        (gzip.compress(b"{}") * 2, "gzip", 400),
    ],
)
def test_bad_content_encodings(
    client: TestClient, content: bytes, encoding: str, status: int
) -> None:
    response = client.post(INFER, content=content, headers={"Content-Encoding": encoding})
    assert response.status_code == status
    assert set(response.json()) == {"error"}


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [("GET", "/v2/repository/index", 404), ("POST", "/v2/health/live", 405)],
)
def test_unmatched_v2_paths_and_methods_use_the_error_body(
    client: TestClient, method: str, path: str, status: int
) -> None:
    response = client.request(method, path)
    assert response.status_code == status
    assert set(response.json()) == {"error"}
