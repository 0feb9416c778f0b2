"""A tiny training run goes all the way: train → save → export → parity → ONNX-measured card."""

import hashlib
import json
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("tensorflow")
pytestmark = [pytest.mark.train, pytest.mark.slow]

import onnx  # noqa: E402

from training.data import load_mnist  # noqa: E402
from training.evaluate import evaluate_onnx  # noqa: E402
from training.export import ParityError, check_parity, export  # noqa: E402
from training.models import build  # noqa: E402
from training.publish import publish  # noqa: E402
from training.runtime import predict_onnx, predict_onnx_outputs  # noqa: E402
from training.train import TrainConfig, save_run, train  # noqa: E402


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """seed_cnn trained for one epoch on 300 images, then published to a temporary directory."""
    root = tmp_path_factory.mktemp("run")
    train_split, test_split = load_mnist()
    config = TrainConfig("seed_cnn", epochs=1, batch_size=100, seed=3, train_limit=300)
    result = train(config, train_split, test_split, verbose=0)
    keras_path = save_run(result, runs_dir=root / "runs", results_dir=root / "results")
    onnx_path = root / "models" / "tiny.onnx"
    shipped = publish(
        keras_path,
        onnx_path,
        name="tiny",
        version="0.0.1",
        test=test_split,
        results_dir=root / "results",
    )
    return {
        "result": result,
        "onnx": onnx_path,
        "shipped": shipped,
        "test": test_split,
        "results_json": root / "results" / f"{config.run_id}.json",
    }


@pytest.fixture(scope="module")
def tiny_digits_run(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """The default model (11 classes: digits + not a digit), one epoch on 300 images + extras."""
    root = tmp_path_factory.mktemp("digits_run")
    train_split, test_split = load_mnist()
    config = TrainConfig(
        "digits", epochs=1, batch_size=100, seed=3, train_limit=300, not_digits=0.25, slivers=0.1
    )
    result = train(config, train_split, test_split, verbose=0)
    keras_path = save_run(result, runs_dir=root / "runs", results_dir=root / "results")
    onnx_path = root / "models" / "tiny_digits.onnx"
    publish(
        keras_path,
        onnx_path,
        name="tiny_digits",
        version="0.0.1",
        test=test_split,
        results_dir=root / "results",
    )
    return {"result": result, "onnx": onnx_path, "test": test_split}


def test_training_records_one_epoch_on_the_limited_set(tiny_run: dict) -> None:
    saved = json.loads(tiny_run["results_json"].read_text())
    assert saved["config"]["train_limit"] == 300
    assert len(saved["epoch_validation_accuracy"]) == 1
    assert saved["parameters"] == 59_933
    # One epoch on 300 images is weak but far better than chance.
    assert 0.2 < saved["test_accuracy"] < 0.99


def test_onnx_follows_the_contract(tiny_run: dict) -> None:
    model = onnx.load(str(tiny_run["onnx"]))
    (graph_input,) = model.graph.input
    (graph_output,) = model.graph.output
    assert graph_input.name == "image" and graph_output.name == "probabilities"
    dims = graph_input.type.tensor_type.shape.dim
    assert [d.dim_param or d.dim_value for d in dims] == ["N", 28, 28, 1]
    assert max(o.version for o in model.opset_import if o.domain in ("", "ai.onnx")) >= 17
    probabilities = predict_onnx(tiny_run["onnx"], tiny_run["test"].inputs()[:7])
    assert probabilities.shape == (7, 10)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-5)


class _Shifted:
    """Wraps a Keras model and answers `predict` for shifted inputs: a guaranteed mismatch."""

    def __init__(self, model) -> None:
        self._model = model

    def __call__(self, x, training: bool = False):
        return self._model(x, training=training)

    def predict(self, x: np.ndarray, **kwargs) -> np.ndarray:
        return self._model.predict(np.roll(x, 5, axis=2), **kwargs)


def test_parity_matches_keras_on_the_test_set(tiny_run: dict) -> None:
    inputs = tiny_run["test"].inputs()
    assert check_parity(tiny_run["result"].model, tiny_run["onnx"], inputs) <= 1e-4
    assert tiny_run["shipped"]["parity_max_abs_diff"] <= 1e-4


def test_parity_check_catches_a_different_model(tiny_run: dict) -> None:
    with pytest.raises(ParityError, match="max"):
        check_parity(build("seed_cnn"), tiny_run["onnx"], tiny_run["test"].inputs()[:500])


def test_failed_export_leaves_no_file(tiny_run: dict, tmp_path: Path) -> None:
    inputs = tiny_run["test"].inputs()[:200]
    model = tiny_run["result"].model
    target = tmp_path / "bad.onnx"
    with pytest.raises(ParityError):
        export(_Shifted(model), target, inputs)
    assert not target.exists()


def test_card_is_written_with_accuracy_measured_on_the_onnx_file(tiny_run: dict) -> None:
    onnx_path: Path = tiny_run["onnx"]
    card = json.loads(onnx_path.with_suffix(".json").read_text())
    assert card["name"] == "tiny" and card["version"] == "0.0.1"
    assert card["sha256"] == hashlib.sha256(onnx_path.read_bytes()).hexdigest()
    assert card["parameters"] == 59_933
    assert card["training"]["epochs"] == 1 and card["training"]["seed"] == 3
    assert card["training"]["train_limit"] == 300
    measured = evaluate_onnx(onnx_path, tiny_run["test"]).accuracy
    assert card["test_accuracy"] == pytest.approx(measured, abs=1e-6)
    assert card["input"]["name"] == "image" and card["output"]["name"] == "probabilities"
    assert card["confidence_threshold"] == 0.9
    assert card["latency"]["batch1_ms_1thread"] > 0
    assert {"tensorflow", "tf2onnx", "onnxruntime"} <= set(card["frameworks"])


def test_not_a_digit_class_is_a_second_onnx_output(tiny_digits_run: dict) -> None:
    model = onnx.load(str(tiny_digits_run["onnx"]))
    assert [o.name for o in model.graph.output] == ["probabilities", "not_digit"]
    inputs = tiny_digits_run["test"].inputs()[:50]
    outputs = predict_onnx_outputs(tiny_digits_run["onnx"], inputs)
    assert outputs["probabilities"].shape == (50, 10)
    assert outputs["not_digit"].shape == (50,)
    np.testing.assert_allclose(outputs["probabilities"].sum(axis=1), 1.0, rtol=1e-5)
    assert ((outputs["not_digit"] >= 0) & (outputs["not_digit"] <= 1)).all()
    # The 11-way softmax, split: both outputs match Keras.
    assert check_parity(tiny_digits_run["result"].model, tiny_digits_run["onnx"], inputs) <= 1e-4
    card = json.loads(tiny_digits_run["onnx"].with_suffix(".json").read_text())
    assert card["not_digit_output"]["name"] == "not_digit"
    assert card["training"]["not_digits"] == 0.25
