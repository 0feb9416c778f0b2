"""DigitModel: the shipped ONNX model, its card, batch inference and load errors."""

import json
import re
from pathlib import Path

import numpy as np
import pytest

from digits_core.imaging import scale_mnist
from digits_core.model import DigitModel, ModelLoadError
from tests.conftest import MODEL_PATH


@pytest.fixture(scope="module")
def model() -> DigitModel:
    return DigitModel.load(MODEL_PATH)


def test_card_matches_file(model):
    card = json.loads(MODEL_PATH.with_suffix(".json").read_text())
    assert model.name == card["name"]
    assert model.version == card["version"]
    assert len(model.sha256) == 64
    assert 0.0 < model.threshold <= 1.0


def test_predict_batch_shapes_and_softmax(model, mnist_test):
    images, _ = mnist_test
    for batch in (images[:1], images[:7]):
        probabilities = model.predict_batch(scale_mnist(batch))
        assert probabilities.shape == (len(batch), 10)
        assert probabilities.dtype == np.float32
        np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, atol=1e-4)
    # [N, 28, 28] without the channel axis is accepted too, with the same answer.
    with_channel = model.predict_batch(scale_mnist(images[:3]))
    without = model.predict_batch(scale_mnist(images[:3])[..., 0])
    np.testing.assert_allclose(with_channel, without)
    assert model.predict_batch(np.zeros((0, 28, 28), np.float32)).shape == (0, 10)


def test_not_digit_is_low_for_digits_and_high_for_two_digits_in_one(model, mnist_test):
    images, _ = mnist_test
    assert model.has_not_digit
    probabilities, not_digit = model.predict_scores(scale_mnist(images[:200]))
    np.testing.assert_allclose(probabilities, model.predict_batch(scale_mnist(images[:200])))
    assert not_digit.shape == (200,) and np.median(not_digit) < 0.01
    # Two test digits squeezed side by side into one 28×28 input: not one digit.
    pairs = np.zeros((50, 28, 28), np.uint8)
    for index in range(50):
        left, right = images[2 * index, :, 4:24], images[2 * index + 1, :, 4:24]
        pairs[index, 8:22, :] = np.hstack([left, right])[::2, ::1][:, 6:34]
    assert np.median(model.predict_scores(scale_mnist(pairs))[1]) > 0.5


def test_a_model_without_not_digit_scores_zero():
    seed_cnn = DigitModel.load(MODEL_PATH.with_name("seed_cnn.onnx"))
    assert not seed_cnn.has_not_digit
    _, not_digit = seed_cnn.predict_scores(np.zeros((4, 28, 28), np.float32))
    np.testing.assert_array_equal(not_digit, np.zeros(4, np.float32))


def test_shipped_model_reads_mnist(model, mnist_test):
    images, labels = mnist_test
    count = 2000
    predicted = model.predict_batch(scale_mnist(images[:count])).argmax(axis=1)
    accuracy = float((predicted == labels[:count]).mean())
    assert accuracy >= 0.97, accuracy


def test_missing_file_names_it(tmp_path: Path):
    missing = tmp_path / "absent.onnx"
    with pytest.raises(ModelLoadError, match=re.escape(str(missing))):
        DigitModel.load(missing)


def test_corrupt_file_names_it(tmp_path: Path):
    corrupt = tmp_path / "corrupt.onnx"
    corrupt.write_bytes(b"not a model at all")
    with pytest.raises(ModelLoadError, match=re.escape(str(corrupt))):
        DigitModel.load(corrupt)


def test_wrong_tensor_names_are_refused(tmp_path: Path):
    onnx = pytest.importorskip("onnx")
    helper = onnx.helper
    graph = helper.make_graph(
        [helper.make_node("Identity", ["x"], ["y"])],
        "wrong",
        [helper.make_tensor_value_info("x", onnx.TensorProto.FLOAT, [None, 10])],
        [helper.make_tensor_value_info("y", onnx.TensorProto.FLOAT, [None, 10])],
    )
    path = tmp_path / "wrong.onnx"
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]), path)
    with pytest.raises(ModelLoadError, match="must have input 'image'"):
        DigitModel.load(path)
