"""Model cards: the JSON file next to each `models/<name>.onnx` that says what the model is."""

import datetime as dt
import hashlib
import json
import os
import platform
from importlib import metadata
from pathlib import Path
from typing import Any

from digits_core.contract import INPUT_NAME, NOT_DIGIT_NAME, OUTPUT_NAME

# Kept when a model of the same name is re-exported: the real-scans calibration owns them.
PRESERVED_FIELDS = ("confidence_threshold", "calibration")
DEFAULT_THRESHOLD = 0.9
FRAMEWORKS = ("tensorflow", "keras", "tf2onnx", "onnx", "onnxruntime", "numpy")

INPUT_SPEC = {
    "name": INPUT_NAME,
    "dtype": "float32",
    "shape": ["N", 28, 28, 1],
    "range": [0.0, 1.0],
    "convention": "white ink on black (MNIST); digit box 20 px, centred by centre of mass",
}
OUTPUT_SPEC = {
    "name": OUTPUT_NAME,
    "dtype": "float32",
    "shape": ["N", 10],
    "meaning": "softmax probabilities of the digits 0..9",
}
NOT_DIGIT_SPEC = {
    "name": NOT_DIGIT_NAME,
    "dtype": "float32",
    "shape": ["N"],
    "meaning": "probability that the input is not one digit (a piece, two digits, a scribble)",
}


def card_path(path: Path) -> Path:
    """The card of a model: `x.onnx` or `x.json` → `x.json`."""
    return Path(path).with_suffix(".json")


def sha256(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def framework_versions() -> dict[str, str]:
    versions = {"python": platform.python_version()}
    for package in FRAMEWORKS:
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = "not installed"
    return versions


def read_card(path: Path) -> dict[str, Any]:
    """The card as a dict; empty if there is none yet."""
    path = card_path(path)
    return json.loads(path.read_text()) if path.is_file() else {}


def save_card(path: Path, card: dict[str, Any]) -> Path:
    """Write atomically, so a reader (the service) never sees half a card."""
    path = card_path(path)
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(card, indent=2, ensure_ascii=False) + "\n")
    os.replace(tmp, path)
    return path


def write_card(
    onnx_path: Path,
    *,
    name: str,
    version: str,
    parameters: int,
    training: dict[str, Any],
    test_accuracy: float,
    not_digit: bool = False,
    extra: dict[str, Any] | None = None,
) -> Path:
    """Write the card for a freshly exported `onnx_path`.

    `test_accuracy` must be measured on the exported ONNX file; `not_digit` says whether it has
    that second output. A calibrated threshold in an existing card of the same model name
    survives the re-export.
    """
    onnx_path = Path(onnx_path)
    previous = read_card(onnx_path)
    card: dict[str, Any] = {
        "name": name,
        "version": version,
        "created": dt.date.today().isoformat(),
        "file": onnx_path.name,
        "sha256": sha256(onnx_path),
        "parameters": parameters,
        "test_accuracy": round(test_accuracy, 6),
        "test_error": round(1.0 - test_accuracy, 6),
        "test_set": "MNIST t10k (10,000 images), measured on the .onnx file with onnxruntime",
        "training": training,
        "frameworks": framework_versions(),
        "input": INPUT_SPEC,
        "output": OUTPUT_SPEC,
        **({"not_digit_output": NOT_DIGIT_SPEC} if not_digit else {}),
        "confidence_threshold": DEFAULT_THRESHOLD,
        **(extra or {}),
    }
    if previous.get("name") == name:
        card.update({key: previous[key] for key in PRESERVED_FIELDS if key in previous})
    return save_card(onnx_path, card)


def update_card(path: Path, **fields: Any) -> dict[str, Any]:
    """Re-read the card at `path` (.onnx or .json), merge `fields` into it and write it back."""
    card = read_card(path)
    if not card:
        raise FileNotFoundError(f"no model card at {card_path(path)}")
    card.update(fields)
    save_card(path, card)
    return card
