"""Model cards: fields, merging updates, and a calibrated threshold surviving re-export."""

import hashlib
import json
from pathlib import Path

import pytest

from training.card import read_card, update_card, write_card


@pytest.fixture
def onnx_file(tmp_path: Path) -> Path:
    path = tmp_path / "digits.onnx"
    path.write_bytes(b"not really onnx, but hashable")
    return path


def write(onnx_file: Path, name: str = "digits", version: str = "1.0.0") -> Path:
    return write_card(
        onnx_file,
        name=name,
        version=version,
        parameters=123,
        training={"model": "digits", "epochs": 3, "seed": 0},
        test_accuracy=0.9961,
        extra={"latency": {"batch1_ms_1thread": 0.1}},
    )


def test_card_has_the_contract_fields(onnx_file: Path) -> None:
    card = json.loads(write(onnx_file).read_text())
    assert card["name"] == "digits" and card["version"] == "1.0.0"
    assert card["sha256"] == hashlib.sha256(onnx_file.read_bytes()).hexdigest()
    assert card["test_accuracy"] == 0.9961
    assert card["test_error"] == pytest.approx(0.0039)
    assert card["training"]["epochs"] == 3
    assert {"tensorflow", "onnxruntime", "tf2onnx", "python"} <= set(card["frameworks"])
    assert card["input"]["name"] == "image" and card["input"]["shape"] == ["N", 28, 28, 1]
    assert card["output"]["name"] == "probabilities"
    assert card["confidence_threshold"] == 0.9
    assert card["latency"] == {"batch1_ms_1thread": 0.1}
    assert card["created"]


def test_update_card_merges_into_the_file(onnx_file: Path) -> None:
    write(onnx_file)
    update_card(onnx_file.with_suffix(".json"), confidence_threshold=0.75, calibration={"n": 5})
    card = read_card(onnx_file)
    assert card["confidence_threshold"] == 0.75
    assert card["calibration"] == {"n": 5}
    assert card["parameters"] == 123


def test_update_card_needs_an_existing_card(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        update_card(tmp_path / "none.onnx", confidence_threshold=0.5)


def test_calibration_survives_re_export_of_the_same_model(onnx_file: Path) -> None:
    write(onnx_file)
    update_card(onnx_file, confidence_threshold=0.8, calibration={"set": "realistic"})
    write(onnx_file, version="1.0.1")
    card = read_card(onnx_file)
    assert card["version"] == "1.0.1"
    assert card["confidence_threshold"] == 0.8
    assert card["calibration"] == {"set": "realistic"}


def test_a_different_model_name_starts_uncalibrated(onnx_file: Path) -> None:
    write(onnx_file)
    update_card(onnx_file, confidence_threshold=0.8, calibration={"set": "realistic"})
    write(onnx_file, name="seed_cnn")
    card = read_card(onnx_file)
    assert card["confidence_threshold"] == 0.9
    assert "calibration" not in card
