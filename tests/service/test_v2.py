"""Open Inference Protocol (v2) routes in-process: JSON shapes, binary tensors and errors."""

import gzip
from typing import Any

import numpy as np
import orjson
import pytest
from fastapi.testclient import TestClient
from prometheus_client import REGISTRY

from digits_core.imaging import scale_mnist
from service.app import create_app
from service.settings import Settings

INFER = "/v2/models/digits/infer"


@pytest.fixture(scope="module")
def digits(mnist_test: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    """Eight MNIST test digits, uint8 [8, 28, 28]."""
    return mnist_test[0][:8]


def expected(client: TestClient, images: np.ndarray) -> np.ndarray:
    """The in-process model's probabilities for float32 images in 0..1."""
    return client.app.state.model.predict_batch(images)


def tensor(data: Any, shape: list[int], datatype: str = "FP32", **extra: Any) -> dict[str, Any]:
    return {"name": "image", "shape": shape, "datatype": datatype, "data": data, **extra}


def infer(client: TestClient, body: dict[str, Any], path: str = INFER) -> dict[str, Any]:
    response = client.post(path, content=orjson.dumps(body))
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/json")
    return response.json()


def output(result: dict[str, Any], name: str) -> np.ndarray:
    (entry,) = (o for o in result["outputs"] if o["name"] == name)
    dtype = {"FP32": np.float32, "INT64": np.int64}[entry["datatype"]]
    return np.array(entry["data"], dtype=dtype).reshape(entry["shape"])


def binary_body(header: dict[str, Any], raw: bytes) -> tuple[bytes, dict[str, str]]:
    json_part = orjson.dumps(header)
    return json_part + raw, {"Inference-Header-Content-Length": str(len(json_part))}


def test_server_metadata_names_the_binary_extension(client: TestClient) -> None:
    body = client.get("/v2").json()
    assert body["name"] == "digits"
    assert isinstance(body["version"], str) and body["version"]
    assert body["extensions"] == ["binary_tensor_data"]


def test_live_and_ready_answer_200_with_a_loaded_model(client: TestClient) -> None:
    assert client.get("/v2/health/live").status_code == 200
    assert client.get("/v2/health/ready").status_code == 200
    assert client.get("/v2/models/digits/ready").status_code == 200


def test_not_ready_before_the_model_is_loaded(settings: Settings) -> None:
    # Without the context manager the lifespan does not run, so no model is loaded.
    client = TestClient(create_app(settings))
    assert client.get("/v2/health/live").status_code == 200
    for path in ("/v2/health/ready", "/v2/models/digits/ready", "/v2/models/digits"):
        response = client.get(path)
        assert response.status_code == 503
        assert set(response.json()) == {"error"}


def test_model_metadata_follows_the_protocol(client: TestClient) -> None:
    version = client.app.state.model.version
    for path in ("/v2/models/digits", f"/v2/models/digits/versions/{version}"):
        body = client.get(path).json()
        assert body == {
            "name": "digits",
            "versions": [version],
            "platform": "onnxruntime_onnx",
            "inputs": [{"name": "image", "datatype": "FP32", "shape": [-1, 28, 28, 1]}],
            "outputs": [
                {"name": "probabilities", "datatype": "FP32", "shape": [-1, 10]},
                {"name": "digit", "datatype": "INT64", "shape": [-1]},
            ],
        }


@pytest.mark.parametrize(
    "path",
    [
        "/v2/models/mnist",
        "/v2/models/mnist/ready",
        "/v2/models/digits/versions/999",
        "/v2/models/digits/versions/999/ready",
    ],
)
def test_unknown_models_and_versions_are_404_with_an_error_body(
    client: TestClient, path: str
) -> None:
    response = client.get(path)
    assert response.status_code == 404
    assert set(response.json()) == {"error"}
    assert "unknown model" in response.json()["error"]


@pytest.mark.parametrize(
    ("shape", "nested"),
    [([8, 28, 28, 1], True), ([8, 28, 28, 1], False), ([8, 28, 28], True), ([8, 784], False)],
)
def test_fp32_json_inference_matches_the_model(
    client: TestClient, digits: np.ndarray, shape: list[int], nested: bool
) -> None:
    images = scale_mnist(digits)
    values = images.reshape(shape) if nested else images.ravel()
    result = infer(client, {"id": "req-1", "inputs": [tensor(values.tolist(), shape)]})
    assert result["model_name"] == "digits"
    assert result["model_version"] == client.app.state.model.version
    assert result["id"] == "req-1"
    assert [o["name"] for o in result["outputs"]] == ["probabilities"]
    assert result["outputs"][0]["shape"] == [8, 10]
    assert np.array_equal(output(result, "probabilities"), expected(client, images))


def test_uint8_json_is_scaled_by_1_over_255(client: TestClient, digits: np.ndarray) -> None:
    result = infer(client, {"inputs": [tensor(digits.tolist(), [8, 28, 28], "UINT8")]})
    assert "id" not in result
    probabilities = output(result, "probabilities")
    assert np.array_equal(probabilities, expected(client, scale_mnist(digits)))


def test_digit_output_only_when_requested(client: TestClient, digits: np.ndarray) -> None:
    body = {
        "inputs": [tensor(digits.ravel().tolist(), [8, 784], "UINT8")],
        "outputs": [{"name": "digit"}],
    }
    result = infer(client, body)
    assert [o["name"] for o in result["outputs"]] == ["digit"]
    assert result["outputs"][0]["datatype"] == "INT64"
    want = expected(client, scale_mnist(digits)).argmax(axis=1)
    assert np.array_equal(output(result, "digit"), want)


def test_versioned_infer_path(client: TestClient, digits: np.ndarray) -> None:
    version = client.app.state.model.version
    body = {"inputs": [tensor(digits[:1].ravel().tolist(), [1, 784], "UINT8")]}
    result = infer(client, body, f"/v2/models/digits/versions/{version}/infer")
    assert output(result, "probabilities").shape == (1, 10)
    response = client.post("/v2/models/digits/versions/999/infer", content=orjson.dumps(body))
    assert response.status_code == 404


def test_binary_request_and_binary_response(client: TestClient, digits: np.ndarray) -> None:
    images = scale_mnist(digits)
    raw = images.astype("<f4").tobytes()
    header = {
        "id": "bin",
        "inputs": [
            {
                "name": "image",
                "shape": [8, 28, 28, 1],
                "datatype": "FP32",
                "parameters": {"binary_data_size": len(raw)},
            }
        ],
        "outputs": [
            {"name": "probabilities", "parameters": {"binary_data": True}},
            {"name": "digit", "parameters": {"binary_data": False}},
        ],
    }
    body, headers = binary_body(header, raw)
    response = client.post(INFER, content=body, headers=headers)
    assert response.status_code == 200, response.text
    length = int(response.headers["inference-header-content-length"])
    result = orjson.loads(response.content[:length])
    assert result["id"] == "bin"
    entry = result["outputs"][0]
    assert entry["parameters"] == {"binary_data_size": 8 * 10 * 4}
    assert "data" not in entry
    probabilities = np.frombuffer(response.content[length:], dtype="<f4").reshape(8, 10)
    assert len(response.content) == length + 8 * 10 * 4
    assert np.array_equal(probabilities, expected(client, images))
    assert np.array_equal(output(result, "digit"), probabilities.argmax(axis=1))


def test_binary_data_output_is_the_default_for_every_output(
    client: TestClient, digits: np.ndarray
) -> None:
    raw = digits.tobytes()
    header = {
        "inputs": [
            {
                "name": "image",
                "shape": [8, 28, 28],
                "datatype": "UINT8",
                "parameters": {"binary_data_size": len(raw)},
            }
        ],
        "parameters": {"binary_data_output": True},
    }
    body, headers = binary_body(header, raw)
    response = client.post(INFER, content=body, headers=headers)
    assert response.status_code == 200, response.text
    length = int(response.headers["inference-header-content-length"])
    probabilities = np.frombuffer(response.content[length:], dtype="<f4").reshape(8, 10)
    assert np.array_equal(probabilities, expected(client, scale_mnist(digits)))


def test_gzip_request_body(client: TestClient, digits: np.ndarray) -> None:
    body = orjson.dumps({"inputs": [tensor(digits.tolist(), [8, 28, 28], "UINT8")]})
    response = client.post(INFER, content=gzip.compress(body), headers={"Content-Encoding": "gzip"})
    assert response.status_code == 200, response.text
    assert np.array_equal(
        output(response.json(), "probabilities"), expected(client, scale_mnist(digits))
    )


def test_metrics_count_v2_requests_by_route_template(
    client: TestClient, digits: np.ndarray
) -> None:
    def count(route: str, status: str) -> float:
        value = REGISTRY.get_sample_value(
            "digits_http_requests_total", {"route": route, "status": status}
        )
        return value or 0.0

    route = "/v2/models/{model_name}/infer"
    before = count(route, "200"), count(route, "404")
    infer(client, {"inputs": [tensor(digits[:1].ravel().tolist(), [1, 784], "UINT8")]})
    assert client.post("/v2/models/other/infer", content=b"{}").status_code == 404
    assert (count(route, "200"), count(route, "404")) == (before[0] + 1, before[1] + 1)
