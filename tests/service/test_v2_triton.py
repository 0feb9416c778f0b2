"""The official Triton HTTP client against a real `python -m service` process."""

import shutil
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import tritonclient.http as httpclient
from tritonclient.utils import InferenceServerException

from digits_core.imaging import scale_mnist
from digits_core.model import DigitModel
from tests.conftest import MODEL_PATH
from tests.live import live_server

COUNT = 300


@pytest.fixture(scope="module")
def model_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A private copy of the model, so a newly published one cannot change it mid-test."""
    folder = tmp_path_factory.mktemp("model")
    shutil.copy(MODEL_PATH, folder / "digits.onnx")
    shutil.copy(MODEL_PATH.with_suffix(".json"), folder / "digits.json")
    return folder / "digits.onnx"


@pytest.fixture(scope="module")
def model(model_copy: Path) -> DigitModel:
    return DigitModel.load(model_copy)


@pytest.fixture(scope="module")
def triton(model_copy: Path) -> Iterator[httpclient.InferenceServerClient]:
    with live_server(env={"DIGITS_MODEL_PATH": str(model_copy)}) as server:
        client = httpclient.InferenceServerClient(url=server.url.removeprefix("http://"))
        try:
            yield client
        finally:
            client.close()


@pytest.fixture(scope="module")
def sample(mnist_test: tuple[np.ndarray, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    images, labels = mnist_test
    return images[:COUNT], labels[:COUNT]


def test_health_and_metadata(triton: httpclient.InferenceServerClient, model: DigitModel) -> None:
    assert triton.is_server_live()
    assert triton.is_server_ready()
    assert triton.is_model_ready("digits")
    assert triton.is_model_ready("digits", model.version)
    assert not triton.is_model_ready("mnist")
    assert "binary_tensor_data" in triton.get_server_metadata()["extensions"]
    metadata = triton.get_model_metadata("digits")
    assert metadata["name"] == "digits"
    assert metadata["versions"] == [model.version]
    assert metadata["inputs"] == [{"name": "image", "datatype": "FP32", "shape": [-1, 28, 28, 1]}]
    assert metadata["outputs"][0] == {
        "name": "probabilities",
        "datatype": "FP32",
        "shape": [-1, 10],
    }


def test_unknown_model_is_an_inference_server_error(
    triton: httpclient.InferenceServerClient,
) -> None:
    with pytest.raises(InferenceServerException) as raised:
        triton.get_model_metadata("mnist")
    assert raised.value.status() == "404"
    assert "mnist" in raised.value.message()


@pytest.mark.parametrize("binary_output", [True, False], ids=["binary-out", "json-out"])
@pytest.mark.parametrize("binary_input", [True, False], ids=["binary-in", "json-in"])
def test_fp32_inference_classifies_mnist(
    triton: httpclient.InferenceServerClient,
    model: DigitModel,
    sample: tuple[np.ndarray, np.ndarray],
    binary_input: bool,
    binary_output: bool,
) -> None:
    images, labels = sample
    batch = scale_mnist(images)
    image = httpclient.InferInput("image", list(batch.shape), "FP32")
    image.set_data_from_numpy(batch, binary_data=binary_input)
    outputs = [
        httpclient.InferRequestedOutput("probabilities", binary_data=binary_output),
        httpclient.InferRequestedOutput("digit", binary_data=binary_output),
    ]
    result = triton.infer("digits", [image], outputs=outputs, request_id="mnist-fp32")
    assert result.get_response()["id"] == "mnist-fp32"
    probabilities = result.as_numpy("probabilities")
    digits = result.as_numpy("digit")
    assert probabilities.dtype == np.float32 and probabilities.shape == (COUNT, 10)
    assert np.array_equal(probabilities, model.predict_batch(batch))
    assert np.array_equal(digits, probabilities.argmax(axis=1))
    assert np.mean(digits == labels) >= 0.97


def test_uint8_binary_inference_with_default_outputs(
    triton: httpclient.InferenceServerClient,
    model: DigitModel,
    sample: tuple[np.ndarray, np.ndarray],
) -> None:
    images, labels = sample
    flat = np.ascontiguousarray(images.reshape(COUNT, 784))
    image = httpclient.InferInput("image", [COUNT, 784], "UINT8")
    image.set_data_from_numpy(flat, binary_data=True)
    # No outputs requested: the client asks for all outputs in binary.
    result = triton.infer("digits", [image], model_version=model.version)
    probabilities = result.as_numpy("probabilities")
    assert np.array_equal(probabilities, model.predict_batch(scale_mnist(images)))
    assert np.mean(probabilities.argmax(axis=1) == labels) >= 0.97


def test_gzip_compressed_request(
    triton: httpclient.InferenceServerClient,
    model: DigitModel,
    sample: tuple[np.ndarray, np.ndarray],
) -> None:
    batch = scale_mnist(sample[0][:32])
    image = httpclient.InferInput("image", list(batch.shape), "FP32")
    image.set_data_from_numpy(batch)
    result = triton.infer("digits", [image], request_compression_algorithm="gzip")
    assert np.array_equal(result.as_numpy("probabilities"), model.predict_batch(batch))


@pytest.mark.parametrize(
    ("shape", "datatype", "values"),
    [
        ([1, 28, 27], "FP32", np.zeros((1, 28, 27), np.float32)),
        ([1, 784], "INT32", np.zeros((1, 784), np.int32)),
        ([1, 784], "FP32", np.full((1, 784), 2.0, np.float32)),
    ],
    ids=["shape", "datatype", "range"],
)
@pytest.mark.parametrize("binary", [True, False], ids=["binary", "json"])
def test_bad_tensors_are_400_errors(
    triton: httpclient.InferenceServerClient,
    shape: list[int],
    datatype: str,
    values: np.ndarray,
    binary: bool,
) -> None:
    image = httpclient.InferInput("image", shape, datatype)
    image.set_data_from_numpy(values, binary_data=binary)
    with pytest.raises(InferenceServerException) as raised:
        triton.infer("digits", [image])
    assert raised.value.status() == "400"
    assert raised.value.message()
